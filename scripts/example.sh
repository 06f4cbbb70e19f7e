#!/usr/bin/env bash
# The built-in example: format a 20M RVM log and a 64M RDS data segment in a
# scratch directory with coda-rs, then print the log's status.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p coda-rs
bin=target/release/coda-rs
dir=$(mktemp -d /tmp/coda-rs-example.XXXXXX)
echo "scratch directory: $dir"
"$bin" rvm init --log "$dir/LOG" --log-size 20M --data "$dir/DATA" --data-size 64M
"$bin" rvm status "$dir/LOG"
