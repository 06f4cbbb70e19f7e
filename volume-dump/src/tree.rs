//! Reconstructing paths from directory pages (spec §11.2, §11.7): which
//! names every object (vnode, uniquifier) has, and the full path of each.

use std::collections::HashMap;

use crate::dirpage::{DirPageError, DirPages};

/// A fid inside the volume: (vnode, uniquifier).
pub type Fid = (u32, u32);

/// The root directory's fid.
pub const ROOT: Fid = (1, 1);

/// One name of an object: the directory holding the entry and the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The directory that holds the entry.
    pub parent: Fid,
    /// The entry's name (raw bytes).
    pub name: Vec<u8>,
}

/// Every name of every object, from the directories' pages, in discovery
/// order: directories in the order they were added (large-index order),
/// entries in listing order (spec §12.5) within a directory. `.` and `..`
/// are not names.
#[derive(Debug, Clone, Default)]
pub struct Namespace {
    root_name: Vec<u8>,
    names: HashMap<Fid, Vec<Name>>,
    /// Entry count per directory (without `.` and `..`).
    children: HashMap<Fid, usize>,
}

/// Longest path chain followed before giving up (loops in damaged
/// directory pages would otherwise never end).
const MAX_DEPTH: usize = 4096;

impl Namespace {
    /// An empty namespace whose root directory is called `root_name`
    /// (the volume name, as codadump2tar does).
    pub fn new(root_name: &[u8]) -> Self {
        Namespace {
            root_name: root_name.to_vec(),
            ..Namespace::default()
        }
    }

    /// Adds the entries of directory `dir` (its pages, concatenated).
    /// Returns the entries `.` and `..` point at, when present.
    pub fn add_directory(
        &mut self,
        dir: Fid,
        pages: &[u8],
    ) -> Result<(Option<Fid>, Option<Fid>), DirPageError> {
        let pages = DirPages::new(pages)?;
        let (mut dot, mut dotdot) = (None, None);
        let mut n = 0;
        for e in pages.entries() {
            let e = e?;
            match e.name {
                b"." => dot = Some((e.vnode, e.unique)),
                b".." => dotdot = Some((e.vnode, e.unique)),
                name => {
                    n += 1;
                    self.names
                        .entry((e.vnode, e.unique))
                        .or_default()
                        .push(Name {
                            parent: dir,
                            name: name.to_vec(),
                        });
                }
            }
        }
        self.children.insert(dir, n);
        Ok((dot, dotdot))
    }

    /// The names of an object (empty if no directory lists it).
    pub fn names(&self, fid: Fid) -> &[Name] {
        self.names.get(&fid).map_or(&[], Vec::as_slice)
    }

    /// Number of entries directory `dir` holds besides `.` and `..`, if it
    /// was added.
    pub fn entry_count(&self, dir: Fid) -> Option<usize> {
        self.children.get(&dir).copied()
    }

    /// The full path of name `k` of `fid` (or of the object itself when it
    /// has no name `k`): the root is the volume name; an object no
    /// directory lists is `ROOT/lost+found/%08x.%08x`. Components are
    /// joined with `/`, untruncated.
    pub fn path(&self, fid: Fid, k: usize) -> Vec<u8> {
        let mut parts: Vec<&[u8]> = Vec::new();
        let mut cur = fid;
        let mut which = k;
        let mut lost = None;
        for _ in 0..MAX_DEPTH {
            match self.names(cur).get(which) {
                Some(n) => {
                    parts.push(&n.name);
                    cur = n.parent;
                    which = 0;
                }
                None => {
                    if cur != ROOT {
                        lost = Some(cur);
                    }
                    break;
                }
            }
            if parts.len() == MAX_DEPTH {
                lost = Some(fid);
                parts.clear();
            }
        }
        let mut out = self.root_name.clone();
        if let Some((v, u)) = lost {
            out.extend_from_slice(format!("/lost+found/{v:08x}.{u:08x}").as_bytes());
        }
        for p in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(p);
        }
        out
    }
}
