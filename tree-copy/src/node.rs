//! What a walk finds: one [`Entry`] per object of a source tree, its
//! [`Kind`] and its attributes ([`Meta`], from one `lstat`).

use std::path::PathBuf;

use rustix::fs::{FileType, Stat};

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
