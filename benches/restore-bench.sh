#!/usr/bin/env bash
# Benchmark of `coda-rs dump restore` against `tar -xf` of the equivalent
# tar (made by `coda-rs dump to-tar`, byte-compatible with codadump2tar),
# and of `dump to-tar -o` (synced before its rename) against the same
# conversion unsynced and `dd conv=fdatasync` (issues 5 and 12). Not part
# of CI: run by hand, as root:
#
#   bash benches/restore-bench.sh [WORKDIR] [PAIRS]
#
# Give a WORKDIR on a journaled file system, as a server partition is: on
# ext4 without a journal (this VM's /) every inode allocated after the
# previous run's `rm -rf` scans recently freed inodes (the kernel's
# recently_deleted()), which dominates every tool's time (issue 12 profile).
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
. benches/bench-lib.sh
bench_setup restore "$@"

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

reset() { rm -rf "$WORK/out" "$WORK/out.tar"; mkdir -p "$WORK/out"; }

echo "## dump restore and to-tar (\`bash benches/restore-bench.sh\`)"
echo
run_line
for set in many-small mixed large; do
    D=$WORK/$set.dump T=$WORK/$set.tar
    size=$(stat -c %s "$D")
    R="'$BIN' dump restore --quiet"
    pairs coda "$R '$D' --into '$WORK/out/vol'" tar "tar -C '$WORK/out' -xf '$T'"
    pairs file "$R '$D' --into '$WORK/out/vol'" pipe "cat '$D' | $R - --into '$WORK/out/vol'"
    pairs unsynced "'$BIN' dump to-tar '$D' > '$WORK/out.tar'" synced "'$BIN' dump to-tar '$D' -o '$WORK/out.tar'"
    pairs dd "dd if='$D' of='$WORK/out.tar' bs=4M conv=fdatasync status=none" synced2 "'$BIN' dump to-tar '$D' -o '$WORK/out.tar'"
    echo
    echo "#### $set ($(awk -v s="$size" 'BEGIN {printf "%.0f MB", s/1e6}') dump)"
    echo
    echo "| run | median wall (s) | median CPU (s) | MB/s (dump bytes) | peak RSS (MiB) |"
    echo "| --- | --- | --- | --- | --- |"
    row "coda-rs dump restore FILE" coda "$size"
    row "tar -xf (dump to-tar output)" tar "$size"
    row "coda-rs dump restore - (from a pipe)" pipe "$size"
    row "coda-rs dump to-tar -o (synced, renamed)" synced "$size"
    row "coda-rs dump to-tar > file (unsynced)" unsynced "$size"
    row "dd bs=4M conv=fdatasync" dd "$size"
    echo
    echo "Median ratios over the pairs: tar -xf / restore **$(ratio coda tar)x**" \
        "(above 1: coda-rs is faster); restore from a pipe / from a file $(ratio file pipe);" \
        "to-tar -o synced / unsynced $(ratio unsynced synced), synced / dd conv=fdatasync $(ratio dd synced2)."
done
rm -rf "$WORK/out" "$WORK/out.tar"
