//! Helpers of the `restore_*` tests: comparing a restored tree with a
//! golden manifest (`state-*.manifest.json`, spec §11.7) and snapshotting
//! trees to compare two restores, both with the tree manifest shared with
//! the drill (`coda_rs_tests::tree_manifest`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use coda_rs_tests::{golden_manifest, tree_manifest, Manifest};

pub fn golden_dump(name: &str) -> PathBuf {
    coda_rs_tests::golden("dump", name)
}

/// Differences between the tree in `dir` and the golden manifest `name`
/// (whose paths start with the root directory's name): types, modes,
/// mtimes, owners (when run as root), sizes, SHA-256, link counts,
/// symlink targets, hard links, and paths on one side only. The
/// restore's own files in the root are not part of the tree.
pub fn manifest_differences(dir: &Path, name: &str) -> Vec<String> {
    let mut want = golden_manifest(name);
    let mut got = tree_manifest(dir);
    if !coda_rs_tests::is_root() {
        // Only root can give the files their owners.
        want.clear_owners();
        got.clear_owners();
    }
    want.differences(&got)
}

/// Everything observable about a tree, to compare two restores: per path
/// the type, mode, owner, mtime, size, content hash or target, link count
/// and which names are one object.
pub fn snapshot(dir: &Path) -> Manifest {
    tree_manifest(dir)
}

/// Bytes of member `name` of the tar archive `tar` (plain ustar).
pub fn tar_member(tar: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut at = 0;
    while at + 512 <= tar.len() {
        let h = &tar[at..at + 512];
        if h.iter().all(|&b| b == 0) {
            return None;
        }
        let field = |r: std::ops::Range<usize>| {
            let f = &h[r];
            let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
            String::from_utf8_lossy(&f[..end]).into_owned()
        };
        let size = usize::from_str_radix(field(124..136).trim(), 8).unwrap_or(0);
        if field(0..100) == name {
            return Some(tar[at + 512..at + 512 + size].to_vec());
        }
        at += 512 + size.div_ceil(512) * 512;
    }
    None
}
