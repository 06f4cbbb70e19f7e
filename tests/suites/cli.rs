//! The binary as a whole: global options, completions and man pages, the drill.
//!
//! One test binary per area; each topic stays in its own file under
//! `tests/tests/` (see `tests/Cargo.toml`).

#[path = "../tests/cli.rs"]
mod cli;
#[path = "../tests/completions_man.rs"]
mod completions_man;
#[path = "../tests/completions_shells.rs"]
mod completions_shells;
#[path = "../tests/drill_cli.rs"]
mod drill_cli;
#[path = "../tests/exit_codes.rs"]
mod exit_codes;
#[path = "../tests/help_text.rs"]
mod help_text;
#[path = "../tests/json_schema.rs"]
mod json_schema;
#[path = "../tests/man_pages.rs"]
mod man_pages;
#[path = "../tests/output_flags.rs"]
mod output_flags;
#[path = "../tests/size_flags.rs"]
mod size_flags;
