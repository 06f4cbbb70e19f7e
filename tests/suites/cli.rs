//! The binary as a whole: global options, completions and man pages, the drill.
//!
//! One test binary per area; each topic stays in its own file under
//! `tests/tests/` (see `tests/Cargo.toml`).

#[path = "../tests/cli.rs"]
mod cli;
#[path = "../tests/completions_man.rs"]
mod completions_man;
#[path = "../tests/drill_cli.rs"]
mod drill_cli;
