//! The runbook executor: `reinit run --all` carries out every remaining
//! step in order until only manual steps remain, and `reinit run STEP`
//! one step by the same rules, both through [`Walk`].
//!
//! Before a step starts, the walk decides how it runs ([`Invocation`]):
//! - where: a step of this host (or of none) runs here; a step of another
//!   host through the operator's remote shell (`--remote-shell 'ssh
//!   -oBatchMode=yes'`, given the host, then the command line) or, without
//!   one, the walk stops naming the host and the command to run there
//!   ([`Error::RemoteHost`]);
//! - what: a coda-rs step as the coda-rs executable with its arguments
//!   (no shell), plus `--resume` for a restore whose target holds the
//!   journal of an interrupted restore of the same dump; an operator step
//!   as `sh -c LINE` (its words are quoted by the runbook). A program that
//!   is not on this machine stops the walk before anything starts
//!   ([`Error::CommandMissing`]), as does exit status 127 (the shell's
//!   "not found") from a remote host;
//! - whether it may: a step writing where only venus should receive data
//!   finds venus serving it ([`crate::venus`], else [`Error::NotCoda`]
//!   before anything is written); operator steps and destructive steps
//!   (RVM reformat, `cfs rmmount`, `cfs flushcache`) are asked about
//!   unless `--yes` ([`Operator::ask`]; no terminal and no `--yes`:
//!   [`Error::NeedsYes`]); an operator step whose journal says it started
//!   and never finished is re-run only with `--yes`, and reported as a
//!   re-run.
//!
//! With `dry_run` the walk reports what it would run and touches nothing
//! (no journal record, no command). A step that fails is recorded as
//! failed and stops the walk; the same command again continues with it.
//! The walk never adds `--force` to a command.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::executor::{Executor, Outcome};
use crate::journal::{Journal, StateDir};
use crate::names::HostName;
use crate::progress::{Processes, Progress, Standing};
use crate::runbook::Runbook;
use crate::shell::{reinit_command, shell_quote};
use crate::step::{Action, Kind, Step, StepId};
use crate::venus::{must_be_coda, Venus};
use crate::{Error, Result};

/// Exit status of a POSIX shell whose command was not found.
pub const NOT_FOUND: i32 = 127;

/// How the walk runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Do not ask; re-run interrupted operator steps.
    pub yes: bool,
    /// Report what would run; run and record nothing.
    pub dry_run: bool,
    /// The remote shell command (shell words, e.g. `ssh -oBatchMode=yes`)
    /// for steps of other hosts.
    pub remote_shell: Option<String>,
    /// This machine's name in the runbook (`None`: every step is local).
    pub here: Option<HostName>,
    /// The coda-rs executable for local coda-rs steps.
    pub coda_rs: PathBuf,
    /// The client's Coda mount point (venus.conf's `mountpoint`).
    pub coda_mount: PathBuf,
}

/// What the operator says to a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Go ahead.
    Yes,
    /// Do not.
    No,
    /// There is no terminal to ask on.
    NoTerminal,
}

/// What the walk tells the operator while it works.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A step starts (`rerun`: its journal said it had been started and
    /// never finished).
    Starting {
        /// The step.
        step: &'a Step,
        /// How it runs.
        how: &'a Invocation,
        /// It is run again after an interruption.
        rerun: bool,
    },
    /// A step finished successfully.
    Done {
        /// The step.
        step: &'a Step,
    },
    /// Dry run: the step would run so.
    Would {
        /// The step.
        step: &'a Step,
        /// How.
        how: &'a Invocation,
    },
}

/// The person running the walk (the CLI asks on the terminal and prints
/// the events; the library never prints).
pub trait Operator {
    /// Asks `question` (one line, ending in `?`).
    fn ask(&mut self, question: &str) -> Answer;
    /// Something happened.
    fn event(&mut self, event: Event<'_>);
}

/// How the walk ended without an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// Every step is done.
    AllDone,
    /// The next step is done by hand.
    Manual(StepId),
    /// `reinit run STEP`: that step is done (or, dry run, would run).
    Ran(StepId),
    /// Dry run of the rest: every step up to this point would run (the
    /// manual step it stops at, if any).
    WouldStopAt(Option<StepId>),
}

/// How a step is carried out: the program, its arguments, and the command
/// line an operator would type (on `host`, when it is another).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The program started here.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// The step's command line as run (with `--resume` when added).
    pub line: String,
    /// The other host it runs on, through the remote shell.
    pub remote: Option<HostName>,
    /// `--resume` was added.
    pub resumed: bool,
}

impl Executor for Invocation {
    type Job = Child;

    fn runs(&self, _: Kind) -> bool {
        true
    }

    fn describe(&self) -> &'static str {
        "step"
    }

    fn start(&mut self, step: &Step) -> Result<Child> {
        Command::new(&self.program)
            .args(&self.args)
            .spawn()
            .map_err(|source| Error::Launch {
                step: step.id.clone(),
                program: self.program.clone(),
                source,
            })
    }
}

/// The executor over a state directory.
pub struct Walk<'a> {
    /// The state directory.
    pub state: &'a StateDir,
    /// How it runs.
    pub options: &'a Options,
    /// Who is asked and told.
    pub operator: &'a mut dyn Operator,
    /// The Coda mount check.
    pub venus: &'a dyn Venus,
    /// The process table.
    pub processes: &'a dyn Processes,
}

impl Walk<'_> {
    /// `reinit run --all`: every remaining step in order until only manual
    /// steps remain (or every step is done).
    pub fn all(&mut self) -> Result<Finished> {
        let mut skip = 0; // dry run: steps already reported
        loop {
            let (runbook, journal) = self.state.open()?;
            let progress = Progress::new(&runbook, &journal, self.processes);
            let Some(step) = runbook
                .steps
                .iter()
                .filter(|s| !progress.standing(&s.id).is_done())
                .nth(skip)
            else {
                return Ok(if self.options.dry_run {
                    Finished::WouldStopAt(None)
                } else {
                    Finished::AllDone
                });
            };
            if step.action.kind() == Kind::Manual {
                return Ok(if self.options.dry_run {
                    Finished::WouldStopAt(Some(step.id.clone()))
                } else {
                    Finished::Manual(step.id.clone())
                });
            }
            self.one(&runbook, &journal, step, false)?;
            if self.options.dry_run {
                skip += 1;
            }
        }
    }

    /// `reinit run STEP`: the step `id` carried out as `--all` carries out
    /// each step (a coda-rs step directly, an operator step by its quoted
    /// line after asking unless `--yes`, a step of another host through
    /// the remote shell or not at all, naming host and command); a manual
    /// step is refused ([`Error::NotRunnable`], naming the command that
    /// records it). The guards of [`Progress::start`] (order, done,
    /// running) come before any question; `force` overrides them.
    pub fn step(&mut self, id: &str, force: bool) -> Result<Finished> {
        let (runbook, journal) = self.state.open()?;
        let step = runbook.find(id)?;
        if step.action.kind() == Kind::Manual {
            let then = reinit_command("done", Some(&step.id), &self.state.dir);
            return Err(Error::NotRunnable {
                step: step.id.clone(),
                command: step.action.command_line(),
                runs: "coda-rs or operator command",
                then: String::from_utf8_lossy(&then).into_owned(),
            });
        }
        Progress::new(&runbook, &journal, self.processes).start(
            step,
            force,
            std::process::id(),
            0,
        )?;
        self.one(&runbook, &journal, step, force)?;
        Ok(Finished::Ran(step.id.clone()))
    }

    /// Prepares, checks, asks about and carries out one step.
    fn one(
        &mut self,
        runbook: &Runbook,
        journal: &Journal,
        step: &Step,
        force: bool,
    ) -> Result<()> {
        let o = self.options;
        let standing = Progress::new(runbook, journal, self.processes).standing(&step.id);
        if let Standing::Running { pid } = standing {
            if !force {
                return Err(Error::RunningElsewhere {
                    step: step.id.clone(),
                    pid,
                    asked: crate::progress::Transition::Start,
                });
            }
        }
        let rerun = standing == Standing::Interrupted;
        let operator = step.action.kind() == Kind::Operator;
        if rerun && operator && !o.yes && !o.dry_run {
            return Err(Error::NeedsYes {
                step: step.id.clone(),
                why: "was started and never finished: check what it did, then run again with \
                      --yes to re-run it, or record it with `reinit done`"
                    .into(),
            });
        }
        if let Some(dir) = &step.writes {
            if must_be_coda(runbook, dir, &o.coda_mount) {
                self.venus.serves(dir).map_err(|why| Error::NotCoda {
                    step: step.id.clone(),
                    path: dir.clone(),
                    why,
                })?;
            }
        }
        let mut how = self.invocation(step)?;
        if o.dry_run {
            self.operator.event(Event::Would { step, how: &how });
            return Ok(());
        }
        let danger = destructive(&step.action);
        if (operator || danger.is_some()) && !o.yes {
            let on = how
                .remote
                .as_ref()
                .map_or_else(String::new, |h| format!(" on {h}"));
            let question = match danger {
                Some(d) => format!("step {}: {d}: run `{}`{on}?", step.id, how.line),
                None => format!("step {}: run `{}`{on}?", step.id, how.line),
            };
            match self.operator.ask(&question) {
                Answer::Yes => {}
                Answer::No => {
                    return Err(Error::Declined {
                        step: step.id.clone(),
                    })
                }
                Answer::NoTerminal => {
                    return Err(Error::NeedsYes {
                        step: step.id.clone(),
                        why: "asks before it runs and there is no terminal to ask on (give --yes)"
                            .into(),
                    })
                }
            }
        }
        let claim = self.state.claim(&step.id, force, &how, self.processes)?;
        self.operator.event(Event::Starting {
            step,
            how: &how,
            rerun,
        });
        match claim.carry_out(&mut how) {
            Ok(_) => {}
            Err(Error::StepFailed {
                outcome: Outcome::Exited(NOT_FOUND),
                ..
            }) if operator || how.remote.is_some() => {
                return Err(self.missing(step, &how, "a command of it was not found"));
            }
            Err(e) => return Err(e),
        }
        self.operator.event(Event::Done { step });
        Ok(())
    }

    /// How `step` runs from here.
    fn invocation(&self, step: &Step) -> Result<Invocation> {
        let o = self.options;
        let mut line = step.action.command_line();
        let mut resumed = false;
        if let Action::CodaRs { args } = &step.action {
            if restore_can_resume(args) {
                line.push_str(" --resume");
                resumed = true;
            }
        }
        let remote = step
            .host
            .as_ref()
            .filter(|h| o.here.as_ref().is_some_and(|here| here != *h))
            .cloned();
        let Some(host) = remote else {
            let (program, args): (PathBuf, Vec<OsString>) = match &step.action {
                Action::CodaRs { args } => {
                    let mut a: Vec<OsString> = args.iter().map(OsString::from).collect();
                    if resumed {
                        a.push("--resume".into());
                    }
                    (o.coda_rs.clone(), a)
                }
                Action::Operator { command } => {
                    let first = command.split_whitespace().next().unwrap_or("");
                    if !on_path(first) {
                        let inv = Invocation {
                            program: PathBuf::from(first),
                            args: Vec::new(),
                            line,
                            remote: None,
                            resumed,
                        };
                        return Err(self.missing(
                            step,
                            &inv,
                            &format!("`{first}` is not on this machine"),
                        ));
                    }
                    ("/bin/sh".into(), vec!["-c".into(), command.into()])
                }
                Action::Manual { .. } => unreachable!("manual steps are not run"),
            };
            return Ok(Invocation {
                program,
                args,
                line,
                remote: None,
                resumed,
            });
        };
        let Some(rsh) = &o.remote_shell else {
            return Err(Error::RemoteHost {
                step: step.id.clone(),
                host,
                command: line,
                then: self.then(step),
            });
        };
        let first = rsh.split_whitespace().next().unwrap_or("");
        if !on_path(first) {
            let inv = Invocation {
                program: first.into(),
                args: Vec::new(),
                line: format!("{rsh} {host} {}", shell_quote(&line)),
                remote: None,
                resumed,
            };
            return Err(self.missing(
                step,
                &inv,
                &format!("the remote shell `{first}` is not on this machine"),
            ));
        }
        Ok(Invocation {
            program: "/bin/sh".into(),
            args: vec![
                "-c".into(),
                format!("{rsh} \"$@\"").into(),
                "sh".into(),
                host.as_str().into(),
                line.clone().into(),
            ],
            line,
            remote: Some(host),
            resumed,
        })
    }

    /// [`Error::CommandMissing`] for `step` run as `how`.
    fn missing(&self, step: &Step, how: &Invocation, what: &str) -> Error {
        Error::CommandMissing {
            step: step.id.clone(),
            what: what.to_string(),
            host: how.remote.clone().or_else(|| step.host.clone()),
            command: how.line.clone(),
            then: self.then(step),
        }
    }

    /// The `reinit done STEP` line that records `step` once carried out.
    fn then(&self, step: &Step) -> String {
        String::from_utf8_lossy(&reinit_command("done", Some(&step.id), &self.state.dir))
            .into_owned()
    }
}

/// What makes `action` destructive (the question names it), if it is:
/// `rvm init` (reformats RVM), `cfs rmmount`, `cfs flushcache`.
pub fn destructive(action: &Action) -> Option<&'static str> {
    let Action::CodaRs { args } = action else {
        return None;
    };
    match args.iter().take(2).map(String::as_str).collect::<Vec<_>>()[..] {
        ["rvm", "init"] => Some("reformats the RVM log and data segment"),
        ["cfs", "rmmount"] => Some("removes a mount link"),
        ["cfs", "flushcache"] => Some("flushes this client's cache"),
        _ => None,
    }
}

/// True when `program` (a word of a command line) is an executable file
/// here: as given when it holds a `/`, else in a directory of `PATH`.
pub fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let exec = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.is_empty() {
        return false;
    }
    if program.contains('/') {
        return exec(Path::new(program));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| exec(&d.join(program))))
}

/// A journal larger than this is not a restore journal.
const MAX_RESTORE_JOURNAL: u64 = 1 << 20;

/// True when `args` are `dump restore DUMP --into DIR` and `DIR` holds
/// the journal of an interrupted restore of that very dump (the same
/// volume, backup date and stamps; no incrementals): the restore is then
/// resumed. The journal is opened without following a symlink and read up
/// to a bound; anything unreadable means "no".
pub fn restore_can_resume(args: &[String]) -> bool {
    let (Some("dump"), Some("restore"), Some(dump)) = (
        args.first().map(String::as_str),
        args.get(1).map(String::as_str),
        args.get(2),
    ) else {
        return false;
    };
    if args.iter().any(|a| a == "--resume") {
        return false;
    }
    let Some(into) = args
        .iter()
        .position(|a| a == "--into")
        .and_then(|i| args.get(i + 1))
    else {
        return false;
    };
    let journal = Path::new(into).join(volume_dump::restore::JOURNAL_NAME);
    let Some(bytes) = read_nofollow(&journal) else {
        return false;
    };
    let Ok(j) = serde_json::from_slice::<volume_dump::restore::Journal>(&bytes) else {
        return false;
    };
    let Ok(f) = File::open(dump) else {
        return false;
    };
    let Ok(reader) = volume_dump::DumpReader::new(std::io::BufReader::new(f)) else {
        return false;
    };
    j.source == volume_dump::restore::SourceId::new(reader.header(), &[])
}

/// The bytes of the regular file `p`, opened `O_NOFOLLOW`, if it is one of
/// at most [`MAX_RESTORE_JOURNAL`] bytes.
fn read_nofollow(p: &Path) -> Option<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(p)
        .ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    f.take(MAX_RESTORE_JOURNAL + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    (bytes.len() as u64 <= MAX_RESTORE_JOURNAL).then_some(bytes)
}
