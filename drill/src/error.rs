//! The drill's error type. Every error knows its [`ErrorClass`]
//! ([`Error::class`]) so that the command maps it to an exit code, and
//! keeps the library error it came from as its source, so the whole chain
//! reaches the printed line.

use std::io;
use std::path::PathBuf;

pub use rvm::ErrorClass;

/// `Result` with the drill's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the drill can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `--dir` names a directory that already holds something.
    #[error("{}: directory is not empty; the drill needs an empty or new directory", dir.display())]
    NotEmpty {
        /// The directory given.
        dir: PathBuf,
    },
    /// A file operation of the drill itself failed.
    #[error("{}: {what}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done, e.g. `cannot write`.
        what: &'static str,
        /// The system's error.
        source: io::Error,
    },
    /// No temporary working directory could be made.
    #[error("cannot create a temporary directory")]
    TempDir(#[source] io::Error),
    /// A write beneath the working directory failed or was refused.
    #[error(transparent)]
    Beneath(#[from] beneath::Error),
    /// Writing, reading or verifying a dump failed.
    #[error("{context}")]
    Dump {
        /// Which dump and what was being done.
        context: String,
        /// The dump library's error.
        source: volume_dump::Error,
    },
    /// The restore of the dump chain failed.
    #[error(transparent)]
    Restore(#[from] volume_dump::restore::RestoreError),
    /// The parallel copy could not run.
    #[error(transparent)]
    Copy(#[from] tree_copy::Error),
    /// The parallel copy ran, but items failed.
    #[error("{count} item(s) failed, first: {first}")]
    CopyFailed {
        /// How many items failed.
        count: usize,
        /// The first failure, as the copy reports it.
        first: String,
    },
    /// Formatting or reading the RVM log and data segment failed.
    #[error(transparent)]
    Rvm(#[from] rvm::Error),
    /// A verification found the results wrong.
    #[error("{0}")]
    Check(String),
    /// A step of the drill failed.
    #[error("step {name}")]
    Step {
        /// The step's name, as in the report.
        name: &'static str,
        /// Why it failed.
        source: Box<Error>,
    },
}

impl Error {
    /// How a command-line tool should report this error: a `--dir` that
    /// holds data, or a write refused beneath the working directory, is
    /// refused for safety; a library error keeps its own class; the rest
    /// are failures.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::NotEmpty { .. } => ErrorClass::Refused,
            Error::Beneath(e) if e.is_refusal() => ErrorClass::Refused,
            Error::Dump { source, .. } => source.class(),
            Error::Restore(e) => e.class(),
            Error::Copy(e) => e.class(),
            Error::Rvm(e) => e.class(),
            Error::Step { source, .. } => source.class(),
            Error::Io { .. }
            | Error::TempDir(_)
            | Error::Beneath(_)
            | Error::CopyFailed { .. }
            | Error::Check(_) => ErrorClass::Failure,
        }
    }

    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        what: &'static str,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, what, source }
    }

    /// An [`Error::Dump`] whose context is `context`.
    pub(crate) fn dump(context: String) -> impl FnOnce(volume_dump::Error) -> Error {
        move |source| Error::Dump { context, source }
    }
}

/// The error and its causes on one line, outermost first, as the report
/// shows them; a cause whose text its error already ends with is shown
/// once.
pub fn chain_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_library_errors() {
        let refused = Error::NotEmpty {
            dir: "/var/tmp/d".into(),
        };
        assert_eq!(refused.class(), ErrorClass::Refused);
        let usage = Error::Rvm(rvm::size::argument("SIZE", "12XB").unwrap_err());
        assert_eq!(usage.class(), ErrorClass::Usage);
        let step = Error::Step {
            name: "rvm-init",
            source: Box::new(usage),
        };
        assert_eq!(step.class(), ErrorClass::Usage);
        let failed = Error::CopyFailed {
            count: 2,
            first: "x".into(),
        };
        assert_eq!(failed.class(), ErrorClass::Failure);
    }

    #[test]
    fn the_chain_survives_to_the_line() {
        let io = io::Error::from_raw_os_error(28);
        let e = Error::Step {
            name: "full-dump",
            source: Box::new(Error::io("/d/full.dump", "cannot write")(io)),
        };
        assert_eq!(
            chain_line(&e),
            "step full-dump: /d/full.dump: cannot write: No space left on device (os error 28)"
        );
    }
}
