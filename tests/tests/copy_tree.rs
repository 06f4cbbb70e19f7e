//! `coda-rs copy` on generated trees: the copy must be identical to the
//! source in every preserved attribute (issue 7 acceptance).

use crate::copy_support;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;

use copy_support::*;

fn os(s: &Path) -> &OsStr {
    s.as_os_str()
}

/// A tree with one of everything: deep nesting, unicode, non-UTF-8 and
/// 255-byte names, special modes, symlinks (dangling too, and one
/// pointing out of the tree), hard links, FIFOs, sockets, devices and
/// owners (as root), xattrs, a few large files and a 1 GiB sparse file
/// holding 1 MiB of data.
fn build_rich_tree(src: &Path) {
    let mut seed = 1;
    let mut next = || {
        seed += 1;
        seed
    };
    fs::create_dir(src).unwrap();
    // Deep nesting: 60 levels.
    let mut deep = src.join("deep");
    fs::create_dir(&deep).unwrap();
    for i in 0..60 {
        deep = deep.join(format!("level{i:02}"));
        fs::create_dir(&deep).unwrap();
        write_pattern(&deep.join("f"), (i * 37) % 500, next());
    }
    // Names.
    let names = src.join("names");
    fs::create_dir(&names).unwrap();
    write_pattern(&names.join("Ünïcødé-ファイル-🚀.txt"), 1000, next());
    write_pattern(&names.join(long_name()), 10, next());
    write_pattern(&names.join(latin1_name()), 20, next());
    write_pattern(&names.join("with space\tand tab"), 30, next());
    fs::create_dir(names.join("каталог")).unwrap();
    write_pattern(&names.join("каталог").join("файл"), 40, next());
    // Large files (not multiples of any block size).
    let big = src.join("big");
    fs::create_dir(&big).unwrap();
    for (i, len) in [(0, 8 << 20), (1, (5 << 20) + 123), (2, (3 << 20) + 4095)] {
        write_pattern(&big.join(format!("large{i}")), len, next());
    }
    // Sparse: 1 GiB with 16 x 64 KiB of data, the last byte data too.
    let sparse = big.join("sparse-1GiB");
    {
        let f = fs::File::create(&sparse).unwrap();
        use std::os::unix::fs::FileExt;
        for k in 0..16u64 {
            let chunk: Vec<u8> = (0..65536u32)
                .map(|i| (i as u64 * (k + 3)) as u8 | 1)
                .collect();
            f.write_all_at(&chunk, k * (64 << 20) + (k * 4096)).unwrap();
        }
        f.write_all_at(b"end", (1 << 30) - 3).unwrap();
        f.set_len(1 << 30).unwrap();
    }
    // Sparse with a trailing hole.
    let tail = big.join("trailing-hole");
    {
        let f = fs::File::create(&tail).unwrap();
        use std::os::unix::fs::FileExt;
        f.write_all_at(b"head", 0).unwrap();
        f.set_len(50 << 20).unwrap();
    }
    // Modes.
    let modes = src.join("modes");
    fs::create_dir(&modes).unwrap();
    for (name, mode) in [
        ("setuid", 0o4755),
        ("setgid", 0o2750),
        ("sticky-file", 0o1644),
        ("none", 0o000),
        ("readonly", 0o444),
        ("all", 0o7777),
    ] {
        let p = modes.join(name);
        write_pattern(&p, 64, next());
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    }
    let sticky = modes.join("sticky-dir");
    fs::create_dir(&sticky).unwrap();
    write_pattern(&sticky.join("inside"), 5, next());
    fs::set_permissions(&sticky, fs::Permissions::from_mode(0o1777)).unwrap();
    let sgid = modes.join("setgid-dir");
    fs::create_dir(&sgid).unwrap();
    fs::set_permissions(&sgid, fs::Permissions::from_mode(0o2775)).unwrap();
    // A read-only directory with children: its mode must come last.
    let ro = modes.join("readonly-dir");
    fs::create_dir(&ro).unwrap();
    write_pattern(&ro.join("child"), 5, next());
    fs::create_dir(ro.join("subdir")).unwrap();
    // Symlinks: relative, absolute, dangling, out of the tree, to a dir.
    let links = src.join("links");
    fs::create_dir(&links).unwrap();
    symlink("../names/каталог/файл", links.join("relative")).unwrap();
    symlink("/nonexistent/target", links.join("dangling")).unwrap();
    symlink("../../outside", links.join("out-of-tree")).unwrap();
    symlink("../deep", links.join("to-dir")).unwrap();
    symlink("/etc", links.join("absolute-dir")).unwrap();
    // Hard links: three names in three directories, and a linked symlink.
    write_pattern(&links.join("hard-a"), 3000, next());
    fs::hard_link(links.join("hard-a"), names.join("hard-b")).unwrap();
    fs::hard_link(links.join("hard-a"), src.join("hard-c")).unwrap();
    write_pattern(&links.join("pair-1"), 10, next());
    fs::hard_link(links.join("pair-1"), links.join("pair-2")).unwrap();
    fs::hard_link(links.join("relative"), links.join("relative-hardlink")).unwrap();
    // Specials.
    let special = src.join("special");
    fs::create_dir(&special).unwrap();
    mkfifo(&special.join("fifo"), 0o640);
    let sock = std::os::unix::net::UnixListener::bind(special.join("sock")).unwrap();
    drop(sock);
    if is_root() {
        mknod(&special.join("null"), libc::S_IFCHR | 0o666, 1, 3);
        mknod(&special.join("loop9"), libc::S_IFBLK | 0o660, 7, 9);
    }
    // Empty things.
    fs::create_dir(src.join("empty-dir")).unwrap();
    fs::write(src.join("empty-file"), b"").unwrap();
    // Xattrs.
    set_xattr(
        &names.join("Ünïcødé-ファイル-🚀.txt"),
        "user.coda.note",
        b"kept",
    );
    set_xattr(&names.join("каталог"), "user.dir", b"\x00binary\xff");
    // Owners, as root only.
    if is_root() {
        std::os::unix::fs::lchown(names.join("каталог"), Some(1234), Some(5678)).unwrap();
        std::os::unix::fs::lchown(names.join("каталог").join("файл"), Some(4321), Some(8765))
            .unwrap();
        std::os::unix::fs::lchown(links.join("dangling"), Some(777), Some(888)).unwrap();
        // chown clears setuid: set the modes again.
        let p = modes.join("setuid");
        std::os::unix::fs::chown(&p, Some(1000), Some(1000)).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o4755)).unwrap();
    }
    // Times last, deepest first, so that no later change moves them.
    stamp_tree(src);
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    stamp(&ro, 999);
}

#[test]
fn rich_tree_is_copied_identically() {
    let dir = scratch();
    let src = dir.path().join("src");
    build_rich_tree(&src);
    fs::create_dir(dir.path().join("outside")).unwrap();
    fs::write(
        dir.path().join("outside").join("secret"),
        b"not to be copied",
    )
    .unwrap();
    let dst = dir.path().join("dst");
    let (code, _, err) = run_copy(&[os(&src), os(&dst), OsStr::new("--xattrs")], &[]);
    assert_eq!(code, Some(0), "stderr:\n{err}");
    assert!(err.contains("0 failed"), "summary line missing:\n{err}");
    assert_same_tree(
        &src,
        &dst,
        Check {
            owner: is_root(),
            xattrs: true,
        },
    );
    // The sparse file stays sparse.
    let s = fs::metadata(src.join("big/sparse-1GiB")).unwrap();
    let d = fs::metadata(dst.join("big/sparse-1GiB")).unwrap();
    assert_eq!(d.len(), 1 << 30);
    assert!(
        d.blocks() <= 2 * s.blocks(),
        "sparse copy has {} blocks, source {}",
        d.blocks(),
        s.blocks()
    );
    assert!(d.blocks() * 512 < 8 << 20, "sparse copy is not sparse");
    // The out-of-tree symlink was copied as a link, not followed.
    assert!(fs::symlink_metadata(dst.join("links/out-of-tree"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(!dst.join("outside").exists() && !dir.path().join("dst/secret").exists());
}

#[test]
fn ten_thousand_small_files() {
    let dir = scratch();
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    for d in 0..100u64 {
        let sub = src.join(format!("d{d:03}"));
        fs::create_dir(&sub).unwrap();
        for f in 0..100u64 {
            let n = d * 100 + f;
            write_pattern(
                &sub.join(format!("f{f:03}")),
                ((n * 131) % 4096) as usize,
                n,
            );
        }
    }
    stamp_tree(&src);
    let dst = dir.path().join("dst");
    let (code, _, err) = run_copy(
        &[os(&src), os(&dst), OsStr::new("--jobs"), OsStr::new("2")],
        &[],
    );
    assert_eq!(code, Some(0), "stderr:\n{err}");
    assert!(err.contains("copy: 10000 files, 101 dirs"), "{err}");
    assert_same_tree(
        &src,
        &dst,
        Check {
            owner: true,
            xattrs: false,
        },
    );
}

#[test]
fn pairs_keep_hard_links_across_volumes() {
    let dir = scratch();
    let root = dir.path();
    let (v1, v2) = (root.join("restore/v1"), root.join("restore/v2"));
    fs::create_dir_all(v1.join("sub")).unwrap();
    fs::create_dir_all(&v2).unwrap();
    write_pattern(&v1.join("shared"), 5000, 1);
    fs::hard_link(v1.join("shared"), v2.join("shared-too")).unwrap();
    write_pattern(&v1.join("x"), 100, 2);
    fs::hard_link(v1.join("x"), v1.join("sub/y")).unwrap();
    write_pattern(&v2.join("alone"), 10, 3);
    stamp_tree(&root.join("restore"));
    // The new volumes exist already and are empty, as in §13.6.
    let (d1, d2) = (root.join("inited/v1"), root.join("inited/v2"));
    fs::create_dir_all(&d1).unwrap();
    fs::create_dir_all(&d2).unwrap();
    let pairs = root.join("pairs.txt");
    fs::write(
        &pairs,
        format!(
            "# restored -> inited\n{} {}\n\n{} {}\n",
            v1.display(),
            d1.display(),
            v2.display(),
            d2.display()
        ),
    )
    .unwrap();
    let (code, out, err) = run_copy(
        &[OsStr::new("--pairs"), os(&pairs), OsStr::new("--json")],
        &[],
    );
    assert_eq!(code, Some(0), "stderr:\n{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["hard_links"], 2, "{doc}");
    assert_eq!(doc["files"], 3, "{doc}");
    let ino = |p: &Path| fs::metadata(p).unwrap().ino();
    assert_eq!(ino(&d1.join("shared")), ino(&d2.join("shared-too")));
    assert_eq!(ino(&d1.join("x")), ino(&d1.join("sub/y")));
    assert_ne!(ino(&d1.join("x")), ino(&v1.join("x")));
    assert_eq!(fs::metadata(d1.join("shared")).unwrap().nlink(), 2);
    // Each volume on its own is identical too (nlink counts both volumes).
    let check = Check {
        owner: true,
        xattrs: false,
    };
    let (s1, t1) = (snapshot(&v1), snapshot(&d1));
    let d = diff_trees(&v1, &s1, &d1, &t1, check);
    assert!(d.is_empty(), "{d:?}");
    let (s2, t2) = (snapshot(&v2), snapshot(&d2));
    let d = diff_trees(&v2, &s2, &d2, &t2, check);
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn preserve_list_limits_what_is_kept() {
    let dir = scratch();
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    write_pattern(&src.join("a"), 100, 1);
    fs::hard_link(src.join("a"), src.join("b")).unwrap();
    fs::set_permissions(src.join("a"), fs::Permissions::from_mode(0o4711)).unwrap();
    set_xattr(&src.join("a"), "user.note", b"only with --xattrs");
    set_times(&src.join("a"), (1_000_000_000, 5), (1_000_000_000, 7));
    let dst = dir.path().join("dst");
    let (code, _, err) = run_copy(
        &[
            os(&src),
            os(&dst),
            OsStr::new("--preserve"),
            OsStr::new("timestamps"),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "stderr:\n{err}");
    let a = fs::metadata(dst.join("a")).unwrap();
    let b = fs::metadata(dst.join("b")).unwrap();
    assert_ne!(a.ino(), b.ino(), "links were not asked for");
    assert_eq!((a.mtime(), a.mtime_nsec()), (1_000_000_000, 7));
    assert_eq!(
        a.mode() & 0o7000,
        0,
        "setuid must not be kept without `mode`"
    );
    assert!(
        xattrs(&dst.join("a")).is_empty(),
        "xattrs were not asked for"
    );
    assert_eq!(xattrs(&src.join("a")).len(), 1);
    assert_eq!(
        fs::read(dst.join("b")).unwrap(),
        fs::read(src.join("b")).unwrap()
    );
    let (code, _, err) = run_copy(
        &[
            os(&src),
            os(&dir.path().join("d2")),
            OsStr::new("--preserve"),
            OsStr::new("mode,bogus"),
        ],
        &[],
    );
    assert_eq!(code, Some(2), "unknown attribute is a usage error: {err}");
    assert!(err.contains("unknown attribute `bogus`"), "{err}");
    // Coda ACLs need a Coda mount on both sides; nothing is created.
    let (code, _, err) = run_copy(
        &[os(&src), os(&dir.path().join("d3")), OsStr::new("--acls")],
        &[],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not on a Coda mount"), "{err}");
    assert!(!dir.path().join("d3").exists());
}

#[test]
fn verify_compares_every_file() {
    let dir = scratch();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("s")).unwrap();
    for i in 0..20 {
        write_pattern(&src.join("s").join(format!("f{i}")), i * 1000, i as u64);
    }
    let dst = dir.path().join("dst");
    let (code, out, err) = run_copy(
        &[
            os(&src),
            os(&dst),
            OsStr::new("--verify"),
            OsStr::new("--json"),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "stderr:\n{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["verified"], 20);
    assert!(err.contains("20 verified"), "{err}");
}

#[test]
fn dry_run_counts_and_changes_nothing() {
    let dir = scratch();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("a/b")).unwrap();
    write_pattern(&src.join("a/f"), 1000, 1);
    write_pattern(&src.join("a/b/g"), 24, 2);
    fs::hard_link(src.join("a/f"), src.join("h")).unwrap();
    symlink("a/f", src.join("s")).unwrap();
    let dst = dir.path().join("dst");
    let (code, out, err) = run_copy(
        &[
            os(&src),
            os(&dst),
            OsStr::new("--dry-run"),
            OsStr::new("--json"),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(!dst.exists(), "a dry run creates nothing");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            &doc["files"],
            &doc["directories"],
            &doc["hard_links"],
            &doc["symlinks"],
            &doc["bytes"]
        ),
        (&2.into(), &3.into(), &1.into(), &1.into(), &1024.into()),
        "{doc}"
    );
    assert_eq!(doc["dry_run"], true);
    assert!(err.contains("copy (dry run): 2 files, 3 dirs"), "{err}");
}
