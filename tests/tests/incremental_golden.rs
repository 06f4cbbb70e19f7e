//! The incremental writer against the real server's incremental
//! (`server-b-incr.dump`, spec §8): tree B (restored from the real
//! server's full dump of state B) dumped incrementally relative to the real
//! server's full dump of state A must remove the same vnodes, resend the
//! same changed ones, leave the unchanged ones out, carry the same level
//! and stamps, and merge with A into the tree of B.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use coda_rs_tests::{is_root, read_golden, scratch};
use volume_dump::incremental::{write_incremental, IncrementalOptions};
use volume_dump::merge::{merge, MergeOptions};
use volume_dump::restore::{restore_chain, AclMode, RestoreOptions};
use volume_dump::tree::Namespace;
use volume_dump::{Data, Dump, IndexEntry, ReadOptions};

use crate::incremental_support::{records, Fids};

fn read(bytes: &[u8]) -> Dump {
    Dump::read(bytes, ReadOptions::default()).expect("strict read")
}

/// (type, size, mode, mtime, owner or 0, links, content, ACL) by path.
type Item = (u8, u32, u16, u32, u32, u16, Vec<u8>, Option<Vec<u8>>);

fn listing(d: &Dump, owners: bool) -> BTreeMap<Vec<u8>, Item> {
    let mut ns = Namespace::new(b"vol");
    for e in &d.large.entries {
        if let IndexEntry::Vnode(v, Data::DirPages(p)) = e {
            ns.add_directory(v, p, 0).unwrap();
        }
    }
    let mut out = BTreeMap::new();
    for e in d.large.entries.iter().chain(&d.small.entries) {
        let IndexEntry::Vnode(v, data) = e else {
            continue;
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
            if owners { v.owner } else { 0 },
            v.links,
            content,
            v.acl.clone(),
        );
        for k in 0..ns.names(fid).len().max(1) {
            out.insert(ns.path(fid, k), item.clone());
        }
    }
    out
}

#[test]
fn incremental_of_state_b_matches_the_servers() {
    let full_a = read_golden("dump", "server-a-full.dump");
    let full_b = read_golden("dump", "server-b-full.dump");
    let golden_incr = read(&read_golden("dump", "server-b-incr.dump"));

    // Tree B on disk, ACLs in ..CodaACLs.yaml.
    let dir = scratch();
    let tree = dir.path().join("b");
    let opts = RestoreOptions {
        acls: AclMode::Yaml,
        ..RestoreOptions::default()
    };
    restore_chain(&full_b[..], &[], &tree, &opts, &mut |_| {}).unwrap();
    // The restore's journal is not volume data; removing it must not change
    // the root's mtime.
    let root_mtime = std::fs::metadata(&tree).unwrap().modified().unwrap();
    std::fs::remove_file(tree.join(volume_dump::restore::JOURNAL_NAME)).ok();
    std::fs::File::open(&tree)
        .unwrap()
        .set_modified(root_mtime)
        .unwrap();

    let base = read(&full_a);
    let (inc, _) = write_incremental(
        Cursor::new(&full_a),
        &tree,
        &IncrementalOptions {
            level: 1,
            date: golden_incr.header.latest,
        },
        Vec::new(),
    )
    .unwrap();
    let ours = read(&inc);

    // Same level and ordering stamps as the server's (spec §8.3).
    assert_eq!(ours.header.incremental, golden_incr.header.incremental);
    assert_eq!(
        (ours.header.oldest, ours.header.latest),
        (golden_incr.header.oldest, golden_incr.header.latest)
    );
    assert_eq!(ours.header.parent_id, golden_incr.header.parent_id);
    // Index counts are the volume's totals (spec §8.2): 4 and 82.
    assert_eq!(
        (ours.large.header.vnode_count, ours.small.header.vnode_count),
        (
            golden_incr.large.header.vnode_count,
            golden_incr.small.header.vnode_count
        )
    );

    // The volume's files and symlinks, as the server counts them (82).
    assert_eq!(ours.volume.file_count, golden_incr.volume.file_count);

    let (g_sent, g_removed) = records(&golden_incr);
    let (o_sent, o_removed) = records(&ours);
    // The same vnodes are gone: RM 5.3, RM 4.6, RM 16.12.
    assert_eq!(o_removed, g_removed);
    let in_a: Fids = records(&base).0;
    let g_changed: BTreeSet<_> = g_sent.intersection(&in_a).collect();
    let o_changed: BTreeSet<_> = o_sent.intersection(&in_a).collect();
    // Exactly the vnodes of A the server resent as changed: 1.1, 3.2, 2.5,
    // 32.20 (so our change detection agrees with real-Coda vnodes).
    assert_eq!(o_changed, g_changed);
    // New objects are sent; unchanged files (big.bin 6.7, exact64k.bin
    // 158.83, the 119-byte name 164.88, the manyfiles entries but 007)
    // are not.
    assert_eq!(
        o_sent.difference(&in_a).count(),
        g_sent.difference(&in_a).count(),
        "new vnodes"
    );
    for fid in [(6, 7), (158, 83), (164, 88), (18, 13), (166, 89)] {
        assert!(!o_sent.contains(&fid), "unchanged {fid:?} was sent");
    }
    assert!(
        inc.len() < 2 * read_golden("dump", "server-b-incr.dump").len(),
        "ours is {} bytes",
        inc.len()
    );

    // merge(A, ours) describes tree B.
    let mut merged = Cursor::new(Vec::new());
    merge(&full_a[..], &[ours], &mut merged, MergeOptions::default()).unwrap();
    let merged = read(merged.get_ref());
    let owners = is_root();
    let (got, want) = (listing(&merged, owners), listing(&read(&full_b), owners));
    for (path, w) in &want {
        let p = String::from_utf8_lossy(path);
        let g = got
            .get(path)
            .unwrap_or_else(|| panic!("{p} missing after the merge"));
        assert_eq!(g.6, w.6, "{p}: content");
        assert_eq!(
            (g.0, g.1, g.2, g.3, g.4, g.5, &g.7),
            (w.0, w.1, w.2, w.3, w.4, w.5, &w.7),
            "{p}: type, size, mode, mtime, owner, links, ACL"
        );
    }
    assert_eq!(got.len(), want.len(), "extra paths after the merge");
}
