#!/usr/bin/env bash
# The C side of a static musl build for a target rustup does not serve here (no
# rust-std: the Rust side is built with -Zbuild-std): musl's crt1.o and libc.a from
# Debian's musl-dev, and libgcc's unwinder (libgcc_eh.a, linked as libunwind.a, the
# name std asks for) for std's backtrace code, with scripts/dl-find-object.rs where
# that unwinder wants glibc's _dl_find_object. Lays them out in
# target/cross/TRIPLE/lib, which the Makefile passes to rustc with
# -C link-self-contained=no (mk/cross.mk). Runs from `make toolchain`, never from a
# test. Debian's LLVM libunwind.a is no alternative: it is built with
# _FORTIFY_SOURCE and wants glibc's __vfprintf_chk.
set -euo pipefail
triple=$1
nightly=$2
cd "$(dirname "$0")/.."
case $triple in
    armv7-unknown-linux-musleabihf) arch=armhf suite=bookworm gcc=12 musl=arm-linux-musleabihf ;;
    riscv64gc-unknown-linux-musl) arch=riscv64 suite=trixie gcc=14 musl=riscv64-linux-musl ;;
    *) echo "cross-sysroot: no recipe for $triple" >&2; exit 2 ;;
esac
root=target/cross/$triple
lib=$root/lib
if [ -f "$lib/libc.a" ] && [ -f "$lib/libunwind.a" ] && [ -f "$lib/dl-find-object.o" ]; then exit 0; fi
scripts/debian-fetch.sh "$arch" "$suite" "$root" musl-dev "libgcc-$gcc-dev" >/dev/null
mkdir -p "$lib"
cp "$root/usr/lib/$musl/crt1.o" "$root/usr/lib/$musl/libc.a" "$lib/"
cp "$root"/usr/lib/gcc/*/"$gcc"/libgcc_eh.a "$lib/libunwind.a"
rustc "+$nightly" --target "$triple" --emit=obj -C panic=abort -O \
    scripts/dl-find-object.rs -o "$lib/dl-find-object.o"
echo "cross-sysroot: $lib (musl $(ls "$root"/debs/musl-dev_* | sed 's/.*musl-dev_\([^_]*\)_.*/\1/'), libgcc $gcc)"
