//! Writing beneath a target directory, and never anywhere else.
//!
//! Every coda-rs writer that takes a target directory (dump restore and
//! its journal, copy, the drill) goes through this crate. The guarantee:
//!
//! * The target is opened once ([`Root::open`]); the admin's own path to it
//!   may pass through symlinks, nothing beneath it may.
//! * A relative path is resolved from the target's fd with `openat2` and
//!   `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS` (on
//!   kernels before 5.6, one `openat(O_NOFOLLOW | O_DIRECTORY)` per
//!   component). A symlink, a magic link or a `..` in the way is an error
//!   ([`Error::Symlink`], [`Error::Escape`]) naming the path; it is never
//!   followed.
//! * Every operation acts on a directory fd ([`Dir`]) and **one** validated
//!   name (non-empty, not `.` or `..`, no `/` or NUL: [`Error::BadName`]).
//!   Files are created `O_CREAT | O_EXCL | O_NOFOLLOW`, opened
//!   `O_NOFOLLOW`; links and renames never follow the last component.
//! * Metadata goes to an open fd (`fchmod`, `fchown`, `futimens`) or to a
//!   name with `AT_SYMLINK_NOFOLLOW` (a symlink's owner with `lchown`
//!   semantics); there is no path-based chmod, chown or utimes. Extended
//!   attributes likewise ([`Dir::set_xattrs`], [`Dir::set_xattr_at`]).
//! * Directory fds are kept in a bounded cache ([`Options::capacity`], by
//!   default [`DEFAULT_CAPACITY`]) shared by all threads; an evicted fd is
//!   re-opened on demand by resolving its path beneath the target again.
//!
//! What this cannot promise: a directory the layer holds open that another
//! process *moves* elsewhere is still written through its fd (the same
//! is true of any program holding a directory open); what is guaranteed is
//! that no path the layer resolves leaves the target or passes through a
//! symlink.
//!
//! ```no_run
//! use beneath::Root;
//!
//! let root = Root::open("/restore/vol")?;
//! let (dir, name) = root.parent("a/b/file")?;
//! let mut f = dir.create_file(name, 0o644)?;
//! std::io::Write::write_all(&mut f, b"data")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod atomic;
mod cache;
mod copy;
mod dir;
mod error;
mod kind;
mod meta;
mod name;
mod remove;
mod resolve;
mod writeback;
mod xattr;

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{Mode, OFlags, CWD};
use rustix::io::Errno;

pub use atomic::{is_own_temp, is_temp_of, AtomicFile, AtomicOptions};
pub use cache::DEFAULT_CAPACITY;
pub use copy::{CopyError, RangeCopy, COPY_BUFFER};
pub use dir::{Access, Dir, Entries, Entry, Special};
pub use error::Error;
pub use kind::FileKind;
pub use meta::times;
pub use name::name_problem;
pub use resolve::Resolver;
pub use rustix::fs::{Stat, Timespec, Timestamps};
pub use writeback::{Writeback, WRITEBACK_CHUNK};
pub use xattr::{read_fd as read_xattrs, write_fd as write_xattrs, Xattr, DEFAULT_ACL};

use error::At;
use name::{path_problem, PathProblem};

/// Options of [`Root::open_with`].
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Directory fds kept open at most by the cache (0: none cached).
    pub capacity: usize,
    /// How paths are resolved.
    pub resolver: Resolver,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            capacity: DEFAULT_CAPACITY,
            resolver: Resolver::default(),
        }
    }
}

/// What every handle of one target shares.
pub(crate) struct Shared {
    /// The target's fd.
    pub fd: Arc<OwnedFd>,
    /// The target's path as the admin gave it (for messages only).
    pub path: PathBuf,
    pub cache: cache::DirCache,
    pub resolver: Resolver,
}

impl Shared {
    pub(crate) fn at<'a>(&'a self, rel: PathBuf, op: &'static str) -> At<'a> {
        At {
            root: &self.path,
            rel,
            op,
        }
    }
}

/// A target directory, opened once; every path handed to it is resolved
/// beneath it. Cheap to clone, `Send + Sync`: a pool of writer threads
/// shares one.
#[derive(Clone)]
pub struct Root {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Root {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Root")
            .field("path", &self.shared.path)
            .finish()
    }
}

impl Root {
    /// Opens the target directory `path` (which must exist) with the
    /// default [`Options`]. `path` itself may pass through symlinks (it
    /// is the admin's choice); nothing resolved beneath it may.
    pub fn open(path: impl AsRef<Path>) -> Result<Root, Error> {
        Self::open_with(path, Options::default())
    }

    /// Opens the target directory `path` with `opts`.
    pub fn open_with(path: impl AsRef<Path>, opts: Options) -> Result<Root, Error> {
        let path = path.as_ref();
        let at = At {
            root: path,
            rel: PathBuf::new(),
            op: "opening the target directory",
        };
        let fd = rustix::fs::openat(
            CWD,
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| at.io(e.into()))?;
        Ok(Root {
            shared: Arc::new(Shared {
                fd: Arc::new(fd),
                path: path.to_path_buf(),
                cache: cache::DirCache::new(opts.capacity),
                resolver: opts.resolver,
            }),
        })
    }

    /// The target's path as it was given to [`Root::open`].
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// The target directory itself.
    pub fn top(&self) -> Dir {
        Dir::new(self.shared.clone(), self.shared.fd.clone(), PathBuf::new())
    }

    /// The directory `rel` beneath the target (empty: the target itself):
    /// from the cache, or resolved beneath the target's fd. A symlink
    /// anywhere on the way is [`Error::Symlink`]; `..` or an absolute path
    /// is [`Error::Escape`].
    pub fn dir(&self, rel: impl AsRef<Path>) -> Result<Dir, Error> {
        let rel = rel.as_ref();
        let sh = &self.shared;
        match path_problem(rel) {
            None => {}
            Some(PathProblem::Escape) => {
                return Err(sh.at(rel.into(), "opening a directory").escape())
            }
            Some(PathProblem::Bad(why)) => {
                return Err(sh.at(rel.into(), "opening a directory").bad_name(why))
            }
        }
        if rel.as_os_str().is_empty() {
            return Ok(self.top());
        }
        if let Some(fd) = sh.cache.get(rel) {
            return Ok(Dir::new(sh.clone(), fd, rel.to_path_buf()));
        }
        let fd = resolve::open_dir(sh.fd.as_fd(), rel, sh.resolver)
            .map_err(|e| sh.at(rel.into(), "opening a directory").errno(e))?;
        let fd = Arc::new(fd);
        sh.cache.insert(rel, fd.clone());
        Ok(Dir::new(sh.clone(), fd, rel.to_path_buf()))
    }

    /// Opens the regular file `rel` for reading as [`Dir::open_read`]
    /// does (`O_NOFOLLOW | O_NONBLOCK`, checked with `fstat`, `O_NOATIME`
    /// where allowed, its status returned), resolving the whole path
    /// beneath the target in one step and without the directory cache: a
    /// directory swapped for a symlink since it was last resolved is seen
    /// ([`Error::Symlink`] naming `rel`).
    pub fn open_read(&self, rel: impl AsRef<Path>) -> Result<(File, Stat), Error> {
        let rel = rel.as_ref();
        let sh = &self.shared;
        let at = || sh.at(rel.into(), "opening a file");
        match path_problem(rel) {
            None if !rel.as_os_str().is_empty() => {}
            None => return Err(at().wrong_type("directory", "regular file")),
            Some(PathProblem::Escape) => return Err(at().escape()),
            Some(PathProblem::Bad(why)) => return Err(at().bad_name(why)),
        }
        let open = |extra| {
            let flags = OFlags::RDONLY | extra | dir::regular_flags();
            resolve::open_path(sh.fd.as_fd(), rel, flags, sh.resolver).map(|fd| (fd, flags))
        };
        let (fd, flags) = match open(OFlags::NOATIME) {
            Err(Errno::PERM) => open(OFlags::empty()),
            r => r,
        }
        .map_err(|e| at().errno(e))?;
        dir::checked_regular(fd, flags, at)
    }

    /// Splits `rel` into its parent directory (resolved as by
    /// [`Root::dir`]) and its last component, which must be a plain name.
    pub fn parent<'p>(
        &self,
        rel: &'p (impl AsRef<Path> + ?Sized),
    ) -> Result<(Dir, &'p OsStr), Error> {
        let rel = rel.as_ref();
        let b = rel.as_os_str().as_bytes();
        let (parent, name) = match b.iter().rposition(|&c| c == b'/') {
            Some(i) => (&b[..i], &b[i + 1..]),
            None => (&b[..0], b),
        };
        let name = OsStr::from_bytes(name);
        if let Some(why) = name_problem(name) {
            let at = self.shared.at(rel.into(), "resolving a path");
            return Err(if name == ".." {
                at.escape()
            } else {
                at.bad_name(why)
            });
        }
        Ok((self.dir(Path::new(OsStr::from_bytes(parent)))?, name))
    }

    /// How many directory fds the cache holds now.
    pub fn cached_dirs(&self) -> usize {
        self.shared.cache.len()
    }

    /// Flushes the target's file system to its device (`syncfs`).
    pub fn sync_fs(&self) -> Result<(), Error> {
        rustix::fs::syncfs(self.shared.fd.as_fd()).map_err(|e| {
            self.shared
                .at(PathBuf::new(), "flushing the file system")
                .errno(e)
        })
    }
}

impl AsFd for Root {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.shared.fd.as_fd()
    }
}
