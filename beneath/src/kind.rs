//! The type of a directory entry.

use rustix::fs::FileType;

/// What kind of object an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A named pipe.
    Fifo,
    /// A Unix-domain socket.
    Socket,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// The file system did not say (`DT_UNKNOWN` in a directory listing).
    Unknown,
}

impl FileKind {
    /// The kind given by an `st_mode`.
    pub fn of_mode(mode: u32) -> FileKind {
        FileKind::from(FileType::from_raw_mode(mode as _))
    }

    /// The kind of a [`crate::Stat`].
    pub fn of(st: &crate::Stat) -> FileKind {
        FileKind::from(FileType::from_raw_mode(st.st_mode))
    }

    /// A short description for messages, e.g. `symbolic link`.
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::File => "regular file",
            FileKind::Dir => "directory",
            FileKind::Symlink => "symbolic link",
            FileKind::Fifo => "FIFO",
            FileKind::Socket => "socket",
            FileKind::CharDevice => "character device",
            FileKind::BlockDevice => "block device",
            FileKind::Unknown => "file of unknown type",
        }
    }
}

impl From<FileType> for FileKind {
    fn from(t: FileType) -> Self {
        match t {
            FileType::RegularFile => FileKind::File,
            FileType::Directory => FileKind::Dir,
            FileType::Symlink => FileKind::Symlink,
            FileType::Fifo => FileKind::Fifo,
            FileType::Socket => FileKind::Socket,
            FileType::CharacterDevice => FileKind::CharDevice,
            FileType::BlockDevice => FileKind::BlockDevice,
            _ => FileKind::Unknown,
        }
    }
}
