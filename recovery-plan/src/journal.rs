//! The state directory of `coda-rs reinit`: the runbook, copies of the
//! lists it was made from, and the journal of what has been done: the
//! persistence of the runbook's state machine ([`crate::progress`]).
//!
//! The journal is replaced atomically on every change
//! ([`crate::atomic::write_atomic`]), under an exclusive lock
//! ([`StateDir::update`]), so a crash, a kill or a power cut leaves either
//! the previous journal or the new one and two shells never lose each
//! other's records; a step that was started but has no outcome shows as
//! [`StepState::Running`] and can be retried.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::write_atomic;
use crate::outcome::Outcome;
use crate::runbook::{Runbook, Step, FORMAT as RUNBOOK_FORMAT};
use crate::step::StepId;
pub use crate::time::format_utc;
use crate::{Error, Result};

/// The `format` value of journal files this version writes and reads.
pub const FORMAT: &str = "coda-rs reinit journal v1";

/// File names inside the state directory.
pub const RUNBOOK_FILE: &str = "runbook.json";
/// The journal.
pub const JOURNAL_FILE: &str = "journal.json";
/// Copy of the VolumeList the runbook was made from.
pub const VOLUME_LIST_FILE: &str = "VolumeList";
/// Copy of the VRList the runbook was made from.
pub const VRLIST_FILE: &str = "VRList";
/// Lock file serialising journal updates.
pub const LOCK_FILE: &str = "lock";

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Not started.
    Pending,
    /// `reinit run` started it and has not recorded an outcome: it is still
    /// running, or the process was killed.
    Running,
    /// Finished successfully (run, or marked done by the operator).
    Done,
    /// `reinit run` ran it and it failed.
    Failed,
}

impl StepState {
    /// Lower-case name for tables.
    pub fn name(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Running => "running",
            StepState::Done => "done",
            StepState::Failed => "failed",
        }
    }
}

/// How a step reached its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// `reinit run` executed it.
    Run,
    /// The operator said `reinit done`.
    Marked,
}

/// The journal's record of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Where it stands.
    pub state: StepState,
    /// Run or marked.
    pub how: How,
    /// When a run started (Unix seconds).
    pub started: Option<u64>,
    /// When it finished or was marked (Unix seconds).
    pub finished: Option<u64>,
    /// Exit status of a run (`None` when killed by a signal).
    pub exit_code: Option<i32>,
    /// While running: the process carrying the step out (first the
    /// `reinit run` process, then the coda-rs process it started).
    pub pid: Option<u32>,
}

impl StepRecord {
    /// The record of `reinit done` at `now` (Unix seconds).
    pub fn marked(now: u64) -> StepRecord {
        StepRecord {
            state: StepState::Done,
            how: How::Marked,
            started: None,
            finished: Some(now),
            exit_code: None,
            pid: None,
        }
    }

    /// The record of a step `reinit run` claimed at `now`, carried out by
    /// process `pid` (the `reinit run` process itself at first).
    pub fn started(pid: u32, now: u64) -> StepRecord {
        StepRecord {
            state: StepState::Running,
            how: How::Run,
            started: Some(now),
            finished: None,
            exit_code: None,
            pid: Some(pid),
        }
    }

    /// This running step, now carried out by process `pid` (the command
    /// `reinit run` started), so that it shows as running for as long as
    /// that process lives, even if `reinit run` is killed.
    pub fn handed_to(&self, pid: u32) -> StepRecord {
        StepRecord {
            pid: Some(pid),
            ..self.clone()
        }
    }

    /// This running step, finished at `now` with `outcome`: done when it
    /// succeeded, failed otherwise (`None`: it could not be started).
    pub fn finished(&self, outcome: Option<Outcome>, now: u64) -> StepRecord {
        let ok = outcome.is_some_and(|o| o.success());
        StepRecord {
            state: if ok {
                StepState::Done
            } else {
                StepState::Failed
            },
            how: How::Run,
            started: self.started,
            finished: Some(now),
            exit_code: outcome.and_then(Outcome::exit_code),
            pid: None,
        }
    }
}

/// What has been done, by step id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Always [`FORMAT`].
    pub format: String,
    /// The runbook's creation time, tying the journal to it.
    pub runbook_created: u64,
    /// Incremented by every write.
    pub sequence: u64,
    /// Records of the steps that have one.
    pub steps: BTreeMap<StepId, StepRecord>,
}

impl Journal {
    /// An empty journal for `runbook`.
    pub fn new(runbook: &Runbook) -> Self {
        Journal {
            format: FORMAT.to_string(),
            runbook_created: runbook.created,
            sequence: 0,
            steps: BTreeMap::new(),
        }
    }

    /// The state of a step.
    pub fn state(&self, id: &str) -> StepState {
        self.steps.get(id).map_or(StepState::Pending, |r| r.state)
    }

    /// The first step of `runbook` that is not done.
    pub fn next<'r>(&self, runbook: &'r Runbook) -> Option<&'r Step> {
        runbook
            .steps
            .iter()
            .find(|s| self.state(&s.id) != StepState::Done)
    }

    /// How many steps of `runbook` are done.
    pub fn done_count(&self, runbook: &Runbook) -> usize {
        runbook
            .steps
            .iter()
            .filter(|s| self.state(&s.id) == StepState::Done)
            .count()
    }

    /// Steps before `id` that are not done yet.
    pub fn unfinished_before<'r>(&self, runbook: &'r Runbook, id: &str) -> Vec<&'r Step> {
        let end = runbook.position(id).unwrap_or(0);
        runbook.steps[..end]
            .iter()
            .filter(|s| self.state(&s.id) != StepState::Done)
            .collect()
    }
}

/// A state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    /// Its path.
    pub dir: PathBuf,
}

impl StateDir {
    /// A handle on `dir` (nothing is read yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        StateDir { dir: dir.into() }
    }

    /// Path of a file in the directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// True when the directory already holds a runbook.
    pub fn has_runbook(&self) -> bool {
        self.file(RUNBOOK_FILE).exists()
    }

    /// Refuses ([`Error::RunbookExists`]) a directory that already holds a
    /// runbook, unless `replace` (its progress is then lost).
    pub fn check_new(&self, replace: bool) -> Result<()> {
        if self.has_runbook() && !replace {
            return Err(Error::RunbookExists {
                path: self.file(RUNBOOK_FILE),
            });
        }
        Ok(())
    }

    /// Writes a new runbook, the list copies and an empty journal (creating
    /// the directory). The journal goes last, so an interrupted `create`
    /// leaves no journal and `open` reports it.
    pub fn create(&self, runbook: &Runbook, volume_list: &[u8], vrlist: &[u8]) -> Result<Journal> {
        fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, "create directory", e))?;
        write_atomic(&self.file(VOLUME_LIST_FILE), volume_list)?;
        write_atomic(&self.file(VRLIST_FILE), vrlist)?;
        write_atomic(&self.file(RUNBOOK_FILE), &to_json(runbook))?;
        let journal = Journal::new(runbook);
        write_atomic(&self.file(JOURNAL_FILE), &to_json(&journal))?;
        Ok(journal)
    }

    /// Reads the runbook and the journal, checking that they belong together.
    pub fn open(&self) -> Result<(Runbook, Journal)> {
        let runbook: Runbook = read_json(&self.file(RUNBOOK_FILE))?;
        if runbook.format != RUNBOOK_FORMAT {
            return Err(Error::State {
                path: self.file(RUNBOOK_FILE),
                what: format!("format `{}` (expected `{RUNBOOK_FORMAT}`)", runbook.format),
            });
        }
        let journal: Journal = read_json(&self.file(JOURNAL_FILE))?;
        let path = self.file(JOURNAL_FILE);
        if journal.format != FORMAT {
            return Err(Error::State {
                path,
                what: format!("format `{}` (expected `{FORMAT}`)", journal.format),
            });
        }
        if journal.runbook_created != runbook.created {
            return Err(Error::State {
                path,
                what: "belongs to another runbook (creation times differ)".to_string(),
            });
        }
        if let Some(id) = journal.steps.keys().find(|id| runbook.step(id).is_none()) {
            return Err(Error::State {
                path,
                what: format!("records step {id}, which the runbook does not have"),
            });
        }
        Ok((runbook, journal))
    }

    /// Records a step's new state: the journal is re-read from disk,
    /// updated and replaced atomically, and the result returned. (No
    /// check: the transitions of [`crate::progress::Progress`] decide what
    /// may be recorded.)
    pub fn record(&self, id: &str, record: StepRecord) -> Result<Journal> {
        self.update(id, |_, _| Ok(record))
    }

    /// Read-modify-write of one step under an exclusive lock on
    /// `DIR/lock`, so that two shells cannot both start a step or lose
    /// each other's records. `decide` sees the current runbook and journal
    /// and returns the step's new record, or an error that leaves the
    /// journal unchanged.
    pub fn update<E: From<Error>>(
        &self,
        id: &str,
        decide: impl FnOnce(&Runbook, &Journal) -> std::result::Result<StepRecord, E>,
    ) -> std::result::Result<Journal, E> {
        let _lock = self.lock()?;
        let (runbook, mut journal) = self.open()?;
        let step = runbook.find(id)?.id.clone();
        let record = decide(&runbook, &journal)?;
        journal.steps.insert(step, record);
        journal.sequence = journal
            .sequence
            .checked_add(1)
            .ok_or_else(|| Error::State {
                path: self.file(JOURNAL_FILE),
                what: format!(
                    "sequence {} cannot be incremented (expected a journal this tool wrote)",
                    journal.sequence
                ),
            })?;
        write_atomic(&self.file(JOURNAL_FILE), &to_json(&journal))?;
        Ok(journal)
    }

    /// Takes the directory's exclusive lock (released when the file is
    /// dropped, or when the process dies).
    fn lock(&self) -> Result<fs::File> {
        let path = self.file(LOCK_FILE);
        let f = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&path)
            .map_err(|e| Error::io(&path, "open lock file", e))?;
        rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| Error::io(&path, "lock", e.into()))?;
        Ok(f)
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(value).expect("runbook and journal serialise");
    v.push(b'\n');
    v
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let bytes = fs::read(path).map_err(|e| Error::io(path, "read", e))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::State {
        path: path.to_path_buf(),
        what: format!(
            "not a valid state file at line {} column {}: {e}",
            e.line(),
            e.column()
        ),
    })
}
