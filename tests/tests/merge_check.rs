//! `merge` checks its result as `dump verify` does (spec §9.3): every
//! directory entry names a vnode the result holds, and every vnode has a
//! name. A real pair (spec §10: `server-a-full` + the `-i -N`
//! incremental `server-b-incr-smallonly`) and crafted pairs give results
//! that fail; the real `server-a-full` + `server-b-incr` does not.

use std::io::Cursor;

use coda_rs_tests::{names, read_golden};
use volume_dump::dirpage::DirBuilder;
use volume_dump::merge::{merge, MergeOptions, MergeReport};
use volume_dump::verify::Severity;
use volume_dump::{Data, Dump, IndexEntry, ReadOptions};

fn golden(name: &str) -> Dump {
    Dump::read(&read_golden("dump", name)[..], ReadOptions::default()).unwrap()
}

fn merged(full: &[u8], inc: Dump) -> MergeReport {
    let mut out = Cursor::new(Vec::new());
    merge(full, &[inc], &mut out, MergeOptions::default()).unwrap()
}

fn errors(r: &MergeReport) -> Vec<&str> {
    r.check
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.message.as_str())
        .collect()
}

#[test]
fn the_real_incremental_merges_clean() {
    let r = merged(
        &read_golden("dump", "server-a-full.dump"),
        golden("server-b-incr.dump"),
    );
    assert!(!r.check.rejects(), "{:?}", r.check);
    assert_eq!((r.check.errors, r.check.orphans), (0, 0));
    let r = merged(
        &read_golden("dump", "native-full.dump"),
        golden("native-incr.dump"),
    );
    assert!(!r.check.rejects(), "{:?}", r.check);
}

/// Spec §10: the `-i -N` incremental lists directories in full without a
/// D_RMVNODE for the deleted `subdir/deeper` (5.3), so the merge keeps it:
/// no directory names it, and its pages still list the removed file 16.12.
#[test]
fn the_real_smallonly_incremental_makes_a_result_verify_rejects() {
    let r = merged(
        &read_golden("dump", "server-a-full.dump"),
        golden("server-b-incr-smallonly.dump"),
    );
    assert!(r.check.rejects());
    assert_eq!(r.check.orphans, 1);
    assert_eq!(
        errors(&r),
        ["directory 0x5.0x3 has an entry for 0x10.0xc, which is not in the dump"]
    );
    assert!(r
        .check
        .problems
        .iter()
        .any(|p| p.message.contains("vnode 0x5.0x3 is in no directory")));
}

/// native-full holds only the root 1.1; the incremental's root lists
/// `names` (vnode, unique) and carries `files` in its small index.
fn crafted(names: &[(&[u8], u32, u32)], files: &[(u32, u32)]) -> Dump {
    let mut inc = golden("native-incr.dump");
    let IndexEntry::Vnode(mut root, _) = inc.large.entries[0].clone() else {
        panic!("native-incr starts with the root")
    };
    let mut dir = DirBuilder::new((1, 1), (1, 1));
    for (name, vnode, unique) in names {
        dir.create(name, *vnode, *unique).unwrap();
    }
    root.length = (dir.page_count() * 2048) as u32;
    inc.large.entries = vec![IndexEntry::Vnode(
        root.clone(),
        Data::DirPages(dir.into_bytes()),
    )];
    for &(vnode, unique) in files {
        let mut v = root.clone();
        (v.vnode, v.unique) = (vnode, unique);
        v.vnode_type = volume_dump::vnode_type::FILE;
        v.acl = None;
        v.links = 1;
        v.length = 6;
        v.parent_vnode = 1;
        v.parent_unique = 1;
        inc.small
            .entries
            .push(IndexEntry::Vnode(v, Data::File(b"hello\n".to_vec())));
    }
    inc
}

#[test]
fn crafted_pairs_naming_vnodes_nobody_holds_are_rejected() {
    let full = read_golden("dump", "native-full.dump");
    // One entry for a vnode neither dump carries.
    let r = merged(&full, crafted(&[(b"ghost", 2, 5)], &[]));
    assert!(r.check.rejects());
    assert_eq!(
        errors(&r),
        ["directory 0x1.0x1 has an entry for 0x2.0x5, which is not in the dump"]
    );
    // Several, a directory among them, next to one that is present.
    let r = merged(
        &full,
        crafted(
            &[(b"here", 2, 5), (b"gone", 4, 6), (b"subdir", 3, 7)],
            &[(2, 5)],
        ),
    );
    assert!(r.check.rejects());
    let e = errors(&r);
    assert!(e.iter().any(|m| m.contains("entry for 0x4.0x6")), "{e:?}");
    assert!(e.iter().any(|m| m.contains("entry for 0x3.0x7")), "{e:?}");
    assert!(!e.iter().any(|m| m.contains("entry for 0x2.0x5")), "{e:?}");
    // The same vnode number with another uniquifier is another vnode.
    let r = merged(&full, crafted(&[(b"stale", 2, 9)], &[(2, 5)]));
    assert!(r.check.rejects());
    assert_eq!(r.check.orphans, 1);
}

#[test]
fn crafted_orphans_are_rejected_and_a_consistent_pair_is_not() {
    let full = read_golden("dump", "native-full.dump");
    let r = merged(&full, crafted(&[], &[(2, 5)]));
    assert!(r.check.rejects());
    assert_eq!((r.check.errors, r.check.orphans), (0, 1));
    let r = merged(
        &full,
        crafted(&[(b"a", 2, 5), (b"b", 4, 6)], &[(2, 5), (4, 6)]),
    );
    assert!(!r.check.rejects(), "{:?}", r.check);
    assert!(r.check.problems.is_empty(), "{:?}", r.check.problems);
}

fn write(dir: &std::path::Path, name: &str, d: &Dump) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, d.write(Vec::new()).unwrap()).unwrap();
    p
}

#[test]
fn the_command_writes_nothing_for_a_rejected_result() {
    use coda_rs_tests::{coda_rs, golden, scratch};
    let t = scratch();
    let crafted_incr = write(t.path(), "ghost.incr", &crafted(&[(b"ghost", 2, 5)], &[]));
    let orphan_incr = write(t.path(), "orphan.incr", &crafted(&[], &[(2, 5)]));
    let out_dir = t.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let cases = [
        (
            golden("dump", "server-a-full.dump"),
            golden("dump", "server-b-incr-smallonly.dump"),
            "directory 0x5.0x3 has an entry for 0x10.0xc, which is not in the dump",
        ),
        (
            golden("dump", "native-full.dump"),
            crafted_incr,
            "directory 0x1.0x1 has an entry for 0x2.0x5, which is not in the dump",
        ),
        (
            golden("dump", "native-full.dump"),
            orphan_incr,
            "vnode 0x2.0x5 is in no directory",
        ),
    ];
    for (full, incr, why) in &cases {
        let out = out_dir.join("merged.dump");
        let res = coda_rs()
            .args(["dump", "merge"])
            .arg(&out)
            .arg(full)
            .arg(incr)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(1), "{err}");
        assert!(err.contains(why), "{err}");
        let last = err.lines().last().unwrap();
        assert!(
            last.starts_with(&format!("coda-rs: {}: not written: ", out.display()))
                && last.contains("use --force"),
            "{err}"
        );
        assert!(
            names(&out_dir).is_empty(),
            "left behind: {:?}",
            names(&out_dir)
        );

        // --force writes it, with the findings as warnings.
        let res = coda_rs()
            .args(["dump", "merge", "--force"])
            .arg(&out)
            .arg(full)
            .arg(incr)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(0), "{err}");
        assert!(err.contains(&format!("warning: {why}")), "{err}");
        assert!(err.contains("warning: written with --force"), "{err}");
        assert_eq!(names(&out_dir), ["merged.dump"]);
        // What was written is what the library merge makes.
        let mut want = Cursor::new(Vec::new());
        let inc = Dump::read(&std::fs::read(incr).unwrap()[..], ReadOptions::default()).unwrap();
        merge(
            &std::fs::read(full).unwrap()[..],
            &[inc],
            &mut want,
            MergeOptions::default(),
        )
        .unwrap();
        assert!(std::fs::read(&out).unwrap() == want.into_inner());
        std::fs::remove_file(&out).unwrap();
    }
}

#[test]
fn the_command_still_writes_a_clean_merge_byte_for_byte() {
    use coda_rs_tests::{coda_rs, golden, scratch};
    let t = scratch();
    let out = t.path().join("m.dump");
    let res = coda_rs()
        .args(["dump", "merge"])
        .arg(&out)
        .arg(golden("dump", "server-a-full.dump"))
        .arg(golden("dump", "server-b-incr.dump"))
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    // Only the summary line (on stderr, as every command's): no warning.
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert!(res.stdout.is_empty());
    assert!(std::fs::read(&out).unwrap() == read_golden("dump", "merged-a+b.dump"));
}
