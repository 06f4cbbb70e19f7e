#!/usr/bin/env bash
# Benchmark of `coda-rs copy` against `cp -a`, `rsync -a` and `tar c | tar x`
# (issue 7). Not part of CI: run by hand, as root, on an idle machine if you
# have one:
#
#   bash benches/copy-bench.sh [WORKDIR] [ROUNDS]
#
# Data sets: (a) 20,000 small files of 1-16 KiB in 200 directories,
# (b) 20 files of 64 MiB. The cache is warmed first; every measurement
# copies into a fresh destination on the same filesystem, and `sync` runs
# (untimed) after each copy so that one run's writeback does not land in
# the next one's time. Tools are measured in alternating pairs
# (coda-rs/other, other/coda-rs, ...) and the report gives the median over
# rounds of each pair's time ratio, plus a --jobs 1/2/4/8 scaling table.
# Prints a Markdown section for benches/README.md on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/coda-rs-copy-bench}
ROUNDS=${2:-5}

need=()
command -v rsync >/dev/null || need+=(rsync)
command -v bc >/dev/null || need+=(bc)
if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --release -p coda-rs -q
BIN=${CARGO_TARGET_DIR:-target}/release/coda-rs
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }

mkdir -p "$WORK"
make_small() {
    [ -e "$WORK/small.done" ] && return
    rm -rf "$WORK/small"; mkdir -p "$WORK/small"
    python3 - "$WORK/small" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(7)
for d in range(200):
    sub = os.path.join(root, "dir%03d" % d)
    os.mkdir(sub)
    for f in range(100):
        with open(os.path.join(sub, "file%03d" % f), "wb") as fh:
            fh.write(rng.randbytes(rng.randint(1024, 16384)))
PY
    touch "$WORK/small.done"
}
make_large() {
    [ -e "$WORK/large.done" ] && return
    rm -rf "$WORK/large"; mkdir -p "$WORK/large"
    for i in $(seq -w 1 20); do
        head -c $((64 << 20)) /dev/urandom > "$WORK/large/file$i"
    done
    touch "$WORK/large.done"
}

# run TOOL SRC DST -> prints seconds
run() {
    local tool=$1 src=$2 dst=$3 t0 t1
    rm -rf "$dst"; sync
    t0=$(date +%s%N)
    case $tool in
        coda) "$BIN" copy -q "$src" "$dst" ;;
        coda-j*) "$BIN" copy -q --jobs "${tool#coda-j}" "$src" "$dst" ;;
        cp) cp -a "$src" "$dst" ;;
        rsync) rsync -a "$src/" "$dst/" ;;
        tar) mkdir "$dst" && tar -C "$src" -cf - . | tar -C "$dst" -xpf - ;;
    esac
    t1=$(date +%s%N)
    sync
    echo "scale=4; ($t1 - $t0) / 1000000000" | bc
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }


bench_set() {
    local name=$1 src=$2 dst=$WORK/dst
    local -A ratios times
    tar -C "$src" -cf - . > /dev/null   # warm the cache
    for r in $(seq 1 "$ROUNDS"); do
        for tool in cp rsync tar; do
            if (( r % 2 )); then
                a=$(run coda "$src" "$dst"); b=$(run $tool "$src" "$dst")
            else
                b=$(run $tool "$src" "$dst"); a=$(run coda "$src" "$dst")
            fi
            ratios[$tool]+="$(echo "scale=4; $b / $a" | bc) "
            times[coda]+="$a "; times[$tool]+="$b "
        done
        for j in 1 2 4 8; do
            times[j$j]+="$(run coda-j$j "$src" "$dst") "
        done
    done
    rm -rf "$dst"
    echo
    echo "#### $name"
    echo
    echo "| tool | median time (s) | median ratio tool / coda-rs |"
    echo "| --- | --- | --- |"
    echo "| coda-rs copy (default jobs = $(nproc)) | $(tr ' ' '\n' <<<"${times[coda]}" | grep . | median) | 1 |"
    for tool in cp rsync tar; do
        local label=$tool
        case $tool in cp) label='cp -a';; rsync) label='rsync -a';; tar) label='tar c \| tar x';; esac
        echo "| $label | $(tr ' ' '\n' <<<"${times[$tool]}" | grep . | median) | $(tr ' ' '\n' <<<"${ratios[$tool]}" | grep . | median) |"
    done
    echo
    echo "| --jobs | median time (s) | speed-up vs --jobs 1 |"
    echo "| --- | --- | --- |"
    local t1; t1=$(tr ' ' '\n' <<<"${times[j1]}" | grep . | median)
    for j in 1 2 4 8; do
        local t; t=$(tr ' ' '\n' <<<"${times[j$j]}" | grep . | median)
        echo "| $j | $t | $(echo "scale=2; $t1 / $t" | bc) |"
    done
}

make_small
make_large
echo "### Run of $(date -u +%Y-%m-%d) on $(nproc) cores, $(uname -r), $(df -T "$WORK" | awk 'NR==2 {print $2}'), $ROUNDS rounds"
bench_set "(a) 20,000 small files of 1-16 KiB" "$WORK/small"
bench_set "(b) 20 files of 64 MiB" "$WORK/large"
