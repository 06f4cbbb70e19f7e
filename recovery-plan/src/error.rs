//! The crate's one error type, the class of each error, and the warnings
//! planners hand back.
//!
//! Two rules make one printed line tell the whole story:
//! - each variant names what it concerns (file and line, volume, step) and
//!   knows its [`ErrorClass`] ([`Error::class`]), so a caller maps it to an
//!   exit code without looking at the text;
//! - a variant that wraps another error returns it from
//!   [`std::error::Error::source`] and does not repeat it in its own
//!   `Display`: printing the chain (`coda-rs: {e}: {source}`) shows the
//!   system's error text exactly once.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::outcome::Outcome;
use crate::step::StepId;
use crate::transition::Transition;

/// What kind of failure an [`Error`] is, in the terms of the command-line
/// conventions (`shared/spec/cli-conventions.md`, "Exit codes"): the same
/// type as the `rvm` crate's, so the CLI maps every library's errors in
/// one place.
pub use rvm::ErrorClass;

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong while reading lists, planning or keeping
/// the runbook journal. Every variant names its subject (file and line,
/// volume, step) so that one printed line says what and where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A malformed line in a text file (VolumeList, VRList, dumplist,
    /// server.conf).
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
    /// An I/O operation on a file or directory failed (the system's error
    /// is the [`source`](std::error::Error::source)).
    Io {
        /// The path concerned.
        path: PathBuf,
        /// What was being done (`read`, `write`, `rename`, ...).
        op: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Writing beneath a directory failed or was refused (a symlink in the
    /// way, ...); the `beneath` error's text already names the path, the
    /// operation and the system's error.
    Write(beneath::Error),
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
    /// A tape size such as `1.5G` does not follow the size grammar
    /// ([`human::parse_size_fraction`]).
    BadSize(human::SizeError),
    /// A value that a writer cannot represent in its format.
    Invalid {
        /// What the value belongs to.
        subject: String,
        /// What is wrong with it.
        what: String,
        /// What the format allows.
        expected: String,
    },
    /// A setting the runbook needs was given neither as a flag nor in
    /// server.conf.
    MissingSetting {
        /// The flag that sets it, e.g. `--rvm-log`.
        flag: &'static str,
        /// Its server.conf name, e.g. `rvm_log`.
        name: &'static str,
        /// Whether a server.conf was read (and lacks it).
        conf_read: bool,
    },
    /// No log size was given and the existing log's status block, where
    /// it would come from, cannot be read (the `rvm` error is the source).
    LogSizeUnknown {
        /// The log.
        log: PathBuf,
        /// Why its status block cannot be read.
        #[source]
        source: rvm::Error,
    },
    /// An RVM size refused by the `rvm` crate's check of `rvm init`'s
    /// sizes; its text names the flag and what is wrong (it is shown as
    /// it is, and decides the class).
    RvmSize(rvm::Error),
    /// The value of a command's argument is wrong (the source says how).
    Argument {
        /// The flag, e.g. `--tape-size`.
        flag: &'static str,
        /// What is wrong with its value.
        #[source]
        source: Box<Error>,
    },
    /// `--server HOST` names a host no partition line names.
    UnknownHost {
        /// The host asked for.
        host: String,
        /// The hosts the lists name.
        hosts: Vec<String>,
    },
    /// The lists name several servers and none was chosen.
    SeveralHosts {
        /// The hosts the lists name.
        hosts: Vec<String>,
    },
    /// `plan dumplists -o DIR` without `--force` where dumplists already
    /// are.
    DumplistsExist {
        /// The first dumplist found.
        first: PathBuf,
        /// The directory.
        dir: PathBuf,
    },
    /// A runbook or journal file that does not hold what it should.
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// `reinit init` without `--force` where a runbook already is.
    RunbookExists {
        /// The runbook file.
        path: PathBuf,
    },
    /// A step id that the runbook does not have.
    UnknownStep {
        /// The id asked for, escaped for printing.
        id: String,
    },
    /// A step asked for while earlier steps are not done.
    OutOfOrder {
        /// The step asked for.
        step: StepId,
        /// How many earlier steps are not done.
        unfinished: usize,
        /// The first of them.
        first: StepId,
        /// Its title.
        first_title: String,
    },
    /// `reinit run` of a step that is done.
    AlreadyDone {
        /// The step.
        step: StepId,
    },
    /// A step whose journal names a live process carrying it out.
    RunningElsewhere {
        /// The step.
        step: StepId,
        /// The process.
        pid: u32,
        /// What was asked for.
        asked: Transition,
    },
    /// A step the executor does not carry out (an operator or manual step
    /// for `reinit run`).
    NotRunnable {
        /// The step.
        step: StepId,
        /// Its command line or text.
        command: String,
        /// What the executor carries out, e.g. `coda-rs command`.
        runs: &'static str,
        /// The command that records the step once it is carried out.
        then: String,
    },
    /// A step's command could not be started.
    Launch {
        /// The step.
        step: StepId,
        /// The program.
        program: PathBuf,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// `reinit run --all` reached a step of another host and has no
    /// remote shell to run it there.
    RemoteHost {
        /// The step.
        step: StepId,
        /// Its host.
        host: crate::names::HostName,
        /// Its command line.
        command: String,
        /// The command that records it once carried out.
        then: String,
    },
    /// A step's program is not on the machine that was to run it.
    CommandMissing {
        /// The step.
        step: StepId,
        /// What is missing, in words.
        what: String,
        /// The host to run it on by hand, if the step names one.
        host: Option<crate::names::HostName>,
        /// The command line to run by hand.
        command: String,
        /// The command that records it once carried out.
        then: String,
    },
    /// A step that is asked about (or re-run) only with `--yes`.
    NeedsYes {
        /// The step.
        step: StepId,
        /// Why.
        why: String,
    },
    /// The operator answered no.
    Declined {
        /// The step.
        step: StepId,
    },
    /// A step writes where venus should receive the data, and venus does
    /// not serve that place (nothing was written).
    NotCoda {
        /// The step.
        step: StepId,
        /// Where it writes.
        path: PathBuf,
        /// What the check found.
        why: String,
    },
    /// A step's command ran and failed (recorded as failed).
    StepFailed {
        /// The step.
        step: StepId,
        /// Its command line.
        command: String,
        /// How it ended.
        outcome: Outcome,
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
            Error::Io { path, op, .. } => write!(f, "{}: {op}", path.display()),
            Error::Write(e) => write!(f, "{e}"),
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
                write!(
                    f,
                    "volume {name} ({id:x}): listed as a replica by VRList groups "
                )?;
                for (i, g) in groups.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{g:x}")?;
                }
                f.write_str(" (expected exactly one group per replica)")
            }
            Error::BadSize(e) => write!(f, "{e} (expected {})", human::SIZE_FRACTION_EXPECTED),
            Error::Invalid {
                subject,
                what,
                expected,
            } => write!(f, "{subject}: {what} (expected {expected})"),
            Error::MissingSetting {
                flag,
                name,
                conf_read,
            } => {
                write!(f, "{flag}: not given")?;
                if *conf_read {
                    write!(f, " and server.conf has no {name}")?;
                }
                write!(f, " (expected {flag} or --server-conf FILE with {name}=)")
            }
            Error::LogSizeUnknown { log, .. } => write!(
                f,
                "--rvm-log-size: not given, and the status block of {} cannot be read \
                 (expected --rvm-log-size SIZE, the size the log had)",
                log.display()
            ),
            Error::RvmSize(e) => write!(f, "{e}"),
            Error::Argument { flag, .. } => f.write_str(flag),
            Error::UnknownHost { host, hosts } => write!(
                f,
                "--server {host}: no partition line names this host (expected one of: {})",
                if hosts.is_empty() {
                    "none listed".to_string()
                } else {
                    hosts.join(", ")
                }
            ),
            Error::SeveralHosts { hosts } => write!(
                f,
                "the lists name several servers ({}): choose this one with --server HOST",
                hosts.join(", ")
            ),
            Error::DumplistsExist { first, dir } => write!(
                f,
                "{}: a dumplist is already there (use --force to replace the dumplists in {})",
                first.display(),
                dir.display()
            ),
            Error::State { path, what } => write!(f, "{}: {what}", path.display()),
            Error::RunbookExists { path } => write!(
                f,
                "{}: a runbook is already there (use --force to start over; its progress is lost)",
                path.display()
            ),
            Error::UnknownStep { id } => {
                write!(f, "step {id}: no such step in the runbook (expected an id shown by `reinit status`)")
            }
            Error::OutOfOrder {
                step,
                unfinished,
                first,
                first_title,
            } => write!(
                f,
                "step {step}: {unfinished} earlier step(s) not done, first {first} ({first_title}) \
                 (finish them, or use --force)"
            ),
            Error::AlreadyDone { step } => {
                write!(f, "step {step}: already done (use --force to run it again)")
            }
            Error::RunningElsewhere { step, pid, asked } => match asked {
                Transition::MarkDone => write!(
                    f,
                    "step {step}: `reinit run` is carrying it out right now (process {pid}); \
                     wait for it, or use --force"
                ),
                Transition::Start => write!(
                    f,
                    "step {step}: already running (process {pid}; if that is not coda-rs, \
                     e.g. after a reboot, use --force)"
                ),
            },
            Error::NotRunnable {
                step,
                command,
                runs,
                then,
            } => write!(
                f,
                "step {step}: `{command}` is not a {runs} (carry it out, then: {then})"
            ),
            Error::Launch { step, program, .. } => {
                write!(f, "step {step}: run {}", program.display())
            }
            Error::RemoteHost {
                step,
                host,
                command,
                then,
            } => write!(
                f,
                "step {step}: runs on {host}: run `{command}` there, then: {then} \
                 (or give --remote-shell 'ssh -oBatchMode=yes')"
            ),
            Error::CommandMissing {
                step,
                what,
                host,
                command,
                then,
            } => {
                write!(f, "step {step}: {what}: run `{command}` by hand")?;
                if let Some(h) = host {
                    write!(f, " on {h}")?;
                }
                write!(f, ", then: {then}")
            }
            Error::NeedsYes { step, why } => write!(f, "step {step}: {why}"),
            Error::Declined { step } => write!(f, "step {step}: not run (answered no)"),
            Error::NotCoda { step, path, why } => write!(
                f,
                "step {step}: {}: not on a Coda mount served by venus ({why}): \
                 is venus running? is /coda mounted? (nothing was written)",
                path.display()
            ),
            Error::StepFailed {
                step,
                command,
                outcome,
            } => write!(
                f,
                "step {step}: `{command}` failed ({outcome}); fix the cause and run it again"
            ),
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

    /// How a command-line tool should report this error (its exit code
    /// class). A command may treat a [`ErrorClass::Failure`] as a usage
    /// error where the bad input is its argument (`reinit init` with a
    /// malformed list: nothing was done).
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::BadSize(_)
            | Error::MissingSetting { .. }
            | Error::LogSizeUnknown { .. }
            | Error::Argument { .. }
            | Error::UnknownHost { .. }
            | Error::SeveralHosts { .. }
            | Error::UnknownStep { .. }
            | Error::NotRunnable { .. } => ErrorClass::Usage,
            Error::RunbookExists { .. }
            | Error::DumplistsExist { .. }
            | Error::OutOfOrder { .. }
            | Error::AlreadyDone { .. }
            | Error::RunningElsewhere { .. }
            | Error::NeedsYes { .. }
            | Error::NotCoda { .. } => ErrorClass::Refused,
            Error::RvmSize(e) => e.class(),
            Error::Write(e) if e.is_refusal() => ErrorClass::Refused,
            Error::Syntax { .. }
            | Error::Io { .. }
            | Error::Write(_)
            | Error::TooLarge { .. }
            | Error::AmbiguousReplica { .. }
            | Error::Invalid { .. }
            | Error::State { .. }
            | Error::Launch { .. }
            | Error::RemoteHost { .. }
            | Error::CommandMissing { .. }
            | Error::Declined { .. }
            | Error::StepFailed { .. } => ErrorClass::Failure,
        }
    }
}

impl From<beneath::Error> for Error {
    fn from(e: beneath::Error) -> Self {
        Error::Write(e)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_show_the_system_error_once_in_the_chain() {
        let e = Error::io("/x/journal.json", "read", io::Error::from_raw_os_error(2));
        assert_eq!(e.to_string(), "/x/journal.json: read");
        let source = std::error::Error::source(&e).unwrap().to_string();
        assert!(source.starts_with("No such file or directory"), "{source}");
        assert_eq!(e.class(), ErrorClass::Failure);
    }

    #[test]
    fn classes() {
        let id = StepId::new("13.2", 2);
        assert_eq!(
            Error::AlreadyDone { step: id.clone() }.class(),
            ErrorClass::Refused
        );
        assert_eq!(
            Error::UnknownStep { id: "x".into() }.class(),
            ErrorClass::Usage
        );
        assert_eq!(
            Error::StepFailed {
                step: id,
                command: "coda-rs x".into(),
                outcome: Outcome::Exited(1)
            }
            .class(),
            ErrorClass::Failure
        );
    }
}
