//! `coda-rs reinit`: the reinitialisation procedure (Coda manual chapter
//! 13) as a runbook with a crash-safe journal. `init` writes the runbook,
//! `status`/`next` show where things stand, `done` records a step the
//! operator carried out, `run` executes a coda-rs step.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Args, Subcommand};
use recovery_plan::journal::{format_utc, How, Journal, StateDir, StepRecord, StepState};
use recovery_plan::runbook::{Action, Runbook, Step};
use recovery_plan::shell::{shell_quote, shell_quote_bytes};
use serde_json::json;

use crate::exit;

mod init;

pub use init::InitArgs;

/// `coda-rs reinit` subcommands.
#[derive(Subcommand)]
pub enum ReinitCommand {
    /// Write the runbook for this server into the state directory.
    #[command(after_help = "\
Examples:
  coda-rs reinit init --volume-list /vice/vol/VolumeList --vrlist /vice/db/VRList \\
      --state /root/reinit --dump-dir /backup/26Nov2026/vm \\
      --rvm-log /vice/LOG --rvm-log-size 20M \\
      --rvm-data /vice/DATA --rvm-data-size 256M
  coda-rs reinit init --volume-list /vice/vol/VolumeList --vrlist /vice/db/VRList \\
      --state /root/reinit --dump-dir /backup/26Nov2026/vm \\
      --server-conf /etc/coda/server.conf --reformat-rvm
  coda-rs reinit status --state /root/reinit

The lists are copied into the state directory, so the runbook stays valid
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
    /// Carry out a coda-rs step and record its outcome.
    #[command(after_help = "\
Examples:
  coda-rs reinit run 13.2.2 --state /root/reinit
  coda-rs reinit run \"$(coda-rs reinit next --id --state /root/reinit)\" \\
      --state /root/reinit

Only coda-rs steps can be run; the outcome (exit status, times) is
recorded. Steps for the server's own tools are marked with `done`.")]
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

/// Arguments of `reinit run`.
#[derive(Args)]
pub struct RunArgs {
    /// Step id, e.g. 13.2.2.
    #[arg(value_name = "STEP")]
    step: String,
    /// State directory written by `reinit init`.
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// Run it even though earlier steps are not done, again when done, or
    /// while the journal names a live process for it.
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
        ReinitCommand::Run(args) => run_step(args),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `<prefix> [<step>] --state <dir>` and a newline, the step id and the
/// directory quoted for the shell (byte for byte: the directory need not
/// be UTF-8).
fn hint(prefix: &str, step: Option<&str>, dir: &Path) -> Vec<u8> {
    let mut line = prefix.as_bytes().to_vec();
    if let Some(id) = step {
        line.push(b' ');
        line.extend_from_slice(shell_quote(id).as_bytes());
    }
    line.extend_from_slice(b" --state ");
    line.extend(shell_quote_bytes(dir.as_os_str().as_encoded_bytes()));
    line.push(b'\n');
    line
}

/// What `status` shows for a step: its journal state, with a `running`
/// step whose process is gone shown as interrupted.
fn shown_state(journal: &Journal, id: &str) -> &'static str {
    match journal.steps.get(id) {
        None => "pending",
        Some(r) if r.state == StepState::Running => match r.pid {
            Some(pid) if process_alive(pid) => "running",
            _ => "interrupted",
        },
        Some(r) => r.state.name(),
    }
}

/// True when process `pid` exists and is not a zombie (Linux `/proc`).
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

fn kind(action: &Action) -> &'static str {
    match action {
        Action::CodaRs { .. } => "coda-rs",
        Action::Operator { .. } => "operator",
        Action::Manual { .. } => "manual",
    }
}

fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let state = StateDir::new(&args.state);
    let (runbook, journal) = state.open()?;
    let done = journal.done_count(&runbook);
    let next = journal.next(&runbook);
    let mut out = std::io::stdout().lock();
    if args.json {
        let steps: Vec<_> = runbook
            .steps
            .iter()
            .map(|s| {
                let r = journal.steps.get(&s.id);
                json!({
                    "id": s.id,
                    "section": s.section,
                    "title": s.title,
                    "kind": kind(&s.action),
                    "command": s.action.command_line(),
                    "state": shown_state(&journal, &s.id),
                    "how": r.map(|r| match r.how { How::Run => "run", How::Marked => "marked" }),
                    "started": r.and_then(|r| r.started),
                    "finished": r.and_then(|r| r.finished),
                    "exit_code": r.and_then(|r| r.exit_code),
                })
            })
            .collect();
        let doc = json!({
            "state_dir": state.dir.display().to_string(),
            "server": runbook.settings.server,
            "done": done,
            "total": runbook.steps.len(),
            "next": next.map(|s| s.id.clone()),
            "not_recreated": runbook.not_recreated,
            "steps": steps,
        });
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{done} of {} steps done; next: {}",
        runbook.steps.len(),
        next.map_or("none, the procedure is complete".to_string(), |s| format!(
            "{} {}",
            s.id, s.title
        ))
    )?;
    if !runbook.not_recreated.is_empty() {
        writeln!(
            out,
            "\nnot recreated by this procedure ({}):",
            runbook.not_recreated.len()
        )?;
        for n in &runbook.not_recreated {
            writeln!(out, "  {n}")?;
        }
    }
    let mut section = "";
    for s in &runbook.steps {
        if s.section != section {
            section = &s.section;
            writeln!(out)?;
        }
        let mark = if next.is_some_and(|n| n.id == s.id) {
            ">"
        } else {
            " "
        };
        let when = journal
            .steps
            .get(&s.id)
            .and_then(|r| r.finished.or(r.started))
            .map(|t| format!("  ({})", format_utc(t)))
            .unwrap_or_default();
        writeln!(
            out,
            "{mark} {:<8} {:<11} {}{when}",
            s.id,
            shown_state(&journal, &s.id),
            s.title
        )?;
        writeln!(
            out,
            "  {:<8} {:<11} {}",
            "",
            kind(&s.action),
            s.action.command_line()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn next(args: StateArgs) -> anyhow::Result<ExitCode> {
    let state = StateDir::new(&args.state);
    let (runbook, journal) = state.open()?;
    let mut out = std::io::stdout().lock();
    let Some(step) = journal.next(&runbook) else {
        if !args.id {
            writeln!(out, "all {} steps are done", runbook.steps.len())?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    if args.id {
        writeln!(out, "{}", step.id)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{} ({}): {}",
        step.id,
        shown_state(&journal, &step.id),
        step.title
    )?;
    writeln!(out, "  {}", step.action.command_line())?;
    let prefix = match step.action {
        Action::CodaRs { .. } => "run it with: coda-rs reinit run",
        _ => "when it is done: coda-rs reinit done",
    };
    out.write_all(&hint(prefix, Some(&step.id), &state.dir))?;
    Ok(ExitCode::SUCCESS)
}

/// Refuses to act on `step` while earlier steps are unfinished.
fn check_order(
    runbook: &Runbook,
    journal: &Journal,
    step: &Step,
    force: bool,
) -> anyhow::Result<()> {
    let before = journal.unfinished_before(runbook, &step.id);
    if let (Some(first), false) = (before.first(), force) {
        return Err(exit::refused(format!(
            "step {}: {} earlier step(s) not done, first {} ({}) (finish them, or use --force)",
            step.id,
            before.len(),
            first.id,
            first.title
        )));
    }
    Ok(())
}

fn find_step<'r>(runbook: &'r Runbook, id: &str) -> anyhow::Result<&'r Step> {
    runbook.step(id).ok_or_else(|| {
        exit::usage(recovery_plan::Error::UnknownStep { id: id.to_string() }.to_string())
    })
}

fn done(args: DoneArgs) -> anyhow::Result<ExitCode> {
    let state = StateDir::new(&args.state);
    let (runbook, mut journal) = state.open()?;
    // Check every id before recording anything.
    for id in &args.steps {
        find_step(&runbook, id)?;
    }
    let mut out = std::io::stdout().lock();
    for id in &args.steps {
        let step = find_step(&runbook, id)?;
        let mut already = false;
        journal = state.update(id, |runbook, journal| -> anyhow::Result<StepRecord> {
            if let Some(r) = journal.steps.get(id).filter(|r| r.state == StepState::Done) {
                already = true;
                return Ok(r.clone());
            }
            if shown_state(journal, id) == "running" && !args.force {
                return Err(exit::refused(format!(
                    "step {id}: `reinit run` is carrying it out right now (process {}); wait for it, or use --force",
                    journal.steps[id].pid.unwrap_or(0)
                )));
            }
            check_order(runbook, journal, step, args.force)?;
            Ok(StepRecord {
                state: StepState::Done,
                how: How::Marked,
                started: None,
                finished: Some(now()),
                exit_code: None,
                pid: None,
            })
        })?;
        if already {
            writeln!(out, "{id}: already done")?;
        } else {
            writeln!(out, "{id}: done ({})", step.title)?;
        }
    }
    match journal.next(&runbook) {
        Some(s) => writeln!(out, "next: {} {}", s.id, s.title)?,
        None => writeln!(out, "all {} steps are done", runbook.steps.len())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn run_step(args: RunArgs) -> anyhow::Result<ExitCode> {
    let state = StateDir::new(&args.state);
    let (runbook, _) = state.open()?;
    let step = find_step(&runbook, &args.step)?;
    let Action::CodaRs { args: step_args } = &step.action else {
        return Err(exit::usage(format!(
            "step {}: `{}` is not a coda-rs command (carry it out, then: {})",
            step.id,
            step.action.command_line(),
            String::from_utf8_lossy(&hint("coda-rs reinit done", Some(&step.id), &state.dir))
                .trim_end()
        )));
    };
    let exe = std::env::current_exe().context("find the coda-rs executable")?;
    let started = now();
    // Check and claim the step in one locked update: two shells cannot
    // both start it.
    state.update(&step.id, |runbook, journal| -> anyhow::Result<StepRecord> {
        match (journal.state(&step.id), shown_state(journal, &step.id)) {
            (StepState::Done, _) if !args.force => {
                return Err(exit::refused(format!(
                    "step {}: already done (use --force to run it again)",
                    step.id
                )))
            }
            (_, "running") if !args.force => {
                return Err(exit::refused(format!(
                    "step {}: already running (process {}; if that is not coda-rs, e.g. after a reboot, use --force)",
                    step.id,
                    journal.steps[&step.id].pid.unwrap_or(0)
                )))
            }
            _ => {}
        }
        check_order(runbook, journal, step, args.force)?;
        Ok(StepRecord {
            state: StepState::Running,
            how: How::Run,
            started: Some(started),
            finished: None,
            exit_code: None,
            pid: Some(std::process::id()),
        })
    })?;
    let _ = writeln!(
        std::io::stderr(),
        "coda-rs: step {}: {}",
        step.id,
        step.action.command_line()
    );
    let outcome = Command::new(&exe)
        .args(step_args)
        .spawn()
        .and_then(|mut child| {
            // Record the child, so that `status` shows the step as running for
            // as long as the child lives, even if this process is killed.
            let recorded = state.record(
                &step.id,
                StepRecord {
                    state: StepState::Running,
                    how: How::Run,
                    started: Some(started),
                    finished: None,
                    exit_code: None,
                    pid: Some(child.id()),
                },
            );
            let status = child.wait();
            if let Err(e) = recorded {
                return Err(std::io::Error::other(e));
            }
            status
        });
    let (state_now, code) = match &outcome {
        Ok(s) if s.success() => (StepState::Done, s.code()),
        Ok(s) => (StepState::Failed, s.code()),
        Err(_) => (StepState::Failed, None),
    };
    state.record(
        &step.id,
        StepRecord {
            state: state_now,
            how: How::Run,
            started: Some(started),
            finished: Some(now()),
            exit_code: code,
            pid: None,
        },
    )?;
    let status = outcome.with_context(|| format!("step {}: run {}", step.id, exe.display()))?;
    if !status.success() {
        return Err(anyhow::anyhow!(
            "step {}: `{}` failed ({}); fix the cause and run it again",
            step.id,
            step.action.command_line(),
            match status.code() {
                Some(c) => format!("exit status {c}"),
                None => "killed by a signal".to_string(),
            }
        ));
    }
    let (runbook, journal) = state.open()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}: done ({})", step.id, step.title)?;
    match journal.next(&runbook) {
        Some(s) => writeln!(out, "next: {} {}", s.id, s.title)?,
        None => writeln!(out, "all {} steps are done", runbook.steps.len())?,
    }
    Ok(ExitCode::SUCCESS)
}
