//! Tar output and tape streams: `dump to-tar`, members, robustness, tape properties.
//!
//! One test binary per area; each topic stays in its own file under
//! `tests/tests/` (see `tests/Cargo.toml`).

#[path = "../tests/tape_props.rs"]
mod tape_props;
#[path = "../tests/tar_cli.rs"]
mod tar_cli;
#[path = "../tests/tar_golden.rs"]
mod tar_golden;
#[path = "../tests/tar_members.rs"]
mod tar_members;
#[path = "../tests/tar_robust.rs"]
mod tar_robust;
#[path = "../tests/tar_stream.rs"]
mod tar_stream;

// Helpers shared by the topics above.
#[path = "../tests/hostile_support/mod.rs"]
mod hostile_support;
