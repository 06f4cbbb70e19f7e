//! `coda-rs reinit run`: one step, or (`--all`) every remaining step
//! until only manual steps remain, by the same rules. The executor is
//! `recovery_plan::walk`; this module parses, asks on the terminal and
//! prints.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use recovery_plan::journal::StateDir;
use recovery_plan::names::HostName;
use recovery_plan::progress::ProcTable;
use recovery_plan::venus::CfsVenus;
use recovery_plan::walk::{Answer, Event, Finished, Operator, Options, Walk};

use super::write_next;
use crate::exit;

/// Arguments of `reinit run`.
#[derive(Args)]
pub struct RunArgs {
    /// Step id, e.g. 13.2.2: carried out as --all carries out each step
    /// (operator steps asked about unless --yes, other hosts' steps
    /// through --remote-shell).
    #[arg(
        value_name = "STEP",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    step: Option<String>,
    /// Carry out every remaining step in order (coda-rs and operator
    /// steps, here or on their host) until only manual steps remain.
    #[arg(long)]
    all: bool,
    /// State directory written by `reinit init`.
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// Do not ask before operator and destructive steps; re-run an
    /// operator step that was interrupted.
    #[arg(long)]
    yes: bool,
    /// Print what would run; run and record nothing.
    #[arg(short = 'n', long)]
    dry_run: bool,
    /// How to run a step on another host, e.g. 'ssh -oBatchMode=yes'
    /// (given the host, then the command line).
    #[arg(long, value_name = "CMD")]
    remote_shell: Option<String>,
    /// This machine's host name in the runbook [default: the system's
    /// node name].
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// STEP only: run it even though earlier steps are not done, again
    /// when done, or while the journal names a live process for it.
    #[arg(long, conflicts_with = "all")]
    force: bool,
}

/// Asks on the terminal (stdin), prints on stderr.
struct Terminal;

impl Operator for Terminal {
    fn ask(&mut self, question: &str) -> Answer {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Answer::NoTerminal;
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "coda-rs: {question} [y/N] ");
        let _ = err.flush();
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).is_err() {
            return Answer::No;
        }
        match line.trim() {
            "y" | "Y" | "yes" | "YES" | "Yes" => Answer::Yes,
            _ => Answer::No,
        }
    }

    fn event(&mut self, event: Event<'_>) {
        let mut err = std::io::stderr().lock();
        let on = |h: &Option<HostName>| {
            h.as_ref()
                .map_or_else(String::new, |h| format!(" (on {h})"))
        };
        let _ = match event {
            Event::Starting { step, how, rerun } => writeln!(
                err,
                "coda-rs: step {}{}: {}{}",
                step.id,
                if rerun {
                    " (re-run: it was interrupted)"
                } else {
                    ""
                },
                how.line,
                on(&how.remote)
            ),
            Event::Done { step } => {
                writeln!(err, "coda-rs: step {}: done ({})", step.id, step.title)
            }
            Event::Would { step, how } => writeln!(
                err,
                "coda-rs: step {}: would run{}: {}",
                step.id,
                on(&how.remote),
                how.line
            ),
        };
    }
}

/// Runs `coda-rs reinit run`.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let state = StateDir::new(&args.state);
    let here = match &args.host {
        Some(h) => Some(HostName::new(h).map_err(|e| exit::usage(format!("--host: {e}")))?),
        None => HostName::this_machine(),
    };
    let options = Options {
        yes: args.yes,
        dry_run: args.dry_run,
        remote_shell: args.remote_shell.clone(),
        here,
        coda_rs: std::env::current_exe().context("find the coda-rs executable")?,
        coda_mount: cfs_ioctl::mountpoint::discover(None),
    };
    let mut terminal = Terminal;
    let mut walk = Walk {
        state: &state,
        options: &options,
        operator: &mut terminal,
        venus: &CfsVenus,
        processes: &ProcTable,
    };
    let finished = match &args.step {
        Some(id) => walk.step(id, args.force)?,
        None => walk.all()?,
    };
    let (runbook, journal) = state.open()?;
    let mut out = std::io::stdout().lock();
    match finished {
        Finished::Ran(id) if !args.dry_run => {
            let title = runbook.find(&id)?.title.clone();
            writeln!(out, "{id}: done ({title})")?;
        }
        Finished::Manual(id) => {
            writeln!(out, "only steps done by hand remain, first {id}")?;
        }
        Finished::WouldStopAt(Some(id)) => {
            writeln!(out, "dry run: would stop at {id}, done by hand")?
        }
        _ => {}
    }
    write_next(&mut out, &runbook, &journal)?;
    Ok(ExitCode::SUCCESS)
}
