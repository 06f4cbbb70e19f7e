//! Directory pages: builder round trips (proptest), the builder's refusals
//! and damaged pages (errors, never panics or endless loops). Spec §12.

use crate::dirpage_support;

use std::collections::BTreeSet;

use coda_rs_tests::read_golden;
use dirpage_support::directories;
use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use volume_dump::dirpage::{
    name_blobs, name_hash, DirBuilder, DirPageErrorKind as Kind, DirPages, BLOB_SIZE, PAGE_SIZE,
};

fn name() -> impl Strategy<Value = Vec<u8>> {
    // Opaque bytes without NUL and '/', mostly short, sometimes up to 255.
    let byte = any::<u8>().prop_map(|c| if c == 0 || c == b'/' { b'_' } else { c });
    prop_oneof![
        4 => vec(byte.clone(), 1..20),
        1 => vec(byte, 20..=255),
    ]
    .prop_filter("not . or ..", |n| n != b"." && n != b"..")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn built_directories_check_and_list_their_entries(
        names in btree_set(name(), 0..300),
        fid in any::<(u32, u32)>(),
    ) {
        let mut dir = DirBuilder::new((1, 1), (1, 1));
        let mut expected = BTreeSet::new();
        expected.insert((b".".to_vec(), 1, 1));
        expected.insert((b"..".to_vec(), 1, 1));
        for (i, n) in names.iter().enumerate() {
            let vnode = fid.0.wrapping_add(i as u32);
            dir.create(n, vnode, fid.1).unwrap();
            expected.insert((n.clone(), vnode, fid.1));
        }
        let pages = dir.pages();
        pages.check().unwrap();
        let mut listed = BTreeSet::new();
        let mut last_bucket = 0;
        for e in pages.entries() {
            let e = e.unwrap();
            // Listing order is hash-chain order.
            let bucket = name_hash(e.name);
            prop_assert!(bucket >= last_bucket);
            last_bucket = bucket;
            listed.insert((e.name.to_vec(), e.vnode, e.unique));
        }
        prop_assert_eq!(&listed, &expected);

        // Re-creating the entries in first-blob order puts every entry on
        // the same blobs (chain order within a bucket may differ, §12.6).
        let mut entries: Vec<_> = pages.entries().map(Result::unwrap).collect();
        entries.sort_by_key(|e| e.blob);
        let again = DirBuilder::build(entries.iter().map(|e| (e.name, e.vnode, e.unique))).unwrap();
        let placed = |p: DirPages<'_>| -> BTreeSet<(Vec<u8>, u16)> {
            p.entries().map(|e| e.unwrap()).map(|e| (e.name.to_vec(), e.blob)).collect()
        };
        prop_assert_eq!(placed(again.pages()), placed(pages));
        prop_assert_eq!(again.page_count(), dir.page_count());
        prop_assert_eq!(dir.as_bytes().len(), dir.page_count() * PAGE_SIZE);
    }

    #[test]
    fn damaged_golden_pages_give_errors_not_panics(
        which in 0usize..1000,
        damage in vec((any::<u16>(), any::<u8>()), 1..8),
    ) {
        let golden = golden_pages();
        let mut pages = golden[which % golden.len()].clone();
        for (at, byte) in damage {
            let at = usize::from(at) % pages.len();
            pages[at] = byte;
        }
        let dir = DirPages::new(&pages).unwrap();
        let _ = dir.check();
        // Listing ends (each blob is visited at most once).
        let n = dir.entries().count();
        prop_assert!(n <= pages.len() / BLOB_SIZE + 1);
    }
}

fn golden_pages() -> Vec<Vec<u8>> {
    ["harness-a-full", "server-b-incr", "native-full"]
        .iter()
        .flat_map(|n| directories(&read_golden("dump", &format!("{n}.dump"))))
        .map(|d| d.pages)
        .collect()
}

#[test]
fn builder_refusals() {
    let mut dir = DirBuilder::new((1, 1), (1, 1));
    let kind = |r: Result<u16, volume_dump::dirpage::DirPageError>| r.unwrap_err().kind;
    assert_eq!(kind(dir.create(b"", 2, 2)), Kind::NameEmpty);
    assert_eq!(
        kind(dir.create(&[b'x'; 256], 2, 2)),
        Kind::NameTooLong { len: 256 }
    );
    assert_eq!(kind(dir.create(b"a/b", 2, 2)), Kind::NameInvalid);
    assert_eq!(kind(dir.create(b"a\0b", 2, 2)), Kind::NameInvalid);
    assert_eq!(kind(dir.create(b"..", 2, 2)), Kind::NameExists);
    dir.create(&[b'x'; 255], 2, 2).unwrap();
    assert_eq!(kind(dir.create(&[b'x'; 255], 4, 4)), Kind::NameExists);
}

#[test]
fn directory_fills_up_after_128_pages() {
    // 255-byte names take 9 blobs: after `.` and `..` page 0 has 49 free
    // blobs (5 entries), every further page 63 (7 entries): 5 + 127 * 7.
    assert_eq!(name_blobs(255), 9);
    let mut dir = DirBuilder::new((1, 1), (1, 1));
    let mut made = 0;
    let err = loop {
        let mut n = format!("{made:08}").into_bytes();
        n.resize(255, b'n');
        match dir.create(&n, 2 * made + 2, 1) {
            Ok(_) => made += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind, Kind::Full);
    assert_eq!(made, 5 + 127 * 7);
    assert_eq!(dir.page_count(), 128);
    dir.pages().check().unwrap();
    // A one-blob name still fits in the free blobs left on each page.
    dir.create(b"short", 9999, 1).unwrap();
    dir.pages().check().unwrap();
}

/// The native root page (spec §16) with one modification.
fn native_root() -> Vec<u8> {
    DirBuilder::new((1, 1), (1, 1)).into_bytes()
}

#[test]
fn damaged_page_errors_name_the_problem() {
    // Blob 13 is `.` (hash 46), blob 14 is `..` (hash 68); spec §16.
    let hash = |b: usize| 160 + 2 * b;
    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(Damage, Kind)> = vec![
        (
            Box::new(|p| p[3] = 0),
            Kind::BadTag {
                page: 0,
                found: 1024,
            },
        ),
        (
            Box::new(|p| p[32] = 52),
            Kind::BadAllomap { page: 0, found: 52 },
        ),
        (
            Box::new(|p| p[33] = 63),
            Kind::PageCount {
                allomap: 2,
                present: 1,
            },
        ),
        (
            Box::new(|p| p[32] = 48),
            Kind::FreeCount {
                page: 0,
                allomap: 48,
                bitmap: 49,
            },
        ),
        (
            Box::new(move |p| p[hash(46) + 1] = 64),
            Kind::BlobOutOfRange {
                bucket: 46,
                blob: 64,
            },
        ),
        (
            Box::new(move |p| p[hash(46) + 1] = 5),
            Kind::BlobOutOfRange {
                bucket: 46,
                blob: 5,
            },
        ),
        (
            // `.` points back to itself.
            Box::new(|p| p[13 * 32 + 3] = 13),
            Kind::ChainLoop {
                bucket: 46,
                blob: 13,
            },
        ),
        (
            Box::new(|p| p[13 * 32] = 0),
            Kind::BadFlag { blob: 13, found: 0 },
        ),
        (
            Box::new(|p| p[13 * 32 + 12] = 0),
            Kind::EmptyName { blob: 13 },
        ),
        (
            Box::new(|p| p[13 * 32 + 12] = b'x'),
            Kind::WrongBucket {
                blob: 13,
                found: 46,
                expected: name_hash(b"x"),
            },
        ),
        (
            // `..` also on chain 46 after `.`: same blob seen from two chains.
            Box::new(move |p| {
                p[13 * 32 + 3] = 14;
            }),
            Kind::WrongBucket {
                blob: 14,
                found: 46,
                expected: 68,
            },
        ),
        (
            Box::new(|p| {
                p[5 + 2] = 0x01;
                p[32] = 48;
            }),
            Kind::Bitmap {
                page: 0,
                byte: 2,
                found: 0x01,
                expected: 0,
            },
        ),
    ];
    for (i, (damage, kind)) in cases.into_iter().enumerate() {
        let mut page = native_root();
        damage(&mut page);
        let err = DirPages::new(&page).unwrap().check().unwrap_err();
        assert_eq!(err.kind, kind, "case {i}: {err}");
    }
}

#[test]
fn unterminated_name_at_the_end_of_a_page() {
    let mut page = native_root();
    // Move `.` to the last blob (63) and fill the name to the page end.
    page[160 + 2 * 46..160 + 2 * 46 + 2].copy_from_slice(&63u16.to_be_bytes());
    page[63 * 32] = 1;
    page[63 * 32 + 12..].fill(b'.');
    let err = DirPages::new(&page)
        .unwrap()
        .entries()
        .find_map(Result::err)
        .unwrap();
    assert_eq!(err.kind, Kind::Unterminated { blob: 63 });
    assert_eq!(err.offset, 63 * 32 + 12);
}

#[test]
fn rejects_wrong_page_lengths() {
    for len in [0, 100, 2047, 2049, 129 * 2048] {
        let data = vec![0u8; len];
        let err = DirPages::new(&data).unwrap_err();
        assert_eq!(err.kind, Kind::BadLength { len });
    }
}
