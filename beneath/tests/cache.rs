//! The directory-fd cache: bounded, shared between threads, and an evicted
//! fd is re-resolved beneath the target.

mod common;

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use common::{Fixture, RESOLVERS};

fn deep_path(branch: usize, depth: usize) -> PathBuf {
    (0..depth).map(|d| format!("b{branch}d{d}")).collect()
}

/// Deep trees under a capacity of 2: every file lands where it should,
/// the cache never holds more than 2 fds, and held directories outlive
/// their eviction.
#[test]
fn capacity_two_with_deep_trees() {
    for resolver in RESOLVERS {
        let fx = Fixture::new();
        let root = fx.open(resolver, 2);
        let (branches, depth) = (4, 24);
        for b in 0..branches {
            let mut rel = PathBuf::new();
            for d in 0..depth {
                let (dir, _) = root.parent(&rel.join("x")).unwrap();
                let name = format!("b{b}d{d}");
                dir.mkdir(&name, 0o755).unwrap();
                rel.push(&name);
                assert!(root.cached_dirs() <= 2);
            }
        }
        let held = root.dir(deep_path(0, depth)).unwrap();
        // Interleave the branches so every lookup misses.
        for d in (1..=depth).rev() {
            for b in 0..branches {
                let rel = deep_path(b, d).join(format!("f{b}"));
                let (dir, name) = root.parent(&rel).unwrap();
                dir.create_file(name, 0o644)
                    .unwrap()
                    .write_all(rel.as_os_str().as_encoded_bytes())
                    .unwrap();
                assert!(root.cached_dirs() <= 2, "{}", root.cached_dirs());
            }
        }
        held.create_file("held", 0o644).unwrap();
        for b in 0..branches {
            for d in 1..=depth {
                let rel = deep_path(b, d).join(format!("f{b}"));
                assert_eq!(
                    fs::read(fx.root_path().join(&rel)).unwrap(),
                    rel.as_os_str().as_encoded_bytes()
                );
            }
        }
        assert!(fx
            .root_path()
            .join(deep_path(0, depth))
            .join("held")
            .exists());
    }
}

/// A capacity of 2 shared by eight writer threads.
#[test]
fn shared_between_threads() {
    let fx = Fixture::new();
    let root = fx.open(Default::default(), 2);
    for t in 0..8 {
        fs::create_dir_all(fx.root_path().join(deep_path(t, 6))).unwrap();
    }
    std::thread::scope(|s| {
        for t in 0..8 {
            let root = root.clone();
            s.spawn(move || {
                for i in 0..50 {
                    let rel = deep_path(t, 1 + i % 6).join(format!("f{i}"));
                    let (dir, name) = root.parent(&rel).unwrap();
                    dir.create_file(name, 0o644).unwrap();
                    assert!(root.cached_dirs() <= 2);
                }
            });
        }
    });
    for t in 0..8 {
        for i in 0..50 {
            assert!(fx
                .root_path()
                .join(deep_path(t, 1 + i % 6))
                .join(format!("f{i}"))
                .exists());
        }
    }
}

/// Removing or renaming a directory forgets its cached fds, so the path
/// is resolved afresh.
#[test]
fn removal_and_rename_forget_cached_fds() {
    let fx = Fixture::new();
    let r = fx.root_path();
    fs::create_dir_all(r.join("a/b")).unwrap();
    let root = fx.open(Default::default(), 16);
    // Held, so that its inode number cannot be reused.
    let old_dir = root.dir("a/b").unwrap();
    let old = old_dir.stat_self().unwrap().st_ino;
    root.top().remove_all("a").unwrap();
    fs::create_dir_all(r.join("a/b")).unwrap();
    let new = root.dir("a/b").unwrap();
    assert_ne!(new.stat_self().unwrap().st_ino, old);
    new.create_file("x", 0o644).unwrap();
    assert!(r.join("a/b/x").exists());
    root.top().rename("a", &root.top(), "c").unwrap();
    assert!(root.dir("a/b").unwrap_err().is_not_found());
    assert!(root.dir("c/b").unwrap().kind("x").unwrap().is_some());
}
