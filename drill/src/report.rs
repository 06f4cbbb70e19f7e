//! The drill's report: one timed line per step, one line per
//! verification, and the verdict; serialised as JSON (`--json`) or
//! written as a table ([`Report::write_text`]).

use std::io::{self, Write};

use serde::Serialize;

use crate::Size;

/// One timed step of the report.
#[derive(Serialize, Debug)]
pub struct Step {
    /// The step's name (`generate`, `full-dump`, ...).
    pub name: &'static str,
    /// Wall time of the step.
    pub seconds: f64,
    /// Bytes the step processed (0 for none).
    pub bytes: u64,
    /// One line: what the step made, or why it failed.
    pub detail: String,
    /// Whether the step succeeded.
    pub ok: bool,
}

/// One verification.
#[derive(Serialize, Debug)]
pub struct Check {
    /// What is checked.
    pub name: String,
    /// Whether it holds.
    pub ok: bool,
    /// One line: what was compared, or the first differences.
    pub detail: String,
}

/// The whole drill.
#[derive(Serialize, Debug)]
pub struct Report {
    /// Amount of sample data (`sample_size`: `size` is a byte count in
    /// every other document).
    #[serde(rename = "sample_size")]
    pub size: Size,
    /// The working directory.
    pub dir: String,
    /// The steps run, in order.
    pub steps: Vec<Step>,
    /// The verifications.
    pub checks: Vec<Check>,
    /// True only if every step ran and every verification passed.
    pub ok: bool,
    /// Wall time of the whole drill.
    pub total_seconds: f64,
    /// Whether a temporary working directory was kept (the drill failed).
    #[serde(skip)]
    pub kept: bool,
}

impl Report {
    /// Whether a step or a verification failed.
    pub fn failed(&self) -> bool {
        self.steps.iter().any(|s| !s.ok) || self.checks.iter().any(|c| !c.ok)
    }

    /// Writes the report as a table: a header, a line per step (time,
    /// data, throughput, detail), a line per check, the result.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "coda-rs drill ({} sample) in {}",
            self.size.name(),
            self.dir
        )?;
        writeln!(
            out,
            "{:<17} {:>9} {:>11} {:>12}  detail",
            "step", "time", "data", "throughput"
        )?;
        for s in &self.steps {
            let rate = human::rate(s.bytes, s.seconds)
                .filter(|_| s.bytes > 0)
                .unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "{:<17} {:>7.3} s {:>11} {:>12}  {}{}",
                s.name,
                s.seconds,
                human::size(s.bytes),
                rate,
                if s.ok { "" } else { "FAILED: " },
                s.detail
            )?;
        }
        for c in &self.checks {
            writeln!(
                out,
                "check {:<40} {}  {}",
                c.name,
                if c.ok { "ok" } else { "FAILED" },
                c.detail
            )?;
        }
        let failed = self.checks.iter().filter(|c| !c.ok).count()
            + self.steps.iter().filter(|s| !s.ok).count();
        writeln!(
            out,
            "result: {} ({} steps, {} checks, {} failed) in {:.3} s",
            if self.ok { "PASS" } else { "FAIL" },
            self.steps.len(),
            self.checks.len(),
            failed,
            self.total_seconds
        )
    }
}
