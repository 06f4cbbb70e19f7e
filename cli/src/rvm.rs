//! `coda-rs rvm`: RVM log devices and RDS data segments.

use std::process::ExitCode;

use clap::Subcommand;

/// Subcommands of `coda-rs rvm`.
#[derive(Subcommand)]
pub enum RvmCommand {}

/// Runs one `coda-rs rvm` subcommand.
pub fn run(cmd: RvmCommand) -> anyhow::Result<ExitCode> {
    match cmd {}
}
