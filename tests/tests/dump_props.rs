//! Property: any dump model written by `DumpWriter` reads back equal,
//! strictly and leniently, and survives a second write unchanged.

use proptest::prelude::*;
use volume_dump::{
    Data, Dump, DumpHeader, Index, IndexEntry, IndexHeader, ReadOptions, VersionVector, Vnode,
    VolumeDiskData,
};

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..=max)
}

fn vv() -> impl Strategy<Value = VersionVector> {
    (any::<[i32; 8]>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(versions, h, u, f)| {
        VersionVector {
            versions,
            store_host: h,
            store_unique: u,
            flags: f,
        }
    })
}

fn header() -> impl Strategy<Value = DumpHeader> {
    (
        1u32..,
        any::<u32>(),
        bytes(40),
        any::<u32>(),
        0u32..3,
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(volume_id, parent_id, volume_name, backup_date, incremental, oldest, latest)| {
                DumpHeader {
                    version: 2,
                    volume_id,
                    parent_id,
                    volume_name,
                    backup_date,
                    incremental,
                    oldest,
                    latest,
                }
            },
        )
}

fn volume() -> impl Strategy<Value = VolumeDiskData> {
    (
        (any::<[u32; 8]>(), bytes(33), bytes(10), any::<[u8; 3]>()),
        (any::<[i32; 5]>(), any::<u16>(), any::<[u32; 8]>()),
        (
            bytes(130),
            bytes(20),
            proptest::collection::vec(any::<u32>(), 0..9),
            vv(),
        ),
    )
        .prop_map(
            |(
                (a, name, partition, b),
                (q, link_count, d),
                (offline_message, motd, week_use, version_vector),
            )| {
                VolumeDiskData {
                    id: a[0],
                    stamp_version: a[1],
                    name,
                    partition,
                    in_service: b[0],
                    blessed: b[1],
                    uniquifier: a[2],
                    volume_type: b[2],
                    parent_id: a[3],
                    group_id: a[4],
                    clone_id: a[5],
                    backup_id: a[6],
                    max_quota: q[0],
                    min_quota: q[1],
                    max_files: q[2],
                    disk_used: q[3],
                    file_count: q[4],
                    link_count,
                    account_number: a[7],
                    owner: d[0],
                    creation_date: d[1],
                    access_date: d[2],
                    update_date: d[3],
                    expiration_date: d[4],
                    backup_date: d[5],
                    offline_message,
                    motd,
                    week_use,
                    day_use_date: d[6],
                    day_use: d[7],
                    version_vector,
                }
            },
        )
}

/// Fields shared by every vnode; the caller fixes number, type and ACL.
fn vnode_fields() -> impl Strategy<Value = Vnode> {
    (any::<u32>(), any::<[u16; 2]>(), any::<[u32; 7]>(), vv()).prop_map(
        |(unique, s, w, version_vector)| Vnode {
            vnode: 0,
            unique,
            vnode_type: 0,
            mode: s[0],
            links: s[1],
            length: w[0],
            data_version: w[1],
            version_vector,
            mtime: w[2],
            author: w[3],
            owner: w[4],
            parent_vnode: w[5],
            parent_unique: w[6],
            acl: None,
        },
    )
}

const SLOTS: u32 = 40;

fn dir_entry() -> impl Strategy<Value = IndexEntry> {
    (vnode_fields(), 0..SLOTS, bytes(80), 1usize..=3, any::<u8>()).prop_map(
        |(mut v, slot, acl, pages, fill)| {
            v.vnode = 2 * slot + 1;
            v.vnode_type = 2;
            v.acl = Some(acl);
            let data: Vec<u8> = (0..pages * 2048)
                .map(|i| (i as u8).wrapping_mul(fill))
                .collect();
            IndexEntry::Vnode(v, Data::DirPages(data))
        },
    )
}

fn small_entry(full: bool) -> impl Strategy<Value = IndexEntry> {
    let vnode = (
        vnode_fields(),
        0..SLOTS,
        prop_oneof![Just(1u8), Just(3u8)],
        bytes(300),
        any::<bool>(),
    )
        .prop_map(|(mut v, slot, ty, data, bad)| {
            v.vnode = 2 * slot + 2;
            v.vnode_type = ty;
            let data = if bad && ty == 1 {
                Data::BadInode
            } else {
                Data::File(data)
            };
            IndexEntry::Vnode(v, data)
        });
    let removed = (0..SLOTS, any::<u32>()).prop_map(|(slot, unique)| IndexEntry::Removed {
        vnode: 2 * slot + 2,
        unique,
    });
    if full {
        vnode.boxed()
    } else {
        prop_oneof![4 => vnode, 1 => removed, 1 => Just(IndexEntry::Null)].boxed()
    }
}

fn dump() -> impl Strategy<Value = Dump> {
    (header(), volume()).prop_flat_map(|(header, volume)| {
        let full = header.incremental == 0;
        let large = proptest::collection::vec(dir_entry(), 0..4);
        let small = proptest::collection::vec(small_entry(full), 0..8);
        (Just(header), Just(volume), large, small, any::<[u32; 2]>()).prop_map(
            move |(header, volume, large, small, counts)| {
                let index = |entries: Vec<IndexEntry>, count: u32| {
                    let vnodes = entries
                        .iter()
                        .filter(|e| matches!(e, IndexEntry::Vnode(..)))
                        .count() as u32;
                    Index {
                        header: IndexHeader {
                            // Full dumps must count their records exactly.
                            vnode_count: if full { vnodes } else { count },
                            slots: SLOTS,
                        },
                        entries,
                    }
                };
                Dump {
                    header,
                    volume,
                    large: index(large, counts[0]),
                    small: index(small, counts[1]),
                }
            },
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn write_then_read_gives_the_same_dump(d in dump()) {
        let bytes = d.write(Vec::new()).unwrap();
        let strict = Dump::read(&bytes[..], ReadOptions::default()).unwrap();
        prop_assert_eq!(&strict, &d);
        let lenient = Dump::read(&bytes[..], ReadOptions { lenient: true }).unwrap();
        prop_assert_eq!(&lenient, &d);
        prop_assert_eq!(strict.write(Vec::new()).unwrap(), bytes);
    }

    /// Truncating a written dump anywhere is reported, never a panic.
    #[test]
    fn truncated_written_dumps_are_errors(d in dump(), cut in any::<prop::sample::Index>()) {
        let bytes = d.write(Vec::new()).unwrap();
        let n = cut.index(bytes.len());
        prop_assert!(Dump::read(&bytes[..n], ReadOptions::default()).is_err());
    }
}
