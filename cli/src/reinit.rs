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
use recovery_plan::journal::{
    format_utc, How, Journal, StateDir, StepRecord, StepState, RUNBOOK_FILE, VOLUME_LIST_FILE,
    VRLIST_FILE,
};
use recovery_plan::recreate::RecreatePlan;
use recovery_plan::runbook::{Action, Runbook, Settings, Step};
use recovery_plan::server_conf::ServerConf;
use recovery_plan::size::parse_size;
use recovery_plan::volume_list::VolumeList;
use recovery_plan::vrlist::VrList;
use serde_json::json;

use crate::exit;
use crate::plan::filter_server;

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
      --server-conf /etc/coda/server.conf
  coda-rs reinit status --state /root/reinit

The lists are copied into the state directory, so the runbook stays valid
after the server's own copies are rebuilt. Use the RVM sizes the server had
before: --server-conf takes rvm_log, rvm_data and rvm_data_length from
server.conf, and the log size is read from the log itself unless given.")]
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

/// Arguments of `reinit init`.
#[derive(Args)]
pub struct InitArgs {
    /// VolumeList, BigVolumeList or per-server list; repeat to read several.
    #[arg(long = "volume-list", value_name = "FILE", required = true)]
    volume_list: Vec<PathBuf>,
    /// The VRList.
    #[arg(long, value_name = "FILE")]
    vrlist: PathBuf,
    /// State directory (runbook, journal, list copies).
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// This server's host name in the list (needed when it names several).
    #[arg(long, value_name = "HOST")]
    server: Option<String>,
    /// Directory with one dump per replica, named <groupid>.<volid> (%08x).
    #[arg(long = "dump-dir", value_name = "DIR")]
    dump_dir: PathBuf,
    /// server.conf to take rvm_log, rvm_data and rvm_data_length from.
    #[arg(long = "server-conf", value_name = "FILE")]
    server_conf: Option<PathBuf>,
    /// RVM log device or file [default: server.conf rvm_log].
    #[arg(long = "rvm-log", value_name = "PATH")]
    rvm_log: Option<PathBuf>,
    /// RVM log size, as before the disaster [default: read from the log's
    /// status block].
    #[arg(long = "rvm-log-size", value_name = "SIZE")]
    rvm_log_size: Option<String>,
    /// RVM data segment device or file [default: server.conf rvm_data].
    #[arg(long = "rvm-data", value_name = "PATH")]
    rvm_data: Option<PathBuf>,
    /// RVM data segment size [default: server.conf rvm_data_length].
    #[arg(long = "rvm-data-size", value_name = "SIZE")]
    rvm_data_size: Option<String>,
    /// Tape size for the dumplists of step 13.1.
    #[arg(long = "tape-size", value_name = "SIZE", default_value = "1.5G")]
    tape_size: String,
    /// Where the dumps are restored (13.4).
    #[arg(
        long = "restore-dir",
        value_name = "DIR",
        default_value = "/coda/tmp/restore"
    )]
    restore_dir: PathBuf,
    /// Where the recreated volumes are mounted (13.5).
    #[arg(
        long = "inited-dir",
        value_name = "DIR",
        default_value = "/coda/tmp/inited"
    )]
    inited_dir: PathBuf,
    /// Replace a runbook already in the state directory (its progress is lost).
    #[arg(long)]
    force: bool,
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
        ReinitCommand::Init(args) => init(*args),
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

/// Reads a whole input file, `-` meaning stdin.
fn read_input(p: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    if p.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("-: read stdin")?;
    } else {
        bytes = std::fs::read(p).with_context(|| format!("{}: read", p.display()))?;
    }
    Ok(bytes)
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("{}: make absolute", p.display()))
}

/// The RVM settings of the runbook: flags first, then server.conf, then
/// (log size) the existing log's status block.
struct RvmSettings {
    log: PathBuf,
    log_size: String,
    data: PathBuf,
    data_size: String,
}

fn rvm_settings(args: &InitArgs) -> anyhow::Result<RvmSettings> {
    let conf = match &args.server_conf {
        Some(p) => Some(ServerConf::parse(
            &read_input(p)?,
            &p.display().to_string(),
        )?),
        None => None,
    };
    let from_conf = |name: &str| conf.as_ref().and_then(|c| c.get(name)).map(str::to_string);
    let missing = |flag: &str, name: &str| {
        exit::usage(format!(
            "{flag}: not given{} (expected {flag} or --server-conf FILE with {name}=)",
            if conf.is_some() {
                format!(" and server.conf has no {name}")
            } else {
                String::new()
            }
        ))
    };
    let log = args
        .rvm_log
        .clone()
        .or_else(|| from_conf("rvm_log").map(PathBuf::from))
        .ok_or_else(|| missing("--rvm-log", "rvm_log"))?;
    let data = args
        .rvm_data
        .clone()
        .or_else(|| from_conf("rvm_data").map(PathBuf::from))
        .ok_or_else(|| missing("--rvm-data", "rvm_data"))?;
    let data_size = args
        .rvm_data_size
        .clone()
        .or_else(|| from_conf("rvm_data_length"))
        .ok_or_else(|| missing("--rvm-data-size", "rvm_data_length"))?;
    let log_size = match &args.rvm_log_size {
        Some(s) => s.clone(),
        None => {
            let status = rvm::LogDevice::open(&log, false, false).and_then(|d| d.read_status());
            match status {
                Ok(s) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "coda-rs: {}: log size {} bytes, from its status block",
                        log.display(),
                        s.log_size
                    );
                    s.log_size.to_string()
                }
                Err(e) => {
                    return Err(exit::usage(format!(
                        "--rvm-log-size: not given, and {}: {e} (expected --rvm-log-size SIZE, the size the log had)",
                        log.display()
                    )))
                }
            }
        }
    };
    for (flag, size) in [
        ("--rvm-log-size", &log_size),
        ("--rvm-data-size", &data_size),
        ("--tape-size", &args.tape_size),
    ] {
        parse_size(size).map_err(|e| exit::usage(format!("{flag}: {e}")))?;
    }
    Ok(RvmSettings {
        log,
        log_size,
        data,
        data_size,
    })
}

fn init(args: InitArgs) -> anyhow::Result<ExitCode> {
    let rvm_settings = rvm_settings(&args)?;
    let state = StateDir::new(absolute(&args.state)?);
    if state.has_runbook() && !args.force {
        return Err(exit::refused(format!(
            "{}: a runbook is already there (use --force to start over; its progress is lost)",
            state.file(RUNBOOK_FILE).display()
        )));
    }
    // Read each input once: the bytes are both parsed and kept as copies.
    let mut list_bytes = Vec::new();
    let mut all = VolumeList::default();
    for p in &args.volume_list {
        let bytes = read_input(p)?;
        all.extend(VolumeList::parse(&bytes, &p.display().to_string())?);
        list_bytes.extend(bytes);
    }
    let vr_bytes = read_input(&args.vrlist)?;
    let vrlist = VrList::parse(&vr_bytes, &args.vrlist.display().to_string())?;
    let hosts = all.hosts();
    if args.server.is_none() && hosts.len() > 1 {
        return Err(exit::usage(format!(
            "the lists name several servers ({}): choose this one with --server HOST",
            hosts.join(", ")
        )));
    }
    let server = args.server.clone().or_else(|| hosts.first().cloned());
    let volumes = filter_server(all, args.server.as_deref())?;
    let plan = RecreatePlan::new(&volumes, &vrlist);

    let settings = Settings {
        server,
        state_dir: state.dir.clone(),
        volume_list: state.file(VOLUME_LIST_FILE),
        vrlist: state.file(VRLIST_FILE),
        tape_size: args.tape_size.clone(),
        dumplist_dir: state.file("dumplists"),
        dump_dir: absolute(&args.dump_dir)?,
        rvm_log: absolute(&rvm_settings.log)?,
        rvm_log_size: rvm_settings.log_size,
        rvm_data: absolute(&rvm_settings.data)?,
        rvm_data_size: rvm_settings.data_size,
        restore_dir: absolute(&args.restore_dir)?,
        inited_dir: absolute(&args.inited_dir)?,
    };
    // The creation time (nanoseconds) ties the journal to this runbook.
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let runbook = Runbook::build(settings, &plan, created);
    state.create(&runbook, &list_bytes, &vr_bytes)?;

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "runbook for {} in {}: {} volume(s) to recreate, {} steps",
        runbook.settings.server.as_deref().unwrap_or("this server"),
        state.dir.display(),
        runbook.volumes.len(),
        runbook.steps.len()
    )?;
    for step in &runbook.steps {
        writeln!(out, "{:<8} {}", step.id, step.title)?;
        writeln!(out, "{:<8} {}", "", step.action.command_line())?;
    }
    out.flush()?;
    for n in &runbook.not_recreated {
        let _ = writeln!(std::io::stderr(), "coda-rs: warning: not recreated: {n}");
    }
    let _ = writeln!(
        std::io::stderr(),
        "coda-rs: next: coda-rs reinit next --state {}",
        state.dir.display()
    );
    Ok(ExitCode::SUCCESS)
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
    let dir = state.dir.display();
    match step.action {
        Action::CodaRs { .. } => writeln!(
            out,
            "run it with: coda-rs reinit run {} --state {dir}",
            step.id
        )?,
        _ => writeln!(
            out,
            "when it is done: coda-rs reinit done {} --state {dir}",
            step.id
        )?,
    }
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
            "step {}: `{}` is not a coda-rs command (carry it out, then: coda-rs reinit done {} --state {})",
            step.id,
            step.action.command_line(),
            step.id,
            state.dir.display()
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
