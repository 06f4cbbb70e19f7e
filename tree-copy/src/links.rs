//! Hard links: which source objects are the same object, across every
//! tree of one run, so that each is copied once and linked elsewhere.

use std::collections::HashMap;

use crate::node::{Entry, Kind};

/// The identity of a source object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectId {
    /// Device and inode number from `lstat`.
    Inode {
        /// `st_dev`.
        dev: u64,
        /// `st_ino`.
        ino: u64,
    },
    /// A Coda fid (from the getfid pioctl) and a key of its realm.
    Fid {
        /// Hash of the realm name.
        realm: u64,
        /// Volume id.
        volume: u32,
        /// Vnode number.
        vnode: u32,
        /// Uniquifier.
        unique: u32,
    },
}

impl ObjectId {
    /// The identity of an entry, or `None` when it cannot be a hard link
    /// (directories, objects with a single name).
    pub fn of(entry: &Entry) -> Option<ObjectId> {
        if entry.kind == Kind::Dir || entry.meta.nlink < 2 {
            return None;
        }
        Some(ObjectId::Inode {
            dev: entry.meta.dev,
            ino: entry.meta.ino,
        })
    }
}

/// Finds hard-link groups. `ids` holds the identity of every entry of the
/// run, in order (`None` for entries that cannot be hard links); the
/// result gives, for each entry, the index of the first entry of its group
/// when it is a later name of an object already seen.
pub fn primaries(ids: impl Iterator<Item = Option<ObjectId>>) -> Vec<Option<usize>> {
    let mut first: HashMap<ObjectId, usize> = HashMap::new();
    ids.enumerate()
        .map(|(i, id)| {
            let id = id?;
            match first.get(&id) {
                Some(&p) => Some(p),
                None => {
                    first.insert(id, i);
                    None
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Meta, Time};
    use std::path::PathBuf;

    fn entry(kind: Kind, dev: u64, ino: u64, nlink: u64) -> Entry {
        let t = Time { sec: 0, nsec: 0 };
        Entry {
            rel: PathBuf::from("x"),
            depth: 1,
            kind,
            meta: Meta {
                dev,
                ino,
                mode: 0o100644,
                nlink,
                uid: 0,
                gid: 0,
                rdev: 0,
                size: 0,
                blocks: 0,
                atime: t,
                mtime: t,
            },
        }
    }

    #[test]
    fn later_names_point_at_the_first() {
        let es = [
            entry(Kind::File, 1, 10, 2),
            entry(Kind::File, 1, 11, 1),
            entry(Kind::File, 2, 10, 2), // same inode number, other device
            entry(Kind::File, 1, 10, 2),
            entry(Kind::Dir, 1, 12, 3),
            entry(Kind::Symlink, 2, 10, 2),
        ];
        assert_eq!(
            primaries(es.iter().map(ObjectId::of)),
            vec![None, None, None, Some(0), None, Some(2)]
        );
    }
}
