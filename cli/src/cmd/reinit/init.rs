//! `coda-rs reinit init`: checks the inputs (lists, server.conf, paths)
//! before anything is written, then writes the runbook, the list copies
//! and an empty journal into the state directory.
//!
//! Until the state directory is written nothing has been done, so a
//! malformed list or server.conf is reported as a usage error (exit 2,
//! [`exit::as_usage`]); a list that cannot be read is a failure (exit 1).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use recovery_plan::cell::{root_volume_name, CellPlan};
use recovery_plan::input::read_input;
use recovery_plan::journal::{StateDir, VOLUME_LIST_FILE, VRLIST_FILE};
use recovery_plan::names::HostName;
use recovery_plan::recreate::RecreatePlan;
use recovery_plan::runbook::{setting_path, Runbook, Settings};
use recovery_plan::rvm_settings::{RvmFlags, RvmSettings};
use recovery_plan::server_conf::ServerConf;
use recovery_plan::size::tape_size_argument;
use recovery_plan::time::now_nanos;
use recovery_plan::volume_list::VolumeList;
use recovery_plan::vrlist::VrList;
use volume_dump::mount_link::root_mount_link;

use super::write_hint;
use crate::exit;

/// The staging directory a runbook names when it restores straight into
/// the volumes (its cleanup does not touch it).
const DEFAULT_STAGING: &str = "/coda/tmp/restore";

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
    /// Write a one-server runbook for this host of the lists (without it,
    /// lists naming several servers give one runbook for the whole cell).
    #[arg(long, value_name = "HOST")]
    server: Option<String>,
    /// Directory with one dump per replica, named <groupid>.<volid> (%08x);
    /// for a cell runbook, one subdirectory per server (DIR/HOST/...).
    #[arg(long = "dump-dir", value_name = "DIR")]
    dump_dir: PathBuf,
    /// The client the procedure runs on: the host of every step that goes
    /// through venus [default: this machine's name].
    #[arg(long, value_name = "HOST")]
    client: Option<String>,
    /// The cell's root volume, whose steps come first [default:
    /// ROOTVOLUME in the db directory of --vice, else coda_root].
    #[arg(long = "root-volume", value_name = "NAME")]
    root_volume: Option<String>,
    /// The server's vice directory, whose db/ROOTVOLUME names the root
    /// volume.
    #[arg(long, value_name = "DIR")]
    vice: Option<PathBuf>,
    /// Cell runbook: the server that runs createvol_rep and bldvldb.sh
    /// (the SCM) [default: the first server of the lists].
    #[arg(long, value_name = "HOST")]
    scm: Option<String>,
    /// Cell runbook: where the client mounts the root volume.
    #[arg(long = "coda-dir", value_name = "DIR", default_value = "/coda")]
    coda_dir: PathBuf,
    /// server.conf to take rvm_log, rvm_data and rvm_data_length from.
    #[arg(long = "server-conf", value_name = "FILE")]
    server_conf: Option<PathBuf>,
    /// RVM log device or file [default: server.conf rvm_log].
    #[arg(long = "rvm-log", value_name = "PATH")]
    rvm_log: Option<PathBuf>,
    /// RVM log size, as before the disaster, as `rvm init --log-size`
    /// takes it (20M, 2048s; no fractions) [default: read from the log's
    /// status block].
    #[arg(long = "rvm-log-size", value_name = "SIZE")]
    rvm_log_size: Option<String>,
    /// RVM data segment device or file [default: server.conf rvm_data].
    #[arg(long = "rvm-data", value_name = "PATH")]
    rvm_data: Option<PathBuf>,
    /// RVM data segment size, as `rvm init --data-size` takes it
    /// [default: server.conf rvm_data_length].
    #[arg(long = "rvm-data-size", value_name = "SIZE")]
    rvm_data_size: Option<String>,
    /// Tape size for the dumplists of step 13.1 (fractions allowed: 1.5G).
    #[arg(long = "tape-size", value_name = "SIZE", default_value = "1.5G")]
    tape_size: String,
    /// Take the two-step path: restore every dump into DIR (any directory:
    /// local disk, or the manual's /coda/tmp/restore), then copy it into
    /// the recreated volume. Without it each dump is restored straight into
    /// its recreated volume (INITED_DIR/NAME), writing its data once.
    #[arg(long, value_name = "DIR", conflicts_with = "restore_dir")]
    staging: Option<PathBuf>,
    /// The same as --staging DIR (the manual's name for the directory).
    #[arg(long = "restore-dir", value_name = "DIR")]
    restore_dir: Option<PathBuf>,
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
    /// Print the runbook as one JSON document (as `reinit status --json`).
    #[arg(long)]
    json: bool,
    /// Replace a runbook already in the state directory (its progress is lost).
    #[arg(long)]
    force: bool,
}

/// Reads server.conf: repeated names are warnings, RVM settings that
/// contradict themselves and lines Coda would reject are usage errors.
fn server_conf(p: &Path) -> anyhow::Result<ServerConf> {
    let conf =
        ServerConf::parse(&read_input(p)?, &p.display().to_string()).map_err(exit::as_usage)?;
    for w in conf.warnings() {
        let _ = writeln!(std::io::stderr(), "coda-rs: warning: {w}");
    }
    conf.check_rvm().map_err(exit::as_usage)?;
    Ok(conf)
}

fn rvm_settings(args: &InitArgs) -> anyhow::Result<RvmSettings> {
    let conf = match &args.server_conf {
        Some(p) => Some(server_conf(p)?),
        None => None,
    };
    let flags = RvmFlags {
        log: args.rvm_log.clone(),
        log_size: args.rvm_log_size.clone(),
        data: args.rvm_data.clone(),
        data_size: args.rvm_data_size.clone(),
    };
    let settings = RvmSettings::resolve(&flags, conf.as_ref())?;
    if let Some(bytes) = settings.log_size_from_log {
        let _ = writeln!(
            std::io::stderr(),
            "coda-rs: {}: log size {bytes} bytes, from its status block",
            settings.log.display()
        );
    }
    tape_size_argument("--tape-size", &args.tape_size)?;
    Ok(settings)
}

/// Reads and parses the lists (each file once: the bytes are both parsed
/// and kept as the state directory's copies). A bad line, or a name that
/// cannot go into a path or a command, is a usage error: nothing is done.
fn read_lists(args: &InitArgs) -> anyhow::Result<(VolumeList, Vec<u8>, VrList, Vec<u8>)> {
    let mut list_bytes = Vec::new();
    let mut all = VolumeList::default();
    for p in &args.volume_list {
        let bytes = read_input(p)?;
        let list = VolumeList::parse(&bytes, &p.display().to_string()).map_err(exit::as_usage)?;
        all.extend(list);
        list_bytes.extend(bytes);
    }
    let vr_bytes = read_input(&args.vrlist)?;
    let vrlist =
        VrList::parse(&vr_bytes, &args.vrlist.display().to_string()).map_err(exit::as_usage)?;
    Ok((all, list_bytes, vrlist, vr_bytes))
}

/// A host name argument, checked as the lists' host names are.
fn host_arg(flag: &str, host: &str) -> anyhow::Result<HostName> {
    HostName::new(host)
        .map_err(|e| exit::usage(format!("{flag}: {} (expected {})", e.what, e.expected)))
}

/// Whether the root volume's chosen dump holds a mount link `tmp` (false
/// when the dump cannot be read yet: it is taken in 13.1).
fn root_has_tmp_link(plan: &CellPlan) -> bool {
    let Some(root) = plan.cell.root() else {
        return false;
    };
    std::fs::File::open(&root.chosen().dump)
        .ok()
        .and_then(|f| root_mount_link(std::io::BufReader::new(f), b"tmp").ok())
        .flatten()
        .is_some()
}

/// Runs `reinit init`.
pub(super) fn init(args: InitArgs) -> anyhow::Result<ExitCode> {
    let (all, list_bytes, vrlist, vr_bytes) = read_lists(&args)?;
    let rvm = rvm_settings(&args)?;
    let path = |flag, p: &Path| setting_path(flag, p).map_err(exit::as_usage);
    let state = StateDir::new(path("--state", &args.state)?);
    state.check_new(args.force)?;
    let client = match &args.client {
        Some(h) => Some(host_arg("--client", h)?),
        None => HostName::this_machine(),
    };
    let cell = args.server.is_none() && all.hosts().len() > 1;
    let server = if cell {
        None
    } else {
        all.the_server(args.server.as_deref())?
    };

    let settings = Settings {
        server,
        state_dir: state.dir.clone(),
        volume_list: state.file(VOLUME_LIST_FILE),
        vrlist: state.file(VRLIST_FILE),
        tape_size: args.tape_size.clone(),
        dumplist_dir: state.file("dumplists"),
        dump_dir: path("--dump-dir", &args.dump_dir)?,
        rvm_log: path("--rvm-log", &rvm.log)?,
        rvm_log_size: rvm.log_size,
        rvm_data: path("--rvm-data", &rvm.data)?,
        rvm_data_size: rvm.data_size,
        restore_dir: match (&args.staging, &args.restore_dir) {
            (Some(dir), _) => path("--staging", dir)?,
            (None, Some(dir)) => path("--restore-dir", dir)?,
            (None, None) => PathBuf::from(DEFAULT_STAGING),
        },
        staging: args.staging.is_some() || args.restore_dir.is_some(),
        inited_dir: path("--inited-dir", &args.inited_dir)?,
        reformat_rvm: args.reformat_rvm,
        client,
    };
    // The creation time (nanoseconds) ties the journal to this runbook.
    let runbook = if cell {
        let root = root_volume_name(args.root_volume.as_deref(), args.vice.as_deref())
            .map_err(exit::as_usage)?;
        let scm = match &args.scm {
            Some(h) => Some(host_arg("--scm", h)?),
            None => None,
        };
        let coda_dir = path("--coda-dir", &args.coda_dir)?;
        let plan = CellPlan::new(&all, &vrlist, root, scm, &settings.dump_dir, &coda_dir)
            .map_err(exit::as_usage)?;
        let mut err = std::io::stderr().lock();
        for w in &plan.warnings {
            let _ = writeln!(err, "coda-rs: warning: {w}");
        }
        let has_link = root_has_tmp_link(&plan);
        if let Some(root) = plan.cell.root() {
            let _ = writeln!(
                err,
                "coda-rs: note: root volume {}: restored from {}{}",
                root.name,
                root.chosen().dump.display(),
                if has_link {
                    ", whose mount link tmp gives /coda/tmp"
                } else {
                    "; the runbook mounts its .tmp volume as tmp (no mount link tmp in the dump, or the dump is not there yet)"
                }
            );
        }
        drop(err);
        Runbook::build_cell(settings, plan, has_link, now_nanos()).map_err(exit::as_usage)?
    } else {
        let volumes = all.for_server(args.server.as_deref())?;
        let root = root_volume_name(args.root_volume.as_deref(), args.vice.as_deref())
            .map_err(exit::as_usage)?;
        let mut plan = RecreatePlan::new(&volumes, &vrlist);
        plan.root_first(&vrlist, &root);
        Runbook::build(settings, &plan, now_nanos()).map_err(exit::as_usage)?
    };
    state.create(&runbook, &list_bytes, &vr_bytes)?;

    let mut out = std::io::stdout().lock();
    if args.json {
        crate::cmd::print_json(&mut out, &super::status_report(&state)?)?;
    } else {
        match &runbook.cell {
            Some(c) => writeln!(
                out,
                "runbook for the cell ({}) in {}: {} replicated volume(s) to recreate, {} steps",
                c.hosts
                    .iter()
                    .map(|h| h.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                state.dir.display(),
                c.volumes.len(),
                runbook.steps.len()
            )?,
            None => writeln!(
                out,
                "runbook for {} in {}: {} volume(s) to recreate, {} steps",
                runbook.settings.server.as_deref().unwrap_or("this server"),
                state.dir.display(),
                runbook.volumes.len(),
                runbook.steps.len()
            )?,
        }
        for step in &runbook.steps {
            match &step.host {
                Some(h) => writeln!(out, "{:<8} {} (on {h})", step.id, step.title)?,
                None => writeln!(out, "{:<8} {}", step.id, step.title)?,
            }
            writeln!(out, "{:<8} {}", "", step.action.command_line())?;
        }
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
    let _ = write_hint(&mut err, "coda-rs: next: ", "next", None, &state);
    Ok(ExitCode::SUCCESS)
}
