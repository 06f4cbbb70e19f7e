//! `dump create --incremental-from BASE [--level N]`: the incremental of a
//! changed tree relative to its full dump. `dump restore FULL INCR` gives
//! back the changed tree (renames, removals, new files, changed content and
//! modes); against the real server (`server-b-incr.dump`, spec §8) the
//! command removes and resends the same vnodes with the same level and
//! stamps.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use coda_rs_tests::{coda_rs, golden, is_root, read_golden, scratch};
use volume_dump::{Dump, IndexEntry, ReadOptions};

use crate::incremental_support::{records, Fids};

fn read_dump(p: &Path) -> Dump {
    Dump::read(&fs::read(p).unwrap()[..], ReadOptions::default()).unwrap()
}

/// type, mode, mtime (seconds), owner (as root), size, content or target,
/// link count, for every path below `dir` but the restore's own files.
fn describe(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut m = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let md = fs::symlink_metadata(dir.join(&rel)).unwrap();
        let owner = if is_root() { md.uid() } else { 0 };
        let what = if md.file_type().is_symlink() {
            format!("symlink -> {:?}", fs::read_link(dir.join(&rel)).unwrap())
        } else if md.is_file() {
            format!(
                "file mode {:o} size {} links {} content {:?}",
                md.mode() & 0o7777,
                md.len(),
                md.nlink(),
                fs::read(dir.join(&rel)).unwrap()
            )
        } else {
            for e in fs::read_dir(dir.join(&rel)).unwrap() {
                let n = e.unwrap().file_name();
                if rel.as_os_str().is_empty()
                    && (n == ".coda-rs-restore.json" || n == "..CodaACLs.yaml")
                {
                    continue;
                }
                stack.push(rel.join(n));
            }
            format!("dir mode {:o}", md.mode() & 0o7777)
        };
        m.insert(rel, format!("{what} mtime {} owner {owner}", md.mtime()));
    }
    m
}

/// Sets the mtime of a file or directory (never a symlink: callers skip
/// them).
fn touch(p: &Path, t: i64) {
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t as u64);
    fs::File::open(p).unwrap().set_modified(when).unwrap();
}

/// Every directory and file of `root` gets mtime `t` (whole seconds, as a
/// dump records them), deepest first.
fn settle(root: &Path, t: i64) {
    let mut all = vec![root.to_path_buf()];
    let mut i = 0;
    while i < all.len() {
        let p = all[i].clone();
        if fs::symlink_metadata(&p).unwrap().is_dir() {
            for e in fs::read_dir(&p).unwrap() {
                all.push(e.unwrap().path());
            }
        }
        i += 1;
    }
    for p in all.iter().rev() {
        if !fs::symlink_metadata(p).unwrap().file_type().is_symlink() {
            touch(p, t);
        }
    }
}

fn write(p: &Path, data: &[u8], mode: u32) {
    fs::write(p, data).unwrap();
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn restoring_full_plus_incremental_gives_the_changed_tree() {
    let t = scratch();
    let src = t.path().join("vol");
    fs::create_dir_all(src.join("docs/old")).unwrap();
    fs::create_dir_all(src.join("gone/deep")).unwrap();
    fs::create_dir_all(src.join("stay")).unwrap();
    write(&src.join("readme"), b"version one\n", 0o644);
    write(&src.join("same-size"), b"aaaa", 0o644);
    write(&src.join("docs/a.txt"), b"doc a\n", 0o644);
    write(&src.join("docs/old/b.txt"), b"doc b\n", 0o600);
    write(&src.join("gone/deep/c"), &vec![7u8; 70_000], 0o644);
    write(&src.join("gone/x"), b"x", 0o644);
    write(&src.join("stay/script"), b"#!/bin/sh\n", 0o644);
    write(&src.join("stay/big"), &vec![3u8; 300_000], 0o644);
    write(&src.join("unchanged"), b"never touched\n", 0o644);
    symlink("readme", src.join("link")).unwrap();
    settle(&src, 1_700_000_000);
    let full = t.path().join("full.dump");
    coda_rs()
        .args([
            "dump",
            "create",
            "--date",
            "1700000500",
            "--volume-id",
            "1000102",
        ])
        .args(["--volume-name", "t.backup", "-o"])
        .arg(&full)
        .arg(&src)
        .assert()
        .success();

    // The changes: renames (a file, a directory), removals (a file, a
    // directory tree), new files and directories, changed content (same
    // and other size), modes, a symlink retargeted, a hard link added.
    fs::rename(src.join("docs/a.txt"), src.join("docs/a-renamed.txt")).unwrap();
    fs::rename(src.join("docs/old"), src.join("docs/archive")).unwrap();
    fs::remove_file(src.join("stay/big")).unwrap();
    fs::remove_dir_all(src.join("gone")).unwrap();
    fs::create_dir_all(src.join("new/inner")).unwrap();
    write(&src.join("new/inner/n1"), b"new one\n", 0o640);
    write(&src.join("new/n2"), &vec![9u8; 5000], 0o644);
    write(&src.join("added"), b"", 0o644);
    write(&src.join("readme"), b"version two, longer\n", 0o644);
    write(&src.join("same-size"), b"bbbb", 0o644);
    fs::set_permissions(src.join("stay/script"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(src.join("docs"), fs::Permissions::from_mode(0o700)).unwrap();
    fs::remove_file(src.join("link")).unwrap();
    symlink("same-size", src.join("link")).unwrap();
    fs::hard_link(src.join("docs/a-renamed.txt"), src.join("docs/a-again.txt")).unwrap();
    settle(&src, 1_700_050_000);
    let unchanged_mtime = 1_700_000_000;
    touch(&src.join("unchanged"), unchanged_mtime);

    let incr = t.path().join("incr.dump");
    let res = coda_rs()
        .args([
            "dump",
            "create",
            "--date",
            "1700090000",
            "--incremental-from",
        ])
        .arg(&full)
        .arg("-o")
        .arg(&incr)
        .arg(&src)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{err}");
    assert!(err.contains("level 1 incremental relative to"), "{err}");

    let (f, i) = (read_dump(&full), read_dump(&incr));
    // Spec §8.2/§8.3: level 1, oldest = the base's latest, same volume.
    assert_eq!(i.header.incremental, 1);
    assert_eq!(
        (i.header.oldest, i.header.latest),
        (f.header.latest, 1_700_090_000)
    );
    assert_eq!(
        (
            i.header.volume_id,
            i.header.parent_id,
            &i.header.volume_name
        ),
        (
            f.header.volume_id,
            f.header.parent_id,
            &f.header.volume_name
        )
    );
    let removed = i
        .large
        .entries
        .iter()
        .chain(&i.small.entries)
        .filter(|e| matches!(e, IndexEntry::Removed { .. }))
        .count();
    // gone, gone/deep, gone/deep/c, gone/x, stay/big, and the renamed
    // docs/a.txt, docs/old, docs/old/b.txt (an object keeps its vnode only
    // while its path holds the same kind of object).
    assert_eq!(removed, 8);

    let into = t.path().join("restored");
    coda_rs()
        .args(["dump", "restore", "--quiet", "--acls", "skip", "--into"])
        .arg(&into)
        .arg(&full)
        .arg(&incr)
        .assert()
        .success();
    let (want, got) = (describe(&src), describe(&into));
    for (p, w) in &want {
        assert_eq!(got.get(p), Some(w), "{}", p.display());
    }
    assert_eq!(
        got.len(),
        want.len(),
        "{:?}",
        got.keys().collect::<Vec<_>>()
    );
    coda_rs()
        .args(["dump", "verify", "--acls", "skip"])
        .arg(&full)
        .arg(&incr)
        .arg("--against")
        .arg(&src)
        .assert()
        .success();

    // --level N is the header's level; the vnodes sent are the same.
    let incr3 = t.path().join("incr3.dump");
    coda_rs()
        .args(["dump", "create", "--date", "1700090000", "--level", "3"])
        .arg("--incremental-from")
        .arg(&full)
        .arg("-o")
        .arg(&incr3)
        .arg(&src)
        .assert()
        .success();
    let i3 = read_dump(&incr3);
    assert_eq!(i3.header.incremental, 3);
    assert_eq!(i3.large.entries, i.large.entries);
    assert_eq!(i3.small.entries, i.small.entries);
}

#[test]
fn against_the_real_servers_incremental() {
    // Tree B from the real server's full dump of state B.
    let t = scratch();
    let tree = t.path().join("b");
    coda_rs()
        .args(["dump", "restore", "--quiet", "--acls", "yaml", "--into"])
        .arg(&tree)
        .arg(golden("dump", "server-b-full.dump"))
        .assert()
        .success();
    let root_mtime = fs::metadata(&tree).unwrap().mtime();
    // The journal is not volume data (recent restores remove it themselves).
    fs::remove_file(tree.join(".coda-rs-restore.json")).ok();
    touch(&tree, root_mtime);

    let golden_incr = Dump::read(
        &read_golden("dump", "server-b-incr.dump")[..],
        ReadOptions::default(),
    )
    .unwrap();
    let out = t.path().join("ours.dump");
    coda_rs()
        .args(["dump", "create", "--incremental-from"])
        .arg(golden("dump", "server-a-full.dump"))
        .arg("--date")
        .arg(golden_incr.header.latest.to_string())
        .arg("-o")
        .arg(&out)
        .arg(&tree)
        .assert()
        .success();
    let ours = read_dump(&out);
    assert_eq!(ours.header.incremental, golden_incr.header.incremental);
    assert_eq!(
        (ours.header.oldest, ours.header.latest),
        (golden_incr.header.oldest, golden_incr.header.latest)
    );
    let base: Fids = records(
        &Dump::read(
            &read_golden("dump", "server-a-full.dump")[..],
            ReadOptions::default(),
        )
        .unwrap(),
    )
    .0;
    let (g_sent, g_removed) = records(&golden_incr);
    let (o_sent, o_removed) = records(&ours);
    // RM 5.3, 4.6, 16.12; resent 1.1, 3.2, 2.5, 32.20.
    assert_eq!(o_removed, g_removed);
    assert_eq!(
        o_sent.intersection(&base).collect::<Vec<_>>(),
        g_sent.intersection(&base).collect::<Vec<_>>()
    );
}

#[test]
fn bad_bases_and_options_are_refused() {
    let t = scratch();
    let src = t.path().join("vol");
    fs::create_dir(&src).unwrap();
    let out = t.path().join("o.dump");
    let run = |args: &[&str], base: &Path| {
        coda_rs()
            .args(["dump", "create"])
            .args(args)
            .arg("--incremental-from")
            .arg(base)
            .arg("-o")
            .arg(&out)
            .arg(&src)
            .output()
            .unwrap()
    };
    // Usage errors (exit 2): level 0, full-dump options with a base.
    for args in [
        &["--level", "0"][..],
        &["--volume-id", "1000102"][..],
        &["--volume-name", "x.backup"][..],
        &["--read-only"][..],
    ] {
        let res = run(args, &golden("dump", "server-a-full.dump"));
        assert_eq!(res.status.code(), Some(2), "{args:?}");
    }
    // --level without a base.
    let res = coda_rs()
        .args([
            "dump",
            "create",
            "--level",
            "2",
            "--volume-id",
            "1",
            "--volume-name",
            "v",
        ])
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    // Failures (exit 1) naming the base: an incremental, a missing file,
    // a directory, a file that is not a dump.
    let junk = t.path().join("junk");
    fs::write(&junk, b"not a dump").unwrap();
    for (base, why) in [
        (golden("dump", "server-b-incr.dump"), "not a full dump"),
        (t.path().join("missing.dump"), "missing.dump"),
        (src.clone(), "not a regular file"),
        (junk, "incremental dump relative to"),
    ] {
        let res = run(&[], &base);
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(1), "{err}");
        assert!(err.contains(why), "{why}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("coda-rs: "), "{err}");
        assert!(!out.exists(), "{} left behind", out.display());
    }
}
