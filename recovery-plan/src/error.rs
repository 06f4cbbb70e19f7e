//! The crate's one error type, and the warnings planners hand back.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong while reading lists, planning or keeping
/// the runbook journal. Every variant names its subject (file and line,
/// volume, step) so that one printed line says what and where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A malformed line in a text file (VolumeList, VRList, dumplist).
    Syntax {
        /// File name as given by the caller (`-` for stdin).
        file: String,
        /// 1-based line number.
        line: usize,
        /// What was found.
        what: String,
        /// What the format requires there.
        expected: String,
    },
    /// An I/O operation on a file or directory failed.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// What was being done (`read`, `write`, `rename`, ...).
        op: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A volume (all replicas together) does not fit on one tape.
    TooLarge {
        /// Volume (group) name.
        name: String,
        /// Group id for replicated volumes, volume id otherwise.
        id: u32,
        /// Bytes the volume needs.
        bytes: u64,
        /// Capacity of one tape.
        tape_bytes: u64,
    },
    /// A volume id is listed as a replica by more than one VRList group.
    AmbiguousReplica {
        /// Volume name from the VolumeList.
        name: String,
        /// Volume id.
        id: u32,
        /// Every group that lists it.
        groups: Vec<u32>,
    },
    /// A size argument such as `1.5G` could not be understood.
    BadSize {
        /// The text given.
        text: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A value that a writer cannot represent in its format.
    Invalid {
        /// What the value belongs to.
        subject: String,
        /// What is wrong with it.
        what: String,
        /// What the format allows.
        expected: String,
    },
    /// A runbook or journal file that does not hold what it should.
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// A step id that the runbook does not have.
    UnknownStep {
        /// The id asked for.
        id: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Syntax {
                file,
                line,
                what,
                expected,
            } => write!(f, "{file}:{line}: {what} (expected {expected})"),
            Error::Io { path, op, source } => {
                write!(f, "{}: {op}: {source}", path.display())
            }
            Error::TooLarge {
                name,
                id,
                bytes,
                tape_bytes,
            } => write!(
                f,
                "volume {name} ({id:x}): needs {bytes} bytes, more than one tape holds \
                 (expected at most {tape_bytes} bytes per volume)"
            ),
            Error::AmbiguousReplica { name, id, groups } => {
                write!(f, "volume {name} ({id:x}): listed as a replica by VRList groups ")?;
                for (i, g) in groups.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{g:x}")?;
                }
                f.write_str(" (expected exactly one group per replica)")
            }
            Error::BadSize { text, reason } => write!(
                f,
                "size `{text}`: {reason} (expected bytes or a number with a K/M/G/T suffix, e.g. 20M, 1.5G)"
            ),
            Error::Invalid {
                subject,
                what,
                expected,
            } => write!(f, "{subject}: {what} (expected {expected})"),
            Error::State { path, what } => write!(f, "{}: {what}", path.display()),
            Error::UnknownStep { id } => {
                write!(f, "step {id}: no such step in the runbook (expected an id shown by `reinit status`)")
            }
        }
    }
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, op: &'static str, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            op,
            source,
        }
    }
}

/// Something a planner noticed that does not stop the plan, e.g. a
/// replicated volume whose replicas are not all in the VolumeList.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What it is about (a volume, a group, a line).
    pub subject: String,
    /// What was noticed.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}
