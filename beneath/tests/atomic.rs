//! Atomic output files: nothing under the name until commit, an existing
//! name refused or replaced (a symlink itself, never its target), no
//! temporary left behind, the exact mode, and durable files of several
//! writeback chunks read back intact.

mod common;

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::Path;

use beneath::{AtomicFile, AtomicOptions, WRITEBACK_CHUNK};
use common::Fixture;

fn opts(mode: u32, durable: bool, replace: bool) -> AtomicOptions {
    AtomicOptions {
        mode,
        durable,
        replace,
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn nothing_appears_before_commit_and_nothing_is_left_after() {
    for durable in [false, true] {
        let fx = Fixture::new();
        let r = fx.root_path();
        let root = fx.open(Default::default(), 2);
        let mut f = root
            .top()
            .create_atomic("out", opts(0o640, durable, false))
            .unwrap();
        f.write_all(b"complete\n").unwrap();
        assert!(!r.join("out").exists(), "visible before commit");
        f.commit().unwrap();
        assert_eq!(fs::read(r.join("out")).unwrap(), b"complete\n");
        assert_eq!(fs::metadata(r.join("out")).unwrap().mode() & 0o7777, 0o640);
        assert_eq!(names(&r), ["out"]);
        // Dropped without commit: the temporary goes, the name stays free.
        let mut g = root
            .top()
            .create_atomic("other", opts(0o644, durable, false))
            .unwrap();
        g.write_all(b"half").unwrap();
        drop(g);
        assert_eq!(names(&r), ["out"]);
    }
}

#[test]
fn an_existing_name_is_refused_without_replace() {
    let fx = Fixture::new();
    let r = fx.root_path();
    fs::write(r.join("file"), b"old file\n").unwrap();
    symlink(fx.victim_file(), r.join("link")).unwrap();
    fs::create_dir(r.join("dir")).unwrap();
    let before = fx.outside();
    let root = fx.open(Default::default(), 2);
    for name in ["file", "link", "dir"] {
        for durable in [false, true] {
            let mut f = root
                .top()
                .create_atomic(name, opts(0o644, durable, false))
                .unwrap();
            f.write_all(b"new\n").unwrap();
            let e = f.commit().unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "{name}: {e}");
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("root/{name}: renaming into place")),
                "{msg}"
            );
        }
    }
    assert_eq!(fs::read(r.join("file")).unwrap(), b"old file\n");
    assert_eq!(fs::read_link(r.join("link")).unwrap(), fx.victim_file());
    assert_eq!(names(&r), ["dir", "file", "link"]);
    assert_eq!(fx.outside(), before);
}

#[test]
fn replace_replaces_a_symlink_itself_and_refuses_a_directory() {
    let fx = Fixture::new();
    let r = fx.root_path();
    symlink(fx.victim_file(), r.join("link")).unwrap();
    symlink(fx.victim_dir(), r.join("dirlink")).unwrap();
    fs::write(r.join("file"), b"old\n").unwrap();
    fs::create_dir(r.join("dir")).unwrap();
    let before = fx.outside();
    let root = fx.open(Default::default(), 2);
    for name in ["link", "dirlink", "file"] {
        let mut f = root
            .top()
            .create_atomic(name, opts(0o600, true, true))
            .unwrap();
        f.write_all(name.as_bytes()).unwrap();
        f.commit().unwrap();
        let m = fs::symlink_metadata(r.join(name)).unwrap();
        assert!(m.file_type().is_file(), "{name}");
        assert_eq!(fs::read(r.join(name)).unwrap(), name.as_bytes());
    }
    let mut f = root
        .top()
        .create_atomic("dir", opts(0o600, true, true))
        .unwrap();
    f.write_all(b"x").unwrap();
    assert!(f.commit().is_err());
    assert!(r.join("dir").is_dir());
    assert_eq!(names(&r), ["dir", "dirlink", "file", "link"]);
    assert_eq!(fx.outside(), before);
}

#[test]
fn durable_files_of_several_chunks_read_back_intact() {
    let fx = Fixture::new();
    let r = fx.root_path();
    let root = fx.open(Default::default(), 2);
    let len = 3 * WRITEBACK_CHUNK as usize + 12345;
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let mut f = root
        .top()
        .create_atomic("big", opts(0o644, true, false))
        .unwrap();
    // Writes of uneven sizes cross the chunk boundaries anywhere.
    for part in data.chunks(1_000_003) {
        f.write_all(part).unwrap();
    }
    f.commit().unwrap();
    assert!(fs::read(r.join("big")).unwrap() == data);
}

#[test]
fn seek_read_and_set_len_act_on_the_temporary() {
    let fx = Fixture::new();
    let r = fx.root_path();
    let root = fx.open(Default::default(), 2);
    let mut f = root
        .top()
        .create_atomic("patched", opts(0o644, true, false))
        .unwrap();
    f.write_all(b"0123456789abcdef").unwrap();
    f.seek(SeekFrom::Start(4)).unwrap();
    f.write_all(b"XY").unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    let mut head = [0u8; 8];
    f.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"0123XY67");
    f.set_len(10).unwrap();
    f.commit().unwrap();
    assert_eq!(fs::read(r.join("patched")).unwrap(), b"0123XY6789");
}

#[test]
fn create_by_path_opens_the_directory_as_given() {
    let fx = Fixture::new();
    let r = fx.root_path();
    fs::create_dir(r.join("real")).unwrap();
    // The admin's own path may pass through a symlink.
    symlink(r.join("real"), r.join("via")).unwrap();
    let f = AtomicFile::create(&r.join("via/out.tar"), opts(0o644, false, false)).unwrap();
    f.commit().unwrap();
    assert!(r.join("real/out.tar").is_file());
    for bad in ["..", "x/..", "x/", "/"] {
        let p = if bad == "/" { bad.into() } else { r.join(bad) };
        assert!(
            AtomicFile::create(&p, opts(0o644, false, false)).is_err(),
            "{bad}"
        );
    }
    assert_eq!(names(&r.join("real")), ["out.tar"]);
}
