//! `coda-rs copy`: trees, failures, races, hostile targets, the fd limit.
//!
//! One test binary per area; each topic stays in its own file under
//! `tests/tests/` (see `tests/Cargo.toml`).

#[path = "../tests/copy_dst_attacks.rs"]
mod copy_dst_attacks;
#[path = "../tests/copy_failures.rs"]
mod copy_failures;
#[path = "../tests/copy_fd_limit.rs"]
mod copy_fd_limit;
#[path = "../tests/copy_races.rs"]
mod copy_races;
#[path = "../tests/copy_tree.rs"]
mod copy_tree;

// Helpers shared by the topics above.
#[path = "../tests/copy_support/mod.rs"]
mod copy_support;
