#!/usr/bin/env bash
# Benchmark of `coda-rs dump restore` against `tar -xf` of the equivalent
# tar (made by `coda-rs dump to-tar`, byte-compatible with codadump2tar),
# and of `dump to-tar -o` (synced before its rename) against the same
# conversion unsynced and `dd conv=fdatasync` (issues 5 and 12). Not part
# of CI: run by hand, as root:
#
#   bash benches/restore-bench.sh [WORKDIR] [PAIRS]
#
# CODA_RS_BIN=path uses that binary instead of building the release one
# (e.g. to compare two builds on the same data).
#
# Data sets (the recipes of shared/golden/dump/README.md, as in dump_rw):
#   mixed      = root + 20 dirs x 100 files of sizes cycling over
#                {0,100,700,1500,4096,9000,16384,30000} + 45 x 4 MiB (~205 MB)
#   many-small = root + 100 dirs x 200 such files (~158 MB)
#   large      = root + 20 x 64 MiB files (~1.3 GB)
# The trees are generated, dumped with `coda-rs dump create`, converted with
# `coda-rs dump to-tar`. Every measurement extracts into a fresh directory
# on the same filesystem with a warm cache; `rm -rf` and `sync` before and
# after every run are not timed. Tools run in alternating pairs (coda-rs
# first in odd rounds, second in even ones), PAIRS rounds (default 7); the
# tables give medians of wall time, of CPU time (user + system, from
# /usr/bin/time) and of each pair's ratio, and the largest peak RSS.
# Prints a Markdown section for benches/README.md on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/coda-rs-restore-bench}
PAIRS=${2:-7}

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v bc >/dev/null || need+=(bc)
if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ -n "${CODA_RS_BIN:-}" ]; then
    BIN=$CODA_RS_BIN
else
    cargo build --release -p coda-rs -q
    BIN=${CARGO_TARGET_DIR:-target}/release/coda-rs
fi
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
mkdir -p "$WORK"

make_set() { # name dirs files_per_dir big_files big_mib
    local name=$1
    [ -e "$WORK/$name.tar" ] && return
    rm -rf "$WORK/$name.src"
    python3 - "$WORK/$name.src" "$2" "$3" "$4" "$5" <<'PY'
import os, sys
root, dirs, per, big, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sizes = [0, 100, 700, 1500, 4096, 9000, 16384, 30000]
os.makedirs(root)
n = 0
for d in range(dirs):
    sub = os.path.join(root, "dir%03d" % d)
    os.mkdir(sub)
    for f in range(per):
        size = sizes[n % len(sizes)]
        with open(os.path.join(sub, "file%04d" % f), "wb") as fh:
            fh.write(bytes([(n * 7 + i) & 0xFF for i in range(min(size, 256))]) * (size // 256)
                     + bytes([(n + i) & 0xFF for i in range(size % 256)]) if size else b"")
        n += 1
for b in range(big):
    with open(os.path.join(root, "big%02d.bin" % b), "wb") as fh:
        block = bytes([(b + i) & 0xFF for i in range(65536)])
        for _ in range(mib):
            fh.write(block * 16)
PY
    "$BIN" dump create "$WORK/$name.src" -o "$WORK/$name.dump" \
        --volume-id 1000102 --volume-name "$name.backup" >/dev/null
    "$BIN" dump to-tar "$WORK/$name.dump" -o "$WORK/$name.tar" >/dev/null
    rm -rf "$WORK/$name.src"
}
make_set many-small 100 200 0 0
make_set mixed 20 100 45 4
make_set large 0 0 20 64

# timed CMD...: runs CMD (stdout discarded), after a fresh $WORK/out and a
# sync; prints "wall_s cpu_s max_rss_kib". The sync after it is not timed.
timed() {
    rm -rf "$WORK/out" "$WORK/out.tar"; mkdir -p "$WORK/out"; sync
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S %M' -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/err.txt" || {
        cat "$WORK/err.txt" >&2; exit 1; }
    t1=$(date +%s%N)
    sync
    read -r u s m < "$WORK/time.txt"
    echo "$(echo "scale=4; ($t1 - $t0) / 1000000000" | bc) $(echo "$u + $s" | bc) $m"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v c="$1" '{print $c}'; }

# pairs NAME_A CMD_A NAME_B CMD_B: PAIRS alternating rounds; fills
# $WORK/NAME_{A,B}.txt with "wall cpu rss" lines and $WORK/NAME_A-NAME_B.ratio
# with b_wall / a_wall per round.
pairs() {
    local na=$1 ca=$2 nb=$3 cb=$4 a b
    : > "$WORK/$na.txt"; : > "$WORK/$nb.txt"; : > "$WORK/$na-$nb.ratio"
    for r in $(seq 1 "$PAIRS"); do
        if (( r % 2 )); then
            a=$(timed sh -c "$ca"); b=$(timed sh -c "$cb")
        else
            b=$(timed sh -c "$cb"); a=$(timed sh -c "$ca")
        fi
        echo "$a" >> "$WORK/$na.txt"; echo "$b" >> "$WORK/$nb.txt"
        echo "scale=4; $(echo "$b" | col 1) / $(echo "$a" | col 1)" | bc >> "$WORK/$na-$nb.ratio"
    done
}

row() { # label file size_bytes
    local w c r
    w=$(col 1 < "$2" | median); c=$(col 2 < "$2" | median)
    r=$(col 3 < "$2" | sort -g | tail -1)
    awk -v l="$1" -v w="$w" -v c="$c" -v r="$r" -v s="$3" \
        'BEGIN {printf "| %s | %.3f | %.3f | %.0f | %.1f |\n", l, w, c, s/1e6/w, r/1024}'
}

echo "## dump restore and to-tar (\`bash benches/restore-bench.sh\`)"
echo
echo "Run $(date -u +%Y-%m-%dT%H:%MZ), $PAIRS alternating pairs, $(nproc) vCPUs, $(uname -r), $(df -T "$WORK" | awk 'NR==2 {print $2}'); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
for set in many-small mixed large; do
    D=$WORK/$set.dump T=$WORK/$set.tar
    size=$(stat -c %s "$D")
    R="'$BIN' dump restore --quiet"
    pairs coda "$R '$D' --into '$WORK/out/vol'" tar "tar -C '$WORK/out' -xf '$T'"
    pairs pipe "cat '$D' | $R - --into '$WORK/out/vol'" file "$R '$D' --into '$WORK/out/vol'"
    pairs synced "'$BIN' dump to-tar '$D' -o '$WORK/out.tar'" unsynced "'$BIN' dump to-tar '$D' > '$WORK/out.tar'"
    pairs dd "dd if='$D' of='$WORK/out.tar' bs=4M conv=fdatasync status=none" synced2 "'$BIN' dump to-tar '$D' -o '$WORK/out.tar'"
    echo
    echo "#### $set ($(awk -v s="$size" 'BEGIN {printf "%.0f MB", s/1e6}') dump)"
    echo
    echo "| run | median wall (s) | median CPU (s) | MB/s (dump bytes) | peak RSS (MiB) |"
    echo "| --- | --- | --- | --- | --- |"
    row "coda-rs dump restore FILE" "$WORK/coda.txt" "$size"
    row "tar -xf (dump to-tar output)" "$WORK/tar.txt" "$size"
    row "coda-rs dump restore - (from a pipe)" "$WORK/pipe.txt" "$size"
    row "coda-rs dump to-tar -o (synced, renamed)" "$WORK/synced.txt" "$size"
    row "coda-rs dump to-tar > file (unsynced)" "$WORK/unsynced.txt" "$size"
    row "dd bs=4M conv=fdatasync" "$WORK/dd.txt" "$size"
    echo
    echo "Median ratios over the pairs: tar -xf / restore **$(median < "$WORK/coda-tar.ratio")x**;" \
        "restore from a file / from a pipe $(median < "$WORK/pipe-file.ratio");" \
        "to-tar unsynced / synced $(median < "$WORK/synced-unsynced.ratio")," \
        "synced / dd $(median < "$WORK/dd-synced2.ratio") (1 or less: the sync costs nothing more than dd's)."
done
rm -rf "$WORK/out" "$WORK/out.tar"
