//! Reconstructing paths from directory pages (spec §11.2, §11.7): which
//! names every object (vnode, uniquifier) has, and the full path of each.
//!
//! [`list_directory`] is the one function that turns a directory vnode's
//! pages into entries; every name it returns has been checked
//! ([`DirPages::listing`]). [`Namespace`] collects them and checks the
//! tree's shape (the private `shape` module).

mod shape;

use std::collections::HashMap;

pub use shape::{Place, ShapeCheck, ShapeProblem};

use crate::dirpage::{DirPages, Listing};
use crate::error::Error;
use crate::vnode::Vnode;

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

/// The directory a directory's `..` names: the parent in its vnode record
/// (spec §7.1), the root itself for the root (§12.5).
pub fn parent_of(v: &Vnode) -> Fid {
    let me = (v.vnode, v.unique);
    if me == ROOT {
        ROOT
    } else {
        (v.parent_vnode, v.parent_unique)
    }
}

/// Lists the pages of directory vnode `v`, whose D_DIRPAGES data starts at
/// stream offset `data_at` (0 when unknown): its entries other than `.` and
/// `..` with every name checked ([`DirPages::listing`]; `..` must name the
/// root in the root, a directory elsewhere). An error names the directory,
/// the entry (its name escaped) and the entry's stream offset.
pub fn list_directory<'p>(v: &Vnode, pages: &'p [u8], data_at: u64) -> Result<Listing<'p>, Error> {
    let me = (v.vnode, v.unique);
    DirPages::new(pages)
        .and_then(|d| d.listing(me, (me == ROOT).then_some(ROOT)))
        .map_err(|e| e.in_stream(data_at, me))
}

/// Every name of every object, from the directories' pages, in discovery
/// order: directories in the order they were added (large-index order),
/// entries in listing order (spec §12.5) within a directory. `.` and `..`
/// are not names, nor are entries that break the tree (a second name of a
/// directory, a name of the root): those are [`Namespace::shape_problems`].
#[derive(Debug, Clone, Default)]
pub struct Namespace {
    root_name: Vec<u8>,
    names: HashMap<Fid, Vec<Name>>,
    /// Entry count per directory (without `.` and `..`).
    children: HashMap<Fid, usize>,
    shape: ShapeCheck,
}

impl Namespace {
    /// An empty namespace whose root directory is called `root_name`
    /// (the volume name, as codadump2tar does).
    pub fn new(root_name: &[u8]) -> Self {
        Namespace {
            root_name: root_name.to_vec(),
            ..Namespace::default()
        }
    }

    /// Adds the entries of directory vnode `v` (its pages, concatenated,
    /// read from stream offset `data_at`; 0 when unknown), listed by
    /// [`list_directory`]. On an error nothing of the directory is added.
    /// Returns the listing.
    pub fn add_directory<'p>(
        &mut self,
        v: &Vnode,
        pages: &'p [u8],
        data_at: u64,
    ) -> Result<Listing<'p>, Error> {
        let dir = (v.vnode, v.unique);
        let listing = list_directory(v, pages, data_at)?;
        for e in self.shape.directory(dir, &listing, data_at) {
            self.names
                .entry((e.vnode, e.unique))
                .or_default()
                .push(Name {
                    parent: dir,
                    name: e.name.to_vec(),
                });
        }
        self.children.insert(dir, listing.entries.len());
        Ok(listing)
    }

    /// What breaks the tree (spec §11.7): directories listed twice, the
    /// root listed by a directory, cycles. `dump restore` and `dump to-tar`
    /// refuse such a namespace; `dump ls` and `dump verify` warn.
    pub fn shape_problems(&self) -> Vec<ShapeProblem> {
        self.shape.problems()
    }

    /// The first of [`Namespace::shape_problems`] as an error.
    pub fn check_shape(&self) -> Result<(), Error> {
        self.shape.check()
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
    /// directory lists is `ROOT/lost+found/%08x.%08x`, and so is one whose
    /// names lead into a cycle of directories. Components are joined with
    /// `/`, untruncated.
    pub fn path(&self, fid: Fid, k: usize) -> Vec<u8> {
        let mut parts: Vec<&[u8]> = Vec::new();
        let mut cur = fid;
        let mut which = k;
        let mut lost = None;
        // Each step goes up to a directory that was added; a longer chain
        // than there are directories is a cycle.
        let limit = self.children.len() + 1;
        loop {
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
            if parts.len() > limit {
                lost = Some(fid);
                parts.clear();
                break;
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
