//! Shared helpers for the coda-rs criterion benchmarks.
