//! The directory vnode records of a golden dump, read with the streaming
//! `DumpReader`, and the number of directories the real `codareaddump`
//! listed (the tests cross-check the two).

#![allow(dead_code)]

use volume_dump::{DumpReader, Entry, VnodeClass};

/// One directory vnode of a dump.
pub struct DirRecord {
    /// Stream offset of the 0x05 tag.
    pub offset: u64,
    pub vnode: u32,
    pub unique: u32,
    /// ACL text without its NUL.
    pub acl: Vec<u8>,
    /// The pages, concatenated (without the `'P'` marks).
    pub pages: Vec<u8>,
}

/// All directory vnode records of `dump`, in stream order.
pub fn directories(dump: &[u8]) -> Vec<DirRecord> {
    let mut r = DumpReader::new(dump).expect("golden dump header");
    let mut out = Vec::new();
    while let Some(entry) = r.next_entry().expect("golden dump entry") {
        match entry {
            Entry::Index {
                class: VnodeClass::Small,
                ..
            } => break,
            Entry::Vnode(v) => {
                let pages = r.read_data_to_vec().expect("directory pages");
                out.push(DirRecord {
                    offset: v.offset,
                    vnode: v.vnode.vnode,
                    unique: v.vnode.unique,
                    acl: v.vnode.acl.clone().expect("directory ACL"),
                    pages,
                });
            }
            _ => {}
        }
    }
    out
}

/// Number of directory vnodes `codareaddump` listed (`type = 2` lines).
pub fn readdump_directory_count(readdump: &str) -> usize {
    readdump.lines().filter(|l| l.trim() == "type = 2").count()
}

/// Every golden dump.
pub const DUMPS: &[&str] = &[
    "native-full",
    "native-incr",
    "native-merged",
    "harness-a-full",
    "harness-b-full",
    "server-a-full",
    "server-b-full",
    "server-b-incr",
    "server-b-incr-smallonly",
    "merged-a+b",
    "harness-badinode",
    "server-badinode-redump",
];
