//! Running a plan: the phases described in the crate documentation.

use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;
use rustix::fs::{FileType, Mode, OFlags, CWD};
use rustix::io::Errno;

use crate::coda::{SystemVenus, Venus};
use crate::data::{self, DataError};
use crate::error::{Error, Failure, Op, Warning};
use crate::links::ObjectId;
use crate::meta::{self, MetaError};
use crate::plan::{self, Action, Pair, Plan, Resolved};
use crate::report::{Progress, Report};
use crate::resume::{self, State};
use crate::verify::{self, Side};
use crate::walk::{self, Kind, Meta};
use crate::{Existing, Options};

const PENDING: u8 = 0;
const DONE: u8 = 1;
const SKIPPED: u8 = 2;
const FAILED: u8 = 3;

/// Copies every pair: each `dst` becomes a copy of its `src`. Sources
/// on a Coda mount are asked for fids through the local venus
/// ([`SystemVenus`]).
///
/// Returns `Err` only when the run cannot start (a refused or
/// overlapping destination, a missing source); failures of single items
/// are listed in the [`Report`].
pub fn copy_pairs(
    pairs: &[Pair],
    opts: &Options,
    progress: &dyn Progress,
) -> Result<Report, Error> {
    copy_pairs_with(pairs, opts, progress, &SystemVenus::default())
}

/// [`copy_pairs`] with a given [`Venus`] for Coda fids and ACLs.
pub fn copy_pairs_with(
    pairs: &[Pair],
    opts: &Options,
    progress: &dyn Progress,
    venus: &dyn Venus,
) -> Result<Report, Error> {
    let resolved = plan::resolve(pairs)?;
    let coda: Vec<bool> = resolved
        .iter()
        .map(|r| venus.is_coda(&r.pair.src))
        .collect();
    if opts.preserve.acls {
        for (r, &src_on_coda) in resolved.iter().zip(&coda) {
            if !src_on_coda {
                return Err(Error::NotCoda {
                    path: r.pair.src.clone(),
                });
            }
            let dst = &r.pair.dst;
            let probe = if dst.exists() {
                dst.as_path()
            } else {
                dst.parent().unwrap_or(dst)
            };
            if !venus.is_coda(probe) {
                return Err(Error::NotCoda { path: dst.clone() });
            }
        }
    }
    prepare_roots(&resolved, opts.existing, opts.dry_run)?;
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = opts.jobs {
        builder = builder.num_threads(n.max(1));
    }
    let pool = builder.build().map_err(|e| Error::ThreadPool {
        jobs: opts.jobs.unwrap_or(0),
        message: e.to_string(),
    })?;
    Ok(pool.install(|| run(resolved, coda, opts, progress, venus)))
}

/// Checks every destination root, then creates the missing ones: a
/// refusal leaves the filesystem untouched.
fn prepare_roots(pairs: &[Resolved], existing: Existing, dry_run: bool) -> Result<(), Error> {
    let mut to_create = Vec::new();
    for r in pairs {
        let dst = &r.pair.dst;
        match fs::symlink_metadata(dst) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => to_create.push(dst),
            Err(e) => {
                return Err(Error::Io {
                    path: dst.clone(),
                    op: Op::Stat,
                    source: e,
                })
            }
            Ok(m) if !m.is_dir() => {
                return Err(Error::Io {
                    path: dst.clone(),
                    op: Op::Mkdir,
                    source: io::Error::from_raw_os_error(Errno::NOTDIR.raw_os_error()),
                })
            }
            Ok(_) => {
                let empty = fs::read_dir(dst)
                    .map_err(|source| Error::Io {
                        path: dst.clone(),
                        op: Op::ReadDir,
                        source,
                    })?
                    .next()
                    .is_none();
                if !empty && existing == Existing::Refuse {
                    return Err(Error::DstNotEmpty { path: dst.clone() });
                }
            }
        }
    }
    if dry_run {
        return Ok(());
    }
    for dst in to_create {
        fs::DirBuilder::new()
            .mode(0o700)
            .create(dst)
            .map_err(|source| Error::Io {
                path: dst.clone(),
                op: Op::Mkdir,
                source,
            })?;
    }
    Ok(())
}

/// Counts kept while items are processed in parallel.
#[derive(Default)]
struct Counters {
    dirs: AtomicU64,
    files: AtomicU64,
    symlinks: AtomicU64,
    specials: AtomicU64,
    hard_links: AtomicU64,
    bytes: AtomicU64,
    skipped: AtomicU64,
    verified: AtomicU64,
}

fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

struct Copier<'a> {
    plan: Plan,
    /// Per pair: is the source on a Coda mount.
    coda: Vec<bool>,
    opts: &'a Options,
    progress: &'a dyn Progress,
    venus: &'a dyn Venus,
    state: Vec<AtomicU8>,
    counters: Counters,
    failures: Mutex<Vec<Failure>>,
    warnings: Mutex<Vec<Warning>>,
    stop: AtomicBool,
    umask: u32,
}

fn run(
    resolved: Vec<Resolved>,
    coda: Vec<bool>,
    opts: &Options,
    progress: &dyn Progress,
    venus: &dyn Venus,
) -> Report {
    let walked: Vec<_> = resolved
        .par_iter()
        .map(|r| walk::walk(&r.pair.src, r.src_meta, opts.one_file_system))
        .collect();
    let mut trees = Vec::with_capacity(walked.len());
    let mut failures = Vec::new();
    for (entries, fails) in walked {
        trees.push(entries);
        failures.extend(fails);
    }
    let pairs = resolved.into_iter().map(|r| r.pair).collect();
    let mut plan = Plan::build(pairs, trees);
    let warnings = Mutex::new(Vec::new());
    if opts.preserve.links {
        let ids = identities(&plan, &coda, venus, &warnings);
        plan.link(ids);
    }
    progress.scanned(plan.objects, plan.bytes);
    if opts.dry_run {
        return dry_run_report(&plan, failures, warnings);
    }
    let stop = opts.fail_fast && !failures.is_empty();
    let copier = Copier {
        state: (0..plan.items.len())
            .map(|_| AtomicU8::new(PENDING))
            .collect(),
        plan,
        coda,
        opts,
        progress,
        venus,
        counters: Counters::default(),
        failures: Mutex::new(failures),
        warnings,
        stop: AtomicBool::new(stop),
        umask: current_umask(),
    };
    copier.run_phases();
    copier.into_report()
}

/// What a run would do: counts from the plan, nothing touched.
fn dry_run_report(plan: &Plan, failures: Vec<Failure>, warnings: Mutex<Vec<Warning>>) -> Report {
    let mut r = Report {
        failures,
        warnings: warnings.into_inner().unwrap_or_else(|e| e.into_inner()),
        bytes: plan.bytes,
        ..Report::default()
    };
    for it in &plan.items {
        match it.action {
            Action::Dir => r.dirs += 1,
            Action::File => r.files += 1,
            Action::Symlink => r.symlinks += 1,
            Action::Special => r.specials += 1,
            Action::Link { .. } => r.hard_links += 1,
        }
    }
    r
}

/// The identity of every item that may be a hard link: (dev, inode), or
/// the fid on a Coda mount. An object whose fid cannot be had is copied
/// on its own (with a warning) rather than risk linking two objects whose
/// inode numbers merely collide.
fn identities(
    plan: &Plan,
    coda: &[bool],
    venus: &dyn Venus,
    warnings: &Mutex<Vec<Warning>>,
) -> Vec<Option<ObjectId>> {
    (0..plan.items.len())
        .into_par_iter()
        .map(|i| {
            let item = &plan.items[i];
            let inode = ObjectId::of(&item.entry)?;
            if !coda[item.pair] {
                return Some(inode);
            }
            let src = plan.src(i);
            match venus.object_id(&src) {
                Ok(fid) => Some(fid),
                Err(e) => {
                    warnings
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(Warning {
                            message: format!(
                                "{}; copied without its hard links",
                                Failure::venus("", Op::GetFid, &e).message
                            ),
                            path: src,
                        });
                    None
                }
            }
        })
        .collect()
}

fn current_umask() -> u32 {
    // umask can only be read by setting it; put the old value straight back.
    let old = rustix::process::umask(Mode::from_raw_mode(0o022));
    rustix::process::umask(old);
    old.as_raw_mode()
}

/// Indices of the directory items, grouped by depth.
fn by_depth(plan: &Plan, deepest_first: bool) -> Vec<Vec<usize>> {
    let max = plan.items.iter().map(|i| i.entry.depth).max().unwrap_or(0) as usize;
    let mut levels = vec![Vec::new(); max + 1];
    for (i, it) in plan.items.iter().enumerate() {
        if it.action == Action::Dir {
            levels[it.entry.depth as usize].push(i);
        }
    }
    if deepest_first {
        levels.reverse();
    }
    levels
}

fn errno_err(e: Errno) -> io::Error {
    e.into()
}

impl Copier<'_> {
    fn run_phases(&self) {
        // 1. Directories, parents before children, each level in parallel.
        for level in by_depth(&self.plan, false) {
            level
                .par_iter()
                .for_each(|&i| self.guard(i, |s| s.make_dir(i)));
        }
        // 2. Files, symlinks and specials: the bulk of the work.
        let objects: Vec<usize> = (0..self.plan.items.len())
            .filter(|&i| {
                matches!(
                    self.plan.items[i].action,
                    Action::File | Action::Symlink | Action::Special
                )
            })
            .collect();
        objects.par_iter().for_each(|&i| {
            self.guard(i, |s| s.make_object(i));
            self.progress.item_done(self.share(i));
        });
        // 3. Further names of hard-linked objects.
        let links: Vec<usize> = (0..self.plan.items.len())
            .filter(|&i| matches!(self.plan.items[i].action, Action::Link { .. }))
            .collect();
        links.par_iter().for_each(|&i| {
            self.guard(i, |s| s.make_link(i));
            self.progress.item_done(0);
        });
        // 4. Directory metadata, deepest first, after all their children.
        for level in by_depth(&self.plan, true) {
            level.par_iter().for_each(|&i| {
                if self.state[i].load(Ordering::Relaxed) == DONE {
                    self.guard(i, |s| s.finish_dir(i));
                }
            });
        }
        // 5. Verification.
        if self.opts.verify {
            objects.par_iter().for_each(|&i| {
                let st = self.state[i].load(Ordering::Relaxed);
                if self.plan.items[i].action == Action::File && (st == DONE || st == SKIPPED) {
                    self.check(i);
                }
            });
        }
    }

    fn share(&self, i: usize) -> u64 {
        let it = &self.plan.items[i];
        if it.action == Action::File {
            it.entry.meta.size
        } else {
            0
        }
    }

    /// Runs one step on item `i` unless the run was stopped, and records
    /// its outcome.
    fn guard(&self, i: usize, f: impl FnOnce(&Self) -> Result<u8, Failure>) {
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        match f(self) {
            Ok(st) => self.state[i].store(st, Ordering::Relaxed),
            Err(fail) => {
                self.state[i].store(FAILED, Ordering::Relaxed);
                self.fail(fail);
            }
        }
    }

    fn fail(&self, f: Failure) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(f);
        if self.opts.fail_fast {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    fn warn(&self, path: PathBuf, message: String) {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Warning { path, message });
    }

    fn meta(&self, i: usize) -> &Meta {
        &self.plan.items[i].entry.meta
    }

    fn merging(&self) -> bool {
        self.opts.existing != Existing::Refuse
    }

    /// Removes whatever is at `dst` (never a directory) before it is
    /// recreated, when merging.
    fn clear(&self, src: &Path, dst: &Path) -> Result<(), Failure> {
        if !self.merging() {
            return Ok(()); // creation reports EEXIST
        }
        match fs::symlink_metadata(dst) {
            Err(_) => Ok(()),
            Ok(m) if m.is_dir() => Err(Failure::other(
                src,
                Op::Remove,
                format!(
                    "{} is a directory at the destination (expected none or a non-directory)",
                    dst.display()
                ),
            )),
            Ok(_) => fs::remove_file(dst).map_err(|e| Failure::io(src, Op::Remove, &e)),
        }
    }

    fn make_dir(&self, i: usize) -> Result<u8, Failure> {
        let src = self.plan.src(i);
        let dst = self.plan.dst(i);
        let perm = self.meta(i).perm() & 0o777;
        let mkdir = || fs::DirBuilder::new().mode(perm | 0o700).create(&dst);
        match mkdir() {
            Ok(()) => Ok(DONE),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let m = fs::symlink_metadata(&dst).map_err(|e| Failure::io(&src, Op::Mkdir, &e))?;
                if m.is_dir() && (self.merging() || self.plan.items[i].entry.depth == 0) {
                    return Ok(DONE);
                }
                if !self.merging() {
                    return Err(Failure::io(&src, Op::Mkdir, &e));
                }
                fs::remove_file(&dst).map_err(|e| Failure::io(&src, Op::Remove, &e))?;
                mkdir().map_err(|e| Failure::io(&src, Op::Mkdir, &e))?;
                Ok(DONE)
            }
            Err(e) => Err(Failure::io(&src, Op::Mkdir, &e)),
        }
    }

    fn finish_dir(&self, i: usize) -> Result<u8, Failure> {
        let src = self.plan.src(i);
        let dst = self.plan.dst(i);
        let m = self.meta(i);
        self.apply_path(&src, &dst, m, false)?;
        if self.opts.preserve.acls && self.coda[self.plan.items[i].pair] {
            let acl = self
                .venus
                .get_acl(&src)
                .map_err(|e| Failure::venus(&src, Op::Acl, &e))?;
            self.venus
                .set_acl(&dst, &acl)
                .map_err(|e| Failure::venus(&src, Op::Acl, &e))?;
        }
        if !self.opts.preserve.mode {
            let mode = m.perm() & 0o777 & !self.umask;
            rustix::fs::chmodat(
                CWD,
                &dst,
                Mode::from_raw_mode(mode),
                rustix::fs::AtFlags::empty(),
            )
            .map_err(|e| Failure::io(&src, Op::Chmod, &errno_err(e)))?;
        }
        add(&self.counters.dirs, 1);
        Ok(DONE)
    }

    fn apply_path(&self, src: &Path, dst: &Path, m: &Meta, symlink: bool) -> Result<(), Failure> {
        meta::apply_path(src, dst, m, &self.opts.preserve, symlink)
            .map_err(|(op, e): MetaError| Failure::io(src, op, &e))
    }

    fn make_object(&self, i: usize) -> Result<u8, Failure> {
        match self.plan.items[i].action {
            Action::File => self.copy_file(i),
            Action::Symlink => self.copy_symlink(i),
            Action::Special => self.copy_special(i),
            Action::Dir | Action::Link { .. } => Ok(PENDING),
        }
    }

    fn open_src(&self, src: &Path) -> Result<File, Failure> {
        if let Some(suffix) = &self.opts.fail_read_suffix {
            if src.as_os_str().as_bytes().ends_with(suffix.as_bytes()) {
                return Err(Failure::io(
                    src,
                    Op::Read,
                    &io::Error::from_raw_os_error(Errno::IO.raw_os_error()),
                ));
            }
        }
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        // O_NOATIME keeps the source's access times untouched; only the
        // owner and root may ask for it.
        let fd = match rustix::fs::openat(CWD, src, flags | OFlags::NOATIME, Mode::empty()) {
            Err(Errno::PERM) => rustix::fs::openat(CWD, src, flags, Mode::empty()),
            r => r,
        };
        fd.map(File::from)
            .map_err(|e| Failure::io(src, Op::Open, &errno_err(e)))
    }

    fn create_dst(&self, src: &Path, dst: &Path, perm: u32) -> Result<File, Failure> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        rustix::fs::openat(CWD, dst, flags, Mode::from_raw_mode(perm & 0o777))
            .map(File::from)
            .map_err(|e| Failure::io(src, Op::Write, &errno_err(e)))
    }

    fn copy_file(&self, i: usize) -> Result<u8, Failure> {
        let src = self.plan.src(i);
        let dst = self.plan.dst(i);
        let m = *self.meta(i);
        if self.opts.existing == Existing::Resume {
            match resume::state(&m, &dst) {
                State::Complete if !self.opts.checksum => {
                    add(&self.counters.skipped, 1);
                    return Ok(SKIPPED);
                }
                State::Complete | State::SameSize if self.opts.checksum => {
                    match verify::same_content(&src, &dst) {
                        Ok(true) => {
                            self.apply_path(&src, &dst, &m, false)?;
                            add(&self.counters.skipped, 1);
                            return Ok(SKIPPED);
                        }
                        Ok(false) => {}
                        Err(Side::Src(e)) => return Err(Failure::io(&src, Op::Read, &e)),
                        Err(Side::Dst(e)) => return Err(Failure::io(&src, Op::Resume, &e)),
                    }
                }
                _ => {}
            }
        }
        self.clear(&src, &dst)?;
        let from = self.open_src(&src)?;
        let to = self.create_dst(&src, &dst, m.perm())?;
        self.fill(&src, &from, &to, &m)?;
        add(&self.counters.files, 1);
        add(&self.counters.bytes, m.size);
        Ok(DONE)
    }

    /// Copies the data of `from` into the new file `to` and sets its metadata.
    fn fill(&self, src: &Path, from: &File, to: &File, m: &Meta) -> Result<(), Failure> {
        // The size now, not at walk time: the source may have changed.
        let size = from
            .metadata()
            .map(|md| md.size())
            .map_err(|e| Failure::io(src, Op::Stat, &e))?;
        data::copy_data(from, to, size, m.looks_sparse()).map_err(|e| match e {
            DataError::Read(e) => Failure::io(src, Op::Read, &e),
            DataError::Write(e) => Failure::io(src, Op::Write, &e),
        })?;
        meta::apply_fd(to, m, &self.opts.preserve, Some(from))
            .map_err(|(op, e)| Failure::io(src, op, &e))
    }

    fn copy_symlink(&self, i: usize) -> Result<u8, Failure> {
        let src = self.plan.src(i);
        let dst = self.plan.dst(i);
        let target = fs::read_link(&src).map_err(|e| Failure::io(&src, Op::Symlink, &e))?;
        let same = self.merging() && fs::read_link(&dst).is_ok_and(|t| t == target);
        if !same {
            self.clear(&src, &dst)?;
            std::os::unix::fs::symlink(&target, &dst)
                .map_err(|e| Failure::io(&src, Op::Symlink, &e))?;
        }
        self.apply_path(&src, &dst, self.meta(i), true)?;
        add(&self.counters.symlinks, 1);
        Ok(DONE)
    }

    fn copy_special(&self, i: usize) -> Result<u8, Failure> {
        let src = self.plan.src(i);
        let dst = self.plan.dst(i);
        let m = *self.meta(i);
        self.clear(&src, &dst)?;
        let ft = FileType::from_raw_mode(m.mode);
        rustix::fs::mknodat(
            CWD,
            &dst,
            ft,
            Mode::from_raw_mode(m.perm() & 0o777),
            m.rdev as _,
        )
        .map_err(|e| Failure::io(&src, Op::Mknod, &errno_err(e)))?;
        self.apply_path(&src, &dst, &m, false)?;
        add(&self.counters.specials, 1);
        Ok(DONE)
    }

    fn make_link(&self, i: usize) -> Result<u8, Failure> {
        let Action::Link { primary } = self.plan.items[i].action else {
            return Ok(PENDING);
        };
        let src = self.plan.src(i);
        let dst = self.plan.dst(i);
        let first = self.plan.dst(primary);
        let st = self.state[primary].load(Ordering::Relaxed);
        if st != DONE && st != SKIPPED {
            return Err(Failure::other(
                &src,
                Op::Link,
                format!(
                    "not linked: its first name {} was not copied",
                    self.plan.src(primary).display()
                ),
            ));
        }
        let first_meta =
            fs::symlink_metadata(&first).map_err(|e| Failure::io(&src, Op::Link, &e))?;
        if self.merging() {
            if let Ok(m) = fs::symlink_metadata(&dst) {
                if m.dev() == first_meta.dev() && m.ino() == first_meta.ino() {
                    add(&self.counters.skipped, 1);
                    return Ok(SKIPPED);
                }
            }
        }
        self.clear(&src, &dst)?;
        match fs::hard_link(&first, &dst) {
            Ok(()) => {
                add(&self.counters.hard_links, 1);
                Ok(DONE)
            }
            Err(e)
                if matches!(
                    e.raw_os_error().map(Errno::from_raw_os_error),
                    Some(Errno::XDEV | Errno::PERM | Errno::MLINK | Errno::OPNOTSUPP)
                ) =>
            {
                // Coda allows hard links only within one directory; the
                // name gets its own copy, made from the first copy so
                // that the source is still read only once.
                self.duplicate(i, &first)?;
                self.warn(
                    src,
                    format!(
                        "hard link to {} not possible at the destination ({}); copied instead",
                        first.display(),
                        Failure::io("", Op::Link, &e).message
                    ),
                );
                Ok(DONE)
            }
            Err(e) => Err(Failure::io(&src, Op::Link, &e)),
        }
    }

    /// Gives a hard-linked name its own copy of the object at `first`.
    fn duplicate(&self, i: usize, first: &Path) -> Result<(), Failure> {
        let src = self.plan.src(i);
        let dst = self.plan.dst(i);
        let m = *self.meta(i);
        match self.plan.items[i].entry.kind {
            Kind::File => {
                let from = File::open(first).map_err(|e| Failure::io(&src, Op::Open, &e))?;
                let to = self.create_dst(&src, &dst, m.perm())?;
                self.fill(&src, &from, &to, &m)?;
                add(&self.counters.files, 1);
                Ok(())
            }
            Kind::Symlink => {
                let target =
                    fs::read_link(first).map_err(|e| Failure::io(&src, Op::Symlink, &e))?;
                std::os::unix::fs::symlink(&target, &dst)
                    .map_err(|e| Failure::io(&src, Op::Symlink, &e))?;
                self.apply_path(&src, &dst, &m, true)
            }
            _ => {
                let ft = FileType::from_raw_mode(m.mode);
                rustix::fs::mknodat(
                    CWD,
                    &dst,
                    ft,
                    Mode::from_raw_mode(m.perm() & 0o777),
                    m.rdev as _,
                )
                .map_err(|e| Failure::io(&src, Op::Mknod, &errno_err(e)))?;
                self.apply_path(&src, &dst, &m, false)
            }
        }
    }

    fn check(&self, i: usize) {
        let src = self.plan.src(i);
        let dst = self.plan.dst(i);
        match verify::same_content(&src, &dst) {
            Ok(true) => add(&self.counters.verified, 1),
            Ok(false) => self.fail(Failure::other(
                &src,
                Op::Verify,
                format!("{} differs from the source", dst.display()),
            )),
            Err(Side::Src(e)) | Err(Side::Dst(e)) => self.fail(Failure::io(&src, Op::Verify, &e)),
        }
    }

    fn into_report(self) -> Report {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Report {
            dirs: get(&c.dirs),
            files: get(&c.files),
            symlinks: get(&c.symlinks),
            specials: get(&c.specials),
            hard_links: get(&c.hard_links),
            bytes: get(&c.bytes),
            skipped: get(&c.skipped),
            verified: get(&c.verified),
            stopped: self.stop.load(Ordering::Relaxed),
            failures: self
                .failures
                .into_inner()
                .unwrap_or_else(|e| e.into_inner()),
            warnings: self
                .warnings
                .into_inner()
                .unwrap_or_else(|e| e.into_inner()),
        }
    }
}
