//! Directory ACLs through venus: [`VenusAcls`] is the restore's
//! [`AclSetter`] over cfs-ioctl's setacl pioctl, and [`VenusAclReader`]
//! `verify --against`'s [`AclGetter`] over its getacl pioctl.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use crate::acl::{Acl, AclEntry, Rights};
use crate::restore::{AclSetter, HeldDir};
use crate::verify::acls::AclGetter;

/// [`AclGetter`] over a cfs-ioctl client: getacl with follow = 0 on the
/// compared tree's absolute path joined with a directory's relative path.
pub struct VenusAclReader {
    client: cfs_ioctl::Client,
    root: PathBuf,
}

impl VenusAclReader {
    /// Reads the ACLs of the tree at `dir` through `client`; venus
    /// resolves absolute paths, so `dir` is made absolute first (the
    /// error is that of `canonicalize`).
    pub fn new(client: cfs_ioctl::Client, dir: &Path) -> std::io::Result<Self> {
        let root = std::fs::canonicalize(dir)?;
        Ok(VenusAclReader { client, root })
    }
}

impl AclGetter for VenusAclReader {
    fn get_acl(&self, rel: &Path) -> std::result::Result<Acl, String> {
        let path = if rel.as_os_str().is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        };
        let got = self
            .client
            .get_acl_nofollow(&path)
            .map_err(|e| format!("getacl: {e}"))?;
        let entries = |v: Vec<cfs_ioctl::AclEntry>| {
            v.into_iter()
                .map(|e| AclEntry::new(e.name.into_bytes(), Rights(e.rights)))
                .collect()
        };
        Ok(Acl {
            positive: entries(got.positive),
            negative: entries(got.negative),
        })
    }
}

/// [`AclSetter`] over a cfs-ioctl client. Every
/// path it sends is the target's absolute path joined with names the
/// restore resolved beneath the target, sent with follow = 0; before each
/// setacl, the fid venus gives for the path (getfid) must hash to the inode
/// number of the directory the restore holds open (`coda_f2i`), else the
/// directory changed under us and nothing is set.
pub struct VenusAcls {
    client: cfs_ioctl::Client,
    /// The target's absolute path and venus's realm number for it, learnt
    /// from the target directory itself on the first call.
    target: OnceCell<(PathBuf, u32)>,
}

impl VenusAcls {
    /// Sets ACLs through `client`, checking each directory's fid first.
    pub fn new(client: cfs_ioctl::Client) -> Self {
        VenusAcls {
            client,
            target: OnceCell::new(),
        }
    }

    fn target(&self, dir: &HeldDir<'_>) -> std::result::Result<&(PathBuf, u32), String> {
        if let Some(t) = self.target.get() {
            return Ok(t);
        }
        // The admin's own path may be relative or pass through symlinks.
        let abs = if cfs_ioctl::checked_path::check_path(dir.root).is_ok() {
            dir.root.to_path_buf()
        } else {
            std::fs::canonicalize(dir.root).map_err(|e| format!("{}: {e}", dir.root.display()))?
        };
        let fid = self
            .client
            .getfid_nofollow(&abs)
            .map_err(|e| format!("getfid of the target {}: {e}", abs.display()))?
            .fid;
        let realm = fid.kernel_realm(dir.root_ino).ok_or_else(|| {
            format!(
                "{}: inode number {} is not a Coda one",
                abs.display(),
                dir.root_ino
            )
        })?;
        Ok(self.target.get_or_init(|| (abs, realm)))
    }
}

impl AclSetter for VenusAcls {
    fn set_acl(&self, dir: &HeldDir<'_>, acl_text: &[u8]) -> std::result::Result<(), String> {
        let acl = cfs_ioctl::Acl::parse(acl_text).map_err(|e| format!("ACL text: {e}"))?;
        let (abs, realm) = self.target(dir)?;
        let path = if dir.rel.as_os_str().is_empty() {
            abs.clone()
        } else {
            abs.join(dir.rel)
        };
        let fid = self
            .client
            .getfid_nofollow(&path)
            .map_err(|e| format!("getfid: {e}"))?
            .fid;
        if dir.dev != dir.root_dev || fid.kernel_inode(*realm) != dir.ino {
            return Err(format!(
                "directory changed under us (venus resolves the path to fid {:x}.{:x}.{:x}, \
                 not the directory held open, inode {}); ACL not set",
                fid.volume, fid.vnode, fid.unique, dir.ino
            ));
        }
        self.client
            .set_acl_nofollow(&path, &acl)
            .map_err(|e| format!("setacl: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::path::{Path, PathBuf};
    use std::rc::Rc;

    use crate::restore::{restore_chain, AclMode, RestoreOptions};
    use cfs_ioctl::{Client, Opcode, Pioctl, Transport};

    use super::VenusAcls;

    /// A transport that records every pioctl and answers as a venus
    /// would on a file system whose inode numbers are `coda_f2i` of the
    /// fids: getfid of a path gets a fid that hashes (realm 0) to the
    /// path's inode number, except for the paths in `swapped`, which get
    /// another object's fid; everything else gets an empty reply.
    struct Recorder {
        mnt: PathBuf,
        calls: Rc<RefCell<Vec<Pioctl>>>,
        swapped: Vec<PathBuf>,
    }

    impl Transport for Recorder {
        fn mountpoint(&self) -> &Path {
            &self.mnt
        }
        fn call(&self, p: &Pioctl) -> cfs_ioctl::Result<Vec<u8>> {
            self.calls.borrow_mut().push(p.clone());
            if p.opcode != Opcode::GETFID {
                return Ok(Vec::new());
            }
            let path = p.path.clone().unwrap();
            let ino = std::fs::symlink_metadata(&path)
                .map_or(0, |m| std::os::unix::fs::MetadataExt::ino(&m) as u32);
            let unique = if self.swapped.contains(&path) {
                ino ^ 1
            } else {
                ino
            };
            let reply = cfs_ioctl::GetFidReply {
                fid: cfs_ioctl::ViceFid {
                    volume: 0,
                    vnode: 0,
                    unique,
                },
                ..Default::default()
            };
            Ok(reply.encode())
        }
    }

    fn golden(name: &str) -> PathBuf {
        let dir = std::env::var_os("CODA_RS_GOLDEN").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden"),
            PathBuf::from,
        );
        dir.join("dump").join(name)
    }

    #[test]
    fn acls_go_through_setacl_on_a_coda_mount() {
        let calls = Rc::new(RefCell::new(Vec::new()));
        let client = Client::with_transport(Box::new(Recorder {
            mnt: "/coda".into(),
            calls: calls.clone(),
            swapped: Vec::new(),
        }));
        let t = tempfile::tempdir().unwrap();
        let into = t.path().join("vol");
        let opts = RestoreOptions {
            acls: AclMode::Set(Rc::new(VenusAcls::new(client))),
            ..RestoreOptions::default()
        };
        let full = std::fs::File::open(golden("server-a-full.dump")).unwrap();
        restore_chain(full, &[], &into, &opts, &mut |_| {}).unwrap();
        assert!(!into.join("..CodaACLs.yaml").exists());
        // Expected: every directory of the manifest, its ACL text as cfs
        // sends it (entries `name rights`, a NUL at the end).
        let manifest: Vec<serde_json::Value> =
            serde_json::from_slice(&std::fs::read(golden("state-a.manifest.json")).unwrap())
                .unwrap();
        let mut want: Vec<(PathBuf, Vec<u8>)> = manifest
            .iter()
            .filter(|e| e["type"] == "dir")
            .map(|e| {
                let rel = e["path"].as_str().unwrap().split_once('/').map(|x| x.1);
                let path = rel.map_or(into.clone(), |r| into.join(r));
                let mut text = e["acl"].as_str().unwrap().replace('\t', " ").into_bytes();
                text.push(0);
                (path, text)
            })
            .collect();
        let mut got: Vec<(PathBuf, Vec<u8>)> = calls
            .borrow()
            .iter()
            .filter(|p| p.opcode != Opcode::GETFID)
            .map(|p| {
                assert_eq!(p.opcode, Opcode::SETAL);
                (p.path.clone().unwrap(), p.input.clone())
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }

    /// Every setacl goes with follow = 0 right after a getfid of the same
    /// path; a directory whose getfid answer does not hash to the inode
    /// the restore holds open gets no setacl and stops the restore with
    /// an error naming it.
    #[test]
    fn setacl_only_on_the_directory_held_open() {
        let t = tempfile::tempdir().unwrap();
        let into = t.path().join("vol");
        let manifest: Vec<serde_json::Value> =
            serde_json::from_slice(&std::fs::read(golden("state-a.manifest.json")).unwrap())
                .unwrap();
        let sub = manifest
            .iter()
            .filter(|e| e["type"] == "dir")
            .filter_map(|e| e["path"].as_str().unwrap().split_once('/').map(|x| x.1))
            .next()
            .expect("the manifest has a subdirectory")
            .to_string();
        for swapped in [None, Some(into.join(&sub))] {
            std::fs::remove_dir_all(&into).ok();
            let calls = Rc::new(RefCell::new(Vec::new()));
            let client = Client::with_transport(Box::new(Recorder {
                mnt: "/coda".into(),
                calls: calls.clone(),
                swapped: swapped.iter().cloned().collect(),
            }));
            let opts = RestoreOptions {
                acls: AclMode::Set(Rc::new(VenusAcls::new(client))),
                ..RestoreOptions::default()
            };
            let full = std::fs::File::open(golden("server-a-full.dump")).unwrap();
            let r = restore_chain(full, &[], &into, &opts, &mut |_| {});
            let calls = calls.borrow();
            let mut last_getfid = None;
            for p in calls.iter() {
                assert!(!p.follow, "{p:?}");
                match p.opcode {
                    Opcode::GETFID => last_getfid = p.path.clone(),
                    Opcode::SETAL => assert_eq!(p.path, last_getfid),
                    other => panic!("unexpected {other:?}"),
                }
            }
            match swapped {
                None => {
                    r.unwrap();
                }
                Some(bad) => {
                    let e = r.unwrap_err().to_string();
                    assert!(e.contains("directory changed under us"), "{e}");
                    assert!(e.contains(&bad.display().to_string()), "{e}");
                    assert!(!e.contains('\n'), "{e}");
                    assert!(calls
                        .iter()
                        .all(|p| p.opcode != Opcode::SETAL || p.path.as_ref() != Some(&bad)));
                }
            }
        }
    }

    /// venus for `verify --against`: getacl of a path gets the ACL text in
    /// `acls` (venus's form: `name rights` separated by a space).
    struct Venus {
        mnt: PathBuf,
        calls: Rc<RefCell<Vec<Pioctl>>>,
        acls: Vec<(PathBuf, &'static str)>,
    }

    impl Transport for Venus {
        fn mountpoint(&self) -> &Path {
            &self.mnt
        }
        fn call(&self, p: &Pioctl) -> cfs_ioctl::Result<Vec<u8>> {
            self.calls.borrow_mut().push(p.clone());
            let path = p.path.clone().unwrap();
            let text = self
                .acls
                .iter()
                .find(|(q, _)| *q == path)
                .map_or("0\n0\n", |a| a.1);
            Ok(text.as_bytes().to_vec())
        }
    }

    #[test]
    fn verify_against_reads_acls_through_getacl() {
        use crate::restore::{verify_against, AgainstOptions};
        use crate::verify::acls::AclCheck;

        let dir = tempfile::tempdir().unwrap();
        let into = dir.path().canonicalize().unwrap().join("vol");
        let full = std::fs::read(golden("server-a-full.dump")).unwrap();
        let opts = RestoreOptions {
            acls: AclMode::Skip,
            ..RestoreOptions::default()
        };
        restore_chain(&full[..], &[], &into, &opts, &mut |_| {}).unwrap();
        // The golden ACLs (README: root AnyUser 9, Administrators 127;
        // subdir + admin 31, - AnyUser 8), as venus would answer, with one
        // entry changed (subdir), one missing (manyfiles) and one extra
        // (subdir/deeper), in another order than the dump's.
        let calls = Rc::new(RefCell::new(Vec::new()));
        let acls =
            vec![
            (into.clone(), "2\n0\nSystem:Administrators 127\nSystem:AnyUser 9\n"),
            (
                into.join("subdir"),
                "3\n1\nSystem:AnyUser 9\nSystem:Administrators 127\nadmin 1\nSystem:AnyUser 8\n",
            ),
            (into.join("manyfiles"), "1\n0\nSystem:AnyUser 9\n"),
            (
                into.join("subdir/deeper"),
                "3\n0\nSystem:AnyUser 9\nSystem:Administrators 127\nbob 8\n",
            ),
        ];
        let client = Client::with_transport(Box::new(Venus {
            mnt: "/coda".into(),
            calls: calls.clone(),
            acls,
        }));
        let reader = super::VenusAclReader {
            client,
            root: into.clone(),
        };
        let opts = AgainstOptions {
            acls: AclCheck::Get(Rc::new(reader)),
            owners: false,
            ..AgainstOptions::default()
        };
        let diffs = verify_against(&full[..], &[], &into, &opts).unwrap();
        let got: Vec<(String, String)> = diffs
            .iter()
            .map(|d| (d.path.display().to_string(), d.what.clone()))
            .collect();
        let want = [
            (
                "manyfiles",
                "ACL entry \"System:Administrators\" with rights rlidwka (127) missing",
            ),
            (
                "subdir",
                "ACL entry \"admin\": rights r (1), expected rlidw (31)",
            ),
            (
                "subdir/deeper",
                "ACL entry \"bob\" with rights l (8) not in the dump",
            ),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(p, w)| (p.to_string(), w.to_string()))
            .collect();
        assert_eq!(got, want);
        // One getacl per directory, never following a symlink.
        let calls = calls.borrow();
        assert_eq!(calls.len(), 4);
        assert!(calls.iter().all(|p| p.opcode == Opcode::GETAL && !p.follow));
    }
}
