//! Planning a restore: folding the incrementals into an overlay (spec §8,
//! §10) and walking the full dump once, handing every directory and object
//! with its final paths (spec §11.7) to a [`Sink`].

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::reserved::Renames;
use super::RestoreError;
use crate::error::{Error, Record};
use crate::merge::check_chain;
use crate::model::{Data, Dump, IndexEntry};
use crate::reader::{DumpReader, Entry};
use crate::tree::{Fid, Namespace, ROOT};
use crate::vnode::{vnode_type, Vnode, VnodeClass, VnodeData};
use crate::DumpHeader;

/// For every (vnode, unique) an incremental touches: its last version, or
/// `None` when the chain removes it.
pub(crate) struct Overlay<'a> {
    map: HashMap<Fid, Option<(&'a Vnode, &'a Data)>>,
    incs: &'a [Dump],
}

impl<'a> Overlay<'a> {
    /// Folds `incs` (oldest first) after checking they form a chain on the
    /// full dump with header `full`.
    pub(crate) fn new(
        full: &DumpHeader,
        incs: &'a [Dump],
        check_stamps: bool,
    ) -> Result<Self, RestoreError> {
        if incs.is_empty() && !full.is_full() {
            return Err(RestoreError::Refused(format!(
                "the dump is an incremental (level {}), not a complete tree; give its full dump \
                 first and this one after it (spec §11.7)",
                full.incremental
            )));
        }
        if !incs.is_empty() {
            let headers: Vec<&DumpHeader> = incs.iter().map(|d| &d.header).collect();
            check_chain(full, &headers, check_stamps)?;
        }
        let mut map = HashMap::new();
        for d in incs {
            for e in d.large.entries.iter().chain(&d.small.entries) {
                match e {
                    IndexEntry::Vnode(v, data) => {
                        map.insert((v.vnode, v.unique), Some((v, data)));
                    }
                    IndexEntry::Removed { vnode, unique } => {
                        map.insert((*vnode, *unique), None);
                    }
                    IndexEntry::Null => {}
                }
            }
        }
        Ok(Overlay { map, incs })
    }

    fn touches(&self, fid: Fid) -> bool {
        self.map.contains_key(&fid)
    }

    /// The overlay's vnodes of one class, by (vnode, unique).
    fn vnodes(&self, class: VnodeClass) -> Vec<(&'a Vnode, &'a Data)> {
        let mut v: Vec<_> = self
            .map
            .values()
            .flatten()
            .filter(|(v, _)| v.class() == class)
            .copied()
            .collect();
        v.sort_by_key(|(v, _)| (v.vnode, v.unique));
        v
    }
}

/// A directory of the restored tree.
#[derive(Debug, Clone)]
pub(crate) struct DirInfo {
    pub fid: Fid,
    /// Path relative to the target (empty for the root).
    pub path: PathBuf,
    pub mode: u32,
    pub owner: u32,
    pub mtime: u32,
    /// The `X` text without its NUL.
    pub acl: Option<Vec<u8>>,
}

/// The directories and every name, known once the large index is read.
#[derive(Default)]
pub(crate) struct Tree {
    ns: Namespace,
    pub dirs: Vec<DirInfo>,
    /// Every directory vnode of the full dump, overridden or not, in
    /// stream order (for the merged dump's order, spec §10).
    full_dirs: Vec<Fid>,
    /// The root directory's entries (name, fid), for the reserved names.
    root_entries: Vec<(Vec<u8>, Fid)>,
    /// New names of root entries that collide with the restore's own.
    pub renames: Renames,
}

impl Tree {
    /// Target-relative paths of every name of `fid` (one path when it has
    /// none: `lost+found/...`, or empty for the root). The flag says
    /// whether the object had no name.
    pub(crate) fn paths(&self, fid: Fid) -> Result<(Vec<PathBuf>, bool), RestoreError> {
        let names = self.ns.names(fid);
        for n in names {
            let problem = if n.name.is_empty() {
                Some("is empty")
            } else if n.name.contains(&b'/') {
                Some("contains '/'")
            } else if n.name.contains(&0) {
                Some("contains a NUL byte")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(RestoreError::BadName {
                    vnode: fid,
                    name: String::from_utf8_lossy(&n.name).into_owned(),
                    problem,
                });
            }
        }
        let count = names.len().max(1);
        let mut out = Vec::with_capacity(count);
        for k in 0..count {
            let p = self.ns.path(fid, k);
            // The namespace's root name is empty: paths start with '/'.
            let rel = p.strip_prefix(b"/").unwrap_or(&p);
            out.push(self.renames.apply(PathBuf::from(OsStr::from_bytes(rel))));
        }
        Ok((out, names.is_empty() && fid != ROOT))
    }
}

/// What an object of the small index is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Symlink,
}

/// A file or symlink to restore.
#[derive(Debug, Clone)]
pub(crate) struct ObjectInfo {
    pub fid: Fid,
    pub kind: Kind,
    pub mode: u32,
    pub owner: u32,
    pub mtime: u32,
    /// Every name, target-relative; the first is where the data goes.
    pub paths: Vec<PathBuf>,
    /// No directory lists it (it goes to `lost+found`).
    pub unnamed: bool,
    /// Position among the objects of the walk (0-based, stable for a given
    /// chain), for resuming.
    pub ordinal: u64,
    /// Bytes of the full dump read so far.
    pub stream_offset: u64,
}

/// The object's data.
pub(crate) enum Payload<'a, R> {
    /// `len` bytes to read from the full dump.
    Stream(&'a mut DumpReader<R>, u64),
    /// An incremental's bytes.
    Bytes(&'a [u8]),
    /// D_BADINODE: the server could not read the data.
    Bad,
}

/// Receives the tree as the walk discovers it.
pub(crate) trait Sink {
    /// Every directory is known (large index done).
    fn directories(&mut self, tree: &Tree) -> Result<(), RestoreError>;
    /// One file or symlink; data not read from a stream payload is
    /// skipped by the walker.
    fn object<R: Read>(
        &mut self,
        obj: &ObjectInfo,
        data: Payload<'_, R>,
    ) -> Result<(), RestoreError>;
    /// The dump is read completely.
    fn finish(&mut self, tree: &Tree) -> Result<(), RestoreError>;
}

/// Walks the full dump in `reader` once, with `overlay` applied, feeding
/// `sink`.
pub(crate) fn walk<R: Read, S: Sink>(
    reader: &mut DumpReader<R>,
    overlay: &Overlay<'_>,
    sink: &mut S,
) -> Result<(), RestoreError> {
    let mut tree = Tree::default();
    let mut class = None;
    let mut dirs_done = false;
    let mut ordinal = 0u64;
    while let Some(entry) = reader.next_entry()? {
        match entry {
            Entry::Index { class: c, .. } => {
                if c == VnodeClass::Small && !dirs_done {
                    finish_directories(&mut tree, overlay)?;
                    sink.directories(&tree)?;
                    dirs_done = true;
                }
                class = Some(c);
            }
            Entry::Vnode(ve) => {
                let fid = (ve.vnode.vnode, ve.vnode.unique);
                if overlay.touches(fid) {
                    if class == Some(VnodeClass::Large) {
                        tree.full_dirs.push(fid);
                    }
                    reader.skip_data()?;
                    continue;
                }
                if class == Some(VnodeClass::Large) {
                    tree.full_dirs.push(fid);
                    let at = reader.offset();
                    let pages = reader.read_data_to_vec()?;
                    add_directory(&mut tree, &ve.vnode, &pages, at)?;
                } else {
                    let len = match ve.data {
                        VnodeData::File(n) => Some(u64::from(n)),
                        VnodeData::BadInode => None,
                        VnodeData::DirPages(_) => {
                            return Err(Error::Format {
                                offset: ve.offset,
                                record: Record::Vnode {
                                    vnode: fid.0,
                                    unique: fid.1,
                                },
                                found: "directory pages in the small index".into(),
                                expected: "file data".into(),
                            }
                            .into())
                        }
                    };
                    let info = object_info(&tree, &ve.vnode, ordinal, reader.offset())?;
                    ordinal += 1;
                    let payload = match len {
                        Some(n) => Payload::Stream(&mut *reader, n),
                        None => Payload::Bad,
                    };
                    sink.object(&info, payload)?;
                }
            }
            Entry::Removed { .. } | Entry::Null { .. } => {}
            Entry::End { .. } => {
                if !dirs_done {
                    finish_directories(&mut tree, overlay)?;
                    sink.directories(&tree)?;
                    dirs_done = true;
                }
                for (v, data) in overlay.vnodes(VnodeClass::Small) {
                    let info = object_info(&tree, v, ordinal, reader.offset())?;
                    ordinal += 1;
                    let payload: Payload<'_, R> = match data {
                        Data::File(b) => Payload::Bytes(b),
                        Data::BadInode => Payload::Bad,
                        Data::DirPages(_) => {
                            return Err(Error::Merge(format!(
                                "an incremental holds directory pages for small vnode {:#x}.{:#x}",
                                v.vnode, v.unique
                            ))
                            .into())
                        }
                    };
                    sink.object(&info, payload)?;
                }
                sink.finish(&tree)?;
            }
        }
    }
    Ok(())
}

fn add_directory(tree: &mut Tree, v: &Vnode, pages: &[u8], at: u64) -> Result<(), RestoreError> {
    let fid = (v.vnode, v.unique);
    // Names are checked where they leave the pages (tree::list_directory).
    let listing = tree.ns.add_directory(v, pages, at)?;
    if fid == ROOT {
        tree.root_entries = listing
            .entries
            .iter()
            .map(|e| (e.name.to_vec(), (e.vnode, e.unique)))
            .collect();
    }
    let acl = v.acl.as_ref().map(|a| {
        let end = a.iter().position(|&c| c == 0).unwrap_or(a.len());
        a[..end].to_vec()
    });
    tree.dirs.push(DirInfo {
        fid,
        path: PathBuf::new(),
        mode: u32::from(v.mode) & 0o7777,
        owner: v.owner,
        mtime: v.mtime,
        acl,
    });
    Ok(())
}

/// Adds the overlay's directories and computes every directory's path.
fn finish_directories(tree: &mut Tree, overlay: &Overlay<'_>) -> Result<(), RestoreError> {
    for (v, data) in overlay.vnodes(VnodeClass::Large) {
        if v.vnode_type & 7 != vnode_type::DIRECTORY {
            continue;
        }
        add_directory(tree, v, data.bytes(), 0)?;
    }
    // Directories listed twice, the root listed by a directory, cycles.
    tree.ns.check_shape()?;
    // The merged dump's large index is in slot order, and within a slot in
    // the order the merge leaves its chain (spec §10); so is the ACL file
    // made from it.
    let order = merged_slot_order(&tree.full_dirs, overlay.incs);
    tree.dirs.sort_by_key(|d| {
        let slot = VnodeClass::slot(d.fid.0);
        (slot, order.get(&d.fid).copied().unwrap_or(0))
    });
    let dirs: std::collections::HashSet<Fid> = tree.dirs.iter().map(|d| d.fid).collect();
    tree.renames = Renames::new(
        tree.root_entries
            .iter()
            .map(|(n, f)| (n.as_slice(), dirs.contains(f))),
    );
    for i in 0..tree.dirs.len() {
        let (paths, _) = tree.paths(tree.dirs[i].fid)?;
        tree.dirs[i].path = paths.into_iter().next().unwrap_or_default();
    }
    Ok(())
}

/// Position of every directory within its slot in the merged dump, for
/// the slots an incremental touches: the chain starts as the full dump's
/// vnodes of the slot; each incremental reverses it (loading a dump puts
/// every vnode at the head of its slot's chain), then replaces the vnode
/// with the same uniquifier in place or inserts a new one at the head, and
/// drops removed ones (spec §10, as `dump merge` does).
fn merged_slot_order(full: &[Fid], incs: &[Dump]) -> HashMap<Fid, usize> {
    let mut ops: HashMap<u32, Vec<(usize, Option<Fid>, Fid)>> = HashMap::new();
    for (k, d) in incs.iter().enumerate() {
        for e in &d.large.entries {
            let (fid, keep) = match e {
                IndexEntry::Vnode(v, _) => ((v.vnode, v.unique), true),
                IndexEntry::Removed { vnode, unique } => ((*vnode, *unique), false),
                IndexEntry::Null => continue,
            };
            let slot = VnodeClass::slot(fid.0);
            ops.entry(slot)
                .or_default()
                .push((k, keep.then_some(fid), fid));
        }
    }
    let mut order = HashMap::new();
    for (slot, ops) in ops {
        let mut chain: Vec<Fid> = full
            .iter()
            .filter(|f| VnodeClass::slot(f.0) == slot)
            .copied()
            .collect();
        for k in 0..incs.len() {
            chain.reverse();
            for (_, keep, fid) in ops.iter().filter(|(kk, _, _)| *kk == k) {
                let at = chain.iter().position(|c| c.1 == fid.1);
                match (keep, at) {
                    (Some(f), Some(p)) => chain[p] = *f,
                    (Some(f), None) => chain.insert(0, *f),
                    (None, Some(p)) => {
                        chain.remove(p);
                    }
                    (None, None) => {}
                }
            }
        }
        for (i, f) in chain.into_iter().enumerate() {
            order.insert(f, i);
        }
    }
    order
}

fn object_info(
    tree: &Tree,
    v: &Vnode,
    ordinal: u64,
    stream_offset: u64,
) -> Result<ObjectInfo, RestoreError> {
    let fid = (v.vnode, v.unique);
    let (paths, unnamed) = tree.paths(fid)?;
    Ok(ObjectInfo {
        fid,
        kind: if v.vnode_type & 7 == vnode_type::SYMLINK {
            Kind::Symlink
        } else {
            Kind::File
        },
        mode: u32::from(v.mode) & 0o7777,
        owner: v.owner,
        mtime: v.mtime,
        paths,
        unnamed,
        ordinal,
        stream_offset,
    })
}

/// True when the name `p` of an object whose first name is `first` lies
/// in another directory: on a Coda target it is a copy, not a hard link
/// (Coda keeps hard links inside one directory).
pub(crate) fn is_copy(first: &Path, p: &Path) -> bool {
    first.parent() != p.parent()
}

/// `root` joined with a target-relative path.
pub(crate) fn join(root: &Path, rel: &Path) -> PathBuf {
    if rel.as_os_str().is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    }
}
