//! The recovery drill (`coda-rs drill`): a rehearsal of the whole recovery
//! on built-in data, needing no Coda server. It generates a sample volume
//! tree ([`sample`]), writes a full dump of it, changes the tree and
//! writes the incremental, formats an RVM log and data segment on files,
//! restores the dump chain into a new tree, copies that tree in parallel,
//! and verifies everything against the changed source tree
//! ([`manifest`]), timing each step ([`Report`]).
//!
//! Every write goes beneath the working directory's fd (the `beneath`
//! crate). The library never prints: [`run`] returns the [`Report`] and
//! calls a progress callback after each step.

mod error;
pub mod manifest;
mod report;
pub mod sample;
mod steps;
mod verify;

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

pub use error::{chain_line, Error, ErrorClass, Result};
pub use report::{Check, Report, Step};

/// Test hook of the command: when this environment variable is set (to
/// anything), the command sets [`Options::corrupt`].
pub const ENV_CORRUPT: &str = "CODA_RS_DRILL_TEST_CORRUPT";

/// How much sample data the drill works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    /// About 250 files and 6 MiB: seconds, even in a debug build.
    Small,
    /// About 2,500 files and 60 MiB.
    Medium,
}

impl Size {
    /// The size's name, as the command line and the report spell it.
    pub fn name(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Medium => "medium",
        }
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Work in this directory (created; must be empty) and keep the
    /// results there. `None`: a temporary directory, removed after a pass
    /// and kept after a failure.
    pub dir: Option<PathBuf>,
    /// Amount of sample data.
    pub size: Size,
    /// Flip one byte of a file in the restored tree after the copy and
    /// before verification, so the drill must find the difference.
    pub corrupt: bool,
}

/// Runs the drill. `progress` is called after each step. A failed step or
/// verification is in the report (`ok` false), not an error; an error is
/// returned only when the working directory cannot be had (a `--dir` that
/// holds data is [`Error::NotEmpty`], refused).
pub fn run(opts: &Options, progress: &mut dyn FnMut(&Step)) -> Result<Report> {
    let (dir, temp) = match &opts.dir {
        Some(d) => {
            if fs::read_dir(d).is_ok_and(|mut it| it.next().is_some()) {
                return Err(Error::NotEmpty { dir: d.clone() });
            }
            fs::create_dir_all(d).map_err(Error::io(d, "cannot create"))?;
            (d.clone(), None)
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("coda-rs-drill.")
                .tempdir()
                .map_err(Error::TempDir)?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let start = Instant::now();
    let mut report = Report {
        size: opts.size,
        dir: dir.display().to_string(),
        steps: Vec::new(),
        checks: Vec::new(),
        ok: false,
        total_seconds: 0.0,
        kept: false,
    };
    if let Err(e) = steps::drill(&dir, opts, &mut report, progress) {
        report.checks.push(Check {
            name: "all steps ran".into(),
            ok: false,
            detail: chain_line(&e),
        });
    }
    report.total_seconds = start.elapsed().as_secs_f64();
    report.ok = !report.failed();
    if let (Some(t), false) = (temp, report.ok) {
        // Keep the evidence of a failed drill.
        let _ = t.keep();
        report.kept = true;
    }
    Ok(report)
}
