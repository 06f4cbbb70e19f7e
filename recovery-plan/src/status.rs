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
    /// Progress per host, hosts in the order of their first step.
    pub hosts: Vec<GroupStatus>,
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
    /// Progress per volume, volumes in the order of their first step.
    pub volumes: Vec<GroupStatus>,
}

/// The steps of one host or one volume: how many are done, which is next
/// (fields in alphabetical order).
#[derive(Debug, Clone, Serialize)]
pub struct GroupStatus {
    /// Its steps done.
    pub done: usize,
    /// The host or volume.
    pub name: String,
    /// Its first step not done.
    pub next: Option<StepId>,
    /// Its steps in all.
    pub total: usize,
}

/// [`GroupStatus`] of the steps grouped by `key`, groups in the order of
/// their first step; steps without a key are not counted.
fn groups(steps: &[StepStatus], key: impl Fn(&StepStatus) -> Option<&str>) -> Vec<GroupStatus> {
    let mut out: Vec<GroupStatus> = Vec::new();
    for s in steps {
        let Some(name) = key(s) else { continue };
        let i = match out.iter().position(|g| g.name == name) {
            Some(i) => i,
            None => {
                out.push(GroupStatus {
                    done: 0,
                    name: name.to_string(),
                    next: None,
                    total: 0,
                });
                out.len() - 1
            }
        };
        let g = &mut out[i];
        g.total += 1;
        if s.state == "done" {
            g.done += 1;
        } else if g.next.is_none() {
            g.next = Some(s.id.clone());
        }
    }
    out
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
    /// [`StepStatus::finished`] in UTC ([`human::utc`]).
    pub finished_utc: Option<String>,
    /// The host that carries it out.
    pub host: Option<String>,
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
    /// [`StepStatus::started`] in UTC.
    pub started_utc: Option<String>,
    /// Where it stands ([`crate::progress::Standing::name`]).
    pub state: &'static str,
    /// What it achieves.
    pub title: String,
    /// The volume it concerns.
    pub volume: Option<String>,
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
                let finished = r.and_then(|r| r.finished);
                let started = r.and_then(|r| r.started);
                StepStatus {
                    command: s.action.command_line(),
                    exit_code: r.and_then(|r| r.exit_code),
                    finished,
                    finished_utc: finished.map(human::utc),
                    host: s.host.as_ref().map(ToString::to_string),
                    how: r.map(|r| r.how),
                    id: s.id.clone(),
                    kind: s.action.kind(),
                    section: s.section.clone(),
                    started,
                    started_utc: started.map(human::utc),
                    state: progress.standing(&s.id).name(),
                    title: s.title.clone(),
                    volume: s.volume.as_ref().map(ToString::to_string),
                }
            })
            .collect::<Vec<StepStatus>>();
        StatusReport {
            done: progress.done_count(),
            hosts: groups(&steps, |s| s.host.as_deref()),
            volumes: groups(&steps, |s| s.volume.as_deref()),
            next: progress.next().map(|s| s.id.clone()),
            not_recreated: runbook.not_recreated.clone(),
            server: runbook.settings.server.clone(),
            state_dir: state_dir.display().to_string(),
            steps,
            total: runbook.steps.len(),
        }
    }

    /// The next step's status (`None` when every step is done).
    pub fn next_step(&self) -> Option<&StepStatus> {
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
        for (heading, list) in [("host", &self.hosts), ("volume", &self.volumes)] {
            if list.is_empty() {
                continue;
            }
            writeln!(f, "\nby {heading}:")?;
            let width = list.iter().map(|g| g.name.len()).max().unwrap_or(0);
            for g in list {
                let next = match &g.next {
                    Some(id) => format!("next: {id}"),
                    None => "complete".to_string(),
                };
                writeln!(
                    f,
                    "  {:<width$}  {} of {} done; {next}",
                    g.name, g.done, g.total
                )?;
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
            let on = s
                .host
                .as_ref()
                .map(|h| format!("on {h}: "))
                .unwrap_or_default();
            writeln!(f, "  {:<8} {:<11} {on}{}", "", s.kind.name(), s.command)?;
        }
        Ok(())
    }
}
