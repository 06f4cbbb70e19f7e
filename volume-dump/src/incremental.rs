//! Writing an incremental (level ≥ 1) dump of a directory tree relative to
//! a full dump of the same volume (spec §8): only new and changed vnodes
//! are sent, with a D_RMVNODE for every vnode of the base that is gone.
//! Merging the base and the incremental (spec §10, [`crate::merge`])
//! describes the changed tree.
//!
//! Objects keep their base identity (vnode and uniquifier) when the same
//! path still holds the same kind of object; everything else is new and
//! gets a fresh uniquifier on a slot the base does not use. The tree is
//! walked as [`crate::create`] walks it (one walk, `source_tree`), so an
//! object is "unchanged" exactly when the full dump of the changed tree
//! would hold the same record for it.

mod base_file;

pub use base_file::write_incremental_from;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::header::DumpHeader;
use crate::reader::{DumpReader, Entry, ReadOptions};
use crate::source_tree::{self, io_err, Node, NodeData};
use crate::tree::{Fid, Namespace, ROOT};
use crate::vnode::{vnode_type, IndexHeader, Vnode, VnodeClass, VnodeData};
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
                    indexes[class.ordinal()] = header;
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
            used_slots[v.class().ordinal()].insert(v.slot());
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
        let k = class.ordinal();
        while base.used_slots[k].contains(&self.next[k]) {
            self.next[k] += 1;
        }
        self.next[k] += 1;
        self.next[k] - 1
    }
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
    let mut alloc = SlotAlloc { next: [0, 0] };
    let mut next_unique = b.next_unique;
    let mut claimed: BTreeSet<Fid> = BTreeSet::new();
    claimed.insert(ROOT);
    // Reuses the base fid of `rel` when it is of the wanted kind and still
    // free, else allocates a fresh one.
    let fid_for = |rel: &[u8], want: u8| -> Fid {
        if let Some(&fid) = b.by_path.get(rel) {
            let (v, _) = &b.by_fid[&fid];
            if v.vnode_type == want && !claimed.contains(&fid) {
                claimed.insert(fid);
                return fid;
            }
        }
        let class = VnodeClass::of_type(want);
        let fid = (class.vnode_of_slot(alloc.take(&b, class)), next_unique);
        next_unique += 1;
        claimed.insert(fid);
        fid
    };
    let tree = source_tree::walk(root, fid_for)?;
    let (disk_used, file_count) = tree.usage();
    let mut report = IncrementalReport {
        vnodes: [tree.dirs.len() as u32, tree.files.len() as u32],
        warnings: tree.warnings,
        ..IncrementalReport::default()
    };

    // Decide what is sent: new vnodes, and base vnodes whose record or data
    // differ. Unchanged ones keep the base's version fields.
    let mut buf = vec![0u8; 1 << 20];
    let mut send: [BTreeMap<u32, Vec<Node>>; 2] = [BTreeMap::new(), BTreeMap::new()];
    // slot -> uniquifiers of the base vnodes gone from it.
    let mut removed: [BTreeMap<u32, Vec<u32>>; 2] = [BTreeMap::new(), BTreeMap::new()];
    for mut node in tree.dirs.into_iter().chain(tree.files) {
        let k = node.vnode.class().ordinal();
        let fid = (node.vnode.vnode, node.vnode.unique);
        // A new vnode is sent as a full dump writes it.
        if let Some((old, old_data)) = b.by_fid.get(&fid) {
            node.vnode.data_version = old.data_version;
            node.vnode.version_vector = old.version_vector;
            if node.vnode == *old && same_data(&node.data, old_data, &mut base, &mut buf)? {
                report.unchanged[k] += 1;
                continue;
            }
            node.vnode.data_version = old.data_version.wrapping_add(1);
            node.vnode.version_vector.versions[0] = old.version_vector.versions[0].wrapping_add(1);
            node.vnode.version_vector.store_unique = next_unique;
            next_unique += 1;
        }
        report.sent[k] += 1;
        send[k].entry(node.vnode.slot()).or_default().push(node);
    }
    for (&fid, (v, _)) in &b.by_fid {
        if !claimed.contains(&fid) {
            let k = v.class().ordinal();
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
        disk_used,
        file_count,
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
                node.write(&mut w, &mut buf)?;
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
