//! Hostile inputs for the attack tests: dumps built from a description
//! (names, types, owners and modes an attacker picks; the record format
//! is spec §3-§7 and the directory pages §12, written by the crate's
//! writer), and victims outside the target whose every byte, mode, owner
//! and mtime is checked afterwards.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use volume_dump::dirpage::DirBuilder;
use volume_dump::{
    vnode_type, Data, Dump, DumpHeader, Index, IndexEntry, IndexHeader, VersionVector, Vnode,
    VnodeClass, VolumeDiskData,
};

/// One object of a hostile dump.
#[derive(Debug, Clone)]
pub enum Node {
    /// A directory and its entries, in creation order.
    Dir(Vec<(Vec<u8>, Node)>),
    /// A regular file with these bytes.
    File(Vec<u8>),
    /// A symlink with this target.
    Symlink(Vec<u8>),
}

/// A directory entry `name` → `node`.
pub fn entry(name: &str, node: Node) -> (Vec<u8>, Node) {
    (name.as_bytes().to_vec(), node)
}

/// A regular file holding `text`.
pub fn file(text: &str) -> Node {
    Node::File(text.as_bytes().to_vec())
}

/// A symlink to `target`.
pub fn link(target: impl AsRef<Path>) -> Node {
    Node::Symlink(target.as_ref().as_os_str().as_encoded_bytes().to_vec())
}

/// A directory.
pub fn dir(entries: Vec<(Vec<u8>, Node)>) -> Node {
    Node::Dir(entries)
}

/// Owner and mode of everything in a hostile dump, and of its orphans.
pub const OWNER: u32 = 0;
/// Mode of the files of a hostile dump (set-uid root, as an attacker
/// would want them to land somewhere).
pub const FILE_MODE: u16 = 0o4755;
/// Mode of the directories.
pub const DIR_MODE: u16 = 0o755;
/// mtime of everything.
pub const MTIME: u32 = 1_600_000_000;

struct Builder {
    large: Vec<IndexEntry>,
    small: Vec<IndexEntry>,
    next_unique: u32,
}

impl Builder {
    fn unique(&mut self) -> u32 {
        self.next_unique += 1;
        self.next_unique
    }

    fn vnode(fid: (u32, u32), parent: (u32, u32), ty: u8, mode: u16, length: u32) -> Vnode {
        Vnode {
            vnode: fid.0,
            unique: fid.1,
            vnode_type: ty,
            mode,
            links: 1,
            length,
            data_version: 1,
            version_vector: VersionVector {
                versions: [1, 0, 0, 0, 0, 0, 0, 0],
                store_host: 0,
                store_unique: fid.1,
                flags: 0,
            },
            mtime: MTIME,
            author: OWNER,
            owner: OWNER,
            parent_vnode: parent.0,
            parent_unique: parent.1,
            acl: None,
        }
    }

    fn small(&mut self, parent: (u32, u32), node: &Node) -> (u32, u32) {
        let slot = self.small.len() as u32;
        let fid = (VnodeClass::Small.vnode_of_slot(slot), self.unique());
        let (ty, bytes) = match node {
            Node::File(b) => (vnode_type::FILE, b.clone()),
            Node::Symlink(b) => (vnode_type::SYMLINK, b.clone()),
            Node::Dir(_) => unreachable!(),
        };
        let v = Self::vnode(fid, parent, ty, FILE_MODE, bytes.len() as u32);
        self.small.push(IndexEntry::Vnode(v, Data::File(bytes)));
        fid
    }

    /// Fills the reserved slot `slot` of the large index with directory
    /// `fid` holding `entries`, and its subdirectories after it.
    fn dir_at(
        &mut self,
        slot: usize,
        fid: (u32, u32),
        parent: (u32, u32),
        entries: &[(Vec<u8>, Node)],
    ) {
        let mut names: Vec<(Vec<u8>, (u32, u32))> =
            vec![(b".".to_vec(), fid), (b"..".to_vec(), parent)];
        let mut subdirs = Vec::new();
        for (name, node) in entries {
            let child = match node {
                Node::Dir(sub) => {
                    let s = self.large.len();
                    self.large.push(IndexEntry::Null);
                    let cfid = (VnodeClass::Large.vnode_of_slot(s as u32), self.unique());
                    subdirs.push((s, cfid, sub));
                    cfid
                }
                _ => self.small(fid, node),
            };
            names.push((name.clone(), child));
        }
        let pages = DirBuilder::build(names.iter().map(|(n, f)| (n.as_slice(), f.0, f.1)))
            .expect("valid directory entries")
            .into_bytes();
        let mut v = Self::vnode(
            fid,
            parent,
            vnode_type::DIRECTORY,
            DIR_MODE,
            pages.len() as u32,
        );
        v.links = 2 + subdirs.len() as u16;
        v.acl = Some(b"1\n0\nSystem:AnyUser\t1\n\0".to_vec());
        self.large[slot] = IndexEntry::Vnode(v, Data::DirPages(pages));
        for (s, cfid, sub) in subdirs {
            self.dir_at(s, cfid, fid, sub);
        }
    }
}

/// A full dump of volume `hostile` whose root holds `root`, plus
/// `orphans`: files no directory lists (owner 0, set-uid), which a
/// restore puts under `lost+found`.
pub fn hostile_dump(root: Vec<(Vec<u8>, Node)>, orphans: &[&str]) -> Vec<u8> {
    let mut b = Builder {
        large: vec![IndexEntry::Null],
        small: Vec::new(),
        next_unique: 1,
    };
    b.dir_at(0, (1, 1), (1, 1), &root);
    if let IndexEntry::Vnode(v, _) = &mut b.large[0] {
        v.parent_vnode = 0;
        v.parent_unique = 0;
    }
    for text in orphans {
        b.small((1, 1), &file(text));
    }
    let (large, small) = (b.large, b.small);
    assert!(large.iter().all(|e| matches!(e, IndexEntry::Vnode(..))));
    let slots = |n: usize, min: u32| (n as u32).max(min).next_power_of_two();
    let dump = Dump {
        header: DumpHeader {
            volume_id: 0x7f00_0001,
            parent_id: 0x7f00_0000,
            volume_name: b"hostile".to_vec(),
            backup_date: MTIME,
            incremental: 0,
            oldest: MTIME,
            latest: MTIME,
            ..DumpHeader::default()
        },
        volume: VolumeDiskData {
            id: 0x7f00_0001,
            stamp_version: 1,
            name: b"hostile".to_vec(),
            partition: b"/vicepa".to_vec(),
            in_service: 1,
            blessed: 1,
            uniquifier: b.next_unique + 1,
            volume_type: volume_dump::volume_type::BACKUP,
            parent_id: 0x7f00_0000,
            link_count: 1,
            creation_date: MTIME,
            update_date: MTIME,
            week_use: vec![0; 7],
            ..VolumeDiskData::default()
        },
        large: Index {
            header: IndexHeader {
                vnode_count: large.len() as u32,
                slots: slots(large.len(), 128),
            },
            entries: large,
        },
        small: Index {
            header: IndexHeader {
                vnode_count: small.len() as u32,
                slots: slots(small.len(), 256),
            },
            entries: small,
        },
    };
    dump.write(Vec::new()).expect("the dump writes")
}

/// A scratch directory `base` holding the target `base/into` (not yet
/// created) and victims beside it: `base/victim/` (a directory with a
/// file) and `base/victim.txt`, with owners, modes and mtimes a restore
/// would change if it reached them.
pub struct Victims {
    pub base: tempfile::TempDir,
}

impl Victims {
    pub fn new() -> Victims {
        let base = coda_rs_tests::scratch();
        let v = base.path().join("victim");
        fs::create_dir(&v).unwrap();
        fs::write(v.join("keep.txt"), b"precious\n").unwrap();
        fs::write(base.path().join("victim.txt"), b"do not touch\n").unwrap();
        for (p, mode) in [
            (v.join("keep.txt"), 0o640),
            (v.clone(), 0o750),
            (base.path().join("victim.txt"), 0o600),
        ] {
            fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
            if coda_rs_tests::is_root() {
                std::os::unix::fs::chown(&p, Some(4321), Some(4321)).unwrap();
            }
            let t = fs::FileTimes::new()
                .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000));
            fs::File::open(&p).unwrap().set_times(t).unwrap();
        }
        Victims { base }
    }

    /// The target directory.
    pub fn target(&self) -> PathBuf {
        self.base.path().join("into")
    }

    /// The victim directory.
    pub fn dir(&self) -> PathBuf {
        self.base.path().join("victim")
    }

    /// The victim file.
    pub fn file(&self) -> PathBuf {
        self.base.path().join("victim.txt")
    }

    /// Writes `dump` beside the target (outside it) and returns its path.
    pub fn dump(&self, dump: &[u8]) -> PathBuf {
        let p = self.base.path().join("hostile.dump");
        fs::write(&p, dump).unwrap();
        p
    }

    /// Everything outside the target ([`coda_rs_tests::tree_state`]).
    pub fn outside(&self) -> BTreeMap<PathBuf, String> {
        coda_rs_tests::tree_state(self.base.path(), &[&self.target()])
    }

    /// Plants a symlink at `rel` in the target pointing at `to`.
    pub fn plant_link(&self, rel: &str, to: &Path) {
        let p = self.target().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        symlink(to, p).unwrap();
    }
}

/// The one `coda-rs:` line of `stderr` that mentions `needle`.
pub fn line_naming<'a>(stderr: &'a str, needle: &str) -> &'a str {
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(needle)).collect();
    assert_eq!(lines.len(), 1, "one line naming {needle:?} in:\n{stderr}");
    assert!(lines[0].starts_with("coda-rs: "), "{}", lines[0]);
    lines[0]
}
