#!/usr/bin/env bash
# Fetches what the qemu end-to-end pioctl test needs, without installing
# anything system-wide (shared/spec/pioctl-kernel-test.md §1, §5.1):
#   - Debian's kernel (resolved through the linux-image-amd64 metapackage):
#     only boot/vmlinuz-* and kernel/fs/coda/coda.ko are kept;
#   - busybox-static: only bin/busybox is kept;
#   - qemu-system-x86 and the run-time dependencies this machine lacks,
#     unpacked with dpkg -x into <cache>/qemu.
# Usage: fetch.sh <cache-dir>. Prints nothing on stdout but the cache paths
# as shell assignments (KERNEL=, CODA_KO=, BUSYBOX=, QEMU_ROOT=).
# Idempotent: a filled cache is reused without network access.
set -euo pipefail

cache=${1:?usage: fetch.sh <cache-dir>}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
log() { echo "fetch.sh: $*" >&2; }

apt_ready() { apt-cache show "$1" >/dev/null 2>&1; }
if ! apt_ready linux-image-amd64 || ! apt_ready qemu-system-x86 || ! apt_ready busybox-static; then
    log "apt lists lack the packages; running apt-get update"
    apt-get update -qq >&2
fi

# --- kernel -----------------------------------------------------------------
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$kpkg" ] || { log "cannot resolve linux-image-amd64 to a versioned kernel package"; exit 1; }
kdir=$cache/kernel/$kpkg
if [ ! -s "$kdir/vmlinuz" ] || [ ! -s "$kdir/coda.ko" ]; then
    log "downloading $kpkg"
    tmp=$(mktemp -d "$cache/tmp.XXXXXX")
    (cd "$tmp" && apt-get download -q "$kpkg" >&2)
    dpkg -x "$tmp"/*.deb "$tmp/x"
    mkdir -p "$kdir"
    cp "$tmp"/x/boot/vmlinuz-* "$kdir/vmlinuz.part" && mv "$kdir/vmlinuz.part" "$kdir/vmlinuz"
    ko=$(find "$tmp/x" -path '*/modules/*/kernel/fs/coda/coda.ko' | head -n1)
    [ -n "$ko" ] || { log "$kpkg has no kernel/fs/coda/coda.ko"; exit 1; }
    cp "$ko" "$kdir/coda.ko.part" && mv "$kdir/coda.ko.part" "$kdir/coda.ko"
    rm -rf "$tmp"
fi
# Drop kernels an older metapackage pointed to.
for old in "$cache"/kernel/*; do
    [ "$old" = "$kdir" ] || rm -rf "$old"
done

# --- busybox ----------------------------------------------------------------
bb=$cache/busybox/busybox
if [ ! -x "$bb" ]; then
    log "downloading busybox-static"
    tmp=$(mktemp -d "$cache/tmp.XXXXXX")
    (cd "$tmp" && apt-get download -q busybox-static >&2)
    dpkg -x "$tmp"/*.deb "$tmp/x"
    mkdir -p "$cache/busybox"
    cp "$tmp/x/bin/busybox" "$bb.part" && mv "$bb.part" "$bb"
    rm -rf "$tmp"
fi

# --- qemu -------------------------------------------------------------------
qroot=$cache/qemu
if [ ! -x "$qroot/usr/bin/qemu-system-x86_64" ]; then
    log "downloading qemu-system-x86 and its missing run-time dependencies"
    debs=$cache/qemu-debs
    mkdir -p "$debs/partial"
    # --download-only resolves the dependency set against this machine and
    # changes nothing installed; the .debs land in our own directory.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --download-only \
        -o Dir::Cache::archives="$debs" qemu-system-x86 >&2
    # Already installed system-wide: apt downloads nothing for it, so fetch
    # the package itself (its dependencies are then on the system).
    if ! ls "$debs"/qemu-system-x86_*.deb >/dev/null 2>&1; then
        (cd "$debs" && apt-get download -q qemu-system-x86 >&2)
    fi
    tmp=$(mktemp -d "$cache/tmp.XXXXXX")
    for d in "$debs"/*.deb; do dpkg -x "$d" "$tmp"; done
    [ -x "$tmp/usr/bin/qemu-system-x86_64" ] || { log "qemu-system-x86_64 missing after unpacking"; exit 1; }
    rm -rf "$qroot"
    mv "$tmp" "$qroot"
    rm -rf "$debs"
fi

echo "KERNEL=$kdir/vmlinuz"
echo "CODA_KO=$kdir/coda.ko"
echo "BUSYBOX=$bb"
echo "QEMU_ROOT=$qroot"
