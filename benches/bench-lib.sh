# Helpers shared by restore-bench.sh and copy-bench.sh (sourced, not run).
#
# The caller calls `bench_setup NAME "$@"` (WORK, the scratch directory,
# and PAIRS, the alternating rounds) and defines `reset`, which prepares a
# fresh destination before every run.

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v bc >/dev/null || need+=(bc)
command -v rsync >/dev/null || need+=(rsync)
if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The coda-rs binary: $CODA_RS_BIN, or the release build.
coda_rs_bin() {
    if [ -n "${CODA_RS_BIN:-}" ]; then
        BIN=$CODA_RS_BIN
    else
        cargo build --release -p coda-rs -q
        BIN=${CARGO_TARGET_DIR:-target}/release/coda-rs
    fi
    [ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
}

# bench_setup NAME [WORKDIR] [PAIRS]: WORK=WORKDIR (default
# /tmp/coda-rs-NAME-bench), made; PAIRS (default 7); BIN (coda_rs_bin).
bench_setup() {
    WORK=${2:-/tmp/coda-rs-$1-bench}
    PAIRS=${3:-7}
    coda_rs_bin
    mkdir -p "$WORK"
}

# timed SHELL-CMD: `reset`, sync, run the command (stdout discarded), sync;
# prints "wall_s cpu_s max_rss_kib" of the command alone (CPU = user +
# system of the shell and everything it waited for).
timed() {
    reset; sync
    local t0 t1 u s m
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S %M' -o "$WORK/time.txt" sh -c "$1" >/dev/null 2>"$WORK/err.txt" || {
        cat "$WORK/err.txt" >&2; exit 1; }
    t1=$(date +%s%N)
    sync
    read -r u s m < "$WORK/time.txt"
    echo "$(echo "scale=4; ($t1 - $t0) / 1000000000" | bc) $(echo "$u + $s" | bc) $m"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v c="$1" '{print $c}'; }

# pairs A CMD_A B CMD_B: PAIRS rounds, A first in odd rounds and second in
# even ones; "wall cpu rss" lines go to $WORK/A.txt and $WORK/B.txt, the
# ratio B wall / A wall of each round to $WORK/A-B.ratio.
pairs() {
    local na=$1 ca=$2 nb=$3 cb=$4 a b r
    : > "$WORK/$na.txt"; : > "$WORK/$nb.txt"; : > "$WORK/$na-$nb.ratio"
    for r in $(seq 1 "$PAIRS"); do
        if (( r % 2 )); then
            a=$(timed "$ca"); b=$(timed "$cb")
        else
            b=$(timed "$cb"); a=$(timed "$ca")
        fi
        echo "$a" >> "$WORK/$na.txt"; echo "$b" >> "$WORK/$nb.txt"
        echo "scale=4; $(echo "$b" | col 1) / $(echo "$a" | col 1)" | bc >> "$WORK/$na-$nb.ratio"
    done
}

# ratio A B: the median of B wall / A wall over the pairs.
ratio() { median < "$WORK/$1-$2.ratio"; }

# row LABEL NAME [BYTES]: a Markdown row with the median wall and CPU time
# of $WORK/NAME.txt, the largest peak RSS, and MB/s when BYTES is given.
row() {
    local w c r
    w=$(col 1 < "$WORK/$2.txt" | median); c=$(col 2 < "$WORK/$2.txt" | median)
    r=$(col 3 < "$WORK/$2.txt" | sort -g | tail -1)
    awk -v l="$1" -v w="$w" -v c="$c" -v r="$r" -v s="${3:-0}" 'BEGIN {
        if (s > 0) printf "| %s | %.3f | %.3f | %.0f | %.1f |\n", l, w, c, s/1e6/w, r/1024;
        else printf "| %s | %.3f | %.3f | %.1f |\n", l, w, c, r/1024 }'
}

# The line every report starts with.
run_line() {
    echo "Run $(date -u +%Y-%m-%dT%H:%MZ), $PAIRS alternating pairs, $(nproc) vCPUs, $(uname -r), $(df -T "$WORK" | awk 'NR==2 {print $2}') at $WORK; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
}
