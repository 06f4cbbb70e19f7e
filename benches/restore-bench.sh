#!/usr/bin/env bash
# Benchmark of `coda-rs dump restore` against `tar -xf` of the equivalent
# tar (made by `coda-rs dump to-tar`, byte-compatible with codadump2tar)
# (issue 5). Not part of CI: run by hand, once:
#
#   bash benches/restore-bench.sh [WORKDIR] [ROUNDS]
#
# Data sets (the recipes of shared/golden/dump/README.md, as in dump_rw):
#   mixed      = root + 20 dirs x 100 files of sizes cycling over
#                {0,100,700,1500,4096,9000,16384,30000} + 45 x 4 MiB (~205 MB)
#   many-small = root + 100 dirs x 200 such files (~158 MB)
# The trees are generated, dumped with `coda-rs dump create`, converted with
# `coda-rs dump to-tar`. Every measurement extracts into a fresh directory
# on the same filesystem with a warm cache; `rm -rf` and `sync` between runs
# are not timed. Wall time and peak RSS come from /usr/bin/time -v (the
# `time` package is installed with apt if missing). Prints a Markdown
# section for benches/README.md on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/coda-rs-restore-bench}
ROUNDS=${2:-3}

if [ ! -x /usr/bin/time ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
cargo build --release -p coda-rs -q
BIN=${CARGO_TARGET_DIR:-target}/release/coda-rs
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
mkdir -p "$WORK"

make_set() { # name dirs files_per_dir big_files
    local name=$1
    [ -e "$WORK/$name.tar" ] && return
    rm -rf "$WORK/$name.src"
    python3 - "$WORK/$name.src" "$2" "$3" "$4" <<'PY'
import os, sys
root, dirs, per, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
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
        fh.write(block * 64)
PY
    "$BIN" dump create "$WORK/$name.src" -o "$WORK/$name.dump" \
        --volume-id 1000102 --volume-name "$name.backup" >/dev/null
    "$BIN" dump to-tar "$WORK/$name.dump" -o "$WORK/$name.tar" >/dev/null
    rm -rf "$WORK/$name.src"
}
make_set mixed 20 100 45
make_set many-small 100 200 0

# measure LABEL CMD...: runs CMD into $WORK/out (fresh) ROUNDS times, prints
# "median_wall_s max_rss_kib".
measure() {
    local walls=() rss=0
    for _ in $(seq "$ROUNDS"); do
        rm -rf "$WORK/out"; mkdir -p "$WORK/out"; sync
        /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/err.txt" || {
            cat "$WORK/err.txt" >&2; exit 1; }
        local w r
        w=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")
        r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
        walls+=("$w"); [ "$r" -gt "$rss" ] && rss=$r
        sync
    done
    local med
    med=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "$med $rss"
}

echo "## dump restore (\`bash benches/restore-bench.sh\`)"
echo
echo "Run $(date -u +%Y-%m-%d), $ROUNDS rounds (median wall time, max peak RSS), $(nproc) vCPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start."
echo
echo "| data set | dump size | tool | wall (s) | MB/s (dump bytes) | peak RSS (MiB) |"
echo "| --- | --- | --- | --- | --- | --- |"
for set in many-small mixed; do
    size=$(stat -c %s "$WORK/$set.dump")
    mb=$(awk -v s="$size" 'BEGIN {printf "%.0f MB", s/1e6}')
    read -r w r < <(measure "$BIN" dump restore --quiet "$WORK/$set.dump" --into "$WORK/out/vol")
    awk -v s="$size" -v w="$w" -v r="$r" -v set="$set" -v mb="$mb" 'BEGIN {printf "| %s | %s | coda-rs dump restore | %.2f | %.0f | %.1f |\n", set, mb, w, s/1e6/w, r/1024}'
    read -r w r < <(measure tar -C "$WORK/out" -xf "$WORK/$set.tar")
    awk -v s="$size" -v w="$w" -v r="$r" -v set="$set" -v mb="$mb" 'BEGIN {printf "| %s | %s | tar -xf (dump to-tar output) | %.2f | %.0f | %.1f |\n", set, mb, w, s/1e6/w, r/1024}'
    read -r w r < <(measure sh -c "cat '$WORK/$set.dump' | '$BIN' dump restore --quiet - --into '$WORK/out/vol'")
    awk -v s="$size" -v w="$w" -v r="$r" -v set="$set" -v mb="$mb" 'BEGIN {printf "| %s | %s | coda-rs dump restore from a pipe | %.2f | %.0f | %.1f |\n", set, mb, w, s/1e6/w, r/1024}'
done
rm -rf "$WORK/out"
