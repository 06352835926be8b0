#!/usr/bin/env bash
# `make bench`, second part: time `runlet exec ID /probe noop` into a running
# container, side by side with the floor (`nsenter -t PID -a /probe noop` into the
# same container: namespaces and root, no cgroups, no process settings) and, when
# installed, `crun exec` / `runc exec` into containers of the same bundle.
# A benchmark, not a test: it prints numbers, ratios and the targets (runlet exec
# <= 0.5x crun exec, <= 1.5x nsenter); it fails only when it cannot run at all.
#
# Knobs (environment): ROUNDS (50), IDLE_MS (300), RUNLET_BIN, PROBE_BIN,
# CARGO_TARGET_DIR.
set -euo pipefail

. "$(dirname "$(readlink -f "$0")")/bench-lib.sh"
ROUNDS=${ROUNDS:-50}
IDLE_MS=${IDLE_MS:-300}

die() { echo "bench-exec: $*" >&2; exit 1; }

if [ "${RUNLET_BENCH_INNER:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || die "starting containers needs root (try: sudo make bench)"
    for f in "$RUNLET" "$PROBE" "$MKBUNDLE" "$BENCHTIME"; do
        [ -x "$f" ] || die "$f missing: build first (make)"
    done
    command -v nsenter >/dev/null || die "nsenter (util-linux) is needed"
    # As scripts/bench.sh: a private mount namespace, where crun 1.8 accepts the host.
    export RUNLET_BENCH_INNER=1 REL RUNLET PROBE
    exec unshare --mount --propagation private "$(readlink -f "$0")" "$@"
fi

echo "== runlet exec benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(uname -srm), $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
if hide_cgroup2_unified; then
    echo "note: hybrid cgroup host; /sys/fs/cgroup/unified unmounted (and covered by an empty tmpfs)"
    echo "      in a private mount namespace"
    echo "      (crun 1.8 refuses a hybrid host): a plain cgroup v1 host for every runtime alike."
fi

WORK=$(mktemp -d /tmp/runlet-bench-exec.XXXXXX)
RUNTIMES=()
cleanup() {
    for rt in "${RUNTIMES[@]}"; do
        case $rt in
        runlet) "$RUNLET" --root "$WORK/root-runlet" delete -f bench-exec-runlet ;;
        *) "$(command -v "$rt")" --root "$WORK/root-$rt" delete -f "bench-exec-$rt" ;;
        esac >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
BUNDLE=$WORK/bundle
"$MKBUNDLE" "$BUNDLE" --probe "$PROBE" -- /probe sleep 100000

start() { # runtime binary
    mkdir -p "$WORK/root-$1"
    "$2" --root "$WORK/root-$1" run -d -b "$BUNDLE" "bench-exec-$1" </dev/null >/dev/null 2>&1 &&
        RUNTIMES+=("$1")
}
start runlet "$RUNLET" || die "runlet run -d failed"
PID=$("$RUNLET" --root "$WORK/root-runlet" state bench-exec-runlet | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
cmds=("runlet=$RUNLET --root $WORK/root-runlet exec bench-exec-runlet /probe noop")
cmds+=("nsenter=$(command -v nsenter) -t $PID -a /probe noop")
for rt in crun runc; do
    if ! command -v $rt >/dev/null; then
        echo "$rt: not installed, left out"
    elif start $rt "$(command -v $rt)"; then
        cmds+=("$rt=$(command -v $rt) --root $WORK/root-$rt exec bench-exec-$rt /probe noop")
        echo "  $rt: $($rt --version | head -1)"
    else
        echo "$rt: could not start its container, left out"
    fi
done
echo "bundle: $BUNDLE (mkbundle, init /probe sleep); each runtime execs /probe noop into its own"
echo "running container; nsenter enters runlet's (init pid $PID). $ROUNDS rounds, interleaved."
for c in "${cmds[@]}"; do echo "  ${c%%=*}: ${c#*=}"; done

declare -A MED
run_mode() { # mode idle_ms
    local mode=$1 idle=$2 out
    echo
    if [ "$idle" = 0 ]; then echo "-- back-to-back"; else echo "-- spaced (idle ${idle} ms before each exec)"; fi
    out=$("$BENCHTIME" "$ROUNDS" "$idle" "${cmds[@]}")
    printf '%-8s %10s %10s %10s %6s %6s %12s\n' runtime "median ms" "p10 ms" "p90 ms" runs fails "maxrss KiB"
    while read -r kind name rest; do
        case $kind in
        result)
            local v
            declare -A f=()
            for v in $rest; do f[${v%%=*}]=${v#*=}; done
            MED[$mode.$name]=${f[median_us]}
            awk -v n="$name" -v m="${f[median_us]}" -v a="${f[p10_us]}" -v b="${f[p90_us]}" \
                -v r="${f[runs]}" -v x="${f[fails]}" -v s="${f[maxrss_kib]}" \
                'BEGIN { printf "%-8s %10.2f %10.2f %10.2f %6d %6d %12d\n", n, m/1000, a/1000, b/1000, r, x, s }'
            ;;
        dropped | error) echo "$kind $name $rest" ;;
        esac
    done <<<"$out"
    echo "ratios of medians:"
    for pair in "runlet crun" "runlet runc" "runlet nsenter" "crun nsenter" "runc nsenter"; do
        set -- $pair
        local a=${MED[$mode.$1]:-} b=${MED[$mode.$2]:-}
        [ -n "$a" ] && [ -n "$b" ] && [ "$b" != 0 ] &&
            awk -v a="$a" -v b="$b" -v x="$1" -v y="$2" 'BEGIN { printf "  %s / %s = %.2f\n", x, y, a/b }'
    done
    return 0
}
run_mode b2b 0
run_mode spaced "$IDLE_MS"

echo
echo "-- targets"
verdict() { # label a b limit
    [ -n "$2" ] && [ -n "$3" ] && awk -v l="$1" -v a="$2" -v b="$3" -v m="$4" \
        'BEGIN { v = a / b; printf "  %-36s %6.2f x (target <= %s) %s\n", l, v, m, (v <= m ? "met" : sprintf("MISSED by %.0f%%", (v / m - 1) * 100)) }'
    return 0
}
for mode in b2b spaced; do
    label=$([ $mode = b2b ] && echo back-to-back || echo spaced)
    verdict "runlet exec / crun exec ($label)" "${MED[$mode.runlet]:-}" "${MED[$mode.crun]:-}" 0.5
    verdict "runlet exec / nsenter ($label)" "${MED[$mode.runlet]:-}" "${MED[$mode.nsenter]:-}" 1.5
done
