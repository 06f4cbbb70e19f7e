#!/usr/bin/env bash
# Fetches what the qemu tape test (tests/tests/tape_qemu.rs) needs, without
# installing or configuring anything system-wide:
#   - busybox and qemu, through scripts/qemu/fetch.sh (the same cache);
#   - the newest Debian kernel that apt can reach through trixie-backports
#     or trixie (flavour cloud-amd64: a VM kernel, a quarter of the generic
#     modules' download), whose scsi_debug can simulate a tape drive
#     (ptype=1). Only the kernel image and the modules scsi_debug and st
#     need (with their dependencies from each module's `depends=`, since
#     the packages ship no modules.dep) are kept, decompressed.
# apt runs with its own sources list, state and cache in <cache>/apt-tape.
# Usage: fetch-tape.sh <cache-dir>. Prints nothing on stdout but shell
# assignments: KERNEL=, KVER=, MODULES= (a directory holding the .ko files
# and `load-order`, one file name a line, dependencies first), BUSYBOX=,
# QEMU_ROOT=. Exit 75 when no kernel could be fetched (no network, no apt
# source): the test then reports itself skipped; any other failure is 1.
# Idempotent: a filled cache is reused; the apt lists are refreshed daily.
set -euo pipefail

cache=${1:?usage: fetch-tape.sh <cache-dir>}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
log() { echo "fetch-tape.sh: $*" >&2; }
unreachable() { log "$*"; exit 75; }

# busybox and qemu (and the bookworm kernel of the pioctl test) first.
base=$(bash "$here/fetch.sh" "$cache")
busybox=$(sed -n 's/^BUSYBOX=//p' <<<"$base")
qroot=$(sed -n 's/^QEMU_ROOT=//p' <<<"$base")

flavour=cloud-amd64
meta=linux-image-$flavour
apt_dir=$cache/apt-tape
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mkdir -p "$apt_dir/etc/sources.list.d" "$apt_dir/etc/preferences.d" \
    "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial"
cat >"$apt_dir/etc/sources.list" <<EOF
deb [signed-by=$keyring] http://deb.debian.org/debian trixie-backports main
deb [signed-by=$keyring] http://deb.debian.org/debian trixie main
EOF
apt_opts=(
    -o "Dir::Etc::sourcelist=$apt_dir/etc/sources.list"
    -o "Dir::Etc::sourceparts=$apt_dir/etc/sources.list.d"
    -o "Dir::Etc::preferencesparts=$apt_dir/etc/preferences.d"
    -o "Dir::State=$apt_dir/state"
    -o "Dir::State::status=/dev/null"
    -o "Dir::Cache=$apt_dir/cache"
    -o "APT::Architecture=amd64"
    -o "Acquire::Languages=none"
    -o "APT::Sandbox::User=root"
    -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
)
kernels=$cache/tape-kernel

# The newest version of package $1 in the scratch lists, and its Depends.
newest() {
    apt-cache "${apt_opts[@]}" show "$1" 2>/dev/null | awk '
        /^Version: / { v = $2 }
        /^Depends: / { d = substr($0, 10) }
        /^$/ { if (v != "") print v "\t" d; v = ""; d = "" }
        END { if (v != "") print v "\t" d }' |
        while IFS=$'\t' read -r v d; do
            if [ -z "${best:-}" ] || dpkg --compare-versions "$v" gt "$best"; then
                best=$v
                echo "$v	$d"
            fi
        done | tail -n1
}

# Names of the Depends ($1, a Depends field) matching the regex $2.
deps_matching() {
    tr ',' '\n' <<<"$1" | sed 's/^ *//; s/ .*//' | grep -E "$2" || true
}

lists_fresh() {
    [ -n "$(find "$apt_dir/state/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null)" ]
}
if ! lists_fresh; then
    log "refreshing the trixie(-backports) package lists in $apt_dir"
    if ! apt-get "${apt_opts[@]}" -q update >&2 || [ -z "$(newest "$meta")" ]; then
        # Without lists apt can reach, fall back to a kernel fetched before.
        old=
        for d in "$kernels"/*/; do [ -d "$d" ] && old=$d; done
        [ -n "$old" ] || unreachable "apt cannot reach trixie(-backports): no kernel for the tape test"
        log "apt unreachable; reusing ${old%/}"
        kdir=${old%/}
    fi
fi

if [ -z "${kdir:-}" ]; then
    line=$(newest "$meta")
    [ -n "$line" ] || unreachable "$meta is not in the trixie(-backports) lists"
    version=${line%%	*}
    kpkg=$(deps_matching "${line#*	}" '^linux-image-[0-9]' | head -n1)
    [ -n "$kpkg" ] || { log "cannot resolve $meta $version to a kernel package"; exit 1; }
    kdir=$kernels/$kpkg-$version
    if [ ! -s "$kdir/vmlinuz" ] || [ ! -s "$kdir/modules/load-order" ]; then
        # Since 6.19 the image package is empty and depends on
        # linux-binary-* (vmlinuz) and linux-modules-*; before, it held both.
        kline=$(apt-cache "${apt_opts[@]}" show "$kpkg=$version" 2>/dev/null |
            sed -n 's/^Depends: //p' | head -n1)
        pkgs=("$kpkg=$version")
        for p in $(deps_matching "$kline" '^linux-(binary|modules)-[0-9]'); do
            pkgs+=("$p=$version")
        done
        log "downloading ${pkgs[*]}"
        tmp=$(mktemp -d "$cache/tmp.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        (cd "$tmp" && apt-get "${apt_opts[@]}" download -q "${pkgs[@]}" >&2) ||
            unreachable "apt-get download ${pkgs[*]} failed"
        for d in "$tmp"/*.deb; do dpkg -x "$d" "$tmp/x"; done
        vmlinuz=$(find "$tmp/x" \( -path '*/boot/vmlinuz-*' -o -path '*/modules/*/vmlinuz' \) -type f | head -n1)
        [ -n "$vmlinuz" ] || { log "no vmlinuz in ${pkgs[*]}"; exit 1; }
        moddir=$(find "$tmp/x" -type d -path '*/modules/*/kernel' | head -n1)
        [ -n "$moddir" ] || { log "no modules in ${pkgs[*]}"; exit 1; }
        rm -rf "$kdir"
        mkdir -p "$kdir.part/modules"
        kver=$(basename "$(dirname "$moddir")")
        echo "$kver" >"$kdir.part/kver"
        cp "$vmlinuz" "$kdir.part/vmlinuz"
        # Depth-first over depends=, so each module follows what it needs.
        declare -A done_mod=()
        order=()
        add_module() {
            local name=$1 file dep
            [ -z "${done_mod[$name]:-}" ] || return 0
            done_mod[$name]=1
            file=$(find "$moddir" \( -name "$name.ko" -o -name "$name.ko.*" \
                -o -name "${name//_/-}.ko" -o -name "${name//_/-}.ko.*" \) | head -n1)
            [ -n "$file" ] || { log "module $name not in the kernel package"; exit 1; }
            case $file in
            *.xz) xz -dc "$file" >"$kdir.part/modules/$name.ko" ;;
            *.zst) zstd -qdc "$file" >"$kdir.part/modules/$name.ko" ;;
            *.gz) gzip -dc "$file" >"$kdir.part/modules/$name.ko" ;;
            *) cp "$file" "$kdir.part/modules/$name.ko" ;;
            esac
            for dep in $(tr '\0' '\n' <"$kdir.part/modules/$name.ko" |
                sed -n 's/^depends=//p' | tr ',' ' '); do
                add_module "$dep"
            done
            order+=("$name.ko")
        }
        add_module scsi_debug
        add_module st
        printf '%s\n' "${order[@]}" >"$kdir.part/modules/load-order"
        mv "$kdir.part" "$kdir"
        rm -rf "$tmp"
        trap - EXIT
    fi
    # Drop kernels an older metapackage pointed to.
    for old in "$kernels"/*; do
        [ "$old" = "$kdir" ] || rm -rf "$old"
    done
fi

echo "KERNEL=$kdir/vmlinuz"
echo "KVER=$(cat "$kdir/kver")"
echo "MODULES=$kdir/modules"
echo "BUSYBOX=$busybox"
echo "QEMU_ROOT=$qroot"
