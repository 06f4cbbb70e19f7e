//! `coda-rs copy`: parallel, resumable tree copy (the `restorevolumes`
//! step, §13.6 of the re-initialisation procedure). The work is done by
//! the `tree-copy` crate; this module parses, calls and prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use tree_copy::{Existing, Options, Pair, Preserve, Progress, Report, ReportView, SummaryOptions};

use crate::exit;
use crate::interrupt;
use crate::progress;

/// Test hook: fail reading source files whose path ends with this.
const ENV_FAIL_READ: &str = "CODA_RS_TEST_FAIL_READ";
/// Test hook: SIGKILL this process after this many items are finished.
const ENV_KILL_AFTER: &str = "CODA_RS_TEST_KILL_AFTER";
/// Test hook: wait for a signal after this many items are finished
/// ([`interrupt::pause`]).
const ENV_PAUSE_AFTER: &str = "CODA_RS_TEST_PAUSE_AFTER_ITEMS";

/// Arguments of `coda-rs copy`.
#[derive(Args)]
#[command(after_help = "\
Examples:
  coda-rs copy /coda/tmp/restore/u.alice /coda/tmp/inited/u.alice
  coda-rs copy --pairs volumes.txt --jobs 8 --verify
  coda-rs copy --resume SRC DST        # finish an interrupted copy
  coda-rs copy --preserve mode,timestamps --xattrs SRC DST
  coda-rs copy --acls /coda/tmp/restore/u.bob /coda/tmp/inited/u.bob

DST becomes the copy of SRC (it must be missing or empty unless --resume or
--force). A pairs file holds one `SRC DST` per line; blank lines and lines
starting with # are ignored. Hard links are kept across all pairs of a run;
on a Coda mount objects are identified by fid (getfid pioctl), and a link
that Coda refuses (it allows them only within one directory) becomes a copy
with a warning.")]
pub struct CopyArgs {
    /// Source tree (a directory).
    #[arg(required_unless_present = "pairs", conflicts_with = "pairs")]
    src: Option<PathBuf>,
    /// Destination: created, or an existing empty directory.
    #[arg(required_unless_present = "pairs", conflicts_with = "pairs")]
    dst: Option<PathBuf>,
    /// Copy many trees in one run: FILE has one `SRC DST` pair per line.
    #[arg(long, value_name = "FILE")]
    pairs: Option<PathBuf>,
    /// Worker threads [default: number of cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
    /// Finish an interrupted copy: skip files already complete at the
    /// destination (same size and mtime).
    #[arg(long)]
    resume: bool,
    /// With --resume, compare content (SHA-256) instead of size and mtime.
    #[arg(long, requires = "resume")]
    checksum: bool,
    /// Merge into a destination that holds data, replacing what is in the way.
    #[arg(long)]
    force: bool,
    /// Re-read both sides after copying and compare content hashes.
    #[arg(long)]
    verify: bool,
    /// Stop at the first failure instead of copying the rest.
    #[arg(long)]
    fail_fast: bool,
    /// Attributes to keep: comma-separated mode, ownership, timestamps,
    /// links, xattr, acl, or all [default: mode,ownership,timestamps,links].
    #[arg(long, value_name = "LIST")]
    preserve: Option<String>,
    /// Also copy extended attributes.
    #[arg(long)]
    xattrs: bool,
    /// Also copy Coda directory ACLs (SRC and DST both on a Coda mount).
    #[arg(long)]
    acls: bool,
    /// Do not descend into directories on other filesystems.
    #[arg(long, short = 'x')]
    one_file_system: bool,
    /// Walk the sources and report what would be copied, changing nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
    /// Print the outcome as one JSON document on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `coda-rs copy`.
pub fn run(args: CopyArgs) -> anyhow::Result<ExitCode> {
    let pairs = match (&args.pairs, &args.src, &args.dst) {
        (Some(file), _, _) => read_pairs(file)?,
        (None, Some(src), Some(dst)) => vec![Pair {
            src: src.clone(),
            dst: dst.clone(),
        }],
        _ => return Err(exit::usage("copy: give SRC DST or --pairs FILE")),
    };
    if pairs.is_empty() {
        return Err(exit::usage("copy: the pairs file lists no `SRC DST` pair"));
    }
    let mut preserve = match &args.preserve {
        Some(list) => list.parse::<Preserve>()?,
        None => Preserve::default(),
    };
    preserve.xattrs |= args.xattrs;
    preserve.acls |= args.acls;
    let existing = if args.resume {
        Existing::Resume
    } else if args.force {
        Existing::Force
    } else {
        Existing::Refuse
    };
    let opts = Options {
        jobs: args.jobs.map(|n| n as usize),
        existing,
        preserve,
        checksum: args.checksum,
        verify: args.verify,
        fail_fast: args.fail_fast,
        one_file_system: args.one_file_system,
        dry_run: args.dry_run,
        // A restore's journal is coda-rs's, not the volume's.
        leave_out_root_files: vec![volume_dump::restore::JOURNAL_NAME.into()],
        fail_read_suffix: std::env::var_os(ENV_FAIL_READ).filter(|s| !s.is_empty()),
        hook: tree_copy::TestHook::from_env(),
        stop: Some(interrupt::flag()),
    };
    raise_open_file_limit();
    for p in &pairs {
        crate::detail!("copy: {} -> {}", p.src.display(), p.dst.display());
    }
    // Ctrl-C: no new item starts; `--resume` skips what is complete.
    interrupt::install();
    let bar = Bar::new();
    let start = Instant::now();
    let report = tree_copy::copy_pairs(&pairs, &opts, &bar).map_err(missing_root)?;
    bar.meter.finish();
    let elapsed = start.elapsed();
    if interrupt::requested() && !args.dry_run {
        interrupt::resumable("--resume");
        return Err(anyhow::anyhow!("interrupted"));
    }
    print_outcome(&report, elapsed, &args)?;
    Ok(ExitCode::from(if report.ok() {
        exit::SUCCESS
    } else {
        exit::FAILURE
    }))
}

/// Raises the soft limit on open files to the hard limit: the copy keeps
/// two roots per pair and caches directory fds within what the soft limit
/// allows.
fn raise_open_file_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    // Linux caps it at fs.nr_open (1 Mi by default) whatever the hard limit.
    const CAP: u64 = 1 << 20;
    let mut l = getrlimit(Resource::Nofile);
    let want = l.maximum.unwrap_or(CAP).min(CAP);
    if l.current.is_some_and(|c| c < want) {
        l.current = Some(want);
        let _ = setrlimit(Resource::Nofile, l);
    }
}

/// A source named on the command line that is not there is a usage
/// error; every other error keeps its own class ([`crate::exit`]).
fn missing_root(e: tree_copy::Error) -> anyhow::Error {
    match e {
        tree_copy::Error::Io {
            ref path,
            op: tree_copy::Op::Stat,
            ref source,
        } if source.kind() == std::io::ErrorKind::NotFound => exit::usage(format!(
            "{}: No such file or directory (expected the root of a tree to copy)",
            path.display()
        )),
        other => anyhow::Error::new(other),
    }
}

/// Reads a pairs file (`-`: stdin) and parses it ([`tree_copy::parse_pairs`]).
fn read_pairs(file: &Path) -> anyhow::Result<Vec<Pair>> {
    let text = if file == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("-: read pairs")?
    } else {
        std::fs::read_to_string(file).with_context(|| format!("{}: read pairs", file.display()))?
    };
    Ok(tree_copy::parse_pairs(&text, file)?)
}

/// The progress display (a spinner while the sources are walked, then a
/// bar of the bytes to copy; hidden when stderr is no terminal), plus the
/// kill-after test hook.
struct Bar {
    meter: progress::Meter,
    items: AtomicU64,
    total_items: AtomicU64,
    bytes: AtomicU64,
    kill_after: Option<u64>,
    pause_after: Option<u64>,
}

impl Bar {
    fn new() -> Bar {
        let meter = progress::meter(None);
        meter.show(0, || "scanning".into());
        Bar {
            meter,
            items: AtomicU64::new(0),
            total_items: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            kill_after: std::env::var(ENV_KILL_AFTER)
                .ok()
                .and_then(|s| s.parse().ok()),
            pause_after: std::env::var(ENV_PAUSE_AFTER)
                .ok()
                .and_then(|s| s.parse().ok()),
        }
    }
}

impl Progress for Bar {
    fn scanned(&self, items: u64, bytes: u64) {
        self.total_items.store(items, Ordering::Relaxed);
        self.meter.set_total(Some(bytes));
    }

    fn item_done(&self, bytes: u64) {
        let done = self.items.fetch_add(1, Ordering::Relaxed) + 1;
        let copied = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.meter.show(copied, || {
            format!("{done}/{} items", self.total_items.load(Ordering::Relaxed))
        });
        if self.pause_after == Some(done) {
            interrupt::pause();
        }
        if self.kill_after.is_some_and(|n| done >= n) {
            // Test hook: die as `kill -9` would, mid-copy.
            let _ = rustix::process::kill_process(
                rustix::process::getpid(),
                rustix::process::Signal::KILL,
            );
        }
    }
}

/// The notes and the summary line on stderr; with `--json` the report
/// on stdout.
fn print_outcome(r: &Report, elapsed: Duration, args: &CopyArgs) -> anyhow::Result<()> {
    let mut err = std::io::stderr().lock();
    for note in r.notes() {
        let _ = writeln!(err, "coda-rs: {note}");
    }
    let secs = elapsed.as_secs_f64();
    let opts = SummaryOptions {
        dry_run: args.dry_run,
        resume: args.resume,
        verify: args.verify,
    };
    if !crate::verbosity::quiet() {
        let _ = writeln!(err, "{}", r.summary_line(secs, opts));
    }
    if args.json {
        let view = ReportView::new(r, secs, args.dry_run);
        crate::cmd::print_json(&mut std::io::stdout().lock(), &view)?;
    }
    Ok(())
}
