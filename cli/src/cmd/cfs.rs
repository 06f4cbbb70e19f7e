//! `coda-rs cfs`: venus pioctls, with cfs's command names and argument
//! order (`shared/spec/pioctl.md` §6, §7), exit codes and JSON.

use std::io::{self, BufRead, IsTerminal, StdoutLock, Write};
use std::net::Ipv4Addr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use cfs_ioctl::servers::cfs_address_list;
use cfs_ioctl::view::{AclView, DoneView, FidView, VolumeView, WhereIsView};
use cfs_ioctl::{acl, mountpoint, Client, TransportKind};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::json;

use crate::cmd::{print_json, DryRun};
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
    /// Nothing is asked: the mount is checked and each path's fid read
    /// (getfid), then what would be done is printed.
    #[command(flatten)]
    dry: DryRun,
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
        /// Each link's fid is read (getfid) instead.
        #[command(flatten)]
        dry: DryRun,
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
        /// The fid of DIR's parent is read (getfid) instead.
        #[command(flatten)]
        dry: DryRun,
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
        /// The ACL is read and the new one printed (--json) instead of set.
        #[command(flatten)]
        dry: DryRun,
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
    match cmd {
        CfsCommand::Flushcache { common, confirm: c } => {
            if c.dry.dry_run {
                connect(&common)?;
                return would(&common, &[], "flush every object from venus's cache");
            }
            confirm(&c, "flushcache", "all files will be lost, if disconnected")?;
            let venus = connect(&common)?;
            venus.flush_cache().context("flushcache")?;
            if common.json {
                print_json(&mut io::stdout().lock(), &json!({ "flushed": true }))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        CfsCommand::Flushobject {
            common,
            confirm: c,
            paths,
        } if c.dry.dry_run => would(&common, &paths, "flush it from the cache"),
        CfsCommand::Flushobject {
            common,
            confirm: c,
            paths,
        } => {
            confirm(
                &c,
                "flushobject",
                "these files will be lost, if disconnected",
            )?;
            done(&common, &paths, Client::flush_object)
        }
        CfsCommand::Flushvolume {
            common,
            confirm: c,
            paths,
        } if c.dry.dry_run => would(&common, &paths, "flush its volume from the cache"),
        CfsCommand::Flushvolume {
            common,
            confirm: c,
            paths,
        } => {
            confirm(
                &c,
                "flushvolume",
                "important files may be lost, if disconnected",
            )?;
            done(&common, &paths, Client::flush_volume)
        }
        CfsCommand::Rmmount { common, dry, dirs } if dry.dry_run => {
            would(&common, &dirs, "remove this mount link")
        }
        CfsCommand::Rmmount { common, dirs, .. } => done(&common, &dirs, Client::rmmount),
        CfsCommand::Mkmount {
            common, dry, dir, ..
        } if dry.dry_run => {
            let parent = match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            would(&common, &[parent], "get the new mount link")
        }
        CfsCommand::Mkmount {
            common,
            dir,
            volume,
            ..
        } => done(&common, &[dir], |v, p| v.mkmount(p, &volume)),
        CfsCommand::Lv {
            common,
            local,
            paths,
        } => {
            let labelled = paths.len() > 1;
            each(
                &common,
                &paths,
                |v, p| v.volume_status(p, local),
                |p, r| r.ok().map(|r| VolumeView::new(p, r)),
                |out, p, r| {
                    let label = labelled.then(|| p.as_os_str().as_bytes());
                    r.write_cfs_listing(out, label, local)
                },
            )
        }
        CfsCommand::Getfid { common, paths } => {
            let width = label_width(&paths);
            each(
                &common,
                &paths,
                Client::getfid,
                |p, r| r.ok().map(|r| FidView::new(p, r)),
                |out, p, r| match width {
                    Some(width) => writeln!(out, "{:>width$}  {}", p.display(), r.cfs_line()),
                    None => writeln!(out, "{}", r.cfs_line()),
                },
            )
        }
        CfsCommand::La { common, paths } => {
            let labelled = paths.len() > 1;
            each(
                &common,
                &paths,
                Client::get_acl,
                |p, r| r.ok().map(|a| AclView::new(p, a)),
                |out, p, a| {
                    if labelled {
                        writeln!(out, "\n{}:", p.display())?;
                    }
                    out.write_all(a.cfs_table().as_bytes())
                },
            )
        }
        CfsCommand::Sa {
            common,
            dry,
            path,
            name,
            rights,
            negative,
        } => sa(&common, &path, &name, &rights, negative, dry.dry_run),
        CfsCommand::Checkservers { common, servers } => checkservers(&common, &servers),
        CfsCommand::Whereis { common, paths } => {
            let width = label_width(&paths);
            each(
                &common,
                &paths,
                Client::whereis,
                |p, r| r.ok().map(|w| WhereIsView::new(p, w)),
                |out, p, w| {
                    if let Some(width) = width {
                        write!(out, "  {:>width$}:  ", p.display())?;
                    }
                    writeln!(out, "{}", cfs_address_list(&w.active_servers()))
                },
            )
        }
    }
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

/// cfs's confirmation for the flushes (spec §7.1): a prompt on a terminal,
/// `--yes` otherwise. Declining sends nothing and exits 3.
fn confirm(c: &Confirm, command: &str, danger: &str) -> Result<()> {
    if c.yes {
        return Ok(());
    }
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Err(exit::refused(format!(
            "{command}: refusing to flush without --yes (stdin is not a terminal); nothing sent"
        )));
    }
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
        Ok(())
    } else {
        writeln!(err, "\tDiscretion is the better part of valor!")?;
        Err(exit::refused(format!("{command}: declined; nothing sent")))
    }
}

/// With several paths, the width their names are right-aligned to in
/// front of each answer (cfs's `%*s`); with one, no label.
fn label_width(paths: &[PathBuf]) -> Option<usize> {
    (paths.len() > 1).then(|| {
        paths
            .iter()
            .map(|p| p.to_string_lossy().len())
            .max()
            .unwrap_or(0)
    })
}

/// The per-path loop of every `cfs` command that takes paths: sends `op`
/// for each path in turn and prints each answer as it comes (`text`), or
/// with `--json` collects the `view`s of the outcomes (`None`: left out)
/// into one array printed at the end. A failure is reported on stderr as
/// `coda-rs: PATH: error`, after what stdout holds, and makes the exit
/// status 1 once every path has been tried.
fn each<T, V: Serialize>(
    common: &Common,
    paths: &[PathBuf],
    op: impl Fn(&Client, &Path) -> cfs_ioctl::Result<T>,
    view: impl Fn(&Path, Result<&T, &cfs_ioctl::Error>) -> Option<V>,
    text: impl Fn(&mut StdoutLock<'static>, &Path, &T) -> io::Result<()>,
) -> Result<ExitCode> {
    let venus = connect(common)?;
    let mut failed = false;
    let mut views = Vec::new();
    let mut out = io::stdout().lock();
    for p in paths {
        let result = op(&venus, p);
        if common.json {
            views.extend(view(p, result.as_ref()));
        }
        match &result {
            Ok(r) if !common.json => text(&mut out, p, r)?,
            Ok(_) => {}
            Err(e) => {
                out.flush()?;
                eprintln!("coda-rs: {}: {e}", p.display());
                failed = true;
            }
        }
    }
    if common.json {
        print_json(&mut out, &views)?;
    }
    Ok(if failed {
        ExitCode::from(exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--dry-run` of a command that changes venus's state: the mount is
/// checked and each path's fid read (getfid, which fails as the command
/// would for a path outside Coda), and `what` would be done to each is
/// printed; nothing that changes anything is sent. With `--json` every
/// path's outcome, as the command itself reports them.
fn would(common: &Common, paths: &[PathBuf], what: &str) -> Result<ExitCode> {
    if paths.is_empty() {
        crate::verbosity::summary(format_args!("coda-rs: dry run: would {what}; nothing sent"));
        if common.json {
            print_json(&mut io::stdout().lock(), &json!({ "dry_run": true }))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    each(
        common,
        paths,
        Client::getfid,
        |p, r| Some(DoneView::new(p, r.map(drop))),
        |_, p, _| {
            crate::verbosity::summary(format_args!(
                "{}: dry run: would {what}; nothing sent",
                p.display()
            ));
            Ok(())
        },
    )
}

/// [`each`] for the pioctls without a reply: nothing printed but
/// failures; with `--json` every path's outcome.
fn done(
    common: &Common,
    paths: &[PathBuf],
    op: impl Fn(&Client, &Path) -> cfs_ioctl::Result<()>,
) -> Result<ExitCode> {
    each(
        common,
        paths,
        op,
        |p, r| Some(DoneView::new(p, r.copied())),
        |_, _, _| Ok(()),
    )
}

fn sa(
    common: &Common,
    path: &Path,
    name: &str,
    rights: &str,
    negative: bool,
    dry_run: bool,
) -> Result<ExitCode> {
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
    if dry_run {
        crate::verbosity::summary(format_args!(
            "{}: dry run: would set the ACL to:\n{}",
            path.display(),
            a.cfs_table().trim_end()
        ));
    } else {
        venus
            .set_acl(path, &a)
            .with_context(|| format!("{}: setting the ACL", path.display()))?;
    }
    if common.json {
        print_json(&mut io::stdout().lock(), &AclView::new(path, &a))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn checkservers(common: &Common, servers: &[Ipv4Addr]) -> Result<ExitCode> {
    let venus = connect(common)?;
    if !crate::verbosity::quiet() {
        eprintln!("Contacting servers .....");
    }
    let down = venus.check_servers(servers).context("checkservers")?;
    let mut out = io::stdout().lock();
    if common.json {
        let down: Vec<String> = down.iter().map(ToString::to_string).collect();
        print_json(&mut out, &json!({ "down": down }))?;
    } else if down.is_empty() {
        writeln!(out, "All servers up")?;
    } else {
        writeln!(out, "These servers still down: {}", cfs_address_list(&down))?;
    }
    Ok(ExitCode::SUCCESS)
}
