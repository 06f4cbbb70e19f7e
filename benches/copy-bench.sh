#!/usr/bin/env bash
# Benchmark of `coda-rs copy` against `cp -a`, `rsync -a` and `tar c | tar x`
# (issues 7 and 12). Not part of CI: run by hand, as root, on an idle
# machine if you have one:
#
#   bash benches/copy-bench.sh [WORKDIR] [PAIRS]
#
# Give a WORKDIR on a journaled file system, as a server partition is: on
# ext4 without a journal (this VM's /) every inode allocated after the
# previous run's `rm -rf` scans recently freed inodes (the kernel's
# recently_deleted()), which dominates every tool's time (issue 12 profile).
# CODA_RS_BIN=path uses that binary instead of building the release one.
#
# Data sets: (a) 20,000 small files of 1-16 KiB in 200 directories,
# (b) 20 files of 64 MiB, (c) the sparse tree: 4,000 files of random size
# 0-16 KiB spread over d{i%37}/e{i%11}/f{i}, one file `sparse` of
# 512 MiB + 3 bytes apparent size holding 64 KiB of data at 1 MiB and 3
# bytes at 512 MiB (everything else a hole), and hard and symbolic links.
# The cache is warmed first; every measurement copies into a fresh
# destination on the same filesystem; `rm -rf` and a `sync` before and
# after every copy are not timed. coda-rs and `cp -a` run in PAIRS
# alternating pairs (default 7), coda-rs first in odd rounds; `--jobs 1`
# against `cp -a` likewise; rsync and tar in 3 pairs. The tables give
# medians of wall time, CPU time (user + system) and of each pair's ratio.
# Prints a Markdown section for benches/README.md on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/bench-lib.sh
bench_setup copy "$@"

# data_set NAME MAKE: the data set $WORK/NAME, filled by `MAKE DIR` once
# ($WORK/NAME.done marks it complete; later runs reuse it).
data_set() {
    [ -e "$WORK/$1.done" ] && return
    rm -rf "${WORK:?}/$1"; mkdir -p "$WORK/$1"
    "$2" "$WORK/$1"
    touch "$WORK/$1.done"
}
small_files() { # DIR
    python3 - "$1" <<'PY'
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
}
large_files() { # DIR
    for i in $(seq -w 1 20); do
        head -c $((64 << 20)) /dev/urandom > "$1/file$i"
    done
}
sparse_tree() { # DIR
    python3 - "$1" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(12)
for i in range(4000):
    sub = os.path.join(root, "d%d" % (i % 37), "e%d" % (i % 11))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%d" % i), "wb") as fh:
        fh.write(rng.randbytes(rng.randint(0, 16384)))
with open(os.path.join(root, "sparse"), "wb") as fh:
    fh.seek(1 << 20)
    fh.write(rng.randbytes(64 << 10))
    fh.seek(512 << 20)
    fh.write(b"end")
for i in range(0, 4000, 97):
    src = os.path.join(root, "d%d" % (i % 37), "e%d" % (i % 11), "f%d" % i)
    os.link(src, os.path.join(root, "d%d" % ((i + 1) % 37), "link%d" % i))
    os.symlink("../d%d/e%d/f%d" % (i % 37, i % 11, i), os.path.join(root, "d%d" % ((i + 2) % 37), "sym%d" % i))
PY
}

DST=$WORK/dst
reset() { rm -rf "$DST"; }
cmd() { # TOOL SRC
    case $1 in
        coda) echo "'$BIN' copy -q '$2' '$DST'" ;;
        coda-j1) echo "'$BIN' copy -q --jobs 1 '$2' '$DST'" ;;
        cp) echo "cp -a '$2' '$DST'" ;;
        rsync) echo "rsync -aH '$2/' '$DST/'" ;;
        tar) echo "mkdir '$DST' && tar -C '$2' -cf - . | tar -C '$DST' -xpf -" ;;
    esac
}

bench_set() {
    local name=$1 src=$2
    tar -C "$src" -cf - . > /dev/null   # warm the cache
    pairs coda "$(cmd coda "$src")" cp "$(cmd cp "$src")"
    pairs coda-j1 "$(cmd coda-j1 "$src")" cp-j1 "$(cmd cp "$src")"
    local keep=$PAIRS; PAIRS=3
    pairs coda-r "$(cmd coda "$src")" rsync "$(cmd rsync "$src")"
    pairs coda-t "$(cmd coda "$src")" tar "$(cmd tar "$src")"
    PAIRS=$keep
    echo
    echo "#### $name"
    echo
    echo "| run | median wall (s) | median CPU (s) | peak RSS (MiB) |"
    echo "| --- | --- | --- | --- |"
    row "coda-rs copy (default jobs = $(nproc))" coda
    row "cp -a" cp
    row "coda-rs copy --jobs 1" coda-j1
    row "rsync -aH (3 pairs)" rsync
    row "tar c \\| tar x (3 pairs)" tar
    echo
    echo "Median ratios over the pairs (above 1: coda-rs is faster): cp -a / coda-rs **$(ratio coda cp)x**;" \
        "cp -a / coda-rs --jobs 1 $(ratio coda-j1 cp-j1)x; rsync -aH / coda-rs $(ratio coda-r rsync)x;" \
        "tar / coda-rs $(ratio coda-t tar)x."
}

data_set small small_files
data_set large large_files
data_set sparse sparse_tree
echo "### copy (\`bash benches/copy-bench.sh\`)"
echo
run_line
bench_set "(a) 20,000 small files of 1-16 KiB" "$WORK/small"
bench_set "(b) 20 files of 64 MiB" "$WORK/large"
bench_set "(c) sparse tree: 4,000 files of 0-16 KiB, a 512 MiB sparse file, links" "$WORK/sparse"
rm -rf "$DST"
