//! The drill's steps, in order: generate, full-dump, change,
//! incremental-dump, rvm-init, restore, copy, verify. Each is timed and
//! recorded in the report; the first that fails ends the drill.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Instant;

use crate::manifest::Manifest;
use crate::report::{Report, Step};
use crate::{sample, verify, Error, Options, Result, Size};

/// Volume id and name of the sample volume.
const VOLUME_ID: u32 = 0x7f00_0001;
const VOLUME_NAME: &[u8] = b"drill.backup";

/// Buffer size of the dump files written and read.
const BUFFER: usize = 1 << 20;

/// Runs `f` as step `name`, recording its time; `f` returns the bytes it
/// processed and a one-line detail.
fn step<T>(
    report: &mut Report,
    progress: &mut dyn FnMut(&Step),
    name: &'static str,
    f: impl FnOnce() -> Result<(T, u64, String)>,
) -> Result<T> {
    let t = Instant::now();
    let r = f();
    let seconds = t.elapsed().as_secs_f64();
    let (out, bytes, detail, ok) = match r {
        Ok((v, b, d)) => (Ok(v), b, d, true),
        Err(e) => {
            let d = crate::chain_line(&e);
            let e = Error::Step {
                name,
                source: Box::new(e),
            };
            (Err(e), 0, d, false)
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

/// Runs every step in `dir`, recording them and the checks in `report`.
pub(crate) fn drill(
    dir: &Path,
    opts: &Options,
    report: &mut Report,
    progress: &mut dyn FnMut(&Step),
) -> Result<()> {
    let size = opts.size;
    // Every write into the working directory goes beneath its fd.
    let work = beneath::Root::open(dir)?;
    let source = dir.join("source");
    let full_path = dir.join("full.dump");
    let incr_path = dir.join("incremental.dump");
    let rvm_dir = dir.join("rvm");
    let restored = dir.join("restored");
    let copied = dir.join("copy");

    step(report, progress, "generate", || {
        let s = sample::generate(&work, Path::new("source"), size)?;
        Ok(((), s.bytes, s.to_string()))
    })?;

    step(report, progress, "full-dump", || {
        let out = BufWriter::with_capacity(BUFFER, create_new(&work, "full.dump")?);
        let opts =
            volume_dump::create::CreateOptions::new(VOLUME_ID, VOLUME_NAME, sample::DATE_FULL);
        let (out, r) = volume_dump::create::create_dump(&source, &opts, out)
            .map_err(Error::dump(format!("{}: dump create", source.display())))?;
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
        let c = sample::change(&work, Path::new("source"), size)?;
        Ok(((), c.bytes, c.to_string()))
    })?;

    step(report, progress, "incremental-dump", || {
        let out = BufWriter::with_capacity(BUFFER, create_new(&work, "incremental.dump")?);
        let opts = volume_dump::incremental::IncrementalOptions {
            level: 1,
            date: sample::DATE_INCR,
        };
        // What `dump create --incremental-from` runs.
        let (out, r) =
            volume_dump::incremental::write_incremental_from(&full_path, &source, &opts, out)
                .map_err(Error::dump(format!(
                    "{}: incremental dump",
                    source.display()
                )))?;
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
            rvm::InitLogOptions::default(),
            now,
            &mut |_, _| {},
        )?;
        let p = rvm::HeapParams::coda_standard(data_size);
        let d = rvm::init_data(
            &log,
            &data,
            &p,
            rvm::InitDataOptions {
                sparse: true,
                ..rvm::InitDataOptions::default()
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
            File::open(&incr_path).map_err(Error::io(&incr_path, "cannot open"))?,
            volume_dump::ReadOptions::default(),
        )
        .map_err(Error::dump(format!(
            "{}: reading the incremental",
            incr_path.display()
        )))?;
        let full = File::open(&full_path).map_err(Error::io(&full_path, "cannot open"))?;
        let opts = volume_dump::restore::RestoreOptions {
            acls: volume_dump::restore::AclMode::Skip,
            workers: 2,
            ..volume_dump::restore::RestoreOptions::default()
        };
        let s = volume_dump::restore::restore_chain(
            BufReader::with_capacity(BUFFER, full),
            std::slice::from_ref(&incr),
            &restored,
            &opts,
            &mut |_| {},
        )?;
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
        let r = tree_copy::copy_pairs(&pairs, &opts, &tree_copy::NoProgress)?;
        if !r.ok() {
            return Err(Error::CopyFailed {
                count: r.failures.len(),
                first: r.failures[0].to_string(),
            });
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

    if opts.corrupt {
        corrupt_one_file(&work, Path::new("restored"))?;
    }

    let mut checks = Vec::new();
    step(report, progress, "verify", || {
        let want = Manifest::of_tree(&source)?;
        let bytes = want.bytes();
        checks.push(verify::dump(&full_path, true));
        checks.push(verify::dump(&incr_path, false));
        checks.push(verify::tree(
            "restored tree equals the changed source",
            &want,
            &restored,
        ));
        checks.push(verify::tree(
            "copy equals the changed source",
            &want,
            &copied,
        ));
        checks.push(verify::rvm(&log, &data, data_size));
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
fn create_new(work: &beneath::Root, name: &str) -> Result<File> {
    Ok(work.top().create_file(name, 0o644)?)
}

/// Flips one byte of the largest regular file of the tree `rel` of the
/// working directory.
fn corrupt_one_file(work: &beneath::Root, rel: &Path) -> Result<()> {
    let m = Manifest::of_tree(&work.path().join(rel))?;
    let file = m
        .largest_file()
        .ok_or_else(|| Error::Check("no file to corrupt".into()))?;
    sample::corrupt(work, &rel.join(std::ffi::OsStr::from_bytes(file)))
}

/// Flushes and syncs a dump file written through `out`.
fn finish_file(out: BufWriter<File>, path: &Path) -> Result<()> {
    let f = out
        .into_inner()
        .map_err(|e| Error::io(path, "cannot write")(e.into_error()))?;
    f.sync_all().map_err(Error::io(path, "cannot sync"))
}
