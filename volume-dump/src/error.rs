//! The one error type of the crate: every failure names the byte offset,
//! the record being read or written and what was expected there.

use std::fmt;
use std::io;

/// A record of the dump stream, used to say where an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// The dump header (spec §4).
    DumpHeader,
    /// The volume disk data (spec §5).
    VolumeDiskData,
    /// The large (directory) vnode index (spec §6).
    LargeIndex,
    /// The small (file and symlink) vnode index (spec §6).
    SmallIndex,
    /// A vnode record (spec §7), with its vnode number and uniquifier.
    Vnode {
        /// Vnode number.
        vnode: u32,
        /// Uniquifier.
        unique: u32,
    },
    /// The pages of a directory vnode (spec §12), with its vnode number and
    /// uniquifier.
    Directory {
        /// Vnode number.
        vnode: u32,
        /// Uniquifier.
        unique: u32,
    },
    /// A D_RMVNODE record (spec §8.2).
    RemovedVnode,
    /// The end marker (spec §1).
    DumpEnd,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Record::DumpHeader => f.write_str("dump header"),
            Record::VolumeDiskData => f.write_str("volume data"),
            Record::LargeIndex => f.write_str("large vnode index"),
            Record::SmallIndex => f.write_str("small vnode index"),
            Record::Vnode { vnode, unique } => write!(f, "vnode {vnode:#x}.{unique:#x}"),
            Record::Directory { vnode, unique } => {
                write!(f, "directory {vnode:#x}.{unique:#x}")
            }
            Record::RemovedVnode => f.write_str("removed-vnode record"),
            Record::DumpEnd => f.write_str("end of dump"),
        }
    }
}

/// What kind of failure an error is (usage, refused, failure): the
/// workspace's one error class, that of the `rvm` crate, so that a
/// command-line tool maps every library's errors to exit codes in one place.
pub use rvm::ErrorClass;

/// Everything that can go wrong while reading, writing or merging dumps.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The underlying reader or writer failed.
    Io {
        /// Stream offset at which the operation failed.
        offset: u64,
        /// The I/O error.
        source: io::Error,
    },
    /// The stream ended before the record was complete.
    Truncated {
        /// Stream offset of the end of the data.
        offset: u64,
        /// Record being read.
        record: Record,
        /// What should have followed.
        expected: String,
    },
    /// The bytes at `offset` are not allowed by the format (or by the
    /// strict reader's canonical order).
    Format {
        /// Stream offset of the offending byte.
        offset: u64,
        /// Record being read.
        record: Record,
        /// What was found, e.g. `unknown field tag 0x7a`.
        found: String,
        /// What the format allows there.
        expected: String,
    },
    /// A writer was given something it cannot encode, or was used out of
    /// order.
    Write {
        /// Stream offset at which the write was refused.
        offset: u64,
        /// Record being written.
        record: Record,
        /// What is wrong.
        problem: String,
    },
    /// Dumps that cannot be merged (spec §10), with the reason.
    Merge(String),
    /// A file or directory of a tree being dumped could not be read or
    /// stored.
    Tree {
        /// The file's path.
        path: String,
        /// What is wrong.
        problem: String,
    },
}

impl Error {
    /// How a command-line tool should report this error: every one is a
    /// failure (of the input, the output or the tree being dumped).
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Io { .. }
            | Error::Truncated { .. }
            | Error::Format { .. }
            | Error::Write { .. }
            | Error::Merge(_)
            | Error::Tree { .. } => ErrorClass::Failure,
        }
    }

    /// Stream offset the error refers to, if any.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Io { offset, .. }
            | Error::Truncated { offset, .. }
            | Error::Format { offset, .. }
            | Error::Write { offset, .. } => Some(*offset),
            Error::Merge(_) | Error::Tree { .. } => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { offset, source } => write!(f, "byte offset {offset}: {source}"),
            Error::Truncated {
                offset,
                record,
                expected,
            } => write!(
                f,
                "byte offset {offset}: {record}: stream ends early (expected {expected})"
            ),
            Error::Format {
                offset,
                record,
                found,
                expected,
            } => write!(
                f,
                "byte offset {offset}: {record}: {found} (expected {expected})"
            ),
            Error::Write {
                offset,
                record,
                problem,
            } => write!(f, "byte offset {offset}: writing {record}: {problem}"),
            Error::Merge(why) => f.write_str(why),
            Error::Tree { path, problem } => write!(f, "{path}: {problem}"),
        }
    }
}

// The I/O source is part of the message already; not repeating it as
// `source()` keeps the CLI's one-line error chain free of duplicates.
impl std::error::Error for Error {}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
