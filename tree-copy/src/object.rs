//! Making each item at the destination. Everything is written beneath the
//! pair's destination root ([`beneath::Root`]): one name in a directory
//! held open, files created `O_CREAT | O_EXCL | O_NOFOLLOW`, metadata on
//! the open fd or on the name without following it. Under `--force` and
//! `--resume` whatever is in the way is removed first (a symlink itself,
//! never its target) and never descended into.

use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::Ordering;

use beneath::{Access, Dir, Special, Stat, Xattr};
use rustix::io::Errno;

use crate::data::{self, DataError};
use crate::error::{Failure, Op};
use crate::meta;
use crate::node::{Kind, Meta};
use crate::plan::Action;
use crate::resume::{self, State};
use crate::run::{add, Copier, DONE, PENDING, SKIPPED};
use crate::verify::{self, Side};
use crate::Existing;

/// The destination directory and name of one item.
struct At<'a> {
    dir: Dir,
    name: &'a OsStr,
}

impl Copier<'_> {
    fn meta(&self, i: usize) -> &Meta {
        &self.plan.items[i].entry.meta
    }

    fn rel(&self, i: usize) -> &Path {
        &self.plan.items[i].entry.rel
    }

    fn merging(&self) -> bool {
        self.opts.existing != Existing::Refuse
    }

    /// Where item `i` goes: its parent directory beneath the destination
    /// root (a symlink on the way is refused) and its name.
    fn at(&self, i: usize, op: Op) -> Result<At<'_>, Failure> {
        let root = &self.targets[self.plan.items[i].pair];
        let (dir, name) = root
            .parent(self.rel(i))
            .map_err(|e| Failure::beneath(self.plan.src(i), op, &e))?;
        Ok(At { dir, name })
    }

    /// What is at the destination of `at`, not following a symlink.
    fn existing(&self, src: &Path, at: &At<'_>, op: Op) -> Result<Option<Stat>, Failure> {
        match at.dir.stat(at.name) {
            Ok(st) => Ok(Some(st)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(Failure::beneath(src, op, &e)),
        }
    }

    /// Removes whatever is at `at` (never a directory) before it is
    /// recreated, when merging.
    fn clear(&self, src: &Path, at: &At<'_>) -> Result<(), Failure> {
        if !self.merging() {
            return Ok(()); // creation reports EEXIST
        }
        match self.existing(src, at, Op::Remove)? {
            None => Ok(()),
            Some(st) if Meta::from_stat(&st).kind() == Kind::Dir => Err(Failure::other(
                src,
                Op::Remove,
                format!(
                    "{} is a directory at the destination (expected none or a non-directory)",
                    at.dir.path().join(at.name).display()
                ),
            )),
            Some(_) => at
                .dir
                .remove_file(at.name)
                .map_err(|e| Failure::beneath(src, Op::Remove, &e)),
        }
    }

    pub(crate) fn make_dir(&self, i: usize) -> Result<u8, Failure> {
        let src = self.plan.src(i);
        if self.plan.items[i].entry.depth == 0 {
            return Ok(DONE); // the root exists (made when the run started)
        }
        let at = self.at(i, Op::Mkdir)?;
        let perm = self.meta(i).perm() & 0o777;
        let mkdir = || at.dir.mkdir(at.name, perm | 0o700);
        match mkdir() {
            Ok(()) => Ok(DONE),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && self.merging() => {
                let st = self.existing(&src, &at, Op::Mkdir)?;
                if st.is_some_and(|st| Meta::from_stat(&st).kind() == Kind::Dir) {
                    return Ok(DONE);
                }
                // A file or a symlink where a directory belongs: replaced,
                // never followed.
                self.clear(&src, &at)?;
                mkdir().map_err(|e| Failure::beneath(&src, Op::Mkdir, &e))?;
                Ok(DONE)
            }
            Err(e) => Err(Failure::beneath(&src, Op::Mkdir, &e)),
        }
    }

    pub(crate) fn finish_dir(&self, i: usize) -> Result<u8, Failure> {
        let src = self.plan.src(i);
        let pair = self.plan.items[i].pair;
        let m = self.meta(i);
        let dir = self.targets[pair]
            .dir(self.rel(i))
            .map_err(|e| Failure::beneath(&src, Op::Mkdir, &e))?;
        let xattrs = self.src_xattrs(i)?;
        meta::apply_fd(&src, &dir, m, &self.opts.preserve, &xattrs)?;
        if self.opts.preserve.acls && self.coda[pair] {
            self.copy_acl(i, &dir)?;
        }
        if !self.opts.preserve.mode {
            let mode = m.perm() & 0o777 & !self.umask;
            dir.set_mode(mode)
                .map_err(|e| Failure::beneath(&src, Op::Chmod, &e))?;
        }
        add(&self.counters.dirs, 1);
        Ok(DONE)
    }

    /// Copies the ACL of directory item `i` to `dir`, its copy held open,
    /// once venus is seen to resolve the source's path to the directory the
    /// walk listed and the copy's path to `dir`.
    fn copy_acl(&self, i: usize, dir: &Dir) -> Result<(), Failure> {
        let src = self.plan.src(i);
        let dst = self.plan.dst(i);
        let fail = |e: crate::coda::VenusError| Failure::venus(&src, Op::Acl, &e);
        let named = |path: &Path, e| {
            let mut f = fail(e);
            f.message = format!("{}: {}", path.display(), f.message);
            f
        };
        let ino = dir
            .stat_self()
            .map(|st| Meta::from_stat(&st).ino)
            .map_err(|e| Failure::beneath(&src, Op::Acl, &e))?;
        if let Some(realms) = &self.realms[self.plan.items[i].pair] {
            let listed = self.meta(i).ino;
            realms
                .src
                .check(self.venus, &src, listed, "the directory the walk listed")
                .map_err(|e| named(&src, e))?;
            realms
                .dst
                .check(self.venus, &dst, ino, "the directory held open")
                .map_err(|e| named(&dst, e))?;
        }
        let acl = self.venus.get_acl(&src).map_err(fail)?;
        self.venus.set_acl(&dst, &acl).map_err(fail)
    }

    /// The source's extended attributes for item `i` (none unless asked).
    fn src_xattrs(&self, i: usize) -> Result<Vec<Xattr>, Failure> {
        if !self.opts.preserve.xattrs {
            return Ok(Vec::new());
        }
        let it = &self.plan.items[i];
        self.sources[it.pair].xattrs(&it.entry.rel, it.entry.kind)
    }

    pub(crate) fn make_object(&self, i: usize) -> Result<u8, Failure> {
        match self.plan.items[i].action {
            Action::File => self.copy_file(i),
            Action::Symlink => self.copy_symlink(i),
            Action::Special => self.copy_special(i),
            Action::Dir | Action::Link { .. } => Ok(PENDING),
        }
    }

    fn open_src(&self, i: usize) -> Result<(File, Stat), Failure> {
        let src = self.plan.src(i);
        if let Some(suffix) = &self.opts.fail_read_suffix {
            use std::os::unix::ffi::OsStrExt;
            if src.as_os_str().as_bytes().ends_with(suffix.as_bytes()) {
                let eio = std::io::Error::from(Errno::IO);
                return Err(Failure::io(&src, Op::Read, &eio));
            }
        }
        let it = &self.plan.items[i];
        self.sources[it.pair].open_file(&it.entry.rel, &it.entry.meta)
    }

    fn copy_file(&self, i: usize) -> Result<u8, Failure> {
        let src = self.plan.src(i);
        let m = *self.meta(i);
        if self.opts.existing == Existing::Resume {
            let at = self.at(i, Op::Write)?;
            if let Some(st) = self.resumable(i, &at)? {
                return Ok(st);
            }
        }
        let (from, opened) = self.open_src(i)?;
        // Resolved only now, as late as possible.
        let at = self.at(i, Op::Write)?;
        self.clear(&src, &at)?;
        let to = at
            .dir
            .create_file(at.name, m.perm() & 0o777)
            .map_err(|e| Failure::beneath(&src, Op::Write, &e))?;
        let it = &self.plan.items[i];
        let source = &self.sources[it.pair];
        let filled = self.fill(it.pair, &src, &from, &to, &m).and_then(|()| {
            source.copied(&it.entry.rel);
            source.unchanged(&it.entry.rel, &from, &opened)
        });
        drop(to);
        if let Err(f) = filled {
            // No partial copy stays behind to look like a file.
            let _ = at.dir.remove_file(at.name);
            return Err(f);
        }
        add(&self.counters.files, 1);
        add(&self.counters.bytes, m.size);
        Ok(DONE)
    }

    /// Under `--resume`: `Some(SKIPPED)` when the destination of file
    /// item `i` is already complete (by size and mtime, or by content
    /// with `--checksum`).
    fn resumable(&self, i: usize, at: &At<'_>) -> Result<Option<u8>, Failure> {
        let src = self.plan.src(i);
        let m = self.meta(i);
        let existing = self.existing(&src, at, Op::Resume)?;
        match resume::state(m, existing.as_ref()) {
            State::Complete if !self.opts.checksum => {}
            State::Complete | State::SameSize if self.opts.checksum => {
                let (from, _) = self.open_src(i)?;
                let to = at
                    .dir
                    .open_file(at.name, Access::Read)
                    .map_err(|e| Failure::beneath(&src, Op::Resume, &e))?;
                match verify::same_content(&from, &to) {
                    Ok(true) => {
                        // Its metadata may be what differs.
                        let xattrs = self.file_xattrs(&src, &from)?;
                        meta::apply_fd(&src, &to, m, &self.opts.preserve, &xattrs)?;
                    }
                    Ok(false) => return Ok(None),
                    Err(Side::Src(e)) => return Err(Failure::io(&src, Op::Read, &e)),
                    Err(Side::Dst(e)) => return Err(Failure::io(&src, Op::Resume, &e)),
                }
            }
            _ => return Ok(None),
        }
        add(&self.counters.skipped, 1);
        Ok(Some(SKIPPED))
    }

    fn file_xattrs(&self, src: &Path, from: &File) -> Result<Vec<Xattr>, Failure> {
        if !self.opts.preserve.xattrs {
            return Ok(Vec::new());
        }
        beneath::read_xattrs(from).map_err(|e| Failure::io(src, Op::Xattr, &e))
    }

    /// Copies the data of `from` into the file `to`, just created in pair
    /// `pair` with mode `m.perm() & 0o777`, and sets its metadata.
    fn fill(
        &self,
        pair: usize,
        src: &Path,
        from: &File,
        to: &File,
        m: &Meta,
    ) -> Result<(), Failure> {
        data::copy_data(from, to, m.size, m.looks_sparse()).map_err(|e| match e {
            DataError::Read(e) => Failure::io(src, Op::Read, &e),
            DataError::Write(e) => Failure::io(src, Op::Write, &e),
        })?;
        let xattrs = self.file_xattrs(src, from)?;
        meta::apply_new_fd(src, to, m, &self.opts.preserve, &xattrs, &self.born[pair])
    }

    fn copy_symlink(&self, i: usize) -> Result<u8, Failure> {
        let src = self.plan.src(i);
        let it = &self.plan.items[i];
        let target = self.sources[it.pair].read_link(&it.entry.rel, &it.entry.meta)?;
        let at = self.at(i, Op::Symlink)?;
        let same = self.merging() && at.dir.read_link(at.name).is_ok_and(|t| t == target);
        if !same {
            self.clear(&src, &at)?;
            at.dir
                .symlink(at.name, &target)
                .map_err(|e| Failure::beneath(&src, Op::Symlink, &e))?;
        }
        self.meta_at(i, &at, true)?;
        add(&self.counters.symlinks, 1);
        Ok(DONE)
    }

    fn copy_special(&self, i: usize) -> Result<u8, Failure> {
        let src = self.plan.src(i);
        let at = self.at(i, Op::Mknod)?;
        self.clear(&src, &at)?;
        self.mknod(i, &at)?;
        add(&self.counters.specials, 1);
        Ok(DONE)
    }

    /// Makes the device, FIFO or socket of item `i` at `at`, with its
    /// metadata.
    fn mknod(&self, i: usize, at: &At<'_>) -> Result<(), Failure> {
        let src = self.plan.src(i);
        let m = self.meta(i);
        let kind = match m.kind() {
            Kind::Fifo => Special::Fifo,
            Kind::Socket => Special::Socket,
            Kind::CharDev => Special::CharDevice(m.rdev),
            _ => Special::BlockDevice(m.rdev),
        };
        at.dir
            .mknod(at.name, kind, m.perm() & 0o777)
            .map_err(|e| Failure::beneath(&src, Op::Mknod, &e))?;
        self.meta_at(i, at, false)
    }

    /// Sets the metadata of item `i`, a symlink or special file made at
    /// `at`, on the name without following it.
    fn meta_at(&self, i: usize, at: &At<'_>, symlink: bool) -> Result<(), Failure> {
        let xattrs = self.src_xattrs(i)?;
        let src = self.plan.src(i);
        let p = &self.opts.preserve;
        meta::apply_at(&src, &at.dir, at.name, self.meta(i), p, &xattrs, symlink)
    }

    pub(crate) fn make_link(&self, i: usize) -> Result<u8, Failure> {
        let Action::Link { primary } = self.plan.items[i].action else {
            return Ok(PENDING);
        };
        let src = self.plan.src(i);
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
        let first = self.at(primary, Op::Link)?;
        let first_st = first
            .dir
            .stat(first.name)
            .map_err(|e| Failure::beneath(&src, Op::Link, &e))?;
        let at = self.at(i, Op::Link)?;
        if self.merging() {
            if let Some(st) = self.existing(&src, &at, Op::Link)? {
                if Meta::from_stat(&first_st).same_object(&st) {
                    add(&self.counters.skipped, 1);
                    return Ok(SKIPPED);
                }
            }
        }
        self.clear(&src, &at)?;
        match first.dir.hard_link(first.name, &at.dir, at.name) {
            Ok(()) => {
                add(&self.counters.hard_links, 1);
                Ok(DONE)
            }
            Err(beneath::Error::Io { source, .. })
                if matches!(
                    Errno::from_io_error(&source),
                    Some(Errno::XDEV | Errno::PERM | Errno::MLINK | Errno::OPNOTSUPP)
                ) =>
            {
                // Coda allows hard links only within one directory; the
                // name gets its own copy, made from the first copy so
                // that the source is still read only once.
                self.duplicate(i, &first, &at)?;
                self.warn(
                    src,
                    format!(
                        "hard link to {} not possible at the destination ({}); copied instead",
                        self.plan.dst(primary).display(),
                        Failure::io("", Op::Link, &source).message
                    ),
                );
                Ok(DONE)
            }
            Err(e) => Err(Failure::beneath(&src, Op::Link, &e)),
        }
    }

    /// Gives a hard-linked name its own copy of the object at `first`.
    fn duplicate(&self, i: usize, first: &At<'_>, at: &At<'_>) -> Result<(), Failure> {
        let src = self.plan.src(i);
        let m = *self.meta(i);
        match self.plan.items[i].entry.kind {
            Kind::File => {
                let from = first
                    .dir
                    .open_file(first.name, Access::Read)
                    .map_err(|e| Failure::beneath(&src, Op::Open, &e))?;
                let to = at
                    .dir
                    .create_file(at.name, m.perm() & 0o777)
                    .map_err(|e| Failure::beneath(&src, Op::Write, &e))?;
                self.fill(self.plan.items[i].pair, &src, &from, &to, &m)?;
                add(&self.counters.files, 1);
                Ok(())
            }
            Kind::Symlink => {
                let target = first
                    .dir
                    .read_link(first.name)
                    .map_err(|e| Failure::beneath(&src, Op::Symlink, &e))?;
                at.dir
                    .symlink(at.name, target)
                    .map_err(|e| Failure::beneath(&src, Op::Symlink, &e))?;
                self.meta_at(i, at, true)
            }
            _ => self.mknod(i, at),
        }
    }

    pub(crate) fn check(&self, i: usize) {
        let src = self.plan.src(i);
        let result = self.open_src(i).and_then(|(from, _)| {
            let at = self.at(i, Op::Verify)?;
            let to = at
                .dir
                .open_file(at.name, Access::Read)
                .map_err(|e| Failure::beneath(&src, Op::Verify, &e))?;
            verify::same_content(&from, &to)
                .map_err(|(Side::Src(e) | Side::Dst(e))| Failure::io(&src, Op::Verify, &e))
        });
        match result {
            Ok(true) => add(&self.counters.verified, 1),
            Ok(false) => self.fail(Failure::other(
                &src,
                Op::Verify,
                format!("{} differs from the source", self.plan.dst(i).display()),
            )),
            Err(f) => self.fail(f),
        }
    }
}
