//! The layer's error type: every failure names the operation and the path
//! beneath the target it concerned.

use std::io;
use std::path::PathBuf;

/// Everything an operation beneath a target directory can fail with.
///
/// Every variant carries `op` (what was being done, e.g. `creating a
/// file`), `path` (the path shown to the user: the target's own path
/// joined with the relative path) and `rel` (the path relative to the
/// target, empty for the target itself).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A component of the path is a symbolic link or a magic link
    /// (`/proc/.../fd/N`): it was refused, not followed.
    #[error("{}: {op}: a symbolic link is in the way (refused, not followed)", path.display())]
    Symlink {
        /// What was being done.
        op: &'static str,
        /// The path as shown to the user.
        path: PathBuf,
        /// The path relative to the target.
        rel: PathBuf,
    },
    /// The path would lead outside the target (`..`, an absolute path, or
    /// the kernel saw the resolution leave the target).
    #[error("{}: {op}: the path leads outside the target directory (refused)", path.display())]
    Escape {
        /// What was being done.
        op: &'static str,
        /// The path as shown to the user.
        path: PathBuf,
        /// The path relative to the target.
        rel: PathBuf,
    },
    /// A name is not one plain file name (empty, `.`, `..`, contains `/`
    /// or a NUL byte).
    #[error("{}: {op}: not a plain file name: {why} (expected a name without '/' or NUL, not '.' or '..')", path.display())]
    BadName {
        /// What was being done.
        op: &'static str,
        /// The path as shown to the user.
        path: PathBuf,
        /// The path relative to the target.
        rel: PathBuf,
        /// What is wrong with the name.
        why: &'static str,
    },
    /// The entry exists but is not of the expected type (e.g. a directory
    /// or a FIFO where a regular file was to be opened).
    #[error("{}: {op}: is a {found} (expected a {expected})", path.display())]
    WrongType {
        /// What was being done.
        op: &'static str,
        /// The path as shown to the user.
        path: PathBuf,
        /// The path relative to the target.
        rel: PathBuf,
        /// What the entry is.
        found: &'static str,
        /// What it should have been.
        expected: &'static str,
    },
    /// Any other failure of a system call (ENOENT, EEXIST, ENOSPC, ...).
    #[error("{}: {op}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The path as shown to the user.
        path: PathBuf,
        /// The path relative to the target.
        rel: PathBuf,
        /// The system's error.
        source: io::Error,
    },
}

impl Error {
    /// The path as shown to the user (the target joined with [`Error::rel`]).
    pub fn path(&self) -> &std::path::Path {
        match self {
            Error::Symlink { path, .. }
            | Error::Escape { path, .. }
            | Error::BadName { path, .. }
            | Error::WrongType { path, .. }
            | Error::Io { path, .. } => path,
        }
    }

    /// The path relative to the target.
    pub fn rel(&self) -> &std::path::Path {
        match self {
            Error::Symlink { rel, .. }
            | Error::Escape { rel, .. }
            | Error::BadName { rel, .. }
            | Error::WrongType { rel, .. }
            | Error::Io { rel, .. } => rel,
        }
    }

    /// What was being done.
    pub fn op(&self) -> &'static str {
        match self {
            Error::Symlink { op, .. }
            | Error::Escape { op, .. }
            | Error::BadName { op, .. }
            | Error::WrongType { op, .. }
            | Error::Io { op, .. } => op,
        }
    }

    /// The kind of I/O error this corresponds to (`NotFound`,
    /// `AlreadyExists`, ...; `Other` for the layer's own refusals).
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Error::Io { source, .. } => source.kind(),
            Error::BadName { .. } => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::Other,
        }
    }

    /// Whether the entry was missing (ENOENT).
    pub fn is_not_found(&self) -> bool {
        self.kind() == io::ErrorKind::NotFound
    }

    /// Whether this is one of the layer's safety refusals (a symlink in
    /// the way, an escape, a bad name, a wrong type) rather than an
    /// ordinary I/O failure.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Error::Io { .. })
    }

    /// What went wrong, without the path and the operation (for callers
    /// that print those themselves).
    pub fn reason(&self) -> String {
        match self {
            Error::Symlink { .. } => "a symbolic link is in the way (refused, not followed)".into(),
            Error::Escape { .. } => "the path leads outside the target directory (refused)".into(),
            Error::BadName { why, .. } => format!("not a plain file name: {why}"),
            Error::WrongType {
                found, expected, ..
            } => format!("is a {found} (expected a {expected})"),
            Error::Io { source, .. } => source.to_string(),
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        io::Error::new(e.kind(), e)
    }
}

/// Where an error happened: the target's path and the relative path,
/// turned into the fields of [`Error`].
pub(crate) struct At<'a> {
    pub root: &'a std::path::Path,
    pub rel: PathBuf,
    pub op: &'static str,
}

impl At<'_> {
    fn shown(&self) -> PathBuf {
        if self.rel.as_os_str().is_empty() {
            self.root.to_path_buf()
        } else {
            self.root.join(&self.rel)
        }
    }

    /// An error from a system call; ELOOP and EXDEV become the layer's
    /// refusals.
    pub fn errno(self, e: rustix::io::Errno) -> Error {
        match e {
            rustix::io::Errno::LOOP => self.symlink(),
            rustix::io::Errno::XDEV => self.escape(),
            e => self.io(e.into()),
        }
    }

    /// An I/O error.
    pub fn io(self, source: io::Error) -> Error {
        Error::Io {
            op: self.op,
            path: self.shown(),
            rel: self.rel,
            source,
        }
    }

    /// A symlink in the way.
    pub fn symlink(self) -> Error {
        Error::Symlink {
            op: self.op,
            path: self.shown(),
            rel: self.rel,
        }
    }

    /// An escape.
    pub fn escape(self) -> Error {
        Error::Escape {
            op: self.op,
            path: self.shown(),
            rel: self.rel,
        }
    }

    /// A bad name.
    pub fn bad_name(self, why: &'static str) -> Error {
        Error::BadName {
            op: self.op,
            path: self.shown(),
            rel: self.rel,
            why,
        }
    }

    /// A wrong type.
    pub fn wrong_type(self, found: &'static str, expected: &'static str) -> Error {
        Error::WrongType {
            op: self.op,
            path: self.shown(),
            rel: self.rel,
            found,
            expected,
        }
    }
}
