//! Writing an incremental (level ≥ 1) dump of a directory tree relative to
//! a full dump of the same volume (spec §8): only new and changed vnodes
//! are sent, with a D_RMVNODE for every vnode of the base that is gone.
//! Merging the base and the incremental (spec §10, [`crate::merge`])
//! describes the changed tree.
//!
//! Objects keep their base identity (vnode and uniquifier) when the same
//! path still holds the same kind of object; everything else is new and
//! gets a fresh uniquifier on a slot the base does not use. Directory pages,
//! ACLs and vnode fields are built as [`crate::create`] builds them, so an
//! object is "unchanged" exactly when the full dump of the changed tree
//! would hold the same record for it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File, Metadata};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::acl::Acl;
use crate::create::{parse_acl_yaml, ACL_FILE};
use crate::dirpage::DirBuilder;
use crate::error::{Error, Result};
use crate::header::DumpHeader;
use crate::reader::{DumpReader, Entry, ReadOptions};
use crate::tag::PAGE_SIZE;
use crate::tree::{Fid, Namespace, ROOT};
use crate::vnode::{vnode_type, IndexHeader, VersionVector, Vnode, VnodeClass, VnodeData};
use crate::volume::VolumeDiskData;
use crate::writer::DumpWriter;

/// What to put in the incremental's header.
#[derive(Debug, Clone, Copy)]
pub struct IncrementalOptions {
    /// Dump level (header `i`); must be at least 1.
    pub level: u32,
    /// Stamp of the dumped state (header `I` latest, backup and update
    /// date); the `oldest` stamp is the base dump's `latest` (spec §8.3).
    pub date: u32,
}

/// What an incremental dump holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncrementalReport {
    /// Vnodes sent with their data (new or changed), large and small index.
    pub sent: [u32; 2],
    /// Vnodes of the base left out because they did not change.
    pub unchanged: [u32; 2],
    /// D_RMVNODE records written.
    pub removed: [u32; 2],
    /// Vnodes in the changed volume (index header `v`).
    pub vnodes: [u32; 2],
    /// Bytes written.
    pub bytes: u64,
    /// Things left out or changed (special files, cross-directory links).
    pub warnings: Vec<String>,
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

/// The data of a base vnode: directory pages and small data are kept,
/// other file data is only located (compared later by seeking back into
/// the base), so memory stays bounded by the metadata.
enum BaseData {
    Pages(Vec<u8>),
    Inline(Vec<u8>),
    At { offset: u64, len: u64 },
    BadInode,
}

/// The base dump indexed by path and by fid.
struct Base {
    header: DumpHeader,
    volume: VolumeDiskData,
    indexes: [IndexHeader; 2],
    by_path: HashMap<Vec<u8>, Fid>,
    by_fid: HashMap<Fid, (Vnode, BaseData)>,
    used_slots: [BTreeSet<u32>; 2],
    next_unique: u32,
}

/// File data up to this size is kept in memory while the base is read.
const INLINE_LIMIT: u32 = 256;

impl Base {
    /// Reads the base dump forward once; `start` is its stream position.
    fn read<B: Read>(base: B, start: u64) -> Result<Self> {
        let mut r = DumpReader::with_options(base, ReadOptions::default())?;
        let header = r.header().clone();
        if !header.is_full() {
            return Err(Error::Merge(format!(
                "the base dump is an incremental (level {}), not a full dump",
                header.incremental
            )));
        }
        let volume = r.volume().clone();
        let mut ns = Namespace::new(b"");
        let mut by_fid = HashMap::new();
        let mut used_slots = [BTreeSet::new(), BTreeSet::new()];
        let mut indexes = [IndexHeader::default(); 2];
        let mut max_unique = volume.uniquifier;
        while let Some(entry) = r.next_entry()? {
            let (v, kind) = match entry {
                Entry::Index { class, header, .. } => {
                    indexes[class_index(class)] = header;
                    continue;
                }
                Entry::Vnode(e) => (e.vnode, e.data),
                _ => continue,
            };
            let fid = (v.vnode, v.unique);
            let data = match kind {
                VnodeData::DirPages(_) => {
                    let data_at = r.offset();
                    let pages = r.read_data_to_vec()?;
                    ns.add_directory(&v, &pages, data_at)
                        .map_err(|e| Error::Merge(format!("base dump: {e}")))?;
                    BaseData::Pages(pages)
                }
                VnodeData::File(len)
                    if v.vnode_type == vnode_type::SYMLINK || len <= INLINE_LIMIT =>
                {
                    BaseData::Inline(r.read_data_to_vec()?)
                }
                VnodeData::File(len) => {
                    let offset = start + r.offset();
                    r.skip_data()?;
                    BaseData::At {
                        offset,
                        len: u64::from(len),
                    }
                }
                VnodeData::BadInode => BaseData::BadInode,
            };
            used_slots[class_index(v.class())].insert(v.slot());
            max_unique = max_unique.max(v.unique.saturating_add(1));
            by_fid.insert(fid, (v, data));
        }
        ns.check_shape()
            .map_err(|e| Error::Merge(format!("base dump: {e}")))?;
        let mut by_path = HashMap::new();
        by_path.insert(Vec::new(), ROOT);
        for &fid in by_fid.keys() {
            for k in 0..ns.names(fid).len() {
                let p = ns.path(fid, k);
                if !p.starts_with(b"/lost+found/") {
                    by_path.insert(p, fid);
                }
            }
        }
        Ok(Base {
            header,
            volume,
            indexes,
            by_path,
            by_fid,
            used_slots,
            next_unique: max_unique,
        })
    }
}

/// Hands out slots the base does not use, lowest first.
struct SlotAlloc {
    next: [u32; 2],
}

impl SlotAlloc {
    fn take(&mut self, base: &Base, class: VnodeClass) -> u32 {
        let k = class_index(class);
        while base.used_slots[k].contains(&self.next[k]) {
            self.next[k] += 1;
        }
        self.next[k] += 1;
        self.next[k] - 1
    }
}

fn class_index(class: VnodeClass) -> usize {
    match class {
        VnodeClass::Large => 0,
        VnodeClass::Small => 1,
    }
}

/// A vnode of the changed tree, with where its data comes from.
struct Node {
    vnode: Vnode,
    data: NodeData,
}

enum NodeData {
    Pages(Vec<u8>),
    Target(Vec<u8>),
    File(PathBuf, u64),
}

/// A directory found but not yet read.
struct Pending {
    path: PathBuf,
    rel: Vec<u8>,
    fid: Fid,
    parent: Fid,
    inherited: Vec<u8>,
}

/// Writes the level-`opts.level` incremental dump of the tree at `root`
/// relative to `base`, a full dump of the same volume (spec §8), read from
/// its current position.
///
/// The base is read forward once, keeping vnode records, directory pages
/// and symlink targets; the data of a file whose record is unchanged is
/// then compared by seeking back into `base`, so memory does not grow with
/// the volume's data.
pub fn write_incremental<B: Read + Seek, W: Write>(
    mut base: B,
    root: &Path,
    opts: &IncrementalOptions,
    out: W,
) -> Result<(W, IncrementalReport)> {
    if opts.level == 0 {
        return Err(Error::Merge(
            "an incremental dump needs level 1 or more".into(),
        ));
    }
    let start = base
        .stream_position()
        .map_err(|e| Error::Merge(format!("base dump: {e}")))?;
    let b = Base::read(&mut base, start)?;
    let mut report = IncrementalReport::default();
    let acls = match fs::read(root.join(ACL_FILE)) {
        Ok(text) => parse_acl_yaml(&text).map_err(|e| tree_err(&root.join(ACL_FILE), e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
        Err(e) => return Err(io_err(&root.join(ACL_FILE), e)),
    };
    let root_meta = fs::symlink_metadata(root).map_err(|e| io_err(root, e))?;
    if !root_meta.is_dir() {
        return Err(tree_err(root, "not a directory"));
    }

    let mut alloc = SlotAlloc { next: [0, 0] };
    let mut next_unique = b.next_unique;
    let mut claimed: BTreeSet<Fid> = BTreeSet::new();
    claimed.insert(ROOT);
    let mut dirs: Vec<Node> = Vec::new();
    let mut files: Vec<Node> = Vec::new();
    // Per file: names in its directory and the metadata (for link counts).
    let mut file_meta: Vec<(u16, Metadata, PathBuf)> = Vec::new();
    let mut stack = vec![Pending {
        path: root.to_path_buf(),
        rel: Vec::new(),
        fid: ROOT,
        parent: ROOT,
        inherited: Acl::new_volume_default().to_text(),
    }];
    // Reuses the base fid of `rel` when it is of the wanted kind and still
    // free, else allocates a fresh one.
    let mut fid_for = |rel: &[u8], want: u8, claimed: &mut BTreeSet<Fid>| -> Fid {
        if let Some(&fid) = b.by_path.get(rel) {
            let (v, _) = &b.by_fid[&fid];
            if v.vnode_type == want && !claimed.contains(&fid) {
                claimed.insert(fid);
                return fid;
            }
        }
        let class = if want == vnode_type::DIRECTORY {
            VnodeClass::Large
        } else {
            VnodeClass::Small
        };
        let fid = (class.vnode_of_slot(alloc.take(&b, class)), next_unique);
        next_unique += 1;
        claimed.insert(fid);
        fid
    };
    while let Some(Pending {
        path,
        rel,
        fid,
        parent,
        inherited,
    }) = stack.pop()
    {
        let meta = fs::symlink_metadata(&path).map_err(|e| io_err(&path, e))?;
        let acl_key = [b".".as_slice(), &rel].concat();
        let acl = acls.get(&acl_key).cloned().unwrap_or(inherited);
        let mut names: Vec<(Vec<u8>, PathBuf)> = Vec::new();
        for e in fs::read_dir(&path).map_err(|e| io_err(&path, e))? {
            let e = e.map_err(|e| io_err(&path, e))?;
            let name = e.file_name().as_bytes().to_vec();
            if fid == ROOT && name == ACL_FILE.as_bytes() {
                continue;
            }
            names.push((name, e.path()));
        }
        names.sort();
        let mut dir = DirBuilder::new(fid, parent);
        let mut subdirs: Vec<Pending> = Vec::new();
        let mut inodes: HashMap<(u64, u64), usize> = HashMap::new();
        for (name, child) in names {
            let m = fs::symlink_metadata(&child).map_err(|e| io_err(&child, e))?;
            let ft = m.file_type();
            let mut crel = rel.clone();
            crel.push(b'/');
            crel.extend_from_slice(&name);
            let child_fid = if ft.is_dir() {
                let f = fid_for(&crel, vnode_type::DIRECTORY, &mut claimed);
                subdirs.push(Pending {
                    path: child.clone(),
                    rel: crel,
                    fid: f,
                    parent: fid,
                    inherited: acl.clone(),
                });
                f
            } else if ft.is_file() || ft.is_symlink() {
                if let Some(&i) = inodes.get(&(m.dev(), m.ino())) {
                    file_meta[i].0 += 1;
                    let v = &files[i].vnode;
                    (v.vnode, v.unique)
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
                    let (ty, data, len) = if ft.is_symlink() {
                        let t = fs::read_link(&child)
                            .map_err(|e| io_err(&child, e))?
                            .as_os_str()
                            .as_bytes()
                            .to_vec();
                        let len = t.len() as u32;
                        (vnode_type::SYMLINK, NodeData::Target(t), len)
                    } else {
                        (
                            vnode_type::FILE,
                            NodeData::File(child.clone(), m.len()),
                            m.len() as u32,
                        )
                    };
                    let f = fid_for(&crel, ty, &mut claimed);
                    files.push(Node {
                        vnode: Vnode {
                            vnode: f.0,
                            unique: f.1,
                            vnode_type: ty,
                            mode: (m.mode() & 0o7777) as u16,
                            links: 1,
                            length: len,
                            mtime: m.mtime() as u32,
                            author: m.uid(),
                            owner: m.uid(),
                            parent_vnode: fid.0,
                            parent_unique: fid.1,
                            ..Vnode::default()
                        },
                        data,
                    });
                    file_meta.push((1, m, child.clone()));
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
        let nsub = subdirs.len().min(usize::from(u16::MAX - 2)) as u16;
        stack.extend(subdirs.into_iter().rev());
        let pages = dir.into_bytes();
        let root_dir = fid == ROOT;
        dirs.push(Node {
            vnode: Vnode {
                vnode: fid.0,
                unique: fid.1,
                vnode_type: vnode_type::DIRECTORY,
                mode: (meta.mode() & 0o7777) as u16,
                links: 2 + nsub,
                length: pages.len() as u32,
                mtime: meta.mtime() as u32,
                author: meta.uid(),
                owner: meta.uid(),
                parent_vnode: if root_dir { 0 } else { parent.0 },
                parent_unique: if root_dir { 0 } else { parent.1 },
                acl: Some(acl),
                ..Vnode::default()
            },
            data: NodeData::Pages(pages),
        });
    }
    for (node, (names, m, path)) in files.iter_mut().zip(&file_meta) {
        node.vnode.links = *names;
        if node.vnode.vnode_type == vnode_type::FILE && m.nlink() > u64::from(*names) {
            report.warnings.push(format!(
                "{}: {} links but {} in its directory; Coda keeps hard links inside one directory, the others are copies",
                path.display(),
                m.nlink(),
                names
            ));
        }
    }

    // Decide what is sent: new vnodes, and base vnodes whose record or data
    // differ. Unchanged ones keep the base's version fields.
    let mut buf = vec![0u8; 1 << 20];
    let mut send: [BTreeMap<u32, Vec<Node>>; 2] = [BTreeMap::new(), BTreeMap::new()];
    // slot -> uniquifiers of the base vnodes gone from it.
    let mut removed: [BTreeMap<u32, Vec<u32>>; 2] = [BTreeMap::new(), BTreeMap::new()];
    report.vnodes = [dirs.len() as u32, files.len() as u32];
    let (mut file_count, mut disk_used) = (0u64, 0u64);
    for mut node in dirs.into_iter().chain(files) {
        let k = class_index(node.vnode.class());
        if node.vnode.vnode_type == vnode_type::FILE {
            file_count += 1;
        }
        disk_used += u64::from(node.vnode.length);
        let fid = (node.vnode.vnode, node.vnode.unique);
        match b.by_fid.get(&fid) {
            Some((old, old_data)) => {
                node.vnode.data_version = old.data_version;
                node.vnode.version_vector = old.version_vector;
                if node.vnode == *old && same_data(&node.data, old_data, &mut base, &mut buf)? {
                    report.unchanged[k] += 1;
                    continue;
                }
                node.vnode.data_version = old.data_version.wrapping_add(1);
                node.vnode.version_vector.versions[0] =
                    old.version_vector.versions[0].wrapping_add(1);
                node.vnode.version_vector.store_unique = next_unique;
                next_unique += 1;
            }
            None => {
                node.vnode.data_version = 1;
                node.vnode.version_vector = new_vv(node.vnode.unique);
            }
        }
        report.sent[k] += 1;
        send[k].entry(node.vnode.slot()).or_default().push(node);
    }
    for (&fid, (v, _)) in &b.by_fid {
        if !claimed.contains(&fid) {
            let k = class_index(v.class());
            removed[k].entry(v.slot()).or_default().push(v.unique);
            report.removed[k] += 1;
        }
    }

    // Write.
    let h = &b.header;
    let mut w = DumpWriter::new(out);
    w.write_header(&DumpHeader {
        version: h.version,
        volume_id: h.volume_id,
        parent_id: h.parent_id,
        volume_name: h.volume_name.clone(),
        backup_date: opts.date,
        incremental: opts.level,
        oldest: h.latest,
        latest: opts.date,
    })?;
    w.write_volume(&VolumeDiskData {
        uniquifier: next_unique,
        disk_used: i32::try_from(disk_used.div_ceil(1024)).unwrap_or(i32::MAX),
        file_count: i32::try_from(file_count).unwrap_or(i32::MAX),
        update_date: opts.date,
        ..b.volume.clone()
    })?;
    for (k, class) in [VnodeClass::Large, VnodeClass::Small]
        .into_iter()
        .enumerate()
    {
        let used = alloc.next[k].max(send[k].keys().last().map_or(0, |s| s + 1));
        let slots = b.indexes[k]
            .slots
            .max(used.next_power_of_two())
            .max(if k == 0 { 128 } else { 256 });
        w.begin_index(
            class,
            IndexHeader {
                vnode_count: report.vnodes[k],
                slots,
            },
        )?;
        let all: BTreeSet<u32> = send[k].keys().chain(removed[k].keys()).copied().collect();
        for slot in all {
            for node in send[k].remove(&slot).unwrap_or_default() {
                write_node(&mut w, &node, &mut buf)?;
            }
            let vnode = class.vnode_of_slot(slot);
            let mut gone = removed[k].remove(&slot).unwrap_or_default();
            gone.sort_unstable();
            for unique in gone {
                w.write_removed(vnode, unique)?;
            }
        }
    }
    report.bytes = w.position() + 5;
    Ok((w.finish()?, report))
}

/// The version vector of a new vnode, as [`crate::create`] writes it.
fn new_vv(unique: u32) -> VersionVector {
    let mut versions = [0; 8];
    versions[0] = 1;
    VersionVector {
        versions,
        store_host: 0,
        store_unique: unique,
        flags: 0,
    }
}

/// True if the tree's data equals the base's (large file data is read back
/// from the base at its offset).
fn same_data<B: Read + Seek>(
    new: &NodeData,
    old: &BaseData,
    base: &mut B,
    buf: &mut [u8],
) -> Result<bool> {
    Ok(match (new, old) {
        (NodeData::Pages(p), BaseData::Pages(o)) => p == o,
        (NodeData::Target(t), BaseData::Inline(o)) => t == o,
        (NodeData::File(path, len), BaseData::Inline(o)) => {
            *len == o.len() as u64 && fs::read(path).map_err(|e| io_err(path, e))? == *o
        }
        (NodeData::File(path, len), &BaseData::At { offset, len: olen }) => {
            if *len != olen {
                return Ok(false);
            }
            let base_err = |e: std::io::Error| Error::Io { offset, source: e };
            base.seek(SeekFrom::Start(offset)).map_err(base_err)?;
            let mut f = File::open(path).map_err(|e| io_err(path, e))?;
            let (mine, theirs) = buf.split_at_mut(buf.len() / 2);
            let mut left = olen;
            while left > 0 {
                let want = (mine.len() as u64).min(left) as usize;
                let n = f.read(&mut mine[..want]).map_err(|e| io_err(path, e))?;
                if n == 0 {
                    return Ok(false);
                }
                base.read_exact(&mut theirs[..n]).map_err(base_err)?;
                if mine[..n] != theirs[..n] {
                    return Ok(false);
                }
                left -= n as u64;
            }
            f.read(&mut mine[..1]).map_err(|e| io_err(path, e))? == 0
        }
        _ => false,
    })
}

fn write_node<W: Write>(w: &mut DumpWriter<W>, node: &Node, buf: &mut [u8]) -> Result<()> {
    match &node.data {
        NodeData::Pages(p) => {
            w.write_vnode(
                &node.vnode,
                VnodeData::DirPages((p.len() / PAGE_SIZE) as u32),
            )?;
            w.write_data(p)
        }
        NodeData::Target(t) => {
            w.write_vnode(&node.vnode, VnodeData::File(t.len() as u32))?;
            w.write_data(t)
        }
        NodeData::File(path, len) => {
            w.write_vnode(&node.vnode, VnodeData::File(*len as u32))?;
            let mut f = File::open(path).map_err(|e| io_err(path, e))?;
            let mut left = *len;
            while left > 0 {
                let want = (buf.len() as u64).min(left) as usize;
                let n = f.read(&mut buf[..want]).map_err(|e| io_err(path, e))?;
                if n == 0 {
                    return Err(tree_err(path, "file shrank while it was being dumped"));
                }
                w.write_data(&buf[..n])?;
                left -= n as u64;
            }
            if f.read(&mut buf[..1]).map_err(|e| io_err(path, e))? != 0 {
                return Err(tree_err(path, "file grew while it was being dumped"));
            }
            Ok(())
        }
    }
}
