//! `coda-rs drill`: a rehearsal of the whole recovery on built-in data,
//! needing no Coda server. It generates a sample volume tree, writes a full
//! dump of it, changes the tree and writes the incremental, formats an RVM
//! log and data segment on files, restores the dump chain into a new tree,
//! copies that tree in parallel, and verifies everything against the
//! changed source tree, timing each step.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, Context};
use clap::{Args, ValueEnum};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::exit;

/// Test hook: when set (to anything), one byte of a file in the restored
/// tree is flipped after the copy and before verification, so the drill
/// must report the difference and exit 1.
pub const ENV_CORRUPT: &str = "CODA_RS_DRILL_TEST_CORRUPT";

/// Volume id and name of the sample volume.
const VOLUME_ID: u32 = 0x7f00_0001;
const VOLUME_NAME: &[u8] = b"drill.backup";
/// Dates of the two states (header stamps, spec §8.3).
pub(crate) const DATE_FULL: u32 = 1_700_000_000;
pub(crate) const DATE_INCR: u32 = 1_700_086_400;

/// How much sample data the drill works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    /// About 250 files and 6 MiB: seconds, even in a debug build.
    Small,
    /// About 2,500 files and 60 MiB.
    Medium,
}

/// Arguments of `coda-rs drill`.
#[derive(Args)]
#[command(after_help = "Examples:\n  \
    coda-rs drill\n  \
    coda-rs drill --size medium --dir /var/tmp/drill\n  \
    coda-rs drill --json > drill-report.json\n\n\
    Steps: generate, full-dump, change, incremental-dump, rvm-init, restore, copy, verify.\n\
    Exit status 0 only if every verification passes.")]
pub struct DrillArgs {
    /// Work in DIR (created; must be empty) and keep the results there.
    /// Default: a temporary directory, removed after a pass and kept after
    /// a failure.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Amount of sample data.
    #[arg(long, value_enum, default_value = "small")]
    pub size: Size,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One timed step of the report.
#[derive(Serialize, Debug)]
struct Step {
    name: &'static str,
    seconds: f64,
    bytes: u64,
    detail: String,
    ok: bool,
}

/// One verification.
#[derive(Serialize, Debug)]
struct Check {
    name: String,
    ok: bool,
    detail: String,
}

#[derive(Serialize, Debug)]
struct Report {
    size: Size,
    dir: String,
    steps: Vec<Step>,
    checks: Vec<Check>,
    ok: bool,
    total_seconds: f64,
}

impl Report {
    fn failed(&self) -> bool {
        self.steps.iter().any(|s| !s.ok) || self.checks.iter().any(|c| !c.ok)
    }
}

/// Runs `coda-rs drill`.
pub fn run(args: DrillArgs) -> anyhow::Result<ExitCode> {
    let (dir, temp) = match &args.dir {
        Some(d) => {
            if fs::read_dir(d).is_ok_and(|mut it| it.next().is_some()) {
                return Err(exit::refused(format!(
                    "{}: directory is not empty; the drill needs an empty or new directory",
                    d.display()
                )));
            }
            fs::create_dir_all(d).with_context(|| format!("{}: cannot create", d.display()))?;
            (d.clone(), None)
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("coda-rs-drill.")
                .tempdir()
                .context("cannot create a temporary directory")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let start = Instant::now();
    let mut report = Report {
        size: args.size,
        dir: dir.display().to_string(),
        steps: Vec::new(),
        checks: Vec::new(),
        ok: false,
        total_seconds: 0.0,
    };
    let mut progress = |s: &Step| {
        if !args.json {
            eprintln!("drill: {} done in {:.3} s", s.name, s.seconds);
        }
    };
    let result = drill(&dir, args.size, &mut report, &mut progress);
    if let Err(e) = &result {
        report.checks.push(Check {
            name: "all steps ran".into(),
            ok: false,
            detail: format!("{e:#}"),
        });
    }
    report.total_seconds = start.elapsed().as_secs_f64();
    report.ok = !report.failed();
    print_report(&report, args.json)?;
    if let (Some(t), false) = (temp, report.ok) {
        // Keep the evidence of a failed drill.
        let kept = t.keep();
        eprintln!(
            "coda-rs: drill failed; its files are kept in {}",
            kept.display()
        );
    }
    Ok(ExitCode::from(if report.ok {
        exit::SUCCESS
    } else {
        exit::FAILURE
    }))
}

/// Runs `f` as step `name`, recording its time; `f` returns the bytes it
/// processed and a one-line detail.
fn step<T>(
    report: &mut Report,
    progress: &mut dyn FnMut(&Step),
    name: &'static str,
    f: impl FnOnce() -> anyhow::Result<(T, u64, String)>,
) -> anyhow::Result<T> {
    let t = Instant::now();
    let r = f();
    let seconds = t.elapsed().as_secs_f64();
    let (out, bytes, detail, ok) = match r {
        Ok((v, b, d)) => (Ok(v), b, d, true),
        Err(e) => {
            let d = format!("{e:#}");
            (Err(e.context(format!("step {name}"))), 0, d, false)
        }
    };
    let s = Step {
        name,
        seconds,
        bytes,
        detail,
        ok,
    };
    progress(&s);
    report.steps.push(s);
    out
}

fn drill(
    dir: &Path,
    size: Size,
    report: &mut Report,
    progress: &mut dyn FnMut(&Step),
) -> anyhow::Result<()> {
    // Every write into the working directory goes beneath its fd.
    let work = beneath::Root::open(dir)?;
    let source = dir.join("source");
    let full_path = dir.join("full.dump");
    let incr_path = dir.join("incremental.dump");
    let rvm_dir = dir.join("rvm");
    let restored = dir.join("restored");
    let copied = dir.join("copy");

    step(report, progress, "generate", || {
        let s = crate::drill_sample::generate(&work, Path::new("source"), size)?;
        Ok(((), s.bytes, s.to_string()))
    })?;

    step(report, progress, "full-dump", || {
        let out = BufWriter::with_capacity(1 << 20, create_new(&work, "full.dump")?);
        let opts = volume_dump::create::CreateOptions::new(VOLUME_ID, VOLUME_NAME, DATE_FULL);
        let (out, r) = volume_dump::create::create_dump(&source, &opts, out)
            .with_context(|| format!("{}: dump create", source.display()))?;
        finish_file(out, &full_path)?;
        Ok((
            (),
            r.bytes,
            format!(
                "{}: {} directories, {} files and symlinks, {} bytes",
                full_path.display(),
                r.directories,
                r.files,
                r.bytes
            ),
        ))
    })?;

    step(report, progress, "change", || {
        let c = crate::drill_sample::change(&work, Path::new("source"), size)?;
        Ok(((), c.bytes, c.to_string()))
    })?;

    step(report, progress, "incremental-dump", || {
        let out = BufWriter::with_capacity(1 << 20, create_new(&work, "incremental.dump")?);
        let opts = volume_dump::incremental::IncrementalOptions {
            level: 1,
            date: DATE_INCR,
        };
        // What `dump create --incremental-from` runs.
        let (out, r) =
            volume_dump::incremental::write_incremental_from(&full_path, &source, &opts, out)
                .with_context(|| format!("{}: incremental dump", source.display()))?;
        finish_file(out, &incr_path)?;
        Ok((
            (),
            r.bytes,
            format!(
                "{}: level 1, {} vnodes sent, {} unchanged left out, {} removed, {} bytes",
                incr_path.display(),
                r.sent[0] + r.sent[1],
                r.unchanged[0] + r.unchanged[1],
                r.removed[0] + r.removed[1],
                r.bytes
            ),
        ))
    })?;

    let (log_size, data_size) = match size {
        Size::Small => (1u64 << 20, 4u64 << 20),
        Size::Medium => (20u64 << 20, 64u64 << 20),
    };
    let log = rvm_dir.join("LOG");
    let data = rvm_dir.join("DATA");
    step(report, progress, "rvm-init", || {
        work.top().mkdir("rvm", 0o755)?;
        let now = rvm::Timeval::now();
        let l = rvm::init_log(
            &log,
            log_size,
            rvm::InitLogOptions {
                force: false,
                replace_rvm: false,
            },
            now,
            &mut |_, _| {},
        )?;
        let p = rvm::HeapParams::coda_standard(data_size);
        let d = rvm::init_data(
            &log,
            &data,
            &p,
            rvm::InitDataOptions {
                force: false,
                replace_rvm: false,
                sparse: true,
            },
            &mut |_, _| {},
        )?;
        Ok((
            (),
            l.total + data_size,
            format!(
                "log {} ({} bytes), data segment {} ({} bytes, heap {} bytes)",
                log.display(),
                l.total,
                d.data_path.display(),
                data_size,
                p.heaplen
            ),
        ))
    })?;

    step(report, progress, "restore", || {
        let incr = volume_dump::Dump::read(
            File::open(&incr_path).with_context(|| incr_path.display().to_string())?,
            volume_dump::ReadOptions::default(),
        )
        .with_context(|| format!("{}: reading the incremental", incr_path.display()))?;
        let full = File::open(&full_path).with_context(|| full_path.display().to_string())?;
        let opts = volume_dump::restore::RestoreOptions {
            acls: volume_dump::restore::AclMode::Skip,
            workers: 2,
            ..volume_dump::restore::RestoreOptions::default()
        };
        let s = volume_dump::restore::restore_chain(
            std::io::BufReader::with_capacity(1 << 20, full),
            std::slice::from_ref(&incr),
            &restored,
            &opts,
            &mut |_| {},
        )
        .map_err(|e| anyhow!("{e}"))?;
        Ok((
            (),
            s.bytes,
            format!(
                "{}: {} directories, {} files, {} symlinks, {} hard links, {} bytes",
                restored.display(),
                s.directories,
                s.files,
                s.symlinks,
                s.hard_links,
                s.bytes
            ),
        ))
    })?;

    step(report, progress, "copy", || {
        let pairs = [tree_copy::Pair {
            src: restored.clone(),
            dst: copied.clone(),
        }];
        let opts = tree_copy::Options {
            jobs: None,
            verify: true,
            ..tree_copy::Options::default()
        };
        let r = tree_copy::copy_pairs(&pairs, &opts, &tree_copy::NoProgress)
            .map_err(|e| anyhow!("{e}"))?;
        if !r.ok() {
            return Err(anyhow!(
                "{} item(s) failed, first: {}",
                r.failures.len(),
                r.failures[0]
            ));
        }
        Ok((
            (),
            r.bytes,
            format!(
                "{}: {} directories, {} files, {} symlinks, {} hard links, {} bytes, {} verified",
                copied.display(),
                r.dirs,
                r.files,
                r.symlinks,
                r.hard_links,
                r.bytes,
                r.verified
            ),
        ))
    })?;

    if std::env::var_os(ENV_CORRUPT).is_some() {
        corrupt_one_file(&work, Path::new("restored"))?;
    }

    let mut checks = Vec::new();
    step(report, progress, "verify", || {
        let want = manifest(&source)?;
        let bytes: u64 = want.values().map(|e| e.size).sum();
        checks.push(verify_dump(&full_path, true));
        checks.push(verify_dump(&incr_path, false));
        checks.push(compare(
            "restored tree equals the changed source",
            &want,
            &restored,
        ));
        checks.push(compare("copy equals the changed source", &want, &copied));
        checks.push(check_rvm(&log, &data, data_size));
        let failed = checks.iter().filter(|c| !c.ok).count();
        Ok((
            (),
            3 * bytes,
            format!(
                "{} checks, {} failed; {} objects compared in three trees",
                checks.len(),
                failed,
                want.len()
            ),
        ))
    })?;
    report.checks.extend(checks);
    Ok(())
}

/// Creates the drill's own file `name` in its working directory
/// (`O_CREAT | O_EXCL | O_NOFOLLOW`, beneath the directory's fd).
fn create_new(work: &beneath::Root, name: &str) -> anyhow::Result<File> {
    Ok(work.top().create_file(name, 0o644)?)
}

/// Flips one byte of the largest regular file of the tree `rel` of the
/// working directory.
fn corrupt_one_file(work: &beneath::Root, rel: &Path) -> anyhow::Result<()> {
    let m = manifest(&work.path().join(rel))?;
    let (file, _) = m
        .iter()
        .filter(|(_, e)| e.kind == Kind::File)
        .max_by_key(|(_, e)| e.size)
        .ok_or_else(|| anyhow!("no file to corrupt"))?;
    crate::drill_sample::corrupt(work, &rel.join(std::ffi::OsStr::from_bytes(file)))
}

fn finish_file(out: BufWriter<File>, path: &Path) -> anyhow::Result<()> {
    let f = out
        .into_inner()
        .map_err(|e| anyhow!("{}: {}", path.display(), e.error()))?;
    f.sync_all()
        .with_context(|| format!("{}: cannot sync", path.display()))
}

// ---------------------------------------------------------- verification

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Symlink,
    Other,
}

/// What is compared of every object.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ManifestEntry {
    kind: Kind,
    size: u64,
    mode: u32,
    mtime: i64,
    nlink: u64,
    /// SHA-256 of a file's content, or a symlink's target.
    content: Vec<u8>,
}

/// Names the restore leaves in its target that are not volume data.
const TOOL_FILES: [&str; 2] = [
    volume_dump::restore::JOURNAL_NAME,
    volume_dump::acl::ACL_FILE,
];

/// Every object under `root` by relative path (bytes).
fn manifest(root: &Path) -> anyhow::Result<BTreeMap<Vec<u8>, ManifestEntry>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), Vec::new())];
    let mut buf = vec![0u8; 1 << 20];
    while let Some((dir, rel)) = stack.pop() {
        for e in fs::read_dir(&dir).with_context(|| dir.display().to_string())? {
            let e = e.with_context(|| dir.display().to_string())?;
            let name = e.file_name();
            if rel.is_empty() && TOOL_FILES.iter().any(|t| name.as_bytes() == t.as_bytes()) {
                continue;
            }
            let path = e.path();
            let mut r = rel.clone();
            if !r.is_empty() {
                r.push(b'/');
            }
            r.extend_from_slice(name.as_bytes());
            let m = fs::symlink_metadata(&path).with_context(|| path.display().to_string())?;
            let ft = m.file_type();
            let (kind, size, content) = if ft.is_dir() {
                stack.push((path.clone(), r.clone()));
                (Kind::Dir, 0, Vec::new())
            } else if ft.is_symlink() {
                let target = fs::read_link(&path)?.as_os_str().as_bytes().to_vec();
                (Kind::Symlink, target.len() as u64, target)
            } else if ft.is_file() {
                let mut h = Sha256::new();
                let mut f = File::open(&path).with_context(|| path.display().to_string())?;
                loop {
                    let n = f
                        .read(&mut buf)
                        .with_context(|| path.display().to_string())?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                }
                (Kind::File, m.len(), h.finalize().to_vec())
            } else {
                (Kind::Other, 0, Vec::new())
            };
            out.insert(
                r,
                ManifestEntry {
                    kind,
                    size,
                    mode: m.mode() & 0o7777,
                    mtime: m.mtime(),
                    nlink: if kind == Kind::File { m.nlink() } else { 1 },
                    content,
                },
            );
        }
    }
    Ok(out)
}

fn describe(e: &ManifestEntry) -> String {
    format!(
        "{:?} size {} mode {:o} mtime {} links {}",
        e.kind, e.size, e.mode, e.mtime, e.nlink
    )
}

/// Compares the tree at `root` with `want`; the detail lists the first
/// differences.
fn compare(name: &str, want: &BTreeMap<Vec<u8>, ManifestEntry>, root: &Path) -> Check {
    let got = match manifest(root) {
        Ok(m) => m,
        Err(e) => {
            return Check {
                name: name.into(),
                ok: false,
                detail: format!("{e:#}"),
            }
        }
    };
    let mut diffs = Vec::new();
    for (p, w) in want {
        let path = String::from_utf8_lossy(p);
        match got.get(p) {
            None => diffs.push(format!("{path}: missing")),
            Some(g) if g != w => {
                let what = if g.content != w.content {
                    "content differs".to_string()
                } else {
                    format!("has {}, expected {}", describe(g), describe(w))
                };
                diffs.push(format!("{path}: {what}"));
            }
            Some(_) => {}
        }
    }
    for p in got.keys().filter(|p| !want.contains_key(*p)) {
        diffs.push(format!("{}: not in the source", String::from_utf8_lossy(p)));
    }
    let ok = diffs.is_empty();
    let detail = if ok {
        format!(
            "{} objects equal (paths, types, sizes, SHA-256, modes, mtimes, link counts, link targets)",
            want.len()
        )
    } else {
        let n = diffs.len();
        diffs.truncate(5);
        format!("{n} difference(s): {}", diffs.join("; "))
    };
    Check {
        name: name.into(),
        ok,
        detail,
    }
}

fn verify_dump(path: &Path, full: bool) -> Check {
    let name = format!(
        "{} dump passes verify",
        if full { "full" } else { "incremental" }
    );
    let r = File::open(path).map_err(anyhow::Error::from).and_then(|f| {
        volume_dump::verify::verify(
            std::io::BufReader::with_capacity(1 << 20, f),
            volume_dump::verify::VerifyOptions {
                restore_checks: full,
                ..Default::default()
            },
        )
        .map_err(anyhow::Error::from)
    });
    match r {
        Ok(rep) => {
            let errors: Vec<&str> = rep
                .problems
                .iter()
                .filter(|p| p.severity == volume_dump::verify::Severity::Error)
                .map(|p| p.message.as_str())
                .collect();
            let level_ok = rep.header.is_full() == full;
            Check {
                name,
                ok: errors.is_empty() && level_ok,
                detail: if !level_ok {
                    format!("header level is {}", rep.header.incremental)
                } else if errors.is_empty() {
                    format!(
                        "{} + {} vnode records, {} removals, {} bytes",
                        rep.vnodes[0], rep.vnodes[1], rep.removed, rep.bytes
                    )
                } else {
                    errors.join("; ")
                },
            }
        }
        Err(e) => Check {
            name,
            ok: false,
            detail: format!("{}: {e:#}", path.display()),
        },
    }
}

/// The RVM pair: the log's status block reads, the log is empty, recovery
/// finds nothing to apply, the data segment has its size.
fn check_rvm(log: &Path, data: &Path, data_size: u64) -> Check {
    let name = "RVM log valid, recover is a no-op".to_string();
    let r = (|| -> anyhow::Result<String> {
        let l =
            rvm::log_device::LocatedLog::open(log, false, false, rvm::reader::ChecksumRule::Rvm)?;
        let s = &l.status;
        if s.log_head != s.log_tail {
            return Err(anyhow!(
                "log not empty: head {} tail {}",
                s.log_head,
                s.log_tail
            ));
        }
        let opts = rvm::recover::RecoverOptions {
            raw: false,
            data: None,
            map: Vec::new(),
            dry_run: false,
            force: false,
            rescue: false,
            abort_at: None,
        };
        let before = fs::read(data)?;
        let r = rvm::recover::recover(log, &opts)?;
        if !r.applied.is_empty() || r.head != r.tail {
            return Err(anyhow!(
                "recover applied {} transaction(s)",
                r.applied.len()
            ));
        }
        let after = fs::read(data)?;
        if after != before {
            return Err(anyhow!("recover changed the data segment"));
        }
        if after.len() as u64 != data_size {
            return Err(anyhow!(
                "data segment is {} bytes, expected {data_size}",
                after.len()
            ));
        }
        Ok(format!(
            "log empty (head = tail = {}), recover applied nothing, data segment {} bytes unchanged",
            s.log_tail, data_size
        ))
    })();
    match r {
        Ok(detail) => Check {
            name,
            ok: true,
            detail,
        },
        Err(e) => Check {
            name,
            ok: false,
            detail: format!("{e:#}"),
        },
    }
}

// ---------------------------------------------------------------- output

fn print_report(r: &Report, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, r)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "coda-rs drill ({} sample) in {}",
        match r.size {
            Size::Small => "small",
            Size::Medium => "medium",
        },
        r.dir
    )?;
    writeln!(
        out,
        "{:<17} {:>9} {:>11} {:>12}  detail",
        "step", "time", "data", "throughput"
    )?;
    for s in &r.steps {
        let rate = human::rate(s.bytes, s.seconds)
            .filter(|_| s.bytes > 0)
            .unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{:<17} {:>7.3} s {:>11} {:>12}  {}{}",
            s.name,
            s.seconds,
            human::size(s.bytes),
            rate,
            if s.ok { "" } else { "FAILED: " },
            s.detail
        )?;
    }
    for c in &r.checks {
        writeln!(
            out,
            "check {:<40} {}  {}",
            c.name,
            if c.ok { "ok" } else { "FAILED" },
            c.detail
        )?;
    }
    let failed =
        r.checks.iter().filter(|c| !c.ok).count() + r.steps.iter().filter(|s| !s.ok).count();
    writeln!(
        out,
        "result: {} ({} steps, {} checks, {} failed) in {:.3} s",
        if r.ok { "PASS" } else { "FAIL" },
        r.steps.len(),
        r.checks.len(),
        failed,
        r.total_seconds
    )?;
    Ok(())
}
