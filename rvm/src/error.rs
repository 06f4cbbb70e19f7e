//! The one error type of the `rvm` crate, and the class of each error.
//!
//! Two rules make one printed line tell the whole story:
//! - each variant names what it concerns (file, byte offset, parameter)
//!   and knows its [`ErrorClass`] ([`Error::class`]), so a caller maps it
//!   to an exit code without looking at the text;
//! - a variant that wraps an operating-system error returns it from
//!   [`std::error::Error::source`] and does not repeat it in its own
//!   `Display`: printing the chain (`coda-rs: {e}: {source}`, or anyhow's
//!   `{:#}`) shows the errno text exactly once.

use std::path::PathBuf;

use human::{SizeError, SIZE_EXPECTED as EXPECTED};

/// What kind of failure an [`Error`] is, in the terms of the command-line
/// conventions (`shared/spec/cli-conventions.md`, "Exit codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// A bad parameter, argument or target name; nothing was written
    /// (exit 2).
    Usage,
    /// Refused for safety: the target holds data and `force` was not given,
    /// or it is in use (exit 3).
    Refused,
    /// The operation failed: I/O error, damaged input, ... (exit 1).
    Failure,
}

/// Everything that can go wrong in this crate. Each variant names the file
/// (or parameter) concerned so that one line tells the whole story.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system call failed (the call's error is the
    /// [`source`](std::error::Error::source)).
    #[error("{}: {context}", path.display())]
    Io {
        /// File or device concerned.
        path: PathBuf,
        /// What was being done, e.g. "cannot open for writing".
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes at `offset` are not what the format requires.
    #[error("{}: at byte {offset}: {what} (expected {expected})", path.display())]
    Corrupt {
        /// File or device concerned.
        path: PathBuf,
        /// Absolute byte offset in the file.
        offset: u64,
        /// What was found.
        what: String,
        /// What the format requires there.
        expected: String,
    },
    /// A size or number argument does not follow the grammar of
    /// [`crate::size`]; nothing was done.
    #[error("{name}: {error} (expected {EXPECTED})")]
    Size {
        /// Argument name as the user knows it (e.g. `SIZE`, `--log-size`).
        name: &'static str,
        /// What is wrong with it.
        error: SizeError,
    },
    /// A parameter breaks a rule; nothing was written.
    #[error("{name} {value}: {rule}")]
    Parameter {
        /// Parameter name as the user knows it (e.g. `CHUNK`).
        name: &'static str,
        /// The value given.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
    /// The target holds data; writing needs `force`.
    #[error("{}: {reason}; refusing to overwrite it (use --force)", path.display())]
    Refused {
        /// File or device concerned.
        path: PathBuf,
        /// What it holds.
        reason: String,
    },
    /// The target is in use by the system (mounted, held by another
    /// driver, backing a loop device, ...): never written, not even with
    /// `force`.
    #[error("{}: {what}; refusing to write to it, even with --force", path.display())]
    InUse {
        /// File or device concerned.
        path: PathBuf,
        /// Who uses it, e.g. "is mounted on /srv".
        what: String,
    },
    /// `--replace-rvm` found something that is neither zeros nor the RVM
    /// structure it would replace.
    #[error("{}: {what}; --replace-rvm overwrites only {role} or a target that is all zero (check the path; --force would overwrite it anyway)", path.display())]
    NotRvm {
        /// File or device concerned.
        path: PathBuf,
        /// What it holds.
        what: String,
        /// What may be replaced, e.g. "an RVM log".
        role: &'static str,
    },
    /// The target cannot be used at all (a directory, too small a device, ...).
    #[error("{}: {what} (expected {expected})", path.display())]
    Target {
        /// File or device concerned.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
        /// What is needed.
        expected: String,
    },
    /// The log cannot be recovered the way real RVM would (e.g. quirk Q2).
    #[error("{}: {what}", path.display())]
    Unrecoverable {
        /// Log concerned.
        path: PathBuf,
        /// Why.
        what: String,
    },
    /// A formatter was asked to stop (its stop flag, e.g. Ctrl-C) before
    /// it wrote what makes its target valid (the log's status block, the
    /// segment's header page): the target holds no valid RVM structure.
    #[error("{}: formatting interrupted; {}", path.display(), left.describe())]
    Interrupted {
        /// The target being formatted.
        path: PathBuf,
        /// What the target holds now.
        left: Left,
    },
}

/// What an interrupted formatter left ([`Error::Interrupted`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Left {
    /// Nothing: the target was a new file, created by the run, and is gone.
    Removed,
    /// An empty file: the old one's contents were discarded when the
    /// format began (as rvmutl truncates), and a format of it starts again.
    Emptied,
    /// A device whose first block (status block, segment header page) is
    /// zeroed and whose area after it holds partly the new fill, partly
    /// the old contents: neither RVM nor zeros.
    Invalid,
    /// Nothing had been written yet.
    Untouched,
}

impl Left {
    /// What the target holds, for a message.
    pub fn describe(self) -> &'static str {
        match self {
            Left::Removed => "the file it had created was removed",
            Left::Emptied => "the file is empty now (no RVM log or segment)",
            Left::Invalid => {
                "it holds no valid RVM log or segment now (its first block is zeroed; \
                 the rest is neither RVM nor zeros, so --replace-rvm refuses it)"
            }
            Left::Untouched => "nothing was written",
        }
    }
}

impl Error {
    /// How a command-line tool should report this error (exit code class).
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Size { .. } | Error::Parameter { .. } | Error::Target { .. } => {
                ErrorClass::Usage
            }
            Error::Refused { .. } | Error::InUse { .. } | Error::NotRvm { .. } => {
                ErrorClass::Refused
            }
            Error::Io { .. }
            | Error::Corrupt { .. }
            | Error::Unrecoverable { .. }
            | Error::Interrupted { .. } => ErrorClass::Failure,
        }
    }

    pub(crate) fn io(
        path: &std::path::Path,
        context: impl Into<String>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            context: context.into(),
            source,
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn the_os_error_is_the_source_and_not_repeated() {
        let e = Error::io(
            std::path::Path::new("/vice/LOG"),
            "cannot create",
            std::io::Error::from_raw_os_error(30),
        );
        assert_eq!(e.to_string(), "/vice/LOG: cannot create");
        let source = e.source().unwrap().downcast_ref::<std::io::Error>();
        assert_eq!(source.unwrap().raw_os_error(), Some(30));
        assert_eq!(e.class(), ErrorClass::Failure);
    }
}
