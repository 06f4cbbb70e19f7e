#!/usr/bin/env bash
# The main job: `coda-rs drill`, the whole recovery rehearsed on built-in
# data (sample volume tree, full and incremental dump, RVM log and data
# segment, restore of the dump chain, parallel copy, verification of
# everything) in a scratch directory, with a timed report. No Coda server
# is needed. Exit status 0 only if every verification passes.
# Arguments replace the default `--size small` (e.g. `--size medium --json`).
# The scratch directory is removed after a pass and kept after a failure
# (or always, with KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/coda-rs-drill.XXXXXX)
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--size small)
status=0
cargo run --quiet -p coda-rs -- drill --dir "$dir/drill" "${args[@]}" || status=$?
if [ "$status" -eq 0 ] && [ "${KEEP:-0}" != 1 ]; then
    rm -rf "$dir"
else
    echo "scratch directory kept: $dir/drill" >&2
fi
exit "$status"
