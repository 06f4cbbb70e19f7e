//! `coda-rs reinit init`: checks the inputs (lists, server.conf, paths)
//! before anything is written, then writes the runbook, the list copies
//! and an empty journal into the state directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;
use recovery_plan::journal::{StateDir, RUNBOOK_FILE, VOLUME_LIST_FILE, VRLIST_FILE};
use recovery_plan::recreate::RecreatePlan;
use recovery_plan::runbook::{command_path, Runbook, Settings};
use recovery_plan::server_conf::ServerConf;
use recovery_plan::size::parse_size;
use recovery_plan::volume_list::VolumeList;
use recovery_plan::vrlist::VrList;

use super::hint;
use crate::cmd::plan::filter_server;
use crate::exit;

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
    /// Let the RVM step (13.2.2) replace the old RVM log and data segment
    /// (`rvm init --replace-rvm`: only targets that hold RVM or zeros).
    #[arg(long = "reformat-rvm")]
    reformat_rvm: bool,
    /// Replace a runbook already in the state directory (its progress is lost).
    #[arg(long)]
    force: bool,
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

/// Reads server.conf: repeated names are warnings, RVM settings that
/// contradict themselves and lines Coda would reject are usage errors.
fn server_conf(p: &Path) -> anyhow::Result<ServerConf> {
    let conf = ServerConf::parse(&read_input(p)?, &p.display().to_string())
        .map_err(|e| exit::usage(e.to_string()))?;
    for w in conf.warnings() {
        let _ = writeln!(std::io::stderr(), "coda-rs: warning: {w}");
    }
    conf.check_rvm().map_err(|e| exit::usage(e.to_string()))?;
    Ok(conf)
}

fn rvm_settings(args: &InitArgs) -> anyhow::Result<RvmSettings> {
    let conf = match &args.server_conf {
        Some(p) => Some(server_conf(p)?),
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

/// Reads and parses the lists (each file once: the bytes are both parsed
/// and kept as the state directory's copies). A bad line, or a name that
/// cannot go into a path or a command, is a usage error: nothing is done.
fn read_lists(args: &InitArgs) -> anyhow::Result<(VolumeList, Vec<u8>, VrList, Vec<u8>)> {
    let mut list_bytes = Vec::new();
    let mut all = VolumeList::default();
    for p in &args.volume_list {
        let bytes = read_input(p)?;
        let list = VolumeList::parse(&bytes, &p.display().to_string())
            .map_err(|e| exit::usage(e.to_string()))?;
        all.extend(list);
        list_bytes.extend(bytes);
    }
    let vr_bytes = read_input(&args.vrlist)?;
    let vrlist = VrList::parse(&vr_bytes, &args.vrlist.display().to_string())
        .map_err(|e| exit::usage(e.to_string()))?;
    Ok((all, list_bytes, vrlist, vr_bytes))
}

/// `p` made absolute and checked for the runbook's command lines.
fn runbook_path(flag: &str, p: &Path) -> anyhow::Result<PathBuf> {
    let p = absolute(p)?;
    command_path(&p).map_err(|what| {
        exit::usage(format!(
            "{flag}: {what} (expected a UTF-8 path without control characters)"
        ))
    })?;
    Ok(p)
}

/// Runs `reinit init`.
pub(super) fn init(args: InitArgs) -> anyhow::Result<ExitCode> {
    let (all, list_bytes, vrlist, vr_bytes) = read_lists(&args)?;
    let rvm_settings = rvm_settings(&args)?;
    let state = StateDir::new(runbook_path("--state", &args.state)?);
    if state.has_runbook() && !args.force {
        return Err(exit::refused(format!(
            "{}: a runbook is already there (use --force to start over; its progress is lost)",
            state.file(RUNBOOK_FILE).display()
        )));
    }
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
        dump_dir: runbook_path("--dump-dir", &args.dump_dir)?,
        rvm_log: runbook_path("--rvm-log", &rvm_settings.log)?,
        rvm_log_size: rvm_settings.log_size,
        rvm_data: runbook_path("--rvm-data", &rvm_settings.data)?,
        rvm_data_size: rvm_settings.data_size,
        restore_dir: runbook_path("--restore-dir", &args.restore_dir)?,
        inited_dir: runbook_path("--inited-dir", &args.inited_dir)?,
        reformat_rvm: args.reformat_rvm,
    };
    // The creation time (nanoseconds) ties the journal to this runbook.
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let runbook =
        Runbook::build(settings, &plan, created).map_err(|e| exit::usage(e.to_string()))?;
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
    let mut err = std::io::stderr().lock();
    for n in &runbook.not_recreated {
        let _ = writeln!(err, "coda-rs: warning: not recreated: {n}");
    }
    if !args.reformat_rvm {
        let _ = writeln!(
            err,
            "coda-rs: note: the RVM step refuses to overwrite a log or data segment that holds \
             data; to replace the old RVM, write the runbook with --reformat-rvm"
        );
    }
    let _ = err.write_all(&hint(
        "coda-rs: next: coda-rs reinit next",
        None,
        &state.dir,
    ));
    Ok(ExitCode::SUCCESS)
}
