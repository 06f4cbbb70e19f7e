//! The seam between the runbook's state machine and whatever carries a
//! step out: an [`Executor`] starts a step's command and hands back a
//! [`Job`] to wait for. [`Commands`] runs coda-rs steps as processes of the
//! coda-rs executable (no shell) and, when asked, operator steps as
//! `sh -c LINE`; tests and a `reinit run --all` plug in their own.

use std::io;
use std::path::PathBuf;
use std::process::{Child, Command};

pub use crate::outcome::Outcome;
use crate::step::{Action, Kind, Step};
use crate::{Error, Result};

/// A step being carried out.
pub trait Job {
    /// The process carrying it out, recorded in the journal so that the
    /// step shows as running while that process lives (`None`: nothing to
    /// record, e.g. a test stub working in-process).
    fn pid(&self) -> Option<u32>;

    /// Waits for the step to end.
    fn wait(&mut self) -> io::Result<Outcome>;
}

impl Job for Child {
    fn pid(&self) -> Option<u32> {
        Some(self.id())
    }

    fn wait(&mut self) -> io::Result<Outcome> {
        Child::wait(self).map(Outcome::of)
    }
}

/// Carries out steps of some kinds.
pub trait Executor {
    /// What [`Executor::start`] hands back.
    type Job: Job;

    /// Whether this executor carries out steps of `kind`. The state
    /// machine asks before it claims a step, so a step the executor does
    /// not take is refused ([`Error::NotRunnable`]) with the journal
    /// unchanged.
    fn runs(&self, kind: Kind) -> bool;

    /// What it carries out, for [`Error::NotRunnable`]: e.g.
    /// `coda-rs command`.
    fn describe(&self) -> &'static str;

    /// Starts carrying out `step`, which the journal already shows as
    /// running in this process. An error is recorded as the step's failure
    /// ([`Error::Launch`] for a program that cannot be started).
    fn start(&mut self, step: &Step) -> Result<Self::Job>;
}

/// Steps carried out as processes: coda-rs steps by the coda-rs executable
/// with the step's arguments (no shell involved), operator steps (when
/// enabled) by `sh -c` with the step's command line, whose words the
/// runbook quoted.
#[derive(Debug, Clone)]
pub struct Commands {
    coda_rs: PathBuf,
    shell: Option<PathBuf>,
}

impl Commands {
    /// An executor of coda-rs steps only, run as `coda_rs ARGS...` (what
    /// `reinit run STEP` does: operator steps are the operator's).
    pub fn coda_rs(coda_rs: impl Into<PathBuf>) -> Commands {
        Commands {
            coda_rs: coda_rs.into(),
            shell: None,
        }
    }

    /// Also carries out operator steps, as `shell -c LINE` (`shell` is
    /// normally `/bin/sh`).
    pub fn with_shell(mut self, shell: impl Into<PathBuf>) -> Commands {
        self.shell = Some(shell.into());
        self
    }
}

impl Executor for Commands {
    type Job = Child;

    fn runs(&self, kind: Kind) -> bool {
        match kind {
            Kind::CodaRs => true,
            Kind::Operator => self.shell.is_some(),
            Kind::Manual => false,
        }
    }

    fn describe(&self) -> &'static str {
        if self.shell.is_some() {
            "coda-rs or operator command"
        } else {
            "coda-rs command"
        }
    }

    fn start(&mut self, step: &Step) -> Result<Child> {
        let (program, mut command) = match (&step.action, &self.shell) {
            (Action::CodaRs { args }, _) => {
                let mut c = Command::new(&self.coda_rs);
                c.args(args);
                (&self.coda_rs, c)
            }
            (Action::Operator { command }, Some(sh)) => {
                let mut c = Command::new(sh);
                c.arg("-c").arg(command);
                (sh, c)
            }
            _ => {
                return Err(Error::Launch {
                    step: step.id.clone(),
                    program: PathBuf::new(),
                    source: io::Error::new(io::ErrorKind::Unsupported, self.describe()),
                })
            }
        };
        command.spawn().map_err(|source| Error::Launch {
            step: step.id.clone(),
            program: program.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::StepId;

    fn step(action: Action) -> Step {
        Step {
            id: StepId::new("13.1", 1),
            section: "13.1".into(),
            title: "t".into(),
            action,
            host: None,
            volume: None,
            writes: None,
        }
    }

    #[test]
    fn coda_rs_steps_run_the_program_with_the_arguments() {
        // `sh` stands in for the coda-rs executable: its arguments are the
        // step's, passed without a shell of ours in between.
        let mut ex = Commands::coda_rs("/bin/sh");
        assert!(ex.runs(Kind::CodaRs));
        assert!(!ex.runs(Kind::Operator) && !ex.runs(Kind::Manual));
        let s = step(Action::CodaRs {
            args: vec!["-c".into(), "exit 7".into()],
        });
        let mut job = ex.start(&s).unwrap();
        assert!(job.pid().is_some());
        assert_eq!(Job::wait(&mut job).unwrap(), Outcome::Exited(7));
    }

    #[test]
    fn operator_steps_go_to_the_shell_only_when_enabled() {
        let s = step(Action::Operator {
            command: "kill -9 $$".into(),
        });
        let mut ex = Commands::coda_rs("/nonexistent/coda-rs").with_shell("/bin/sh");
        assert!(ex.runs(Kind::Operator) && !ex.runs(Kind::Manual));
        let mut job = ex.start(&s).unwrap();
        let outcome = Job::wait(&mut job).unwrap();
        assert_eq!(outcome, Outcome::Killed(9));
        assert_eq!(outcome.exit_code(), None);
        assert_eq!(outcome.to_string(), "killed by a signal");
    }

    #[test]
    fn a_missing_program_is_a_launch_error() {
        let mut ex = Commands::coda_rs("/nonexistent/coda-rs");
        let s = step(Action::CodaRs { args: vec![] });
        match ex.start(&s) {
            Err(e @ Error::Launch { .. }) => {
                assert_eq!(e.to_string(), "step 13.1.1: run /nonexistent/coda-rs");
                assert_eq!(
                    std::error::Error::source(&e)
                        .and_then(|s| s.downcast_ref::<io::Error>())
                        .map(io::Error::kind),
                    Some(io::ErrorKind::NotFound)
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
