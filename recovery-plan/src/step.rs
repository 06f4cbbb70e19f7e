//! One step of the reinitialisation runbook: its id, who carries it out
//! ([`Action`], [`Kind`]) and what it achieves.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::names::{escaped, HostName, VolumeName};
use crate::shell::shell_quote;

/// Longest step id in bytes.
pub const MAX_STEP_ID: usize = 64;

/// A step id: dot-separated components of ASCII letters, digits, `-` and
/// `_`, e.g. `13.4.2` (`<section>.<n>`), at most [`MAX_STEP_ID`] bytes. Such
/// an id needs no quoting in a shell and prints as it is, whatever a
/// runbook file says; one that breaks the rule is refused when the runbook
/// is read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StepId(String);

impl StepId {
    /// The id of step `n` (1-based) of `section`, e.g. `13.4` and 2 give
    /// `13.4.2`.
    ///
    /// # Panics
    /// When `section` is not itself a valid id (the sections are the
    /// runbook builder's constants).
    pub fn new(section: &str, n: usize) -> StepId {
        StepId::parse(&format!("{section}.{n}")).expect("a section is a valid step id")
    }

    /// Checks `text` against the rule of [`StepId`]; the error says what is
    /// wrong (escaped for printing).
    pub fn parse(text: &str) -> std::result::Result<StepId, String> {
        let ok_char = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        if text.is_empty() || text.len() > MAX_STEP_ID {
            return Err(format!(
                "step id `{}` is {} bytes long (expected 1 to {MAX_STEP_ID})",
                escaped(text),
                text.len()
            ));
        }
        if text
            .split('.')
            .any(|c| c.is_empty() || !c.bytes().all(ok_char))
        {
            return Err(format!(
                "step id `{}` (expected dot-separated letters, digits, `-` or `_`, e.g. 13.4.2)",
                escaped(text)
            ));
        }
        Ok(StepId(text.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for StepId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for StepId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for StepId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StepId {
    /// The id, padded as the format asks (`{:<8}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl PartialEq<str> for StepId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for StepId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl TryFrom<String> for StepId {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        StepId::parse(&s)
    }
}

impl From<StepId> for String {
    fn from(id: StepId) -> String {
        id.0
    }
}

/// Who carries out a step, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// `coda-rs <args...>`; `reinit run` executes it.
    CodaRs {
        /// Arguments after the program name.
        args: Vec<String>,
    },
    /// A command the operator runs: a Coda server tool (`volutil`,
    /// `startserver`, ...) or a shell command; recorded with `reinit done`.
    Operator {
        /// The command line.
        command: String,
    },
    /// Something to do by hand; no command.
    Manual {
        /// What to do.
        text: String,
    },
}

/// The kind of an [`Action`], without its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    /// [`Action::CodaRs`].
    #[serde(rename = "coda-rs")]
    CodaRs,
    /// [`Action::Operator`].
    #[serde(rename = "operator")]
    Operator,
    /// [`Action::Manual`].
    #[serde(rename = "manual")]
    Manual,
}

impl Kind {
    /// The name `reinit status` shows: `coda-rs`, `operator`, `manual`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::CodaRs => "coda-rs",
            Kind::Operator => "operator",
            Kind::Manual => "manual",
        }
    }
}

impl Action {
    /// The command line as an operator would type it (every coda-rs
    /// argument quoted with [`shell_quote`]); a manual step's text.
    pub fn command_line(&self) -> String {
        match self {
            Action::CodaRs { args } => {
                let mut s = String::from("coda-rs");
                for a in args {
                    s.push(' ');
                    s.push_str(&shell_quote(a));
                }
                s
            }
            Action::Operator { command } => command.clone(),
            Action::Manual { text } => text.clone(),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Action::CodaRs { .. } => Kind::CodaRs,
            Action::Operator { .. } => Kind::Operator,
            Action::Manual { .. } => Kind::Manual,
        }
    }

    /// True when `coda-rs reinit run` can execute the step.
    pub fn is_coda_rs(&self) -> bool {
        self.kind() == Kind::CodaRs
    }
}

/// One step of the procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// `<section>.<n>`, e.g. `13.2.2`.
    pub id: StepId,
    /// The procedure section, `13.1`..`13.9`.
    pub section: String,
    /// What the step achieves.
    pub title: String,
    /// How.
    pub action: Action,
    /// The host that carries it out: a server of the cell (its dumps,
    /// RVM, server start, `create_rep`) or the client the procedure runs
    /// on (restores, mounts, copies, verifies). Runbooks written before
    /// hosts were recorded have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostName>,
    /// The volume the step concerns, if one: the replicated volume in a
    /// cell runbook, the replica in a one-server runbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeName>,
    /// The directory the step writes into or beneath, if one: a restore's
    /// target, a copy's destination, a mount point made or removed.
    /// `reinit run` checks it is on a Coda mount where it has to be
    /// ([`crate::venus`]) before the step starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes: Option<std::path::PathBuf>,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}  {}: {}",
            self.id,
            self.title,
            self.action.command_line()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_ids() {
        for ok in ["13.4.2", "13.1", "13.3.srv1-a.2", "x_y"] {
            assert_eq!(StepId::parse(ok).unwrap().as_str(), ok);
            assert_eq!(shell_quote(ok), ok, "needs no quoting");
        }
        for bad in [
            "",
            ".",
            "13..2",
            "13.2.",
            ".13",
            "13 2",
            "13;2",
            "a/b",
            "$(x)",
            "caf\u{e9}",
            "a\u{1b}b",
        ] {
            let e = StepId::parse(bad).unwrap_err();
            assert!(e.contains("(expected "), "{e}");
            assert!(!e.contains('\u{1b}'), "{e}");
        }
        assert!(StepId::parse(&"1".repeat(MAX_STEP_ID)).is_ok());
        assert!(StepId::parse(&"1".repeat(MAX_STEP_ID + 1)).is_err());
        assert_eq!(StepId::new("13.2", 2), "13.2.2");
    }

    #[test]
    fn a_bad_id_in_a_file_is_refused() {
        assert!(serde_json::from_str::<StepId>("\"13.1.1\"").is_ok());
        assert!(serde_json::from_str::<StepId>("\"13.1; rm\"").is_err());
    }
}
