//! `coda-rs rvm init-log | init-data | init`: the formatters.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use rvm::heap::HeapParams;
use rvm::init::{InitOptions, InitPlan, InitSizes};
use rvm::{InitDataOptions, InitLogOptions};
use rvm::{InitDataReport, InitLogReport, Timeval};

use crate::cmd::DryRun;
use crate::exit;
use crate::interrupt;
use crate::progress;
use crate::verbosity;

/// What a formatter may overwrite, and what it reports (every formatter).
#[derive(Args)]
pub struct FormatArgs {
    /// Overwrite a target that holds data: an RVM log or segment, a filesystem, anything. Never a target in use (a mounted or exclusively held device, a file backing a loop device or swap): those are always refused.
    #[arg(long, conflicts_with = "replace_rvm")]
    force: bool,
    /// Re-format RVM only: overwrite a log target only if it is all zero or already holds a valid RVM log, and a data target only if it is all zero or holds a valid RVM segment header; anything else (a filesystem, other data) is refused before anything is written. Unlike --force, it never overwrites user data.
    #[arg(long)]
    replace_rvm: bool,
    #[command(flatten)]
    dry: DryRun,
}

/// `coda-rs rvm init-log`.
#[derive(Args)]
pub struct InitLogArgs {
    /// Log file or block device.
    log: PathBuf,
    /// Size of the record area: bytes, or with a unit K, M, G, T (or KiB … TiB), S (512-byte sectors), P (4096-byte pages), B; 0x hex and 0 octal too; rounded down to 512.
    size: String,
    #[command(flatten)]
    format: FormatArgs,
    /// Write a log over 1 GiB without asking (RVM logs are megabytes: a
    /// size that large is more often a slip, `20G` for `20M`).
    #[arg(long, short)]
    yes: bool,
    /// Print what was formatted as one JSON document on stdout.
    #[arg(long)]
    json: bool,
}

/// Above this a log size is asked about (or needs `--yes`).
const LARGE_LOG: u64 = 1 << 30;

/// `coda-rs rvm init-data`.
#[derive(Args)]
pub struct InitDataArgs {
    /// An initialized RVM log.
    log: PathBuf,
    /// Data segment file or block device.
    data: PathBuf,
    /// Length of the data segment.
    datalen: String,
    /// Virtual address of the heap (e.g. 0x50000000).
    saddr: String,
    /// Length of the heap region.
    heaplen: String,
    /// Length of the statics region.
    staticlen: String,
    /// Number of free lists.
    nlists: String,
    /// Chunk size in bytes (at least 40, a multiple of 8).
    chunk: String,
    #[command(flatten)]
    format: FormatArgs,
    /// Leave the zero-filled parts of a regular file as holes.
    #[arg(long)]
    sparse: bool,
    /// Print what was built as one JSON document on stdout.
    #[arg(long)]
    json: bool,
}

/// `coda-rs rvm init`.
#[derive(Args)]
pub struct InitArgs {
    /// Log file or block device.
    #[arg(long)]
    log: PathBuf,
    /// Size of the log's record area (e.g. 20M).
    #[arg(long)]
    log_size: String,
    /// Data segment file or block device.
    #[arg(long)]
    data: PathBuf,
    /// Size of the data segment (e.g. 256M); heap = size − 1M − 64K.
    #[arg(long)]
    data_size: String,
    #[command(flatten)]
    format: FormatArgs,
    /// Leave the zero-filled parts of a regular data file as holes.
    #[arg(long)]
    sparse: bool,
    /// Print the server.conf settings as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs one formatting step with a progress bar on stderr (only on a
/// terminal, never with `-q`); returns its result and its duration.
fn timed<T>(
    label: &str,
    step: impl FnOnce(&mut dyn FnMut(u64, u64)) -> rvm::Result<T>,
) -> rvm::Result<(T, f64)> {
    let meter = progress::meter(None);
    let mut known = None;
    let mut pause_after = interrupt::pause_after_bytes();
    let start = Instant::now();
    let r = step(&mut |done, total| {
        if known != Some(total) {
            meter.set_total(Some(total));
            known = Some(total);
        }
        meter.show(done, || label.to_string());
        if pause_after.is_some_and(|n| done >= n) {
            pause_after = None;
            interrupt::pause();
        }
    });
    meter.finish();
    let r = r?;
    Ok((r, start.elapsed().as_secs_f64()))
}

/// `, RATE` for the summary line, nothing when no time was measured.
fn rate(bytes: u64, secs: f64) -> String {
    human::rate(bytes, secs).map_or_else(String::new, |r| format!(", {r}"))
}

/// The summary of a log format; `secs`: how long it took, `None` for a
/// dry run (nothing written).
fn log_summary(path: &Path, r: &InitLogReport, secs: Option<f64>) {
    let what = format!(
        "{} log, {} bytes of records, {} bytes in all",
        if r.raw { "raw-partition" } else { "file" },
        r.status.log_size,
        r.total
    );
    crate::detail!(
        "{}: status block at byte {}, records from byte {}",
        path.display(),
        r.total - r.status.log_size - rvm::status::STATUS_SIZE as u64,
        r.status.log_start
    );
    match secs {
        Some(secs) => verbosity::summary(format_args!(
            "{}: RVM log formatted: {what} ({secs:.3} s{})",
            path.display(),
            rate(r.total, secs)
        )),
        None => verbosity::summary(format_args!(
            "{}: dry run: would format an RVM log: {what}; nothing written",
            path.display()
        )),
    }
}

/// The summary of a data segment build; `secs` as for [`log_summary`].
fn data_summary(log: &Path, data: &Path, p: &HeapParams, r: &InitDataReport, secs: Option<f64>) {
    if r.discarded {
        let (now, will) = match secs {
            Some(_) => ("were", ""),
            None => ("would be", " (dry run)"),
        };
        eprintln!(
            "coda-rs: {}: warning: pending log records {now} discarded (--force){will}",
            log.display()
        );
    }
    let what = format!(
        "{} bytes, heap {} bytes at {:#x} ({} free chunks of {}), statics {} bytes; log head = tail = {}",
        r.data_size,
        p.heaplen,
        p.saddr,
        r.layout.n_chunks,
        p.chunk,
        p.staticlen,
        r.status.log_tail
    );
    crate::detail!(
        "{}: rdsinit's records at byte {} of {}",
        data.display(),
        r.records_at,
        log.display()
    );
    match secs {
        Some(secs) => verbosity::summary(format_args!(
            "{}: RDS data segment built: {what} ({secs:.3} s{})",
            data.display(),
            rate(r.data_size, secs)
        )),
        None => verbosity::summary(format_args!(
            "{}: dry run: would build an RDS data segment: {what}; nothing written",
            data.display()
        )),
    }
}

/// Ctrl-C (SIGINT, SIGTERM) stops a formatter: it is told through its
/// stop flag, and the signal's line says what the target holds then
/// ([`interrupt::left`]). A log or data file the run created is removed;
/// one that existed (`--force`, `--replace-rvm`; the run had truncated it)
/// is emptied, so the same command starts again; a device holds no valid
/// RVM structure (its status block or header page is written last), so
/// no server takes it for one.
fn stoppable() -> rvm::device::Stop {
    interrupt::install();
    Some(interrupt::stop_flag())
}

/// Says what an interrupted formatter left (see [`stoppable`]).
fn left_by(e: rvm::Error) -> anyhow::Error {
    if let rvm::Error::Interrupted { path, left } = &e {
        let path = path.display();
        match left {
            rvm::Left::Removed => interrupt::left(format!("{path} was new and is removed")),
            rvm::Left::Emptied => {
                interrupt::left(format!("{path} is empty now (no RVM log or segment)"))
            }
            rvm::Left::Invalid => interrupt::left(format!("{path}: {}", left.describe())),
            rvm::Left::Untouched => {}
        }
    }
    e.into()
}

/// `secs` for the summaries: `None` in a dry run.
fn took(f: &FormatArgs, secs: f64) -> Option<f64> {
    (!f.dry.dry_run).then_some(secs)
}

/// `rvm init-log`.
pub fn init_log(a: InitLogArgs) -> anyhow::Result<ExitCode> {
    let size = rvm::size::log_size_argument("SIZE", &a.size)?;
    let f = &a.format;
    if size > LARGE_LOG && !a.yes && !f.dry.dry_run {
        confirm_large_log(&a.log, size)?;
    }
    let opts = InitLogOptions {
        force: f.force,
        replace_rvm: f.replace_rvm,
        dry_run: f.dry.dry_run,
        stop: stoppable(),
    };
    let (r, secs) = timed("formatting log", |progress| {
        rvm::init_log(&a.log, size, opts, Timeval::now(), progress)
    })
    .map_err(left_by)?;
    log_summary(&a.log, &r, took(f, secs));
    if a.json {
        let view = rvm::view::InitLogJson::new(&r, &a.log, secs);
        crate::cmd::print_json(&mut std::io::stdout().lock(), &view)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `rvm init-data`.
pub fn init_data(a: InitDataArgs) -> anyhow::Result<ExitCode> {
    let p = HeapParams::parse([
        &a.datalen,
        &a.saddr,
        &a.heaplen,
        &a.staticlen,
        &a.nlists,
        &a.chunk,
    ])?;
    let f = &a.format;
    let opts = InitDataOptions {
        force: f.force,
        replace_rvm: f.replace_rvm,
        sparse: a.sparse,
        dry_run: f.dry.dry_run,
        stop: stoppable(),
    };
    let (r, secs) = timed("zero-filling data segment", |progress| {
        rvm::init_data(&a.log, &a.data, &p, opts, progress)
    })
    .map_err(left_by)?;
    data_summary(&a.log, &a.data, &p, &r, took(f, secs));
    if a.json {
        let view = rvm::view::InitDataJson::new(&r, &p, &a.log, secs);
        crate::cmd::print_json(&mut std::io::stdout().lock(), &view)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A log over [`LARGE_LOG`]: asks on a terminal (stdin), else refuses
/// (exit 3) naming `--yes`; declining writes nothing and exits 3.
fn confirm_large_log(log: &Path, size: u64) -> anyhow::Result<()> {
    let what = format!(
        "{}: a {} RVM log (RVM logs are megabytes)",
        log.display(),
        human::size(size)
    );
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(exit::refused(format!(
            "{what}; nothing written (expected --yes to write a log over 1 GiB)"
        )));
    }
    let mut err = std::io::stderr().lock();
    write!(err, "coda-rs: {what}; write it? [y/N] ")?;
    err.flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if matches!(line.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
        Ok(())
    } else {
        Err(exit::refused(format!("{what}: declined; nothing written")))
    }
}

/// `rvm init`. A dry run checks both targets as the two steps would and
/// reports the log it would format; the data segment's report needs the
/// formatted log, so the dry run names only its target and size.
pub fn init(a: InitArgs) -> anyhow::Result<ExitCode> {
    let sizes = InitSizes::parse(("--log-size", &a.log_size), ("--data-size", &a.data_size))?;
    let f = &a.format;
    let opts = InitOptions {
        force: f.force,
        replace_rvm: f.replace_rvm,
        sparse: a.sparse,
        stop: stoppable(),
    };
    let plan = InitPlan::check(&a.log, &a.data, sizes, opts)?;
    if f.dry.dry_run {
        let opts = InitLogOptions {
            force: f.force,
            replace_rvm: f.replace_rvm,
            dry_run: true,
            stop: None,
        };
        let r = rvm::init_log(&a.log, sizes.log_size, opts, Timeval::now(), &mut |_, _| {})?;
        log_summary(&a.log, &r, None);
        verbosity::summary(format_args!(
            "{}: dry run: would build an RDS data segment of {} bytes (heap {} bytes); nothing written",
            a.data.display(),
            sizes.data_size,
            sizes.heap.heaplen
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let (l, secs) = timed("formatting log", |progress| {
        plan.init_log(Timeval::now(), progress)
    })
    .map_err(left_by)?;
    log_summary(&a.log, &l, Some(secs));
    let (d, secs) = timed("zero-filling data segment", |progress| {
        plan.init_data(progress)
    })
    .map_err(left_by)?;
    data_summary(&a.log, &a.data, &plan.sizes().heap, &d, Some(secs));
    let conf = plan.server_conf(&d)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        crate::cmd::print_json(&mut out, &conf)?;
    } else {
        out.write_all(conf.text().as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}
