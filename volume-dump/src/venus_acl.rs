//! Directory ACLs and mount links through venus: [`VenusAcls`] is the
//! restore's [`AclSetter`] over cfs-ioctl's setacl pioctl and its
//! [`CodaTarget`] over the mkmount pioctl, and [`VenusAclReader`]
//! `verify --against`'s [`AclGetter`] over its getacl pioctl.

use std::cell::OnceCell;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::acl::{Acl, AclEntry, Rights};
use crate::restore::{AclSetter, CodaTarget, HeldDir};
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

/// [`AclSetter`] and [`CodaTarget`] over a cfs-ioctl client. Every
/// path it sends is the target's absolute path joined with names the
/// restore resolved beneath the target, sent with follow = 0; before each
/// setacl or mkmount, the fid venus gives for the directory's path
/// (getfid) must hash to the inode number of the directory the restore
/// holds open (`coda_f2i`), else the directory changed under us and
/// nothing is sent for it.
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

impl VenusAcls {
    /// The absolute path of the held directory `dir`, once venus's fid
    /// for it (getfid, follow = 0) hashes to the inode number of the
    /// directory the restore holds open; else the directory changed
    /// under us and nothing may be sent for it.
    fn held_path(&self, dir: &HeldDir<'_>) -> std::result::Result<PathBuf, String> {
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
                 not the directory held open, inode {}); nothing sent for it",
                fid.volume, fid.vnode, fid.unique, dir.ino
            ));
        }
        Ok(path)
    }
}

impl AclSetter for VenusAcls {
    fn set_acl(&self, dir: &HeldDir<'_>, acl_text: &[u8]) -> std::result::Result<(), String> {
        let acl = cfs_ioctl::Acl::parse(acl_text).map_err(|e| format!("ACL text: {e}"))?;
        let path = self.held_path(dir)?;
        self.client
            .set_acl_nofollow(&path, &acl)
            .map_err(|e| format!("setacl: {e}"))
    }
}

/// The restore's [`CodaTarget`]: mkmount (follow = 0) on the held parent
/// directory's checked path.
impl CodaTarget for VenusAcls {
    fn make_mount(
        &self,
        dir: &HeldDir<'_>,
        name: &OsStr,
        volume: &str,
    ) -> std::result::Result<(), String> {
        let path = self.held_path(dir)?;
        self.client
            .mkmount_nofollow(&path, name.as_bytes(), volume)
            .map_err(|e| format!("mkmount: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::os::unix::ffi::OsStrExt;
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
            if p.opcode == Opcode::ADD_MT_PT {
                // Venus shows a mount point as its volume's root directory.
                let n = p.input.iter().position(|&c| c == b'/').unwrap();
                let name = std::ffi::OsStr::from_bytes(&p.input[..n]);
                std::fs::create_dir(p.path.as_ref().unwrap().join(name)).unwrap();
            }
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

    /// A full dump (header and volume data of the golden native-full.dump)
    /// whose root holds the mount links `proj` (`#proj.`) and `users`
    /// (`@users@cell.example.`, a realm), the plain symlink `plain` (mode
    /// 0777, target `#plain.`), the file `f` with a second name `f2` and a
    /// third `sub/f3`, and the directory `sub` holding the mount link `tmp`
    /// (`#coda_root.tmp.`). Mount links as spec `pioctl.md` §6.3 has venus
    /// make them: mode 0644, `#` or `@`, the volume, `.`.
    fn mount_dump() -> Vec<u8> {
        use crate::dirpage::DirBuilder;
        use crate::model::{Data, Dump, IndexEntry};
        use crate::vnode::{vnode_type, Vnode, VnodeClass};
        let bytes = std::fs::read(golden("native-full.dump")).unwrap();
        let mut dump = Dump::read(&bytes[..], Default::default()).unwrap();
        let small = |slot: u32, unique: u32| (VnodeClass::Small.vnode_of_slot(slot), unique);
        let (root, sub) = ((1, 1), (VnodeClass::Large.vnode_of_slot(1), 6));
        let (proj, users, plain, f, tmp) = (
            small(0, 2),
            small(1, 3),
            small(2, 4),
            small(3, 5),
            small(4, 7),
        );
        let pages = |names: &[(&[u8], (u32, u32))]| {
            DirBuilder::build(names.iter().map(|(n, (v, u))| (*n, *v, *u)))
                .unwrap()
                .into_bytes()
        };
        let root_pages = pages(&[
            (b".", root),
            (b"..", root),
            (b"proj", proj),
            (b"users", users),
            (b"plain", plain),
            (b"f", f),
            (b"f2", f),
            (b"sub", sub),
        ]);
        let sub_pages = pages(&[(b".", sub), (b"..", root), (b"tmp", tmp), (b"f3", f)]);
        let IndexEntry::Vnode(root_v, _) = dump.large.entries[0].clone() else {
            panic!("native-full's root")
        };
        let dir = |fid: (u32, u32), parent: (u32, u32), pages: Vec<u8>| {
            let v = Vnode {
                vnode: fid.0,
                unique: fid.1,
                length: pages.len() as u32,
                parent_vnode: parent.0,
                parent_unique: parent.1,
                links: if fid == root { 3 } else { 2 },
                ..root_v.clone()
            };
            IndexEntry::Vnode(v, Data::DirPages(pages))
        };
        dump.large.entries = vec![dir(root, (0, 0), root_pages), dir(sub, root, sub_pages)];
        let obj = |fid: (u32, u32), parent: (u32, u32), kind, mode, links, data: &[u8]| {
            let v = Vnode {
                vnode: fid.0,
                unique: fid.1,
                vnode_type: kind,
                mode,
                links,
                length: data.len() as u32,
                parent_vnode: parent.0,
                parent_unique: parent.1,
                mtime: 1_700_000_000,
                ..Vnode::default()
            };
            IndexEntry::Vnode(v, Data::File(data.to_vec()))
        };
        let link = vnode_type::SYMLINK;
        dump.small.entries = vec![
            obj(proj, root, link, 0o644, 1, b"#proj."),
            obj(users, root, link, 0o644, 1, b"@users@cell.example."),
            obj(plain, root, link, 0o777, 1, b"#plain."),
            obj(
                f,
                root,
                vnode_type::FILE,
                0o644,
                3,
                b"one file, three names\n",
            ),
            obj(tmp, sub, link, 0o644, 1, b"#coda_root.tmp."),
        ];
        dump.large.header.vnode_count = 2;
        dump.small.header.vnode_count = 5;
        dump.write(Vec::new()).unwrap()
    }

    /// The mkmount pioctls recorded: (parent path, input), each checked to
    /// go with follow = 0 right after a getfid of the same parent.
    fn mkmounts(calls: &[Pioctl]) -> Vec<(PathBuf, Vec<u8>)> {
        let mut last_getfid = None;
        let mut out = Vec::new();
        for p in calls {
            assert!(!p.follow, "{p:?}");
            match p.opcode {
                Opcode::GETFID => last_getfid = p.path.clone(),
                Opcode::ADD_MT_PT => {
                    assert_eq!(p.path, last_getfid, "{p:?}");
                    out.push((p.path.clone().unwrap(), p.input.clone()));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        out
    }

    fn coda_options(calls: &Rc<RefCell<Vec<Pioctl>>>) -> RestoreOptions {
        let client = Client::with_transport(Box::new(Recorder {
            mnt: "/coda".into(),
            calls: calls.clone(),
            swapped: Vec::new(),
        }));
        RestoreOptions {
            acls: AclMode::Skip,
            coda: Some(crate::restore::OnCoda(Rc::new(VenusAcls::new(client)))),
            ..RestoreOptions::default()
        }
    }

    fn against(dump: &[u8], into: &Path, coda: bool) -> Vec<String> {
        use crate::restore::{verify_against, AgainstOptions};
        use crate::verify::acls::AclCheck;
        let opts = AgainstOptions {
            acls: AclCheck::Skip,
            owners: false,
            coda,
            ..AgainstOptions::default()
        };
        verify_against(dump, &[], into, &opts)
            .unwrap()
            .iter()
            .map(|d| format!("{}: {}", d.path.display(), d.what))
            .collect()
    }

    #[test]
    fn mount_links_are_made_with_mkmount_on_a_coda_target() {
        let dump = mount_dump();
        let t = tempfile::tempdir().unwrap();
        let into = t.path().canonicalize().unwrap().join("vol");
        let calls = Rc::new(RefCell::new(Vec::new()));
        let s = restore_chain(&dump[..], &[], &into, &coda_options(&calls), &mut |_| {}).unwrap();
        // Spec §6.3: pioctl on the parent, in = name "/" volume NUL.
        let want: Vec<(PathBuf, Vec<u8>)> = [
            (into.clone(), &b"proj/proj\0"[..]),
            (into.clone(), b"users/users@cell.example\0"),
            (into.join("sub"), b"tmp/coda_root.tmp\0"),
        ]
        .into_iter()
        .map(|(p, i)| (p, i.to_vec()))
        .collect();
        assert_eq!(mkmounts(&calls.borrow()), want);
        assert_eq!(s.mount_points, 3);
        // No symlink where a mount link was; the plain one is a symlink.
        for name in ["proj", "users", "sub/tmp"] {
            let m = std::fs::symlink_metadata(into.join(name)).unwrap();
            assert!(m.is_dir(), "{name}: venus's mount point, not a symlink");
        }
        assert_eq!(
            std::fs::read_link(into.join("plain")).unwrap(),
            Path::new("#plain.")
        );
        // Hard links inside one directory; the name in `sub` is a copy.
        use std::os::unix::fs::MetadataExt;
        let ino = |p: &str| std::fs::metadata(into.join(p)).unwrap().ino();
        assert_eq!(ino("f"), ino("f2"));
        assert_ne!(ino("f"), ino("sub/f3"));
        assert_eq!(
            std::fs::read(into.join("sub/f3")).unwrap(),
            b"one file, three names\n"
        );
        assert_eq!((s.hard_links, s.copies), (1, 1));
        assert_eq!(
            s.warnings.iter().filter(|w| w.contains("copies")).count(),
            1
        );
        // verify --against knows the same rules.
        assert_eq!(against(&dump, &into, true), Vec::<String>::new());
        assert!(!against(&dump, &into, false).is_empty());
    }

    #[test]
    fn into_a_plain_directory_mount_links_stay_symlinks() {
        let dump = mount_dump();
        let t = tempfile::tempdir().unwrap();
        let into = t.path().join("vol");
        let opts = RestoreOptions {
            acls: AclMode::Skip,
            ..RestoreOptions::default()
        };
        let s = restore_chain(&dump[..], &[], &into, &opts, &mut |_| {}).unwrap();
        for (name, target) in [
            ("proj", "#proj."),
            ("users", "@users@cell.example."),
            ("sub/tmp", "#coda_root.tmp."),
        ] {
            assert_eq!(
                std::fs::read_link(into.join(name)).unwrap(),
                Path::new(target)
            );
        }
        assert_eq!((s.symlinks, s.mount_points, s.hard_links), (4, 0, 2));
        assert_eq!(against(&dump, &into, false), Vec::<String>::new());
    }

    /// A restore stopped after its mount links, whose journal is then set
    /// back (as a crash between the mkmount and the next checkpoint leaves
    /// it): the resume sends no mkmount again and finishes.
    #[test]
    fn a_resumed_restore_does_not_mkmount_twice() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let dump = mount_dump();
        let t = tempfile::tempdir().unwrap();
        let into = t.path().canonicalize().unwrap().join("vol");
        let calls = Rc::new(RefCell::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let opts = RestoreOptions {
            stop: Some(stop.clone()),
            ..coda_options(&calls)
        };
        // Objects: proj, users, plain, f, tmp; stop before f.
        let mut on = |p: &crate::restore::Progress| {
            if p.objects >= 2 + 3 {
                stop.store(true, Ordering::Relaxed);
            }
        };
        let e = restore_chain(&dump[..], &[], &into, &opts, &mut on).unwrap_err();
        assert!(
            matches!(e, crate::restore::RestoreError::Interrupted),
            "{e}"
        );
        assert_eq!(mkmounts(&calls.borrow()).len(), 2);
        let journal = into.join(crate::restore::JOURNAL_NAME);
        let mut j: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
        assert_eq!(j["completed_objects"], 3);
        j["completed_objects"] = 0.into();
        std::fs::write(&journal, serde_json::to_vec(&j).unwrap()).unwrap();
        calls.borrow_mut().clear();
        let opts = RestoreOptions {
            resume: true,
            ..coda_options(&calls)
        };
        restore_chain(&dump[..], &[], &into, &opts, &mut |_| {}).unwrap();
        // Only sub/tmp was still to make.
        assert_eq!(
            mkmounts(&calls.borrow()),
            [(into.join("sub"), b"tmp/coda_root.tmp\0".to_vec())]
        );
        assert_eq!(against(&dump, &into, true), Vec::<String>::new());
    }
}
