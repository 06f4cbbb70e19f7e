//! `coda-rs`: recover Coda File System servers after a disaster.
//!
//! The binary only parses arguments, calls the libraries and prints; the
//! work is done in the `rvm`, `volume-dump` and `cfs-ioctl` crates.

mod cmd;
mod completions;
mod copy;
mod drill;
mod drill_sample;
mod exit;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Recover Coda File System servers after a disaster.
#[derive(Parser)]
#[command(name = "coda-rs", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  coda-rs rvm init --log /vice/LOG --log-size 20M --data /vice/DATA --data-size 256M\n  coda-rs rvm status /vice/LOG"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// RVM log devices and RDS data segments (rvmutl, rdsinit).
    #[command(subcommand)]
    Rvm(cmd::rvm::RvmCommand),
    /// Volume dump streams (volutil dump, codareaddump, codadump2tar).
    #[command(subcommand)]
    Dump(cmd::dump::DumpCommand),
    /// Venus pioctls (cfs).
    #[command(subcommand)]
    Cfs(cmd::cfs::CfsCommand),
    /// Copy volume trees keeping everything, in parallel (restorevolumes).
    Copy(copy::CopyArgs),
    /// Backup and recreation planning from VolumeList and VRList.
    #[command(subcommand)]
    Plan(cmd::plan::PlanCommand),
    /// The reinitialisation procedure as a resumable runbook.
    #[command(subcommand)]
    Reinit(cmd::reinit::ReinitCommand),
    /// Rehearse the whole recovery on built-in data (no Coda server needed).
    Drill(drill::DrillArgs),
    /// Backup tapes: tape files, tar members, labels.
    #[command(subcommand)]
    Tape(cmd::tape::TapeCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff).
    Man(completions::ManArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return exit::clap_error(e),
    };
    let result = match cli.command {
        Command::Rvm(cmd) => cmd::rvm::run(cmd),
        Command::Dump(cmd) => cmd::dump::run(cmd),
        Command::Cfs(cmd) => cmd::cfs::run(cmd),
        Command::Copy(args) => copy::run(args),
        Command::Plan(cmd) => cmd::plan::run(cmd),
        Command::Reinit(cmd) => cmd::reinit::run(cmd),
        Command::Drill(args) => drill::run(args),
        Command::Tape(cmd) => cmd::tape::run(cmd),
        Command::Completions(args) => completions::completions(args, Cli::command()),
        Command::Man(args) => completions::man(args, Cli::command()),
    };
    exit::finish(result)
}
