//! The file-system side of a restore: creating directories, writing files
//! (small ones through a bounded pool of writer threads), links, metadata,
//! the ACL file and the journal.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use rustix::fs::{AtFlags, Timespec, Timestamps, CWD};

use super::journal::{Journal, SourceId};
use super::plan::{join, walk, Kind, ObjectInfo, Overlay, Payload, Sink, Tree};
use super::{AclMode, Progress, RestoreError, RestoreOptions, RestoreSummary, SMALL_FILE_LIMIT};
use crate::model::Dump;
use crate::reader::DumpReader;
use crate::tar::yaml;
use crate::tar::MAX_SYMLINK_TARGET;

/// Directory of the objects no directory lists (spec §11.2).
pub(crate) const LOST_FOUND: &str = "lost+found";

/// Name of the ACL file written into the target.
pub(crate) const ACL_FILE: &str = "..CodaACLs.yaml";

/// Jobs queued per worker: bounds the data held in memory to about
/// `workers × QUEUE_PER_WORKER × SMALL_FILE_LIMIT` in the worst case.
const QUEUE_PER_WORKER: usize = 4;

pub(crate) fn restore<R: Read>(
    full: R,
    incs: &[Dump],
    into: &Path,
    opts: &RestoreOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<RestoreSummary, RestoreError> {
    let mut reader = DumpReader::with_options(full, opts.read)?;
    let source = SourceId::new(reader.header(), incs);
    let overlay = Overlay::new(reader.header(), incs, opts.check_stamps)?;
    fs::create_dir_all(into)
        .map_err(|e| RestoreError::target(None, into, "creating the target directory", e))?;
    let old = Journal::load(into)?;
    let mut skip = 0;
    match (&old, opts.resume) {
        (Some(j), true) => {
            if j.source != source {
                return Err(RestoreError::Refused(format!(
                    "{}: the journal is of another dump chain (volume {:#010x}, backup date {}); \
                     refusing to resume with volume {:#010x}, backup date {}",
                    into.display(),
                    j.source.full.volume_id,
                    j.source.full.backup_date,
                    source.full.volume_id,
                    source.full.backup_date
                )));
            }
            if j.phase == "complete" {
                return Ok(RestoreSummary {
                    already_complete: true,
                    ..RestoreSummary::default()
                });
            }
            skip = j.completed_objects;
        }
        _ => {
            if !opts.force && !is_empty(into)? {
                let hint = if opts.resume {
                    "it holds no restore journal to resume from"
                } else {
                    "use --resume to continue an interrupted restore"
                };
                return Err(RestoreError::Refused(format!(
                    "{}: the target directory is not empty ({hint}; --force restores over it)",
                    into.display()
                )));
            }
        }
    }
    let journal = Journal {
        version: 1,
        source,
        phase: "started".into(),
        completed_objects: skip,
        last_vnode: old.and_then(|j| j.last_vnode).filter(|_| skip > 0),
        in_flight: Vec::new(),
    };
    journal.save(into, opts.sync)?;
    let ctx = Arc::new(Ctx {
        root: into.to_path_buf(),
        is_root: rustix::process::geteuid().is_root(),
        may_exist: opts.force || opts.resume,
        owners_best_effort: matches!(opts.acls, AclMode::Set(_)),
        owner_refused: AtomicBool::new(false),
    });
    let mut w = FsWriter {
        pool: Pool::new(ctx.clone(), opts.workers.max(1)),
        ctx,
        opts: opts.clone(),
        journal,
        skip,
        since_checkpoint: 0,
        bytes_since_checkpoint: 0,
        handed: 0,
        summary: RestoreSummary::default(),
        progress,
    };
    w.summary.resumed_objects = skip;
    let result = walk(&mut reader, &overlay, &mut w);
    let drained = w.pool.drain();
    result?;
    drained?;
    if w.ctx.owner_refused.load(Ordering::Relaxed) {
        w.summary
            .warnings
            .push("the file system refused some owners (kept the caller's)".into());
    }
    if !w.ctx.is_root {
        w.summary.warnings.push(
            "not running as root: owners were not set (everything belongs to the caller)".into(),
        );
    }
    let (summary, pool) = (w.summary, w.pool);
    pool.shutdown();
    Ok(summary)
}

fn is_empty(dir: &Path) -> Result<bool, RestoreError> {
    let mut it = fs::read_dir(dir)
        .map_err(|e| RestoreError::target(None, dir, "listing the target directory", e))?;
    Ok(it.next().is_none())
}

/// What every writer needs to know.
struct Ctx {
    root: PathBuf,
    is_root: bool,
    /// Names may already exist (resume, --force): remove before creating.
    may_exist: bool,
    /// A refused chown is not an error (Coda mounts).
    owners_best_effort: bool,
    /// Some chown was refused.
    owner_refused: AtomicBool,
}

impl Ctx {
    /// Applies the owner policy to the result of a chown.
    fn owner_result(&self, r: io::Result<()>) -> io::Result<()> {
        match r {
            Err(e) if self.owners_best_effort && e.kind() == io::ErrorKind::PermissionDenied => {
                self.owner_refused.store(true, Ordering::Relaxed);
                Ok(())
            }
            r => r,
        }
    }
}

struct FsWriter<'p> {
    ctx: Arc<Ctx>,
    pool: Pool,
    opts: RestoreOptions,
    journal: Journal,
    skip: u64,
    since_checkpoint: u64,
    bytes_since_checkpoint: u64,
    handed: u64,
    summary: RestoreSummary,
    progress: &'p mut dyn FnMut(&Progress),
}

impl FsWriter<'_> {
    fn checkpoint(&mut self, completed: u64, last: (u32, u32)) -> Result<(), RestoreError> {
        self.pool.drain()?;
        if self.opts.sync {
            let dir = File::open(&self.ctx.root)
                .map_err(|e| RestoreError::target(None, &self.ctx.root, "opening for syncfs", e))?;
            rustix::fs::syncfs(&dir).map_err(|e| {
                RestoreError::target(None, &self.ctx.root, "flushing the file system", e.into())
            })?;
        }
        self.journal.phase = "objects".into();
        self.journal.completed_objects = completed;
        self.journal.last_vnode = Some(format!("{:x}.{:x}", last.0, last.1));
        self.journal.save(&self.ctx.root, self.opts.sync)?;
        self.since_checkpoint = 0;
        self.bytes_since_checkpoint = 0;
        Ok(())
    }

    fn report(&mut self, stream_offset: u64) {
        let p = Progress {
            stream_bytes: stream_offset,
            objects: self.summary.files + self.summary.symlinks + self.summary.directories,
            bytes: self.summary.bytes,
        };
        (self.progress)(&p);
    }
}

impl Sink for FsWriter<'_> {
    fn directories(&mut self, tree: &Tree) -> Result<(), RestoreError> {
        let mut order: Vec<&PathBuf> = tree.dirs.iter().map(|d| &d.path).collect();
        order.sort_by_key(|p| p.components().count());
        for rel in order {
            let path = join(&self.ctx.root, rel);
            fs::create_dir_all(&path)
                .map_err(|e| RestoreError::target(None, &path, "creating the directory", e))?;
            self.summary.directories += 1;
        }
        self.journal.phase = "objects".into();
        self.journal.save(&self.ctx.root, self.opts.sync)?;
        self.report(0);
        Ok(())
    }

    fn object<R: Read>(
        &mut self,
        obj: &ObjectInfo,
        data: Payload<'_, R>,
    ) -> Result<(), RestoreError> {
        if obj.ordinal < self.skip {
            return Ok(());
        }
        if obj.unnamed {
            self.summary.unnamed += 1;
            if let Some(parent) = join(&self.ctx.root, &obj.paths[0]).parent() {
                fs::create_dir_all(parent).map_err(|e| {
                    RestoreError::target(Some(obj.fid), parent, "creating lost+found", e)
                })?;
            }
        }
        let len = match &data {
            Payload::Stream(_, n) => *n,
            Payload::Bytes(b) => b.len() as u64,
            Payload::Bad => {
                self.summary.warnings.push(format!(
                    "vnode {:#x}.{:#x} ({}): the dump has no data for it (D_BADINODE); \
                     restored as an empty file",
                    obj.fid.0,
                    obj.fid.1,
                    obj.paths[0].display()
                ));
                0
            }
        };
        if obj.kind == Kind::Symlink && len > u64::from(MAX_SYMLINK_TARGET) {
            return Err(RestoreError::target(
                Some(obj.fid),
                join(&self.ctx.root, &obj.paths[0]),
                "creating the symlink",
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("target of {len} bytes (at most {MAX_SYMLINK_TARGET})"),
                ),
            ));
        }
        match obj.kind {
            Kind::Symlink => self.summary.symlinks += 1,
            Kind::File => self.summary.files += 1,
        }
        self.summary.hard_links += obj.paths.len() as u64 - 1;
        self.summary.bytes += len;
        if len as usize <= SMALL_FILE_LIMIT || obj.kind == Kind::Symlink {
            let bytes = match data {
                Payload::Stream(r, n) => {
                    let mut v = Vec::with_capacity(n as usize);
                    r.data().read_to_end(&mut v).map_err(|e| {
                        match e.into_inner().map(|i| i.downcast::<crate::Error>()) {
                            Some(Ok(de)) => RestoreError::Dump(*de),
                            _ => RestoreError::Tape("reading the dump failed".into()),
                        }
                    })?;
                    v
                }
                Payload::Bytes(b) => b.to_vec(),
                Payload::Bad => Vec::new(),
            };
            self.pool.submit(obj.clone(), bytes)?;
        } else {
            write_object(&self.ctx, obj, Source::Big(data))?;
        }
        self.handed += 1;
        if self.opts.abort_after_objects == Some(self.handed) {
            // Test hook: end as `kill -9` would, with writers in flight.
            let _ = rustix::process::kill_process(
                rustix::process::getpid(),
                rustix::process::Signal::KILL,
            );
            std::process::abort();
        }
        self.since_checkpoint += 1;
        self.bytes_since_checkpoint += len;
        if self.since_checkpoint >= self.opts.journal_every.max(1)
            || self.bytes_since_checkpoint >= self.opts.journal_bytes
        {
            self.checkpoint(obj.ordinal + 1, obj.fid)?;
        }
        self.report(obj.stream_offset);
        Ok(())
    }

    fn finish(&mut self, tree: &Tree) -> Result<(), RestoreError> {
        self.pool.drain()?;
        if let AclMode::Set(setter) = &self.opts.acls {
            for d in &tree.dirs {
                let Some(acl) = &d.acl else { continue };
                let path = join(&self.ctx.root, &d.path);
                setter.set_acl(&path, acl).map_err(|e| {
                    RestoreError::target(Some(d.fid), &path, "setting the ACL", io::Error::other(e))
                })?;
            }
        }
        // `lost+found` (objects no directory lists) is not in the dump: it
        // gets the root's mtime, so that restores are reproducible.
        let lost = self.ctx.root.join(LOST_FOUND);
        if !tree.dirs.iter().any(|d| d.path == Path::new(LOST_FOUND)) && lost.is_dir() {
            if let Some(root) = tree.dirs.iter().find(|d| d.path.as_os_str().is_empty()) {
                set_times(&lost, root.mtime)
                    .map_err(|e| RestoreError::target(None, &lost, "setting mtime", e))?;
            }
        }
        let mut dirs: Vec<_> = tree.dirs.iter().collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.path.components().count()));
        for d in dirs {
            let path = join(&self.ctx.root, &d.path);
            set_meta(
                &self.ctx,
                Some(d.fid),
                &path,
                None,
                d.mode,
                d.owner,
                d.mtime,
            )?;
        }
        if matches!(self.opts.acls, AclMode::Yaml) {
            let mut text = b"acls:\n".to_vec();
            for d in &tree.dirs {
                let Some(acl) = &d.acl else { continue };
                let mut p = b".".to_vec();
                if !d.path.as_os_str().is_empty() {
                    p.push(b'/');
                    p.extend_from_slice(d.path.as_os_str().as_bytes());
                }
                yaml::directory_item(&p, acl, &mut text);
            }
            let path = self.ctx.root.join(ACL_FILE);
            let tmp = self.ctx.root.join(format!("{ACL_FILE}.tmp"));
            let write = || -> io::Result<()> {
                let _ = fs::remove_file(&tmp);
                let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
                f.write_all(&text)?;
                f.set_permissions(fs::Permissions::from_mode(0o400))?;
                drop(f);
                fs::rename(&tmp, &path)
            };
            write().map_err(|e| RestoreError::target(None, &path, "writing the ACLs", e))?;
            // The root's mtime is the dump's, not that of the ACL file.
            if let Some(root) = tree.dirs.iter().find(|d| d.path.as_os_str().is_empty()) {
                set_times(&self.ctx.root, root.mtime)
                    .map_err(|e| RestoreError::target(None, &self.ctx.root, "setting mtime", e))?;
            }
        }
        self.journal.phase = "complete".into();
        self.journal.completed_objects = self.journal.completed_objects.max(self.skip);
        self.journal.save(&self.ctx.root, self.opts.sync)?;
        // The journal's rename touched the root again.
        if let Some(root) = tree.dirs.iter().find(|d| d.path.as_os_str().is_empty()) {
            set_times(&self.ctx.root, root.mtime)
                .map_err(|e| RestoreError::target(None, &self.ctx.root, "setting mtime", e))?;
        }
        self.report(0);
        Ok(())
    }
}

/// Where an object's data comes from when it is written.
enum Source<'a, R> {
    Bytes(&'a [u8]),
    Big(Payload<'a, R>),
}

/// Removes whatever has the name `path` (resume, --force).
fn clear(ctx: &Ctx, path: &Path) -> io::Result<()> {
    if !ctx.may_exist {
        return Ok(());
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// A writer that remembers its own failure, to tell target errors from
/// dump errors after [`DumpReader::copy_data`].
struct Tracked<'a> {
    file: &'a mut File,
    err: Option<io::Error>,
}

impl Write for Tracked<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.file.write(b).inspect_err(|e| {
            self.err = Some(io::Error::new(e.kind(), e.to_string()));
        })
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn write_object<R: Read>(
    ctx: &Ctx,
    obj: &ObjectInfo,
    src: Source<'_, R>,
) -> Result<(), RestoreError> {
    let first = join(&ctx.root, &obj.paths[0]);
    let fid = Some(obj.fid);
    let t = |action, e| RestoreError::target(fid, &first, action, e);
    clear(ctx, &first).map_err(|e| t("removing the old name", e))?;
    match obj.kind {
        Kind::Symlink => {
            let Source::Bytes(target) = src else {
                unreachable!("symlinks are read whole")
            };
            let target = OsStr::from_bytes(target);
            symlink(target, &first).map_err(|e| t("creating the symlink", e))?;
            if ctx.is_root {
                ctx.owner_result(std::os::unix::fs::lchown(&first, Some(obj.owner), None))
                    .map_err(|e| t("setting the owner", e))?;
            }
            set_times(&first, obj.mtime).map_err(|e| t("setting mtime", e))?;
        }
        Kind::File => {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&first)
                .map_err(|e| t("creating the file", e))?;
            match src {
                Source::Bytes(b) => f.write_all(b).map_err(|e| t("writing file data", e))?,
                Source::Big(Payload::Stream(r, _)) => {
                    let mut out = Tracked {
                        file: &mut f,
                        err: None,
                    };
                    if let Err(e) = r.copy_data(&mut out) {
                        return Err(match out.err.take() {
                            Some(io) => t("writing file data", io),
                            None => RestoreError::Dump(e),
                        });
                    }
                }
                Source::Big(Payload::Bytes(b)) => {
                    f.write_all(b).map_err(|e| t("writing file data", e))?
                }
                Source::Big(Payload::Bad) => {}
            }
            set_meta(ctx, fid, &first, Some(&f), obj.mode, obj.owner, obj.mtime)?;
        }
    }
    for p in &obj.paths[1..] {
        let path = join(&ctx.root, p);
        clear(ctx, &path)
            .map_err(|e| RestoreError::target(fid, &path, "removing the old name", e))?;
        fs::hard_link(&first, &path)
            .map_err(|e| RestoreError::target(fid, &path, "creating the hard link", e))?;
    }
    Ok(())
}

/// Owner (as root), mode and mtime, in that order (chown clears set-id
/// bits).
fn set_meta(
    ctx: &Ctx,
    fid: Option<(u32, u32)>,
    path: &Path,
    file: Option<&File>,
    mode: u32,
    owner: u32,
    mtime: u32,
) -> Result<(), RestoreError> {
    let t = |action, e| RestoreError::target(fid, path, action, e);
    if ctx.is_root {
        ctx.owner_result(match file {
            Some(f) => std::os::unix::fs::fchown(f, Some(owner), None),
            None => std::os::unix::fs::chown(path, Some(owner), None),
        })
        .map_err(|e| t("setting the owner", e))?;
    }
    let perm = fs::Permissions::from_mode(mode);
    match file {
        Some(f) => f.set_permissions(perm),
        None => fs::set_permissions(path, perm),
    }
    .map_err(|e| t("setting the mode", e))?;
    match file {
        Some(f) => {
            let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::from(mtime));
            f.set_times(fs::FileTimes::new().set_accessed(when).set_modified(when))
        }
        None => set_times(path, mtime),
    }
    .map_err(|e| t("setting mtime", e))
}

/// Sets atime and mtime of `path` (not following a symlink).
fn set_times(path: &Path, mtime: u32) -> io::Result<()> {
    let ts = Timespec {
        tv_sec: i64::from(mtime),
        tv_nsec: 0,
    };
    let times = Timestamps {
        last_access: ts,
        last_modification: ts,
    };
    rustix::fs::utimensat(CWD, path, &times, AtFlags::SYMLINK_NOFOLLOW).map_err(io::Error::from)
}

/// A bounded pool of writer threads for small files.
struct Pool {
    tx: Option<SyncSender<(ObjectInfo, Vec<u8>)>>,
    handles: Vec<JoinHandle<()>>,
    state: Arc<PoolState>,
}

#[derive(Default)]
struct PoolState {
    pending: Mutex<u64>,
    idle: Condvar,
    error: Mutex<Option<RestoreError>>,
}

impl Pool {
    fn new(ctx: Arc<Ctx>, workers: usize) -> Pool {
        let (tx, rx) = sync_channel::<(ObjectInfo, Vec<u8>)>(workers * QUEUE_PER_WORKER);
        let rx = Arc::new(Mutex::new(rx));
        let state = Arc::new(PoolState::default());
        let handles = (0..workers)
            .map(|_| {
                let (rx, state, ctx) = (rx.clone(), state.clone(), ctx.clone());
                std::thread::spawn(move || loop {
                    let job = rx.lock().expect("pool lock").recv();
                    let Ok((obj, data)) = job else { return };
                    let failed = state.error.lock().expect("pool lock").is_some();
                    if !failed {
                        let r = write_object::<io::Empty>(&ctx, &obj, Source::Bytes(&data));
                        if let Err(e) = r {
                            state.error.lock().expect("pool lock").get_or_insert(e);
                        }
                    }
                    let mut n = state.pending.lock().expect("pool lock");
                    *n -= 1;
                    if *n == 0 {
                        state.idle.notify_all();
                    }
                })
            })
            .collect();
        Pool {
            tx: Some(tx),
            handles,
            state,
        }
    }

    fn submit(&self, obj: ObjectInfo, data: Vec<u8>) -> Result<(), RestoreError> {
        if let Some(e) = self.state.error.lock().expect("pool lock").take() {
            return Err(e);
        }
        *self.state.pending.lock().expect("pool lock") += 1;
        self.tx
            .as_ref()
            .expect("pool is open")
            .send((obj, data))
            .expect("writer threads outlive the pool");
        Ok(())
    }

    /// Waits until every submitted object is written; the first error.
    fn drain(&self) -> Result<(), RestoreError> {
        let mut n = self.state.pending.lock().expect("pool lock");
        while *n > 0 {
            n = self.state.idle.wait(n).expect("pool lock");
        }
        drop(n);
        match self.state.error.lock().expect("pool lock").take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn shutdown(mut self) {
        self.tx = None;
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.tx = None;
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}
