//! Writing a full dump of a directory tree (`coda-rs dump create`): vnode
//! numbering, uniquifiers, directory pages built as the Coda directory
//! library builds them (§12.6), ACLs from a `..CodaACLs.yaml` file
//! (codadump2tar's format, §11.5) when present.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::acl::{Acl, AclEntry, MAX_NAME_LEN};
use crate::dirpage::DirBuilder;
use crate::error::{Error, Result};
use crate::header::DumpHeader;
use crate::tag::PAGE_SIZE;
use crate::vnode::{vnode_type, IndexHeader, VersionVector, Vnode, VnodeClass, VnodeData};
use crate::volume::{volume_type, VolumeDiskData};
use crate::writer::DumpWriter;

/// Name of the ACL file codadump2tar puts at the root of its tar.
pub const ACL_FILE: &str = "..CodaACLs.yaml";

/// What to put in the dump's header and volume data.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// Volume id (header `v`, volume data `i`).
    pub volume_id: u32,
    /// Volume name (header and volume data `n`; the root's name).
    pub volume_name: Vec<u8>,
    /// Read-write parent id (header/volume `p`); the volume id if `None`.
    pub parent_id: Option<u32>,
    /// Server partition recorded in the volume data.
    pub partition: Vec<u8>,
    /// Volume type (restore accepts read-only and backup).
    pub volume_type: u8,
    /// Dump, creation and update date (Unix seconds).
    pub date: u32,
}

impl CreateOptions {
    /// Options for a backup volume dated `date`.
    pub fn new(volume_id: u32, volume_name: &[u8], date: u32) -> Self {
        CreateOptions {
            volume_id,
            volume_name: volume_name.to_vec(),
            parent_id: None,
            partition: b"/vicepa".to_vec(),
            volume_type: volume_type::BACKUP,
            date,
        }
    }
}

/// What a creation did.
#[derive(Debug, Clone, Default)]
pub struct CreateReport {
    /// Directories written.
    pub directories: u32,
    /// Files and symlinks written.
    pub files: u32,
    /// Bytes written.
    pub bytes: u64,
    /// Things left out or changed (special files, cross-directory hard
    /// links stored as copies).
    pub warnings: Vec<String>,
}

/// A directory found but not yet read.
struct Pending {
    path: PathBuf,
    /// Path relative to the root for the ACL file (`.`, `./sub`).
    rel: Vec<u8>,
    fid: (u32, u32),
    parent: (u32, u32),
    /// The parent's ACL, used when the ACL file has none for it.
    inherited: Vec<u8>,
}

/// One directory of the ACL file: the line of its `- path:`, the path,
/// positive and negative entries.
type YamlAcl = (usize, Vec<u8>, Vec<Vec<u8>>, Vec<Vec<u8>>);

struct DirNode {
    fid: (u32, u32),
    parent: (u32, u32),
    meta: Metadata,
    acl: Vec<u8>,
    pages: Vec<u8>,
    subdirs: u16,
}

struct FileNode {
    fid: (u32, u32),
    parent: (u32, u32),
    path: PathBuf,
    meta: Metadata,
    names: u16,
    target: Option<Vec<u8>>,
}

fn tree_err(path: &Path, problem: impl Into<String>) -> Error {
    Error::Tree {
        path: path.display().to_string(),
        problem: problem.into(),
    }
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    tree_err(path, e.to_string())
}

/// Writes a full dump of the tree at `root` to `out`.
pub fn create_dump<W: Write>(
    root: &Path,
    opts: &CreateOptions,
    out: W,
) -> Result<(W, CreateReport)> {
    let mut report = CreateReport::default();
    let acls = match fs::read(root.join(ACL_FILE)) {
        Ok(text) => parse_acl_yaml(&text).map_err(|e| tree_err(&root.join(ACL_FILE), e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
        Err(e) => return Err(io_err(&root.join(ACL_FILE), e)),
    };
    let default_acl = Acl::new_volume_default().to_text();

    // Pass 1: walk the tree, number the vnodes, build the directories.
    let mut dirs: Vec<DirNode> = Vec::new();
    let mut files: Vec<FileNode> = Vec::new();
    let mut next_unique = 1u32;
    let root_meta = fs::symlink_metadata(root).map_err(|e| io_err(root, e))?;
    if !root_meta.is_dir() {
        return Err(tree_err(root, "not a directory"));
    }
    let mut stack: Vec<Pending> = vec![Pending {
        path: root.to_path_buf(),
        rel: b".".to_vec(),
        fid: (1, 1),
        parent: (1, 1),
        inherited: default_acl,
    }];
    next_unique += 1;
    let mut next_dir_slot = 1u32;
    let mut next_file_slot = 0u32;
    while let Some(Pending {
        path,
        rel,
        fid,
        parent,
        inherited,
    }) = stack.pop()
    {
        let meta = fs::symlink_metadata(&path).map_err(|e| io_err(&path, e))?;
        let acl = acls.get(&rel).cloned().unwrap_or(inherited);
        let mut names: Vec<(Vec<u8>, PathBuf)> = Vec::new();
        for e in fs::read_dir(&path).map_err(|e| io_err(&path, e))? {
            let e = e.map_err(|e| io_err(&path, e))?;
            let name = e.file_name().as_bytes().to_vec();
            if fid == (1, 1) && name == ACL_FILE.as_bytes() {
                continue;
            }
            names.push((name, e.path()));
        }
        names.sort();
        let mut dir = DirBuilder::new(fid, parent);
        let mut subdirs: Vec<(PathBuf, Vec<u8>, (u32, u32))> = Vec::new();
        // Hard links within this directory share one vnode.
        let mut inodes: HashMap<(u64, u64), usize> = HashMap::new();
        for (name, child) in names {
            let m = fs::symlink_metadata(&child).map_err(|e| io_err(&child, e))?;
            let ft = m.file_type();
            let child_fid = if ft.is_dir() {
                let f = (VnodeClass::Large.vnode_of_slot(next_dir_slot), next_unique);
                next_dir_slot += 1;
                next_unique += 1;
                let mut r = rel.clone();
                r.push(b'/');
                r.extend_from_slice(&name);
                subdirs.push((child.clone(), r, f));
                f
            } else if ft.is_file() || ft.is_symlink() {
                if let Some(&i) = inodes.get(&(m.dev(), m.ino())) {
                    files[i].names += 1;
                    files[i].fid
                } else {
                    if ft.is_file() && m.nlink() > 1 {
                        inodes.insert((m.dev(), m.ino()), files.len());
                    }
                    if m.len() > u64::from(u32::MAX) {
                        return Err(tree_err(
                            &child,
                            "4 GiB or larger: a dump cannot hold it (spec §2)",
                        ));
                    }
                    let target = if ft.is_symlink() {
                        Some(
                            fs::read_link(&child)
                                .map_err(|e| io_err(&child, e))?
                                .as_os_str()
                                .as_bytes()
                                .to_vec(),
                        )
                    } else {
                        None
                    };
                    let f = (VnodeClass::Small.vnode_of_slot(next_file_slot), next_unique);
                    next_file_slot += 1;
                    next_unique += 1;
                    files.push(FileNode {
                        fid: f,
                        parent: fid,
                        path: child.clone(),
                        meta: m,
                        names: 1,
                        target,
                    });
                    f
                }
            } else {
                report.warnings.push(format!(
                    "{}: not a regular file, directory or symlink; left out",
                    child.display()
                ));
                continue;
            };
            dir.create(&name, child_fid.0, child_fid.1)
                .map_err(|e| tree_err(&child, format!("cannot enter it in its directory: {e}")))?;
        }
        for (child, r, f) in subdirs.iter().rev() {
            stack.push(Pending {
                path: child.clone(),
                rel: r.clone(),
                fid: *f,
                parent: fid,
                inherited: acl.clone(),
            });
        }
        dirs.push(DirNode {
            fid,
            parent,
            meta,
            acl,
            pages: dir.into_bytes(),
            subdirs: subdirs.len().min(usize::from(u16::MAX - 2)) as u16,
        });
    }
    // Hard links to files elsewhere became separate vnodes: say so.
    for f in &files {
        if f.target.is_none() && f.meta.nlink() > u64::from(f.names) {
            report.warnings.push(format!(
                "{}: {} links but {} in its directory; Coda keeps hard links inside one directory, the others are copies",
                f.path.display(),
                f.meta.nlink(),
                f.names
            ));
        }
    }
    dirs.sort_by_key(|d| d.fid.0);

    // Pass 2: write.
    let slots = |used: u32, min: u32| used.max(min).next_power_of_two();
    let parent_id = opts.parent_id.unwrap_or(opts.volume_id);
    let mut w = DumpWriter::new(out);
    w.write_header(&DumpHeader {
        volume_id: opts.volume_id,
        parent_id,
        volume_name: opts.volume_name.clone(),
        backup_date: opts.date,
        incremental: 0,
        oldest: opts.date,
        latest: opts.date,
        ..DumpHeader::default()
    })?;
    let disk_used: u64 = dirs.iter().map(|d| d.pages.len() as u64).sum::<u64>()
        + files.iter().map(|f| f.meta.len()).sum::<u64>();
    w.write_volume(&VolumeDiskData {
        id: opts.volume_id,
        stamp_version: 1,
        name: opts.volume_name.clone(),
        partition: opts.partition.clone(),
        in_service: 1,
        blessed: 1,
        uniquifier: next_unique,
        volume_type: opts.volume_type,
        parent_id,
        disk_used: i32::try_from(disk_used.div_ceil(1024)).unwrap_or(i32::MAX),
        file_count: i32::try_from(files.len()).unwrap_or(i32::MAX),
        link_count: 1,
        creation_date: opts.date,
        update_date: opts.date,
        week_use: vec![0; 7],
        ..VolumeDiskData::default()
    })?;
    w.begin_index(
        VnodeClass::Large,
        IndexHeader {
            vnode_count: dirs.len() as u32,
            slots: slots(next_dir_slot, 128),
        },
    )?;
    for d in &dirs {
        let root = d.fid == (1, 1);
        let v = Vnode {
            vnode: d.fid.0,
            unique: d.fid.1,
            vnode_type: vnode_type::DIRECTORY,
            mode: (d.meta.mode() & 0o7777) as u16,
            links: 2 + d.subdirs,
            length: d.pages.len() as u32,
            data_version: 1,
            version_vector: vv(d.fid.1),
            mtime: d.meta.mtime() as u32,
            author: d.meta.uid(),
            owner: d.meta.uid(),
            parent_vnode: if root { 0 } else { d.parent.0 },
            parent_unique: if root { 0 } else { d.parent.1 },
            acl: Some(d.acl.clone()),
        };
        w.write_vnode(&v, VnodeData::DirPages((d.pages.len() / PAGE_SIZE) as u32))?;
        w.write_data(&d.pages)?;
        report.directories += 1;
    }
    w.begin_index(
        VnodeClass::Small,
        IndexHeader {
            vnode_count: files.len() as u32,
            slots: slots(next_file_slot, 256),
        },
    )?;
    let mut buf = vec![0u8; 1 << 20];
    for f in &files {
        let (ty, size) = match &f.target {
            Some(t) => (vnode_type::SYMLINK, t.len() as u32),
            None => (vnode_type::FILE, f.meta.len() as u32),
        };
        let v = Vnode {
            vnode: f.fid.0,
            unique: f.fid.1,
            vnode_type: ty,
            mode: (f.meta.mode() & 0o7777) as u16,
            links: f.names,
            length: size,
            data_version: 1,
            version_vector: vv(f.fid.1),
            mtime: f.meta.mtime() as u32,
            author: f.meta.uid(),
            owner: f.meta.uid(),
            parent_vnode: f.parent.0,
            parent_unique: f.parent.1,
            acl: None,
        };
        w.write_vnode(&v, VnodeData::File(size))?;
        match &f.target {
            Some(t) => w.write_data(t)?,
            None => {
                let mut file = File::open(&f.path).map_err(|e| io_err(&f.path, e))?;
                let mut left = u64::from(size);
                while left > 0 {
                    let want = (buf.len() as u64).min(left) as usize;
                    let n = file
                        .read(&mut buf[..want])
                        .map_err(|e| io_err(&f.path, e))?;
                    if n == 0 {
                        return Err(tree_err(&f.path, "file shrank while it was being dumped"));
                    }
                    w.write_data(&buf[..n])?;
                    left -= n as u64;
                }
                if file.read(&mut buf[..1]).map_err(|e| io_err(&f.path, e))? != 0 {
                    return Err(tree_err(&f.path, "file grew while it was being dumped"));
                }
            }
        }
        report.files += 1;
    }
    report.bytes = w.position() + 5;
    let out = w.finish()?;
    Ok((out, report))
}

fn vv(unique: u32) -> VersionVector {
    let mut versions = [0; 8];
    versions[0] = 1;
    VersionVector {
        versions,
        store_host: 0,
        store_unique: unique,
        flags: 0,
    }
}

/// Parses codadump2tar's `..CodaACLs.yaml` (spec §11.5) into ACL texts by
/// directory path (`.`, `./subdir`, ...). Every text returned is one
/// [`Acl::parse`] accepts: an entry name that the text form cannot carry
/// (empty, too long, holding whitespace or NUL, which would shift or inject
/// entries) is an error naming its line, and so is a directory whose ACL
/// breaks the text form's limits.
pub fn parse_acl_yaml(text: &[u8]) -> std::result::Result<HashMap<Vec<u8>, Vec<u8>>, String> {
    let mut out = HashMap::new();
    let mut lines = text.split(|&b| b == b'\n').enumerate().peekable();
    match lines.next() {
        Some((_, b"acls:")) => {}
        _ => return Err("line 1: expected `acls:`".into()),
    }
    let mut current: Option<YamlAcl> = None;
    let mut finish = |cur: Option<YamlAcl>| -> std::result::Result<(), String> {
        let Some((line, path, pos, neg)) = cur else {
            return Ok(());
        };
        let mut t = format!("{}\n{}\n", pos.len(), neg.len()).into_bytes();
        for e in pos.iter().chain(&neg) {
            t.extend_from_slice(e);
        }
        if let Err(e) = Acl::parse(&t) {
            return Err(format!(
                "line {line}: the ACL of {:?} cannot be stored: {e}",
                String::from_utf8_lossy(&path)
            ));
        }
        out.insert(path, t);
        Ok(())
    };
    while let Some((i, line)) = lines.next() {
        let n = i + 1;
        if line.is_empty() {
            continue;
        }
        if let Some(q) = line.strip_prefix(b"- path: ") {
            finish(current.take())?;
            current = Some((
                n,
                unquote(q).map_err(|e| format!("line {n}: {e}"))?,
                Vec::new(),
                Vec::new(),
            ));
        } else if line == b"  acl:" {
            if current.is_none() {
                return Err(format!("line {n}: `acl:` before a `- path:`"));
            }
        } else if let Some(q) = line.strip_prefix(b"  - name: ") {
            let name = unquote(q).map_err(|e| format!("line {n}: {e}"))?;
            if !AclEntry::valid_name(&name) {
                return Err(format!(
                    "line {n}: entry name {:?} (expected 1 to {MAX_NAME_LEN} bytes without \
                     whitespace or NUL)",
                    String::from_utf8_lossy(&name)
                ));
            }
            let rights = match lines.next() {
                Some((_, l)) => l
                    .strip_prefix(b"    rights: ")
                    .ok_or_else(|| format!("line {}: expected `rights:`", n + 1))?,
                None => return Err(format!("line {}: expected `rights:`", n + 1)),
            };
            let rights = unquote(rights).map_err(|e| format!("line {}: {e}", n + 1))?;
            let (negative, letters) = match rights.strip_prefix(b"-") {
                Some(rest) => (true, rest),
                None => (false, &rights[..]),
            };
            let mut bits = 0u32;
            for &c in letters {
                bits |= match c {
                    b'r' => 1,
                    b'l' => 8,
                    b'i' => 4,
                    b'd' => 16,
                    b'w' => 2,
                    b'k' => 32,
                    b'a' => 64,
                    _ => return Err(format!("line {}: unknown right {:?}", n + 1, c as char)),
                };
            }
            let mut entry = name;
            entry.push(b'\t');
            entry.extend_from_slice(bits.to_string().as_bytes());
            entry.push(b'\n');
            let Some(cur) = current.as_mut() else {
                return Err(format!("line {n}: entry before a `- path:`"));
            };
            if negative {
                cur.3.push(entry);
            } else {
                if !cur.3.is_empty() {
                    return Err(format!("line {n}: positive entry after a negative one"));
                }
                cur.2.push(entry);
            }
        } else {
            return Err(format!("line {n}: not part of the ..CodaACLs.yaml format"));
        }
    }
    finish(current.take())?;
    Ok(out)
}

/// Undoes the YAML double-quoted escaping of spec §11.5.
fn unquote(q: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let inner = q
        .strip_prefix(b"\"")
        .and_then(|s| s.strip_suffix(b"\""))
        .ok_or("expected a double-quoted string")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let e = *inner.get(i).ok_or("string ends in a backslash")?;
        i += 1;
        out.push(match e {
            b'"' => b'"',
            b'\\' => b'\\',
            b'a' => 0x07,
            b'b' => 0x08,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 0x0b,
            b'f' => 0x0c,
            b'r' => b'\r',
            b'e' => 0x1b,
            b'x' => {
                let hex = inner.get(i..i + 2).ok_or("short \\x escape")?;
                i += 2;
                // Two hex digits: from_str_radix alone would take `+f`.
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Err("bad \\x escape (expected two hex digits)".into());
                }
                let s = std::str::from_utf8(hex).map_err(|_| "bad \\x escape")?;
                u8::from_str_radix(s, 16).map_err(|_| "bad \\x escape")?
            }
            other => return Err(format!("unknown escape \\{}", other as char)),
        });
    }
    Ok(out)
}
