//! Walking a source tree: every object below the root, `lstat`ed once,
//! in a deterministic pre-order (parents before children, names sorted).
//! Directories are read in parallel, each through an fd resolved beneath
//! the source root ([`beneath::Root`]: never through a symbolic link) and
//! checked to be the directory its parent listed; symbolic links are never
//! followed. The fds are the root's bounded cache, so the walk holds a
//! bounded number of them however deep or wide the tree is.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use rustix::fs::{FileType, Stat};

use crate::error::{Failure, Op};
use crate::hook::HookPoint;
use crate::source::{other_object, Source};

/// The type of a filesystem object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link (copied as a link, never followed).
    Symlink,
    /// A named pipe.
    Fifo,
    /// A character device.
    CharDev,
    /// A block device.
    BlockDev,
    /// A Unix-domain socket.
    Socket,
}

impl Kind {
    /// The type given by an `st_mode`.
    pub fn of_mode(mode: u32) -> Kind {
        match FileType::from_raw_mode(mode as _) {
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            FileType::Fifo => Kind::Fifo,
            FileType::CharacterDevice => Kind::CharDev,
            FileType::BlockDevice => Kind::BlockDev,
            FileType::Socket => Kind::Socket,
            _ => Kind::File,
        }
    }

    /// What the object is, for messages (`a FIFO`).
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Dir => "a directory",
            Kind::File => "a regular file",
            Kind::Symlink => "a symbolic link",
            Kind::Fifo => "a FIFO",
            Kind::CharDev => "a character device",
            Kind::BlockDev => "a block device",
            Kind::Socket => "a socket",
        }
    }
}

/// A timestamp with nanoseconds, as `lstat` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    /// Seconds since the epoch.
    pub sec: i64,
    /// Nanoseconds, `0..1_000_000_000`.
    pub nsec: i64,
}

/// The attributes of one object, from one `lstat`.
#[derive(Debug, Clone, Copy)]
pub struct Meta {
    /// Device holding the object.
    pub dev: u64,
    /// Inode number on that device.
    pub ino: u64,
    /// Full `st_mode` (type and permission bits).
    pub mode: u32,
    /// Number of hard links.
    pub nlink: u64,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Device number of a device special file.
    pub rdev: u64,
    /// Size in bytes.
    pub size: u64,
    /// Allocated 512-byte blocks.
    pub blocks: u64,
    /// Last access.
    pub atime: Time,
    /// Last modification.
    pub mtime: Time,
}

impl Meta {
    /// Takes the attributes out of a `stat`.
    #[allow(clippy::unnecessary_cast)] // the field types differ between targets
    pub fn from_stat(st: &Stat) -> Meta {
        Meta {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            mode: st.st_mode as u32,
            nlink: st.st_nlink as u64,
            uid: st.st_uid,
            gid: st.st_gid,
            rdev: st.st_rdev as u64,
            size: st.st_size as u64,
            blocks: st.st_blocks as u64,
            atime: Time {
                sec: st.st_atime as i64,
                nsec: st.st_atime_nsec as i64,
            },
            mtime: Time {
                sec: st.st_mtime as i64,
                nsec: st.st_mtime_nsec as i64,
            },
        }
    }

    /// The object's type.
    pub fn kind(&self) -> Kind {
        Kind::of_mode(self.mode)
    }

    /// True when `st` is the same object (device and inode number).
    pub fn same_object(&self, st: &Stat) -> bool {
        let m = Meta::from_stat(st);
        (m.dev, m.ino) == (self.dev, self.ino)
    }

    /// Permission bits including setuid, setgid and sticky.
    pub fn perm(&self) -> u32 {
        self.mode & 0o7777
    }

    /// True when fewer blocks are allocated than the size needs: the file
    /// probably has holes worth finding with `SEEK_DATA`/`SEEK_HOLE`.
    pub fn looks_sparse(&self) -> bool {
        self.blocks.saturating_mul(512) < self.size
    }
}

/// One object of a source tree.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path relative to the tree's root (empty for the root itself).
    pub rel: PathBuf,
    /// Directory depth: 0 for the root.
    pub depth: u32,
    /// Object type.
    pub kind: Kind,
    /// Attributes.
    pub meta: Meta,
}

/// Walks the tree below `root` (a directory, already `stat`ed as
/// `root_meta`). Returns every entry in pre-order, the root first, and the
/// failures met on the way (unreadable directories, vanished entries, a
/// directory that is no longer what its parent listed: such a directory
/// is left out, with everything below it). With `one_file_system`,
/// directories on other devices are listed but not entered. The test hook
/// runs before each directory is opened.
pub fn walk(src: &Source, root_meta: Meta, one_file_system: bool) -> (Vec<Entry>, Vec<Failure>) {
    let failures = Mutex::new(Vec::new());
    let root_entry = Entry {
        rel: PathBuf::new(),
        depth: 0,
        kind: Kind::Dir,
        meta: root_meta,
    };
    let ctx = Ctx {
        src,
        root_dev: root_meta.dev,
        one_file_system,
        failures: &failures,
    };
    let mut out = vec![root_entry];
    out.extend(
        ctx.walk_dir(Path::new(""), &root_meta, 1)
            .unwrap_or_default(),
    );
    (
        out,
        failures.into_inner().unwrap_or_else(|e| e.into_inner()),
    )
}

/// Removes from `entries` (a walk's output) the regular files in the
/// tree's root named `names`, or temporary files of those names (as
/// [`beneath::is_own_temp`] says); returns their relative paths.
pub fn leave_out_root_files(entries: &mut Vec<Entry>, names: &[OsString]) -> Vec<PathBuf> {
    if names.is_empty() {
        return Vec::new();
    }
    let tool_file = |e: &Entry| {
        e.depth == 1
            && e.kind == Kind::File
            && names
                .iter()
                .any(|n| e.rel == Path::new(n) || beneath::is_own_temp(e.rel.as_os_str(), n))
    };
    let mut out = Vec::new();
    entries.retain(|e| {
        if tool_file(e) {
            out.push(e.rel.clone());
            false
        } else {
            true
        }
    });
    out
}

struct Ctx<'a> {
    src: &'a Source,
    root_dev: u64,
    one_file_system: bool,
    failures: &'a Mutex<Vec<Failure>>,
}

impl Ctx<'_> {
    fn fail(&self, f: Failure) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(f);
    }

    fn path(&self, rel: &Path) -> PathBuf {
        self.src.path(rel)
    }

    /// Entries below `rel` (whose children have depth `depth`), pre-order;
    /// `None` when `rel` could not be read or is not the directory `expect`
    /// describes.
    fn walk_dir(&self, rel: &Path, expect: &Meta, depth: u32) -> Option<Vec<Entry>> {
        let path = self.path(rel);
        self.src.hook(HookPoint::BeforeOpen, rel);
        let dir = match self.src.root().dir(rel) {
            Ok(d) => d,
            Err(e) => {
                self.fail(self.src.changed(rel, Op::ReadDir, &e));
                return None;
            }
        };
        match dir.stat_self() {
            Ok(st) => {
                if let Some(what) = other_object(expect, &st) {
                    let why = format!("changed since it was listed: {what}");
                    self.fail(Failure::other(&path, Op::ReadDir, why));
                    return None;
                }
            }
            Err(e) => {
                self.fail(Failure::beneath(&path, Op::ReadDir, &e));
                return None;
            }
        }
        let entries = match dir.entries() {
            Ok(it) => it,
            Err(e) => {
                self.fail(Failure::beneath(&path, Op::ReadDir, &e));
                return None;
            }
        };
        let mut children = Vec::new();
        for de in entries {
            let de = match de {
                Ok(de) => de,
                Err(e) => {
                    self.fail(Failure::beneath(&path, Op::ReadDir, &e));
                    break;
                }
            };
            let child_rel = dir.child_rel(&de.name);
            match dir.stat(&de.name) {
                Ok(st) => {
                    let meta = Meta::from_stat(&st);
                    children.push(Entry {
                        rel: child_rel,
                        depth,
                        kind: meta.kind(),
                        meta,
                    })
                }
                Err(e) => self.fail(Failure::beneath(self.path(&child_rel), Op::Stat, &e)),
            }
        }
        drop(dir);
        children.sort_by(|a, b| a.rel.cmp(&b.rel));
        let enter = |e: &Entry| {
            e.kind == Kind::Dir && !(self.one_file_system && e.meta.dev != self.root_dev)
        };
        if !children.iter().any(enter) {
            return Some(children);
        }
        let subtrees: Vec<Option<Vec<Entry>>> = children
            .par_iter()
            .map(|e| {
                if enter(e) {
                    self.walk_dir(&e.rel, &e.meta, depth + 1)
                } else {
                    Some(Vec::new())
                }
            })
            .collect();
        let total = children.len() + subtrees.iter().flatten().map(Vec::len).sum::<usize>();
        let mut out = Vec::with_capacity(total);
        for (child, sub) in children.into_iter().zip(subtrees) {
            // A directory that failed is left out: nothing is made for it.
            if let Some(sub) = sub {
                out.push(child);
                out.extend(sub);
            }
        }
        Some(out)
    }
}
