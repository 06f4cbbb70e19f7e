//! Running a plan: the phases described in the crate documentation.

use std::fs;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;
use rustix::fs::Mode;
use rustix::io::Errno;

use crate::coda::{RealmOf, SystemVenus, Venus};
use crate::error::{Error, Failure, Op, Warning};
use crate::links::ObjectId;
use crate::node::Meta;
use crate::plan::{self, Action, Pair, Plan, Resolved};
use crate::report::{Progress, Report};
use crate::source::Source;
use crate::walk;
use crate::{Existing, Options};

pub(crate) const PENDING: u8 = 0;
pub(crate) const DONE: u8 = 1;
pub(crate) const SKIPPED: u8 = 2;
pub(crate) const FAILED: u8 = 3;

/// Files kept open besides the pairs' roots and caches: per worker a
/// source and a destination file, a listing and a few held directories.
const FDS_PER_THREAD: u64 = 8;
/// Files with at least this much data are copied before the others.
const BIG_FILE: u64 = 8 << 20;
/// Files the process needs for itself (stdio, the progress bar, ...).
const FDS_SPARE: u64 = 32;

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
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = opts.jobs {
        builder = builder.num_threads(n.max(1));
    }
    let pool = builder.build().map_err(|e| Error::ThreadPool {
        jobs: opts.jobs.unwrap_or(0),
        message: e.to_string(),
    })?;
    let capacity = cache_capacity(resolved.len(), pool.current_num_threads())?;
    prepare_roots(&resolved, opts.existing, opts.dry_run)?;
    let roots = Roots::open(resolved, capacity, opts, venus)?;
    Ok(pool.install(|| run(roots, coda, opts, progress, venus)))
}

/// How many directory fds each root may cache so that the run stays
/// below the soft limit on open files; refuses a run whose roots alone
/// would not fit.
fn cache_capacity(pairs: usize, threads: usize) -> Result<usize, Error> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let roots = 2 * pairs as u64;
    // Only the destinations cache directory fds.
    let needed = FDS_SPARE + FDS_PER_THREAD * threads as u64 + roots;
    if needed > limit {
        return Err(Error::TooManyPairs {
            pairs,
            needed,
            limit,
        });
    }
    let each = (limit - needed) / (pairs as u64).max(1);
    Ok(each.min(beneath::DEFAULT_CAPACITY as u64) as usize)
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
                    source: Errno::NOTDIR.into(),
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
        use std::os::unix::fs::DirBuilderExt;
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

/// The pairs with their roots open: everything of a run is reached
/// beneath these.
pub(crate) struct Roots {
    pub pairs: Vec<Pair>,
    /// Per pair: the source root's attributes (`fstat` of the open root).
    pub src_meta: Vec<Meta>,
    pub sources: Vec<Source>,
    /// Per pair: the destination root (none in a dry run).
    pub targets: Vec<beneath::Root>,
    /// Per pair, with `--acls`: what ties venus's names to the inodes.
    pub realms: Vec<Option<AclRealms>>,
}

/// What ties venus's names to the inodes on each side of a pair.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AclRealms {
    /// The source's realm.
    pub src: RealmOf,
    /// The destination's realm.
    pub dst: RealmOf,
}

impl Roots {
    fn open(
        resolved: Vec<Resolved>,
        capacity: usize,
        opts: &Options,
        venus: &dyn Venus,
    ) -> Result<Roots, Error> {
        let cache = beneath::Options {
            capacity,
            ..beneath::Options::default()
        };
        // The source caches nothing: each object is resolved afresh when
        // it is read, so a directory swapped since the walk is seen.
        let fresh = beneath::Options {
            capacity: 0,
            ..beneath::Options::default()
        };
        let mut roots = Roots {
            pairs: Vec::new(),
            src_meta: Vec::new(),
            sources: Vec::new(),
            targets: Vec::new(),
            realms: Vec::new(),
        };
        for r in resolved {
            let src = beneath::Root::open_with(&r.pair.src, fresh)?;
            let st = src.top().stat_self()?;
            if !opts.dry_run {
                let dst = beneath::Root::open_with(&r.pair.dst, cache)?;
                let realm = if opts.preserve.acls {
                    let at_root = |path: &std::path::Path, root: &beneath::Root| {
                        let ino = Meta::from_stat(&root.top().stat_self()?).ino;
                        RealmOf::of_root(venus, path, ino).map_err(|e| Error::Io {
                            path: path.to_path_buf(),
                            op: Op::GetFid,
                            source: io::Error::other(e.message),
                        })
                    };
                    Some(AclRealms {
                        src: at_root(&r.pair.src, &src)?,
                        dst: at_root(&r.pair.dst, &dst)?,
                    })
                } else {
                    None
                };
                roots.targets.push(dst);
                roots.realms.push(realm);
            }
            roots.src_meta.push(Meta::from_stat(&st));
            roots.sources.push(Source::new(src, opts.hook.clone()));
            roots.pairs.push(r.pair);
        }
        Ok(roots)
    }
}

/// Counts kept while items are processed in parallel.
#[derive(Default)]
pub(crate) struct Counters {
    pub dirs: AtomicU64,
    pub files: AtomicU64,
    pub symlinks: AtomicU64,
    pub specials: AtomicU64,
    pub hard_links: AtomicU64,
    pub bytes: AtomicU64,
    pub skipped: AtomicU64,
    pub verified: AtomicU64,
}

pub(crate) fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

pub(crate) struct Copier<'a> {
    pub plan: Plan,
    /// Per pair: is the source on a Coda mount.
    pub coda: Vec<bool>,
    pub sources: Vec<Source>,
    pub targets: Vec<beneath::Root>,
    pub realms: Vec<Option<AclRealms>>,
    pub opts: &'a Options,
    pub progress: &'a dyn Progress,
    pub venus: &'a dyn Venus,
    pub state: Vec<AtomicU8>,
    pub counters: Counters,
    failures: Mutex<Vec<Failure>>,
    warnings: Mutex<Vec<Warning>>,
    stop: AtomicBool,
    pub umask: u32,
    /// Per pair: what a file this run creates has already.
    pub born: Vec<crate::meta::Born>,
}

fn run(
    roots: Roots,
    coda: Vec<bool>,
    opts: &Options,
    progress: &dyn Progress,
    venus: &dyn Venus,
) -> Report {
    let walked: Vec<_> = roots
        .sources
        .par_iter()
        .zip(&roots.src_meta)
        .map(|(src, meta)| walk::walk(src, *meta, opts.one_file_system))
        .collect();
    let mut trees = Vec::with_capacity(walked.len());
    let mut failures = Vec::new();
    let mut left_out = Vec::new();
    for ((mut entries, fails), src) in walked.into_iter().zip(&roots.sources) {
        let names = &opts.leave_out_root_files;
        for rel in walk::leave_out_root_files(&mut entries, names) {
            left_out.push(src.path(&rel));
        }
        trees.push(entries);
        failures.extend(fails);
    }
    let mut plan = Plan::build(roots.pairs, trees);
    let warnings = Mutex::new(Vec::new());
    if opts.preserve.links {
        let ids = identities(&plan, &coda, venus, &warnings);
        plan.link(ids);
    }
    progress.scanned(plan.objects, plan.bytes);
    if opts.dry_run {
        return Report {
            left_out,
            ..dry_run_report(&plan, failures, warnings)
        };
    }
    let stop = opts.fail_fast && !failures.is_empty();
    let umask = current_umask();
    let born = roots
        .targets
        .iter()
        .map(|t| born(t, opts.existing, umask))
        .collect();
    let copier = Copier {
        state: (0..plan.items.len())
            .map(|_| AtomicU8::new(PENDING))
            .collect(),
        plan,
        coda,
        sources: roots.sources,
        targets: roots.targets,
        realms: roots.realms,
        opts,
        progress,
        venus,
        counters: Counters::default(),
        failures: Mutex::new(failures),
        warnings,
        stop: AtomicBool::new(stop),
        umask,
        born,
    };
    copier.run_phases();
    Report {
        left_out,
        ..copier.into_report()
    }
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

/// What every file a run creates beneath `target` has already. Only in a
/// destination that was empty: every directory below the root is then
/// this run's, made without set-id bits until the last phase. New files
/// get the caller's uid, and its gid when the root's group is the
/// caller's (with a set-gid root or a `grpid` mount they get the root's
/// group, which is then the same); their mode is the creation mode less
/// the umask unless the root has a default ACL (which every directory made
/// beneath it inherits).
fn born(target: &beneath::Root, existing: Existing, umask: u32) -> crate::meta::Born {
    let mut b = crate::meta::Born::default();
    if existing != Existing::Refuse {
        return b;
    }
    let top = target.top();
    let Ok(st) = top.stat_self() else { return b };
    let (uid, gid) = (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    );
    if st.st_gid == gid {
        b.owner = Some((uid, gid));
    }
    if !top.has_default_acl().unwrap_or(true) {
        b.umask = Some(umask);
    }
    b
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

impl Copier<'_> {
    fn run_phases(&self) {
        // 1. Directories, parents before children, each level in parallel.
        for level in by_depth(&self.plan, false) {
            level
                .par_iter()
                .for_each(|&i| self.guard(i, |s| s.make_dir(i)));
        }
        // 2. Files, symlinks and specials: the bulk of the work. The
        // largest files (by data, not apparent size) start first, so that
        // they overlap the small ones instead of ending the run alone.
        let mut objects: Vec<usize> = (0..self.plan.items.len())
            .filter(|&i| {
                matches!(
                    self.plan.items[i].action,
                    Action::File | Action::Symlink | Action::Special
                )
            })
            .collect();
        let data = |i: usize| {
            let m = &self.plan.items[i].entry.meta;
            m.size.min(m.blocks.saturating_mul(512))
        };
        objects.sort_by_key(|&i| match data(i) {
            d if d >= BIG_FILE => std::cmp::Reverse(d),
            _ => std::cmp::Reverse(0),
        });
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
        let asked = self.opts.stop.as_ref();
        if self.stop.load(Ordering::Relaxed) || asked.is_some_and(|s| s.load(Ordering::Relaxed)) {
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

    pub(crate) fn fail(&self, f: Failure) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(f);
        if self.opts.fail_fast {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    pub(crate) fn warn(&self, path: PathBuf, message: String) {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Warning { path, message });
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
            left_out: Vec::new(),
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
