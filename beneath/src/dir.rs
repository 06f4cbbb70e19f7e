//! A directory held open beneath the target, and every operation on one
//! of its entries: each takes one validated name, never a path.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{
    fstat, linkat, mknodat, openat, readlinkat, renameat, statat, symlinkat, unlinkat, AtFlags,
    Dev, FileType, Mode, OFlags,
};
use rustix::io::Errno;

use crate::error::{At, Error};
use crate::{name_problem, resolve, FileKind, Root, Shared, Stat};

/// A directory beneath the target, held open. Cheap to clone; its fd stays
/// open until the last clone is dropped, even when the cache evicts it.
#[derive(Clone)]
pub struct Dir {
    shared: Arc<Shared>,
    fd: Arc<OwnedFd>,
    rel: PathBuf,
}

impl std::fmt::Debug for Dir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dir").field("path", &self.path()).finish()
    }
}

/// How [`Dir::open_file`] opens an existing regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read only.
    Read,
    /// Write only (not truncated).
    Write,
    /// Read and write (not truncated).
    ReadWrite,
}

/// The special files [`Dir::mknod`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// A named pipe.
    Fifo,
    /// A Unix-domain socket node.
    Socket,
    /// A character device with this device number.
    CharDevice(u64),
    /// A block device with this device number.
    BlockDevice(u64),
}

/// One entry of a directory listing ([`Dir::entries`]), `.` and `..`
/// left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry's name.
    pub name: OsString,
    /// Its type as the listing says (may be [`FileKind::Unknown`]: ask
    /// [`Dir::kind`] then).
    pub kind: FileKind,
    /// Its inode number.
    pub ino: u64,
}

/// The entries of a held directory, read through a duplicate of its fd.
pub struct Entries {
    dir: rustix::fs::Dir,
    shared: Arc<Shared>,
    rel: PathBuf,
}

impl Iterator for Entries {
    type Item = Result<Entry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let e = match self.dir.read()? {
                Ok(e) => e,
                Err(e) => {
                    let at = self.shared.at(self.rel.clone(), "listing the directory");
                    return Some(Err(at.errno(e)));
                }
            };
            let name = e.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            return Some(Ok(Entry {
                name: OsStr::from_bytes(name).to_os_string(),
                kind: FileKind::from(e.file_type()),
                ino: e.ino(),
            }));
        }
    }
}

impl Dir {
    pub(crate) fn new(shared: Arc<Shared>, fd: Arc<OwnedFd>, rel: PathBuf) -> Dir {
        Dir { shared, fd, rel }
    }

    /// The directory's path relative to the target (empty: the target).
    pub fn rel(&self) -> &Path {
        &self.rel
    }

    /// The directory's path as shown to the user.
    pub fn path(&self) -> PathBuf {
        if self.rel.as_os_str().is_empty() {
            self.shared.path.clone()
        } else {
            self.shared.path.join(&self.rel)
        }
    }

    /// The target this directory is beneath.
    pub fn root(&self) -> Root {
        Root {
            shared: self.shared.clone(),
        }
    }

    /// The relative path of entry `name`.
    pub fn child_rel(&self, name: &OsStr) -> PathBuf {
        if self.rel.as_os_str().is_empty() {
            PathBuf::from(name)
        } else {
            self.rel.join(name)
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn at(&self, name: &OsStr, op: &'static str) -> At<'_> {
        self.shared.at(self.child_rel(name), op)
    }

    /// Checks that `name` is one plain name.
    pub(crate) fn check<'n>(&self, name: &'n OsStr, op: &'static str) -> Result<&'n OsStr, Error> {
        match name_problem(name) {
            None => Ok(name),
            Some(why) => {
                let at = self.at(name, op);
                Err(if name == ".." {
                    at.escape()
                } else {
                    at.bad_name(why)
                })
            }
        }
    }

    /// Opens the subdirectory `name` (`O_NOFOLLOW | O_DIRECTORY`: a
    /// symlink is [`Error::Symlink`]), through the cache.
    pub fn open_dir(&self, name: impl AsRef<OsStr>) -> Result<Dir, Error> {
        let name = self.check(name.as_ref(), "opening a directory")?;
        let rel = self.child_rel(name);
        if let Some(fd) = self.shared.cache.get(&rel) {
            return Ok(Dir::new(self.shared.clone(), fd, rel));
        }
        let fd = resolve::open_child_dir(self.fd.as_fd(), name)
            .map_err(|e| self.at(name, "opening a directory").errno(e))?;
        let fd = Arc::new(fd);
        self.shared.cache.insert(&rel, fd.clone());
        Ok(Dir::new(self.shared.clone(), fd, rel))
    }

    /// Creates the directory `name` with `mode` (less the umask).
    pub fn mkdir(&self, name: impl AsRef<OsStr>, mode: u32) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "creating a directory")?;
        rustix::fs::mkdirat(self.fd.as_fd(), name, Mode::from_raw_mode(mode as _))
            .map_err(|e| self.at(name, "creating a directory").errno(e))
    }

    /// Creates the regular file `name` for writing: `O_CREAT | O_EXCL |
    /// O_NOFOLLOW | O_CLOEXEC` (an existing entry of any type, a symlink
    /// included, is `AlreadyExists`).
    pub fn create_file(&self, name: impl AsRef<OsStr>, mode: u32) -> Result<File, Error> {
        self.create_with(name.as_ref(), mode, OFlags::WRONLY)
    }

    /// [`Dir::create_file`] opened with `access` (`O_WRONLY` or `O_RDWR`).
    pub(crate) fn create_with(
        &self,
        name: &OsStr,
        mode: u32,
        access: OFlags,
    ) -> Result<File, Error> {
        let name = self.check(name, "creating a file")?;
        let flags = access | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        openat(self.fd.as_fd(), name, flags, Mode::from_raw_mode(mode as _))
            .map(File::from)
            .map_err(|e| self.at(name, "creating a file").errno(e))
    }

    /// Opens the existing regular file `name` (`O_NOFOLLOW | O_NONBLOCK`,
    /// then checked with `fstat`: a symlink is [`Error::Symlink`], any other
    /// type [`Error::WrongType`]; a FIFO never blocks the open).
    pub fn open_file(&self, name: impl AsRef<OsStr>, access: Access) -> Result<File, Error> {
        let acc = match access {
            Access::Read => OFlags::RDONLY,
            Access::Write => OFlags::WRONLY,
            Access::ReadWrite => OFlags::RDWR,
        };
        self.open_regular(name.as_ref(), acc).map(|(f, _)| f)
    }

    /// Opens the existing regular file `name` for reading as
    /// [`Dir::open_file`] does, without updating its access time where the
    /// kernel allows it (`O_NOATIME`: the file's owner or root), and
    /// returns its status from the same `fstat` (what a reader compares
    /// with what it expected to find).
    pub fn open_read(&self, name: impl AsRef<OsStr>) -> Result<(File, Stat), Error> {
        let name = name.as_ref();
        match self.open_regular(name, OFlags::RDONLY | OFlags::NOATIME) {
            Err(Error::Io { source, .. }) if Errno::from_io_error(&source) == Some(Errno::PERM) => {
                self.open_regular(name, OFlags::RDONLY)
            }
            r => r,
        }
    }

    fn open_regular(&self, name: &OsStr, acc: OFlags) -> Result<(File, Stat), Error> {
        let name = self.check(name, "opening a file")?;
        let at = || self.at(name, "opening a file");
        let flags = acc | regular_flags();
        let fd = openat(self.fd.as_fd(), name, flags, Mode::empty()).map_err(|e| at().errno(e))?;
        checked_regular(fd, flags, at)
    }

    /// Creates the symlink `name` pointing at `target` (which is only
    /// stored, never resolved by the layer).
    pub fn symlink(&self, name: impl AsRef<OsStr>, target: impl AsRef<OsStr>) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "creating a symlink")?;
        symlinkat(target.as_ref(), self.fd.as_fd(), name)
            .map_err(|e| self.at(name, "creating a symlink").errno(e))
    }

    /// The target of the symlink `name`.
    pub fn read_link(&self, name: impl AsRef<OsStr>) -> Result<OsString, Error> {
        let name = self.check(name.as_ref(), "reading a symlink")?;
        readlinkat(self.fd.as_fd(), name, Vec::new())
            .map(|c| OsStr::from_bytes(c.as_bytes()).to_os_string())
            .map_err(|e| self.at(name, "reading a symlink").errno(e))
    }

    /// Makes `to/to_name` a new hard link to the entry `name` of this
    /// directory (`linkat` without `AT_SYMLINK_FOLLOW`: a symlink is linked
    /// itself, never its target).
    pub fn hard_link(
        &self,
        name: impl AsRef<OsStr>,
        to: &Dir,
        to_name: impl AsRef<OsStr>,
    ) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "creating a hard link")?;
        let to_name = to.check(to_name.as_ref(), "creating a hard link")?;
        linkat(
            self.fd.as_fd(),
            name,
            to.fd.as_fd(),
            to_name,
            AtFlags::empty(),
        )
        .map_err(|e| to.at(to_name, "creating a hard link").errno(e))
    }

    /// Makes the special file `name` with permission bits `mode` (less
    /// the umask; set the exact bits with [`Dir::set_mode_at`]).
    pub fn mknod(&self, name: impl AsRef<OsStr>, kind: Special, mode: u32) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "creating a special file")?;
        let (t, dev): (FileType, Dev) = match kind {
            Special::Fifo => (FileType::Fifo, 0),
            Special::Socket => (FileType::Socket, 0),
            Special::CharDevice(d) => (FileType::CharacterDevice, d as Dev),
            Special::BlockDevice(d) => (FileType::BlockDevice, d as Dev),
        };
        mknodat(
            self.fd.as_fd(),
            name,
            t,
            Mode::from_raw_mode(mode as _),
            dev,
        )
        .map_err(|e| self.at(name, "creating a special file").errno(e))
    }

    /// Removes the non-directory entry `name` (a symlink itself, never
    /// its target).
    pub fn remove_file(&self, name: impl AsRef<OsStr>) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "removing a file")?;
        unlinkat(self.fd.as_fd(), name, AtFlags::empty())
            .map_err(|e| self.at(name, "removing a file").errno(e))
    }

    /// Removes the empty directory `name`.
    pub fn remove_dir(&self, name: impl AsRef<OsStr>) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "removing a directory")?;
        self.shared.cache.forget(&self.child_rel(name));
        unlinkat(self.fd.as_fd(), name, AtFlags::REMOVEDIR)
            .map_err(|e| self.at(name, "removing a directory").errno(e))
    }

    /// Renames the entry `name` to `to/to_name` (`renameat`: an existing
    /// `to_name` is replaced, a symlink there is replaced itself).
    pub fn rename(
        &self,
        name: impl AsRef<OsStr>,
        to: &Dir,
        to_name: impl AsRef<OsStr>,
    ) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "renaming")?;
        let to_name = to.check(to_name.as_ref(), "renaming")?;
        self.shared.cache.forget(&self.child_rel(name));
        to.shared.cache.forget(&to.child_rel(to_name));
        renameat(self.fd.as_fd(), name, to.fd.as_fd(), to_name)
            .map_err(|e| self.at(name, "renaming").errno(e))
    }

    /// The status of entry `name`, not following a symlink.
    pub fn stat(&self, name: impl AsRef<OsStr>) -> Result<Stat, Error> {
        let name = self.check(name.as_ref(), "examining")?;
        statat(self.fd.as_fd(), name, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| self.at(name, "examining").errno(e))
    }

    /// The kind of entry `name`, `None` when there is no such entry.
    pub fn kind(&self, name: impl AsRef<OsStr>) -> Result<Option<FileKind>, Error> {
        match self.stat(name) {
            Ok(st) => Ok(Some(FileKind::of(&st))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The status of this directory itself (`fstat`).
    pub fn stat_self(&self) -> Result<Stat, Error> {
        fstat(self.fd.as_fd()).map_err(|e| self.shared.at(self.rel.clone(), "examining").errno(e))
    }

    /// The entries of this directory.
    pub fn entries(&self) -> Result<Entries, Error> {
        let dir = rustix::fs::Dir::read_from(self.fd.as_fd()).map_err(|e| {
            self.shared
                .at(self.rel.clone(), "listing the directory")
                .errno(e)
        })?;
        Ok(Entries {
            dir,
            shared: self.shared.clone(),
            rel: self.rel.clone(),
        })
    }

    /// Whether this directory has no entries.
    pub fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.entries()?.next().transpose()?.is_none())
    }

    /// The raw fd, for the `*at` helpers of this crate.
    pub(crate) fn raw(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsFd for Dir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Flags of every open of an existing regular file: never follow a
/// symlink, never block on a FIFO, never become a controlling terminal.
pub(crate) fn regular_flags() -> OFlags {
    OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC
}

/// Checks that `fd`, opened with `flags` (which hold [`regular_flags`]),
/// is a regular file, clears `O_NONBLOCK` again (one `F_SETFL` with the
/// status flags it was opened with, less that one), and returns it with
/// its status.
pub(crate) fn checked_regular<'a>(
    fd: OwnedFd,
    flags: OFlags,
    at: impl Fn() -> At<'a>,
) -> Result<(File, Stat), Error> {
    let st = fstat(&fd).map_err(|e| at().errno(e))?;
    match FileKind::of(&st) {
        FileKind::File => {}
        k => return Err(at().wrong_type(k.describe(), "regular file")),
    }
    rustix::fs::fcntl_setfl(&fd, flags - OFlags::NONBLOCK).map_err(|e| at().errno(e))?;
    Ok((File::from(fd), st))
}

/// Maps ENOENT of an optional removal to success.
pub(crate) fn absent_ok(r: Result<(), Errno>) -> Result<(), Errno> {
    match r {
        Err(Errno::NOENT) => Ok(()),
        r => r,
    }
}
