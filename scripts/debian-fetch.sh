#!/usr/bin/env bash
# Downloads Debian packages of another architecture and unpacks them under DEST,
# without adding a dpkg architecture or touching the host's apt state: a private
# sources list and apt state under CACHE (default target/debian). Used by the
# Makefile's toolchain step (musl's start files and libc.a, libgcc's unwinder, for
# the targets rustup does not serve) and by `make vm-kernels` (the Debian kernels the
# initramfs VM tests boot). Never by a test.
#
#   scripts/debian-fetch.sh ARCH SUITE DEST PACKAGE...
#
# ARCH is Debian's (arm64, armhf, riscv64), SUITE e.g. bookworm or trixie. A package
# already unpacked in DEST (its .deb kept there) is not fetched again.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 ARCH SUITE DEST PACKAGE..." >&2; exit 2; }
arch=$1 suite=$2 dest=$3
shift 3
cache=${CACHE:-$(dirname "$0")/../target/debian}/$suite-$arch
mkdir -p "$cache/state/lists/partial" "$cache/cache/archives/partial" "$dest/debs"
cache=$(cd "$cache" && pwd) dest=$(cd "$dest" && pwd)
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main" >"$cache/sources.list"
apt=(-o "Dir::Etc::SourceList=$cache/sources.list" -o Dir::Etc::SourceParts=/nonexistent
    -o "Dir::State=$cache/state" -o "Dir::Cache=$cache/cache"
    -o "APT::Architecture=$arch" -o "APT::Architectures=$arch" -o Debug::NoLocking=1
    -o APT::Sandbox::User=root)
# The index is fetched once a day at most.
if [ -z "$(find "$cache/state/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
    apt-get "${apt[@]}" -qq update
fi
for pkg in "$@"; do
    # A metapackage (linux-image-arm64) is followed to the package it depends on.
    while :; do
        deps=$(apt-cache "${apt[@]}" depends --no-recommends --no-suggests "$pkg:$arch" 2>/dev/null |
            sed -n 's/^  Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -1)
        [ -n "$deps" ] || break
        pkg=$deps
    done
    if ! ls "$dest/debs/${pkg}_"*.deb >/dev/null 2>&1; then
        (cd "$dest/debs" && apt-get "${apt[@]}" -qq download "$pkg:$arch")
        dpkg-deb -x "$dest/debs/${pkg}_"*.deb "$dest"
    fi
    echo "$pkg"
done
