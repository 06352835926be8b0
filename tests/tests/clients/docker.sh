#!/usr/bin/env bash
# Docker's engine driving runlet: a private dockerd (own data-root, exec-root,
# pidfile, socket, cgroup parent; no iptables) with `--add-runtime runlet=RUNLET
# --default-runtime runlet`, an image made by `docker import` of a local rootfs,
# then run, 40 concurrent `docker exec`s, stop, rm.
# Args: RUNLET PROBE BUSYBOX. Run by tests/tests/clients.rs in `unshare --mount --net`.
. "$(dirname "$0")/lib.sh"

DOCKERD=$(command -v dockerd)
# The client of the same package (another `docker` may come first in PATH).
DOCKER=$(dirname "$DOCKERD")/../bin/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker)
ip link set lo up
"$DOCKERD" --data-root "$W/data" --exec-root "$W/exec" --pidfile "$W/dockerd.pid" \
    --host "unix://$W/docker.sock" --add-runtime "runlet=$RUNLET" --default-runtime runlet \
    --iptables=false --ip-masq=false --bridge=none --storage-driver vfs \
    --cgroup-parent "/$CGPARENT" >"$W/dockerd.log" 2>&1 &
DD=$!
docker() { "$DOCKER" --host "unix://$W/docker.sock" "$@"; }
until_ok 60 docker version || { tail -20 "$W/dockerd.log" >&2; exit 1; }
say "dockerd $DD up"

make_rootfs "$W/rootfs"
tar -C "$W/rootfs" -c . | docker import - runlet-test:1 >/dev/null
docker run -d --network none --name c1 runlet-test:1 /bin/sleep 300 >/dev/null
until_ok 20 sh -c "'$DOCKER' --host unix://$W/docker.sock inspect -f '{{.State.Running}}' c1 | grep -qx true"
say "c1 running ($(docker inspect -f '{{.HostConfig.Runtime}}' c1))"
[ "$(docker inspect -f '{{.HostConfig.Runtime}}' c1)" = runlet ]
[ -n "$(docker exec c1 /bin/hostname)" ]
concurrent_execs "$EXECS" docker exec c1 /bin/echo hi
docker stop -t 1 c1 >/dev/null
docker rm c1 >/dev/null
say "c1 stopped and removed"
docker rmi runlet-test:1 >/dev/null
stop_pid "$DD" 20
