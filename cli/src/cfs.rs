//! `coda-rs cfs`: venus pioctls.

use std::process::ExitCode;

use clap::Subcommand;

/// Subcommands of `coda-rs cfs`.
#[derive(Subcommand)]
pub enum CfsCommand {}

/// Runs one `coda-rs cfs` subcommand.
pub fn run(cmd: CfsCommand) -> anyhow::Result<ExitCode> {
    match cmd {}
}
