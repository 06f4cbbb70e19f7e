//! The restore's target, seen only through the beneath layer: every
//! directory, file, symlink, link and metadata change is made relative to
//! the target's fd, never through a symlink. What is already there is
//! treated by [`Existing`]: a fresh restore refuses it, `--force`
//! replaces it (a symlink is removed, never followed or descended),
//! `--resume` accepts only what this restore made.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use beneath::{Access, CopyError, Dir, FileKind, RangeCopy, Root, Writeback, WRITEBACK_CHUNK};

use super::journal::{Journal, SourceId};
use super::plan::{is_copy, DirInfo, Kind, ObjectInfo, Payload};
use super::{RestoreError, RestoreOptions};
use crate::direct::{splice_unsupported, Direct, SpliceInto};
use crate::error::{Error, Record};
use crate::reader::DataRange;
use crate::tree::Fid;

/// How entries already in the target are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Existing {
    /// The target was empty: anything in the way is an error.
    Fresh,
    /// `--force`: anything in the way is removed (a directory where a
    /// directory is wanted is kept and restored into).
    Replace,
    /// `--resume`: only what the journal says this restore made is
    /// accepted (and rewritten); anything else is an error naming it.
    Verify,
}

/// What the target `into` (opened as `root`, holding the journal `old`
/// if any) allows a restore of `source` to do: how to treat what is there
/// and how many objects are done already; `None` when the journal says
/// the restore is complete. Refuses a journal of another chain, and a
/// non-empty target without `force` or (with its journal) `resume`.
pub(crate) fn existing(
    root: &Root,
    into: &Path,
    old: Option<&Journal>,
    source: &SourceId,
    opts: &RestoreOptions,
) -> Result<Option<(Existing, u64)>, RestoreError> {
    if let (Some(j), true) = (old, opts.resume) {
        if j.source != *source {
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
            return Ok(None);
        }
        return Ok(Some((Existing::Verify, j.completed_objects)));
    }
    let empty = root
        .top()
        .is_empty()
        .map_err(|e| RestoreError::beneath(None, e))?;
    if !opts.force && !empty {
        let hint = if opts.resume {
            "it holds no restore journal to resume from: a finished restore removes \
             its journal, dump verify --against compares the tree with the dump"
        } else {
            "use --resume to continue an interrupted restore"
        };
        return Err(RestoreError::Refused(format!(
            "{}: the target directory is not empty ({hint}; --force restores over it)",
            into.display()
        )));
    }
    Ok(Some((
        if opts.force {
            Existing::Replace
        } else {
            Existing::Fresh
        },
        0,
    )))
}

/// What every writer needs to know.
pub(crate) struct Ctx {
    pub root: Root,
    pub is_root: bool,
    pub existing: Existing,
    /// A refused chown is not an error (Coda mounts).
    pub owners_best_effort: bool,
    /// Hard links only inside one directory: a name elsewhere is a copy
    /// (Coda mounts, [`super::plan::is_copy`]).
    pub links_in_one_dir: bool,
    /// Some chown was refused.
    pub owner_refused: AtomicBool,
    /// The effective uid: a chown to it is skipped (it changes nothing,
    /// the file being new and its mode set afterwards).
    pub euid: u32,
    /// The umask when every new file's mode is exactly what it is created
    /// with (a fresh target without a default ACL), else `None`.
    pub plain_umask: Option<u32>,
    /// The dump file that [`Source::Range`]s are in.
    pub direct: Option<Direct>,
    /// `--sync`: large files start writeback while they are written.
    pub sync: bool,
}

/// Where an object's data comes from when it is written.
pub(crate) enum Source<'a, R> {
    Bytes(&'a [u8]),
    Big(Payload<'a, R>),
    /// A range of [`Ctx::direct`], copied by the kernel.
    Range(DataRange),
}

fn describe(k: Kind) -> &'static str {
    match k {
        Kind::File => "regular file",
        Kind::Symlink => "symbolic link",
    }
}

fn kind_of(k: Kind) -> FileKind {
    match k {
        Kind::File => FileKind::File,
        Kind::Symlink => FileKind::Symlink,
    }
}

impl Ctx {
    /// Applies the owner policy to the result of a chown.
    fn owner_result<E>(
        &self,
        r: Result<(), E>,
        kind: impl Fn(&E) -> io::ErrorKind,
    ) -> Result<(), E> {
        match r {
            Err(e) if self.owners_best_effort && kind(&e) == io::ErrorKind::PermissionDenied => {
                self.owner_refused.store(true, Ordering::Relaxed);
                Ok(())
            }
            r => r,
        }
    }

    pub(crate) fn in_the_way(
        &self,
        fid: Option<Fid>,
        dir: &Dir,
        name: &OsStr,
        found: FileKind,
        expected: &'static str,
    ) -> RestoreError {
        RestoreError::NotOurs {
            vnode: fid,
            path: dir.path().join(name),
            found: found.describe(),
            expected,
            resuming: self.existing == Existing::Verify,
        }
    }

    /// The directory `rel` of the target, made if missing (with its
    /// missing ancestors, e.g. `lost+found`). An existing directory is
    /// used; anything else in the way is removed with `--force` and an
    /// error otherwise. Never descends through a symlink.
    pub(crate) fn make_dir(&self, rel: &Path, fid: Option<Fid>) -> Result<Dir, RestoreError> {
        if rel.as_os_str().is_empty() {
            return Ok(self.root.top());
        }
        let b = |e| RestoreError::beneath(fid, e);
        let (parent, name) = match self.root.parent(rel) {
            Ok(x) => x,
            Err(e) if e.is_not_found() => {
                self.make_dir(rel.parent().unwrap_or(Path::new("")), None)?;
                self.root.parent(rel).map_err(b)?
            }
            Err(e) => return Err(b(e)),
        };
        if self.existing == Existing::Fresh {
            // Nothing is expected there: one mkdir, and a look only when
            // something is (a directory made meanwhile, e.g. lost+found).
            match parent.mkdir(name, 0o700) {
                Ok(()) => return parent.open_dir(name).map_err(b),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(b(e)),
            }
        }
        match parent.kind(name).map_err(b)? {
            None => {}
            Some(FileKind::Dir) => return parent.open_dir(name).map_err(b),
            Some(_) if self.existing == Existing::Replace => {
                parent.remove_all(name).map_err(b)?;
            }
            Some(k) => return Err(self.in_the_way(fid, &parent, name, k, "directory")),
        }
        match parent.mkdir(name, 0o700) {
            // Made meanwhile by another writer (lost+found).
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            r => r.map_err(b)?,
        }
        parent.open_dir(name).map_err(b)
    }

    /// Makes room at `dir/name` for a new object of kind `want`.
    fn clear_for(&self, fid: Fid, dir: &Dir, name: &OsStr, want: Kind) -> Result<(), RestoreError> {
        let b = |e| RestoreError::beneath(Some(fid), e);
        if self.existing == Existing::Fresh {
            // Creation is exclusive: anything there is EEXIST.
            return Ok(());
        }
        match dir.kind(name).map_err(b)? {
            None => Ok(()),
            Some(_) if self.existing == Existing::Replace => dir.remove_all(name).map_err(b),
            // Resuming: an object of this kind at this name is this
            // restore's (written or partly written before the stop).
            Some(k) if k == kind_of(want) => dir.remove_file(name).map_err(b),
            Some(k) => Err(self.in_the_way(Some(fid), dir, name, k, describe(want))),
        }
    }

    /// Resuming: checks that an object the journal says is complete is
    /// there at each of its names, of its kind.
    pub(crate) fn check_done(&self, obj: &ObjectInfo) -> Result<(), RestoreError> {
        let b = |e| RestoreError::beneath(Some(obj.fid), e);
        for p in &obj.paths {
            let (dir, name) = self.root.parent(p).map_err(b)?;
            match dir.kind(name).map_err(b)? {
                Some(k) if k == kind_of(obj.kind) => {}
                Some(k) => {
                    return Err(self.in_the_way(Some(obj.fid), &dir, name, k, describe(obj.kind)))
                }
                None => {
                    return Err(RestoreError::NotOurs {
                        vnode: Some(obj.fid),
                        path: dir.path().join(name),
                        found: "missing entry",
                        expected: describe(obj.kind),
                        resuming: true,
                    })
                }
            }
        }
        Ok(())
    }

    /// Writes one file or symlink at its first name, then its further
    /// names as hard links.
    pub(crate) fn write_object<R: Read>(
        &self,
        obj: &ObjectInfo,
        src: Source<'_, R>,
    ) -> Result<(), RestoreError> {
        let fid = obj.fid;
        let b = |e| RestoreError::beneath(Some(fid), e);
        let (dir, name) = self.root.parent(&obj.paths[0]).map_err(b)?;
        self.clear_for(fid, &dir, name, obj.kind)?;
        match obj.kind {
            Kind::Symlink => {
                let Source::Bytes(target) = src else {
                    unreachable!("symlinks are read whole")
                };
                let target = <OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(target);
                self.make_symlink(obj, &dir, name, target)?;
            }
            Kind::File => {
                let direct = self.direct_mode(obj.mode);
                let mut f = dir.create_file(name, direct.unwrap_or(0o600)).map_err(b)?;
                let path = || dir.path().join(name);
                let t = |action, e| RestoreError::target(Some(fid), path(), action, e);
                match src {
                    Source::Bytes(d) | Source::Big(Payload::Bytes(d)) => {
                        f.write_all(d).map_err(|e| t("writing file data", e))?
                    }
                    Source::Range(range) => {
                        self.copy_range(obj, &range, &f, |e| t("writing file data", e))?
                    }
                    Source::Big(Payload::Stream(r, _)) => {
                        let mut out = Tracked {
                            file: &mut f,
                            err: None,
                            written: 0,
                            writeback: self.sync.then(Writeback::new),
                        };
                        let spliced = match &self.direct {
                            Some(d) => r.splice_data(d, &mut out),
                            None => Ok(0),
                        };
                        if let Err(e) = spliced.and_then(|_| r.copy_data(&mut out)) {
                            return Err(match out.err.take() {
                                Some(io) => t("writing file data", io),
                                None => RestoreError::Dump(e),
                            });
                        }
                        if let Some(wb) = &mut out.writeback {
                            wb.finish(out.file.as_fd(), out.written);
                        }
                    }
                    Source::Big(Payload::Bad) => {}
                }
                self.file_meta(&f, obj, direct.is_none())
                    .map_err(|(action, e)| t(action, e))?;
            }
        }
        for p in &obj.paths[1..] {
            let (to, to_name) = self.root.parent(p).map_err(b)?;
            self.clear_for(fid, &to, to_name, obj.kind)?;
            if self.links_in_one_dir && is_copy(&obj.paths[0], p) {
                self.copy_object(obj, (&dir, name), (&to, to_name))?;
            } else {
                dir.hard_link(name, &to, to_name).map_err(b)?;
            }
        }
        Ok(())
    }

    /// The symlink `dir/name` to `target`, with the owner (as root) and
    /// mtime of `obj`, set without following it.
    fn make_symlink(
        &self,
        obj: &ObjectInfo,
        dir: &Dir,
        name: &OsStr,
        target: &OsStr,
    ) -> Result<(), RestoreError> {
        let b = |e| RestoreError::beneath(Some(obj.fid), e);
        dir.symlink(name, target).map_err(b)?;
        if self.is_root {
            self.owner_result(dir.set_owner_at(name, Some(obj.owner), None), |e| e.kind())
                .map_err(b)?;
        }
        dir.set_times_at(name, &beneath::times(i64::from(obj.mtime)))
            .map_err(b)
    }

    /// A further name `to` of `obj` as a copy of its first name `from`,
    /// just written: read back through the held directory (no data kept
    /// in memory for it), with the same metadata.
    fn copy_object(
        &self,
        obj: &ObjectInfo,
        (dir, name): (&Dir, &OsStr),
        (to, to_name): (&Dir, &OsStr),
    ) -> Result<(), RestoreError> {
        let b = |e| RestoreError::beneath(Some(obj.fid), e);
        match obj.kind {
            Kind::Symlink => {
                let target = dir.read_link(name).map_err(b)?;
                self.make_symlink(obj, to, to_name, &target)
            }
            Kind::File => {
                let path = || to.path().join(to_name);
                let t = |action, e| RestoreError::target(Some(obj.fid), path(), action, e);
                let mut from = dir.open_file(name, Access::Read).map_err(b)?;
                let mut f = to.create_file(to_name, 0o600).map_err(b)?;
                io::copy(&mut from, &mut f).map_err(|e| t("copying file data", e))?;
                self.file_meta(&f, obj, true)
                    .map_err(|(action, e)| t(action, e))
            }
        }
    }

    /// Copies `range` of the dump file into the new file `f` (with
    /// `--sync`, chunk by chunk, each handed to the device when done).
    /// Errors of `f` become `target(error)`; a failed read or a short dump
    /// file is a dump error.
    fn copy_range(
        &self,
        obj: &ObjectInfo,
        range: &DataRange,
        f: &File,
        target: impl Fn(io::Error) -> RestoreError,
    ) -> Result<(), RestoreError> {
        let direct = self
            .direct
            .as_ref()
            .expect("ranges are only taken from a direct source");
        let step = if self.sync {
            WRITEBACK_CHUNK
        } else {
            range.len
        };
        let mut copy = RangeCopy::new();
        let mut writeback = Writeback::new();
        let mut done = 0;
        while done < range.len {
            let want = step.min(range.len - done);
            let n = copy
                .copy(direct.file(), range.file_offset + done, f, done, want)
                .map_err(|e| match e {
                    CopyError::Write(io) => target(io),
                    CopyError::Read(source) => RestoreError::Dump(Error::Io {
                        offset: range.stream_offset + done,
                        source,
                    }),
                })?;
            done += n;
            if n < want {
                // The dump file shrank since the range was taken.
                return Err(RestoreError::Dump(Error::Truncated {
                    offset: range.stream_offset + done,
                    record: Record::Vnode {
                        vnode: obj.fid.0,
                        unique: obj.fid.1,
                    },
                    expected: format!("{} more bytes of file data", range.len - done),
                }));
            }
            if self.sync {
                writeback.wrote(f.as_fd(), done);
            }
        }
        if self.sync {
            writeback.finish(f.as_fd(), done);
        }
        Ok(())
    }

    /// The mode to create a file with when that gives it its final mode
    /// (no fchmod needed): no set-id or sticky bit (chown would clear
    /// them), no group or other write bit (nobody may open it for writing
    /// before it has its owner), nothing the umask takes away, and a
    /// target whose new files get exactly their creation mode.
    fn direct_mode(&self, mode: u32) -> Option<u32> {
        let umask = self.plain_umask?;
        (mode & (0o7000 | 0o022 | umask) == 0).then_some(mode)
    }

    /// Owner (as root, unless it is ours already), mode (unless the file
    /// was created with it) and mtime of an open file, in that order
    /// (chown clears set-id bits).
    fn file_meta(
        &self,
        f: &File,
        obj: &ObjectInfo,
        set_mode: bool,
    ) -> Result<(), (&'static str, io::Error)> {
        if self.is_root && obj.owner != self.euid {
            self.owner_result(
                std::os::unix::fs::fchown(f, Some(obj.owner), None),
                io::Error::kind,
            )
            .map_err(|e| ("setting the owner", e))?;
        }
        if set_mode {
            f.set_permissions(std::fs::Permissions::from_mode(obj.mode))
                .map_err(|e| ("setting the mode", e))?;
        }
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::from(obj.mtime));
        f.set_times(
            std::fs::FileTimes::new()
                .set_accessed(when)
                .set_modified(when),
        )
        .map_err(|e| ("setting mtime", e))
    }

    /// Owner (as root), mode and mtime of a restored directory, on its fd.
    pub(crate) fn dir_meta(&self, d: &DirInfo) -> Result<(), RestoreError> {
        let b = |e| RestoreError::beneath(Some(d.fid), e);
        let dir = self.root.dir(&d.path).map_err(b)?;
        if self.is_root {
            self.owner_result(dir.set_owner(Some(d.owner), None), |e| e.kind())
                .map_err(b)?;
        }
        dir.set_mode(d.mode).map_err(b)?;
        dir.set_times(&beneath::times(i64::from(d.mtime)))
            .map_err(b)
    }
}

/// A writer that remembers its own failure, to tell target errors from
/// dump errors after [`crate::reader::DumpReader::copy_data`].
/// With `--sync` it starts writeback of each finished chunk.
struct Tracked<'a> {
    file: &'a mut File,
    err: Option<io::Error>,
    written: u64,
    writeback: Option<Writeback>,
}

impl Write for Tracked<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let n = self.file.write(b).inspect_err(|e| {
            self.err = Some(io::Error::new(e.kind(), e.to_string()));
        })?;
        self.wrote(n);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SpliceInto for Tracked<'_> {
    fn splice_from(&mut self, pipe: BorrowedFd<'_>, len: usize) -> io::Result<usize> {
        let n = self.file.splice_from(pipe, len).inspect_err(|e| {
            // Refused splices are retried as writes, not errors.
            if !splice_unsupported(e) {
                self.err = Some(io::Error::new(e.kind(), e.to_string()));
            }
        })?;
        self.wrote(n);
        Ok(n)
    }
}

impl Tracked<'_> {
    fn wrote(&mut self, n: usize) {
        self.written += n as u64;
        if let Some(wb) = &mut self.writeback {
            wb.wrote(self.file.as_fd(), self.written);
        }
    }
}
