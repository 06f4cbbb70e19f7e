//! `coda-rs cfs`: venus pioctls, with cfs's command names and argument
//! order (`shared/spec/pioctl.md` §6, §7), exit codes and JSON.

use std::io::{BufRead, IsTerminal, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use cfs_ioctl::volume_status::{connection_state_name, volume_type_name};
use cfs_ioctl::{acl, mountpoint, Client, TransportKind};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};

use crate::exit;

/// The transport named on the command line.
#[derive(Clone, Copy, ValueEnum)]
enum TransportArg {
    /// The virtual `<mnt>/...PIOCTL.<hex>` file (current cfs).
    File,
    /// The legacy ioctl on `<mnt>/.CONTROL`.
    Ioctl,
}

/// Options every `cfs` subcommand accepts.
#[derive(Args)]
pub struct Common {
    /// How to reach venus: `file` (virtual pioctl file, as current cfs) or
    /// `ioctl` (legacy ioctl on <mnt>/.CONTROL, better errno fidelity).
    #[arg(long, value_enum, default_value = "file")]
    transport: TransportArg,
    /// The Coda mount point [default: `mountpoint=` in venus.conf (found
    /// via CODACONFPATH, /etc/coda, /usr/local/etc/coda), else /coda].
    #[arg(long, value_name = "DIR")]
    mountpoint: Option<PathBuf>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    json: bool,
    /// Do not ask before flushing (needed when stdin is not a terminal).
    #[arg(long)]
    yes: bool,
}

const EXAMPLES: &str = "Examples:
  coda-rs cfs lv /coda/usr/jan
  coda-rs cfs lv --json /coda/usr/jan /coda/usr/bob
  coda-rs cfs mkmount /coda/tmp/restored/vol1 users:jan
  coda-rs cfs rmmount /coda/tmp/restored/vol1
  coda-rs cfs flushcache --yes
  coda-rs cfs sa /coda/usr/jan jan rlidwka
  coda-rs cfs getfid --transport ioctl /coda/usr/jan";

/// Subcommands of `coda-rs cfs`.
#[derive(Subcommand)]
#[command(after_help = EXAMPLES)]
pub enum CfsCommand {
    /// Flush every object from venus's cache (asks first; `--yes` to skip).
    #[command(after_help = "Example:\n  coda-rs cfs flushcache --yes")]
    Flushcache {
        #[command(flatten)]
        common: Common,
    },
    /// Flush objects from the cache (cfs `fl`; asks first).
    #[command(visible_alias = "fl")]
    #[command(after_help = "Example:\n  coda-rs cfs flushobject --yes /coda/usr/jan/file")]
    Flushobject {
        #[command(flatten)]
        common: Common,
        /// Objects to flush.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Flush every cached object of the volumes holding PATHs (asks first).
    #[command(after_help = "Example:\n  coda-rs cfs flushvolume --yes /coda/usr/jan")]
    Flushvolume {
        #[command(flatten)]
        common: Common,
        /// A path in each volume to flush.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Remove mount links.
    #[command(visible_alias = "rmm")]
    #[command(after_help = "Example:\n  coda-rs cfs rmmount /coda/tmp/restored/vol1")]
    Rmmount {
        #[command(flatten)]
        common: Common,
        /// Mount links to remove.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// Create a mount link DIR for VOLUME.
    #[command(visible_alias = "mkm")]
    #[command(after_help = "Example:\n  coda-rs cfs mkmount /coda/tmp/restored/vol1 users:jan")]
    Mkmount {
        #[command(flatten)]
        common: Common,
        /// The mount link to create.
        dir: PathBuf,
        /// The volume to mount (name[@realm]); empty: the volume of DIR's
        /// parent.
        #[arg(default_value = "")]
        volume: String,
    },
    /// Show the status of the volumes holding PATHs (cfs `listvol`).
    #[command(visible_alias = "listvol")]
    #[command(
        after_help = "Examples:\n  coda-rs cfs lv /coda/usr/jan\n  coda-rs cfs lv --json /coda/usr/jan"
    )]
    Lv {
        #[command(flatten)]
        common: Common,
        /// Do not contact the servers (cfs `-local`): no quota or usage.
        #[arg(long)]
        local: bool,
        /// A path in each volume.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Show the fid and version vector of objects.
    #[command(visible_alias = "gf")]
    #[command(after_help = "Example:\n  coda-rs cfs getfid /coda/usr/jan")]
    Getfid {
        #[command(flatten)]
        common: Common,
        /// Objects to examine (a symlink itself, not its target).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List a directory's access control list (cfs `listacl`).
    #[command(visible_alias = "listacl")]
    #[command(after_help = "Example:\n  coda-rs cfs la /coda/usr/jan")]
    La {
        #[command(flatten)]
        common: Common,
        /// Directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Set one entry of a directory's ACL (cfs `setacl`): reads the ACL,
    /// replaces or adds NAME's entry, drops entries without rights, sets it.
    #[command(visible_alias = "setacl")]
    #[command(
        after_help = "Examples:\n  coda-rs cfs sa /coda/usr/jan jan rlidwka\n  coda-rs cfs sa --negative /coda/usr/jan baduser rl\n  coda-rs cfs sa /coda/usr/jan olduser none"
    )]
    Sa {
        #[command(flatten)]
        common: Common,
        /// The directory.
        path: PathBuf,
        /// User or group name.
        name: String,
        /// Rights: letters from rlidwka, `all` or `none`.
        rights: String,
        /// Set the entry in the negative (denied rights) list.
        #[arg(long)]
        negative: bool,
    },
    /// Probe the servers and list those still down (cfs `cs`).
    #[command(visible_alias = "cs")]
    #[command(
        after_help = "Examples:\n  coda-rs cfs checkservers\n  coda-rs cfs checkservers 192.0.2.10 192.0.2.11"
    )]
    Checkservers {
        #[command(flatten)]
        common: Common,
        /// Only probe these servers (IPv4 addresses, at most 8).
        servers: Vec<Ipv4Addr>,
    },
    /// List the servers (and replica volume ids) of the volumes holding PATHs.
    #[command(after_help = "Example:\n  coda-rs cfs whereis /coda/usr/jan")]
    Whereis {
        #[command(flatten)]
        common: Common,
        /// A path in each volume.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

/// Runs one `coda-rs cfs` subcommand.
pub fn run(cmd: CfsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CfsCommand::Flushcache { common } => {
            confirm(
                &common,
                "flushcache",
                "all files will be lost, if disconnected",
            )?;
            let venus = connect(&common)?;
            venus.flush_cache().context("flushcache")?;
            if common.json {
                print_json(&json!({ "flushed": true }))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        CfsCommand::Flushobject { common, paths } => {
            confirm(
                &common,
                "flushobject",
                "these files will be lost, if disconnected",
            )?;
            let venus = connect(&common)?;
            each_simple(&common, &paths, |p| venus.flush_object(p))
        }
        CfsCommand::Flushvolume { common, paths } => {
            confirm(
                &common,
                "flushvolume",
                "important files may be lost, if disconnected",
            )?;
            let venus = connect(&common)?;
            each_simple(&common, &paths, |p| venus.flush_volume(p))
        }
        CfsCommand::Rmmount { common, dirs } => {
            let venus = connect(&common)?;
            each_simple(&common, &dirs, |p| venus.rmmount(p))
        }
        CfsCommand::Mkmount {
            common,
            dir,
            volume,
        } => {
            let venus = connect(&common)?;
            each_simple(&common, std::slice::from_ref(&dir), |p| {
                venus.mkmount(p, &volume)
            })
        }
        CfsCommand::Lv {
            common,
            local,
            paths,
        } => lv(&common, local, &paths),
        CfsCommand::Getfid { common, paths } => getfid(&common, &paths),
        CfsCommand::La { common, paths } => la(&common, &paths),
        CfsCommand::Sa {
            common,
            path,
            name,
            rights,
            negative,
        } => sa(&common, &path, &name, &rights, negative),
        CfsCommand::Checkservers { common, servers } => checkservers(&common, &servers),
        CfsCommand::Whereis { common, paths } => whereis(&common, &paths),
    }
}

/// Checks the mount point and opens the chosen transport. Nothing is sent
/// when the mount point is not a Coda filesystem.
fn connect(common: &Common) -> anyhow::Result<Client> {
    let mnt = mountpoint::discover(common.mountpoint.as_deref());
    let kind = match common.transport {
        TransportArg::File => TransportKind::VirtualFile,
        TransportArg::Ioctl => TransportKind::ControlIoctl,
    };
    Ok(Client::connect(&mnt, kind)?)
}

/// cfs's confirmation for the flushes (spec §7.1): a prompt on a terminal,
/// `--yes` otherwise. Declining sends nothing and exits 3.
fn confirm(common: &Common, command: &str, danger: &str) -> anyhow::Result<()> {
    if common.yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(exit::refused(format!(
            "{command}: refusing to flush without --yes (stdin is not a terminal); nothing sent"
        )));
    }
    let mut err = std::io::stderr();
    write!(
        err,
        "\tDANGER:   {danger}\n\tDo you really want to do this? [n] "
    )?;
    err.flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if answer.starts_with('y') {
        writeln!(err, "\tFools rush in where angels fear to tread ........")?;
        Ok(())
    } else {
        writeln!(err, "\tDiscretion is the better part of valor!")?;
        Err(exit::refused(format!("{command}: declined; nothing sent")))
    }
}

/// Prints one per-argument failure as `coda-rs: <path>: <error>`.
fn report(path: &Path, e: &cfs_ioctl::Error) {
    let _ = std::io::stdout().flush();
    eprintln!("coda-rs: {}: {e}", path.display());
}

fn finish(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_json(v: &Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn path_text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs an operation without output on every path; errors are reported
/// per path and make the exit status 1 at the end.
fn each_simple(
    common: &Common,
    paths: &[PathBuf],
    op: impl Fn(&Path) -> cfs_ioctl::Result<()>,
) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let mut results = Vec::new();
    for p in paths {
        match op(p) {
            Ok(()) => results.push(json!({ "path": path_text(p), "ok": true })),
            Err(e) => {
                report(p, &e);
                failed = true;
                results.push(json!({
                    "path": path_text(p),
                    "ok": false,
                    "error": e.to_string(),
                    "errno": e.errno().map(|n| n.raw_os_error()),
                }));
            }
        }
    }
    if common.json {
        print_json(&Value::Array(results))?;
    }
    Ok(finish(failed))
}

fn lv(common: &Common, local: bool, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let venus = connect(common)?;
    let mut failed = false;
    let mut results = Vec::new();
    let mut out = std::io::stdout().lock();
    for p in paths {
        let reply = match venus.volume_status(p, local) {
            Ok(r) => r,
            Err(e) => {
                out.flush()?;
                report(p, &e);
                failed = true;
                continue;
            }
        };
        if common.json {
            let s = &reply.status;
            results.push(json!({
                "path": path_text(p),
                "volume_id": s.vid,
                "name": lossy(&reply.name),
                "type": volume_type_name(s.vol_type),
                "connection_state": connection_state_name(reply.conn_state),
                "min_quota": s.min_quota,
                "max_quota": s.max_quota,
                "blocks_in_use": s.blocks_in_use,
                "partition_blocks_available": s.part_blocks_avail,
                "partition_max_blocks": s.part_max_blocks,
                "offline_message": lossy(&reply.offline_message),
                "motd": lossy(&reply.motd),
            }));
        } else {
            use std::os::unix::ffi::OsStrExt;
            let label = (paths.len() > 1).then(|| p.as_os_str().as_bytes());
            reply.write_cfs_listing(&mut out, label, local)?;
        }
    }
    drop(out);
    if common.json {
        print_json(&Value::Array(results))?;
    }
    Ok(finish(failed))
}

fn getfid(common: &Common, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let venus = connect(common)?;
    let width = paths.iter().map(|p| path_text(p).len()).max().unwrap_or(0);
    let mut failed = false;
    let mut results = Vec::new();
    let mut out = std::io::stdout().lock();
    for p in paths {
        let r = match venus.getfid(p) {
            Ok(r) => r,
            Err(e) => {
                out.flush()?;
                report(p, &e);
                failed = true;
                continue;
            }
        };
        if common.json {
            results.push(json!({
                "path": path_text(p),
                "fid": r.fid_text(),
                "volume": r.fid.volume,
                "vnode": r.fid.vnode,
                "unique": r.fid.unique,
                "realm": lossy(&r.realm),
                "version_vector": {
                    "versions": r.vv.versions,
                    "store_host_id": r.vv.host_id,
                    "store_uniquifier": r.vv.uniquifier,
                    "flags": r.vv.flags,
                },
            }));
        } else if paths.len() > 1 {
            writeln!(out, "{:>width$}  {}", path_text(p), r.cfs_line())?;
        } else {
            writeln!(out, "{}", r.cfs_line())?;
        }
    }
    drop(out);
    if common.json {
        print_json(&Value::Array(results))?;
    }
    Ok(finish(failed))
}

fn acl_json(path: &Path, a: &cfs_ioctl::Acl) -> Value {
    let entries = |list: &[cfs_ioctl::AclEntry]| {
        list.iter()
            .map(|e| {
                json!({
                    "name": e.name,
                    "rights": e.rights,
                    "letters": acl::rights_letters(e.rights),
                })
            })
            .collect::<Vec<_>>()
    };
    json!({
        "path": path_text(path),
        "positive": entries(&a.positive),
        "negative": entries(&a.negative),
    })
}

fn la(common: &Common, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let venus = connect(common)?;
    let mut failed = false;
    let mut results = Vec::new();
    let mut out = std::io::stdout().lock();
    for p in paths {
        let a = match venus.get_acl(p) {
            Ok(a) => a,
            Err(e) => {
                out.flush()?;
                report(p, &e);
                failed = true;
                continue;
            }
        };
        if common.json {
            results.push(acl_json(p, &a));
        } else {
            if paths.len() > 1 {
                writeln!(out, "\n{}:", p.display())?;
            }
            out.write_all(a.cfs_table().as_bytes())?;
        }
    }
    drop(out);
    if common.json {
        print_json(&Value::Array(results))?;
    }
    Ok(finish(failed))
}

fn sa(
    common: &Common,
    path: &Path,
    name: &str,
    rights: &str,
    negative: bool,
) -> anyhow::Result<ExitCode> {
    let rights = acl::parse_rights(rights).map_err(|bogus| {
        exit::usage(format!(
            "{bogus}: bogus rights (expected letters from rlidwka, `all` or `none`)"
        ))
    })?;
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(exit::usage(format!(
            "{name:?}: bad name (expected a user or group name without whitespace)"
        )));
    }
    let venus = connect(common)?;
    let mut a = venus
        .get_acl(path)
        .with_context(|| format!("{}: reading the ACL", path.display()))?;
    a.set(name, rights, negative);
    venus
        .set_acl(path, &a)
        .with_context(|| format!("{}: setting the ACL", path.display()))?;
    if common.json {
        print_json(&acl_json(path, &a))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn checkservers(common: &Common, servers: &[Ipv4Addr]) -> anyhow::Result<ExitCode> {
    let venus = connect(common)?;
    eprintln!("Contacting servers .....");
    let down = venus.check_servers(servers).context("checkservers")?;
    if common.json {
        let down: Vec<String> = down.iter().map(ToString::to_string).collect();
        print_json(&json!({ "down": down }))?;
    } else if down.is_empty() {
        println!("All servers up");
    } else {
        let mut line = String::from("These servers still down: ");
        for a in &down {
            line.push_str(&format!("  {a}"));
        }
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

fn whereis(common: &Common, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let venus = connect(common)?;
    let width = paths.iter().map(|p| path_text(p).len()).max().unwrap_or(0);
    let mut failed = false;
    let mut results = Vec::new();
    let mut out = std::io::stdout().lock();
    for p in paths {
        let w = match venus.whereis(p) {
            Ok(w) => w,
            Err(e) => {
                out.flush()?;
                report(p, &e);
                failed = true;
                continue;
            }
        };
        if common.json {
            let servers: Vec<String> = w.active_servers().iter().map(ToString::to_string).collect();
            let volumes: Vec<u32> = w.volumes.iter().copied().filter(|&v| v != 0).collect();
            results.push(json!({
                "path": path_text(p),
                "servers": servers,
                "replica_volume_ids": volumes,
            }));
        } else {
            let mut line = String::new();
            if paths.len() > 1 {
                line.push_str(&format!("  {:>width$}:  ", path_text(p)));
            }
            for a in w.active_servers() {
                line.push_str(&format!("  {a}"));
            }
            writeln!(out, "{line}")?;
        }
    }
    drop(out);
    if common.json {
        print_json(&Value::Array(results))?;
    }
    Ok(finish(failed))
}
