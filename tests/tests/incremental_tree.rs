//! The incremental dump writer (spec §8): merging a full dump of a tree
//! and the incremental of its changed state (spec §10) must describe the
//! same tree as a full dump of the changed state, and vnodes that did not
//! change must not be sent again.

use std::collections::BTreeMap;
use std::fs;
use std::io::Cursor;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use coda_rs_tests::scratch;
use volume_dump::create::{create_dump, CreateOptions};
use volume_dump::incremental::{write_incremental, IncrementalOptions};
use volume_dump::merge::{merge, MergeOptions};
use volume_dump::tree::Namespace;
use volume_dump::verify::{verify, Severity, VerifyOptions};
use volume_dump::{Data, Dump, IndexEntry, ReadOptions};

/// (type, length, mode, mtime, owner, links, content or target; ACL)
type Item = (u8, u32, u16, u32, u32, u16, Vec<u8>, Option<Vec<u8>>);

/// Every path of the tree a dump describes, with what the restore and
/// codadump2tar take from its vnode. Directory pages are left out (they
/// hold vnode numbers, which legitimately differ).
fn listing(dump: &Dump) -> BTreeMap<Vec<u8>, Item> {
    let mut ns = Namespace::new(b"vol");
    for e in &dump.large.entries {
        if let IndexEntry::Vnode(v, Data::DirPages(p)) = e {
            ns.add_directory(v, p, 0).unwrap();
        }
    }
    let mut out = BTreeMap::new();
    for e in dump.large.entries.iter().chain(&dump.small.entries) {
        let IndexEntry::Vnode(v, data) = e else {
            panic!("a merged dump holds only vnodes: {e:?}");
        };
        let fid = (v.vnode, v.unique);
        let content = match data {
            Data::File(b) => b.clone(),
            _ => Vec::new(),
        };
        let item = (
            v.vnode_type,
            if v.is_directory() { 0 } else { v.length },
            v.mode,
            v.mtime,
            v.owner,
            v.links,
            content,
            v.acl.clone(),
        );
        let n = ns.names(fid).len().max(1);
        for k in 0..n {
            let p = ns.path(fid, k);
            assert!(!p.starts_with(b"vol/lost+found"), "orphan {fid:?}");
            assert!(out.insert(p, item.clone()).is_none());
        }
    }
    out
}

fn write(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap();
}

fn pseudo_random(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// State A: nested directories, files, a symlink, a hard link within one
/// directory, a UTF-8 name, a larger file.
fn make_a(root: &Path) {
    fs::create_dir_all(root.join("docs/deep/er")).unwrap();
    fs::create_dir_all(root.join("gone/sub")).unwrap();
    write(&root.join("README"), b"read me\n");
    fs::hard_link(root.join("README"), root.join("README.hard")).unwrap();
    write(&root.join("big.bin"), &pseudo_random(300_000, 7));
    write(&root.join("café.txt"), "é\n".as_bytes());
    write(&root.join("docs/a.txt"), b"alpha\n");
    write(&root.join("docs/deep/er/z.txt"), b"zulu\n");
    write(&root.join("gone/sub/x"), b"x\n");
    write(&root.join("old-name"), b"renamed later\n");
    write(&root.join("empty"), b"");
    symlink("README", root.join("link")).unwrap();
}

/// State B: add, modify, delete, rename, chmod, replace a file by a
/// directory.
fn change_to_b(root: &Path) {
    write(&root.join("docs/a.txt"), b"alpha, changed\n");
    write(&root.join("docs/new.txt"), b"new file\n");
    fs::remove_dir_all(root.join("gone")).unwrap();
    fs::rename(root.join("old-name"), root.join("docs/new-name")).unwrap();
    fs::set_permissions(root.join("café.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::remove_file(root.join("empty")).unwrap();
    fs::create_dir(root.join("empty")).unwrap();
    write(&root.join("empty/inside"), b"in\n");
    fs::remove_file(root.join("link")).unwrap();
    symlink("docs/a.txt", root.join("link")).unwrap();
}

fn full_dump(root: &Path, date: u32) -> Vec<u8> {
    let opts = CreateOptions::new(0x0100_0002, b"vol.backup", date);
    create_dump(root, &opts, Vec::new()).unwrap().0
}

fn read_strict(bytes: &[u8]) -> Dump {
    Dump::read(bytes, ReadOptions::default()).expect("strict read")
}

#[test]
fn merge_of_full_and_incremental_is_the_changed_tree() {
    let dir = scratch();
    let root = dir.path().join("tree");
    make_a(&root);
    let full_a = full_dump(&root, 1_700_000_000);
    change_to_b(&root);
    let base = read_strict(&full_a);
    let (inc, report) = write_incremental(
        Cursor::new(&full_a),
        &root,
        &IncrementalOptions {
            level: 1,
            date: 1_700_090_000,
        },
        Vec::new(),
    )
    .unwrap();
    assert_eq!(report.bytes, inc.len() as u64);

    // The incremental passes the strict reader and the verifier.
    let incd = read_strict(&inc);
    assert_eq!(incd.header.incremental, 1);
    assert_eq!(
        (incd.header.oldest, incd.header.latest),
        (1_700_000_000, 1_700_090_000),
        "spec §8.3: oldest = the base's latest"
    );
    let vr = verify(&inc[..], VerifyOptions::default()).unwrap();
    assert_eq!(vr.count(Severity::Error), 0, "{:?}", vr.problems);

    // Unchanged vnodes are not sent: big.bin, README (+ hard link),
    // docs/deep/er/z.txt and its two directories.
    let sent: Vec<(u32, u32)> = incd
        .large
        .entries
        .iter()
        .chain(&incd.small.entries)
        .filter_map(|e| match e {
            IndexEntry::Vnode(v, _) => Some((v.vnode, v.unique)),
            _ => None,
        })
        .collect();
    let base_names = {
        let mut ns = Namespace::new(b"vol");
        for e in &base.large.entries {
            if let IndexEntry::Vnode(v, Data::DirPages(p)) = e {
                ns.add_directory(v, p, 0).unwrap();
            }
        }
        ns
    };
    for e in base.large.entries.iter().chain(&base.small.entries) {
        let IndexEntry::Vnode(v, _) = e else { continue };
        let path = base_names.path((v.vnode, v.unique), 0);
        let unchanged = [
            &b"vol/big.bin"[..],
            b"vol/README",
            b"vol/docs/deep",
            b"vol/docs/deep/er",
            b"vol/docs/deep/er/z.txt",
        ]
        .contains(&&path[..]);
        if unchanged {
            assert!(
                !sent.contains(&(v.vnode, v.unique)),
                "{} was sent again",
                String::from_utf8_lossy(&path)
            );
        }
    }
    assert!(
        inc.len() < 10_000,
        "the incremental re-sent data: {} bytes",
        inc.len()
    );
    // Deleted: gone, gone/sub, gone/sub/x, old-name, empty (a file, now a
    // directory). `link` keeps its vnode (same path, still a symlink).
    let removed = incd
        .large
        .entries
        .iter()
        .chain(&incd.small.entries)
        .filter(|e| matches!(e, IndexEntry::Removed { .. }))
        .count();
    assert_eq!(removed, 5);
    assert_eq!(report.removed, [2, 3]);

    // merge(full A, incremental) describes the same tree as a full dump of B.
    let mut merged = Cursor::new(Vec::new());
    merge(&full_a[..], &[incd], &mut merged, MergeOptions::default()).unwrap();
    let merged = read_strict(merged.get_ref());
    let full_b = read_strict(&full_dump(&root, 1_700_090_000));
    assert_eq!(listing(&merged), listing(&full_b));
    let vr = verify(
        &merged_bytes(&merged)[..],
        VerifyOptions {
            restore_checks: true,
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    assert_eq!(vr.count(Severity::Error), 0, "{:?}", vr.problems);
}

fn merged_bytes(d: &Dump) -> Vec<u8> {
    d.write(Vec::new()).unwrap()
}

#[test]
fn unchanged_tree_gives_an_empty_incremental() {
    let dir = scratch();
    let root = dir.path().join("tree");
    make_a(&root);
    let full = full_dump(&root, 1_700_000_000);
    let base = read_strict(&full);
    let (inc, report) = write_incremental(
        Cursor::new(&full),
        &root,
        &IncrementalOptions {
            level: 1,
            date: 1_700_000_500,
        },
        Vec::new(),
    )
    .unwrap();
    let incd = read_strict(&inc);
    assert!(incd.large.entries.is_empty() && incd.small.entries.is_empty());
    assert_eq!(report.sent, [0, 0]);
    assert_eq!(report.removed, [0, 0]);
    // The index headers still count every vnode of the volume (spec §8.2).
    assert_eq!(
        [incd.large.header.vnode_count, incd.small.header.vnode_count],
        [base.large.header.vnode_count, base.small.header.vnode_count]
    );
}

#[test]
fn base_read_from_its_current_position() {
    // A base that starts inside a larger stream (e.g. a tape file with a
    // label in front): offsets are relative to where it starts.
    let dir = scratch();
    let root = dir.path().join("tree");
    make_a(&root);
    let full = full_dump(&root, 1_700_000_000);
    let mut padded = vec![0xAAu8; 777];
    padded.extend_from_slice(&full);
    let mut input = Cursor::new(&padded);
    input.set_position(777);
    let opts = IncrementalOptions {
        level: 1,
        date: 1_700_000_500,
    };
    let (_, report) = write_incremental(input, &root, &opts, Vec::new()).unwrap();
    // big.bin (300 kB, compared by reading the base back) is unchanged.
    assert_eq!(report.sent, [0, 0]);
    // A same-size change inside it is seen.
    let mut big = fs::read(root.join("big.bin")).unwrap();
    big[150_000] ^= 1;
    let mtime = fs::metadata(root.join("big.bin"))
        .unwrap()
        .modified()
        .unwrap();
    fs::write(root.join("big.bin"), &big).unwrap();
    fs::File::options()
        .write(true)
        .open(root.join("big.bin"))
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let mut input = Cursor::new(&padded);
    input.set_position(777);
    let (inc, report) = write_incremental(input, &root, &opts, Vec::new()).unwrap();
    assert_eq!(report.sent, [0, 1], "only big.bin is resent");
    let incd = read_strict(&inc);
    let IndexEntry::Vnode(v, Data::File(data)) = &incd.small.entries[0] else {
        panic!("expected a file vnode");
    };
    assert_eq!(data, &big);
    assert_eq!(v.data_version, 2);
}

#[test]
fn an_incremental_is_refused_as_base() {
    let dir = scratch();
    let root = dir.path().join("tree");
    make_a(&root);
    let mut base = read_strict(&full_dump(&root, 1_700_000_000));
    base.header.incremental = 1;
    let opts = IncrementalOptions {
        level: 1,
        date: 1_700_000_500,
    };
    let bytes = base.write(Vec::new()).unwrap();
    assert!(write_incremental(Cursor::new(&bytes), &root, &opts, Vec::new()).is_err());
    // The level must be at least 1.
    let full = full_dump(&root, 1_700_000_000);
    let opts = IncrementalOptions { level: 0, ..opts };
    assert!(write_incremental(Cursor::new(&full), &root, &opts, Vec::new()).is_err());
}
