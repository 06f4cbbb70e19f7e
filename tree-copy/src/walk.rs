//! Walking a source tree: every object below the root, `lstat`ed once,
//! in a deterministic pre-order (parents before children, names sorted).
//! Directories are read in parallel; symbolic links are never followed.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::error::{Failure, Op};

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
    fn of(ft: fs::FileType) -> Kind {
        if ft.is_dir() {
            Kind::Dir
        } else if ft.is_symlink() {
            Kind::Symlink
        } else if ft.is_fifo() {
            Kind::Fifo
        } else if ft.is_char_device() {
            Kind::CharDev
        } else if ft.is_block_device() {
            Kind::BlockDev
        } else if ft.is_socket() {
            Kind::Socket
        } else {
            Kind::File
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
    /// Takes the attributes out of std's metadata.
    pub fn from_metadata(m: &fs::Metadata) -> Meta {
        Meta {
            dev: m.dev(),
            ino: m.ino(),
            mode: m.mode(),
            nlink: m.nlink(),
            uid: m.uid(),
            gid: m.gid(),
            rdev: m.rdev(),
            size: m.size(),
            blocks: m.blocks(),
            atime: Time {
                sec: m.atime(),
                nsec: m.atime_nsec(),
            },
            mtime: Time {
                sec: m.mtime(),
                nsec: m.mtime_nsec(),
            },
        }
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
/// failures met on the way (unreadable directories, vanished entries).
/// With `one_file_system`, directories on other devices are listed but not
/// entered.
pub fn walk(root: &Path, root_meta: Meta, one_file_system: bool) -> (Vec<Entry>, Vec<Failure>) {
    let failures = Mutex::new(Vec::new());
    let root_entry = Entry {
        rel: PathBuf::new(),
        depth: 0,
        kind: Kind::Dir,
        meta: root_meta,
    };
    let ctx = Ctx {
        root,
        root_dev: root_meta.dev,
        one_file_system,
        failures: &failures,
    };
    let mut out = vec![root_entry];
    out.extend(ctx.walk_dir(Path::new(""), 1));
    (
        out,
        failures.into_inner().unwrap_or_else(|e| e.into_inner()),
    )
}

struct Ctx<'a> {
    root: &'a Path,
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

    /// Entries below `rel` (whose children have depth `depth`), pre-order.
    fn walk_dir(&self, rel: &Path, depth: u32) -> Vec<Entry> {
        let dir = self.root.join(rel);
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                self.fail(Failure::io(&dir, Op::ReadDir, &e));
                return Vec::new();
            }
        };
        let mut children = Vec::new();
        for de in rd {
            let de = match de {
                Ok(de) => de,
                Err(e) => {
                    self.fail(Failure::io(&dir, Op::ReadDir, &e));
                    break;
                }
            };
            let child_rel = rel.join(de.file_name());
            // DirEntry::metadata does not follow symbolic links.
            match de.metadata() {
                Ok(m) => children.push(Entry {
                    rel: child_rel,
                    depth,
                    kind: Kind::of(m.file_type()),
                    meta: Meta::from_metadata(&m),
                }),
                Err(e) => self.fail(Failure::io(self.root.join(&child_rel), Op::Stat, &e)),
            }
        }
        children.sort_by(|a, b| a.rel.cmp(&b.rel));
        let enter = |e: &Entry| {
            e.kind == Kind::Dir && !(self.one_file_system && e.meta.dev != self.root_dev)
        };
        if !children.iter().any(enter) {
            return children;
        }
        let subtrees: Vec<Vec<Entry>> = children
            .par_iter()
            .map(|e| {
                if enter(e) {
                    self.walk_dir(&e.rel, depth + 1)
                } else {
                    Vec::new()
                }
            })
            .collect();
        let total = children.len() + subtrees.iter().map(Vec::len).sum::<usize>();
        let mut out = Vec::with_capacity(total);
        for (child, sub) in children.into_iter().zip(subtrees) {
            out.push(child);
            out.extend(sub);
        }
        out
    }
}
