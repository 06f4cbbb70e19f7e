//! `coda-rs cfs`: venus pioctls, with cfs's command names and argument
//! order (`shared/spec/pioctl.md` §6, §7), exit codes and JSON.

use std::io::{self, BufRead, IsTerminal, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use cfs_ioctl::command::PathCommand;
use cfs_ioctl::servers::cfs_address_list;
use cfs_ioctl::view::{AclView, CheckServersView, FlushCacheView};
use cfs_ioctl::{acl, mountpoint, Client, TransportKind};
use clap::{Args, Subcommand, ValueEnum};

use crate::cmd::print_json;
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
}

/// The question the flushes ask (cfs's DANGER prompt) and how to skip it.
#[derive(Args)]
pub struct Confirm {
    /// Do not ask before flushing (needed when stdin is not a terminal).
    #[arg(long)]
    yes: bool,
}

/// Subcommands of `coda-rs cfs`.
#[derive(Subcommand)]
pub enum CfsCommand {
    /// Flush every object from venus's cache (asks first; `--yes` to skip).
    #[command(after_help = "Example:\n  coda-rs cfs flushcache --yes")]
    Flushcache {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        confirm: Confirm,
    },
    /// Flush objects from the cache (cfs `fl`; asks first).
    #[command(visible_alias = "fl")]
    #[command(after_help = "Example:\n  coda-rs cfs flushobject --yes /coda/usr/jan/file")]
    Flushobject {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        confirm: Confirm,
        /// Objects to flush.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Flush every cached object of the volumes holding PATHs (asks first).
    #[command(after_help = "Example:\n  coda-rs cfs flushvolume --yes /coda/usr/jan")]
    Flushvolume {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        confirm: Confirm,
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
pub fn run(cmd: CfsCommand) -> Result<ExitCode> {
    use PathCommand as P;
    let (common, c, command, paths) = match cmd {
        CfsCommand::Flushcache { common, confirm } => return flushcache(&common, confirm),
        CfsCommand::Flushobject {
            common,
            confirm: c,
            paths,
        } => (common, Some((c, "flushobject")), P::FlushObject, paths),
        CfsCommand::Flushvolume {
            common,
            confirm: c,
            paths,
        } => (common, Some((c, "flushvolume")), P::FlushVolume, paths),
        CfsCommand::Rmmount { common, dirs } => (common, None, P::Rmmount, dirs),
        CfsCommand::Mkmount {
            common,
            dir,
            volume,
        } => {
            let volume = volume.as_str();
            return each(&common, None, P::Mkmount { volume }, &[dir]);
        }
        CfsCommand::Lv {
            common,
            local,
            paths,
        } => (common, None, P::Lv { local }, paths),
        CfsCommand::Getfid { common, paths } => (common, None, P::Getfid, paths),
        CfsCommand::La { common, paths } => (common, None, P::La, paths),
        CfsCommand::Sa {
            common,
            path,
            name,
            rights,
            negative,
        } => return sa(&common, &path, &name, &rights, negative),
        CfsCommand::Checkservers { common, servers } => return checkservers(&common, &servers),
        CfsCommand::Whereis { common, paths } => (common, None, P::Whereis, paths),
    };
    each(&common, c, command, &paths)
}

/// Checks the mount point and opens the chosen transport. Nothing is sent
/// when the mount point is not a Coda filesystem.
fn connect(common: &Common) -> Result<Client> {
    let mnt = mountpoint::discover(common.mountpoint.as_deref());
    let kind = match common.transport {
        TransportArg::File => TransportKind::VirtualFile,
        TransportArg::Ioctl => TransportKind::ControlIoctl,
    };
    Ok(Client::connect(&mnt, kind)?)
}

/// `cfs flushcache`: asks (unless `--yes`), then flushes.
fn flushcache(common: &Common, c: Confirm) -> Result<ExitCode> {
    let venus = connect_and_confirm(common, Some((c, "flushcache")), &[])?;
    venus.flush_cache().context("flushcache")?;
    if common.json {
        print_json(&mut io::stdout().lock(), &FlushCacheView { flushed: true })?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Connects; for a flush (`confirm`: its flag and name) first asks cfs's question
/// (spec §7.1) unless `--yes`: without a terminal to ask on, refuses
/// (exit 3, nothing sent); on one, checks before asking that venus
/// answers for the mount point and each of `paths` (a getfid), so that
/// nobody is asked about a flush that cannot happen. Declining sends
/// nothing else and exits 3.
fn connect_and_confirm(
    common: &Common,
    confirm: Option<(Confirm, &str)>,
    paths: &[PathBuf],
) -> Result<Client> {
    let Some((_, command)) = confirm.filter(|(c, _)| !c.yes) else {
        return connect(common);
    };
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Err(exit::refused(format!(
            "{command}: refusing to flush without --yes (stdin is not a terminal); nothing sent"
        )));
    }
    let venus = connect(common)?;
    let mnt = venus.mountpoint().to_path_buf();
    for p in std::iter::once(&mnt).chain(paths) {
        venus.getfid(p).with_context(|| {
            format!(
                "{command}: {}: venus does not answer (is venus running? is {} mounted?); \
                 nothing asked, nothing flushed",
                p.display(),
                mnt.display()
            )
        })?;
    }
    let danger = match command {
        "flushcache" => "all files will be lost, if disconnected",
        "flushobject" => "these files will be lost, if disconnected",
        _ => "important files may be lost, if disconnected",
    };
    let mut err = io::stderr();
    write!(
        err,
        "\tDANGER:   {danger}\n\tDo you really want to do this? [n] "
    )?;
    err.flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if answer.starts_with('y') {
        writeln!(err, "\tFools rush in where angels fear to tread ........")?;
        Ok(venus)
    } else {
        writeln!(err, "\tDiscretion is the better part of valor!")?;
        Err(exit::refused(format!("{command}: declined; nothing sent")))
    }
}

/// Runs a command that sends one pioctl per path
/// ([`PathCommand::run`]): answers printed as they come, or with
/// `--json` one array at the end; each failure as `coda-rs: PATH: error`
/// on stderr, which makes the exit status 1 once every path was tried.
fn each(
    common: &Common,
    confirm: Option<(Confirm, &str)>,
    command: PathCommand,
    paths: &[PathBuf],
) -> Result<ExitCode> {
    let venus = connect_and_confirm(common, confirm, paths)?;
    let mut failed = false;
    let mut out = io::stdout().lock();
    let views = command.run(&venus, paths, common.json, &mut out, &mut |p, e| {
        eprintln!("coda-rs: {}: {e}", p.display());
        failed = true;
    })?;
    if common.json {
        print_json(&mut out, &views)?;
    }
    Ok(if failed {
        ExitCode::from(exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

fn sa(common: &Common, path: &Path, name: &str, rights: &str, negative: bool) -> Result<ExitCode> {
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
        print_json(&mut io::stdout().lock(), &AclView::new(path, &a))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn checkservers(common: &Common, servers: &[Ipv4Addr]) -> Result<ExitCode> {
    let venus = connect(common)?;
    eprintln!("Contacting servers .....");
    let down = venus.check_servers(servers).context("checkservers")?;
    let mut out = io::stdout().lock();
    if common.json {
        print_json(&mut out, &CheckServersView::new(&down))?;
    } else if down.is_empty() {
        writeln!(out, "All servers up")?;
    } else {
        writeln!(out, "These servers still down: {}", cfs_address_list(&down))?;
    }
    Ok(ExitCode::SUCCESS)
}
