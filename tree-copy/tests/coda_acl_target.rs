//! `--acls` through the real pioctl path of `SystemVenus`, with a
//! recording transport standing in for venus (no Coda mount in the tests):
//! every getfid/getacl/setacl goes with follow = 0 on a path of plain
//! names, and an ACL is read and set only once getfid shows that venus
//! resolves the source path to the directory the walk listed and the
//! destination path to the very directory the copier holds open (the coda
//! module's inode number is a hash of the fid: `ViceFid::kernel_inode`).

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cfs_ioctl::{Acl, GetFidReply, Opcode, Pioctl, Transport, ViceFid};
use tree_copy::coda::{SystemVenus, Venus, VenusError};
use tree_copy::links::ObjectId;
use tree_copy::{copy_pairs_with, NoProgress, Op, Options, Pair, Preserve};

/// ACL text as venus sends it (spec §6.6: tab separated, NUL at the end).
const ACL_TEXT: &[u8] = b"2\n0\nSystem:AnyUser\t9\njan\t127\n\0";
/// The same ACL as cfs sends it back with setacl (space separated).
const ACL_SENT: &[u8] = b"2\n0\nSystem:AnyUser 9\njan 127\n\0";

/// How the stand-in venus answers getfid for a path.
#[derive(Clone, Default)]
struct Lies {
    /// Paths resolved to the fid of this other directory.
    elsewhere: Vec<(PathBuf, PathBuf)>,
    /// Paths resolved into another realm.
    other_realm: Vec<PathBuf>,
}

/// Records every pioctl; answers getfid from the real inode numbers (as
/// the kernel would have made them from the fid, realm number 0), getacl
/// with [`ACL_TEXT`], setacl with nothing.
struct Recorder {
    calls: Arc<Mutex<Vec<Pioctl>>>,
    lies: Lies,
}

impl Transport for Recorder {
    fn mountpoint(&self) -> &Path {
        Path::new("/")
    }

    fn call(&self, p: &Pioctl) -> cfs_ioctl::Result<Vec<u8>> {
        self.calls.lock().unwrap().push(p.clone());
        let path = p.path.clone().unwrap();
        match p.opcode {
            Opcode::GETFID => {
                let mut target = path.clone();
                if let Some((_, to)) = self.lies.elsewhere.iter().find(|(from, _)| *from == path) {
                    target = to.clone();
                }
                let realm: &[u8] = if self.lies.other_realm.contains(&path) {
                    b"elsewhere.example"
                } else {
                    b"test.example"
                };
                let ino = fs::symlink_metadata(&target).unwrap().ino();
                Ok(GetFidReply {
                    fid: ViceFid {
                        volume: 0,
                        vnode: 0,
                        unique: ino as u32,
                    },
                    realm: realm.to_vec(),
                    ..GetFidReply::default()
                }
                .encode())
            }
            Opcode::GETAL => Ok(ACL_TEXT.to_vec()),
            _ => Ok(Vec::new()),
        }
    }
}

/// `SystemVenus` over the recorder, on a "Coda mount" (the test's
/// directories are not, so `is_coda` is answered here).
struct OnCoda(SystemVenus);

impl Venus for OnCoda {
    fn is_coda(&self, _: &Path) -> bool {
        true
    }
    fn object_id(&self, path: &Path) -> Result<ObjectId, VenusError> {
        self.0.object_id(path)
    }
    fn get_acl(&self, path: &Path) -> Result<Acl, VenusError> {
        self.0.get_acl(path)
    }
    fn set_acl(&self, path: &Path, acl: &Acl) -> Result<(), VenusError> {
        self.0.set_acl(path, acl)
    }
}

struct Run {
    _dir: tempfile::TempDir,
    calls: Vec<Pioctl>,
    report: tree_copy::Report,
    src: PathBuf,
    dst: PathBuf,
}

fn run(lies: impl Fn(&Path) -> Lies) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(dir.path()).unwrap();
    let src = base.join("src");
    fs::create_dir_all(src.join("one/two")).unwrap();
    fs::create_dir_all(src.join("three")).unwrap();
    fs::write(src.join("one/file"), b"x").unwrap();
    fs::create_dir(base.join("victim")).unwrap();
    let dst = base.join("dst");
    fs::create_dir(&dst).unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let recorded = calls.clone();
    let lies = lies(&base);
    let venus = OnCoda(SystemVenus::with_transport(
        "/",
        Arc::new(move || {
            Box::new(Recorder {
                calls: recorded.clone(),
                lies: lies.clone(),
            }) as Box<dyn Transport>
        }),
    ));
    let opts = Options {
        preserve: "mode,timestamps,acl".parse::<Preserve>().unwrap(),
        ..Options::default()
    };
    let pairs = [Pair {
        src: src.clone(),
        dst: dst.clone(),
    }];
    let report = copy_pairs_with(&pairs, &opts, &NoProgress, &venus).unwrap();
    let calls = calls.lock().unwrap().clone();
    Run {
        _dir: dir,
        calls,
        report,
        src,
        dst,
    }
}

fn set_paths(r: &Run) -> BTreeSet<PathBuf> {
    r.calls
        .iter()
        .filter(|p| p.opcode == Opcode::SETAL)
        .map(|p| p.path.clone().unwrap())
        .collect()
}

#[test]
fn every_request_names_plain_paths_and_follows_nothing() {
    let r = run(|_| Lies::default());
    assert!(r.report.ok(), "{:?}", r.report.failures);
    let dirs = ["", "one", "one/two", "three"];
    let want: BTreeSet<PathBuf> = dirs
        .iter()
        .map(|d| {
            if d.is_empty() {
                r.dst.clone()
            } else {
                r.dst.join(d)
            }
        })
        .collect();
    assert_eq!(set_paths(&r), want);
    for p in &r.calls {
        assert!(!p.follow, "{p:?} sent with follow = 1");
        let path = p.path.as_ref().unwrap();
        assert!(
            cfs_ioctl::checked_path::check_path(path).is_ok(),
            "{path:?}"
        );
        assert!(
            path.starts_with(&r.src) || path.starts_with(&r.dst),
            "{path:?}"
        );
        if p.opcode == Opcode::SETAL {
            assert_eq!(p.input, ACL_SENT);
        }
    }
    // Each setacl comes after a getfid of the same path.
    for (i, p) in r.calls.iter().enumerate() {
        if p.opcode == Opcode::SETAL {
            assert!(
                r.calls[..i]
                    .iter()
                    .any(|q| q.opcode == Opcode::GETFID && q.path == p.path),
                "setacl {:?} without a getfid first",
                p.path
            );
        }
    }
}

#[test]
fn a_path_venus_resolves_to_another_object_gets_no_acl() {
    // (what, lies for a base directory, the directory refused)
    type MakeLies = fn(&Path) -> Lies;
    let variants: [(&str, MakeLies, &str, &str); 4] = [
        (
            "another directory",
            |b| Lies {
                elsewhere: vec![(b.join("dst/one/two"), b.join("victim"))],
                ..Lies::default()
            },
            "one/two",
            "not to the directory held open",
        ),
        (
            "a file",
            |b| Lies {
                elsewhere: vec![(b.join("dst/three"), b.join("src/one/file"))],
                ..Lies::default()
            },
            "three",
            "not to the directory held open",
        ),
        (
            "a source directory resolved to the victim",
            |b| Lies {
                elsewhere: vec![(b.join("src/one/two"), b.join("victim"))],
                ..Lies::default()
            },
            "one/two",
            "not to the directory the walk listed",
        ),
        (
            "another realm",
            |b| Lies {
                other_realm: vec![b.join("dst/one")],
                ..Lies::default()
            },
            "one",
            "in another realm",
        ),
    ];
    for (what, lies, refused, says) in variants {
        let r = run(lies);
        let dst = r.dst.join(refused);
        assert!(
            !set_paths(&r).contains(&dst),
            "{what}: setacl was sent to {dst:?}"
        );
        assert_eq!(
            set_paths(&r).len(),
            3,
            "{what}: the others still get theirs"
        );
        assert_eq!(
            r.report.failures.len(),
            1,
            "{what}: {:?}",
            r.report.failures
        );
        let f = &r.report.failures[0];
        assert_eq!(
            (f.path.clone(), f.op),
            (r.src.join(refused), Op::Acl),
            "{what}"
        );
        let line = f.to_string();
        let named = if says.contains("walk") {
            r.src.join(refused)
        } else {
            dst.clone()
        };
        assert!(
            line.contains(&format!("{}: ", named.display())),
            "{what}: {line}"
        );
        assert!(line.contains(says), "{what}: {line}");
        assert!(!line.contains('\n'), "{what}: {line}");
    }
}
