//! Property: for random trees A and random changes A -> B (writes,
//! deletions, renames, new directories, symlinks, mode changes), the
//! incremental of B relative to the full dump of A (spec §8) merges with
//! that full dump (spec §10) into a dump that lists the same tree as a full
//! dump of B, and a second incremental of an unchanged B is empty.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Cursor, Write};
use std::os::unix::fs::{symlink, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use coda_rs_tests::scratch;
use proptest::prelude::*;
use volume_dump::create::{create_dump, CreateOptions};
use volume_dump::incremental::{write_incremental, IncrementalOptions};
use volume_dump::merge::{merge, MergeOptions};
use volume_dump::tree::Namespace;
use volume_dump::{Data, Dump, IndexEntry, ReadOptions};

/// The places objects go: the root and three nested directories.
const DIRS: [&str; 4] = ["", "a", "a/b", "c"];
const NAMES: [&str; 5] = ["f0", "f1", "é2", "long-name-number-three.txt", "f4"];

#[derive(Debug, Clone)]
enum Op {
    Write(usize, usize, Vec<u8>),
    Remove(usize, usize),
    Rename(usize, usize, usize, usize),
    Symlink(usize, usize, String),
    Chmod(usize, usize, u32),
    RemoveDir(usize),
    MakeDir(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let d = 0..DIRS.len();
    let n = 0..NAMES.len();
    prop_oneof![
        4 => (d.clone(), n.clone(), prop::collection::vec(any::<u8>(), 0..3000))
            .prop_map(|(d, n, c)| Op::Write(d, n, c)),
        2 => (d.clone(), n.clone()).prop_map(|(d, n)| Op::Remove(d, n)),
        2 => (d.clone(), n.clone(), d.clone(), n.clone())
            .prop_map(|(a, b, c, e)| Op::Rename(a, b, c, e)),
        1 => (d.clone(), n.clone(), "[a-z/.]{1,20}").prop_map(|(d, n, t)| Op::Symlink(d, n, t)),
        1 => (d.clone(), n.clone(), prop::sample::select(vec![0o600u32, 0o644, 0o755]))
            .prop_map(|(d, n, m)| Op::Chmod(d, n, m)),
        1 => (1..DIRS.len()).prop_map(Op::RemoveDir),
        1 => (1..DIRS.len()).prop_map(Op::MakeDir),
    ]
}

fn path(root: &Path, d: usize, n: usize) -> std::path::PathBuf {
    root.join(DIRS[d]).join(NAMES[n])
}

/// Applies `op`; operations that do not fit the current tree (a missing
/// source, a missing directory) are skipped, as a user's would fail.
/// Writes and mode changes never follow a symlink: the symlinks' targets
/// are random (`/`, `../..`), and this runs as root.
fn apply(root: &Path, op: &Op) {
    let _ = match op {
        Op::Write(d, n, c) => fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path(root, *d, *n))
            .and_then(|mut f| f.write_all(c)),
        Op::Remove(d, n) => fs::remove_file(path(root, *d, *n)),
        Op::Rename(a, b, c, e) => fs::rename(path(root, *a, *b), path(root, *c, *e)),
        Op::Symlink(d, n, t) => symlink(t, path(root, *d, *n)),
        Op::Chmod(d, n, m) => {
            let p = path(root, *d, *n);
            match fs::symlink_metadata(&p) {
                Ok(meta) if !meta.file_type().is_symlink() => {
                    fs::set_permissions(p, fs::Permissions::from_mode(*m))
                }
                _ => Ok(()),
            }
        }
        Op::RemoveDir(d) => fs::remove_dir_all(root.join(DIRS[*d])),
        Op::MakeDir(d) => fs::create_dir_all(root.join(DIRS[*d])),
    };
}

type Item = (u8, u32, u16, u32, u16, Vec<u8>);

fn listing(d: &Dump) -> BTreeMap<Vec<u8>, Item> {
    let mut ns = Namespace::new(b"v");
    for e in &d.large.entries {
        if let IndexEntry::Vnode(v, Data::DirPages(p)) = e {
            ns.add_directory(v, p, 0).unwrap();
        }
    }
    let mut out = BTreeMap::new();
    for e in d.large.entries.iter().chain(&d.small.entries) {
        let IndexEntry::Vnode(v, data) = e else {
            panic!("a merged dump holds only vnodes");
        };
        let content = match data {
            Data::File(b) => b.clone(),
            _ => Vec::new(),
        };
        let fid = (v.vnode, v.unique);
        let item = (
            v.vnode_type,
            if v.is_directory() { 0 } else { v.length },
            v.mode,
            v.mtime,
            v.links,
            content,
        );
        for k in 0..ns.names(fid).len().max(1) {
            out.insert(ns.path(fid, k), item.clone());
        }
    }
    out
}

fn full(root: &Path, date: u32) -> Vec<u8> {
    let opts = CreateOptions::new(0x0100_0002, b"v.backup", date);
    create_dump(root, &opts, Vec::new()).unwrap().0
}

fn read(b: &[u8]) -> Dump {
    Dump::read(b, ReadOptions::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn merge_of_full_and_incremental_lists_the_changed_tree(
        build in prop::collection::vec(op(), 0..25),
        changes in prop::collection::vec(op(), 0..15),
    ) {
        let dir = scratch();
        let root = dir.path().join("t");
        fs::create_dir(&root).unwrap();
        for d in 1..DIRS.len() {
            apply(&root, &Op::MakeDir(d));
        }
        for o in &build {
            apply(&root, o);
        }
        let full_a = full(&root, 1_000);
        for o in &changes {
            apply(&root, o);
        }
        let opts = IncrementalOptions { level: 1, date: 2_000 };
        let (inc, _) = write_incremental(Cursor::new(&full_a), &root, &opts, Vec::new()).unwrap();
        let incd = read(&inc);
        let mut merged = Cursor::new(Vec::new());
        merge(&full_a[..], &[incd], &mut merged, MergeOptions::default()).unwrap();
        let full_b = full(&root, 2_000);
        prop_assert_eq!(listing(&read(merged.get_ref())), listing(&read(&full_b)));

        // Nothing changed since B: the incremental relative to B is empty.
        let (again, report) =
            write_incremental(Cursor::new(&full_b), &root, &opts, Vec::new()).unwrap();
        prop_assert_eq!(report.sent, [0, 0]);
        prop_assert_eq!(report.removed, [0, 0]);
        let again = read(&again);
        prop_assert!(again.large.entries.is_empty() && again.small.entries.is_empty());
    }
}
