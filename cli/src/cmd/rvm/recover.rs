//! `coda-rs rvm recover`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use rvm::recover::{AbortPoint, RecoverOptions};

use super::LogArgs;
use crate::exit;

/// `coda-rs rvm recover`.
#[derive(Args)]
pub struct RecoverArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Apply to this data segment instead of the path recorded in the log.
    #[arg(long, conflicts_with = "map")]
    data: Option<PathBuf>,
    /// Replace a recorded segment path: RECORDED=NEW (repeatable).
    #[arg(long, value_name = "OLD=NEW")]
    map: Vec<String>,
    /// Report what would change; write nothing.
    #[arg(short = 'n', long)]
    dry_run: bool,
    /// Apply the ranges even to a target that is not an RVM data segment (no valid segment header in its first page, regions past its end, and no header written by the log itself). Never to a target in use.
    #[arg(long)]
    force: bool,
    /// Also apply committed transactions real RVM drops (spec quirk Q1) when their checksum verifies.
    #[arg(long)]
    rescue: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Test hook: stop after this step (epoch-switch | apply).
    #[arg(long, hide = true)]
    test_abort_after: Option<String>,
}

impl RecoverArgs {
    /// The log's path.
    pub fn log(&self) -> &std::path::Path {
        &self.log.log
    }
}

/// `rvm recover`.
pub fn recover(a: RecoverArgs) -> anyhow::Result<ExitCode> {
    let mut map = Vec::new();
    for m in &a.map {
        let Some((old, new)) = m.split_once('=') else {
            return Err(exit::usage(format!("--map {m}: expected RECORDED=NEW")));
        };
        map.push((PathBuf::from(old), PathBuf::from(new)));
    }
    let abort_at = match a.test_abort_after.as_deref() {
        None => None,
        Some("epoch-switch") => Some(AbortPoint::AfterEpochSwitch),
        Some("apply") => Some(AbortPoint::AfterApply),
        Some(x) => {
            return Err(exit::usage(format!(
                "--test-abort-after {x}: expected epoch-switch or apply"
            )))
        }
    };
    let opts = RecoverOptions {
        raw: a.log.raw,
        data: a.data.clone(),
        map,
        dry_run: a.dry_run,
        force: a.force,
        rescue: a.rescue,
        abort_at,
    };
    let start = Instant::now();
    let r = rvm::recover::recover(&a.log.log, &opts)?;
    let secs = start.elapsed().as_secs_f64();
    let name = a.log.log.display().to_string();
    for w in r.warnings(&name) {
        eprintln!("coda-rs: {w}");
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        crate::cmd::print_json(&mut out, &rvm::view::RecoverJson::new(&r, &a.log.log, secs))?;
    } else {
        out.write_all(r.text(&name, secs).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}
