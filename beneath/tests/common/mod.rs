//! Test fixtures: a target and victims outside it, and snapshots that
//! show a victim was not touched.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use beneath::{Error, Options, Resolver, Root};

/// `base/root` (the target), `base/victim/` (a directory with a file) and
/// `base/victim.txt` outside it.
pub struct Fixture {
    pub base: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let base = tempfile::tempdir().unwrap();
        fs::create_dir(base.path().join("root")).unwrap();
        fs::create_dir(base.path().join("victim")).unwrap();
        fs::write(base.path().join("victim/keep.txt"), b"precious\n").unwrap();
        fs::write(base.path().join("victim.txt"), b"do not touch\n").unwrap();
        Fixture { base }
    }

    pub fn root_path(&self) -> PathBuf {
        self.base.path().join("root")
    }

    pub fn victim_dir(&self) -> PathBuf {
        self.base.path().join("victim")
    }

    pub fn victim_file(&self) -> PathBuf {
        self.base.path().join("victim.txt")
    }

    pub fn open(&self, resolver: Resolver, capacity: usize) -> Root {
        Root::open_with(self.root_path(), Options { capacity, resolver }).unwrap()
    }

    /// Everything outside the target ([`coda_rs_tests::tree_state`]).
    pub fn outside(&self) -> BTreeMap<PathBuf, String> {
        coda_rs_tests::tree_state(self.base.path(), &[&self.root_path()])
    }
}

/// Both resolvers, for every test.
pub const RESOLVERS: [Resolver; 2] = [Resolver::Openat2, Resolver::Walk];

/// Asserts `r` is a symlink refusal naming `rel`.
pub fn assert_symlink<T: std::fmt::Debug>(r: Result<T, Error>, rel: &str) {
    match r {
        Err(e @ Error::Symlink { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("symbolic link"), "{msg}");
            assert!(!msg.contains('\n'), "{msg}");
            assert_eq!(e.rel(), Path::new(rel), "{msg}");
            assert!(msg.contains(rel), "{msg} should name {rel}");
        }
        other => panic!("expected a symlink refusal for {rel}, got {other:?}"),
    }
}
