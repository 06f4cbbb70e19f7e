//! Helpers of the `restore_*` tests: comparing a restored tree with a
//! golden manifest (`state-*.manifest.json`, spec §11.7) and snapshotting
//! trees to compare two restores.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Files a restore adds to its target that are not part of the tree.
pub const OWN_FILES: [&str; 2] = [".coda-rs-restore.json", "..CodaACLs.yaml"];

pub fn golden_dump(name: &str) -> PathBuf {
    coda_rs_tests::golden("dump", name)
}

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Every path of `dir` (relative, the restore's own files at the top left
/// out).
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for e in fs::read_dir(dir.join(&rel)).unwrap() {
            let e = e.unwrap();
            if rel.as_os_str().is_empty() && OWN_FILES.iter().any(|n| e.file_name() == *n) {
                continue;
            }
            let child = rel.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                stack.push(child.clone());
            }
            out.push(child);
        }
    }
    out.sort();
    out
}

/// Differences between the tree in `dir` and the golden manifest `name`
/// (whose paths start with the root directory's name).
pub fn manifest_differences(dir: &Path, name: &str) -> Vec<String> {
    let text = fs::read(golden_dump(name)).unwrap();
    let entries: Vec<Value> = serde_json::from_slice(&text).unwrap();
    let mut diffs = Vec::new();
    let mut expected = BTreeSet::new();
    for e in &entries {
        let full = e["path"].as_str().unwrap();
        let rel = match full.split_once('/') {
            Some((_, r)) => PathBuf::from(r),
            None => PathBuf::new(),
        };
        expected.insert(rel.clone());
        let path = dir.join(&rel);
        let m = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(err) => {
                diffs.push(format!("{full}: {err}"));
                continue;
            }
        };
        let ty = e["type"].as_str().unwrap();
        let ft = m.file_type();
        let found = if ft.is_dir() {
            "dir"
        } else if ft.is_symlink() {
            "symlink"
        } else {
            "file"
        };
        if found != ty {
            diffs.push(format!("{full}: type {found}, manifest {ty}"));
            continue;
        }
        let mode = u32::from_str_radix(e["mode"].as_str().unwrap(), 8).unwrap();
        if ty != "symlink" && m.mode() & 0o7777 != mode {
            diffs.push(format!(
                "{full}: mode {:o}, manifest {mode:o}",
                m.mode() & 0o7777
            ));
        }
        if m.mtime() != e["mtime"].as_i64().unwrap() {
            diffs.push(format!(
                "{full}: mtime {}, manifest {}",
                m.mtime(),
                e["mtime"]
            ));
        }
        if coda_rs_tests::is_root() && i64::from(m.uid()) != e["owner"].as_i64().unwrap() {
            diffs.push(format!(
                "{full}: owner {}, manifest {}",
                m.uid(),
                e["owner"]
            ));
        }
        match ty {
            "file" => {
                let data = fs::read(&path).unwrap();
                if data.len() as u64 != e["size"].as_u64().unwrap() {
                    diffs.push(format!(
                        "{full}: size {}, manifest {}",
                        data.len(),
                        e["size"]
                    ));
                }
                if sha(&data) != e["sha256"].as_str().unwrap() {
                    diffs.push(format!("{full}: sha256 differs"));
                }
                if m.nlink() != e["links"].as_u64().unwrap() {
                    diffs.push(format!(
                        "{full}: {} links, manifest {}",
                        m.nlink(),
                        e["links"]
                    ));
                }
            }
            "symlink" => {
                let t = fs::read_link(&path).unwrap();
                let t = t.as_os_str().as_bytes();
                if t != e["target"].as_str().unwrap().as_bytes() {
                    diffs.push(format!("{full}: target {:?}", String::from_utf8_lossy(t)));
                }
                if sha(t) != e["sha256"].as_str().unwrap() {
                    diffs.push(format!("{full}: target sha256 differs"));
                }
            }
            _ => {}
        }
    }
    for p in walk(dir) {
        if !expected.contains(&p) {
            diffs.push(format!("{}: not in the manifest", p.display()));
        }
    }
    // Names of the same (vnode, unique) must be one inode.
    let mut inode_of: HashMap<(i64, i64), (u64, u64)> = HashMap::new();
    for e in &entries {
        if e["type"] != "file" {
            continue;
        }
        let rel = e["path"].as_str().unwrap().split_once('/').unwrap().1;
        let Ok(m) = fs::symlink_metadata(dir.join(rel)) else {
            continue;
        };
        let key = (e["vnode"].as_i64().unwrap(), e["unique"].as_i64().unwrap());
        let ino = (m.dev(), m.ino());
        if *inode_of.entry(key).or_insert(ino) != ino {
            diffs.push(format!(
                "{rel}: not a hard link of the object's other names"
            ));
        }
    }
    diffs
}

/// Everything observable about a tree, to compare two restores: per path
/// the type, mode, mtime, size, content hash or target, link count and
/// which earlier path shares its inode.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut first_of: HashMap<(u64, u64), PathBuf> = HashMap::new();
    let mut out = BTreeMap::new();
    for rel in walk(dir) {
        let p = dir.join(&rel);
        let m = fs::symlink_metadata(&p).unwrap();
        let ft = m.file_type();
        let what = if ft.is_dir() {
            "dir".to_string()
        } else if ft.is_symlink() {
            format!(
                "symlink {}",
                sha(fs::read_link(&p).unwrap().as_os_str().as_bytes())
            )
        } else {
            let same = first_of
                .entry((m.dev(), m.ino()))
                .or_insert_with(|| rel.clone())
                .clone();
            format!(
                "file {} {} links {} same-as {}",
                m.len(),
                sha(&fs::read(&p).unwrap()),
                m.nlink(),
                same.display()
            )
        };
        out.insert(
            rel,
            format!(
                "{what} mode {:o} mtime {} uid {}",
                m.mode() & 0o7777,
                m.mtime(),
                m.uid()
            ),
        );
    }
    let root = fs::metadata(dir).unwrap();
    out.insert(
        PathBuf::new(),
        format!(
            "root mode {:o} mtime {}",
            root.mode() & 0o7777,
            root.mtime()
        ),
    );
    out
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
