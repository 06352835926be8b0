# Sourced by the benchmark scripts: where the binaries they time are.
# Knobs: CARGO_TARGET_DIR, REL (the release dir), RUNLET_BIN, PROBE_BIN.
TARGET=x86_64-unknown-linux-musl
TARGET_DIR=${CARGO_TARGET_DIR:-target}
REL=$(readlink -f "${REL:-$TARGET_DIR/$TARGET/release}")
RUNLET=$(readlink -f "${RUNLET_BIN:-$REL/runlet}")
PROBE=$(readlink -f "${PROBE_BIN:-$REL/probe}")
MKBUNDLE=$REL/mkbundle
BENCHTIME=$REL/benchtime

# In the benchmark's private mount namespace: a hybrid host's cgroup2 mount at
# /sys/fs/cgroup/unified is unmounted (crun 1.8 refuses a hybrid layout) and covered
# by an empty tmpfs of this namespace. crun still writes <id>/cgroup.procs under that
# point; uncovered, those files would land in the host's /sys/fs/cgroup tmpfs and
# stay there. Returns 1 (prints nothing) on a host without that mount.
hide_cgroup2_unified() {
    grep -q ' /sys/fs/cgroup/unified .* - cgroup2 ' /proc/self/mountinfo || return 1
    umount /sys/fs/cgroup/unified
    mount -t tmpfs -o mode=0755,size=1m runlet-bench /sys/fs/cgroup/unified
}
