//! `coda-rs rvm status | show`: what a log holds, as rvmutl prints it or
//! as JSON.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use rvm::show::ShowView;
use rvm::text::StatusView;
use serde::Serialize;

use super::LogArgs;

/// `coda-rs rvm status`.
#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Print the status as one JSON document (README: JSON output).
    #[arg(long)]
    json: bool,
}

impl StatusArgs {
    /// The log's path.
    pub fn log(&self) -> &std::path::Path {
        &self.log.log
    }
}

impl ShowArgs {
    /// The log's path.
    pub fn log(&self) -> &std::path::Path {
        &self.log.log
    }
}

/// `coda-rs rvm show`.
#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    log: LogArgs,
    /// List the records as JSON, with what recovery does to each.
    #[arg(long)]
    json: bool,
}

/// Prints `json` as one JSON document, or `text`, on stdout.
fn print(json: Option<impl Serialize>, text: impl FnOnce() -> String) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match json {
        Some(j) => crate::cmd::print_json(&mut out, &j)?,
        None => out.write_all(text().as_bytes())?,
    }
    Ok(())
}

/// `rvm status`.
pub fn status(a: StatusArgs) -> anyhow::Result<ExitCode> {
    let v = StatusView::open(&a.log.log, a.log.raw)?;
    print(a.json.then(|| v.json()), || v.text())?;
    Ok(ExitCode::SUCCESS)
}

/// `rvm show`.
pub fn show(a: ShowArgs) -> anyhow::Result<ExitCode> {
    let v = ShowView::open(&a.log.log, a.log.raw)?;
    print(a.json.then(|| v.json()), || v.text())?;
    Ok(ExitCode::SUCCESS)
}
