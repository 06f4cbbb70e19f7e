//! Errors: [`Error`] stops a whole run before anything is copied;
//! [`Failure`] records one item that could not be copied while the rest
//! went on.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A reason the copy as a whole cannot start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The source of a pair is not a directory.
    #[error("{}: not a directory (expected the root of a tree to copy)", path.display())]
    SrcNotDir {
        /// The source named by the user.
        path: PathBuf,
    },
    /// The destination holds data and neither `--force` nor `--resume` was given.
    #[error("{}: destination exists and is not empty (use --resume to finish an interrupted copy or --force to merge into it)", path.display())]
    DstNotEmpty {
        /// The destination named by the user.
        path: PathBuf,
    },
    /// The destination lies inside (or is) a source tree: the copy would copy itself.
    #[error("{}: destination is inside the source {} (expected a destination outside every source)", dst.display(), src.display())]
    DstInsideSrc {
        /// The source tree.
        src: PathBuf,
        /// The destination inside it.
        dst: PathBuf,
    },
    /// Two pairs write into the same or nested destinations.
    #[error("{}: destination overlaps the destination {} of another pair", dst.display(), other.display())]
    DstOverlap {
        /// One destination.
        dst: PathBuf,
        /// The destination it overlaps.
        other: PathBuf,
    },
    /// Coda ACLs were asked for but a side of a pair is not on a Coda mount.
    #[error("{}: not on a Coda mount (expected both SRC and DST inside the Coda mount point for --acls)", path.display())]
    NotCoda {
        /// The side that is not on Coda.
        path: PathBuf,
    },
    /// A `--preserve` list names something unknown.
    #[error("--preserve: unknown attribute `{0}` (expected mode, ownership, timestamps, links, xattr, acl or all)")]
    BadPreserve(String),
    /// A system call on a pair's root failed.
    #[error("{}: {op}: {source}", path.display())]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// What was being done.
        op: Op,
        /// The system error.
        source: io::Error,
    },
    /// A pair's root could not be opened or examined beneath itself.
    #[error("{0}")]
    Root(#[from] beneath::Error),
    /// The run would need more open files than the process may have.
    #[error("{pairs} pairs need at least {needed} open files at once, but the limit is {limit} (expected fewer pairs per run, or a higher `ulimit -n`)")]
    TooManyPairs {
        /// Number of pairs.
        pairs: usize,
        /// Files the run needs open.
        needed: u64,
        /// The soft limit on open files.
        limit: u64,
    },
    /// A line of a pairs file ([`crate::parse_pairs`]) is not `SRC DST`.
    #[error("{}:{line}: {fields} fields (expected `SRC DST`)", file.display())]
    BadPairLine {
        /// The pairs file.
        file: PathBuf,
        /// Its line number, from 1.
        line: usize,
        /// How many whitespace-separated fields the line has.
        fields: usize,
    },
    /// The worker thread pool could not be built.
    #[error("cannot start {jobs} worker threads: {message}")]
    ThreadPool {
        /// Number of threads asked for.
        jobs: usize,
        /// Rayon's explanation.
        message: String,
    },
}

/// What kind of failure an error is: the workspace's one error class
/// (that of the `rvm` crate), so that a command-line tool maps every
/// library's errors to exit codes in one place.
pub use rvm::ErrorClass;

impl Error {
    /// How a command-line tool should report this error: a destination
    /// that holds data or overlaps a tree is refused for safety; a bad
    /// source, `--preserve` list, pairs file or non-Coda side for `--acls`
    /// is a usage error; the rest are failures.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::DstNotEmpty { .. } | Error::DstInsideSrc { .. } | Error::DstOverlap { .. } => {
                ErrorClass::Refused
            }
            Error::SrcNotDir { .. }
            | Error::NotCoda { .. }
            | Error::BadPreserve(_)
            | Error::BadPairLine { .. } => ErrorClass::Usage,
            Error::Io { .. }
            | Error::Root(_)
            | Error::TooManyPairs { .. }
            | Error::ThreadPool { .. } => ErrorClass::Failure,
        }
    }
}

/// The step during which an item failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Reading a directory's entries.
    ReadDir,
    /// `lstat` of a source object.
    Stat,
    /// Opening a source file.
    Open,
    /// Reading file data.
    Read,
    /// Creating or writing the destination file.
    Write,
    /// Creating a destination directory.
    Mkdir,
    /// Reading or creating a symbolic link.
    Symlink,
    /// Creating a device, FIFO or socket.
    Mknod,
    /// Creating a hard link.
    Link,
    /// Removing a stale destination object (`--force`, `--resume`).
    Remove,
    /// Setting owner and group.
    Chown,
    /// Setting mode bits.
    Chmod,
    /// Setting access and modification times.
    Utimes,
    /// Copying extended attributes.
    Xattr,
    /// Asking venus for a fid (identity on a Coda mount).
    GetFid,
    /// Copying a Coda directory ACL.
    Acl,
    /// Checking whether a destination file is already complete (`--resume`).
    Resume,
    /// Comparing content after the copy (`--verify`).
    Verify,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::ReadDir => "read directory",
            Op::Stat => "stat",
            Op::Open => "open",
            Op::Read => "read",
            Op::Write => "write",
            Op::Mkdir => "mkdir",
            Op::Symlink => "symlink",
            Op::Mknod => "mknod",
            Op::Link => "link",
            Op::Remove => "remove",
            Op::Chown => "chown",
            Op::Chmod => "chmod",
            Op::Utimes => "set times",
            Op::Xattr => "xattr",
            Op::GetFid => "getfid",
            Op::Acl => "acl",
            Op::Resume => "resume check",
            Op::Verify => "verify",
        })
    }
}

/// One item that could not be copied (or verified). The run goes on.
#[derive(Debug)]
pub struct Failure {
    /// The source path of the item.
    pub path: PathBuf,
    /// The step that failed.
    pub op: Op,
    /// The errno, when a system call failed.
    pub errno: Option<i32>,
    /// What went wrong, in words.
    pub message: String,
}

impl Failure {
    /// A failure from a system error.
    pub fn io(path: impl Into<PathBuf>, op: Op, err: &io::Error) -> Failure {
        let errno = err.raw_os_error();
        // A system error reads as the system's words for its errno, then
        // the number (` (errno 5)`); any other error as its text.
        let message = match errno {
            Some(n) => format!("{} (errno {n})", errno::Errno(n)),
            None => err.to_string(),
        };
        Failure {
            path: path.into(),
            op,
            errno,
            message,
        }
    }

    /// A failure from the beneath-the-root layer. The message names the
    /// path the layer refused (a symlink in the way, ...) when that is not
    /// the item itself.
    pub fn beneath(path: impl Into<PathBuf>, op: Op, err: &beneath::Error) -> Failure {
        let path = path.into();
        let mut f = match err {
            beneath::Error::Io { source, .. } => Failure::io(path, op, source),
            other => Failure::other(path, op, other.reason()),
        };
        if err.path() != f.path {
            f.message = format!("{}: {}", err.path().display(), f.message);
        }
        f
    }

    /// A failure that is not a system error (for example a content mismatch).
    pub fn other(path: impl Into<PathBuf>, op: Op, message: impl Into<String>) -> Failure {
        Failure {
            path: path.into(),
            op,
            errno: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.path.display(), self.op, self.message)
    }
}

/// Something preserved less well than asked, without failing the item
/// (for example a hard link that the destination refused, copied instead).
#[derive(Debug)]
pub struct Warning {
    /// The source path of the item.
    pub path: PathBuf,
    /// What happened.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_system_error_reads_as_the_systems_words_and_its_errno() {
        // glibc's strerror(5) and strerror(28).
        let f = Failure::io("/s/f", Op::Read, &io::Error::from_raw_os_error(5));
        assert_eq!(f.errno, Some(5));
        assert_eq!(f.to_string(), "/s/f: read: Input/output error (errno 5)");
        let f = Failure::io("/s/f", Op::Read, &io::Error::from_raw_os_error(28));
        assert_eq!(f.message, "No space left on device (errno 28)");
        let f = Failure::io("/s/f", Op::Read, &io::Error::other("short read"));
        assert_eq!((f.errno, f.message.as_str()), (None, "short read"));
    }
}
