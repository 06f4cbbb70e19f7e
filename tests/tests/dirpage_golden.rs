//! Directory pages against the golden dumps (spec §12): every golden page
//! passes the salvager checks, lists the entries the manifests name, and is
//! rebuilt byte for byte by `DirBuilder` from its own entries in creation
//! (first-blob) order, the 3-page `manyfiles` directory included.

use crate::dirpage_support;

use std::collections::{BTreeMap, BTreeSet};

use coda_rs_tests::read_golden;
use dirpage_support::{directories, readdump_directory_count, DUMPS};
use volume_dump::dirpage::{DirBuilder, DirPages, PAGE_SIZE};

fn dump(name: &str) -> Vec<u8> {
    read_golden("dump", &format!("{name}.dump"))
}

#[test]
fn reader_finds_every_directory_codareaddump_lists() {
    for name in DUMPS {
        let dirs = directories(&dump(name));
        let text = String::from_utf8(read_golden("dump", &format!("{name}.readdump.txt"))).unwrap();
        assert_eq!(dirs.len(), readdump_directory_count(&text), "{name}");
        assert!(!dirs.is_empty(), "{name}");
    }
}

#[test]
fn worked_example_page_of_native_full() {
    // Spec §16: the root's single page starts at offset 474 (after 'P' at
    // 473): tag 1234, freecount 49, bitmap FF 7F, allomap 49 64 64 ...,
    // hash[46] = 13 ("."), hash[68] = 14 (".."), blob 13 = `.` -> 1.1.
    let d = dump("native-full");
    let pages = DirPages::new(&d[474..474 + PAGE_SIZE]).unwrap();
    let p0 = pages.page(0);
    assert_eq!(p0.tag(), 1234);
    assert_eq!(p0.freecount(), 49);
    assert_eq!(p0.bitmap(), [0xff, 0x7f, 0, 0, 0, 0, 0, 0]);
    assert_eq!(pages.allomap(0), 49);
    assert!((1..128).all(|i| pages.allomap(i) == 64));
    assert_eq!(pages.hash_head(46), 13);
    assert_eq!(pages.hash_head(68), 14);
    let entries: Vec<_> = pages.entries().map(Result::unwrap).collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0].name, entries[0].vnode, entries[0].unique),
        (&b"."[..], 1, 1)
    );
    assert_eq!(entries[0].blob, 13);
    assert_eq!(
        (entries[1].name, entries[1].vnode, entries[1].unique),
        (&b".."[..], 1, 1)
    );
    assert_eq!(entries[1].blob, 14);
    pages.check().unwrap();
    // MakeDir(1.1, 1.1) builds exactly this page.
    assert!(DirBuilder::new((1, 1), (1, 1)).as_bytes() == pages.as_bytes());
}

#[test]
fn every_golden_page_passes_the_salvager_checks() {
    for name in DUMPS {
        for dir in directories(&dump(name)) {
            let pages = DirPages::new(&dir.pages).unwrap();
            pages
                .check()
                .unwrap_or_else(|e| panic!("{name} vnode {}: {e}", dir.vnode));
            let entries: Vec<_> = pages.entries().map(Result::unwrap).collect();
            // `.` is the directory itself; every directory has `..`.
            let dot = entries.iter().find(|e| e.name == b".").unwrap();
            assert_eq!((dot.vnode, dot.unique), (dir.vnode, dir.unique));
            assert!(entries.iter().any(|e| e.name == b".."));
        }
    }
}

#[test]
fn golden_pages_are_rebuilt_byte_for_byte() {
    let mut checked = 0;
    let mut pages_seen = BTreeSet::new();
    for name in DUMPS {
        for dir in directories(&dump(name)) {
            let pages = DirPages::new(&dir.pages).unwrap();
            let mut entries: Vec<_> = pages.entries().map(Result::unwrap).collect();
            entries.sort_by_key(|e| e.blob);
            let built = DirBuilder::build(entries.iter().map(|e| (e.name, e.vnode, e.unique)))
                .unwrap_or_else(|e| panic!("{name} vnode {}: {e}", dir.vnode));
            assert_eq!(
                built.page_count(),
                pages.page_count(),
                "{name} vnode {}",
                dir.vnode
            );
            if built.as_bytes() != dir.pages.as_slice() {
                let at = built
                    .as_bytes()
                    .iter()
                    .zip(&dir.pages)
                    .position(|(a, b)| a != b)
                    .unwrap();
                panic!(
                    "{name} vnode {}: first difference at page byte {at}",
                    dir.vnode
                );
            }
            pages_seen.insert(pages.page_count());
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} directories checked");
    assert!(
        pages_seen.contains(&3),
        "the 3-page directory was not checked"
    );
}

/// (path, vnode, unique) of every manifest entry.
fn manifest(name: &str) -> BTreeMap<Vec<u8>, (u32, u32)> {
    let text = read_golden("dump", name);
    let v: serde_json::Value = serde_json::from_slice(&text).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let path = o["path"].as_str().unwrap().as_bytes().to_vec();
            let vnode = o["vnode"].as_u64().unwrap() as u32;
            let unique = o["unique"].as_u64().unwrap() as u32;
            (path, (vnode, unique))
        })
        .collect()
}

#[test]
fn listings_match_the_manifests() {
    for (dump_name, manifest_name, root) in [
        ("harness-a-full", "state-a.manifest.json", "golden.backup"),
        ("server-b-full", "state-b.manifest.json", "golden.backup"),
    ] {
        let expected = manifest(manifest_name);
        let dirs = directories(&dump(dump_name));
        // Path of every directory, found by walking from the root.
        let mut dir_path: BTreeMap<(u32, u32), Vec<u8>> = BTreeMap::new();
        dir_path.insert((1, 1), root.as_bytes().to_vec());
        let mut listed = BTreeMap::new();
        listed.insert(root.as_bytes().to_vec(), (1, 1));
        let mut progress = true;
        while progress {
            progress = false;
            for dir in &dirs {
                let Some(parent) = dir_path.get(&(dir.vnode, dir.unique)).cloned() else {
                    continue;
                };
                for e in DirPages::new(&dir.pages).unwrap().entries() {
                    let e = e.unwrap();
                    if e.name == b"." || e.name == b".." {
                        continue;
                    }
                    let mut path = parent.clone();
                    path.push(b'/');
                    path.extend_from_slice(e.name);
                    if listed.insert(path.clone(), (e.vnode, e.unique)).is_none() {
                        progress = true;
                    }
                    if e.vnode % 2 == 1 {
                        dir_path.insert((e.vnode, e.unique), path);
                    }
                }
            }
        }
        assert_eq!(listed, expected, "{dump_name}");
    }
}

/// Writes every golden directory's pages to `fuzz/corpus/dir_page/` as
/// seeds for the `dir_page` fuzz target. Run with
/// `cargo test -p coda-rs-tests --test dirpage -- --ignored`.
#[test]
#[ignore = "writes the fuzz seed corpus; run on demand"]
fn write_fuzz_seeds() {
    let dir = coda_rs_tests::repo_root().join("fuzz/corpus/dir_page");
    std::fs::create_dir_all(&dir).unwrap();
    for name in DUMPS {
        for d in directories(&dump(name)) {
            let file = dir.join(format!("{name}-{}.{}", d.vnode, d.unique));
            std::fs::write(file, &d.pages).unwrap();
        }
    }
}
