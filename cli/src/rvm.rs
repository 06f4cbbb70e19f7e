//! `coda-rs rvm`: RVM log devices and RDS data segments (rvmutl, rdsinit).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rvm::heap::HeapParams;
use rvm::log_device::LocatedLog;
use rvm::reader::ChecksumRule;
use rvm::size::{parse_log_size, parse_number};
use rvm::text::{status_text, StatusContext};
use rvm::{ErrorClass, Timeval};
use serde::Serialize;

use crate::exit;

/// Subcommands of `coda-rs rvm`.
#[derive(Subcommand)]
pub enum RvmCommand {
    /// Format an RVM log (like `rvmutl` `i LOG SIZE`).
    #[command(
        after_help = "Examples:\n  coda-rs rvm init-log /vice/LOG 20M\n  coda-rs rvm init-log /dev/sdb1 100M --force\n  coda-rs rvm init-log /vice/LOG 20M --replace-rvm\n\nTargets in use (mounted, held by the kernel, backing a loop device) are refused even with --force.\n--replace-rvm overwrites only zeros or an RVM log; --force overwrites any data."
    )]
    InitLog(InitLogArgs),
    /// Build an RDS data segment and record it in the log (like `rdsinit -f`).
    #[command(
        after_help = "Examples:\n  coda-rs rvm init-data /vice/LOG /vice/DATA 256M 0x50000000 0xfef0000 1M 80 64\n  coda-rs rvm init-data LOG DATA 2097152 0x50000000 983040 1048576 80 64 --sparse\n  coda-rs rvm init-data LOG DATA 2097152 0x50000000 983040 1048576 80 64 --replace-rvm\n\nTargets in use (mounted, held by the kernel, backing a loop device) are refused even with --force.\n--replace-rvm overwrites only zeros or an RVM data segment; --force overwrites any data."
    )]
    InitData(InitDataArgs),
    /// Format a log and a data segment with vice-setup-rvm's recipe.
    #[command(
        after_help = "Examples:\n  coda-rs rvm init --log /vice/LOG --log-size 20M --data /vice/DATA --data-size 256M\n  coda-rs rvm init --log /dev/sdb1 --log-size 90M --data /dev/sdb2 --data-size 1G --force\n  coda-rs rvm init --log /vice/LOG --log-size 20M --data /vice/DATA --data-size 256M --replace-rvm\n\nTargets in use (mounted, held by the kernel, backing a loop device) are refused even with --force.\n--replace-rvm re-formats only zeros or existing RVM structures (a log where the log goes, a segment where the data goes); --force overwrites any data."
    )]
    Init(InitArgs),
    /// Print the status of a log (like `rvmutl` `status`).
    #[command(
        after_help = "Examples:\n  coda-rs rvm status /vice/LOG\n  coda-rs rvm status --raw log.img --json"
    )]
    Status(StatusArgs),
    /// List the log's records (like `rvmutl` `show all`).
    #[command(
        after_help = "Examples:\n  coda-rs rvm show /vice/LOG\n  coda-rs rvm show /vice/LOG --json"
    )]
    Show(ShowArgs),
    /// Apply committed transactions to the data segment and empty the log (like `rvmutl` `recover`).
    #[command(
        after_help = "Examples:\n  coda-rs rvm recover /vice/LOG --dry-run\n  coda-rs rvm recover /vice/LOG\n  coda-rs rvm recover LOG --data /mnt/old/DATA --rescue\n  coda-rs rvm recover LOG --map /vice/DATA=/mnt/vice/DATA --json\n\nRanges are applied only to a real data segment (a valid segment header whose regions fit), or to one whose header the log itself writes (an interrupted init-data); --force applies them to anything else. A target in use is always refused."
    )]
    Recover(RecoverArgs),
}

/// `coda-rs rvm show`.
#[derive(Args)]
pub struct ShowArgs {
    /// Log file or block device.
    log: PathBuf,
    /// Read a raw-partition image stored in a regular file.
    #[arg(long)]
    raw: bool,
    /// List the records as JSON, with what recovery does to each.
    #[arg(long)]
    json: bool,
}

/// `coda-rs rvm recover`.
#[derive(Args)]
pub struct RecoverArgs {
    /// Log file or block device.
    log: PathBuf,
    /// Apply to this data segment instead of the path recorded in the log.
    #[arg(long, conflicts_with = "map")]
    data: Option<PathBuf>,
    /// Replace a recorded segment path: RECORDED=NEW (repeatable).
    #[arg(long, value_name = "OLD=NEW")]
    map: Vec<String>,
    /// Report what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Apply the ranges even to a target that is not an RVM data segment (no valid segment header in its first page, regions past its end, and no header written by the log itself). Never to a target in use.
    #[arg(long)]
    force: bool,
    /// Also apply committed transactions real RVM drops (spec quirk Q1) when their checksum verifies.
    #[arg(long)]
    rescue: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Read a raw-partition image stored in a regular file.
    #[arg(long)]
    raw: bool,
    /// Test hook: stop after this step (epoch-switch | apply).
    #[arg(long, hide = true)]
    test_abort_after: Option<String>,
}

/// `coda-rs rvm init-log`.
#[derive(Args)]
pub struct InitLogArgs {
    /// Log file or block device.
    log: PathBuf,
    /// Size of the record area: bytes, or with suffix K, M, G, S (512-byte sectors), P (pages), B; rounded down to 512.
    size: String,
    /// Overwrite a target that holds data: an RVM log or segment, a filesystem, anything. Never a target in use (a mounted or exclusively held device, a file backing a loop device or swap): those are always refused.
    #[arg(long, conflicts_with = "replace_rvm")]
    force: bool,
    /// Re-format RVM only: overwrite a target only if it is all zero or already holds a valid RVM log status block; anything else (a filesystem, other data) is refused. Unlike --force, it never overwrites user data.
    #[arg(long)]
    replace_rvm: bool,
    /// No progress bar and no summary line on stderr.
    #[arg(long, short)]
    quiet: bool,
}

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
    /// Overwrite a data target that holds data (an RVM segment, a filesystem, anything) and discard pending log records. Never a target in use (a mounted or exclusively held device, a file backing a loop device or swap): those are always refused.
    #[arg(long, conflicts_with = "replace_rvm")]
    force: bool,
    /// Re-format RVM only: overwrite the data target only if it is all zero or already holds a valid RVM segment header; anything else is refused. Unlike --force, it never overwrites user data.
    #[arg(long)]
    replace_rvm: bool,
    /// Leave the zero-filled parts of a regular file as holes.
    #[arg(long)]
    sparse: bool,
    /// No progress bar and no summary line on stderr.
    #[arg(long, short)]
    quiet: bool,
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
    /// Overwrite targets that hold data (RVM structures, filesystems, anything). Never a target in use (a mounted or exclusively held device, a file backing a loop device or swap): those are always refused.
    #[arg(long, conflicts_with = "replace_rvm")]
    force: bool,
    /// Re-format RVM only: overwrite the log only if it is all zero or holds a valid RVM log, and the data target only if it is all zero or holds a valid RVM segment header; anything else is refused before either is written. Unlike --force, it never overwrites user data.
    #[arg(long)]
    replace_rvm: bool,
    /// Leave the zero-filled parts of a regular data file as holes.
    #[arg(long)]
    sparse: bool,
    /// Print the server.conf settings as JSON.
    #[arg(long)]
    json: bool,
    /// No progress bar and no summary line on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// `coda-rs rvm status`.
#[derive(Args)]
pub struct StatusArgs {
    /// Log file or block device.
    log: PathBuf,
    /// Read a raw-partition image stored in a regular file (status at 8192).
    #[arg(long)]
    raw: bool,
    /// Print every status field as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs one `coda-rs rvm` subcommand.
pub fn run(cmd: RvmCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RvmCommand::InitLog(a) => init_log(a),
        RvmCommand::InitData(a) => init_data(a),
        RvmCommand::Init(a) => init(a),
        RvmCommand::Status(a) => status(a),
        RvmCommand::Show(a) => show(a),
        RvmCommand::Recover(a) => recover(a),
    }
}

/// Maps a library error to the exit-code classes of the CLI conventions.
fn lib(e: rvm::Error) -> anyhow::Error {
    match e.class() {
        ErrorClass::Usage => exit::usage(e.to_string()),
        ErrorClass::Refused => exit::refused(e.to_string()),
        ErrorClass::Failure => e.into(),
    }
}

fn number(name: &str, s: &str) -> anyhow::Result<u64> {
    parse_number(s).map_err(|e| {
        exit::usage(format!(
            "{name}: {} (expected a number: decimal, 0x hex or 0 octal, optional K/M/G/T)",
            e.0
        ))
    })
}

fn log_size(name: &str, s: &str) -> anyhow::Result<u64> {
    parse_log_size(s).map_err(|e| {
        exit::usage(format!(
            "{name}: {} (expected a size such as 20M, 1048576 or 2048s, above 512 bytes)",
            e.0
        ))
    })
}

/// A progress bar on stderr that only shows on a terminal.
fn progress_bar(label: &str, quiet: bool) -> (ProgressBar, impl FnMut(u64, u64)) {
    let bar = ProgressBar::hidden();
    if !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(label.to_string());
    }
    let b = bar.clone();
    (bar, move |done, total| {
        b.set_length(total);
        b.set_position(done);
    })
}

fn rate(bytes: u64, secs: f64) -> String {
    if secs <= 0.0 {
        return String::new();
    }
    format!(", {:.0} MiB/s", bytes as f64 / (1 << 20) as f64 / secs)
}

fn do_init_log(
    path: &Path,
    size: u64,
    force: bool,
    replace_rvm: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let (bar, mut cb) = progress_bar("formatting log", quiet);
    let r = rvm::init_log(
        path,
        size,
        rvm::InitLogOptions { force, replace_rvm },
        Timeval::now(),
        &mut cb,
    )
    .map_err(lib)?;
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    if quiet {
        return Ok(());
    }
    eprintln!(
        "{}: RVM log formatted: {} log, {} bytes of records, {} bytes in all ({secs:.3} s{})",
        path.display(),
        if r.raw { "raw-partition" } else { "file" },
        r.status.log_size,
        r.total,
        rate(r.total, secs)
    );
    Ok(())
}

fn do_init_data(
    log: &Path,
    data: &Path,
    p: &HeapParams,
    opts: rvm::InitDataOptions,
    quiet: bool,
) -> anyhow::Result<rvm::InitDataReport> {
    let start = Instant::now();
    let (bar, mut cb) = progress_bar("zero-filling data segment", quiet);
    let r = rvm::init_data(log, data, p, opts, &mut cb).map_err(lib)?;
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    if r.discarded {
        eprintln!(
            "coda-rs: {}: warning: pending log records were discarded (--force)",
            log.display()
        );
    }
    if quiet {
        return Ok(r);
    }
    eprintln!(
        "{}: RDS data segment built: {} bytes, heap {} bytes at {:#x} ({} free chunks of {}), statics {} bytes; log head = tail = {} ({secs:.3} s{})",
        data.display(),
        r.data_size,
        p.heaplen,
        p.saddr,
        r.layout.n_chunks,
        p.chunk,
        p.staticlen,
        r.status.log_tail,
        rate(r.data_size, secs)
    );
    Ok(r)
}

fn init_log(a: InitLogArgs) -> anyhow::Result<ExitCode> {
    let size = log_size("SIZE", &a.size)?;
    do_init_log(&a.log, size, a.force, a.replace_rvm, a.quiet)?;
    Ok(ExitCode::SUCCESS)
}

fn init_data(a: InitDataArgs) -> anyhow::Result<ExitCode> {
    let p = HeapParams {
        datalen: number("DATALEN", &a.datalen)?,
        saddr: number("SADDR", &a.saddr)?,
        heaplen: number("HEAPLEN", &a.heaplen)?,
        staticlen: number("STATICLEN", &a.staticlen)?,
        nlists: number("NLISTS", &a.nlists)?,
        chunk: number("CHUNK", &a.chunk)?,
    };
    let opts = rvm::InitDataOptions {
        force: a.force,
        replace_rvm: a.replace_rvm,
        sparse: a.sparse,
    };
    do_init_data(&a.log, &a.data, &p, opts, a.quiet)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ServerConf {
    rvm_log: String,
    rvm_data: String,
    rvm_data_length: u64,
}

fn init(a: InitArgs) -> anyhow::Result<ExitCode> {
    let lsize = log_size("--log-size", &a.log_size)?;
    let dsize = number("--data-size", &a.data_size)?;
    let p = HeapParams::coda_standard(dsize);
    // Check everything the data step will check before formatting the log.
    p.validate().map_err(|e| match e {
        rvm::Error::Parameter { name, value, rule } => exit::usage(format!(
            "--data-size {}: gives {name} {value}: {rule}",
            a.data_size
        )),
        other => lib(other),
    })?;
    let ids = (
        rvm::in_use::Identity::of_path(&a.log),
        rvm::in_use::Identity::of_path(&a.data),
    );
    let overlap = match ids {
        (Some(l), Some(d)) => rvm::in_use::overlaps(l, d),
        _ => false,
    };
    if a.log == a.data || overlap {
        return Err(exit::usage(format!(
            "{}: --log and --data name the same file or overlapping devices ({})",
            a.log.display(),
            a.data.display()
        )));
    }
    // The data target must be usable (not in use, large enough, nothing
    // the overwrite policy protects) before the log is touched; init-data
    // checks it again under its own claim.
    let data_bytes = dsize.div_ceil(4096) * 4096;
    let overwrite = rvm::contents::Overwrite::from_flags(a.force, a.replace_rvm);
    drop(rvm::rdsinit::claim_data_target(&a.data, data_bytes, overwrite).map_err(lib)?);
    do_init_log(&a.log, lsize, a.force, a.replace_rvm, a.quiet)?;
    let opts = rvm::InitDataOptions {
        force: a.force,
        replace_rvm: a.replace_rvm,
        sparse: a.sparse,
    };
    let r = do_init_data(&a.log, &a.data, &p, opts, a.quiet)?;
    let conf = ServerConf {
        rvm_log: rvm::device::absolute(&a.log)
            .map_err(lib)?
            .display()
            .to_string(),
        rvm_data: r.data_path.display().to_string(),
        rvm_data_length: dsize,
    };
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &conf)?;
        writeln!(out)?;
    } else {
        writeln!(out, "# server.conf settings for this RVM pair")?;
        writeln!(out, "rvm_log={}", conf.rvm_log)?;
        writeln!(out, "rvm_data={}", conf.rvm_data)?;
        writeln!(out, "rvm_data_length={}", conf.rvm_data_length)?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct StatusJson<'a> {
    path: String,
    raw: bool,
    status_offset: u64,
    total_log_size: u64,
    space_used: u64,
    space_available: u64,
    first_record_number: u64,
    last_record_number: u64,
    disk_log_head: u64,
    disk_log_tail: u64,
    disk_prev_log_tail: u64,
    #[serde(flatten)]
    status: &'a rvm::StatusBlock,
}

fn status(a: StatusArgs) -> anyhow::Result<ExitCode> {
    let log = LocatedLog::open(&a.log, a.raw, false, ChecksumRule::Rvm).map_err(lib)?;
    let path = rvm::device::absolute(&a.log)
        .map_err(lib)?
        .display()
        .to_string();
    let s = &log.status;
    let mut out = std::io::stdout().lock();
    if a.json {
        let used = s.space_used(log.num_bytes);
        let j = StatusJson {
            path,
            raw: log.device.is_raw(),
            status_offset: log.device.status_offset(),
            total_log_size: log.num_bytes,
            space_used: used,
            space_available: s.log_size.wrapping_sub(used),
            first_record_number: s.first_rec_num,
            last_record_number: s.next_rec_num.wrapping_sub(1),
            disk_log_head: log.disk.log_head,
            disk_log_tail: log.disk.log_tail,
            disk_prev_log_tail: log.disk.prev_log_tail,
            status: s,
        };
        serde_json::to_writer_pretty(&mut out, &j).context("cannot write JSON")?;
        writeln!(out)?;
    } else {
        let ctx = StatusContext {
            path: &path,
            raw: log.device.is_raw(),
            num_bytes: log.num_bytes,
            disk_prev_log_tail: log.scan.disk_prev_log_tail,
        };
        out.write_all(status_text(s, &ctx).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn show(a: ShowArgs) -> anyhow::Result<ExitCode> {
    let log = LocatedLog::open(&a.log, a.raw, false, ChecksumRule::Rvm).map_err(lib)?;
    let map = log.device.map(log.num_bytes).map_err(lib)?;
    let view = rvm::reader::LogView::new(&map, log.disk.log_start, log.num_bytes);
    let s = &log.status;
    let mut out = std::io::stdout().lock();
    if a.json {
        let epoch = rvm::epoch::Epoch::read(&view, s.log_head, s.log_tail).ok();
        let records = rvm::show::show_json(s, &view, &log.scan, epoch.as_ref());
        #[derive(Serialize)]
        struct ShowJson {
            log_head: u64,
            log_tail: u64,
            log_empty: bool,
            records: Vec<rvm::show::RecordJson>,
        }
        let j = ShowJson {
            log_head: s.log_head,
            log_tail: s.log_tail,
            log_empty: s.log_empty,
            records,
        };
        serde_json::to_writer_pretty(&mut out, &j)?;
        writeln!(out)?;
    } else {
        out.write_all(rvm::show::show_all_text(s, &view).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn recover(a: RecoverArgs) -> anyhow::Result<ExitCode> {
    let mut map = Vec::new();
    for m in &a.map {
        let Some((old, new)) = m.split_once('=') else {
            return Err(exit::usage(format!("--map {m}: expected RECORDED=NEW")));
        };
        map.push((PathBuf::from(old), PathBuf::from(new)));
    }
    let abort_at = match a.test_abort_after.as_deref() {
        None => None,
        Some("epoch-switch") => Some(rvm::recover::AbortPoint::AfterEpochSwitch),
        Some("apply") => Some(rvm::recover::AbortPoint::AfterApply),
        Some(x) => {
            return Err(exit::usage(format!(
                "--test-abort-after {x}: expected epoch-switch or apply"
            )))
        }
    };
    let opts = rvm::recover::RecoverOptions {
        raw: a.raw,
        data: a.data.clone(),
        map,
        dry_run: a.dry_run,
        force: a.force,
        rescue: a.rescue,
        abort_at,
    };
    let start = Instant::now();
    let r = rvm::recover::recover(&a.log, &opts).map_err(lib)?;
    let secs = start.elapsed().as_secs_f64();
    let name = a.log.display();
    if let Some(d) = r.dropped {
        eprintln!(
            "coda-rs: {name}: warning: record #{} ({} bytes at log offset {}) is a committed transaction that real RVM drops (spec §6.4 quirk Q1); it and anything after it are not applied; use --rescue to apply them",
            d.rec_num, d.size, d.offset
        );
    }
    for d in &r.rescued {
        eprintln!(
            "coda-rs: {name}: rescued record #{} ({} bytes at log offset {}): real RVM would drop it (quirk Q1), its writer checksum verifies",
            d.rec_num, d.size, d.offset
        );
    }
    for k in &r.skipped {
        eprintln!(
            "coda-rs: {name}: record #{} at {} not applied: {}",
            k.rec_num, k.offset, k.reason
        );
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &r)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let verb = if r.dry_run { "would apply" } else { "applied" };
    if r.head == r.tail {
        writeln!(
            out,
            "{name}: log is empty (head = tail = {}); nothing to apply",
            r.tail
        )?;
    } else {
        writeln!(
            out,
            "{name}: epoch [{}, {}): {verb} {} transaction(s)",
            r.head,
            r.tail,
            r.applied.len()
        )?;
    }
    for g in &r.segments {
        writeln!(
            out,
            "  segment {} {}{}: {} range(s), {} bytes, {} byte(s) changed",
            g.seg_code,
            g.path.display(),
            match &g.recorded_path {
                Some(p) if Path::new(p) != g.path => format!(" (recorded as {p})"),
                None => " (no path recorded in the epoch)".into(),
                _ => String::new(),
            },
            g.ranges,
            g.bytes,
            g.bytes_changed
        )?;
    }
    if r.dry_run {
        writeln!(out, "dry run: nothing written")?;
    } else {
        writeln!(
            out,
            "log truncated: head = tail = {}, next record number {} ({secs:.3} s)",
            r.status.log_tail, r.status.next_rec_num
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
