//! `coda-rs`: recover Coda File System servers after a disaster.
//!
//! The binary only parses arguments, calls the libraries and prints; the
//! work is done in the `rvm`, `volume-dump` and `cfs-ioctl` crates.

// The doc comments of the clap definitions are the `--help` text, written
// for a terminal (`<mnt>/.CONTROL`, `name[@realm]`), not for rustdoc.
#![allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]

mod cmd;
mod completions;
mod exit;
mod help;
mod interrupt;
mod man;
mod output;
mod progress;
mod verbosity;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Recover Coda File System servers after a disaster.
#[derive(Parser)]
#[command(name = "coda-rs", version, about, long_about = None)]
#[command(after_help = help::top())]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    verbosity: verbosity::VerbosityArgs,
}

#[derive(Subcommand)]
enum Command {
    /// RVM log devices and RDS data segments (rvmutl, rdsinit).
    #[command(subcommand, after_help = help::RVM)]
    Rvm(cmd::rvm::RvmCommand),
    /// Volume dump streams (volutil dump, codareaddump, codadump2tar).
    #[command(subcommand, after_help = help::DUMP)]
    Dump(cmd::dump::DumpCommand),
    /// Venus pioctls (cfs).
    #[command(subcommand, after_help = help::CFS)]
    Cfs(cmd::cfs::CfsCommand),
    /// Copy volume trees keeping everything, in parallel (restorevolumes).
    Copy(cmd::copy::CopyArgs),
    /// Backup and recreation planning from VolumeList and VRList.
    #[command(subcommand, after_help = help::PLAN)]
    Plan(cmd::plan::PlanCommand),
    /// The reinitialisation procedure as a resumable runbook.
    #[command(subcommand, after_help = help::REINIT)]
    Reinit(cmd::reinit::ReinitCommand),
    /// Rehearse the whole recovery on built-in data (no Coda server needed).
    Drill(cmd::drill::DrillArgs),
    /// Backup tapes: tape files, tar members, labels.
    #[command(subcommand, after_help = help::TAPE)]
    Tape(cmd::tape::TapeCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print a manual page (roff), or write every page into a directory.
    Man(man::ManArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return exit::clap_error(e),
    };
    match cli.verbosity.level() {
        Ok(level) => verbosity::set(level),
        Err(e) => return exit::finish(Err(e)),
    }
    let result = match cli.command {
        Command::Rvm(cmd) => cmd::rvm::run(cmd),
        Command::Dump(cmd) => cmd::dump::run(cmd),
        Command::Cfs(cmd) => cmd::cfs::run(cmd),
        Command::Copy(args) => cmd::copy::run(args),
        Command::Plan(cmd) => cmd::plan::run(cmd),
        Command::Reinit(cmd) => cmd::reinit::run(cmd),
        Command::Drill(args) => cmd::drill::run(args),
        Command::Tape(cmd) => cmd::tape::run(cmd),
        Command::Completions(args) => completions::completions(args, Cli::command()),
        Command::Man(args) => man::run(args, Cli::command()),
    };
    if result.is_err() {
        // A signal stopped the work: one line says so (interrupt.rs).
        if let Some(code) = interrupt::finish() {
            return code;
        }
    }
    exit::finish(result)
}
