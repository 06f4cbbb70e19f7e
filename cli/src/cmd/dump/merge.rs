//! `coda-rs dump merge`: incrementals applied to a full dump
//! (codamergedump, spec §10). The result is checked as `dump verify`
//! checks a dump (spec §9.3) and only kept when it passes, or with
//! `--force`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use volume_dump::merge::{merge, MergeOptions};
use volume_dump::source::Source;
use volume_dump::view::MergeView;
use volume_dump::ReadOptions;

use crate::exit;
use crate::interrupt;
use crate::output;
use crate::progress;

/// `coda-rs dump merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The merged dump to write (must not exist).
    pub out: PathBuf,
    /// The full dump, or `-` for stdin (read once, forward).
    pub full: PathBuf,
    /// Incremental dumps, oldest first.
    #[arg(required = true)]
    pub incrementals: Vec<PathBuf>,
    /// Merge even if the ordering stamps say an incremental does not apply
    /// to the dump before it (codamergedump never checks them).
    #[arg(long)]
    pub ignore_stamps: bool,
    /// Accept fields in any order.
    #[arg(long)]
    pub lenient: bool,
    /// Keep a result that fails the checks of `dump verify` (directory
    /// entries naming vnodes it does not hold, vnodes no directory lists),
    /// with a warning.
    #[arg(long)]
    pub force: bool,
    /// The merge is made and checked in OUT's temporary file, which is
    /// then removed instead of renamed to OUT.
    #[command(flatten)]
    pub dry: crate::cmd::DryRun,
    /// Print the summary as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `coda-rs dump merge`.
pub fn run(a: MergeArgs) -> Result<ExitCode> {
    if a.out == Path::new("-") {
        return Err(exit::usage(
            "OUT must be a regular file (its index counts are patched after writing), not stdout",
        ));
    }
    if a.out.symlink_metadata().is_ok() {
        return Err(exit::refused(format!(
            "{}: exists; merge never overwrites its output",
            a.out.display()
        )));
    }
    exit::input_file(&a.full, super::DUMP_FILE)?;
    let read = ReadOptions { lenient: a.lenient };
    let incrementals = super::read_incrementals(&a.incrementals, &a.full, a.lenient)?;
    let mut out = output::create(&a.out, false)?;
    let input = Source::file(&a.full)
        .open()
        .with_context(|| a.full.display().to_string())?;
    let meter = progress::meter(progress::file_total(&a.full));
    let input = progress::Counting::new(input, &meter);
    interrupt::install();
    let input = interrupt::Checked::new(input);
    let opts = MergeOptions {
        read,
        check_stamps: !a.ignore_stamps,
    };
    let report = merge(input, &incrementals, &mut out, opts);
    meter.finish();
    let report = report.with_context(|| a.full.display().to_string())?;
    for w in &report.warnings {
        eprintln!("coda-rs: warning: {w}");
    }
    let check = &report.check;
    if check.rejects() {
        let sev = if a.force { "warning" } else { "error" };
        for p in &check.problems {
            eprintln!(
                "coda-rs: {}: byte offset {}: {sev}: {}",
                a.out.display(),
                p.offset,
                p.message
            );
        }
        let why = check.why();
        if !a.force {
            // Dropping the unfinished output removes it: nothing is written.
            drop(out);
            return Err(anyhow::anyhow!(
                "{}: not written: {why} (use --force to write it anyway)",
                a.out.display()
            ));
        }
        eprintln!(
            "coda-rs: {}: warning: written with --force: {why}",
            a.out.display()
        );
    }
    if a.dry.dry_run {
        // Dropping the output removes its temporary file.
        drop(out);
        crate::verbosity::summary(format_args!(
            "{}; dry run: nothing written",
            report.line(&a.out)
        ));
    } else {
        output::commit(out, &a.out, "exists; merge never overwrites its output")?;
        crate::verbosity::summary(report.line(&a.out));
    }
    if a.json {
        let view = MergeView::new(&report, &a.out.display().to_string());
        crate::cmd::print_json(&mut std::io::stdout().lock(), &view)?;
    }
    Ok(ExitCode::SUCCESS)
}
