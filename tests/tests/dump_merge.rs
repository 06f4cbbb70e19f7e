//! `merge` (spec §10) against the real `codamergedump` output.

use std::io::Cursor;

use coda_rs_tests::read_golden;
use volume_dump::merge::{merge, MergeOptions};
use volume_dump::{Dump, ReadOptions};

fn incr(name: &str) -> Dump {
    Dump::read(&read_golden("dump", name)[..], ReadOptions::default()).unwrap()
}

fn merged(full: &str, incrs: &[&str]) -> Vec<u8> {
    let full = read_golden("dump", full);
    let incrs: Vec<Dump> = incrs.iter().map(|n| incr(n)).collect();
    let out = Cursor::new(Vec::new());
    let mut out = out;
    merge(&full[..], &incrs, &mut out, MergeOptions::default()).unwrap();
    out.into_inner()
}

#[test]
fn server_a_full_plus_b_incr_equals_real_codamergedump() {
    let got = merged("server-a-full.dump", &["server-b-incr.dump"]);
    assert!(
        got == read_golden("dump", "merged-a+b.dump"),
        "merged-a+b differs"
    );
}

#[test]
fn native_full_plus_incr_equals_real_codamergedump() {
    let got = merged("native-full.dump", &["native-incr.dump"]);
    assert!(
        got == read_golden("dump", "native-merged.dump"),
        "native-merged differs"
    );
}

/// Spec §10: a `-i -N` incremental keeps directories deleted since the
/// reference: large index 1.1, 3.2, 5.85, 5.3, 7.4 with `v` = 5, 295 571
/// bytes.
#[test]
fn smallonly_incremental_keeps_the_deleted_directory() {
    let got = merged("server-a-full.dump", &["server-b-incr-smallonly.dump"]);
    assert_eq!(got.len(), 295_571);
    let d = Dump::read(&got[..], ReadOptions::default()).unwrap();
    assert_eq!(d.large.header.vnode_count, 5);
    let large: Vec<(u32, u32)> = d
        .large
        .entries
        .iter()
        .map(|e| match e {
            volume_dump::IndexEntry::Vnode(v, _) => (v.vnode, v.unique),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(large, [(1, 1), (3, 2), (5, 85), (5, 3), (7, 4)]);
}

/// Spec §10: vnodes sharing a slot in the full dump come out in reverse
/// order (full 2.2, 2.7 -> merged 2.7, 2.2).
#[test]
fn same_slot_vnodes_of_the_full_dump_come_out_reversed() {
    let mut full = Dump::read(
        &read_golden("dump", "harness-badinode.dump")[..],
        ReadOptions::default(),
    )
    .unwrap();
    // Give the full dump a second vnode on slot 0 of the small index:
    // 2.2 (bad inode) then 2.7 (a copy of 4.3's record).
    let volume_dump::IndexEntry::Vnode(v43, data) = full.small.entries[1].clone() else {
        panic!()
    };
    let mut v27 = v43.clone();
    v27.vnode = 2;
    v27.unique = 7;
    full.small
        .entries
        .insert(1, volume_dump::IndexEntry::Vnode(v27, data));
    full.small.header.vnode_count = 3;
    let full_bytes = full.write(Vec::new()).unwrap();

    let mut inc = full.clone();
    inc.header.incremental = 1;
    inc.large.entries.clear();
    inc.small.entries.clear();
    let mut out = Cursor::new(Vec::new());
    merge(&full_bytes[..], &[inc], &mut out, MergeOptions::default()).unwrap();
    let m = Dump::read(&out.into_inner()[..], ReadOptions::default()).unwrap();
    let small: Vec<(u32, u32)> = m
        .small
        .entries
        .iter()
        .map(|e| match e {
            volume_dump::IndexEntry::Vnode(v, _) => (v.vnode, v.unique),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(small, [(2, 7), (2, 2), (4, 3)]);
    assert_eq!(m.small.header.vnode_count, 3);
}

#[test]
fn a_chain_that_does_not_fit_is_refused_with_the_reason() {
    let full = read_golden("dump", "native-full.dump");
    // server-b-incr belongs to another volume.
    let err = merge(
        &full[..],
        &[incr("server-b-incr.dump")],
        Cursor::new(Vec::new()),
        MergeOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("read-write volume"), "{err}");
    // An incremental merged onto the state it already contains.
    let merged_ab = read_golden("dump", "merged-a+b.dump");
    let err = merge(
        &merged_ab[..],
        &[incr("server-b-incr.dump")],
        Cursor::new(Vec::new()),
        MergeOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("latest stamp is 1700005000") && err.contains("ends at stamp 1700095000"),
        "{err}"
    );
    // The first dump must be a full dump.
    let inc = read_golden("dump", "native-incr.dump");
    let err = merge(
        &inc[..],
        &[incr("native-incr.dump")],
        Cursor::new(Vec::new()),
        MergeOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("not a full dump"), "{err}");
}

/// Spec §10: chains merge pairwise, oldest first. A second incremental on
/// top of state B: 2.5 rewritten, 4.84 removed, 4.c8 new on slot 1 and a
/// second vnode 2.c9 on slot 0. Expected by the §10 rules: 2.c9 goes to
/// the head of slot 0's chain, 2.5 keeps its place, count 82 + 2 - 1.
#[test]
fn a_chain_of_two_incrementals_merges_pairwise() {
    use volume_dump::{Data, IndexEntry};
    let b = incr("server-b-incr.dump");
    let mut l2 = b.clone();
    l2.header.oldest = b.header.latest;
    l2.header.latest = b.header.latest + 4000;
    l2.large.entries.clear();
    let IndexEntry::Vnode(v25, _) = b.small.entries[0].clone() else {
        panic!()
    };
    let (mut v4c8, mut v2c9) = (v25.clone(), v25.clone());
    (v4c8.vnode, v4c8.unique) = (4, 0xc8);
    (v2c9.vnode, v2c9.unique) = (2, 0xc9);
    l2.small.entries = vec![
        IndexEntry::Vnode(v25.clone(), Data::File(b"rewritten again\n".to_vec())),
        IndexEntry::Vnode(v2c9, Data::File(b"second on slot 0\n".to_vec())),
        IndexEntry::Vnode(v4c8, Data::File(b"new on slot 1\n".to_vec())),
        IndexEntry::Removed {
            vnode: 4,
            unique: 84,
        },
    ];
    let full = read_golden("dump", "server-a-full.dump");

    let mut chained = Cursor::new(Vec::new());
    merge(
        &full[..],
        &[b.clone(), l2.clone()],
        &mut chained,
        MergeOptions::default(),
    )
    .unwrap();
    let chained = chained.into_inner();

    let mut step1 = Cursor::new(Vec::new());
    merge(&full[..], &[b], &mut step1, MergeOptions::default()).unwrap();
    let step1 = step1.into_inner();
    assert!(step1 == read_golden("dump", "merged-a+b.dump"));
    let mut step2 = Cursor::new(Vec::new());
    merge(&step1[..], &[l2], &mut step2, MergeOptions::default()).unwrap();
    assert!(
        chained == step2.into_inner(),
        "chain differs from pairwise merges"
    );

    let d = Dump::read(&chained[..], ReadOptions::default()).unwrap();
    assert_eq!(d.small.header.vnode_count, 83);
    let first: Vec<(u32, u32)> = d.small.entries[..3]
        .iter()
        .map(|e| match e {
            IndexEntry::Vnode(v, _) => (v.vnode, v.unique),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(first, [(2, 0xc9), (2, 5), (4, 0xc8)]);
    let IndexEntry::Vnode(_, Data::File(data)) = &d.small.entries[1] else {
        panic!()
    };
    assert_eq!(data, b"rewritten again\n");
}
