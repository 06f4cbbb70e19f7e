//! Reading a file with its status (`open_read`) and extended attributes
//! on held directories and on entries, a symlink never followed.

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::{symlink, MetadataExt};

use beneath::{Error, Special, Xattr};
use common::{assert_symlink, Fixture};

fn xattr(name: &str, value: &[u8]) -> Xattr {
    Xattr {
        name: name.as_bytes().to_vec(),
        value: value.to_vec(),
    }
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn open_read_gives_the_status_of_what_it_opened() {
    let fx = Fixture::new();
    let root = fx.open(Default::default(), 4);
    let top = root.top();
    let p = fx.root_path().join("f");
    fs::write(&p, b"contents").unwrap();
    // atime before mtime: a plain read would move it (relatime).
    let old = fs::File::options().write(true).open(&p).unwrap();
    old.set_times(
        fs::FileTimes::new()
            .set_accessed(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000))
            .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(2_000)),
    )
    .unwrap();
    drop(old);
    let (mut f, st) = top.open_read("f").unwrap();
    let md = fs::symlink_metadata(&p).unwrap();
    assert_eq!((st.st_ino, st.st_size), (md.ino(), 8));
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    assert_eq!(s, "contents");
    drop(f);
    // The owner (and root) may read without touching the access time.
    assert_eq!(fs::symlink_metadata(&p).unwrap().atime(), 1_000);

    symlink(fx.victim_file(), fx.root_path().join("l")).unwrap();
    assert_symlink(top.open_read("l"), "l");
    top.mknod("p", Special::Fifo, 0o600).unwrap();
    assert!(matches!(
        top.open_read("p"),
        Err(Error::WrongType { found: "FIFO", .. })
    ));
    assert!(top.open_read("missing").unwrap_err().is_not_found());
}

#[test]
fn xattrs_of_held_directories_and_entries() {
    let fx = Fixture::new();
    let before = fx.outside();
    let victim_attrs = || beneath::read_xattrs(fs::File::open(fx.victim_file()).unwrap()).unwrap();
    let victim_before = victim_attrs();
    let root = fx.open(Default::default(), 4);
    let top = root.top();
    top.mkdir("d", 0o755).unwrap();
    let d = root.dir("d").unwrap();
    let attrs = [xattr("user.a", b"one"), xattr("user.b", b"\0bin\xff")];
    d.set_xattrs(&attrs).unwrap();
    let mut got = d.xattrs().unwrap();
    got.retain(|a| a.name.starts_with(b"user."));
    got.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(got, attrs);
    // The same directory seen as an entry of its parent.
    let mut at = top.xattrs_at("d").unwrap();
    at.retain(|a| a.name.starts_with(b"user."));
    at.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(at, attrs);
    // An entry by name: a regular file.
    fs::write(fx.root_path().join("f"), b"x").unwrap();
    top.set_xattr_at("f", &xattr("user.c", b"3")).unwrap();
    let f = top.open_read("f").unwrap().0;
    assert!(beneath::read_xattrs(&f)
        .unwrap()
        .contains(&xattr("user.c", b"3")));
    // A symlink to a victim: the attribute goes to the link itself (root
    // only: trusted.*; Linux allows no user.* on symlinks), never to the
    // victim.
    symlink(fx.victim_file(), fx.root_path().join("l")).unwrap();
    if is_root() {
        top.set_xattr_at("l", &xattr("trusted.coda-test", b"on the link"))
            .unwrap();
        assert!(top
            .xattrs_at("l")
            .unwrap()
            .contains(&xattr("trusted.coda-test", b"on the link")));
    } else {
        assert!(top.set_xattr_at("l", &xattr("user.x", b"1")).is_err());
    }
    assert_eq!(
        victim_attrs(),
        victim_before,
        "the victim's attributes changed"
    );
    assert!(top.xattrs_at("missing").unwrap_err().is_not_found());
    assert!(matches!(top.xattrs_at(".."), Err(Error::Escape { .. })));
    assert_eq!(fx.outside(), before);
}

#[test]
fn root_open_read_resolves_afresh_past_the_cache() {
    for resolver in common::RESOLVERS {
        let fx = Fixture::new();
        let before = fx.outside();
        let root = fx.open(resolver, 8);
        fs::create_dir(fx.root_path().join("a")).unwrap();
        fs::write(fx.root_path().join("a/keep.txt"), b"mine").unwrap();
        let cached = root.dir("a").unwrap();
        let (mut f, st) = root.open_read("a/keep.txt").unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        assert_eq!((s.as_str(), st.st_size), ("mine", 4));
        // `a` becomes a symlink to the victim directory, which holds a
        // keep.txt too: the cached fd still reaches the real directory,
        // a fresh resolution refuses the symlink.
        fs::rename(fx.root_path().join("a"), fx.root_path().join("a.old")).unwrap();
        symlink(fx.victim_dir(), fx.root_path().join("a")).unwrap();
        assert_symlink(root.open_read("a/keep.txt"), "a/keep.txt");
        assert!(cached.open_read("keep.txt").is_ok());
        fs::create_dir(fx.root_path().join("d")).unwrap();
        root.dir("d")
            .unwrap()
            .mknod("q", Special::Fifo, 0o600)
            .unwrap();
        assert!(matches!(
            root.open_read("d/q"),
            Err(Error::WrongType { found: "FIFO", .. })
        ));
        assert!(matches!(
            root.open_read("../victim.txt"),
            Err(Error::Escape { .. })
        ));
        assert!(matches!(root.open_read(""), Err(Error::WrongType { .. })));
        assert!(root.open_read("d/missing").unwrap_err().is_not_found());
        assert_eq!(fx.outside(), before, "{resolver:?}");
    }
}
