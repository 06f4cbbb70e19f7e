//! Applying the state machine's transitions ([`crate::progress`]) to a
//! state directory: each check-and-record is one locked update of the
//! journal, so two shells cannot both start a step or lose each other's
//! records.
//!
//! Carrying a step out is two calls, so that the caller can say what it is
//! doing (or ask the operator) in between:
//!
//! ```no_run
//! use recovery_plan::executor::Commands;
//! use recovery_plan::journal::StateDir;
//! use recovery_plan::progress::ProcTable;
//!
//! let state = StateDir::new("/root/reinit");
//! let mut coda_rs = Commands::coda_rs("/usr/bin/coda-rs");
//! let claim = state.claim("13.2.2", false, &coda_rs, &ProcTable)?;
//! eprintln!("step {}: {}", claim.step().id, claim.step().action.command_line());
//! let journal = claim.carry_out(&mut coda_rs)?; // Err(StepFailed) if it failed
//! # Ok::<(), recovery_plan::Error>(())
//! ```

use crate::executor::{Executor, Job, Outcome};
use crate::journal::{Journal, StateDir, StepRecord};
use crate::progress::{Marking, Processes, Progress};
use crate::runbook::Step;
use crate::shell::reinit_command;
use crate::time::now;
use crate::{Error, Result};

impl StateDir {
    /// `reinit done STEP`: records that the operator carried `id` out
    /// ([`Progress::mark_done`]), returning what it came to and the
    /// journal as written.
    pub fn mark_done(
        &self,
        id: &str,
        force: bool,
        processes: &dyn Processes,
    ) -> Result<(Marking, Journal)> {
        let mut marking = None;
        let journal = self.update(id, |runbook, journal| -> Result<StepRecord> {
            let step = runbook.find(id)?;
            let m = Progress::new(runbook, journal, processes).mark_done(step, force, now())?;
            let record = m.record().clone();
            marking = Some(m);
            Ok(record)
        })?;
        let marking = marking.expect("update called decide");
        Ok((marking, journal))
    }

    /// `reinit run STEP`, first half: checks that `executor` carries out
    /// step `id` ([`Error::NotRunnable`], naming the command that records
    /// it instead) and claims it for this process
    /// ([`Progress::start`]).
    pub fn claim<E: Executor>(
        &self,
        id: &str,
        force: bool,
        executor: &E,
        processes: &dyn Processes,
    ) -> Result<Claim<'_>> {
        let (runbook, _) = self.open()?;
        let step = runbook.find(id)?.clone();
        if !executor.runs(step.action.kind()) {
            let then = reinit_command("done", Some(&step.id), &self.dir);
            return Err(Error::NotRunnable {
                command: step.action.command_line(),
                runs: executor.describe(),
                then: String::from_utf8_lossy(&then).into_owned(),
                step: step.id,
            });
        }
        let mut record = None;
        self.update(&step.id, |runbook, journal| -> Result<StepRecord> {
            let step = runbook.find(id)?;
            let r = Progress::new(runbook, journal, processes).start(
                step,
                force,
                std::process::id(),
                now(),
            )?;
            record = Some(r.clone());
            Ok(r)
        })?;
        Ok(Claim {
            state: self,
            step,
            record: record.expect("update called decide"),
        })
    }
}

/// A step this process claimed (the journal shows it running here).
/// Dropped without [`Claim::carry_out`], it stays recorded as running in
/// this process, and shows as interrupted once the process has ended.
#[derive(Debug)]
#[must_use = "a claimed step shows as running until it is carried out"]
pub struct Claim<'s> {
    state: &'s StateDir,
    step: Step,
    record: StepRecord,
}

impl Claim<'_> {
    /// The step.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// `reinit run STEP`, second half: starts the step with `executor`,
    /// records the process carrying it out, waits, and records the outcome
    /// (done, or failed with the exit status). A step that failed, or could
    /// not be started, is recorded as failed and returned as an error
    /// ([`Error::StepFailed`], [`Error::Launch`]); otherwise the journal as
    /// written is returned.
    pub fn carry_out<E: Executor>(self, executor: &mut E) -> Result<Journal> {
        let id = &self.step.id;
        let waited = executor.start(&self.step).and_then(|mut job| {
            let recorded = match job.pid() {
                Some(pid) => self.state.record(id, self.record.handed_to(pid)).map(drop),
                None => Ok(()),
            };
            let outcome = job.wait();
            // The step ran either way: its outcome is recorded below, and
            // a journal that could not take the process id is reported.
            recorded?;
            outcome.map_err(|source| Error::Launch {
                step: id.clone(),
                program: self.step.action.command_line().into(),
                source,
            })
        });
        let outcome: Option<Outcome> = waited.as_ref().ok().copied();
        let journal = self
            .state
            .record(id, self.record.finished(outcome, now()))?;
        match waited? {
            o if o.success() => Ok(journal),
            o => Err(Error::StepFailed {
                step: id.clone(),
                command: self.step.action.command_line(),
                outcome: o,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::Commands;
    use crate::journal::{How, StepState};
    use crate::progress::ProcTable;
    use crate::recreate::RecreatePlan;
    use crate::runbook::{tests::settings, Runbook};
    use crate::step::Kind;

    /// An executor stub: carries out every kind in-process with a fixed
    /// outcome, and remembers what it started.
    struct Stub {
        outcome: Outcome,
        started: Vec<String>,
    }

    struct StubJob(Outcome);

    impl Job for StubJob {
        fn pid(&self) -> Option<u32> {
            None
        }
        fn wait(&mut self) -> std::io::Result<Outcome> {
            Ok(self.0)
        }
    }

    impl Executor for Stub {
        type Job = StubJob;
        fn runs(&self, _: Kind) -> bool {
            true
        }
        fn describe(&self) -> &'static str {
            "step"
        }
        fn start(&mut self, step: &Step) -> Result<StubJob> {
            self.started.push(step.id.to_string());
            Ok(StubJob(self.outcome))
        }
    }

    fn state() -> (tempfile::TempDir, StateDir, Runbook) {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        let rb = Runbook::build(settings(), &RecreatePlan::default(), 5).unwrap();
        state.create(&rb, b"", b"").unwrap();
        (dir, state, rb)
    }

    #[test]
    fn carry_out_records_done_or_failed() {
        let (_d, state, rb) = state();
        let first = rb.steps[0].id.as_str();
        let mut failing = Stub {
            outcome: Outcome::Exited(4),
            started: vec![],
        };
        let claim = state.claim(first, false, &failing, &ProcTable).unwrap();
        let (_, j) = state.open().unwrap();
        assert_eq!(j.steps[first].state, StepState::Running);
        assert_eq!(j.steps[first].pid, Some(std::process::id()));
        match claim.carry_out(&mut failing) {
            Err(Error::StepFailed { outcome, .. }) => assert_eq!(outcome, Outcome::Exited(4)),
            other => panic!("{other:?}"),
        }
        let (_, j) = state.open().unwrap();
        let r = &j.steps[first];
        assert_eq!(
            (r.state, r.exit_code, r.pid),
            (StepState::Failed, Some(4), None)
        );
        // A failed step can be run again, and then it is done.
        let mut ok = Stub {
            outcome: Outcome::Exited(0),
            started: vec![],
        };
        let j = state
            .claim(first, false, &ok, &ProcTable)
            .unwrap()
            .carry_out(&mut ok)
            .unwrap();
        assert_eq!(j.steps[first].state, StepState::Done);
        assert_eq!(j.steps[first].how, How::Run);
        assert_eq!(ok.started, [first]);
        // Done: a second claim is refused and changes nothing.
        let before = std::fs::read(state.file(crate::journal::JOURNAL_FILE)).unwrap();
        assert!(matches!(
            state.claim(first, false, &ok, &ProcTable),
            Err(Error::AlreadyDone { .. })
        ));
        assert_eq!(
            std::fs::read(state.file(crate::journal::JOURNAL_FILE)).unwrap(),
            before
        );
    }

    #[test]
    fn steps_the_executor_does_not_run_are_refused_before_claiming() {
        let (_d, state, rb) = state();
        let operator = rb
            .steps
            .iter()
            .find(|s| s.action.kind() == Kind::Operator)
            .unwrap();
        let coda_rs = Commands::coda_rs("/nonexistent/coda-rs");
        match state.claim(&operator.id, true, &coda_rs, &ProcTable) {
            Err(e @ Error::NotRunnable { .. }) => {
                let text = e.to_string();
                assert!(text.contains("is not a coda-rs command"), "{text}");
                assert!(
                    text.ends_with(&format!(
                        "(carry it out, then: coda-rs reinit done {} --state {})",
                        operator.id,
                        state.dir.display()
                    )),
                    "{text}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(state.open().unwrap().1.steps.is_empty());
        assert!(matches!(
            state.claim("99.9", false, &coda_rs, &ProcTable),
            Err(Error::UnknownStep { .. })
        ));
    }

    #[test]
    fn a_program_that_cannot_start_is_a_recorded_failure() {
        let (_d, state, rb) = state();
        let mut coda_rs = Commands::coda_rs("/nonexistent/coda-rs");
        let id = rb.steps[0].id.as_str();
        let claim = state.claim(id, false, &coda_rs, &ProcTable).unwrap();
        assert!(matches!(
            claim.carry_out(&mut coda_rs),
            Err(Error::Launch { .. })
        ));
        let (_, j) = state.open().unwrap();
        assert_eq!(
            (j.steps[id].state, j.steps[id].exit_code),
            (StepState::Failed, None)
        );
    }

    #[test]
    fn mark_done_records_once() {
        let (_d, state, rb) = state();
        let id = rb.steps[0].id.as_str();
        let (m, j) = state.mark_done(id, false, &ProcTable).unwrap();
        assert!(matches!(m, Marking::Now(_)));
        assert_eq!(j.sequence, 1);
        let (m, j) = state.mark_done(id, false, &ProcTable).unwrap();
        assert!(matches!(m, Marking::Already(_)));
        assert_eq!(j.steps[id].how, How::Marked);
        assert!(matches!(
            state.mark_done(&rb.steps[2].id, false, &ProcTable),
            Err(Error::OutOfOrder { unfinished: 1, .. })
        ));
    }
}
