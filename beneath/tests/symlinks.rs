//! Symlinks and `..` in the way are refused, never followed; the victims
//! outside the target stay byte-identical with the same mode, owner and
//! times, and nothing appears outside the target.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::Path;

use beneath::{Access, Error, FileKind};
use common::{assert_symlink, Fixture, RESOLVERS};

/// A symlink to the victim directory planted in place of each component of
/// `a/b/c/d` in turn: resolving the path, the parent of a file below it,
/// and creating through it are all refused.
#[test]
fn symlink_at_each_level_is_refused() {
    for resolver in RESOLVERS {
        for level in 1..=4 {
            for absolute in [true, false] {
                let fx = Fixture::new();
                let parts = ["a", "b", "c", "d"];
                let mut p = fx.root_path();
                for part in &parts[..level - 1] {
                    p.push(part);
                    fs::create_dir(&p).unwrap();
                }
                p.push(parts[level - 1]);
                let target = if absolute {
                    fx.victim_dir()
                } else {
                    // From root/a/b/.., climbing out of the root.
                    Path::new(&"../".repeat(level)).join("victim")
                };
                symlink(&target, &p).unwrap();
                let before = fx.outside();
                let root = fx.open(resolver, 8);
                assert_symlink(root.dir("a/b/c/d"), "a/b/c/d");
                assert_symlink(root.parent("a/b/c/d/keep.txt").map(|(d, _)| d), "a/b/c/d");
                let deep = parts[..level].join("/");
                assert_symlink(root.dir(&deep), &deep);
                // One level above the link: the link itself is an entry
                // that is refused as a directory and never written through.
                let above = parts[..level - 1].join("/");
                let dir = root.dir(&above).unwrap();
                let name = parts[level - 1];
                assert_symlink(dir.open_dir(name), &deep);
                assert_symlink(dir.open_file(name, Access::Write), &deep);
                let e = dir.create_file(name, 0o644).unwrap_err();
                assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "{e}");
                assert!(dir.mkdir(name, 0o755).is_err());
                assert_eq!(dir.kind(name).unwrap(), Some(FileKind::Symlink));
                assert_eq!(fx.outside(), before, "{resolver:?} level {level}");
                // Removing the tree removes the link, not the victim.
                root.top().remove_all("a").unwrap();
                assert_eq!(fx.outside(), before, "{resolver:?} level {level}");
                assert!(fx.victim_dir().join("keep.txt").exists());
            }
        }
    }
}

/// `..`, absolute paths and names that are not one plain name are refused
/// before any system call.
#[test]
fn escapes_and_bad_names_are_refused() {
    for resolver in RESOLVERS {
        let fx = Fixture::new();
        fs::create_dir(fx.root_path().join("a")).unwrap();
        let before = fx.outside();
        let root = fx.open(resolver, 8);
        for rel in ["..", "../victim", "a/..", "a/../../victim", "/tmp", "/"] {
            assert!(matches!(root.dir(rel), Err(Error::Escape { .. })), "{rel}");
        }
        for rel in ["../x", "a/../../victim.txt", "a/.."] {
            assert!(
                matches!(root.parent(rel), Err(Error::Escape { .. })),
                "{rel}"
            );
        }
        for rel in ["a//b", "./a", "a/./b", "a\0b"] {
            assert!(matches!(root.dir(rel), Err(Error::BadName { .. })), "{rel}");
        }
        let top = root.top();
        assert!(matches!(
            top.create_file("..", 0o644),
            Err(Error::Escape { .. })
        ));
        for bad in ["", ".", "a/b", "../victim.txt", "x\0"] {
            let e = top.create_file(bad, 0o644).unwrap_err();
            assert!(
                matches!(e, Error::BadName { .. } | Error::Escape { .. }),
                "{bad:?}: {e}"
            );
            assert!(top.mkdir(bad, 0o755).is_err());
            assert!(top.symlink(bad, "x").is_err());
            assert!(top.remove_all(bad).is_err());
            assert!(top.set_owner_at(bad, Some(0), None).is_err());
        }
        // A symlink inside the target that climbs out, and one that stays
        // inside: both are refused (no symlink is ever followed).
        symlink("..", fx.root_path().join("up")).unwrap();
        symlink("a", fx.root_path().join("alias")).unwrap();
        assert_symlink(root.dir("up"), "up");
        assert_symlink(root.dir("up/victim"), "up/victim");
        assert_symlink(root.dir("alias"), "alias");
        assert_eq!(fx.outside(), before);
    }
}

/// An absolute symlink to the victim file: every operation on it acts on
/// the link itself or is refused.
#[test]
fn absolute_symlink_to_a_file_is_never_written_through() {
    for resolver in RESOLVERS {
        for capacity in [0, 2] {
            let fx = Fixture::new();
            let link = fx.root_path().join("f");
            symlink(fx.victim_file(), &link).unwrap();
            symlink(
                fx.victim_dir().join("new.txt"),
                fx.root_path().join("dangling"),
            )
            .unwrap();
            let before = fx.outside();
            let root = fx.open(resolver, capacity);
            let top = root.top();
            assert_symlink(top.open_file("f", Access::ReadWrite), "f");
            assert_symlink(top.open_file("f", Access::Read), "f");
            // O_EXCL: an existing link (dangling or not) is AlreadyExists,
            // the file it names is never created.
            for name in ["f", "dangling"] {
                let e = top.create_file(name, 0o644).unwrap_err();
                assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "{e}");
            }
            assert!(!fx.victim_dir().join("new.txt").exists());
            assert_symlink(top.set_mode_at("f", 0o777), "f");
            top.set_times_at("f", &beneath::times(12345)).unwrap();
            top.set_owner_at("f", Some(4242), Some(4242)).unwrap();
            let md = fs::symlink_metadata(&link).unwrap();
            assert_eq!(std::os::unix::fs::MetadataExt::mtime(&md), 12345);
            assert_eq!(std::os::unix::fs::MetadataExt::uid(&md), 4242);
            // A hard link to the link is a second link, not to the victim.
            top.hard_link("f", &top, "g").unwrap();
            assert_eq!(
                fs::read_link(fx.root_path().join("g")).unwrap(),
                fx.victim_file()
            );
            // Replacing the file replaces the link.
            top.replace_file("g", b"new\n", 0o600, true).unwrap();
            assert_eq!(fs::read(fx.root_path().join("g")).unwrap(), b"new\n");
            top.remove_file("f").unwrap();
            assert_eq!(fx.outside(), before, "{resolver:?} {capacity}");
        }
    }
}

/// A directory the layer resolved is swapped for a symlink to the victim
/// between two operations: the held fd still names the original (moved)
/// directory inside the target, and resolving the path again is refused.
#[test]
fn directory_swapped_for_a_symlink_between_operations() {
    for resolver in RESOLVERS {
        for capacity in [0, 1, 2, 64] {
            let fx = Fixture::new();
            let r = fx.root_path();
            fs::create_dir_all(r.join("a/b")).unwrap();
            let before = fx.outside();
            let root = fx.open(resolver, capacity);
            let held = root.dir("a/b").unwrap();
            held.create_file("one", 0o644)
                .unwrap()
                .write_all(b"1")
                .unwrap();
            fs::rename(r.join("a"), r.join("a.old")).unwrap();
            symlink(fx.base.path(), r.join("a")).unwrap();
            // The held fd writes into the moved directory, inside the target.
            held.create_file("two", 0o644)
                .unwrap()
                .write_all(b"2")
                .unwrap();
            assert_eq!(fs::read(r.join("a.old/b/two")).unwrap(), b"2");
            // Anything resolved again is refused (with a cache, `a/b` may
            // still be the held fd: it too is inside the target).
            assert_symlink(root.dir("a"), "a");
            assert_symlink(root.dir("a/victim"), "a/victim");
            assert_symlink(root.parent("a/victim/keep.txt").map(|(d, _)| d), "a/victim");
            if let Ok(d) = root.dir("a/b") {
                assert_eq!(
                    d.stat_self().unwrap().st_ino,
                    held.stat_self().unwrap().st_ino
                );
            }
            assert_symlink(root.top().open_dir("a"), "a");
            assert_eq!(fx.outside(), before, "{resolver:?} {capacity}");
        }
    }
}

/// A file swapped for a symlink between creation and metadata: metadata on
/// the held fd reaches the original inode only.
#[test]
fn file_swapped_for_a_symlink_keeps_metadata_on_the_fd() {
    let fx = Fixture::new();
    let before = fx.outside();
    let root = fx.open(Default::default(), 4);
    let top = root.top();
    let f = top.create_file("f", 0o600).unwrap();
    fs::rename(fx.root_path().join("f"), fx.root_path().join("f.old")).unwrap();
    symlink(fx.victim_file(), fx.root_path().join("f")).unwrap();
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o4755))
        .unwrap();
    std::os::unix::fs::fchown(&f, Some(4242), None).unwrap();
    top.set_times_at("f", &beneath::times(1)).unwrap();
    assert_eq!(fx.outside(), before);
}
