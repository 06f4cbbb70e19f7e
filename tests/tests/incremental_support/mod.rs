//! What the incremental topics of the dump suite share: the fids a dump
//! sends and removes.

use std::collections::BTreeSet;

use volume_dump::{Dump, IndexEntry};

/// A set of (vnode, unique).
pub type Fids = BTreeSet<(u32, u32)>;

/// (vnode, unique) of every D_VNODE and every D_RMVNODE of a dump.
pub fn records(d: &Dump) -> (Fids, Fids) {
    let (mut sent, mut removed) = (BTreeSet::new(), BTreeSet::new());
    for e in d.large.entries.iter().chain(&d.small.entries) {
        match e {
            IndexEntry::Vnode(v, _) => {
                sent.insert((v.vnode, v.unique));
            }
            IndexEntry::Removed { vnode, unique } => {
                removed.insert((*vnode, *unique));
            }
            IndexEntry::Null => {}
        }
    }
    (sent, removed)
}
