//! On a Coda mount, objects are told apart by fid, not by inode number,
//! and `--acls` copies each directory's ACL. A stand-in venus answers the
//! pioctls here (no Coda mount is available to the tests).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cfs_ioctl::{Acl, AclEntry};
use tree_copy::coda::{Venus, VenusError};
use tree_copy::links::ObjectId;
use tree_copy::{copy_pairs_with, Error, NoProgress, Options, Pair, Preserve};

/// Fids by file name; ACLs by directory name; records every set_acl.
struct FakeVenus {
    coda: bool,
    fids: BTreeMap<&'static str, u32>,
    set: Mutex<Vec<(PathBuf, Acl)>>,
}

fn acl_for(dir: &Path) -> Acl {
    let name = dir
        .file_name()
        .map_or("root".into(), |n| n.to_string_lossy().into_owned());
    Acl {
        positive: vec![
            AclEntry {
                name: format!("owner-of-{name}"),
                rights: 0x7f,
            },
            AclEntry {
                name: "System:AnyUser".into(),
                rights: 0x09,
            },
        ],
        negative: vec![AclEntry {
            name: "banned".into(),
            rights: 0x02,
        }],
    }
}

impl Venus for FakeVenus {
    fn is_coda(&self, _path: &Path) -> bool {
        self.coda
    }

    fn object_id(&self, path: &Path) -> Result<ObjectId, VenusError> {
        let name = path.file_name().unwrap().to_str().unwrap();
        match self.fids.get(name) {
            Some(&vnode) => Ok(ObjectId::Fid {
                realm: 1,
                volume: 0x7f00_0001,
                vnode,
                unique: vnode * 2,
            }),
            // A directory's fid is what the Linux coda module would have
            // made its inode number from (realm number 0): the copier
            // checks that before a setacl.
            None if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) => Ok(ObjectId::Fid {
                realm: 1,
                volume: 0,
                vnode: 0,
                unique: fs::symlink_metadata(path).unwrap().ino() as u32,
            }),
            None => Err(VenusError {
                errno: Some(2),
                message: "no such fid".into(),
            }),
        }
    }

    fn get_acl(&self, path: &Path) -> Result<Acl, VenusError> {
        Ok(acl_for(path))
    }

    fn set_acl(&self, path: &Path, acl: &Acl) -> Result<(), VenusError> {
        self.set
            .lock()
            .unwrap()
            .push((path.to_path_buf(), acl.clone()));
        Ok(())
    }
}

#[test]
fn hard_links_follow_fids_not_inodes() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let outside = dir.path().join("outside");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::create_dir(&outside).unwrap();
    // "a" and "b" share an inode here, but venus says they are two
    // objects (an inode-number collision): they must stay apart.
    fs::write(src.join("a"), b"object one").unwrap();
    fs::hard_link(src.join("a"), src.join("sub/b")).unwrap();
    // "c" and "d" are different inodes (each linked from outside the tree
    // so that their link counts are 2), but venus gives them one fid.
    fs::write(src.join("c"), b"same object").unwrap();
    fs::write(src.join("sub/d"), b"same object").unwrap();
    fs::hard_link(src.join("c"), outside.join("c")).unwrap();
    fs::hard_link(src.join("sub/d"), outside.join("d")).unwrap();
    // "e" has no fid: copied on its own with a warning.
    fs::write(src.join("e"), b"lost").unwrap();
    fs::hard_link(src.join("e"), outside.join("e")).unwrap();
    let venus = FakeVenus {
        coda: true,
        fids: [("a", 10), ("b", 11), ("c", 20), ("d", 20)].into(),
        set: Mutex::new(Vec::new()),
    };
    let dst = dir.path().join("dst");
    let pairs = [Pair {
        src: src.clone(),
        dst: dst.clone(),
    }];
    let report = copy_pairs_with(&pairs, &Options::default(), &NoProgress, &venus).unwrap();
    assert!(report.ok(), "{:?}", report.failures);
    let ino = |p: &str| fs::metadata(dst.join(p)).unwrap().ino();
    assert_ne!(ino("a"), ino("sub/b"), "inode collision must not link");
    assert_eq!(ino("c"), ino("sub/d"), "one fid is one object");
    assert_eq!(report.hard_links, 1);
    assert_eq!(fs::read(dst.join("sub/b")).unwrap(), b"object one");
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(report.warnings[0].path.ends_with("e"));
    assert!(venus.set.lock().unwrap().is_empty(), "no ACLs unless asked");
}

#[test]
fn acls_are_copied_for_every_directory() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("one/two")).unwrap();
    fs::create_dir_all(src.join("three")).unwrap();
    fs::write(src.join("one/file"), b"x").unwrap();
    let venus = FakeVenus {
        coda: true,
        fids: BTreeMap::new(),
        set: Mutex::new(Vec::new()),
    };
    let dst = dir.path().join("dst");
    let opts = Options {
        preserve: "mode,timestamps,acl".parse::<Preserve>().unwrap(),
        ..Options::default()
    };
    let pairs = [Pair {
        src: src.clone(),
        dst: dst.clone(),
    }];
    let report = copy_pairs_with(&pairs, &opts, &NoProgress, &venus).unwrap();
    assert!(report.ok(), "{:?}", report.failures);
    let mut set = venus.set.into_inner().unwrap();
    set.sort_by(|a, b| a.0.cmp(&b.0));
    let dst = fs::canonicalize(&dst).unwrap();
    let expected: Vec<(PathBuf, Acl)> = ["", "one", "one/two", "three"]
        .iter()
        .map(|rel| {
            let d = if rel.is_empty() {
                dst.clone()
            } else {
                dst.join(rel)
            };
            let s = if rel.is_empty() {
                fs::canonicalize(&src).unwrap()
            } else {
                src.join(rel)
            };
            (d, acl_for(&s))
        })
        .collect();
    assert_eq!(set, expected);
}

#[test]
fn acls_need_coda_on_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    let venus = FakeVenus {
        coda: false,
        fids: BTreeMap::new(),
        set: Mutex::new(Vec::new()),
    };
    let opts = Options {
        preserve: "acl".parse::<Preserve>().unwrap(),
        ..Options::default()
    };
    let dst = dir.path().join("dst");
    let pairs = [Pair {
        src,
        dst: dst.clone(),
    }];
    let err = copy_pairs_with(&pairs, &opts, &NoProgress, &venus).unwrap_err();
    assert!(matches!(err, Error::NotCoda { .. }), "{err}");
    assert!(!dst.exists(), "nothing is created when refused");
}
