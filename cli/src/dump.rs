//! `coda-rs dump`: volume dump streams (codareaddump, codamergedump,
//! volutil restore's checks).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use volume_dump::create::{create_dump, CreateOptions};
use volume_dump::merge::{merge, MergeOptions};
use volume_dump::tree::{Fid, Namespace};
use volume_dump::verify::{verify, Severity, VerifyOptions};
use volume_dump::{
    vnode_type, volume_type, Dump, DumpHeader, DumpReader, Entry, ReadOptions, VersionVector,
    Vnode, VnodeClass, VnodeData, VolumeDiskData,
};

use crate::exit;

/// Subcommands of `coda-rs dump`.
#[derive(Subcommand)]
pub enum DumpCommand {
    /// List a dump: header, volume data and every vnode (like codareaddump).
    #[command(after_help = "Examples:\n  \
        coda-rs dump ls /backup/golden.dump\n  \
        coda-rs dump ls --json - < golden.dump\n  \
        coda-rs dump ls --tree golden.dump")]
    Ls(LsArgs),
    /// Check a dump completely (spec §9.3), optionally as the server's
    /// restore would (§9.1).
    #[command(after_help = "Examples:\n  \
        coda-rs dump verify golden.dump\n  \
        coda-rs dump verify --restore-checks golden.dump\n  \
        cat golden.dump | coda-rs dump verify --json -\n\n\
        Exit status: 0 no errors (warnings allowed), 1 errors found.")]
    Verify(VerifyArgs),
    /// Merge incremental dumps into a full dump (codamergedump).
    #[command(after_help = "Examples:\n  \
        coda-rs dump merge merged.dump full.dump incr1.dump\n  \
        coda-rs dump merge merged.dump full.dump mon.dump tue.dump\n  \
        ssh server 'volutil dump 1000002' | coda-rs dump merge merged.dump - incr.dump\n\n\
        The incrementals are applied pairwise, oldest first, exactly as chained\n\
        codamergedump runs would. OUT must not exist; it appears only when complete.")]
    Merge(MergeArgs),
    /// Write a full dump of a directory tree (restorable with volutil
    /// restore).
    #[command(after_help = "Examples:\n  \
        coda-rs dump create /srv/extracted/golden.backup -o golden.dump \\\n      \
        --volume-id 1000102 --volume-name golden.backup\n  \
        coda-rs dump create tree -o - --volume-id 0x1000102 --volume-name t.backup | gzip > t.dump.gz\n\n\
        Volume ids are hexadecimal, as volutil prints them. Directory ACLs come from\n\
        DIR/..CodaACLs.yaml (as written by codadump2tar / dump to-tar) when present;\n\
        otherwise the root gets System:Administrators rlidwka and subdirectories\n\
        inherit their parent's ACL. Owners are the files' numeric uids.")]
    Create(CreateArgs),
    /// Convert a dump to a tar archive (codadump2tar).
    #[command(after_help = "Examples:\n  \
        coda-rs dump to-tar golden.dump -o golden.tar\n  \
        coda-rs dump to-tar --pax golden.dump -o golden.tar\n  \
        ssh server 'volutil dump 1000002' | coda-rs dump to-tar - > golden.tar\n\n\
        The output equals codadump2tar's byte for byte (the ..CodaACLs.yaml member's\n\
        time aside). Where codadump2tar fails part-way (unreadable file data), this\n\
        exits 1 and leaves no OUT.")]
    ToTar(crate::dump_tar::ToTarArgs),
    /// Restore a dump chain (full dump + incrementals) into a directory
    /// tree, resumably.
    #[command(after_help = "Examples:\n  \
        coda-rs dump restore vol.full --into /restore/vol\n  \
        coda-rs dump restore vol.full mon.incr tue.incr --into /coda/.../newvol\n  \
        ssh server 'volutil dump 1000002' | coda-rs dump restore - --into /restore/vol\n  \
        coda-rs dump restore - --into /restore/vol --resume < vol.full\n\n\
        DIR becomes the volume's root directory (created if missing). The incrementals are\n\
        read first and applied while the full dump streams: the tree equals restoring the\n\
        merged dump. A journal (.coda-rs-restore.json) in DIR lets --resume continue after\n\
        a crash (supply the same stream again). A non-empty DIR is refused (exit 3) unless\n\
        --resume (with its journal) or --force. ACLs go to DIR/..CodaACLs.yaml (the\n\
        codadump2tar format) unless --acls skip. Owners are set when run as root.")]
    Restore(RestoreArgs),
}

/// Where `dump restore` puts directory ACLs.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AclsArg {
    /// `coda` when DIR is on a Coda mount, else `yaml`.
    Auto,
    /// Set each directory's ACL with the setacl pioctl (DIR on a Coda mount).
    Coda,
    /// `..CodaACLs.yaml` in the target directory.
    Yaml,
    /// Do not restore ACLs.
    Skip,
}

/// `coda-rs dump restore`.
#[derive(Args)]
pub struct RestoreArgs {
    /// The full dump: a file, `-` for stdin, or a tape device.
    pub source: PathBuf,
    /// Incremental dumps, oldest first (files).
    pub incrementals: Vec<PathBuf>,
    /// SOURCE is a tape drive (automatic for character devices): read it
    /// record by record up to the filemark.
    #[arg(long)]
    pub tape: bool,
    /// Space forward over N filemarks (MTFSF) before reading (tape only).
    #[arg(long, value_name = "N")]
    pub tape_file: Option<u32>,
    /// Read tape records of exactly this many bytes (default: detect).
    #[arg(long, value_name = "BYTES")]
    pub block_size: Option<usize>,
    /// SOURCE is a tar archive: restore the dump in its member NAME (whole
    /// name or last component).
    #[arg(long, value_name = "NAME")]
    pub tar_member: Option<String>,
    /// The directory that becomes the volume's root.
    #[arg(long, value_name = "DIR")]
    pub into: PathBuf,
    /// Continue an interrupted restore from the journal in DIR.
    #[arg(long)]
    pub resume: bool,
    /// Restore into a non-empty DIR, replacing what has the same names.
    #[arg(long)]
    pub force: bool,
    /// Where directory ACLs go.
    #[arg(long, value_enum, default_value = "auto")]
    pub acls: AclsArg,
    /// Writer threads for small files.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// Flush the file system before each journal update (survives power loss).
    #[arg(long)]
    pub sync: bool,
    /// Objects between journal updates.
    #[arg(long, default_value_t = 2048, hide = true)]
    pub journal_every: u64,
    /// Skip the check of the incrementals' ordering stamps (spec §8.3).
    #[arg(long)]
    pub no_stamp_check: bool,
    /// Accept fields in any order.
    #[arg(long)]
    pub lenient: bool,
    /// No progress bar (the summary line and errors are still printed).
    #[arg(long)]
    pub quiet: bool,
    /// The summary as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coda-rs dump ls`.
#[derive(Args)]
pub struct LsArgs {
    /// The dump file, or `-` for stdin.
    pub dump: PathBuf,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also list the reconstructed tree: every path from the directory
    /// pages, with type, mode, owner, mtime, size, sha256, symlink target
    /// and directory ACL.
    #[arg(long)]
    pub tree: bool,
    /// Accept fields in any order.
    #[arg(long)]
    pub lenient: bool,
}

/// `coda-rs dump verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The dump file, or `-` for stdin.
    pub dump: PathBuf,
    /// With --against: incremental dumps applied on top, oldest first.
    pub incrementals: Vec<PathBuf>,
    /// Compare the directory tree DIR (a restore) with the dump chain and
    /// list every difference.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Also apply the rules of the server's `volutil restore` (spec §9.1).
    #[arg(long)]
    pub restore_checks: bool,
    /// Accept fields in any order.
    #[arg(long)]
    pub lenient: bool,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `coda-rs dump merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The merged dump to write (must not exist).
    pub out: PathBuf,
    /// The full dump, or `-` for stdin (read once, forward).
    pub full: PathBuf,
    /// Incremental dumps, oldest first.
    #[arg(required = true)]
    pub incrementals: Vec<PathBuf>,
    /// Merge even if the ordering stamps say an incremental does not apply
    /// to the dump before it (codamergedump never checks them).
    #[arg(long)]
    pub ignore_stamps: bool,
    /// Accept fields in any order.
    #[arg(long)]
    pub lenient: bool,
}

/// `coda-rs dump create`.
#[derive(Args)]
pub struct CreateArgs {
    /// The directory tree to dump (its root becomes the volume root).
    pub dir: PathBuf,
    /// Output file, or `-` for stdout.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Volume id (hexadecimal).
    #[arg(long, value_parser = parse_hex_id)]
    pub volume_id: u32,
    /// Volume name (at most 31 bytes), e.g. `golden.backup`.
    #[arg(long)]
    pub volume_name: String,
    /// Read-write parent volume id (hexadecimal); default: the volume id.
    #[arg(long, value_parser = parse_hex_id)]
    pub parent_id: Option<u32>,
    /// Server partition recorded in the volume data.
    #[arg(long, default_value = "/vicepa")]
    pub partition: String,
    /// Mark the dump as a read-only clone instead of a backup clone.
    #[arg(long)]
    pub read_only: bool,
    /// Dump date (Unix seconds); default: now.
    #[arg(long)]
    pub date: Option<u32>,
    /// Overwrite OUT if it exists.
    #[arg(long)]
    pub force: bool,
}

fn parse_hex_id(s: &str) -> std::result::Result<u32, String> {
    let t = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u32::from_str_radix(t, 16).map_err(|_| format!("`{s}` is not a hexadecimal volume id"))
}

/// Runs one `coda-rs dump` subcommand.
pub fn run(cmd: DumpCommand) -> Result<ExitCode> {
    match cmd {
        DumpCommand::Ls(a) => ls(a),
        DumpCommand::Verify(a) => verify_cmd(a),
        DumpCommand::Merge(a) => merge_cmd(a),
        DumpCommand::Create(a) => create_cmd(a),
        DumpCommand::ToTar(a) => crate::dump_tar::run(a),
        DumpCommand::Restore(a) => restore_cmd(a),
    }
}

/// Opens a dump for reading: a file, or stdin for `-`.
pub fn open_input(path: &Path) -> Result<Box<dyn Read>> {
    if path == Path::new("-") {
        Ok(Box::new(io::stdin().lock()))
    } else {
        let f = File::open(path).with_context(|| path.display().to_string())?;
        Ok(Box::new(f))
    }
}

fn read_opts(lenient: bool) -> ReadOptions {
    ReadOptions { lenient }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ----- ls ----------------------------------------------------------------

fn ls(a: LsArgs) -> Result<ExitCode> {
    let subject = a.dump.display().to_string();
    let input = open_input(&a.dump)?;
    let mut r = DumpReader::with_options(input, read_opts(a.lenient)).context(subject.clone())?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let header = r.header().clone();
    let volume = r.volume().clone();
    let mut indexes: Vec<Value> = Vec::new();
    let mut end = Value::Null;
    if !a.json {
        print_header(&mut out, &header, &volume)?;
    }
    let mut class = VnodeClass::Large;
    let mut tree = a.tree.then(|| TreeListing::new(&volume.name));
    while let Some(entry) = r.next_entry().context(subject.clone())? {
        if let Some(t) = tree.as_mut() {
            t.visit(&entry, &mut r, &subject)?;
        }
        match &entry {
            Entry::Index { class: c, .. } => class = *c,
            Entry::End {
                offset,
                trailing_bytes,
            } => {
                end = json!({ "offset": offset, "trailing_bytes": trailing_bytes });
            }
            _ => {}
        }
        if a.json {
            match &entry {
                Entry::Index {
                    offset,
                    class,
                    header,
                } => indexes.push(json!({
                    "class": class.name(),
                    "offset": offset,
                    "vnode_count": header.vnode_count,
                    "slots": header.slots,
                    "entries": [],
                })),
                Entry::End { .. } => {}
                e => {
                    if let Some(Value::Array(list)) =
                        indexes.last_mut().and_then(|i| i.get_mut("entries"))
                    {
                        list.push(entry_json(e));
                    }
                }
            }
        } else {
            print_entry(&mut out, &entry, class)?;
        }
    }
    let tree = tree.map(|t| t.finish(&subject));
    if a.json {
        let mut doc = json!({
            "header": header_json(&header),
            "volume": volume_json(&volume),
            "indexes": indexes,
            "end": end,
        });
        if let Some(t) = tree {
            doc["tree"] = Value::Array(t);
        }
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else if let Some(t) = tree {
        writeln!(out, "tree:")?;
        for e in &t {
            let size = e.get("size").map_or_else(String::new, Value::to_string);
            write!(
                out,
                "  {:<7} {:>4} {:>6} {:>10} {} {}",
                e["type"].as_str().unwrap_or(""),
                e["mode"].as_str().unwrap_or(""),
                e["owner"].to_string(),
                size,
                utc(e["mtime"].as_u64().unwrap_or(0) as u32),
                e["path"].as_str().unwrap_or("")
            )?;
            if let Some(Value::String(target)) = e.get("target") {
                write!(out, " -> {target}")?;
            }
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Builds the `--tree` listing while the dump streams past: directories
/// (large index) first give the names, then every object is listed at
/// each of its paths (spec §11.7; keys as in the golden manifests).
struct TreeListing {
    ns: Namespace,
    dirs: Vec<Vnode>,
    out: Vec<Value>,
    class: VnodeClass,
    dirs_listed: bool,
}

impl TreeListing {
    fn new(root_name: &[u8]) -> Self {
        TreeListing {
            ns: Namespace::new(root_name),
            dirs: Vec::new(),
            out: Vec::new(),
            class: VnodeClass::Large,
            dirs_listed: false,
        }
    }

    fn visit<R: Read>(
        &mut self,
        entry: &Entry,
        r: &mut DumpReader<R>,
        subject: &str,
    ) -> Result<()> {
        match entry {
            Entry::Index { class, .. } => {
                self.class = *class;
                if *class == VnodeClass::Small {
                    self.list_dirs(subject);
                }
            }
            Entry::Vnode(ve) if self.class == VnodeClass::Large => {
                let data_at = r.offset();
                let pages = r.read_data_to_vec().context(subject.to_string())?;
                if let Err(e) = self.ns.add_directory(&ve.vnode, &pages, data_at) {
                    eprintln!("coda-rs: warning: {subject}: {e}");
                }
                self.dirs.push(ve.vnode.clone());
            }
            Entry::Vnode(ve) => {
                let v = &ve.vnode;
                let mut hasher = Sha256::new();
                let mut target = Vec::new();
                let mut size = 0u64;
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = r.read_data(&mut buf).context(subject.to_string())?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buf[..n]);
                    if v.vnode_type == vnode_type::SYMLINK && target.len() < 64 * 1024 {
                        target.extend_from_slice(&buf[..n]);
                    }
                    size += n as u64;
                }
                let digest: String = hasher
                    .finalize()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let fid = (v.vnode, v.unique);
                let kind = if v.vnode_type == vnode_type::SYMLINK {
                    "symlink"
                } else {
                    "file"
                };
                for path in self.paths(fid) {
                    let mut e = json!({
                        "path": path,
                        "type": kind,
                        "vnode": v.vnode,
                        "unique": v.unique,
                        "size": size,
                        "mode": format!("{:o}", v.mode & 0o7777),
                        "owner": v.owner,
                        "mtime": v.mtime,
                        "links": v.links,
                        "sha256": digest,
                    });
                    if kind == "symlink" {
                        e["target"] = Value::String(lossy(&target));
                    }
                    if ve.data == VnodeData::BadInode {
                        e["bad_inode"] = Value::Bool(true);
                    }
                    self.out.push(e);
                }
            }
            Entry::End { .. } => self.list_dirs(subject),
            _ => {}
        }
        Ok(())
    }

    fn paths(&self, fid: Fid) -> Vec<String> {
        let n = self.ns.names(fid).len().max(1);
        (0..n).map(|k| lossy(&self.ns.path(fid, k))).collect()
    }

    /// Lists the directories once all are known, after warning about a
    /// namespace that is not a tree.
    fn list_dirs(&mut self, subject: &str) {
        if self.dirs_listed {
            return;
        }
        self.dirs_listed = true;
        for p in self.ns.shape_problems() {
            eprintln!(
                "coda-rs: warning: {subject}: byte offset {}: {p} (dump restore and dump to-tar refuse this dump)",
                p.offset()
            );
        }
        for v in &self.dirs {
            for path in self.paths((v.vnode, v.unique)) {
                self.out.push(json!({
                    "path": path,
                    "type": "dir",
                    "vnode": v.vnode,
                    "unique": v.unique,
                    "mode": format!("{:o}", v.mode & 0o7777),
                    "owner": v.owner,
                    "mtime": v.mtime,
                    "acl": v.acl.as_deref().map(lossy),
                }));
            }
        }
    }

    fn finish(mut self, subject: &str) -> Vec<Value> {
        self.list_dirs(subject);
        self.out
    }
}

fn header_json(h: &DumpHeader) -> Value {
    json!({
        "version": h.version,
        "volume_id": h.volume_id,
        "parent_id": h.parent_id,
        "volume_name": lossy(&h.volume_name),
        "backup_date": h.backup_date,
        "incremental": h.incremental,
        "oldest": h.oldest,
        "latest": h.latest,
    })
}

fn vv_json(vv: &VersionVector) -> Value {
    json!({
        "versions": vv.versions,
        "store_host": vv.store_host,
        "store_unique": vv.store_unique,
        "flags": vv.flags,
    })
}

fn volume_json(v: &VolumeDiskData) -> Value {
    json!({
        "id": v.id,
        "stamp_version": v.stamp_version,
        "name": lossy(&v.name),
        "partition": lossy(&v.partition),
        "in_service": v.in_service,
        "blessed": v.blessed,
        "uniquifier": v.uniquifier,
        "type": v.volume_type,
        "parent_id": v.parent_id,
        "group_id": v.group_id,
        "clone_id": v.clone_id,
        "backup_id": v.backup_id,
        "max_quota": v.max_quota,
        "min_quota": v.min_quota,
        "max_files": v.max_files,
        "disk_used": v.disk_used,
        "file_count": v.file_count,
        "link_count": v.link_count,
        "account_number": v.account_number,
        "owner": v.owner,
        "creation_date": v.creation_date,
        "access_date": v.access_date,
        "update_date": v.update_date,
        "expiration_date": v.expiration_date,
        "backup_date": v.backup_date,
        "offline_message": lossy(&v.offline_message),
        "motd": lossy(&v.motd),
        "week_use": v.week_use,
        "day_use_date": v.day_use_date,
        "day_use": v.day_use,
        "version_vector": vv_json(&v.version_vector),
    })
}

fn vnode_json(offset: u64, v: &Vnode, data: VnodeData) -> Value {
    let data = match data {
        VnodeData::DirPages(n) => json!({ "kind": "pages", "pages": n }),
        VnodeData::File(n) => json!({ "kind": "file", "size": n }),
        VnodeData::BadInode => json!({ "kind": "bad_inode" }),
    };
    json!({
        "record": "vnode",
        "offset": offset,
        "vnode": v.vnode,
        "unique": v.unique,
        "type": v.vnode_type,
        "mode": format!("{:o}", v.mode),
        "links": v.links,
        "length": v.length,
        "data_version": v.data_version,
        "version_vector": vv_json(&v.version_vector),
        "mtime": v.mtime,
        "author": v.author,
        "owner": v.owner,
        "parent_vnode": v.parent_vnode,
        "parent_unique": v.parent_unique,
        "acl": v.acl.as_deref().map(lossy),
        "data": data,
    })
}

fn entry_json(e: &Entry) -> Value {
    match e {
        Entry::Vnode(ve) => vnode_json(ve.offset, &ve.vnode, ve.data),
        Entry::Removed {
            offset,
            vnode,
            unique,
        } => json!({ "record": "removed", "offset": offset, "vnode": vnode, "unique": unique }),
        Entry::Null { offset } => json!({ "record": "null", "offset": offset }),
        Entry::Index { .. } | Entry::End { .. } => Value::Null,
    }
}

fn print_header(out: &mut impl Write, h: &DumpHeader, v: &VolumeDiskData) -> io::Result<()> {
    let kind = if h.is_full() {
        "full".to_string()
    } else {
        format!("incremental (level {})", h.incremental)
    };
    writeln!(out, "dump: {kind}, version {}", h.version)?;
    writeln!(
        out,
        "volume {:08x} {} (parent {:08x}), backup date {}",
        h.volume_id,
        lossy(&h.volume_name),
        h.parent_id,
        utc(h.backup_date)
    )?;
    writeln!(
        out,
        "ordering stamps: oldest {}, latest {}",
        h.oldest, h.latest
    )?;
    writeln!(
        out,
        "volume data: id {:08x} name {} partition {} type {} parent {:08x} group {:08x} clone {:08x} backup {:08x}",
        v.id,
        lossy(&v.name),
        lossy(&v.partition),
        v.volume_type,
        v.parent_id,
        v.group_id,
        v.clone_id,
        v.backup_id
    )?;
    writeln!(
        out,
        "  in service {} blessed {} uniquifier {} stamp version {}",
        v.in_service, v.blessed, v.uniquifier, v.stamp_version
    )?;
    writeln!(
        out,
        "  quota max {} min {} maxfiles {} diskused {} filecount {} linkcount {} account {} owner {}",
        v.max_quota, v.min_quota, v.max_files, v.disk_used, v.file_count, v.link_count, v.account_number, v.owner
    )?;
    writeln!(
        out,
        "  created {} accessed {} updated {} expires {} backup {}",
        utc(v.creation_date),
        utc(v.access_date),
        utc(v.update_date),
        utc(v.expiration_date),
        utc(v.backup_date)
    )?;
    writeln!(
        out,
        "  offline message {:?} motd {:?} dayUse {} dayUseDate {} weekUse {:?}",
        lossy(&v.offline_message),
        lossy(&v.motd),
        v.day_use,
        utc(v.day_use_date),
        v.week_use
    )?;
    writeln!(out, "  version vector {}", vv_text(&v.version_vector))
}

fn print_entry(out: &mut impl Write, e: &Entry, class: VnodeClass) -> io::Result<()> {
    match e {
        Entry::Index { offset, header, .. } => writeln!(
            out,
            "{} index at {offset}: {} vnodes in {} slots",
            class.name(),
            header.vnode_count,
            header.slots
        ),
        Entry::Vnode(ve) => {
            let v = &ve.vnode;
            let kind = match v.vnode_type {
                1 => "file",
                2 => "dir",
                3 => "symlink",
                _ => "?",
            };
            let data = match ve.data {
                VnodeData::DirPages(n) => format!("{n} pages"),
                VnodeData::File(n) => format!("{n} bytes"),
                VnodeData::BadInode => "BAD INODE".into(),
            };
            writeln!(
                out,
                "  {:>10}  {:x}.{:x} {kind} mode {:o} links {} length {} dv {} mtime {} owner {} author {} parent {:x}.{:x} vv {} data {data}",
                ve.offset,
                v.vnode,
                v.unique,
                v.mode,
                v.links,
                v.length,
                v.data_version,
                utc(v.mtime),
                v.owner,
                v.author,
                v.parent_vnode,
                v.parent_unique,
                vv_text(&v.version_vector),
            )?;
            if let Some(acl) = &v.acl {
                writeln!(out, "              acl {:?}", lossy(acl))?;
            }
            Ok(())
        }
        Entry::Removed {
            offset,
            vnode,
            unique,
        } => writeln!(out, "  {offset:>10}  {vnode:x}.{unique:x} removed"),
        Entry::Null { offset } => writeln!(out, "  {offset:>10}  null vnode"),
        Entry::End {
            offset,
            trailing_bytes,
        } => {
            write!(out, "end of dump at {offset}")?;
            if *trailing_bytes > 0 {
                write!(out, ", {trailing_bytes} trailing bytes")?;
            }
            writeln!(out)
        }
    }
}

fn vv_text(vv: &VersionVector) -> String {
    let sites: Vec<String> = vv.versions.iter().map(|v| v.to_string()).collect();
    format!(
        "[{}] [{:x}.{:x}] [{}]",
        sites.join(" "),
        vv.store_host,
        vv.store_unique,
        vv.flags
    )
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS` UTC (0 stays `0`).
pub fn utc(secs: u32) -> String {
    if secs == 0 {
        return "0".into();
    }
    let days = i64::from(secs / 86_400);
    let rem = secs % 86_400;
    // Civil-from-days (proleptic Gregorian), Howard Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

// ----- verify ------------------------------------------------------------

fn verify_cmd(a: VerifyArgs) -> Result<ExitCode> {
    if let Some(dir) = &a.against {
        return verify_against_cmd(&a, dir);
    }
    if !a.incrementals.is_empty() {
        return Err(exit::usage(
            "dump verify: incremental dumps are only taken with --against DIR",
        ));
    }
    let subject = a.dump.display().to_string();
    let input = open_input(&a.dump)?;
    let opts = VerifyOptions {
        read: read_opts(a.lenient),
        restore_checks: a.restore_checks,
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let rep = match verify(input, opts) {
        Ok(rep) => rep,
        Err(e) => {
            if a.json {
                let doc = json!({ "ok": false, "fatal": e.to_string(), "offset": e.offset() });
                writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
            }
            return Err(anyhow::Error::new(e).context(subject));
        }
    };
    let errors = rep.count(Severity::Error);
    let warnings = rep.count(Severity::Warning);
    if a.json {
        let problems: Vec<Value> = rep
            .problems
            .iter()
            .map(|p| {
                json!({
                    "offset": p.offset,
                    "severity": match p.severity { Severity::Error => "error", Severity::Warning => "warning" },
                    "message": p.message,
                })
            })
            .collect();
        let doc = json!({
            "ok": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "problems": problems,
            "header": header_json(&rep.header),
            "vnodes": { "large": rep.vnodes[0], "small": rep.vnodes[1] },
            "removed": rep.removed,
            "bytes": rep.bytes,
            "trailing_bytes": rep.trailing_bytes,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for p in &rep.problems {
            let sev = match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            writeln!(
                out,
                "{subject}: byte offset {}: {sev}: {}",
                p.offset, p.message
            )?;
        }
        let kind = if rep.header.is_full() {
            "full dump".to_string()
        } else {
            format!("incremental dump (level {})", rep.header.incremental)
        };
        writeln!(
            out,
            "{subject}: {}: {kind} of {} ({:08x}), {} directories, {} files/symlinks, {} removals, {} bytes; {errors} errors, {warnings} warnings",
            if errors == 0 { "ok" } else { "FAILED" },
            lossy(&rep.header.volume_name),
            rep.header.volume_id,
            rep.vnodes[0],
            rep.vnodes[1],
            rep.removed,
            rep.bytes,
        )?;
    }
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    })
}

// ----- merge -------------------------------------------------------------

fn merge_cmd(a: MergeArgs) -> Result<ExitCode> {
    if a.out == Path::new("-") {
        return Err(exit::usage(
            "OUT must be a regular file (its index counts are patched after writing), not stdout",
        ));
    }
    if a.out.symlink_metadata().is_ok() {
        return Err(exit::refused(format!(
            "{}: exists; merge never overwrites its output",
            a.out.display()
        )));
    }
    let mut incrementals = Vec::new();
    for p in &a.incrementals {
        if p == Path::new("-") {
            return Err(exit::usage(
                "incremental dumps must be files (only FULL may be `-`)",
            ));
        }
        let bytes = std::fs::read(p).with_context(|| p.display().to_string())?;
        let d = Dump::read(&bytes[..], read_opts(a.lenient))
            .with_context(|| p.display().to_string())?;
        incrementals.push(d);
    }
    let mut out = crate::output::create(&a.out, false)?;
    let input = open_input(&a.full)?;
    let opts = MergeOptions {
        read: read_opts(a.lenient),
        check_stamps: !a.ignore_stamps,
    };
    let report = merge(input, &incrementals, &mut out, opts)
        .with_context(|| a.full.display().to_string())?;
    crate::output::commit(out, &a.out, "exists; merge never overwrites its output")?;
    for w in &report.warnings {
        eprintln!("coda-rs: warning: {w}");
    }
    println!(
        "{}: full dump of {} ({:08x}), stamps {} -> {}, {} + {} vnodes, {} bytes",
        a.out.display(),
        lossy(&report.header.volume_name),
        report.header.volume_id,
        report.header.oldest,
        report.header.latest,
        report.vnode_counts[0],
        report.vnode_counts[1],
        report.bytes
    );
    Ok(ExitCode::SUCCESS)
}

// ----- create ------------------------------------------------------------

fn create_cmd(a: CreateArgs) -> Result<ExitCode> {
    if a.volume_name.is_empty() || a.volume_name.len() > 31 {
        return Err(exit::usage("--volume-name must be 1 to 31 bytes"));
    }
    if a.volume_id == 0 {
        return Err(exit::usage("--volume-id must not be 0"));
    }
    let date = match a.date {
        Some(d) => d,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as u32),
    };
    let mut opts = CreateOptions::new(a.volume_id, a.volume_name.as_bytes(), date);
    opts.parent_id = a.parent_id;
    opts.partition = a.partition.into_bytes();
    if a.read_only {
        opts.volume_type = volume_type::READ_ONLY;
    }
    let report = if a.output == Path::new("-") {
        let stdout = io::stdout();
        let (_, report) = create_dump(&a.dir, &opts, stdout.lock())?;
        report
    } else {
        if !a.force && a.output.symlink_metadata().is_ok() {
            return Err(exit::refused(format!(
                "{}: exists (use --force to overwrite)",
                a.output.display()
            )));
        }
        let dir = match a.output.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if let (Ok(out_dir), Ok(tree)) = (dir.canonicalize(), a.dir.canonicalize()) {
            if out_dir.starts_with(&tree) {
                return Err(exit::usage(format!(
                    "{}: the output must not be inside the tree being dumped ({})",
                    a.output.display(),
                    a.dir.display()
                )));
            }
        }
        let mut out = crate::output::create(&a.output, a.force)?;
        let (w, report) = create_dump(&a.dir, &opts, BufWriter::new(&mut out))?;
        w.into_inner()
            .map_err(|e| anyhow::Error::new(e.into_error()))
            .with_context(|| a.output.display().to_string())?;
        crate::output::commit(out, &a.output, "exists (use --force to overwrite)")?;
        report
    };
    for w in &report.warnings {
        eprintln!("coda-rs: warning: {w}");
    }
    eprintln!(
        "{}: full dump of {} ({:08x}): {} directories, {} files/symlinks, {} bytes",
        a.output.display(),
        a.volume_name,
        a.volume_id,
        report.directories,
        report.files,
        report.bytes
    );
    Ok(ExitCode::SUCCESS)
}

// ----- restore -----------------------------------------------------------

/// Test hook: the restore kills itself (SIGKILL) after this many objects.
const ENV_ABORT_AFTER: &str = "CODA_RS_TEST_ABORT_AFTER_VNODES";

/// Reads the incrementals of a chain into memory (they are small).
fn read_incrementals(paths: &[PathBuf], source: &Path, lenient: bool) -> Result<Vec<Dump>> {
    let mut incs = Vec::new();
    for p in paths {
        if p == Path::new("-") {
            return Err(exit::usage(
                "incremental dumps must be files (only the full dump can come from stdin)",
            ));
        }
        if p == source {
            return Err(exit::usage(format!(
                "{}: given both as the full dump and as an incremental",
                p.display()
            )));
        }
        let f = File::open(p).with_context(|| p.display().to_string())?;
        let d = Dump::read(io::BufReader::with_capacity(1 << 20, f), read_opts(lenient))
            .with_context(|| p.display().to_string())?;
        incs.push(d);
    }
    Ok(incs)
}

/// True when `dir` (or its nearest existing ancestor) is on a Coda mount.
fn on_coda(dir: &Path) -> bool {
    let mut p = dir;
    loop {
        if p.exists() {
            return cfs_ioctl::mountpoint::check_coda(p).is_ok();
        }
        match p.parent() {
            Some(q) if !q.as_os_str().is_empty() => p = q,
            _ => return cfs_ioctl::mountpoint::check_coda(Path::new(".")).is_ok(),
        }
    }
}

/// ACLs set through venus (the setacl pioctl) at the discovered mount.
fn coda_acls() -> Result<volume_dump::restore::AclMode> {
    let mnt = cfs_ioctl::mountpoint::discover(None);
    let client = cfs_ioctl::Client::connect(&mnt, cfs_ioctl::TransportKind::default())
        .with_context(|| mnt.display().to_string())?;
    Ok(volume_dump::restore::AclMode::Set(std::rc::Rc::new(
        CodaAcls::new(client),
    )))
}

/// [`volume_dump::restore::AclSetter`] over a cfs-ioctl client. Every
/// path it sends is the target's absolute path joined with names the
/// restore resolved beneath the target, sent with follow = 0; before each
/// setacl, the fid venus gives for the path (getfid) must hash to the inode
/// number of the directory the restore holds open (`coda_f2i`), else the
/// directory changed under us and nothing is set.
struct CodaAcls {
    client: cfs_ioctl::Client,
    /// The target's absolute path and venus's realm number for it, learnt
    /// from the target directory itself on the first call.
    target: std::cell::OnceCell<(PathBuf, u32)>,
}

impl CodaAcls {
    fn new(client: cfs_ioctl::Client) -> Self {
        CodaAcls {
            client,
            target: std::cell::OnceCell::new(),
        }
    }

    fn target(
        &self,
        dir: &volume_dump::restore::HeldDir<'_>,
    ) -> std::result::Result<&(PathBuf, u32), String> {
        if let Some(t) = self.target.get() {
            return Ok(t);
        }
        // The admin's own path may be relative or pass through symlinks.
        let abs = if cfs_ioctl::checked_path::check_path(dir.root).is_ok() {
            dir.root.to_path_buf()
        } else {
            std::fs::canonicalize(dir.root).map_err(|e| format!("{}: {e}", dir.root.display()))?
        };
        let fid = self
            .client
            .getfid_nofollow(&abs)
            .map_err(|e| format!("getfid of the target {}: {e}", abs.display()))?
            .fid;
        let realm = fid.kernel_realm(dir.root_ino).ok_or_else(|| {
            format!(
                "{}: inode number {} is not a Coda one",
                abs.display(),
                dir.root_ino
            )
        })?;
        Ok(self.target.get_or_init(|| (abs, realm)))
    }
}

impl volume_dump::restore::AclSetter for CodaAcls {
    fn set_acl(
        &self,
        dir: &volume_dump::restore::HeldDir<'_>,
        acl_text: &[u8],
    ) -> std::result::Result<(), String> {
        let acl = cfs_ioctl::Acl::parse(acl_text).map_err(|e| format!("ACL text: {e}"))?;
        let (abs, realm) = self.target(dir)?;
        let path = if dir.rel.as_os_str().is_empty() {
            abs.clone()
        } else {
            abs.join(dir.rel)
        };
        let fid = self
            .client
            .getfid_nofollow(&path)
            .map_err(|e| format!("getfid: {e}"))?
            .fid;
        if dir.dev != dir.root_dev || fid.kernel_inode(*realm) != dir.ino {
            return Err(format!(
                "directory changed under us (venus resolves the path to fid {:x}.{:x}.{:x}, \
                 not the directory held open, inode {}); ACL not set",
                fid.volume, fid.vnode, fid.unique, dir.ino
            ));
        }
        self.client
            .set_acl_nofollow(&path, &acl)
            .map_err(|e| format!("setacl: {e}"))
    }
}

fn restore_error(e: volume_dump::restore::RestoreError, subject: &str) -> anyhow::Error {
    use volume_dump::restore::RestoreError as E;
    match e {
        E::Refused(why) => exit::refused(why),
        E::Dump(e) => anyhow::Error::new(e).context(subject.to_string()),
        other => anyhow::Error::new(other),
    }
}

fn restore_cmd(a: RestoreArgs) -> Result<ExitCode> {
    use std::io::IsTerminal;
    use std::time::Instant;
    use volume_dump::restore::{restore_chain, AclMode, RestoreOptions};

    let subject = a.source.display().to_string();
    let incs = read_incrementals(&a.incrementals, &a.source, a.lenient)?;
    let total = if a.source == Path::new("-") {
        None
    } else {
        std::fs::metadata(&a.source).ok().map(|m| m.len())
    };
    let is_tape = a.tape || crate::tape::is_char_device(&a.source);
    if !is_tape && (a.tape_file.is_some() || a.block_size.is_some()) {
        return Err(exit::usage(
            "--tape-file and --block-size need a tape (--tape or a character device)",
        ));
    }
    let input: Box<dyn Read> = if is_tape {
        let dev = volume_dump::restore::tape::DeviceTape::open(&a.source)
            .with_context(|| subject.clone())?;
        let r = volume_dump::restore::tape::TapeReader::at_file(
            dev,
            a.tape_file.unwrap_or(0),
            a.block_size,
        )
        .map_err(|e| anyhow::Error::new(e).context(subject.clone()))?;
        Box::new(r)
    } else {
        Box::new(io::BufReader::with_capacity(
            1 << 20,
            open_input(&a.source)?,
        ))
    };
    let mut tar;
    let input: Box<dyn Read + '_> = match &a.tar_member {
        Some(name) => {
            tar = volume_dump::restore::tape::TarStream::new(input);
            tar.find(name).with_context(|| subject.clone())?;
            Box::new(tar.data())
        }
        None => input,
    };
    let opts = RestoreOptions {
        read: read_opts(a.lenient),
        check_stamps: !a.no_stamp_check,
        force: a.force,
        resume: a.resume,
        acls: match a.acls {
            AclsArg::Auto if on_coda(&a.into) => coda_acls()?,
            AclsArg::Coda => coda_acls()?,
            AclsArg::Auto | AclsArg::Yaml => AclMode::Yaml,
            AclsArg::Skip => AclMode::Skip,
        },
        workers: usize::from(a.workers),
        journal_every: a.journal_every.max(1),
        sync: a.sync,
        abort_after_objects: std::env::var(ENV_ABORT_AFTER)
            .ok()
            .and_then(|s| s.parse().ok()),
        ..RestoreOptions::default()
    };
    let bar = if !a.quiet && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::with_draw_target(
            total,
            indicatif::ProgressDrawTarget::stderr(),
        );
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let start = Instant::now();
    let mut on_progress = |p: &volume_dump::restore::Progress| {
        if !bar.is_hidden() {
            bar.set_position(p.stream_bytes);
            bar.set_message(format!("{} objects", p.objects));
        }
    };
    let result = restore_chain(
        io::BufReader::with_capacity(1 << 20, input),
        &incs,
        &a.into,
        &opts,
        &mut on_progress,
    );
    bar.finish_and_clear();
    let s = result.map_err(|e| restore_error(e, &subject))?;
    let secs = start.elapsed().as_secs_f64();
    for w in &s.warnings {
        eprintln!("coda-rs: {}: warning: {w}", a.into.display());
    }
    if a.json {
        let doc = json!({
            "into": a.into.display().to_string(),
            "already_complete": s.already_complete,
            "directories": s.directories,
            "files": s.files,
            "symlinks": s.symlinks,
            "hard_links": s.hard_links,
            "unnamed": s.unnamed,
            "bytes": s.bytes,
            "resumed_objects": s.resumed_objects,
            "seconds": secs,
            "warnings": s.warnings,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else if s.already_complete {
        eprintln!(
            "{}: restore already complete (journal); nothing to do",
            a.into.display()
        );
    } else {
        eprintln!(
            "{}: restored {} directories, {} files, {} symlinks, {} hard links, {} bytes in {:.2} s ({:.1} MB/s){}",
            a.into.display(),
            s.directories,
            s.files,
            s.symlinks,
            s.hard_links,
            s.bytes,
            secs,
            s.bytes as f64 / 1e6 / secs.max(1e-9),
            if s.resumed_objects > 0 {
                format!(", {} objects already done", s.resumed_objects)
            } else {
                String::new()
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn verify_against_cmd(a: &VerifyArgs, dir: &Path) -> Result<ExitCode> {
    use volume_dump::restore::{verify_against, AgainstOptions};

    let subject = a.dump.display().to_string();
    let incs = read_incrementals(&a.incrementals, &a.dump, a.lenient)?;
    if !dir.is_dir() {
        return Err(exit::usage(format!("{}: not a directory", dir.display())));
    }
    let input = open_input(&a.dump)?;
    let opts = AgainstOptions {
        read: read_opts(a.lenient),
        ..AgainstOptions::default()
    };
    let diffs = verify_against(
        io::BufReader::with_capacity(1 << 20, input),
        &incs,
        dir,
        &opts,
    )
    .map_err(|e| restore_error(e, &subject))?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if a.json {
        let list: Vec<Value> = diffs
            .iter()
            .map(|d| json!({ "path": d.path.display().to_string(), "difference": d.what }))
            .collect();
        let doc = json!({ "ok": diffs.is_empty(), "differences": list });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for d in &diffs {
            let p = if d.path.as_os_str().is_empty() {
                ".".to_string()
            } else {
                d.path.display().to_string()
            };
            writeln!(out, "{}: {p}: {}", dir.display(), d.what)?;
        }
        writeln!(
            out,
            "{}: {} against {subject}: {} differences",
            dir.display(),
            if diffs.is_empty() { "ok" } else { "FAILED" },
            diffs.len()
        )?;
    }
    Ok(if diffs.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    })
}

#[cfg(test)]
mod restore_tests {
    use std::cell::RefCell;
    use std::path::{Path, PathBuf};
    use std::rc::Rc;

    use cfs_ioctl::{Client, Opcode, Pioctl, Transport};
    use volume_dump::restore::{restore_chain, AclMode, RestoreOptions};

    use super::CodaAcls;

    /// A transport that records every pioctl and answers as a venus
    /// would on a file system whose inode numbers are `coda_f2i` of the
    /// fids: getfid of a path gets a fid that hashes (realm 0) to the
    /// path's inode number, except for the paths in `swapped`, which get
    /// another object's fid; everything else gets an empty reply.
    struct Recorder {
        mnt: PathBuf,
        calls: Rc<RefCell<Vec<Pioctl>>>,
        swapped: Vec<PathBuf>,
    }

    impl Transport for Recorder {
        fn mountpoint(&self) -> &Path {
            &self.mnt
        }
        fn call(&self, p: &Pioctl) -> cfs_ioctl::Result<Vec<u8>> {
            self.calls.borrow_mut().push(p.clone());
            if p.opcode != Opcode::GETFID {
                return Ok(Vec::new());
            }
            let path = p.path.clone().unwrap();
            let ino = std::fs::symlink_metadata(&path)
                .map_or(0, |m| std::os::unix::fs::MetadataExt::ino(&m) as u32);
            let unique = if self.swapped.contains(&path) {
                ino ^ 1
            } else {
                ino
            };
            let reply = cfs_ioctl::GetFidReply {
                fid: cfs_ioctl::ViceFid {
                    volume: 0,
                    vnode: 0,
                    unique,
                },
                ..Default::default()
            };
            Ok(reply.encode())
        }
    }

    fn golden(name: &str) -> PathBuf {
        let dir = std::env::var_os("CODA_RS_GOLDEN").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden"),
            PathBuf::from,
        );
        dir.join("dump").join(name)
    }

    #[test]
    fn acls_go_through_setacl_on_a_coda_mount() {
        let calls = Rc::new(RefCell::new(Vec::new()));
        let client = Client::with_transport(Box::new(Recorder {
            mnt: "/coda".into(),
            calls: calls.clone(),
            swapped: Vec::new(),
        }));
        let t = tempfile::tempdir().unwrap();
        let into = t.path().join("vol");
        let opts = RestoreOptions {
            acls: AclMode::Set(Rc::new(CodaAcls::new(client))),
            ..RestoreOptions::default()
        };
        let full = std::fs::File::open(golden("server-a-full.dump")).unwrap();
        restore_chain(full, &[], &into, &opts, &mut |_| {}).unwrap();
        assert!(!into.join("..CodaACLs.yaml").exists());
        // Expected: every directory of the manifest, its ACL text as cfs
        // sends it (entries `name rights`, a NUL at the end).
        let manifest: Vec<serde_json::Value> =
            serde_json::from_slice(&std::fs::read(golden("state-a.manifest.json")).unwrap())
                .unwrap();
        let mut want: Vec<(PathBuf, Vec<u8>)> = manifest
            .iter()
            .filter(|e| e["type"] == "dir")
            .map(|e| {
                let rel = e["path"].as_str().unwrap().split_once('/').map(|x| x.1);
                let path = rel.map_or(into.clone(), |r| into.join(r));
                let mut text = e["acl"].as_str().unwrap().replace('\t', " ").into_bytes();
                text.push(0);
                (path, text)
            })
            .collect();
        let mut got: Vec<(PathBuf, Vec<u8>)> = calls
            .borrow()
            .iter()
            .filter(|p| p.opcode != Opcode::GETFID)
            .map(|p| {
                assert_eq!(p.opcode, Opcode::SETAL);
                (p.path.clone().unwrap(), p.input.clone())
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }

    /// Every setacl goes with follow = 0 right after a getfid of the same
    /// path; a directory whose getfid answer does not hash to the inode
    /// the restore holds open gets no setacl and stops the restore with
    /// an error naming it.
    #[test]
    fn setacl_only_on_the_directory_held_open() {
        let t = tempfile::tempdir().unwrap();
        let into = t.path().join("vol");
        let manifest: Vec<serde_json::Value> =
            serde_json::from_slice(&std::fs::read(golden("state-a.manifest.json")).unwrap())
                .unwrap();
        let sub = manifest
            .iter()
            .filter(|e| e["type"] == "dir")
            .filter_map(|e| e["path"].as_str().unwrap().split_once('/').map(|x| x.1))
            .next()
            .expect("the manifest has a subdirectory")
            .to_string();
        for swapped in [None, Some(into.join(&sub))] {
            std::fs::remove_dir_all(&into).ok();
            let calls = Rc::new(RefCell::new(Vec::new()));
            let client = Client::with_transport(Box::new(Recorder {
                mnt: "/coda".into(),
                calls: calls.clone(),
                swapped: swapped.iter().cloned().collect(),
            }));
            let opts = RestoreOptions {
                acls: AclMode::Set(Rc::new(CodaAcls::new(client))),
                ..RestoreOptions::default()
            };
            let full = std::fs::File::open(golden("server-a-full.dump")).unwrap();
            let r = restore_chain(full, &[], &into, &opts, &mut |_| {});
            let calls = calls.borrow();
            let mut last_getfid = None;
            for p in calls.iter() {
                assert!(!p.follow, "{p:?}");
                match p.opcode {
                    Opcode::GETFID => last_getfid = p.path.clone(),
                    Opcode::SETAL => assert_eq!(p.path, last_getfid),
                    other => panic!("unexpected {other:?}"),
                }
            }
            match swapped {
                None => {
                    r.unwrap();
                }
                Some(bad) => {
                    let e = r.unwrap_err().to_string();
                    assert!(e.contains("directory changed under us"), "{e}");
                    assert!(e.contains(&bad.display().to_string()), "{e}");
                    assert!(!e.contains('\n'), "{e}");
                    assert!(calls
                        .iter()
                        .all(|p| p.opcode != Opcode::SETAL || p.path.as_ref() != Some(&bad)));
                }
            }
        }
    }
}
