//! `coda-rs man`: manual pages (roff, section 1) generated from the clap
//! definitions by the `manual` crate: `coda-rs(1)`, the whole reference on
//! one page, and one page per command (`coda-rs-dump-restore(1)`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use beneath::{AtomicOptions, Root};
use clap::{Args, Command};
use manual::Manual;

use crate::{exit, help};

/// Arguments of `coda-rs man`.
#[derive(Args)]
#[command(after_help = "Examples:
  coda-rs man | man -l -
  coda-rs man dump restore | man -l -
  coda-rs man --dir /usr/local/share/man/man1

Without --dir the page of COMMAND goes to stdout (without COMMAND: coda-rs(1),
which also holds every command's reference). With --dir every page is written
into DIR: coda-rs.1, coda-rs-rvm.1, coda-rs-rvm-init.1, ...; a page that is
already there is replaced only with --force.")]
pub struct ManArgs {
    /// The command whose page to print, e.g. `dump restore` [default: the
    /// top level, coda-rs(1)].
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    command: Vec<String>,
    /// Write every page into DIR (created if missing) instead of printing
    /// one.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Replace pages that already exist in DIR.
    #[arg(long, requires = "dir")]
    force: bool,
    /// With --dir: every page is made and DIR checked, nothing written.
    #[command(flatten)]
    dry: crate::cmd::DryRun,
}

/// What every page says beyond the clap definitions.
const MANUAL: Manual = Manual {
    version: env!("CARGO_PKG_VERSION"),
    exit_codes: &help::EXIT_CODES,
};

/// Prints one page, or writes them all into `--dir`.
pub fn run(args: ManArgs, mut cli: Command) -> anyhow::Result<ExitCode> {
    cli.build();
    match &args.dir {
        None => {
            let (cmd, parent) =
                manual::find(&cli, &args.command).map_err(|e| exit::usage(format!("man: {e}")))?;
            let bytes = MANUAL.page(&cli, cmd, parent)?;
            std::io::stdout().lock().write_all(&bytes)?;
        }
        Some(dir) if args.dry.dry_run => {
            let pages = manual::pages(&cli);
            if dir.exists() {
                refuse_existing(&Root::open(dir)?.top(), dir, &pages, args.force)?;
            }
            for (cmd, parent) in &pages {
                MANUAL.page(&cli, cmd, *parent)?;
            }
            crate::verbosity::summary(format_args!(
                "{}: dry run: would write {} pages; nothing written",
                dir.display(),
                pages.len()
            ));
        }
        Some(dir) => write_all(&cli, dir, args.force)?,
    }
    Ok(ExitCode::from(exit::SUCCESS))
}

/// Without `force`, refuses (exit 3) when a page of `pages` is in `dir`
/// (opened as `top`) already.
fn refuse_existing(
    top: &beneath::Dir,
    dir: &std::path::Path,
    pages: &[(&Command, Option<&Command>)],
    force: bool,
) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    for (cmd, _) in pages {
        let name = format!("{}.1", manual::page_name(cmd));
        if top.kind(&name)?.is_some() {
            return Err(exit::refused(format!(
                "{}/{name}: the page exists (use --force to replace it); nothing written",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Writes the page of every command into `dir`, beneath its fd.
fn write_all(cli: &Command, dir: &std::path::Path, force: bool) -> anyhow::Result<()> {
    let subject = dir.display().to_string();
    std::fs::create_dir_all(dir).with_context(|| subject.clone())?;
    let top = Root::open(dir)?.top();
    let pages = manual::pages(cli);
    refuse_existing(&top, dir, &pages, force)?;
    for (cmd, parent) in pages {
        let name = format!("{}.1", manual::page_name(cmd));
        let bytes = MANUAL.page(cli, cmd, parent)?;
        let opts = AtomicOptions {
            mode: 0o644,
            durable: false,
            replace: force,
        };
        let mut file = top.create_atomic(&name, opts)?;
        file.write_all(&bytes)
            .with_context(|| format!("{subject}/{name}"))?;
        match file.commit() {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(exit::refused(format!(
                    "{subject}/{name}: the page exists (use --force to replace it)"
                )))
            }
            r => r?,
        }
        println!("{subject}/{name}");
    }
    Ok(())
}
