//! `coda-rs rvm`: RVM log devices and RDS data segments (rvmutl, rdsinit).
//! The work is the `rvm` crate's; these modules define the arguments, call
//! it and print: [`mod@format`] (init-log, init-data, init), [`read`] (status,
//! show), [`recover`].

mod format;
mod read;
mod recover;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

/// Subcommands of `coda-rs rvm`.
#[derive(Subcommand)]
pub enum RvmCommand {
    /// Format an RVM log (like `rvmutl` `i LOG SIZE`).
    #[command(
        after_help = "Examples:\n  coda-rs rvm init-log /vice/LOG 20M\n  coda-rs rvm init-log /dev/sdb1 100M --force\n  coda-rs rvm init-log /vice/LOG 20M --replace-rvm\n\nTargets in use (mounted, held by the kernel, backing a loop device) are refused even with --force.\n--replace-rvm overwrites only zeros or an RVM log; --force overwrites any data."
    )]
    InitLog(format::InitLogArgs),
    /// Build an RDS data segment and record it in the log (like `rdsinit -f`).
    #[command(
        after_help = "Examples:\n  coda-rs rvm init-data /vice/LOG /vice/DATA 256M 0x50000000 0xfef0000 1M 80 64\n  coda-rs rvm init-data LOG DATA 2097152 0x50000000 983040 1048576 80 64 --sparse\n  coda-rs rvm init-data LOG DATA 2097152 0x50000000 983040 1048576 80 64 --replace-rvm\n\nTargets in use (mounted, held by the kernel, backing a loop device) are refused even with --force.\n--replace-rvm overwrites only zeros or an RVM data segment; --force overwrites any data and discards pending log records."
    )]
    InitData(format::InitDataArgs),
    /// Format a log and a data segment with vice-setup-rvm's recipe.
    #[command(
        after_help = "Examples:\n  coda-rs rvm init --log /vice/LOG --log-size 20M --data /vice/DATA --data-size 256M\n  coda-rs rvm init --log /dev/sdb1 --log-size 90M --data /dev/sdb2 --data-size 1G --force\n  coda-rs rvm init --log /vice/LOG --log-size 20M --data /vice/DATA --data-size 256M --replace-rvm\n\nTargets in use (mounted, held by the kernel, backing a loop device) are refused even with --force.\n--replace-rvm re-formats only zeros or existing RVM structures (a log where the log goes, a segment where the data goes); --force overwrites any data."
    )]
    Init(format::InitArgs),
    /// Print the status of a log (like `rvmutl` `status`).
    #[command(
        after_help = "Examples:\n  coda-rs rvm status /vice/LOG\n  coda-rs rvm status --raw log.img --json"
    )]
    Status(read::StatusArgs),
    /// List the log's records (like `rvmutl` `show all`).
    #[command(
        after_help = "Examples:\n  coda-rs rvm show /vice/LOG\n  coda-rs rvm show /vice/LOG --json"
    )]
    Show(read::ShowArgs),
    /// Apply committed transactions to the data segment and empty the log (like `rvmutl` `recover`).
    #[command(
        after_help = "Examples:\n  coda-rs rvm recover /vice/LOG --dry-run\n  coda-rs rvm recover /vice/LOG\n  coda-rs rvm recover LOG --data /mnt/old/DATA --rescue\n  coda-rs rvm recover LOG --map /vice/DATA=/mnt/vice/DATA --json\n\nRanges are applied only to a real data segment (a valid segment header whose regions fit), or to one whose header the log itself writes (an interrupted init-data); --force applies them to anything else. A target in use is always refused."
    )]
    Recover(recover::RecoverArgs),
}

/// The log every reading command takes, and its layout.
#[derive(Args)]
pub struct LogArgs {
    /// Log file or block device.
    log: PathBuf,
    /// Read a raw-partition image stored in a regular file (status at 8192).
    #[arg(long)]
    raw: bool,
}

/// Runs one `coda-rs rvm` subcommand.
pub fn run(cmd: RvmCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RvmCommand::InitLog(a) => format::init_log(a),
        RvmCommand::InitData(a) => format::init_data(a),
        RvmCommand::Init(a) => format::init(a),
        RvmCommand::Status(a) => {
            let log = a.log().to_path_buf();
            read::status(a).map_err(|e| named_kind(&log, e))
        }
        RvmCommand::Show(a) => {
            let log = a.log().to_path_buf();
            read::show(a).map_err(|e| named_kind(&log, e))
        }
        RvmCommand::Recover(a) => {
            let log = a.log().to_path_buf();
            recover::recover(a).map_err(|e| named_kind(&log, e))
        }
    }
}

/// An input that holds no RVM log where its status block should be, named
/// for what it is (a volume dump, a tar, a data segment, compressed data),
/// as `dump` names an RVM log given to it: `PATH: this is a volume dump
/// (expected an RVM log)`, exit 1. The rvm crate cannot depend on
/// volume-dump (which knows the other kinds), so the binary asks
/// volume-dump's sniffer when rvm reports a bad status block. Any other
/// error, or a file of no known kind, is returned as it was.
fn named_kind(log: &Path, err: anyhow::Error) -> anyhow::Error {
    use volume_dump::kind::{self, Kind};
    if !matches!(err.downcast_ref(), Some(rvm::Error::Corrupt { .. })) {
        return err;
    }
    let Ok(file) = std::fs::File::open(log) else {
        return err;
    };
    let Ok(seen) = kind::decompress(Box::new(file)) else {
        return err;
    };
    let is = seen.kind.describe();
    let why = match (seen.kind, seen.gzip) {
        (Kind::Unknown | Kind::Empty, _) | (Kind::RvmLog, false) => return err,
        (Kind::RvmLog, true) => {
            "this is an RVM log, gzip-compressed (expected an uncompressed RVM log; zcat it into a file first)".to_string()
        }
        (k, gz) => {
            let gz = if gz { ", gzip-compressed" } else { "" };
            let hint = k
                .decompressor()
                .map(|cat| format!("; {cat} it into a file first"))
                .unwrap_or_default();
            format!("this is {is}{gz} (expected an RVM log{hint})")
        }
    };
    anyhow::anyhow!("{}: {why}", log.display())
}
