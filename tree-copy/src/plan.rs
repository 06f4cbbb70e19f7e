//! Planning a run: checking the pairs (no destination inside a source,
//! no overlapping destinations), and turning the walked trees into one
//! list of items, each with the action that copies it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Op};
use crate::links;
use crate::node::{Entry, Kind, Meta};

/// One tree to copy: `dst` becomes a copy of `src`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// Root of the source tree.
    pub src: PathBuf,
    /// Root of the copy.
    pub dst: PathBuf,
}

/// A pair with absolute, symlink-free roots and the source root's attributes.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The canonical pair.
    pub pair: Pair,
    /// `stat` of the source root (replaced by the `fstat` of the opened
    /// root when the run starts).
    pub src_meta: Meta,
}

fn io_err(path: &Path, op: Op) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        op,
        source,
    }
}

/// Canonical form of a destination that may not exist yet: its parent
/// must.
fn canonical_dst(dst: &Path) -> Result<PathBuf, Error> {
    if fs::symlink_metadata(dst).is_ok() {
        return fs::canonicalize(dst).map_err(io_err(dst, Op::Stat));
    }
    let name = dst.file_name().ok_or_else(|| Error::Io {
        path: dst.to_path_buf(),
        op: Op::Stat,
        source: std::io::ErrorKind::InvalidInput.into(),
    })?;
    let parent = match dst.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok(fs::canonicalize(parent)
        .map_err(io_err(parent, Op::Stat))?
        .join(name))
}

/// Checks and canonicalises the pairs of a run. Refuses a destination
/// inside any source (including its own) and destinations that overlap.
pub fn resolve(pairs: &[Pair]) -> Result<Vec<Resolved>, Error> {
    let mut out = Vec::with_capacity(pairs.len());
    for p in pairs {
        let src = fs::canonicalize(&p.src).map_err(io_err(&p.src, Op::Stat))?;
        let m = rustix::fs::stat(&src)
            .map(|st| Meta::from_stat(&st))
            .map_err(|e| io_err(&p.src, Op::Stat)(e.into()))?;
        if m.kind() != Kind::Dir {
            return Err(Error::SrcNotDir {
                path: p.src.clone(),
            });
        }
        let dst = canonical_dst(&p.dst)?;
        out.push(Resolved {
            pair: Pair { src, dst },
            src_meta: m,
        });
    }
    for a in &out {
        for b in &out {
            if a.pair.dst.starts_with(&b.pair.src) {
                return Err(Error::DstInsideSrc {
                    src: b.pair.src.clone(),
                    dst: a.pair.dst.clone(),
                });
            }
        }
    }
    for (i, a) in out.iter().enumerate() {
        for b in &out[i + 1..] {
            if a.pair.dst.starts_with(&b.pair.dst) || b.pair.dst.starts_with(&a.pair.dst) {
                return Err(Error::DstOverlap {
                    dst: b.pair.dst.clone(),
                    other: a.pair.dst.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// How one item is made at the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create the directory (its metadata is set after its children).
    Dir,
    /// Copy the file's data.
    File,
    /// Recreate the symbolic link.
    Symlink,
    /// Recreate the device, FIFO or socket.
    Special,
    /// Hard-link to the copy of the item at this index.
    Link {
        /// Index of the first name of the same source object.
        primary: usize,
    },
}

/// One object to copy.
#[derive(Debug, Clone)]
pub struct Item {
    /// Index of the pair it belongs to.
    pub pair: usize,
    /// The walked source entry.
    pub entry: Entry,
    /// How to copy it.
    pub action: Action,
}

/// Everything a run will do.
#[derive(Debug)]
pub struct Plan {
    /// The pairs, canonical.
    pub pairs: Vec<Pair>,
    /// Every item of every pair, each tree in pre-order.
    pub items: Vec<Item>,
    /// Number of non-directory items.
    pub objects: u64,
    /// Bytes of file data to copy.
    pub bytes: u64,
}

impl Plan {
    /// Builds the plan from each pair's walked entries; every object is
    /// copied on its own until [`Plan::link`] says otherwise.
    pub fn build(pairs: Vec<Pair>, trees: Vec<Vec<Entry>>) -> Plan {
        let mut items = Vec::with_capacity(trees.iter().map(Vec::len).sum());
        for (pair, tree) in trees.into_iter().enumerate() {
            for entry in tree {
                let action = match entry.kind {
                    Kind::Dir => Action::Dir,
                    Kind::File => Action::File,
                    Kind::Symlink => Action::Symlink,
                    _ => Action::Special,
                };
                items.push(Item {
                    pair,
                    entry,
                    action,
                });
            }
        }
        let mut plan = Plan {
            pairs,
            items,
            objects: 0,
            bytes: 0,
        };
        plan.count();
        plan
    }

    /// Turns later names of an object already met (in any pair) into hard
    /// links to its first copy. `ids` holds each item's identity, `None`
    /// where it cannot be a hard link (see [`links::ObjectId::of`]).
    pub fn link(&mut self, ids: Vec<Option<links::ObjectId>>) {
        let prim = links::primaries(ids.into_iter());
        for (item, p) in self.items.iter_mut().zip(prim) {
            if let Some(primary) = p {
                item.action = Action::Link { primary };
            }
        }
        self.count();
    }

    fn count(&mut self) {
        self.objects = self
            .items
            .iter()
            .filter(|i| i.action != Action::Dir)
            .count() as u64;
        self.bytes = self
            .items
            .iter()
            .filter(|i| i.action == Action::File)
            .map(|i| i.entry.meta.size)
            .sum();
    }

    /// Source path of item `i`.
    pub fn src(&self, i: usize) -> PathBuf {
        let it = &self.items[i];
        join(&self.pairs[it.pair].src, &it.entry.rel)
    }

    /// Destination path of item `i`.
    pub fn dst(&self, i: usize) -> PathBuf {
        let it = &self.items[i];
        join(&self.pairs[it.pair].dst, &it.entry.rel)
    }
}

/// `root` joined with `rel`, or `root` itself when `rel` is empty.
pub fn join(root: &Path, rel: &Path) -> PathBuf {
    if rel.as_os_str().is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    }
}
