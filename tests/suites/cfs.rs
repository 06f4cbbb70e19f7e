//! `coda-rs cfs` against the stand-in venus: commands, pioctl layouts, properties.
//!
//! One test binary per area; each topic stays in its own file under
//! `tests/tests/` (see `tests/Cargo.toml`).

#[path = "../tests/cfs_cli.rs"]
mod cfs_cli;
#[path = "../tests/cfs_layout.rs"]
mod cfs_layout;
#[path = "../tests/cfs_props.rs"]
mod cfs_props;

// Helpers shared by the topics above.
#[path = "../tests/cfs_support/mod.rs"]
mod cfs_support;
