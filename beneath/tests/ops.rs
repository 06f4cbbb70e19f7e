//! The operations themselves: O_EXCL creation, opening existing files,
//! special files, listing, removal and atomic replacement.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{symlink, FileTypeExt, MetadataExt};

use beneath::{is_own_temp, is_temp_of, Access, Error, FileKind, Special};
use common::Fixture;

#[test]
fn create_file_is_exclusive() {
    let fx = Fixture::new();
    let root = fx.open(Default::default(), 4);
    let top = root.top();
    top.create_file("f", 0o600)
        .unwrap()
        .write_all(b"first")
        .unwrap();
    let e = top.create_file("f", 0o600).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
    assert!(e.to_string().contains("/root/f: creating a file"), "{e}");
    assert_eq!(fs::read(fx.root_path().join("f")).unwrap(), b"first");
    top.mkdir("d", 0o755).unwrap();
    assert_eq!(
        top.create_file("d", 0o600).unwrap_err().kind(),
        std::io::ErrorKind::AlreadyExists
    );
    assert_eq!(
        top.mkdir("d", 0o755).unwrap_err().kind(),
        std::io::ErrorKind::AlreadyExists
    );
}

#[test]
fn open_file_wants_a_regular_file() {
    let fx = Fixture::new();
    let root = fx.open(Default::default(), 4);
    let top = root.top();
    fs::write(fx.root_path().join("f"), b"hello").unwrap();
    let mut s = String::new();
    top.open_file("f", Access::Read)
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    assert_eq!(s, "hello");
    top.mkdir("d", 0o755).unwrap();
    top.mknod("p", Special::Fifo, 0o644).unwrap();
    // Neither blocks: a FIFO without a writer is refused after the open.
    for (name, found) in [("d", "directory"), ("p", "FIFO")] {
        match top.open_file(name, Access::Read) {
            Err(Error::WrongType {
                found: f, expected, ..
            }) => {
                assert_eq!((f, expected), (found, "regular file"));
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(top
        .open_file("missing", Access::Read)
        .unwrap_err()
        .is_not_found());
}

#[test]
fn special_files_and_their_modes() {
    let fx = Fixture::new();
    let root = fx.open(Default::default(), 4);
    let top = root.top();
    top.mknod("fifo", Special::Fifo, 0o600).unwrap();
    top.mknod("sock", Special::Socket, 0o600).unwrap();
    top.set_mode_at("fifo", 0o4751).unwrap();
    let md = fs::symlink_metadata(fx.root_path().join("fifo")).unwrap();
    assert!(md.file_type().is_fifo());
    assert_eq!(md.mode() & 0o7777, 0o4751);
    assert!(fs::symlink_metadata(fx.root_path().join("sock"))
        .unwrap()
        .file_type()
        .is_socket());
    if rustix::process::geteuid().is_root() {
        let dev = rustix::fs::makedev(1, 3);
        top.mknod("null", Special::CharDevice(dev), 0o600).unwrap();
        top.mknod(
            "blk",
            Special::BlockDevice(rustix::fs::makedev(7, 200)),
            0o600,
        )
        .unwrap();
        // The device is never opened by set_mode_at.
        top.set_mode_at("null", 0o640).unwrap();
        let md = fs::symlink_metadata(fx.root_path().join("null")).unwrap();
        assert!(md.file_type().is_char_device());
        assert_eq!((md.rdev(), md.mode() & 0o7777), (dev, 0o640));
        assert!(fs::symlink_metadata(fx.root_path().join("blk"))
            .unwrap()
            .file_type()
            .is_block_device());
    }
}

#[test]
fn entries_and_kinds() {
    let fx = Fixture::new();
    let root = fx.open(Default::default(), 4);
    let top = root.top();
    assert!(top.is_empty().unwrap());
    top.mkdir("d", 0o755).unwrap();
    top.create_file("f", 0o644).unwrap();
    top.symlink("l", "/nowhere").unwrap();
    let mut names: Vec<_> = top
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.name, e.kind))
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let kinds: Vec<_> = names
        .iter()
        .map(|(n, k)| (n.to_str().unwrap(), *k))
        .collect();
    for (n, k) in &kinds {
        assert!(*k == top.kind(n).unwrap().unwrap() || *k == FileKind::Unknown);
    }
    assert_eq!(
        kinds.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ["d", "f", "l"]
    );
    assert_eq!(top.read_link("l").unwrap(), "/nowhere");
    assert_eq!(top.kind("missing").unwrap(), None);
    assert!(!top.is_empty().unwrap());
}

#[test]
fn remove_all_stays_inside() {
    let fx = Fixture::new();
    let r = fx.root_path();
    fs::create_dir_all(r.join("t/a/b/c")).unwrap();
    fs::write(r.join("t/a/b/c/f"), b"x").unwrap();
    symlink(fx.victim_dir(), r.join("t/a/tovictim")).unwrap();
    symlink(fx.victim_file(), r.join("t/a/b/tofile")).unwrap();
    fs::create_dir_all(r.join("t/e")).unwrap();
    let before = fx.outside();
    let root = fx.open(Default::default(), 2);
    root.top().remove_all("t").unwrap();
    root.top().remove_all("t").unwrap();
    assert!(!r.join("t").exists());
    assert_eq!(fx.outside(), before);
}

#[test]
fn replace_file_uses_fresh_temporaries() {
    let fx = Fixture::new();
    let r = fx.root_path();
    // Symlinks at names a careless writer would use as its temporary.
    for tmp in [
        "j.tmp",
        "j.tmp.1",
        &format!("j.tmp.{}.0", std::process::id()),
    ] {
        symlink(fx.victim_file(), r.join(tmp)).unwrap();
    }
    let before = fx.outside();
    let root = fx.open(Default::default(), 2);
    let top = root.top();
    for round in 0..5u8 {
        top.replace_file("j", &[round; 3], 0o640, round % 2 == 0)
            .unwrap();
        assert_eq!(fs::read(r.join("j")).unwrap(), [round; 3]);
        assert_eq!(fs::metadata(r.join("j")).unwrap().mode() & 0o777, 0o640);
    }
    let left: Vec<_> = top
        .entries()
        .unwrap()
        .map(|e| e.unwrap().name)
        .filter(|n| n != "j")
        .collect();
    assert_eq!(left.len(), 3, "only the planted links remain: {left:?}");
    assert!(left.iter().all(|n| is_temp_of(n, "j".as_ref())));
    assert!(!is_temp_of("k.tmp".as_ref(), "j".as_ref()));
    let own = |s: &str| is_own_temp(s.as_ref(), "j".as_ref());
    assert!(own("j.tmp.12.0") && own("j.tmp.1.234"));
    for not in [
        "j.tmp",
        "j.tmp.1",
        "j.tmp.1.",
        "j.tmp.1.2.from-dump",
        "j.tmp.a.1",
        "k.tmp.1.2",
    ] {
        assert!(!own(not), "{not}");
    }
    top.mkdir("dir", 0o755).unwrap();
    assert!(top.replace_file("dir", b"x", 0o644, false).is_err());
    assert_eq!(fx.outside(), before);
}
