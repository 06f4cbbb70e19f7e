//! The runbook's state machine: where each step stands and which
//! transitions are allowed.
//!
//! A step's journal record ([`StepRecord`]) and the process table together
//! give its [`Standing`]:
//!
//! ```text
//!             start                 outcome 0
//!   Pending ─────────▶ Running ─────────────▶ Done
//!   Failed  ─────────▶   │  │    outcome ≠ 0
//!   Interrupted ─────▶   │  └───────────────▶ Failed
//!                        │ its process died without an outcome
//!                        └──────────────────▶ Interrupted
//!   any but Running ── mark done ──▶ Done       (Done: nothing to do)
//! ```
//!
//! The guards, each a typed refusal that leaves the journal as it was:
//! earlier steps not done ([`Error::OutOfOrder`]), starting a step that is
//! done ([`Error::AlreadyDone`]), a step whose process still lives
//! ([`Error::RunningElsewhere`]). `force` overrides all three (the
//! operator knows better: a process id reused after a reboot, a step
//! carried out by other means). The journal ([`crate::journal`]) persists
//! the records; [`crate::run`] applies the transitions under its lock and
//! carries steps out through an [`crate::executor::Executor`].

use crate::journal::{How, Journal, StepRecord, StepState};
pub use crate::processes::{ProcTable, Processes};
use crate::runbook::{Runbook, Step};
pub use crate::transition::Transition;
use crate::{Error, Result};

/// Where a step stands: its journal record read together with the process
/// table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// No record: not started.
    Pending,
    /// Being carried out by process `pid`, which lives.
    Running {
        /// The process.
        pid: u32,
    },
    /// Started, but the process carrying it out died without recording an
    /// outcome (killed, a crash, a reboot).
    Interrupted,
    /// Carried out (run, or marked by the operator).
    Done {
        /// Run or marked.
        how: How,
    },
    /// Run, and it failed.
    Failed {
        /// Its exit status (`None`: killed by a signal, or not started).
        exit_code: Option<i32>,
    },
}

impl Standing {
    /// The standing of a step whose record is `record`.
    pub fn of(record: Option<&StepRecord>, processes: &dyn Processes) -> Standing {
        let Some(r) = record else {
            return Standing::Pending;
        };
        match r.state {
            StepState::Pending => Standing::Pending,
            StepState::Running => match r.pid {
                Some(pid) if processes.alive(pid) => Standing::Running { pid },
                _ => Standing::Interrupted,
            },
            StepState::Done => Standing::Done { how: r.how },
            StepState::Failed => Standing::Failed {
                exit_code: r.exit_code,
            },
        }
    }

    /// The name `reinit status` shows: `pending`, `running`,
    /// `interrupted`, `done`, `failed`.
    pub fn name(self) -> &'static str {
        match self {
            Standing::Pending => "pending",
            Standing::Running { .. } => "running",
            Standing::Interrupted => "interrupted",
            Standing::Done { .. } => "done",
            Standing::Failed { .. } => "failed",
        }
    }

    /// True for [`Standing::Done`].
    pub fn is_done(self) -> bool {
        matches!(self, Standing::Done { .. })
    }
}

/// What marking a step done comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marking {
    /// It was done already: its record stays as it is.
    Already(StepRecord),
    /// Its new record.
    Now(StepRecord),
}

impl Marking {
    /// The record to keep.
    pub fn record(&self) -> &StepRecord {
        match self {
            Marking::Already(r) | Marking::Now(r) => r,
        }
    }
}

/// A runbook and its journal, read together with the process table: the
/// queries of `reinit status`/`next` and the checked transitions.
#[derive(Clone, Copy)]
pub struct Progress<'a> {
    runbook: &'a Runbook,
    journal: &'a Journal,
    processes: &'a dyn Processes,
}

impl<'a> Progress<'a> {
    /// The progress of `runbook` as `journal` records it.
    pub fn new(
        runbook: &'a Runbook,
        journal: &'a Journal,
        processes: &'a dyn Processes,
    ) -> Progress<'a> {
        Progress {
            runbook,
            journal,
            processes,
        }
    }

    /// The runbook.
    pub fn runbook(&self) -> &'a Runbook {
        self.runbook
    }

    /// The journal.
    pub fn journal(&self) -> &'a Journal {
        self.journal
    }

    /// Where step `id` stands (an id the runbook does not have is pending).
    pub fn standing(&self, id: &str) -> Standing {
        Standing::of(self.journal.steps.get(id), self.processes)
    }

    /// The first step not done: the one to carry out next.
    pub fn next(&self) -> Option<&'a Step> {
        self.journal.next(self.runbook)
    }

    /// How many steps are done.
    pub fn done_count(&self) -> usize {
        self.journal.done_count(self.runbook)
    }

    /// Refuses `step` while earlier steps are not done, unless `force`.
    pub fn check_order(&self, step: &Step, force: bool) -> Result<()> {
        let before = self.journal.unfinished_before(self.runbook, &step.id);
        match before.first() {
            Some(first) if !force => Err(Error::OutOfOrder {
                step: step.id.clone(),
                unfinished: before.len(),
                first: first.id.clone(),
                first_title: first.title.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// The transition of `reinit run`: a pending, failed or interrupted
    /// step starts running in process `pid` at `now`. Refused when it is
    /// done, running in a live process, or out of order, unless `force`.
    pub fn start(&self, step: &Step, force: bool, pid: u32, now: u64) -> Result<StepRecord> {
        if !force {
            match self.standing(&step.id) {
                Standing::Done { .. } => {
                    return Err(Error::AlreadyDone {
                        step: step.id.clone(),
                    })
                }
                Standing::Running { pid } => {
                    return Err(Error::RunningElsewhere {
                        step: step.id.clone(),
                        pid,
                        asked: Transition::Start,
                    })
                }
                _ => {}
            }
        }
        self.check_order(step, force)?;
        Ok(StepRecord::started(pid, now))
    }

    /// The transition of `reinit done`: the step is done, marked at `now`
    /// ([`Marking::Already`] when it was done before). Refused while it is
    /// running in a live process, or out of order, unless `force`.
    pub fn mark_done(&self, step: &Step, force: bool, now: u64) -> Result<Marking> {
        match self.standing(&step.id) {
            Standing::Done { .. } => {
                return Ok(Marking::Already(self.journal.steps[&step.id].clone()));
            }
            Standing::Running { pid } if !force => {
                return Err(Error::RunningElsewhere {
                    step: step.id.clone(),
                    pid,
                    asked: Transition::MarkDone,
                })
            }
            _ => {}
        }
        self.check_order(step, force)?;
        Ok(Marking::Now(StepRecord::marked(now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::Outcome;
    use crate::recreate::RecreatePlan;
    use crate::runbook::tests::settings;

    /// A process table in which exactly the listed processes live.
    struct Alive(&'static [u32]);

    impl Processes for Alive {
        fn alive(&self, pid: u32) -> bool {
            self.0.contains(&pid)
        }
    }

    const LIVE: u32 = 100;
    const DEAD: u32 = 200;
    const NOW: u64 = 1_800_000_000;

    fn runbook() -> Runbook {
        Runbook::build(settings(), &RecreatePlan::default(), 1).unwrap()
    }

    /// A journal recording `records` for the first steps of `rb`.
    fn journal(rb: &Runbook, records: &[StepRecord]) -> Journal {
        let mut j = Journal::new(rb);
        for (s, r) in rb.steps.iter().zip(records) {
            j.steps.insert(s.id.clone(), r.clone());
        }
        j
    }

    fn failed() -> StepRecord {
        StepRecord::started(DEAD, NOW - 60).finished(Some(Outcome::Exited(1)), NOW - 30)
    }

    #[test]
    fn standings_from_records_and_processes() {
        let p = &Alive(&[LIVE]);
        let started = StepRecord::started(LIVE, NOW);
        let cases = [
            (None, Standing::Pending),
            (Some(started.clone()), Standing::Running { pid: LIVE }),
            (Some(started.handed_to(DEAD)), Standing::Interrupted),
            (
                Some(StepRecord {
                    pid: None,
                    ..started.clone()
                }),
                Standing::Interrupted,
            ),
            (Some(failed()), Standing::Failed { exit_code: Some(1) }),
            (
                Some(started.finished(Some(Outcome::Killed(9)), NOW)),
                Standing::Failed { exit_code: None },
            ),
            (
                Some(started.finished(None, NOW)),
                Standing::Failed { exit_code: None },
            ),
            (
                Some(started.finished(Some(Outcome::Exited(0)), NOW)),
                Standing::Done { how: How::Run },
            ),
            (
                Some(StepRecord::marked(NOW)),
                Standing::Done { how: How::Marked },
            ),
        ];
        for (record, standing) in cases {
            assert_eq!(Standing::of(record.as_ref(), p), standing, "{record:?}");
        }
        let names: Vec<_> = [
            Standing::Pending,
            Standing::Running { pid: 1 },
            Standing::Interrupted,
            Standing::Done { how: How::Run },
            Standing::Failed { exit_code: None },
        ]
        .iter()
        .map(|s| s.name())
        .collect();
        assert_eq!(
            names,
            ["pending", "running", "interrupted", "done", "failed"]
        );
    }

    #[test]
    fn start_from_pending_failed_or_interrupted() {
        let rb = runbook();
        for first in [None, Some(failed()), Some(StepRecord::started(DEAD, NOW))] {
            let j = journal(&rb, first.as_slice());
            let p = Progress::new(&rb, &j, &Alive(&[LIVE]));
            let r = p.start(&rb.steps[0], false, 42, NOW).unwrap();
            assert_eq!(r, StepRecord::started(42, NOW));
            assert_eq!(
                (r.state, r.how, r.pid),
                (StepState::Running, How::Run, Some(42))
            );
        }
    }

    #[test]
    fn start_refusals_and_force() {
        let rb = runbook();
        let s0 = &rb.steps[0];
        let done = journal(&rb, &[StepRecord::marked(NOW)]);
        let running = journal(&rb, &[StepRecord::started(LIVE, NOW)]);
        let empty = journal(&rb, &[]);
        let alive = &Alive(&[LIVE]);
        let p = |j| Progress::new(&rb, j, alive);
        assert!(matches!(
            p(&done).start(s0, false, 1, NOW),
            Err(Error::AlreadyDone { step }) if step == s0.id
        ));
        assert!(matches!(
            p(&running).start(s0, false, 1, NOW),
            Err(Error::RunningElsewhere {
                pid: LIVE,
                asked: Transition::Start,
                ..
            })
        ));
        match p(&empty).start(&rb.steps[3], false, 1, NOW) {
            Err(Error::OutOfOrder {
                step,
                unfinished: 3,
                first,
                ..
            }) => {
                assert_eq!(step, rb.steps[3].id);
                assert_eq!(first, s0.id);
            }
            other => panic!("{other:?}"),
        }
        for (j, s) in [(&done, s0), (&running, s0), (&empty, &rb.steps[3])] {
            assert_eq!(
                p(j).start(s, true, 7, NOW).unwrap(),
                StepRecord::started(7, NOW)
            );
        }
        // Every refusal is a refusal for safety.
        let e = p(&done).start(s0, false, 1, NOW).unwrap_err();
        assert_eq!(e.class(), crate::ErrorClass::Refused);
    }

    #[test]
    fn mark_done_transitions() {
        let rb = runbook();
        let s0 = &rb.steps[0];
        let alive = &Alive(&[LIVE]);
        let marked = StepRecord::marked(NOW - 5);
        let j = journal(&rb, std::slice::from_ref(&marked));
        assert_eq!(
            Progress::new(&rb, &j, alive)
                .mark_done(s0, false, NOW)
                .unwrap(),
            Marking::Already(marked)
        );
        for first in [
            None,
            Some(failed()),
            Some(StepRecord::started(DEAD, NOW)),
            Some(StepRecord::started(LIVE, NOW)),
        ] {
            let live = first.as_ref().is_some_and(|r| r.pid == Some(LIVE));
            let j = journal(&rb, first.as_slice());
            let p = Progress::new(&rb, &j, alive);
            let got = p.mark_done(s0, false, NOW);
            if live {
                assert!(matches!(
                    got,
                    Err(Error::RunningElsewhere {
                        asked: Transition::MarkDone,
                        ..
                    })
                ));
                assert_eq!(
                    p.mark_done(s0, true, NOW).unwrap(),
                    Marking::Now(StepRecord::marked(NOW))
                );
            } else {
                assert_eq!(got.unwrap(), Marking::Now(StepRecord::marked(NOW)));
            }
        }
        let j = journal(&rb, &[]);
        let p = Progress::new(&rb, &j, alive);
        assert!(matches!(
            p.mark_done(&rb.steps[1], false, NOW),
            Err(Error::OutOfOrder { unfinished: 1, .. })
        ));
        assert!(p.mark_done(&rb.steps[1], true, NOW).is_ok());
    }

    #[test]
    fn running_step_hands_over_and_finishes() {
        let claimed = StepRecord::started(LIVE, NOW);
        let child = claimed.handed_to(DEAD + 1);
        assert_eq!(
            (child.state, child.started, child.pid),
            (StepState::Running, Some(NOW), Some(DEAD + 1))
        );
        let ok = child.finished(Some(Outcome::Exited(0)), NOW + 9);
        assert_eq!(
            ok,
            StepRecord {
                state: StepState::Done,
                how: How::Run,
                started: Some(NOW),
                finished: Some(NOW + 9),
                exit_code: Some(0),
                pid: None,
            }
        );
        let bad = child.finished(Some(Outcome::Exited(3)), NOW + 9);
        assert_eq!((bad.state, bad.exit_code), (StepState::Failed, Some(3)));
    }

    #[test]
    fn next_and_count_follow_done_steps_only() {
        let rb = runbook();
        let j = journal(
            &rb,
            &[StepRecord::marked(NOW), failed(), StepRecord::marked(NOW)],
        );
        let p = Progress::new(&rb, &j, &Alive(&[]));
        assert_eq!(p.done_count(), 2);
        assert_eq!(p.next().map(|s| &s.id), Some(&rb.steps[1].id));
        assert_eq!(p.standing("no such step"), Standing::Pending);
        assert!(p.standing(&rb.steps[0].id).is_done());
    }

    #[test]
    fn this_process_is_alive_in_the_process_table() {
        assert!(ProcTable.alive(std::process::id()));
        assert!(!ProcTable.alive(u32::MAX));
    }
}
