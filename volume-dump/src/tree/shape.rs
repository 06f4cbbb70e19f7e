//! The shape of a volume's namespace: directories form a tree below the
//! root (spec §11.7). Files may have several names (hard links); a
//! directory has at most one, the root none, its `..` names the directory
//! that lists it, and following directories' names upwards always ends.
//!
//! [`ShapeCheck`] is fed every directory's listing in discovery order and
//! reports what breaks the tree. It is the one check
//! behind `dump restore` and `dump to-tar` (which refuse such a dump) and
//! `dump ls --tree` and `dump verify` (which warn).

use std::collections::HashMap;
use std::fmt;

use super::{Fid, ROOT};
use crate::dirpage::{self, escape_name, DirEntry, Listing};
use crate::error::{Error, Record};
use crate::vnode::VnodeClass;

/// Where a name was found: the directory holding the entry, the name and
/// the entry's stream offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The directory holding the entry.
    pub parent: Fid,
    /// The entry's name.
    pub name: Vec<u8>,
    /// Stream offset of the entry (its first blob).
    pub offset: u64,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "as {} in directory {:#x}.{:#x} (byte offset {})",
            escape_name(&self.name),
            self.parent.0,
            self.parent.1,
            self.offset
        )
    }
}

/// What breaks the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeProblem {
    /// A directory is listed under a second name (in the same or another
    /// directory): it would be reachable twice.
    NamedTwice {
        /// The directory.
        dir: Fid,
        /// Its first name.
        first: Place,
        /// The name met later.
        second: Place,
    },
    /// The root directory is listed by a directory: a cycle through the
    /// root.
    RootListed {
        /// The entry naming the root.
        at: Place,
    },
    /// A directory's `..` names another directory than the one listing it.
    WrongParent {
        /// The directory.
        dir: Fid,
        /// What its `..` names.
        dotdot: Fid,
        /// Stream offset of its `..` entry.
        offset: u64,
        /// Its name.
        listed: Place,
    },
    /// Directories whose names lead up to each other and never to the root
    /// or to an unnamed directory: a cycle.
    Cycle {
        /// A directory of the cycle.
        dir: Fid,
        /// Its name, inside another directory of the cycle.
        at: Place,
    },
}

impl ShapeProblem {
    /// Stream offset of the entry the problem is about.
    pub fn offset(&self) -> u64 {
        match self {
            ShapeProblem::NamedTwice { second, .. } => second.offset,
            ShapeProblem::WrongParent { offset, .. } => *offset,
            ShapeProblem::RootListed { at } | ShapeProblem::Cycle { at, .. } => at.offset,
        }
    }

    /// The problem as a stream error, for commands that refuse it.
    pub fn to_error(&self) -> Error {
        let parent = match self {
            ShapeProblem::NamedTwice { second, .. } => second.parent,
            ShapeProblem::WrongParent { dir, .. } => *dir,
            ShapeProblem::RootListed { at } | ShapeProblem::Cycle { at, .. } => at.parent,
        };
        Error::Format {
            offset: self.offset(),
            record: Record::Directory {
                vnode: parent.0,
                unique: parent.1,
            },
            found: self.to_string(),
            expected: "directories that form a tree below the root, each listed once".into(),
        }
    }
}

impl fmt::Display for ShapeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeProblem::NamedTwice { dir, first, second } => write!(
                f,
                "directory {:#x}.{:#x} is listed twice: {first} and {second}",
                dir.0, dir.1
            ),
            ShapeProblem::WrongParent {
                dir,
                dotdot,
                offset,
                listed,
            } => write!(
                f,
                "the `..` entry of directory {:#x}.{:#x} (byte offset {offset}) names {:#x}.{:#x}, \
                 but the directory is listed {listed}",
                dir.0, dir.1, dotdot.0, dotdot.1
            ),
            ShapeProblem::RootListed { at } => write!(
                f,
                "the root directory 0x1.0x1 is listed {at}: a cycle through the root"
            ),
            ShapeProblem::Cycle { dir, at } => write!(
                f,
                "directory {:#x}.{:#x}, listed {at}, is in a cycle of directories that never \
                 reaches the root",
                dir.0, dir.1
            ),
        }
    }
}

/// Collects the entries of a namespace and finds what breaks the tree.
#[derive(Debug, Clone, Default)]
pub struct ShapeCheck {
    /// The first name of every directory.
    first: HashMap<Fid, Place>,
    /// What every directory's `..` names, and the entry's stream offset.
    dotdot: HashMap<Fid, (Fid, u64)>,
    /// Second names and names of the root, in discovery order.
    problems: Vec<ShapeProblem>,
}

impl ShapeCheck {
    /// An empty check.
    pub fn new() -> Self {
        ShapeCheck::default()
    }

    /// Notes the listing of directory `dir`, whose D_DIRPAGES data starts
    /// at stream offset `data_at`, and returns the entries that give names:
    /// all but those naming the root or a directory that already has a
    /// name (which are problems).
    pub fn directory<'l, 'a>(
        &mut self,
        dir: Fid,
        listing: &'l Listing<'a>,
        data_at: u64,
    ) -> Vec<&'l DirEntry<'a>> {
        if let Some(e) = &listing.dotdot {
            self.dotdot
                .insert(dir, ((e.vnode, e.unique), entry_offset(data_at, e)));
        }
        listing
            .entries
            .iter()
            .filter(|e| {
                let at = entry_offset(data_at, e);
                self.entry(dir, e.name, (e.vnode, e.unique), at)
            })
            .collect()
    }

    /// Notes entry `name` of directory `parent` naming `child`, found at
    /// stream offset `offset`. Returns false when the entry names the root
    /// or a directory that already has a name. Directories are told by
    /// their odd vnode number (spec §6.1).
    fn entry(&mut self, parent: Fid, name: &[u8], child: Fid, offset: u64) -> bool {
        if VnodeClass::of_vnode(child.0) != VnodeClass::Large {
            return true;
        }
        let at = Place {
            parent,
            name: name.to_vec(),
            offset,
        };
        if child == ROOT {
            self.problems.push(ShapeProblem::RootListed { at });
            return false;
        }
        match self.first.get(&child) {
            Some(first) => {
                self.problems.push(ShapeProblem::NamedTwice {
                    dir: child,
                    first: first.clone(),
                    second: at,
                });
                false
            }
            None => {
                self.first.insert(child, at);
                true
            }
        }
    }

    /// Everything that breaks the tree: second names and names of the root
    /// in discovery order, `..` entries that do not name the listing
    /// directory, then one [`ShapeProblem::Cycle`] per cycle of first names
    /// (by the cycle's lowest directory).
    pub fn problems(&self) -> Vec<ShapeProblem> {
        let mut out = self.problems.clone();
        let mut wrong: Vec<_> = self
            .dotdot
            .iter()
            .filter_map(|(&dir, &(dotdot, offset))| {
                let listed = self.first.get(&dir)?;
                (listed.parent != dotdot).then(|| ShapeProblem::WrongParent {
                    dir,
                    dotdot,
                    offset,
                    listed: listed.clone(),
                })
            })
            .collect();
        wrong.sort_by_key(ShapeProblem::offset);
        out.extend(wrong);
        // 0 = not visited, 1 = on the current walk, 2 = leads out of every
        // cycle (or into one already reported).
        let mut state: HashMap<Fid, u8> = HashMap::with_capacity(self.first.len());
        let mut dirs: Vec<&Fid> = self.first.keys().collect();
        dirs.sort();
        let mut cycles = Vec::new();
        for &start in dirs {
            let mut walk = Vec::new();
            let mut cur = start;
            loop {
                match state.get(&cur).copied().unwrap_or(0) {
                    2 => break,
                    1 => {
                        // `cur` closes a cycle: report its lowest directory.
                        let from = walk.iter().position(|&d| d == cur).unwrap_or(0);
                        let low = walk[from..].iter().min().copied().unwrap_or(cur);
                        cycles.push(low);
                        break;
                    }
                    _ => {}
                }
                let Some(place) = self.first.get(&cur) else {
                    break;
                };
                state.insert(cur, 1);
                walk.push(cur);
                cur = place.parent;
            }
            for d in walk {
                state.insert(d, 2);
            }
        }
        cycles.sort();
        for dir in cycles {
            if let Some(at) = self.first.get(&dir) {
                out.push(ShapeProblem::Cycle {
                    dir,
                    at: at.clone(),
                });
            }
        }
        out
    }

    /// The first problem as an error, for commands that refuse them.
    pub fn check(&self) -> Result<(), Error> {
        match self.problems().first() {
            Some(p) => Err(p.to_error()),
            None => Ok(()),
        }
    }
}

/// Stream offset of an entry's first blob.
fn entry_offset(data_at: u64, e: &DirEntry<'_>) -> u64 {
    dirpage::stream_offset(data_at, usize::from(e.blob) * dirpage::BLOB_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_has_no_problems() {
        let mut s = ShapeCheck::new();
        assert!(s.entry(ROOT, b"a", (3, 2), 10));
        assert!(s.entry((3, 2), b"b", (5, 3), 20));
        // A file with two names is a hard link, not a problem.
        assert!(s.entry(ROOT, b"f", (2, 2), 30));
        assert!(s.entry((3, 2), b"g", (2, 2), 40));
        assert_eq!(s.problems(), vec![]);
        s.check().unwrap();
    }

    #[test]
    fn second_names_the_root_and_cycles_are_found() {
        let mut s = ShapeCheck::new();
        assert!(s.entry(ROOT, b"a", (3, 2), 10));
        assert!(!s.entry((3, 2), b"again", (3, 2), 20));
        assert!(!s.entry((3, 2), b"up", ROOT, 30));
        // 5.3 and 7.4 name each other only.
        assert!(s.entry((7, 4), b"x", (5, 3), 40));
        assert!(s.entry((5, 3), b"y", (7, 4), 50));
        let p = s.problems();
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(matches!(
            &p[0],
            ShapeProblem::NamedTwice { dir: (3, 2), .. }
        ));
        assert_eq!(
            p[0].to_string(),
            "directory 0x3.0x2 is listed twice: as \"a\" in directory 0x1.0x1 (byte offset 10) \
             and as \"again\" in directory 0x3.0x2 (byte offset 20)"
        );
        assert!(matches!(&p[1], ShapeProblem::RootListed { .. }));
        assert_eq!(p[2].offset(), 40);
        assert!(p[2].to_string().contains("cycle"), "{}", p[2]);
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .starts_with("byte offset 20: "));
    }
}
