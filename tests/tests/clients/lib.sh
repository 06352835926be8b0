# Shared by the client scripts (tests/tests/clients.rs runs them in a private mount
# namespace): a scratch dir, /run made private, a busybox+probe rootfs, deadlines,
# and the teardown that leaves nothing (daemons and shims by pid, cgroups).
set -euo pipefail

RUNLET=$1 PROBE=$2 BUSYBOX=$3
W=$(mktemp -d /tmp/runlet-client.XXXXXX)
# Every shim socket, runtime --root (/run/containerd/runc/<ns>) and netns file
# stays in this namespace.
mount -t tmpfs -o mode=0755 runlet-client-run /run
echo "client: scratch $W" >&2
MYNS=$(readlink /proc/self/ns/mnt)
# Cgroups the clients make go under this parent (removed at the end).
CGPARENT=runlet-ci-$$
# How many execs run at once (the shims run each as `exec --detach`).
EXECS=${RUNLET_CLIENT_EXECS:-40}

say() { echo "client: $*" >&2; }

# until SECS CMD...: runs CMD until it succeeds, at most SECS seconds.
until_ok() {
    local end=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || { say "timed out: $*"; return 1; }
        sleep 0.2
    done
}

# A rootfs: a static busybox (sh, sleep, echo, hostname, mkdir, cat) and the probe.
make_rootfs() {
    local r=$1
    mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/etc" "$r/tmp"
    cp "$BUSYBOX" "$r/bin/busybox"
    for a in sh sleep echo hostname mkdir cat true; do ln -s busybox "$r/bin/$a"; done
    cp "$PROBE" "$r/probe"
    echo "runlet-client" >"$r/etc/hostname"
}

# Processes left in this mount namespace (daemons, shims), but this shell.
ns_pids() {
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        # This shell, the subshell running this function, and its own commands.
        [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
        [ "$(readlink /proc/$p/ns/mnt 2>/dev/null)" = "$MYNS" ] || continue
        [ "$(awk '{print $4}' /proc/$p/stat 2>/dev/null)" = "$BASHPID" ] && continue
        echo "$p"
    done
}

# stop_pid PID SECS: TERM, then KILL after SECS.
stop_pid() {
    kill -TERM "$1" 2>/dev/null || return 0
    local end=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.2; done
    kill -KILL "$1" 2>/dev/null || true
}

teardown() {
    local rc=$? p left
    set +e +o pipefail   # best effort from here: every step runs
    for p in $(ns_pids); do kill -KILL "$p" 2>/dev/null || true; done
    for _ in $(seq 50); do
        left=$(ns_pids)
        [ -z "$left" ] && break
        sleep 0.1
    done
    [ -z "$(ns_pids)" ] || { say "still running: $(ns_pids)"; rc=1; }
    # The containers' own processes (in mount namespaces of their own): whatever
    # is still in a cgroup under our parent; then the cgroups, children first.
    for _ in $(seq 50); do
        left=$(cat /sys/fs/cgroup/*/$CGPARENT/cgroup.procs /sys/fs/cgroup/*/$CGPARENT/*/cgroup.procs \
            /sys/fs/cgroup/*/$CGPARENT/*/*/cgroup.procs 2>/dev/null | sort -u)
        [ -z "$left" ] && break
        for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
        sleep 0.1
    done
    for d in /sys/fs/cgroup/*/$CGPARENT; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    if ls -d /sys/fs/cgroup/*/$CGPARENT >/dev/null 2>&1; then say "cgroups left: $CGPARENT"; rc=1; fi
    # Mounts the daemons made under the scratch dir, deepest first.
    awk -v w="$W" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo |
        sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$W"
    exit $rc
}
trap teardown EXIT
trap 'exit 143' TERM INT   # the test's deadline: the teardown still runs

# concurrent_execs N CMD...: runs N copies of CMD at once ({i} in an argument
# becomes the copy's number); each must exit 0 and print `hi`.
concurrent_execs() {
    local n=$1 i fails=0 pids=(); shift
    mkdir -p "$W/execs"
    for i in $(seq "$n"); do
        ( set +e; "${@//\{i\}/$i}" >"$W/execs/$i.out" 2>&1; echo $? >"$W/execs/$i.rc" ) &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    for i in $(seq "$n"); do
        if [ "$(cat "$W/execs/$i.rc")" != 0 ] || ! grep -qx hi "$W/execs/$i.out"; then
            say "exec $i failed (status $(cat "$W/execs/$i.rc")): $(cat "$W/execs/$i.out")"
            fails=$((fails + 1))
        fi
    done
    say "$n concurrent execs, $fails failed"
    [ $fails = 0 ]
}
