//! Finds the directory vnode records of a golden dump without the stream
//! reader, by their fixed layout (spec §7.1, §7.2): a directory record is
//!
//! ```text
//! 05 u32 vnode u32 unique   't' 02   'b' u16   'l' u16   'L' u32 ...
//! (109 bytes in all)   'X' u32 len text NUL   0B u32 npages ('P' page){npages}
//! ```
//!
//! A match is only accepted when every one of those tag bytes, the ACL
//! string's NUL, the D_DIRPAGES tag and every page's `'P'` and page tag
//! 1234 are where the spec puts them; the tests cross-check the count of
//! directories against the real `codareaddump` listing.

#![allow(dead_code)]

/// One directory vnode found in a dump.
pub struct DirRecord {
    /// Stream offset of the 0x05 tag.
    pub offset: usize,
    pub vnode: u32,
    pub unique: u32,
    /// ACL text without its NUL.
    pub acl: Vec<u8>,
    /// The pages, concatenated (without the `'P'` separators).
    pub pages: Vec<u8>,
}

fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(d[at..at + 4].try_into().unwrap())
}

/// All directory vnode records of `dump`, in stream order.
pub fn directories(dump: &[u8]) -> Vec<DirRecord> {
    const PREFIX: usize = 109;
    let mut out = Vec::new();
    let mut r = 0;
    while r + PREFIX + 5 < dump.len() {
        if let Some((rec, end)) = directory_at(dump, r) {
            out.push(rec);
            r = end;
        } else {
            r += 1;
        }
    }
    out
}

fn directory_at(d: &[u8], r: usize) -> Option<(DirRecord, usize)> {
    let tag_at = |off: usize, tag: u8| d.get(r + off) == Some(&tag);
    let fixed = tag_at(0, 0x05)
        && tag_at(9, b't')
        && tag_at(10, 2)
        && tag_at(11, b'b')
        && tag_at(14, b'l')
        && tag_at(17, b'L')
        && tag_at(22, b'v')
        && tag_at(27, b'V')
        && tag_at(83, 0x07)
        && tag_at(84, b'm')
        && tag_at(89, b'a')
        && tag_at(94, b'o')
        && tag_at(99, b'p')
        && tag_at(104, b'q')
        && tag_at(109, b'X');
    if !fixed {
        return None;
    }
    let len = be32(d, r + 110) as usize;
    let text_at = r + 114;
    if len == 0 || text_at + len + 5 > d.len() || d[text_at + len - 1] != 0 {
        return None;
    }
    let mut at = text_at + len;
    if d[at] != 0x0B {
        return None;
    }
    let npages = be32(d, at + 1) as usize;
    if !(1..=128).contains(&npages) {
        return None;
    }
    at += 5;
    let mut pages = Vec::with_capacity(npages * 2048);
    for _ in 0..npages {
        if at + 2049 > d.len() || d[at] != b'P' || be32(d, at + 1) != 1234 {
            return None;
        }
        pages.extend_from_slice(&d[at + 1..at + 2049]);
        at += 2049;
    }
    let rec = DirRecord {
        offset: r,
        vnode: be32(d, r + 1),
        unique: be32(d, r + 5),
        acl: d[text_at..text_at + len - 1].to_vec(),
        pages,
    };
    Some((rec, at))
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
