//! The file-system side of a restore: directories, files (small ones
//! through a bounded pool of writer threads), links, metadata, the ACL
//! file and the journal, all written beneath the target's fd
//! ([`super::target`]).

use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use beneath::{FileKind, Root};

use super::coda::{check_mounts_done, make_mounts, maybe_mount, mount_volume, with_held};
use super::journal::{Journal, SourceId, JOURNAL_NAME};
use super::plan::{is_copy, walk, Kind, ObjectInfo, Overlay, Payload, Sink, Tree};
use super::pool::{Mark, Pool};
use super::reserved::{ACL_FILE, LOST_FOUND};
use super::target::{existing, Ctx, Existing};
use super::SMALL_FILE_LIMIT;
use super::{AclMode, CodaTarget, Progress, RestoreError, RestoreOptions, RestoreSummary};
use crate::acl::yaml;
use crate::model::Dump;
use crate::reader::DumpReader;
use crate::tar::MAX_SYMLINK_TARGET;

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
    if opts.dry_run {
        return super::dry_run::count(&mut reader, &overlay, into, &source, opts);
    }
    // The admin's own path may pass through symlinks; nothing below it may.
    std::fs::create_dir_all(into)
        .map_err(|e| RestoreError::target(None, into, "creating the target directory", e))?;
    let root = Root::open(into).map_err(|e| RestoreError::beneath(None, e))?;
    let old = Journal::load(&root)?;
    let Some((existing, skip)) = existing(&root, into, old.as_ref(), &source, opts)? else {
        // Left by a coda-rs that kept the journal of a finished restore:
        // the tree is complete; the journal goes.
        remove_journal(&root)?;
        return Ok(RestoreSummary {
            already_complete: true,
            ..RestoreSummary::default()
        });
    };
    if existing != Existing::Fresh {
        remove_stale_temporaries(&root)?;
    }
    let journal = Journal {
        version: 1,
        source,
        phase: "started".into(),
        completed_objects: skip,
        last_vnode: old.and_then(|j| j.last_vnode).filter(|_| skip > 0),
        in_flight: Vec::new(),
    };
    journal.save(&root, opts.sync)?;
    let coda = matches!(opts.acls, AclMode::Set(_)) || opts.coda.is_some();
    let plain_umask = plain_umask(&root, existing, coda);
    let euid = rustix::process::geteuid();
    let ctx = Arc::new(Ctx {
        root,
        is_root: euid.is_root(),
        euid: euid.as_raw(),
        plain_umask,
        existing,
        owners_best_effort: coda,
        links_in_one_dir: opts.coda.is_some(),
        owner_refused: AtomicBool::new(false),
        direct: opts.direct.clone(),
        sync: opts.sync,
    });
    let mut w = FsWriter {
        pool: Pool::new(ctx.clone(), opts.workers.max(1)),
        pending: None,
        ctx,
        opts: opts.clone(),
        journal,
        skip,
        since_checkpoint: 0,
        bytes_since_checkpoint: 0,
        last_checkpoint: Instant::now(),
        last_done: None,
        handed: 0,
        summary: RestoreSummary::default(),
        progress,
    };
    w.summary.resumed_objects = skip;
    let result = walk(&mut reader, &overlay, &mut w);
    let drained = w.pool.drain();
    if result.is_err() && drained.is_ok() {
        // What was written before the failure is in the journal for a
        // later resume (the failure itself is the error to report).
        if let Some(p) = w.pending.take().filter(|p| w.pool.written(&p.mark)) {
            let _ = w.save_checkpoint(p);
        }
    }
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

/// The process's umask, when new files in a fresh target get exactly
/// their creation mode less the umask: not when the target has a default
/// ACL (which every directory the restore makes inherits), nor when the
/// target held files already (their directories may have one), nor on a
/// Coda mount.
fn plain_umask(root: &Root, existing: Existing, coda: bool) -> Option<u32> {
    if existing != Existing::Fresh || coda {
        return None;
    }
    if root.top().has_default_acl().unwrap_or(true) {
        return None;
    }
    // Read without setting it (Linux 4.7 and later; else no shortcut).
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
}

/// Removes the temporary files of the journal and the ACL file that a
/// stopped run may have left in the root (the dump's own entries with
/// such names were restored under other names, see `reserved`).
fn remove_stale_temporaries(root: &Root) -> Result<(), RestoreError> {
    let b = |e| RestoreError::beneath(None, e);
    let top = root.top();
    let mut stale = Vec::new();
    for e in top.entries().map_err(b)? {
        let e = e.map_err(b)?;
        let ours = [JOURNAL_NAME, ACL_FILE]
            .iter()
            .any(|n| beneath::is_own_temp(&e.name, n.as_ref()));
        if ours {
            stale.push(e.name);
        }
    }
    for n in stale {
        if top.kind(&n).map_err(b)? == Some(FileKind::File) {
            top.remove_file(&n).map_err(b)?;
        }
    }
    Ok(())
}

/// Removes the journal from the target's root (a regular file; anything
/// else there is left alone: the journal was loaded or saved as a regular
/// file, so it is not a name the dump restored).
fn remove_journal(root: &Root) -> Result<(), RestoreError> {
    let b = |e| RestoreError::beneath(None, e);
    let top = root.top();
    if top.kind(JOURNAL_NAME).map_err(b)? == Some(FileKind::File) {
        top.remove_file(JOURNAL_NAME).map_err(b)?;
    }
    Ok(())
}

/// A journal update waiting for the writers.
struct Checkpoint {
    mark: Mark,
    completed: u64,
    last: (u32, u32),
}

struct FsWriter<'p> {
    ctx: Arc<Ctx>,
    pool: Pool,
    pending: Option<Checkpoint>,
    opts: RestoreOptions,
    journal: Journal,
    skip: u64,
    since_checkpoint: u64,
    bytes_since_checkpoint: u64,
    /// When the last journal update was asked for.
    last_checkpoint: Instant,
    /// The journal's count and fid after the last object handed out.
    last_done: Option<(u64, (u32, u32))>,
    handed: u64,
    summary: RestoreSummary,
    progress: &'p mut dyn FnMut(&Progress),
}

impl FsWriter<'_> {
    /// Asks for a journal update saying that the objects before
    /// `completed` are done; it is written once the writers have written
    /// them ([`FsWriter::poll_checkpoint`]), without stopping them. A
    /// previous request still waiting is waited for first.
    fn checkpoint(&mut self, completed: u64, last: (u32, u32)) -> Result<(), RestoreError> {
        if let Some(p) = self.pending.take() {
            self.pool.wait_for(&p.mark)?;
            self.save_checkpoint(p)?;
        }
        let mark = self.pool.mark()?;
        self.pending = Some(Checkpoint {
            mark,
            completed,
            last,
        });
        self.since_checkpoint = 0;
        self.bytes_since_checkpoint = 0;
        self.last_checkpoint = Instant::now();
        Ok(())
    }

    /// Writes the requested journal update once its objects are written.
    fn poll_checkpoint(&mut self) -> Result<(), RestoreError> {
        if self
            .pending
            .as_ref()
            .is_some_and(|p| self.pool.written(&p.mark))
        {
            let p = self.pending.take().expect("checked above");
            self.save_checkpoint(p)?;
        }
        Ok(())
    }

    fn save_checkpoint(&mut self, p: Checkpoint) -> Result<(), RestoreError> {
        if self.opts.sync {
            self.ctx
                .root
                .sync_fs()
                .map_err(|e| RestoreError::beneath(None, e))?;
        }
        self.journal.phase = "objects".into();
        self.journal.completed_objects = p.completed;
        self.journal.last_vnode = Some(format!("{:x}.{:x}", p.last.0, p.last.1));
        self.journal.save(&self.ctx.root, self.opts.sync)
    }

    /// The mount link `obj` for `volume` on a Coda target (not one the
    /// journal says is done): made with mkmount (or, resuming, found
    /// made), then counted and journalled as every object is. Mount
    /// points are made here on the reading thread, after the directories.
    fn mount_link(
        &mut self,
        obj: &ObjectInfo,
        coda: &Rc<dyn CodaTarget>,
        volume: &[u8],
    ) -> Result<(), RestoreError> {
        if obj.unnamed {
            self.summary.unnamed += 1;
            let parent = obj.paths[0].parent().unwrap_or(Path::new(""));
            self.ctx.make_dir(parent, None)?;
        }
        make_mounts(&self.ctx, coda.as_ref(), obj, volume)?;
        self.summary.mount_points += 1;
        self.object_done(obj, 0)
    }

    fn report(&mut self, stream_offset: u64) {
        let p = Progress {
            stream_bytes: stream_offset,
            objects: self.summary.files
                + self.summary.symlinks
                + self.summary.mount_points
                + self.summary.directories,
            bytes: self.summary.bytes,
        };
        (self.progress)(&p);
    }

    /// Sets the mtime of the target's root to the dump root's.
    fn root_mtime(&self, tree: &Tree) -> Result<(), RestoreError> {
        if let Some(root) = tree.dirs.iter().find(|d| d.path.as_os_str().is_empty()) {
            self.ctx
                .root
                .top()
                .set_times(&beneath::times(i64::from(root.mtime)))
                .map_err(|e| RestoreError::beneath(Some(root.fid), e))?;
        }
        Ok(())
    }

    /// Each directory's ACL through the setter, with the directory the
    /// layer holds open, so that the setter can check that the path it
    /// sends still names it.
    fn set_acls(&self, tree: &Tree) -> Result<(), RestoreError> {
        let AclMode::Set(setter) = &self.opts.acls else {
            return Ok(());
        };
        for d in &tree.dirs {
            let Some(acl) = &d.acl else { continue };
            let dir = self
                .ctx
                .root
                .dir(&d.path)
                .map_err(|e| RestoreError::beneath(Some(d.fid), e))?;
            with_held(&self.ctx, &dir, &d.path, Some(d.fid), |held| {
                setter.set_acl(held, acl)
            })?
            .map_err(|e| {
                RestoreError::target(
                    Some(d.fid),
                    dir.path(),
                    "setting the ACL",
                    io::Error::other(e),
                )
            })?;
        }
        Ok(())
    }

    fn write_acl_file(&self, tree: &Tree) -> Result<(), RestoreError> {
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
        self.ctx
            .root
            .top()
            .replace_file(ACL_FILE, &text, 0o400, false)
            .map_err(|e| RestoreError::beneath(None, e))
    }
}

impl Sink for FsWriter<'_> {
    fn directories(&mut self, tree: &Tree) -> Result<(), RestoreError> {
        self.summary
            .warnings
            .extend(tree.renames.warnings.iter().cloned());
        let mut order: Vec<_> = tree.dirs.iter().collect();
        order.sort_by_key(|d| d.path.components().count());
        for d in order {
            self.ctx.make_dir(&d.path, Some(d.fid))?;
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
        // A Coda target: a mount link's target is read first, to know.
        let read_target: Vec<u8>;
        let mut mount = None;
        // (A target longer than a symlink's is refused below, unread.)
        let fits = match &data {
            Payload::Stream(_, n) => *n <= u64::from(MAX_SYMLINK_TARGET),
            _ => true,
        };
        let data = match (&self.opts.coda, maybe_mount(obj) && fits) {
            (Some(coda), true) => {
                read_target = match data {
                    Payload::Stream(r, _) => r.read_data_to_vec()?,
                    Payload::Bytes(b) => b.to_vec(),
                    Payload::Bad => Vec::new(),
                };
                mount = mount_volume(obj, &read_target).map(|v| (coda.0.clone(), v));
                Payload::Bytes(&read_target)
            }
            _ => data,
        };
        if obj.ordinal < self.skip {
            if self.ctx.existing == Existing::Verify {
                match mount {
                    Some(_) => check_mounts_done(&self.ctx, obj)?,
                    None => self.ctx.check_done(obj)?,
                }
            }
            return Ok(());
        }
        if self
            .opts
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
        {
            // Saved once the writers are done (the error path drains them).
            if let Some((completed, last)) = self.last_done {
                self.checkpoint(completed, last)?;
            }
            return Err(RestoreError::Interrupted);
        }
        if let Some((coda, volume)) = mount {
            return self.mount_link(obj, &coda, volume);
        }
        if obj.unnamed {
            self.summary.unnamed += 1;
            let parent = obj.paths[0].parent().unwrap_or(Path::new(""));
            self.ctx.make_dir(parent, None)?;
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
                self.ctx.root.path().join(&obj.paths[0]),
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
        let copies = if self.ctx.links_in_one_dir {
            obj.paths[1..]
                .iter()
                .filter(|p| is_copy(&obj.paths[0], p))
                .count() as u64
        } else {
            0
        };
        if copies > 0 {
            self.summary.warnings.push(format!(
                "vnode {:#x}.{:#x} ({}): names in {} other directories are copies, not hard \
                 links (Coda keeps hard links inside one directory)",
                obj.fid.0,
                obj.fid.1,
                obj.paths[0].display(),
                copies
            ));
        }
        self.summary.copies += copies;
        self.summary.hard_links += obj.paths.len() as u64 - 1 - copies;
        self.summary.bytes += len;
        if len as usize <= SMALL_FILE_LIMIT || obj.kind == Kind::Symlink {
            // Read straight into the batch's buffer; a lying length cannot
            // allocate more than the bytes that arrive.
            self.pool.submit(obj.clone(), |buf| match data {
                Payload::Stream(r, _) => r.copy_data(buf).map(drop).map_err(RestoreError::Dump),
                Payload::Bytes(b) => {
                    buf.extend_from_slice(b);
                    Ok(())
                }
                Payload::Bad => Ok(()),
            })?;
        } else {
            self.pool.write_large(obj, data)?;
        }
        self.object_done(obj, len)
    }

    fn finish(&mut self, tree: &Tree) -> Result<(), RestoreError> {
        self.finish_tree(tree)
    }
}

impl FsWriter<'_> {
    /// Bookkeeping after object `obj` (`len` data bytes) was handed out:
    /// the kill hook, the journal checkpoints, progress.
    fn object_done(&mut self, obj: &ObjectInfo, len: u64) -> Result<(), RestoreError> {
        self.handed += 1;
        if self.opts.abort_after_objects == Some(self.handed) {
            // Test hook: end as `kill -9` would, with writers in flight.
            let _ = rustix::process::kill_process(
                rustix::process::getpid(),
                rustix::process::Signal::KILL,
            );
            std::process::abort();
        }
        self.last_done = Some((obj.ordinal + 1, obj.fid));
        self.since_checkpoint += 1;
        self.bytes_since_checkpoint += len;
        if self.since_checkpoint >= self.opts.journal_every.max(1)
            || self.bytes_since_checkpoint >= self.opts.journal_bytes
            || self.last_checkpoint.elapsed() >= self.opts.journal_interval
        {
            self.checkpoint(obj.ordinal + 1, obj.fid)?;
        }
        self.poll_checkpoint()?;
        self.report(obj.stream_offset);
        Ok(())
    }

    fn finish_tree(&mut self, tree: &Tree) -> Result<(), RestoreError> {
        self.pool.drain()?;
        // The journal goes at the end (an older checkpoint is as good).
        self.pending = None;
        self.set_acls(tree)?;
        // `lost+found` (objects no directory lists) is not in the dump: it
        // gets the root's mtime, so that restores are reproducible.
        let top = self.ctx.root.top();
        let b = |e| RestoreError::beneath(None, e);
        if !tree.dirs.iter().any(|d| d.path == Path::new(LOST_FOUND))
            && top.kind(LOST_FOUND).map_err(b)? == Some(FileKind::Dir)
        {
            if let Some(root) = tree.dirs.iter().find(|d| d.path.as_os_str().is_empty()) {
                top.open_dir(LOST_FOUND)
                    .and_then(|d| d.set_times(&beneath::times(i64::from(root.mtime))))
                    .map_err(b)?;
            }
        }
        let mut dirs: Vec<_> = tree.dirs.iter().collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.path.components().count()));
        for d in dirs {
            self.ctx.dir_meta(d)?;
        }
        if matches!(self.opts.acls, AclMode::Yaml) {
            self.write_acl_file(tree)?;
            // The root's mtime is the dump's, not that of the ACL file.
            self.root_mtime(tree)?;
        }
        // Finished: the tree holds what the dump holds (and the ACL file),
        // not the journal. A crash before this point leaves the journal
        // of the last checkpoint, from which a resume redoes the end.
        if self.opts.sync {
            self.ctx.root.sync_fs().map_err(b)?;
        }
        remove_journal(&self.ctx.root)?;
        // Removing the journal touched the root again.
        self.root_mtime(tree)?;
        self.report(0);
        Ok(())
    }
}
