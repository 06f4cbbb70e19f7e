//! `coda-rs dump`: volume dump streams.

use std::process::ExitCode;

use clap::Subcommand;

/// Subcommands of `coda-rs dump`.
#[derive(Subcommand)]
pub enum DumpCommand {}

/// Runs one `coda-rs dump` subcommand.
pub fn run(cmd: DumpCommand) -> anyhow::Result<ExitCode> {
    match cmd {}
}
