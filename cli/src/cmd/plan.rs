//! `coda-rs plan`: backup and recreation planning from VolumeList and
//! VRList (procedure 13.1 and 13.3; `dump-format.md` §15). The work is
//! done by the `recovery-plan` crate; this module parses, calls and prints.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use recovery_plan::dumplist::{Dumplist, DumplistEntry, Schedule};
use recovery_plan::pack::{self, Selection, Tape};
use recovery_plan::recreate::RecreatePlan;
use recovery_plan::size::{human, parse_tape_size};
use recovery_plan::volume_list::VolumeList;
use recovery_plan::vrlist::VrList;
use serde_json::json;

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

/// Reads and concatenates the VolumeLists (in the order given).
fn read_volume_lists(paths: &[PathBuf]) -> anyhow::Result<VolumeList> {
    let mut all = VolumeList::default();
    for p in paths {
        all.extend(VolumeList::read(p)?);
    }
    Ok(all)
}

fn warn(message: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "coda-rs: warning: {message}");
}

fn dumplists(args: DumplistsArgs) -> anyhow::Result<ExitCode> {
    let tape_bytes = parse_tape_size(&args.tape_size)?;
    if tape_bytes == 0 {
        return Err(exit::usage(
            "--tape-size: 0 bytes (expected a positive size)",
        ));
    }
    let schedule = Schedule::new(&args.schedule).map_err(exit::as_usage)?;
    let volumes = read_volume_lists(&args.volume_list)?;
    let vrlist = VrList::read(&args.vrlist)?;
    let selection = pack::select(&volumes, &vrlist)?;
    for w in &selection.warnings {
        warn(w);
    }
    let tapes = pack::first_fit_decreasing(selection.units.clone(), tape_bytes)?;
    let width = tapes.len().to_string().len().max(2);
    let file_name = |n: usize| format!("dumplist.{n:0width$}");
    let lists: Vec<Dumplist> = tapes
        .iter()
        .map(|t| {
            let entries = t
                .units
                .iter()
                .map(|u| DumplistEntry::for_volume(u.id, schedule.clone(), &u.name))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Dumplist { entries })
        })
        .collect::<Result<_, recovery_plan::Error>>()?;

    if let Some(dir) = &args.output_dir {
        write_dumplists(dir, &lists, &file_name, args.force)?;
    }

    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = dumplists_json(&tapes, &selection, tape_bytes, &schedule, &args, &file_name);
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        write_summary(
            &mut out,
            &tapes,
            tape_bytes,
            args.output_dir.as_deref(),
            &file_name,
        )?;
        if args.output_dir.is_none() {
            for (t, list) in tapes.iter().zip(&lists) {
                writeln!(out, "\n# tape {} ({})", t.number, file_name(t.number))?;
                out.write_all(list.to_text()?.as_bytes())?;
            }
        }
    }
    out.flush()?;
    let replicas: usize = selection
        .units
        .iter()
        .filter(|u| u.replicated)
        .map(|u| u.volumes.len())
        .sum();
    let _ = writeln!(
        std::io::stderr(),
        "coda-rs: planned {} volumes ({} replicas of replicated volumes), {} on {} tape(s) of {}; skipped {} backup/restored volume(s)",
        selection.units.len(),
        replicas,
        human(tapes.iter().map(|t| t.bytes).sum()),
        tapes.len(),
        human(tape_bytes),
        selection.skipped.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn write_dumplists(
    dir: &Path,
    lists: &[Dumplist],
    file_name: &dyn Fn(usize) -> String,
    force: bool,
) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("{}: create directory", dir.display()))?;
    let existing: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("{}: read directory", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("dumplist."))
        .map(|e| e.path())
        .collect();
    if let Some(first) = existing.first() {
        if !force {
            return Err(exit::refused(format!(
                "{}: a dumplist is already there (use --force to replace the dumplists in {})",
                first.display(),
                dir.display()
            )));
        }
    }
    let mut written = Vec::new();
    for (i, list) in lists.iter().enumerate() {
        let path = dir.join(file_name(i + 1));
        recovery_plan::atomic::write_atomic(&path, list.to_text()?.as_bytes())?;
        written.push(path);
    }
    for stale in existing.iter().filter(|p| !written.contains(p)) {
        fs::remove_file(stale)
            .with_context(|| format!("{}: remove old dumplist", stale.display()))?;
    }
    Ok(())
}

fn write_summary(
    out: &mut impl Write,
    tapes: &[Tape],
    tape_bytes: u64,
    dir: Option<&Path>,
    file_name: &dyn Fn(usize) -> String,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>4}  {:>7}  {:>15}  {:>6}  dumplist",
        "tape", "volumes", "bytes", "fill"
    )?;
    for t in tapes {
        let name = match dir {
            Some(d) => d.join(file_name(t.number)).display().to_string(),
            None => format!("{} (not written)", file_name(t.number)),
        };
        writeln!(
            out,
            "{:>4}  {:>7}  {:>15}  {:>5.1}%  {name}",
            t.number,
            t.units.len(),
            t.bytes,
            percent(t.bytes, tape_bytes)
        )?;
    }
    let total: u64 = tapes.iter().map(|t| t.bytes).sum();
    let count: usize = tapes.iter().map(|t| t.units.len()).sum();
    writeln!(
        out,
        "{:>4}  {:>7}  {:>15}  {:>5.1}%  {} tape(s) of {} ({} bytes)",
        "all",
        count,
        total,
        percent(total, tape_bytes * tapes.len().max(1) as u64),
        tapes.len(),
        human(tape_bytes),
        tape_bytes
    )
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

fn dumplists_json(
    tapes: &[Tape],
    selection: &Selection,
    tape_bytes: u64,
    schedule: &Schedule,
    args: &DumplistsArgs,
    file_name: &dyn Fn(usize) -> String,
) -> serde_json::Value {
    let tapes: Vec<_> = tapes
        .iter()
        .map(|t| {
            json!({
                "tape": t.number,
                "file": args.output_dir.as_ref().map(|d| d.join(file_name(t.number)).display().to_string()),
                "bytes": t.bytes,
                "fill_percent": (percent(t.bytes, tape_bytes) * 10.0).round() / 10.0,
                "volumes": t.units.iter().map(|u| json!({
                    "id": format!("{:x}", u.id),
                    "name": u.name,
                    "replicated": u.replicated,
                    "bytes": u.bytes,
                    "counted": u.volumes.iter().map(|v| json!({
                        "id": format!("{:x}", v.id),
                        "name": v.name,
                        "host": v.host,
                        "bytes": v.bytes,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "tape_bytes": tape_bytes,
        "schedule": schedule.as_str(),
        "tapes": tapes,
        "skipped": selection.skipped.iter().map(|s| json!({
            "id": format!("{:x}", s.id),
            "name": s.name,
            "reason": s.reason.describe(),
        })).collect::<Vec<_>>(),
        "warnings": selection.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
    })
}

fn recreate(args: RecreateArgs) -> anyhow::Result<ExitCode> {
    let volumes = read_volume_lists(&args.volume_list)?.for_server(args.server.as_deref())?;
    let vrlist = VrList::read(&args.vrlist)?;
    let plan = RecreatePlan::new(&volumes, &vrlist);
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = json!({
            "script": plan.script(),
            "create_rep": plan.create.iter().map(|c| json!({
                "partition": c.partition,
                "name": c.name,
                "group_id": format!("{:x}", c.group_id),
                "volume_id": format!("{:x}", c.volume_id),
            })).collect::<Vec<_>>(),
            "not_recreated": plan.not_recreated.iter().map(|n| json!({
                "name": n.name,
                "volume_id": format!("{:x}", n.volume_id),
                "reason": n.reason.to_string(),
            })).collect::<Vec<_>>(),
        });
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
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
