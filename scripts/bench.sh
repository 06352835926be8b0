#!/usr/bin/env bash
# `make bench`: time `runlet run` of the probe's no-op on one bundle (and with a user
# namespace, `userns`), side by side
# with the floor (`unshare --pid --fork --mount --uts --ipc --net` of the same
# program) and, when installed, `crun run` and `runc run` on the same bundle.
# A benchmark, not a test: it prints numbers, ratios and the targets; it fails
# only when it cannot run at all.
#
# Knobs (environment): ROUNDS (30), IDLE_MS (300: idle before each spaced run),
# RUNLET_BIN, PROBE_BIN, CARGO_TARGET_DIR, NO_INSTALL=1 (never apt-get).
set -euo pipefail

. "$(dirname "$(readlink -f "$0")")/bench-lib.sh"
ROUNDS=${ROUNDS:-30}
IDLE_MS=${IDLE_MS:-300}

die() { echo "bench: $*" >&2; exit 1; }

if [ "${RUNLET_BENCH_INNER:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || die "starting containers needs root (try: sudo make bench)"
    for f in "$RUNLET" "$PROBE" "$MKBUNDLE" "$BENCHTIME"; do
        [ -x "$f" ] || die "$f missing: build first (make)"
    done
    if [ "${NO_INSTALL:-}" != 1 ]; then
        missing=""
        command -v crun >/dev/null || missing="$missing crun"
        command -v runc >/dev/null || missing="$missing runc"
        if [ -n "$missing" ] && command -v apt-get >/dev/null; then
            echo "installing$missing for the comparison (apt-get)..."
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } >/dev/null 2>&1 ||
                echo "  could not install$missing; going on without"
        fi
    fi
    command -v unshare >/dev/null || die "unshare (util-linux) is needed"
    # Everything below runs in a private mount namespace (see the note it prints).
    export RUNLET_BENCH_INNER=1 REL RUNLET PROBE
    exec unshare --mount --propagation private "$(readlink -f "$0")" "$@"
fi

echo "== runlet start-up benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(uname -srm), $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
cg=$(grep -c ' - cgroup ' /proc/self/mountinfo || true)
if hide_cgroup2_unified; then
    echo "note: hybrid cgroup host ($cg v1 hierarchies + cgroup2 at /sys/fs/cgroup/unified). crun 1.8 refuses"
    echo "      such a host, so every runtime (and the floor) runs in a private mount namespace where"
    echo "      /sys/fs/cgroup/unified is unmounted and covered by an empty tmpfs: a plain cgroup v1"
    echo "      host for all of them alike, and nothing is written into the host's /sys/fs/cgroup."
fi

WORK=$(mktemp -d /tmp/runlet-bench.XXXXXX)
# Searchable by the user namespace's root (host uid 300000), which resolves the rootfs.
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
BUNDLE=$WORK/bundle
"$MKBUNDLE" "$BUNDLE" --probe "$PROBE" -- /probe noop
# The same with a user namespace (ids 0-65535 → 300000-365535): its cost side by side.
"$MKBUNDLE" "$WORK/bundle-userns" --probe "$PROBE" --userns 300000 -- /probe noop
mkdir -p "$WORK/root-runlet" "$WORK/root-crun" "$WORK/root-runc"

cmds=("runlet=$RUNLET --root $WORK/root-runlet run -b $BUNDLE bench-runlet-{i}")
cmds+=("userns=$RUNLET --root $WORK/root-runlet run -b $WORK/bundle-userns bench-userns-{i}")
cmds+=("floor=$(command -v unshare) --pid --fork --mount --uts --ipc --net $BUNDLE/rootfs/probe noop")
if command -v crun >/dev/null; then
    cmds+=("crun=$(command -v crun) --root $WORK/root-crun run -b $BUNDLE bench-crun-{i}")
else
    echo "crun: not installed, left out"
fi
if command -v runc >/dev/null; then
    cmds+=("runc=$(command -v runc) --root $WORK/root-runc run -b $BUNDLE bench-runc-{i}")
else
    echo "runc: not installed, left out"
fi
echo "bundle: $BUNDLE (mkbundle, process /probe noop); $ROUNDS rounds, interleaved; one warm-up run each"
for c in "${cmds[@]}"; do echo "  ${c%%=*}: ${c#*=}"; done
for v in crun runc; do command -v $v >/dev/null && echo "  $v: $($v --version | head -1)"; done

declare -A MED RSS
run_mode() { # mode idle_ms
    local mode=$1 idle=$2 out
    echo
    if [ "$idle" = 0 ]; then
        echo "-- back-to-back (no pause between runs)"
    else
        echo "-- spaced (idle ${idle} ms before each run)"
    fi
    out=$("$BENCHTIME" "$ROUNDS" "$idle" "${cmds[@]}")
    printf '%-8s %10s %10s %10s %6s %6s %12s\n' runtime "median ms" "p10 ms" "p90 ms" runs fails "maxrss KiB"
    while read -r kind name rest; do
        case $kind in
        result)
            local runs fails med p10 p90 rss
            runs=$(sed 's/.*runs=\([0-9]*\).*/\1/' <<<"$rest")
            fails=$(sed 's/.*fails=\([0-9]*\).*/\1/' <<<"$rest")
            med=$(sed 's/.*median_us=\([0-9]*\).*/\1/' <<<"$rest")
            p10=$(sed 's/.*p10_us=\([0-9]*\).*/\1/' <<<"$rest")
            p90=$(sed 's/.*p90_us=\([0-9]*\).*/\1/' <<<"$rest")
            rss=$(sed 's/.*maxrss_kib=\([0-9]*\).*/\1/' <<<"$rest")
            MED[$mode.$name]=$med
            RSS[$name]=$(( ${RSS[$name]:-0} > rss ? ${RSS[$name]:-0} : rss ))
            awk -v n="$name" -v m="$med" -v a="$p10" -v b="$p90" -v r="$runs" -v f="$fails" -v s="$rss" \
                'BEGIN { printf "%-8s %10.2f %10.2f %10.2f %6d %6d %12d\n", n, m/1000, a/1000, b/1000, r, f, s }'
            ;;
        dropped | error) echo "$kind $name $rest" ;;
        esac
    done <<<"$out"
    diff_ms() { # a b -> a-b in ms
        local a=${MED[$mode.$1]:-} b=${MED[$mode.$2]:-}
        [ -n "$a" ] && [ -n "$b" ] &&
            awk -v a="$a" -v b="$b" -v x="$1" -v y="$2" 'BEGIN { printf "  %s - %s = %.2f ms\n", x, y, (a-b)/1000 }'
        return 0
    }
    ratio() { # a b -> a/b
        local a=${MED[$mode.$1]:-} b=${MED[$mode.$2]:-}
        [ -n "$a" ] && [ -n "$b" ] && [ "$b" != 0 ] &&
            awk -v a="$a" -v b="$b" -v x="$1" -v y="$2" 'BEGIN { printf "  %s / %s = %.2f\n", x, y, a/b }'
        return 0
    }
    echo "ratios of medians:"
    diff_ms userns runlet
    ratio runlet crun
    ratio runlet runc
    ratio runlet floor
    ratio crun floor
    ratio runc floor
}

run_mode b2b 0
run_mode spaced "$IDLE_MS"

echo
echo "-- sizes and memory"
size() { stat -c %s "$1" 2>/dev/null || true; }
s_runlet=$(size "$RUNLET")
s_runlet_init=$(size "$(dirname "$RUNLET")/runlet-init")
s_runlet_exec=$(size "$(dirname "$RUNLET")/runlet-exec")
for n in runlet runlet-init runlet-exec; do
    v=s_${n//-/_}
    v=${!v:-}
    if [ -n "$v" ]; then printf '%-12s %8d bytes (%d KiB)\n' $n "$v" $((v / 1024)); else echo "$n: missing"; fi
done
echo "peak RSS of runlet (ru_maxrss of the runlet process, largest over all runs): ${RSS[runlet]:-?} KiB"

echo
echo "-- targets"
kib() { [ -n "$1" ] && awk -v s="$1" 'BEGIN{print s/1024}'; return 0; }
verdict() { # label value limit unit
    awk -v l="$1" -v v="$2" -v m="$3" -v u="$4" \
        'BEGIN { if (v == "") { printf "  %-34s n/a\n", l } else { printf "  %-34s %8.2f %-4s (target <= %s) %s\n", l, v, u, m, (v <= m ? "met" : sprintf("MISSED by %.0f%%", (v / m - 1) * 100)) } }'
}
for mode in b2b spaced; do
    r=${MED[$mode.runlet]:-}
    c=${MED[$mode.crun]:-}
    f=${MED[$mode.floor]:-}
    label=$([ $mode = b2b ] && echo back-to-back || echo spaced)
    [ -n "$r" ] && [ -n "$c" ] && verdict "runlet / crun ($label)" "$(awk -v a="$r" -v b="$c" 'BEGIN{print a/b}')" 0.5 x
    [ -n "$r" ] && [ -n "$f" ] && verdict "runlet / floor ($label)" "$(awk -v a="$r" -v b="$f" 'BEGIN{print a/b}')" 1.5 x
    u=${MED[$mode.userns]:-}
    [ -n "$r" ] && [ -n "$u" ] && verdict "user namespace cost ($label)" "$(awk -v a="$u" -v b="$r" 'BEGIN{print (a-b)/1000}')" 1 ms
done
verdict "peak RSS of runlet" "$(kib "${RSS[runlet]:-}")" 2 MiB
verdict "runlet-init size" "$(kib "$s_runlet_init")" 64 KiB
verdict "runlet-exec size" "$(kib "$s_runlet_exec")" 32 KiB
verdict "runlet size (helpers embedded)" "$(kib "$s_runlet")" 700 KiB
