//! What `reinit status` shows: one [`StatusReport`] that serialises as the
//! `--json` document and displays as the text table.

use std::fmt;

use serde::Serialize;

use crate::journal::How;
use crate::progress::Progress;
use crate::step::{Kind, StepId};
use crate::time::format_utc;

/// The whole procedure: counts, the next step, every step's standing.
/// (Fields are in alphabetical order: the JSON document's key order.)
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// Steps done.
    pub done: usize,
    /// The next step to carry out, `None` when every step is done.
    pub next: Option<StepId>,
    /// Volumes the procedure does not recreate, with the reason.
    pub not_recreated: Vec<String>,
    /// The server the runbook is for.
    pub server: Option<String>,
    /// The state directory, as text.
    pub state_dir: String,
    /// Every step, in order.
    pub steps: Vec<StepStatus>,
    /// Steps in all.
    pub total: usize,
}

/// One step as `reinit status` shows it (fields in alphabetical order).
#[derive(Debug, Clone, Serialize)]
pub struct StepStatus {
    /// Its command line, or a manual step's text.
    pub command: String,
    /// Exit status of its run.
    pub exit_code: Option<i32>,
    /// When it finished or was marked (Unix seconds).
    pub finished: Option<u64>,
    /// Run or marked.
    pub how: Option<How>,
    /// Its id.
    pub id: StepId,
    /// Who carries it out.
    pub kind: Kind,
    /// Its section, `13.1`..`13.9`.
    pub section: String,
    /// When its run started (Unix seconds).
    pub started: Option<u64>,
    /// Where it stands ([`crate::progress::Standing::name`]).
    pub state: &'static str,
    /// What it achieves.
    pub title: String,
}

impl StatusReport {
    /// The report of `progress`, whose state directory is `state_dir`.
    pub fn new(progress: &Progress<'_>, state_dir: &std::path::Path) -> StatusReport {
        let runbook = progress.runbook();
        let steps = runbook
            .steps
            .iter()
            .map(|s| {
                let r = progress.journal().steps.get(&s.id);
                StepStatus {
                    command: s.action.command_line(),
                    exit_code: r.and_then(|r| r.exit_code),
                    finished: r.and_then(|r| r.finished),
                    how: r.map(|r| r.how),
                    id: s.id.clone(),
                    kind: s.action.kind(),
                    section: s.section.clone(),
                    started: r.and_then(|r| r.started),
                    state: progress.standing(&s.id).name(),
                    title: s.title.clone(),
                }
            })
            .collect();
        StatusReport {
            done: progress.done_count(),
            next: progress.next().map(|s| s.id.clone()),
            not_recreated: runbook.not_recreated.clone(),
            server: runbook.settings.server.clone(),
            state_dir: state_dir.display().to_string(),
            steps,
            total: runbook.steps.len(),
        }
    }

    /// The next step's status.
    fn next_step(&self) -> Option<&StepStatus> {
        let next = self.next.as_ref()?;
        self.steps.iter().find(|s| &s.id == next)
    }
}

/// The text table: a summary line, the volumes not recreated, then two
/// lines per step (id, standing, title and time; kind and command), a
/// blank line between sections, the next step marked `>`.
impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.next_step() {
            Some(s) => writeln!(
                f,
                "{} of {} steps done; next: {} {}",
                self.done, self.total, s.id, s.title
            )?,
            None => writeln!(
                f,
                "{} of {} steps done; next: none, the procedure is complete",
                self.done, self.total
            )?,
        }
        if !self.not_recreated.is_empty() {
            writeln!(
                f,
                "\nnot recreated by this procedure ({}):",
                self.not_recreated.len()
            )?;
            for n in &self.not_recreated {
                writeln!(f, "  {n}")?;
            }
        }
        let mut section = "";
        for s in &self.steps {
            if s.section != section {
                section = &s.section;
                writeln!(f)?;
            }
            let mark = if self.next.as_ref() == Some(&s.id) {
                ">"
            } else {
                " "
            };
            let when = s
                .finished
                .or(s.started)
                .map(|t| format!("  ({})", format_utc(t)))
                .unwrap_or_default();
            writeln!(f, "{mark} {:<8} {:<11} {}{when}", s.id, s.state, s.title)?;
            writeln!(f, "  {:<8} {:<11} {}", "", s.kind.name(), s.command)?;
        }
        Ok(())
    }
}
