#!/usr/bin/env bash
# `make bench` (second part): seccomp. A benchmark, not a test: it prints numbers,
# ratios and the targets; it fails only when it cannot run at all.
#
# 1. Compile time of podman's default profile (parse + compile, as `runlet create`
#    does it): the ignored unit test `compile_time`, in release mode.
# 2. Syscall cost inside a container under that profile, runlet vs crun (libseccomp's
#    filter), and runlet without a filter:
#    - `getppid` (allowed unconditionally: the kernel's constant-action cache, 5.11+,
#      skips either filter), and
#    - `personality(0xffffffff)` (allowed by an argument rule: the filter runs on
#      every call; this is where the two compilers differ).
#
# Knobs: ROUNDS (7), CALLS (2000000), NO_INSTALL=1 (never apt-get), CARGO_TARGET_DIR.
set -euo pipefail

. "$(dirname "$(readlink -f "$0")")/bench-lib.sh"
ROUNDS=${ROUNDS:-7}
CALLS=${CALLS:-2000000}
PROFILE_SRC=/usr/share/containers/seccomp.json

die() { echo "bench-seccomp: $*" >&2; exit 1; }

if [ "${RUNLET_BENCH_INNER:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || die "starting containers needs root (try: sudo make bench)"
    for f in "$RUNLET" "$PROBE" "$MKBUNDLE"; do
        [ -x "$f" ] || die "$f missing: build first (make)"
    done
    if [ "${NO_INSTALL:-}" != 1 ] && command -v apt-get >/dev/null; then
        missing=""
        [ -f $PROFILE_SRC ] || missing="$missing golang-github-containers-common"
        command -v crun >/dev/null || missing="$missing crun"
        if [ -n "$missing" ]; then
            echo "installing$missing (apt-get)..."
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } >/dev/null 2>&1 ||
                echo "  could not install$missing; going on without"
        fi
    fi
    [ -f $PROFILE_SRC ] || die "$PROFILE_SRC missing (Debian: golang-github-containers-common)"
    WORK=$(mktemp -d /tmp/runlet-bench-seccomp.XXXXXX)
    trap 'rm -rf "$WORK"' EXIT
    echo "== runlet seccomp benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(uname -srm), $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo
    echo "-- compile time of podman's default profile (parse + compile; 2000 rounds in one process)"
    out=$(RUNLET_SECCOMP_OCI_OUT=$WORK/profile.json RUNLET_HELPERS_DIR=$REL \
        cargo test -q --release -p runlet compile_time -- --ignored --nocapture 2>&1) ||
        die "compile_time failed: $out"
    line=$(grep '^seccomp-compile ' <<<"$out") || die "no result from compile_time: $out"
    echo "  ${line#seccomp-compile }"
    med=$(sed 's/.*median_us=\([0-9.]*\).*/\1/' <<<"$line")
    awk -v m="$med" 'BEGIN { printf "  target: well under 1000 us: %s\n", (m < 500 ? "met" : "MISSED") }'
    # The same in runlet itself, once per process (its arena allocator, cold caches):
    # `runlet --debug run` times the config load; with the profile less without it is
    # reading, checking and compiling linux.seccomp.
    "$MKBUNDLE" "$WORK/load-with" --probe "$PROBE" --seccomp "$WORK/profile.json" -- /probe noop >/dev/null
    "$MKBUNDLE" "$WORK/load-without" --probe "$PROBE" -- /probe noop >/dev/null
    loadms() { # bundle -> ms at "config ... loaded"
        "$RUNLET" --debug --root "$WORK/root-load" run -b "$WORK/$1" "bsc-load-$RANDOM" 2>&1 >/dev/null |
            sed -n 's/^runlet: debug: *\([0-9.]*\) ms  config .* loaded$/\1/p'
    }
    mkdir -p "$WORK/root-load"
    w=$(for _ in $(seq 21); do loadms load-with; done | sort -n | sed -n 11p)
    wo=$(for _ in $(seq 21); do loadms load-without; done | sort -n | sed -n 11p)
    if [ -n "$w" ] && [ -n "$wo" ]; then
        awk -v a="$w" -v b="$wo" 'BEGIN { printf "  in runlet run (--debug, median of 21): config loaded at %.3f ms with the profile, %.3f ms without: %.0f us for linux.seccomp\n", a, b, (a - b) * 1000 }'
    else
        echo "  in runlet run: no --debug timing found"
    fi
    # The containers run in a private mount namespace (see scripts/bench.sh for why).
    export RUNLET_BENCH_INNER=1 REL RUNLET PROBE WORK
    unshare --mount --propagation private "$(readlink -f "$0")" "$@"
    exit
fi

if hide_cgroup2_unified; then
    echo "note: hybrid cgroup host: /sys/fs/cgroup/unified unmounted (and covered by an empty tmpfs) in this private mount"
    echo "      namespace (crun 1.8 refuses the hybrid layout), for every runtime alike."
fi

for loop in getppid personality; do
    "$MKBUNDLE" "$WORK/$loop" --probe "$PROBE" --seccomp "$WORK/profile.json" \
        -- /probe $loop-loop "$CALLS" >/dev/null
    "$MKBUNDLE" "$WORK/$loop-nofilter" --probe "$PROBE" -- /probe $loop-loop "$CALLS" >/dev/null
done
mkdir -p "$WORK/root-runlet" "$WORK/root-crun"

declare -A NS
one() { # name loop -> ns per call
    local name=$1 loop=$2 out i=$RANDOM
    case $name in
    runlet) out=$("$RUNLET" --root "$WORK/root-runlet" run -b "$WORK/$loop" bsc-runlet-$i) ;;
    runlet-nofilter) out=$("$RUNLET" --root "$WORK/root-runlet" run -b "$WORK/$loop-nofilter" bsc-nof-$i) ;;
    crun) out=$(crun --root "$WORK/root-crun" run -b "$WORK/$loop" bsc-crun-$i) ;;
    esac
    sed -n 's/^ns_per_call=//p' <<<"$out"
}
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }

names=(runlet runlet-nofilter)
if command -v crun >/dev/null; then
    names+=(crun)
    echo "crun: $(crun --version | head -1)"
else
    echo "crun: not installed, left out"
fi
for loop in getppid personality; do
    echo
    echo "-- $loop loop: $CALLS calls per container, $ROUNDS containers each, interleaved"
    declare -A runs=()
    for _ in $(seq "$ROUNDS"); do
        for n in "${names[@]}"; do
            runs[$n]="${runs[$n]:-} $(one "$n" $loop)"
        done
    done
    for n in "${names[@]}"; do
        NS[$loop.$n]=$(tr ' ' '\n' <<<"${runs[$n]}" | grep . | median)
        printf '  %-16s %8s ns per call (median)\n' "$n" "${NS[$loop.$n]:-?}"
    done
    r=${NS[$loop.runlet]:-} c=${NS[$loop.crun]:-} f=${NS[$loop.runlet-nofilter]:-}
    if [ -n "$r" ] && [ -n "$c" ]; then
        awk -v a="$r" -v b="$c" 'BEGIN { printf "  runlet / crun = %.2f (target <= 1, 5%% noise allowed) %s\n", a/b, (a/b <= 1.05 ? "met" : "MISSED") }'
    fi
    if [ -n "$r" ] && [ -n "$f" ]; then
        awk -v a="$r" -v b="$f" 'BEGIN { printf "  runlet filtered / unfiltered = %.2f\n", a/b }'
    fi
    unset runs
done
