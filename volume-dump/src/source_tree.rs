//! A directory tree on disk read as the vnodes of a volume: the one walk
//! behind `dump create` ([`crate::create`]) and `dump incremental`
//! ([`crate::incremental`]), so that both describe a tree alike and an
//! object is "unchanged" in an incremental exactly when the full dump of
//! the tree would hold the same record for it.
//!
//! The walk goes depth first, names in byte order; every directory becomes
//! a directory vnode whose pages are built as the Coda directory library
//! builds them (spec §12.6), every regular file and symlink a small vnode.
//! ACLs come from the tree's `..CodaACLs.yaml` ([`ACL_FILE`], spec §11.5),
//! a directory it does not name inheriting its parent's; the root's
//! default is the fresh volume's (spec §7.3). Hard links inside one
//! directory share one vnode (Coda keeps hard links inside a directory);
//! other objects are left out or copied, with a warning.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::acl::yaml::parse_acl_yaml;
use crate::acl::{Acl, ACL_FILE};
use crate::dirpage::DirBuilder;
use crate::error::{Error, Result};
use crate::tag::PAGE_SIZE;
use crate::tree::{Fid, ROOT};
use crate::vnode::{vnode_type, VersionVector, Vnode, VnodeData};
use crate::writer::DumpWriter;

/// A vnode of the tree, with where its data comes from.
pub(crate) struct Node {
    /// The record as a full dump writes it: data version 1 and the version
    /// vector of a new vnode ([`new_version_vector`]).
    pub vnode: Vnode,
    /// Its data.
    pub data: NodeData,
}

/// Where a vnode's data comes from.
pub(crate) enum NodeData {
    /// A directory's pages.
    Pages(Vec<u8>),
    /// A symlink's target.
    Target(Vec<u8>),
    /// A regular file: its path and its length when it was walked.
    File(PathBuf, u64),
}

/// What the walk found.
#[derive(Default)]
pub(crate) struct SourceTree {
    /// Directory vnodes in walk order (the root first).
    pub dirs: Vec<Node>,
    /// File and symlink vnodes in walk order.
    pub files: Vec<Node>,
    /// Things left out or changed (special files, cross-directory hard
    /// links stored as copies).
    pub warnings: Vec<String>,
}

impl SourceTree {
    /// The volume data's `diskused` (KiB of every vnode's data, rounded
    /// up) and `filecount` (files and symlinks, as the server counts
    /// them: golden `*-full` and `server-b-incr`).
    pub fn usage(&self) -> (i32, i32) {
        let bytes: u64 = self
            .dirs
            .iter()
            .chain(&self.files)
            .map(|n| u64::from(n.vnode.length))
            .sum();
        (
            i32::try_from(bytes.div_ceil(1024)).unwrap_or(i32::MAX),
            i32::try_from(self.files.len()).unwrap_or(i32::MAX),
        )
    }
}

/// A directory found but not yet read.
struct Pending {
    path: PathBuf,
    /// Path below the root: empty for the root, `/a/b` below it.
    rel: Vec<u8>,
    fid: Fid,
    parent: Fid,
    /// The parent's ACL, used when the ACL file has none for it.
    inherited: Vec<u8>,
}

/// An error about `path` in the tree.
pub(crate) fn tree_err(path: &Path, problem: impl Into<String>) -> Error {
    Error::Tree {
        path: path.display().to_string(),
        problem: problem.into(),
    }
}

/// An I/O error on `path` in the tree.
pub(crate) fn io_err(path: &Path, e: std::io::Error) -> Error {
    tree_err(path, e.to_string())
}

/// The version vector of a new vnode: site 0 at 1, the store id's
/// uniquifier the vnode's.
pub(crate) fn new_version_vector(unique: u32) -> VersionVector {
    let mut versions = [0; 8];
    versions[0] = 1;
    VersionVector {
        versions,
        store_host: 0,
        store_unique: unique,
        flags: 0,
    }
}

/// The tree's `..CodaACLs.yaml` as ACL texts by directory (`.`, `./sub`),
/// empty when there is none.
fn load_acls(root: &Path) -> Result<HashMap<Vec<u8>, Vec<u8>>> {
    let path = root.join(ACL_FILE);
    match fs::read(&path) {
        Ok(text) => parse_acl_yaml(&text).map_err(|e| tree_err(&path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HashMap::new()),
        Err(e) => Err(io_err(&path, e)),
    }
}

/// Walks the tree at `root`. The root is [`ROOT`]; every other object gets
/// its fid from `fid_for(rel, vnode_type)`, called once per object in walk
/// order, `rel` being its path below the root (`/a/b`).
pub(crate) fn walk(root: &Path, mut fid_for: impl FnMut(&[u8], u8) -> Fid) -> Result<SourceTree> {
    let acls = load_acls(root)?;
    let root_meta = fs::symlink_metadata(root).map_err(|e| io_err(root, e))?;
    if !root_meta.is_dir() {
        return Err(tree_err(root, "not a directory"));
    }
    let mut tree = SourceTree::default();
    // Per file: its link count on disk.
    let mut nlinks: Vec<u64> = Vec::new();
    let mut stack = vec![Pending {
        path: root.to_path_buf(),
        rel: Vec::new(),
        fid: ROOT,
        parent: ROOT,
        inherited: Acl::new_volume_default().to_text(),
    }];
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
        // Hard links within this directory share one vnode.
        let mut inodes: HashMap<(u64, u64), usize> = HashMap::new();
        for (name, child) in names {
            let m = fs::symlink_metadata(&child).map_err(|e| io_err(&child, e))?;
            let ft = m.file_type();
            let mut crel = rel.clone();
            crel.push(b'/');
            crel.extend_from_slice(&name);
            let child_fid = if ft.is_dir() {
                let f = fid_for(&crel, vnode_type::DIRECTORY);
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
                    let v = &mut tree.files[i].vnode;
                    v.links = v.links.saturating_add(1);
                    (v.vnode, v.unique)
                } else {
                    if ft.is_file() && m.nlink() > 1 {
                        inodes.insert((m.dev(), m.ino()), tree.files.len());
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
                        let data = NodeData::File(child.clone(), m.len());
                        (vnode_type::FILE, data, m.len() as u32)
                    };
                    let f = fid_for(&crel, ty);
                    let mut vnode = record(f, ty, &m, len, fid);
                    vnode.links = 1;
                    tree.files.push(Node { vnode, data });
                    nlinks.push(m.nlink());
                    f
                }
            } else {
                tree.warnings.push(format!(
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
        // The root's parent is written as 0.0 (spec §7.1).
        let up = if fid == ROOT { (0, 0) } else { parent };
        let mut vnode = record(fid, vnode_type::DIRECTORY, &meta, pages.len() as u32, up);
        vnode.links = 2 + nsub;
        vnode.acl = Some(acl);
        tree.dirs.push(Node {
            vnode,
            data: NodeData::Pages(pages),
        });
    }
    // Hard links to files elsewhere became separate vnodes: say so.
    for (node, &nlink) in tree.files.iter().zip(&nlinks) {
        let names = node.vnode.links;
        if let NodeData::File(path, _) = &node.data {
            if nlink > u64::from(names) {
                tree.warnings.push(format!(
                    "{}: {nlink} links but {names} in its directory; Coda keeps hard links inside \
                     one directory, the others are copies",
                    path.display(),
                ));
            }
        }
    }
    Ok(tree)
}

/// The vnode record of an object with fid `fid` (links and ACL still to
/// be set).
fn record(fid: Fid, ty: u8, m: &fs::Metadata, length: u32, parent: Fid) -> Vnode {
    Vnode {
        vnode: fid.0,
        unique: fid.1,
        vnode_type: ty,
        mode: (m.mode() & 0o7777) as u16,
        links: 0,
        length,
        data_version: 1,
        version_vector: new_version_vector(fid.1),
        mtime: m.mtime() as u32,
        author: m.uid(),
        owner: m.uid(),
        parent_vnode: parent.0,
        parent_unique: parent.1,
        acl: None,
    }
}

impl Node {
    /// Writes the vnode record and its data; a file is read in chunks of
    /// `buf`, and must still have the length it had when it was walked.
    pub fn write<W: Write>(&self, w: &mut DumpWriter<W>, buf: &mut [u8]) -> Result<()> {
        match &self.data {
            NodeData::Pages(p) => {
                let pages = (p.len() / PAGE_SIZE) as u32;
                w.write_vnode(&self.vnode, VnodeData::DirPages(pages))?;
                w.write_data(p)
            }
            NodeData::Target(t) => {
                w.write_vnode(&self.vnode, VnodeData::File(t.len() as u32))?;
                w.write_data(t)
            }
            NodeData::File(path, len) => {
                w.write_vnode(&self.vnode, VnodeData::File(*len as u32))?;
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
}
