//! The tree a dump holds, as a manifest: every path the directory pages
//! give (spec §11.7), with type, mode, owner, mtime, and for files and
//! symlinks the size, link count, SHA-256 of the data and symlink target;
//! for directories the ACL. The keys are those of the golden manifests
//! (`shared/golden/dump/state-*.manifest.json`).
//!
//! [`ManifestBuilder`] is fed the entries of one forward pass over the dump
//! (a tape or a pipe is enough): directories (the large index) come first
//! and give the names; every object is listed at each of its paths.

use std::io::Read;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::text::lossy;
use crate::tree::{Fid, Namespace};
use crate::{vnode_type, DumpReader, Entry, Result, Vnode, VnodeClass, VnodeData};

/// The most bytes of a symlink's data kept as its target.
const MAX_TARGET: usize = 64 * 1024;
/// Read size while hashing file data.
const HASH_CHUNK: usize = 64 * 1024;

/// One path of the tree. Keys are serialised in alphabetical order (the
/// order of `dump ls --json --tree` documents); keys that do not apply to
/// the object's type are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestEntry {
    /// A directory's ACL text (`None` for other types; `Some(None)`, JSON
    /// null, for a directory without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acl: Option<Option<String>>,
    /// The file's data is marked bad in the dump (spec §7.3).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bad_inode: bool,
    /// Link count of a file or symlink.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<u16>,
    /// Permission bits in octal (`755`).
    pub mode: String,
    /// Modification time, Unix seconds.
    pub mtime: u32,
    /// Owner's numeric id.
    pub owner: u32,
    /// The path: the volume's name, then the names from the root down,
    /// separated by `/`.
    pub path: String,
    /// SHA-256 of a file's or symlink's data, in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Data bytes of a file or symlink.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// A symlink's target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `dir`, `file` or `symlink`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Uniquifier.
    pub unique: u32,
    /// Vnode number.
    pub vnode: u32,
}

/// Builds the manifest of a dump while it streams past.
#[derive(Debug)]
pub struct ManifestBuilder {
    ns: Namespace,
    dirs: Vec<Vnode>,
    entries: Vec<ManifestEntry>,
    warnings: Vec<String>,
    class: VnodeClass,
    dirs_listed: bool,
}

impl ManifestBuilder {
    /// A builder for the dump of the volume called `root_name` (the first
    /// component of every path).
    pub fn new(root_name: &[u8]) -> Self {
        ManifestBuilder {
            ns: Namespace::new(root_name),
            dirs: Vec::new(),
            entries: Vec::new(),
            warnings: Vec::new(),
            class: VnodeClass::Large,
            dirs_listed: false,
        }
    }

    /// Takes in the entry `r` just returned, reading its data from `r`
    /// (directory pages, file data). Call it for every entry, in order.
    pub fn visit<R: Read>(&mut self, entry: &Entry, r: &mut DumpReader<R>) -> Result<()> {
        match entry {
            Entry::Index { class, .. } => {
                self.class = *class;
                if *class == VnodeClass::Small {
                    self.list_dirs();
                }
            }
            Entry::Vnode(ve) if self.class == VnodeClass::Large => {
                let data_at = r.offset();
                let pages = r.read_data_to_vec()?;
                if let Err(e) = self.ns.add_directory(&ve.vnode, &pages, data_at) {
                    self.warnings.push(e.to_string());
                }
                self.dirs.push(ve.vnode.clone());
            }
            Entry::Vnode(ve) => self.list_object(&ve.vnode, ve.data, r)?,
            Entry::End { .. } => self.list_dirs(),
            _ => {}
        }
        Ok(())
    }

    /// What the builder found wrong since the last call (a directory whose
    /// pages cannot be listed, a namespace that is not a tree), each a
    /// line that starts with what it concerns.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// The manifest: directories first (large-index order), then files and
    /// symlinks (stream order), each object at every one of its paths. Call
    /// [`ManifestBuilder::take_warnings`] afterwards for the last warnings.
    pub fn finish(&mut self) -> Vec<ManifestEntry> {
        self.list_dirs();
        std::mem::take(&mut self.entries)
    }

    /// Hashes a file's or symlink's data and lists it at its paths.
    fn list_object<R: Read>(
        &mut self,
        v: &Vnode,
        data: VnodeData,
        r: &mut DumpReader<R>,
    ) -> Result<()> {
        let symlink = v.vnode_type == vnode_type::SYMLINK;
        let mut hasher = Sha256::new();
        let mut target = Vec::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; HASH_CHUNK];
        loop {
            let n = r.read_data(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            if symlink && target.len() < MAX_TARGET {
                target.extend_from_slice(&buf[..n]);
            }
            size += n as u64;
        }
        let digest: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        for path in self.paths((v.vnode, v.unique)) {
            self.entries.push(ManifestEntry {
                kind: if symlink { "symlink" } else { "file" },
                size: Some(size),
                links: Some(v.links),
                sha256: Some(digest.clone()),
                target: symlink.then(|| lossy(&target)),
                bad_inode: data == VnodeData::BadInode,
                ..ManifestEntry::of(v, path)
            });
        }
        Ok(())
    }

    /// Every path of `fid` (one, its fid-named place, when no directory
    /// lists it).
    fn paths(&self, fid: Fid) -> Vec<String> {
        let n = self.ns.names(fid).len().max(1);
        (0..n).map(|k| lossy(&self.ns.path(fid, k))).collect()
    }

    /// Lists the directories once all are known, after warning about a
    /// namespace that is not a tree.
    fn list_dirs(&mut self) {
        if self.dirs_listed {
            return;
        }
        self.dirs_listed = true;
        for p in self.ns.shape_problems() {
            self.warnings.push(format!(
                "byte offset {}: {p} (dump restore and dump to-tar refuse this dump)",
                p.offset()
            ));
        }
        let mut dirs = Vec::new();
        for v in &self.dirs {
            for path in self.paths((v.vnode, v.unique)) {
                dirs.push(ManifestEntry {
                    kind: "dir",
                    acl: Some(v.acl.as_deref().map(lossy)),
                    ..ManifestEntry::of(v, path)
                });
            }
        }
        self.entries.extend(dirs);
    }
}

impl ManifestEntry {
    /// The keys every type has, for `v` at `path`.
    fn of(v: &Vnode, path: String) -> Self {
        ManifestEntry {
            acl: None,
            bad_inode: false,
            links: None,
            mode: format!("{:o}", v.mode & 0o7777),
            mtime: v.mtime,
            owner: v.owner,
            path,
            sha256: None,
            size: None,
            target: None,
            kind: "",
            unique: v.unique,
            vnode: v.vnode,
        }
    }
}
