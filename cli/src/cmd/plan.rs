//! `coda-rs plan`: backup and recreation planning from VolumeList and
//! VRList (procedure 13.1 and 13.3; `dump-format.md` §15). The work is
//! done by the `recovery-plan` crate; this module parses, calls and prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use recovery_plan::dumplist::Schedule;
use recovery_plan::recreate::RecreatePlan;
use recovery_plan::size::tape_size_argument;
use recovery_plan::tape_plan::TapePlan;
use recovery_plan::volume_list::VolumeList;
use recovery_plan::vrlist::VrList;

use crate::exit;

/// `coda-rs plan` subcommands.
#[derive(Subcommand)]
pub enum PlanCommand {
    /// Divide every volume into tape-sized dumplist files (procedure 13.1).
    #[command(after_help = "\
Examples:
  cd /vice/vol && coda-rs plan dumplists --volume-list BigVolumeList \\
      --vrlist ../db/VRList --tape-size 1.5G -o /vice/db/dumplists
  coda-rs plan dumplists --volume-list remote/a.list --volume-list remote/b.list \\
      --vrlist ../db/VRList --tape-size 800M --schedule FIIIIII --json

Every volume is planned once: a replicated volume by its group id, with the
sizes of all its replicas added up and all of them on one tape; any other
volume by its own id. Backup clones and .restored volumes are skipped. Sizes
come from the VolumeList U field (1 KiB blocks). Tapes are filled first-fit
decreasing. Without -o the dumplists are printed after the summary.")]
    Dumplists(DumplistsArgs),
    /// Print the `volutil create_rep` script of partial-reinit.sh (13.3),
    /// matching volume ids exactly.
    #[command(after_help = "\
Examples:
  coda-rs plan recreate --volume-list /vice/vol/VolumeList \\
      --vrlist /vice/db/VRList > /tmp/reinit_script
  coda-rs plan recreate --volume-list /vice/vol/BigVolumeList \\
      --vrlist /vice/db/VRList --server vm

The script goes to stdout; every volume that gets no create_rep line is
listed on stderr with the reason.")]
    Recreate(RecreateArgs),
}

/// Arguments of `plan dumplists`.
#[derive(Args)]
pub struct DumplistsArgs {
    /// VolumeList, BigVolumeList or per-server list (`-` = stdin); repeat
    /// to read several lists as one.
    #[arg(long = "volume-list", value_name = "FILE", required = true)]
    volume_list: Vec<PathBuf>,
    /// The VRList.
    #[arg(long, value_name = "FILE")]
    vrlist: PathBuf,
    /// Capacity of one tape, e.g. 1.5G (K/M/G/T are powers of 1024).
    #[arg(long = "tape-size", value_name = "SIZE")]
    tape_size: String,
    /// Dump schedule written for every volume: one character per day of
    /// the cycle, F full, I incremental, 0-9 a level.
    #[arg(long, value_name = "F|I...", default_value = "F")]
    schedule: String,
    /// Write the dumplists as DIR/dumplist.01, DIR/dumplist.02, ...
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Replace dumplist files already in DIR.
    #[arg(long)]
    force: bool,
    /// Print the plan as one JSON document on stdout.
    #[arg(long)]
    json: bool,
}

/// Arguments of `plan recreate`.
#[derive(Args)]
pub struct RecreateArgs {
    /// VolumeList, BigVolumeList or per-server list (`-` = stdin); repeat
    /// to read several lists as one.
    #[arg(long = "volume-list", value_name = "FILE", required = true)]
    volume_list: Vec<PathBuf>,
    /// The VRList.
    #[arg(long, value_name = "FILE")]
    vrlist: PathBuf,
    /// Only the volumes of this host (as named on the partition lines).
    #[arg(long, value_name = "HOST")]
    server: Option<String>,
    /// Print the script and the volumes left out as one JSON document.
    #[arg(long)]
    json: bool,
}

/// Runs `coda-rs plan ...`.
pub fn run(cmd: PlanCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PlanCommand::Dumplists(args) => dumplists(args),
        PlanCommand::Recreate(args) => recreate(args),
    }
}

fn dumplists(args: DumplistsArgs) -> anyhow::Result<ExitCode> {
    let tape_bytes = tape_size_argument("--tape-size", &args.tape_size)?;
    if tape_bytes == 0 {
        return Err(exit::usage(
            "--tape-size: 0 bytes (expected a positive size)",
        ));
    }
    let schedule = Schedule::new(&args.schedule).map_err(exit::as_usage)?;
    lists_exist(&args.volume_list, &args.vrlist)?;
    let volumes = VolumeList::read_all(&args.volume_list)?;
    let vrlist = VrList::read(&args.vrlist)?;
    let plan = TapePlan::new(&volumes, &vrlist, tape_bytes, schedule)?;
    let mut err = std::io::stderr().lock();
    for w in &plan.selection.warnings {
        let _ = writeln!(err, "coda-rs: warning: {w}");
    }
    drop(err);
    let dir = args.output_dir.as_deref();
    if let Some(dir) = dir {
        plan.write(dir, args.force)?;
    }

    let mut out = std::io::stdout().lock();
    if args.json {
        crate::cmd::print_json(&mut out, &plan.view(dir))?;
    } else {
        write!(out, "{}", plan.summary(dir))?;
        if dir.is_none() {
            for (t, list) in plan.tapes.iter().zip(&plan.lists) {
                writeln!(out, "\n# tape {} ({})", t.number, plan.file_name(t.number))?;
                out.write_all(list.to_text()?.as_bytes())?;
            }
        }
    }
    out.flush()?;
    crate::verbosity::summary(format_args!(
        "coda-rs: planned {} volumes ({} replicas of replicated volumes), {} on {} tape(s) of {}; skipped {} backup/restored volume(s)",
        plan.selection.units.len(),
        plan.replicas(),
        human::size(plan.total_bytes()),
        plan.tapes.len(),
        human::size(tape_bytes),
        plan.selection.skipped.len()
    ));
    Ok(ExitCode::SUCCESS)
}

/// The list files named on the command line are there (else exit 2,
/// as for every input file, [`exit::input_file`]).
fn lists_exist(volume_lists: &[PathBuf], vrlist: &Path) -> anyhow::Result<()> {
    for p in volume_lists {
        exit::input_file(p, "a VolumeList file")?;
    }
    exit::input_file(vrlist, "a VRList file")
}

fn recreate(args: RecreateArgs) -> anyhow::Result<ExitCode> {
    lists_exist(&args.volume_list, &args.vrlist)?;
    let volumes = VolumeList::read_all(&args.volume_list)?.for_server(args.server.as_deref())?;
    let vrlist = VrList::read(&args.vrlist)?;
    let plan = RecreatePlan::new(&volumes, &vrlist);
    let mut out = std::io::stdout().lock();
    if args.json {
        crate::cmd::print_json(&mut out, &plan.view())?;
    } else {
        out.write_all(plan.script().as_bytes())?;
    }
    out.flush()?;
    let mut err = std::io::stderr().lock();
    for n in &plan.not_recreated {
        let _ = writeln!(
            err,
            "coda-rs: {} ({:x}): not recreated: {}",
            n.name, n.volume_id, n.reason
        );
    }
    Ok(ExitCode::SUCCESS)
}
