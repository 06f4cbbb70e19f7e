//! Tree manifests: what is compared of every object of a volume tree
//! (type, size, permission bits, owner, mtime, link count, SHA-256 of the
//! content or of a symlink's target, the target, and which names are one
//! object), taken from a tree on disk ([`Manifest::of_tree`]) or built from
//! a description ([`Manifest::from_objects`], e.g. the golden
//! `state-*.manifest.json` of spec §11.7), and compared
//! ([`Manifest::differences`]).
//!
//! The restore's own files in a tree's root (its journal and the ACL file)
//! are not volume data and are left out.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Names a restore leaves in the root of its target that are not volume
/// data.
pub const TOOL_FILES: [&str; 2] = [
    volume_dump::restore::JOURNAL_NAME,
    volume_dump::acl::ACL_FILE,
];

/// An object's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link.
    Symlink,
    /// Anything else (device, FIFO, socket).
    Other,
}

/// What is compared of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The object's type.
    pub kind: Kind,
    /// A file's length, a symlink target's length, else 0.
    pub size: u64,
    /// Permission bits (`mode & 0o7777`; 0o777 for a symlink on Linux).
    pub mode: u32,
    /// Owner (uid).
    pub owner: u32,
    /// Modification time, seconds.
    pub mtime: i64,
    /// A file's link count, else 1.
    pub links: u64,
    /// SHA-256 of a file's content or of a symlink's target.
    pub sha256: Option<[u8; 32]>,
    /// A symlink's target.
    pub target: Option<Vec<u8>>,
    /// For a file with other names: the first of its names in path order,
    /// unless that is this one.
    pub same_as: Option<Vec<u8>>,
}

impl Entry {
    /// One line: type, size, mode, owner, mtime, links.
    pub fn describe(&self) -> String {
        format!(
            "{:?} size {} mode {:o} owner {} mtime {} links {}",
            self.kind, self.size, self.mode, self.owner, self.mtime, self.links
        )
    }
}

/// Every object of a tree by path relative to its root (bytes, `/`
/// between components; the root itself is the empty path).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    entries: BTreeMap<Vec<u8>, Entry>,
}

impl Manifest {
    /// Builds a manifest from `(path, entry, object)` triples: names with
    /// equal `object` (an inode, or a vnode and uniquifier) are one object,
    /// and [`Entry::same_as`] is set from them (whatever it held).
    pub fn from_objects(objects: impl IntoIterator<Item = (Vec<u8>, Entry, (u64, u64))>) -> Self {
        let mut entries = BTreeMap::new();
        let mut ids = Vec::new();
        for (path, mut entry, id) in objects {
            entry.same_as = None;
            if entry.kind == Kind::File {
                ids.push((path.clone(), id));
            }
            entries.insert(path, entry);
        }
        ids.sort();
        let mut first: HashMap<(u64, u64), Vec<u8>> = HashMap::new();
        for (path, id) in ids {
            let f = first.entry(id).or_insert_with(|| path.clone());
            if *f != path {
                if let Some(e) = entries.get_mut(&path) {
                    e.same_as = Some(f.clone());
                }
            }
        }
        Manifest { entries }
    }

    /// The manifest of the tree at `root`, symlinks not followed, the
    /// restore's own files in the root left out.
    pub fn of_tree(root: &Path) -> Result<Manifest> {
        let mut objects = Vec::new();
        let m = fs::symlink_metadata(root).map_err(Error::io(root, "cannot stat"))?;
        objects.push((Vec::new(), entry_of(root, &m)?, (m.dev(), m.ino())));
        walk(root, &mut |rel, path, m| {
            if rel.parent() == Some(Path::new(""))
                && TOOL_FILES.iter().any(|t| rel.as_os_str() == *t)
            {
                return Ok(false);
            }
            let r = rel.as_os_str().as_bytes().to_vec();
            objects.push((r, entry_of(path, m)?, (m.dev(), m.ino())));
            Ok(true)
        })?;
        Ok(Manifest::from_objects(objects))
    }

    /// Sets every owner to 0: for comparing trees where owners could not
    /// be set (not run as root).
    pub fn clear_owners(&mut self) {
        for e in self.entries.values_mut() {
            e.owner = 0;
        }
    }

    /// The entries, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Entry)> {
        self.entries.iter()
    }

    /// The entry of `path`.
    pub fn get(&self, path: &[u8]) -> Option<&Entry> {
        self.entries.get(path)
    }

    /// The entry of `path`, to change (e.g. an owner a test cannot set).
    pub fn get_mut(&mut self, path: &[u8]) -> Option<&mut Entry> {
        self.entries.get_mut(path)
    }

    /// Number of objects (the root included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the manifest holds no object at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sum of the entries' sizes.
    pub fn bytes(&self) -> u64 {
        self.entries.values().map(|e| e.size).sum()
    }

    /// The path of the largest regular file.
    pub fn largest_file(&self) -> Option<&[u8]> {
        self.entries
            .iter()
            .filter(|(_, e)| e.kind == Kind::File)
            .max_by_key(|(_, e)| e.size)
            .map(|(p, _)| p.as_slice())
    }

    /// What differs in `got` from this manifest, one line each: a path
    /// missing, a type, content, hard-link group or symlink target that
    /// differs, other attributes that differ, a path not expected.
    pub fn differences(&self, got: &Manifest) -> Vec<String> {
        let mut diffs = Vec::new();
        for (p, w) in &self.entries {
            let path = shown(p);
            match got.entries.get(p) {
                None => diffs.push(format!("{path}: missing")),
                Some(g) if g != w => {
                    let what = if g.kind != w.kind {
                        format!("is a {:?}, expected a {:?}", g.kind, w.kind)
                    } else if g.sha256 != w.sha256 {
                        "content differs".to_string()
                    } else if g.same_as != w.same_as {
                        format!(
                            "same object as {}, expected {}",
                            g.same_as.as_deref().map_or("no other name".into(), shown),
                            w.same_as.as_deref().map_or("no other name".into(), shown)
                        )
                    } else if g.target != w.target {
                        "symlink target differs".to_string()
                    } else {
                        format!("has {}, expected {}", g.describe(), w.describe())
                    };
                    diffs.push(format!("{path}: {what}"));
                }
                Some(_) => {}
            }
        }
        for p in got
            .entries
            .keys()
            .filter(|p| !self.entries.contains_key(*p))
        {
            diffs.push(format!("{}: not expected", shown(p)));
        }
        diffs
    }
}

/// Walks the tree below `root` (not `root` itself) without following
/// symlinks: `f(rel, path, lstat)` for every object, a directory before its
/// entries, the entries of a directory in name order; `f` returns whether
/// to go on into (or to count) the object: `false` skips a directory's
/// entries. `rel` is the path relative to `root`, `path` the full path.
pub fn walk(
    root: &Path,
    f: &mut dyn FnMut(&Path, &Path, &fs::Metadata) -> Result<bool>,
) -> Result<()> {
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let listing = fs::read_dir(&dir).map_err(Error::io(&dir, "cannot list"))?;
        let mut names = Vec::new();
        for e in listing {
            names.push(e.map_err(Error::io(&dir, "cannot list"))?.file_name());
        }
        names.sort();
        let mut subdirs = Vec::new();
        for name in names {
            let r = rel.join(&name);
            let path = dir.join(&name);
            let m = fs::symlink_metadata(&path).map_err(Error::io(&path, "cannot stat"))?;
            if f(&r, &path, &m)? && m.is_dir() {
                subdirs.push(r);
            }
        }
        // Depth first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

/// A manifest path as text; the root is `.`.
fn shown(path: &[u8]) -> String {
    if path.is_empty() {
        ".".into()
    } else {
        String::from_utf8_lossy(path).into_owned()
    }
}

/// The entry of the object at `path` whose `lstat` is `m`.
fn entry_of(path: &Path, m: &fs::Metadata) -> Result<Entry> {
    let ft = m.file_type();
    let (kind, size, sha256, target) = if ft.is_dir() {
        (Kind::Dir, 0, None, None)
    } else if ft.is_symlink() {
        let t = fs::read_link(path).map_err(Error::io(path, "cannot read the link"))?;
        let t = t.as_os_str().as_bytes().to_vec();
        (Kind::Symlink, t.len() as u64, Some(sha256(&t)), Some(t))
    } else if ft.is_file() {
        (Kind::File, m.len(), Some(file_sha256(path)?), None)
    } else {
        (Kind::Other, 0, None, None)
    };
    Ok(Entry {
        kind,
        size,
        mode: m.mode() & 0o7777,
        owner: m.uid(),
        mtime: m.mtime(),
        links: if kind == Kind::File { m.nlink() } else { 1 },
        sha256,
        target,
        same_as: None,
    })
}

fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

/// SHA-256 of the file at `path`, read in 1 MiB pieces.
fn file_sha256(path: &Path) -> Result<[u8; 32]> {
    let mut h = Sha256::new();
    let mut f = File::open(path).map_err(Error::io(path, "cannot open"))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(Error::io(path, "cannot read"))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}
