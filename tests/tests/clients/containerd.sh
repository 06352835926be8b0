#!/usr/bin/env bash
# containerd's shim driving runlet: a private containerd, an OCI image layout built
# here and imported with `ctr images import`, then `ctr run --runc-binary RUNLET`
# through io.containerd.runc.v2: run, 40 concurrent execs, kill, delete.
# Args: RUNLET PROBE BUSYBOX. Run by tests/tests/clients.rs in `unshare --mount`.
. "$(dirname "$0")/lib.sh"

NS=$CGPARENT   # ctr's namespace: the shim puts cgroups at /<ns>/<id>
cat >"$W/config.toml" <<TOML
version = 2
root = "$W/root"
state = "$W/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$W/containerd.sock"
[ttrpc]
  address = "$W/containerd.sock.ttrpc"
TOML
containerd --config "$W/config.toml" >"$W/containerd.log" 2>&1 &
CTD=$!
ctr() { command ctr --address "$W/containerd.sock" --namespace "$NS" "$@"; }
until_ok 30 ctr version || { tail -20 "$W/containerd.log" >&2; exit 1; }
say "containerd $CTD up"

# An OCI image layout: one layer (the rootfs), its config, a manifest, an index.
make_rootfs "$W/rootfs"
L=$W/layout
mkdir -p "$L/blobs/sha256"
blob() { # FILE -> digest hex; the file moves into blobs/
    local d; d=$(sha256sum "$1" | cut -d' ' -f1)
    mv "$1" "$L/blobs/sha256/$d"; echo "$d"
}
tar -C "$W/rootfs" -cf "$W/layer.tar" .
LSIZE=$(stat -c %s "$W/layer.tar"); LD=$(blob "$W/layer.tar")
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sleep","300"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$LD" >"$W/config.json"
CSIZE=$(stat -c %s "$W/config.json"); CD=$(blob "$W/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' "$CD" "$CSIZE" "$LD" "$LSIZE" >"$W/manifest.json"
MSIZE=$(stat -c %s "$W/manifest.json"); MD=$(blob "$W/manifest.json")
IMAGE=docker.io/library/runlet-test:1
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"1"}}]}' "$MD" "$MSIZE" "$IMAGE" >"$L/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
tar -C "$L" -cf "$W/image.tar" .
ctr images import --snapshotter native "$W/image.tar" >&2
ctr images ls -q | grep -qx "$IMAGE" || { say "image not imported"; exit 1; }

ctr run -d --snapshotter native --runc-binary "$RUNLET" "$IMAGE" c1 /bin/sleep 300 >&2
until_ok 20 sh -c "command ctr --address $W/containerd.sock --namespace $NS tasks ls | grep -q 'c1 .*RUNNING'"
say "c1 running"
[ "$(ctr tasks exec --exec-id host c1 /bin/hostname)" != "" ]
concurrent_execs "$EXECS" ctr tasks exec --exec-id "e{i}" c1 /bin/echo hi

ctr tasks kill -s KILL c1
until_ok 20 sh -c "command ctr --address $W/containerd.sock --namespace $NS tasks ls | grep -q 'c1 .*STOPPED'"
ctr tasks delete c1 >&2
ctr containers delete c1
say "c1 stopped and removed"
ctr images rm "$IMAGE" >/dev/null
stop_pid "$CTD" 20
