#!/usr/bin/env bash
# Regenerates parent/src/seccomp/names.rs's x86_64 table and names_x86.rs / names_x32.rs
# from the linux-raw-sys source cargo has fetched (after a linux-raw-sys upgrade).
# x86_64's entries name the crate's constants (`g::__NR_x`); the i386 and x32 tables
# copy the numbers, because the crate compiles only the target's own module.
set -euo pipefail
cd "$(dirname "$0")/.."
ver=$(sed -n 's/^linux-raw-sys = { version = "\([0-9.]*\)".*/\1/p' Cargo.toml)
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/linux-raw-sys-"$ver"/src | head -1)
[ -d "$src" ] || { echo "linux-raw-sys $ver source not found (cargo fetch first)" >&2; exit 1; }
dir=parent/src/seccomp
consts() { grep -o 'pub const __NR_[a-z0-9_]*: u32 = [0-9]*' "$src/$1/general.rs" |
    sed 's/pub const __NR_\([a-z0-9_]*\): u32 = \([0-9]*\)/\1 \2/' | LC_ALL=C sort -k1,1; }

# x86_64: replace the table's body in names.rs.
{
    sed '/^const TABLE: &\[(&str, u32)\] = &\[$/q' $dir/names.rs
    consts x86_64 | awk '{ printf "    (\"%s\", g::__NR_%s),\n", $1, $1 }'
    echo "];"
} >$dir/names.rs.new && mv $dir/names.rs.new $dir/names.rs

for a in x86 x32; do
    {
        sed '/^pub(super) const TABLE: &\[(&str, u32)\] = &\[$/q' $dir/names_$a.rs
        consts $a | awk '{ printf "    (\"%s\", %s),\n", $1, $2 }'
        echo "];"
    } >$dir/names_$a.rs.new && mv $dir/names_$a.rs.new $dir/names_$a.rs
done
echo "regenerated from $src"
