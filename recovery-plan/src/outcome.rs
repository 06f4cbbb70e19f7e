//! How a step's command ended: the outcome the journal records and a
//! failed step's error reports.

use std::fmt;
use std::os::unix::process::ExitStatusExt;

/// How a step's command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It exited with this status.
    Exited(i32),
    /// It was killed by this signal.
    Killed(i32),
}

impl Outcome {
    /// True for exit status 0.
    pub fn success(self) -> bool {
        self == Outcome::Exited(0)
    }

    /// The exit status, `None` when killed by a signal.
    pub fn exit_code(self) -> Option<i32> {
        match self {
            Outcome::Exited(c) => Some(c),
            Outcome::Killed(_) => None,
        }
    }

    /// The outcome of a process's exit status.
    pub fn of(status: std::process::ExitStatus) -> Outcome {
        match (status.code(), status.signal()) {
            (Some(c), _) => Outcome::Exited(c),
            (None, Some(s)) => Outcome::Killed(s),
            (None, None) => Outcome::Killed(0),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Exited(c) => write!(f, "exit status {c}"),
            Outcome::Killed(_) => f.write_str("killed by a signal"),
        }
    }
}
