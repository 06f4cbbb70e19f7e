//! `coda-rs reinit`: the reinitialisation procedure (Coda manual chapter
//! 13) as a runbook with a crash-safe journal. `init` writes the runbook,
//! `status`/`next` show where things stand, `done` records a step the
//! operator carried out, `run` executes a coda-rs step. The state machine,
//! the journal and the executor are `recovery_plan`'s (`progress`,
//! `journal`, `run`, `executor`); this module parses, calls and prints.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use recovery_plan::journal::{Journal, StateDir};
use recovery_plan::progress::{Marking, ProcTable, Progress};
use recovery_plan::runbook::Runbook;
use recovery_plan::shell::reinit_command;
use recovery_plan::status::StatusReport;

mod init;
mod run;

pub use init::InitArgs;
pub use run::RunArgs;

/// `coda-rs reinit` subcommands.
#[derive(Subcommand)]
pub enum ReinitCommand {
    /// Write the runbook for one server, or for the whole cell, into the
    /// state directory.
    #[command(after_help = "\
Examples:
  coda-rs reinit init --volume-list /vice/vol/VolumeList --vrlist /vice/db/VRList \\
      --state /root/reinit --dump-dir /backup/26Nov2026/vm \\
      --rvm-log /vice/LOG --rvm-log-size 20M \\
      --rvm-data /vice/DATA --rvm-data-size 256M
  coda-rs reinit init --volume-list /vice/vol/VolumeList --vrlist /vice/db/VRList \\
      --state /root/reinit --dump-dir /backup/26Nov2026/vm \\
      --server-conf /etc/coda/server.conf --reformat-rvm
  coda-rs reinit init --volume-list /vice/vol/BigVolumeList --vrlist /vice/db/VRList \\
      --state /root/reinit --dump-dir /backup/26Nov2026 --vice /vice \\
      --rvm-log /vice/LOG --rvm-log-size 20M --rvm-data /vice/DATA --rvm-data-size 256M
  coda-rs reinit status --state /root/reinit

Lists naming several servers (a BigVolumeList, or --volume-list repeated)
give one runbook for the cell unless --server HOST picks one: every step
names its host, each replicated volume is recreated on every replica's
server and restored once, from the replica dump with the latest backup date
(DIR/HOST/<groupid>.<volid>); the root volume comes first. Each dump is
restored straight into its recreated volume (INITED_DIR/NAME), so its data
goes through venus once; --staging DIR (or --restore-dir DIR) restores into
DIR first and copies from there. The lists are copied into the state directory, so the runbook stays valid
after the server's own copies are rebuilt. Use the RVM sizes the server had
before: --server-conf takes rvm_log, rvm_data and rvm_data_length from
server.conf, and the log size is read from the log itself unless given.
Without --reformat-rvm the RVM step refuses to overwrite a log or data
segment that holds anything; with it, the step replaces one that holds RVM
(or only zeros), and still refuses anything else.")]
    Init(Box<InitArgs>),
    /// Show every step and where the procedure stands.
    #[command(after_help = "\
Examples:
  coda-rs reinit status --state /root/reinit
  coda-rs reinit status --state /root/reinit --json

A step shows as running while the process carrying it out lives, and as
interrupted when that process died without recording an outcome.")]
    Status(StatusArgs),
    /// Show the next step to carry out.
    #[command(after_help = "\
Examples:
  coda-rs reinit next --state /root/reinit
  coda-rs reinit next --state /root/reinit --id")]
    Next(StateArgs),
    /// Record that steps were carried out (by you, on the server).
    #[command(after_help = "\
Examples:
  coda-rs reinit done 13.2.1 --state /root/reinit
  coda-rs reinit done 13.3.1 13.3.2 13.3.3 --state /root/reinit")]
    Done(DoneArgs),
    /// Carry out a coda-rs step, or every remaining step, and record the
    /// outcomes.
    #[command(after_help = "\
Examples:
  coda-rs reinit run 13.2.2 --state /root/reinit
  coda-rs reinit run \"$(coda-rs reinit next --id --state /root/reinit)\" \\
      --state /root/reinit
  coda-rs reinit run --all --state /root/reinit --remote-shell 'ssh -oBatchMode=yes'
  coda-rs reinit run 13.2.2 --dry-run --state /root/reinit

`run STEP` runs one coda-rs step here; `run --all` carries out every
remaining step in order until only steps done by hand remain: coda-rs
steps directly, operator steps (volutil, startserver, ...) with sh -c,
steps of another host through --remote-shell (else it stops naming the host
and the command). It asks before each operator step and before destructive
steps (RVM reformat, rmmount, flushcache) unless --yes; without a terminal
it stops instead. A step that writes beneath the Coda mount first checks
that venus serves it (is venus running? is /coda mounted?). An interrupted
restore is resumed (--resume) when its journal matches the dump. A failed
step stops the run; the same command again continues with it. The
outcome (exit status, times) of every step is recorded.")]
    Run(RunArgs),
}

/// The state directory argument.
#[derive(Args)]
pub struct StateArgs {
    /// State directory written by `reinit init`.
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// Print only the step id (nothing when every step is done).
    #[arg(long)]
    id: bool,
    /// Print the next step as one JSON document (as `reinit status --json`
    /// lists it; null when every step is done).
    #[arg(long, conflicts_with = "id")]
    json: bool,
}

/// Arguments of `reinit status`.
#[derive(Args)]
pub struct StatusArgs {
    /// State directory written by `reinit init`.
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// Print one JSON document on stdout.
    #[arg(long)]
    json: bool,
}

/// Arguments of `reinit done`.
#[derive(Args)]
pub struct DoneArgs {
    /// Step ids, e.g. 13.2.1.
    #[arg(required = true, value_name = "STEP")]
    steps: Vec<String>,
    /// State directory written by `reinit init`.
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// Record it even though earlier steps are not done.
    #[arg(long)]
    force: bool,
}

/// Runs `coda-rs reinit ...`.
pub fn run(cmd: ReinitCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ReinitCommand::Init(args) => init::init(*args),
        ReinitCommand::Status(args) => status(args),
        ReinitCommand::Next(args) => next(args),
        ReinitCommand::Done(args) => done(args),
        ReinitCommand::Run(args) => run::run(args),
    }
}

/// Writes `prefix`, the `coda-rs reinit VERB [STEP] --state DIR` line
/// (quoted for the shell, byte for byte) and a newline.
fn write_hint(
    out: &mut impl Write,
    prefix: &str,
    verb: &str,
    step: Option<&str>,
    state: &StateDir,
) -> std::io::Result<()> {
    out.write_all(prefix.as_bytes())?;
    out.write_all(&reinit_command(verb, step, &state.dir))?;
    out.write_all(b"\n")
}

/// `next: ID TITLE`, or that every step is done.
pub(crate) fn write_next(
    out: &mut impl Write,
    runbook: &Runbook,
    journal: &Journal,
) -> std::io::Result<()> {
    match journal.next(runbook) {
        Some(s) => writeln!(out, "next: {} {}", s.id, s.title),
        None => writeln!(out, "all {} steps are done", runbook.steps.len()),
    }
}

/// The `reinit status` report of the runbook in `state`.
pub(crate) fn status_report(state: &StateDir) -> anyhow::Result<StatusReport> {
    let (runbook, journal) = state.open()?;
    Ok(StatusReport::new(
        &Progress::new(&runbook, &journal, &ProcTable),
        &state.dir,
    ))
}

fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let state = StateDir::new(&args.state);
    let report = status_report(&state)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        crate::cmd::print_json(&mut out, &report)?;
    } else {
        write!(out, "{report}")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn next(args: StateArgs) -> anyhow::Result<ExitCode> {
    let state = StateDir::new(&args.state);
    if args.json {
        let report = status_report(&state)?;
        crate::cmd::print_json(&mut std::io::stdout().lock(), &report.next_step())?;
        return Ok(ExitCode::SUCCESS);
    }
    let (runbook, journal) = state.open()?;
    let progress = Progress::new(&runbook, &journal, &ProcTable);
    let mut out = std::io::stdout().lock();
    let Some(step) = progress.next() else {
        if !args.id {
            writeln!(out, "all {} steps are done", runbook.steps.len())?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    if args.id {
        writeln!(out, "{}", step.id)?;
        return Ok(ExitCode::SUCCESS);
    }
    let standing = progress.standing(&step.id).name();
    writeln!(out, "{} ({standing}): {}", step.id, step.title)?;
    writeln!(out, "  {}", step.action.command_line())?;
    if step.action.is_coda_rs() {
        write_hint(&mut out, "run it with: ", "run", Some(&step.id), &state)?;
    } else {
        write_hint(
            &mut out,
            "when it is done: ",
            "done",
            Some(&step.id),
            &state,
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn done(args: DoneArgs) -> anyhow::Result<ExitCode> {
    let state = StateDir::new(&args.state);
    let (runbook, _) = state.open()?;
    // Check every id before recording anything.
    for id in &args.steps {
        runbook.find(id)?;
    }
    let mut out = std::io::stdout().lock();
    let mut journal = None;
    for id in &args.steps {
        let (marking, j) = state.mark_done(id, args.force, &ProcTable)?;
        match marking {
            Marking::Already(_) => writeln!(out, "{id}: already done")?,
            Marking::Now(_) => writeln!(out, "{id}: done ({})", runbook.find(id)?.title)?,
        }
        journal = Some(j);
    }
    if let Some(j) = journal {
        write_next(&mut out, &runbook, &j)?;
    }
    Ok(ExitCode::SUCCESS)
}
