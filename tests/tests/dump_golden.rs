//! Golden dumps (made by the real Coda tools): every one reads, and
//! reading then writing reproduces it byte for byte.

use coda_rs_tests::{golden, read_golden};
use volume_dump::{Data, Dump, DumpReader, Entry, IndexEntry, ReadOptions, VnodeClass};

const DUMPS: &[&str] = &[
    "harness-a-full.dump",
    "harness-b-full.dump",
    "harness-badinode.dump",
    "merged-a+b.dump",
    "native-full.dump",
    "native-incr.dump",
    "native-merged.dump",
    "server-a-full.dump",
    "server-b-full.dump",
    "server-b-incr-smallonly.dump",
    "server-b-incr.dump",
    "server-badinode-redump.dump",
];

#[test]
fn every_golden_dump_reads_strictly_and_round_trips() {
    for name in DUMPS {
        let bytes = read_golden("dump", name);
        let dump = Dump::read(&bytes[..], ReadOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = dump
            .write(Vec::new())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out == bytes, "{name}: round trip differs");
    }
}

#[test]
fn every_golden_dump_reads_leniently_too() {
    for name in DUMPS {
        let bytes = read_golden("dump", name);
        let strict = Dump::read(&bytes[..], ReadOptions::default()).unwrap();
        let lenient = Dump::read(&bytes[..], ReadOptions { lenient: true }).unwrap();
        assert_eq!(strict, lenient, "{name}");
    }
}

/// Spec §16: the worked example, field by field.
#[test]
fn native_full_matches_the_worked_example() {
    let bytes = read_golden("dump", "native-full.dump");
    assert_eq!(bytes.len(), 2538);
    let mut r = DumpReader::new(&bytes[..]).unwrap();
    let h = r.header().clone();
    assert_eq!(h.version, 2);
    assert_eq!(h.volume_id, 0x0100_0002);
    assert_eq!(h.parent_id, 0x0100_0001);
    assert_eq!(h.volume_name, b"testvol.0.backup");
    assert_eq!(h.backup_date, 0x6b07_c902);
    assert_eq!((h.incremental, h.oldest, h.latest), (0, 0, 0));
    let v = r.volume().clone();
    assert_eq!(v.id, 0x0100_0002);
    assert_eq!(v.stamp_version, 1);
    assert_eq!(v.partition, b"/vicepa");
    assert_eq!(
        (v.in_service, v.blessed, v.uniquifier, v.volume_type),
        (1, 1, 2, 2)
    );
    assert_eq!(v.parent_id, 0x0100_0001);
    assert_eq!(v.link_count, 1);
    assert_eq!(v.week_use, vec![0; 7]);
    assert!(v.offline_message.is_empty() && v.motd.is_empty());

    let Some(Entry::Index {
        offset,
        class,
        header,
    }) = r.next_entry().unwrap()
    else {
        panic!("large index expected")
    };
    assert_eq!(
        (offset, class, header.vnode_count, header.slots),
        (312, VnodeClass::Large, 1, 128)
    );
    let Some(Entry::Vnode(root)) = r.next_entry().unwrap() else {
        panic!("vnode expected")
    };
    assert_eq!(root.offset, 323);
    assert_eq!(
        (root.vnode.vnode, root.vnode.unique, root.vnode.vnode_type),
        (1, 1, 2)
    );
    assert_eq!(
        (root.vnode.mode, root.vnode.links, root.vnode.length),
        (0o755, 2, 2048)
    );
    assert_eq!((root.vnode.parent_vnode, root.vnode.parent_unique), (0, 0));
    assert_eq!(
        root.vnode.acl.as_deref(),
        Some(&b"1\n0\nSystem:Administrators\t127\n"[..])
    );
    let page = r.read_data_to_vec().unwrap();
    assert_eq!(page.len(), 2048);
    assert_eq!(page[..], bytes[474..474 + 2048]);
    // Blob 13: `.` -> 1.1 (spec §16).
    assert_eq!(
        &page[13 * 32..13 * 32 + 13],
        &[1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, b'.']
    );
    let Some(Entry::Index {
        offset,
        class,
        header,
    }) = r.next_entry().unwrap()
    else {
        panic!("small index expected")
    };
    assert_eq!(
        (offset, class, header.vnode_count, header.slots),
        (2522, VnodeClass::Small, 0, 256)
    );
    assert_eq!(
        r.next_entry().unwrap(),
        Some(Entry::End {
            offset: 2533,
            trailing_bytes: 0
        })
    );
    assert_eq!(r.next_entry().unwrap(), None);
}

/// README "Incrementals": the records of server-b-incr.dump.
#[test]
fn server_b_incr_lists_the_documented_records() {
    let dump = Dump::read(
        &read_golden("dump", "server-b-incr.dump")[..],
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (
            dump.header.incremental,
            dump.header.oldest,
            dump.header.latest
        ),
        (1, 1_700_005_000, 1_700_095_000)
    );
    assert_eq!(
        (dump.large.header.vnode_count, dump.large.header.slots),
        (4, 128)
    );
    assert_eq!(
        (dump.small.header.vnode_count, dump.small.header.slots),
        (82, 256)
    );
    let show = |e: &IndexEntry| match e {
        IndexEntry::Vnode(v, _) => format!("{}.{}", v.vnode, v.unique),
        IndexEntry::Removed { vnode, unique } => format!("RM {vnode}.{unique}"),
        IndexEntry::Null => "NULL".into(),
    };
    let large: Vec<String> = dump.large.entries.iter().map(show).collect();
    let small: Vec<String> = dump.small.entries.iter().map(show).collect();
    assert_eq!(large, ["1.1", "3.2", "5.85", "RM 5.3"]);
    assert_eq!(
        small,
        ["2.5", "4.84", "RM 4.6", "RM 16.12", "32.20", "160.86", "162.87"]
    );
}

/// README "D_BADINODE pair".
#[test]
fn badinode_pair_reads_as_documented() {
    let bad = Dump::read(
        &read_golden("dump", "harness-badinode.dump")[..],
        ReadOptions::default(),
    )
    .unwrap();
    let IndexEntry::Vnode(v, Data::BadInode) = &bad.small.entries[0] else {
        panic!("2.2 should be D_BADINODE")
    };
    assert_eq!((v.vnode, v.unique, v.length), (2, 2, 6));
    let IndexEntry::Vnode(v, Data::File(hello)) = &bad.small.entries[1] else {
        panic!()
    };
    assert_eq!((v.vnode, v.unique, &hello[..]), (4, 3, &b"hello\n"[..]));

    let redump = Dump::read(
        &read_golden("dump", "server-badinode-redump.dump")[..],
        ReadOptions::default(),
    )
    .unwrap();
    let IndexEntry::Vnode(v, Data::File(empty)) = &redump.small.entries[0] else {
        panic!()
    };
    assert_eq!((v.vnode, v.length, empty.len()), (2, 6, 0));
}

#[test]
fn golden_path_helper_finds_every_dump() {
    for name in DUMPS {
        assert!(golden("dump", name).is_file());
    }
}
