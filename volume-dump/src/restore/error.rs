//! The restore's error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::ErrorClass;

/// Everything that can stop a restore or a comparison.
#[derive(Debug)]
#[non_exhaustive]
pub enum RestoreError {
    /// Reading or interpreting the dump chain failed (truncated stream,
    /// bad record, chain that does not fit together...).
    Dump(crate::Error),
    /// Writing into the target failed (ENOSPC, EACCES, ...).
    Target {
        /// The object being restored, `vnode.unique` in hex, if any.
        vnode: Option<(u32, u32)>,
        /// The path in the target.
        path: PathBuf,
        /// What was being done, e.g. `writing file data`.
        action: &'static str,
        /// The I/O error.
        source: io::Error,
    },
    /// The target-directory layer refused or failed an operation (a
    /// symlink in the way, ENOSPC, EEXIST...).
    Beneath {
        /// The object being restored, if any.
        vnode: Option<(u32, u32)>,
        /// The layer's error (names the path and the operation).
        source: beneath::Error,
    },
    /// The target holds something at a path where the restore makes a
    /// directory or file, and it may not be replaced: resuming, it is not
    /// what the journal says this restore made there (a symlink, another
    /// type, or missing); without `--force`, anything. Nothing was
    /// written through it.
    NotOurs {
        /// The object whose path it is, if any.
        vnode: Option<(u32, u32)>,
        /// The path.
        path: PathBuf,
        /// What is there.
        found: &'static str,
        /// What the restore makes there.
        expected: &'static str,
        /// Whether this is a resume (the journal is the reference).
        resuming: bool,
    },
    /// The dump holds something that cannot become a file name.
    BadName {
        /// The object.
        vnode: (u32, u32),
        /// The name, lossily decoded.
        name: String,
        /// Why it is refused.
        problem: &'static str,
    },
    /// The restore was refused for safety (non-empty target, journal of
    /// another dump...).
    Refused(String),
    /// The journal could not be read or written.
    Journal {
        /// The journal's path.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The tape input failed.
    Tape(String),
    /// [`super::RestoreOptions::stop`] was set: the restore stopped
    /// between two objects, the journal saying what is complete.
    Interrupted,
}

impl RestoreError {
    pub(crate) fn beneath(vnode: Option<(u32, u32)>, source: beneath::Error) -> Self {
        RestoreError::Beneath { vnode, source }
    }

    pub(crate) fn target(
        vnode: Option<(u32, u32)>,
        path: impl Into<PathBuf>,
        action: &'static str,
        source: io::Error,
    ) -> Self {
        RestoreError::Target {
            vnode,
            path: path.into(),
            action,
            source,
        }
    }
}

impl RestoreError {
    /// How a command-line tool should report this error: a refusal for
    /// safety, or a failure.
    pub fn class(&self) -> ErrorClass {
        match self {
            RestoreError::Refused(_) => ErrorClass::Refused,
            RestoreError::Dump(e) => e.class(),
            RestoreError::Target { .. }
            | RestoreError::Beneath { .. }
            | RestoreError::NotOurs { .. }
            | RestoreError::BadName { .. }
            | RestoreError::Journal { .. }
            | RestoreError::Tape(_)
            | RestoreError::Interrupted => ErrorClass::Failure,
        }
    }
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestoreError::Dump(e) => write!(f, "reading the dump: {e}"),
            RestoreError::Target {
                vnode,
                path,
                action,
                source,
            } => {
                write!(f, "{}: ", path.display())?;
                if let Some((v, u)) = vnode {
                    write!(f, "vnode {v:#x}.{u:#x}: ")?;
                }
                write!(f, "{action}: {source}")
            }
            RestoreError::Beneath { vnode, source } => {
                write!(f, "{}: ", source.path().display())?;
                if let Some((v, u)) = vnode {
                    write!(f, "vnode {v:#x}.{u:#x}: ")?;
                }
                write!(f, "{}: {}", source.op(), source.reason())
            }
            RestoreError::NotOurs {
                vnode,
                path,
                found,
                expected,
                resuming,
            } => {
                write!(f, "{}: ", path.display())?;
                if let Some((v, u)) = vnode {
                    write!(f, "vnode {v:#x}.{u:#x}: ")?;
                }
                if *resuming {
                    write!(
                        f,
                        "is a {found}, not the {expected} the journal says this restore made \
                         there; not touched"
                    )
                } else {
                    write!(
                        f,
                        "a {found} is in the way of a {expected}; not touched (--force replaces it)"
                    )
                }
            }
            RestoreError::BadName {
                vnode: (v, u),
                name,
                problem,
            } => write!(
                f,
                "vnode {v:#x}.{u:#x}: directory entry {name:?} {problem} (expected a plain file name)"
            ),
            RestoreError::Refused(why) => f.write_str(why),
            RestoreError::Journal { path, problem } => {
                write!(f, "{}: {problem}", path.display())
            }
            RestoreError::Tape(why) => write!(f, "tape: {why}"),
            RestoreError::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for RestoreError {}

impl From<crate::Error> for RestoreError {
    fn from(e: crate::Error) -> Self {
        RestoreError::Dump(e)
    }
}
