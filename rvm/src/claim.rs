//! A target claimed for writing: the one open file descriptor every RVM
//! writer (init-log, init-data, recover, the log writer) writes through.
//!
//! A block device is opened `O_EXCL`, so the kernel refuses it while it is
//! mounted or held by device-mapper, md or swap, and nobody can mount or
//! claim it while we hold it; the claim keeps that descriptor until the
//! write is done. Before that, [`crate::in_use`] names who uses the device
//! (a mount point, a holder), and a regular file is refused when it backs a
//! loop device or is a swap file. None of this is overridden by `--force`.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use crate::device::{device_size, Kind, Target};
use crate::error::{Error, Result};
use crate::in_use::{self, Identity};

/// An opened, checked target (or a checked path where a new file will be
/// created).
#[derive(Debug)]
pub struct Claim {
    path: PathBuf,
    file: Option<File>,
    target: Target,
    id: Option<Identity>,
}

impl Claim {
    /// Opens `path` for writing (`writable`) or for reading with the same
    /// checks (dry runs). A missing path is accepted (nothing is created
    /// yet); directories and special files are refused as by
    /// [`Target::inspect`]; a target in use is refused with
    /// [`Error::InUse`].
    pub fn open(path: &Path, writable: bool) -> Result<Claim> {
        match Kind::classify(path)? {
            Kind::Missing => Ok(Claim {
                path: path.to_path_buf(),
                file: None,
                target: Target::Missing,
                id: None,
            }),
            Kind::File(m) => {
                let before = Identity::File {
                    dev: m.dev(),
                    ino: m.ino(),
                };
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(writable)
                    .open(path)
                    .map_err(|e| Error::io(path, "cannot open", e))?;
                let id = before;
                if Identity::of_file(&file, path)? != Some(id) {
                    return Err(changed(path));
                }
                in_use::check(path, id)?;
                let len = file
                    .metadata()
                    .map_err(|e| Error::io(path, "cannot stat", e))?
                    .len();
                Ok(Claim {
                    path: path.to_path_buf(),
                    file: Some(file),
                    target: Target::File(len),
                    id: Some(id),
                })
            }
            Kind::Block(_) => {
                let before = Identity::of_path(path).ok_or_else(|| changed(path))?;
                in_use::check(path, before)?;
                let file = open_exclusive(path, writable)?;
                if Identity::of_file(&file, path)? != Some(before) {
                    return Err(changed(path));
                }
                let size = device_size(&file, path)?;
                Ok(Claim {
                    path: path.to_path_buf(),
                    file: Some(file),
                    target: Target::Block(size),
                    id: Some(before),
                })
            }
        }
    }

    /// Opens an existing target: like [`Claim::open`], but a missing path
    /// is an error saying that `what` (e.g. "an RVM log") was expected.
    pub fn open_existing(path: &Path, writable: bool, what: &str) -> Result<Claim> {
        let c = Claim::open(path, writable)?;
        if c.target == Target::Missing {
            return Err(Error::Target {
                path: path.to_path_buf(),
                what: "does not exist".into(),
                expected: what.into(),
            });
        }
        Ok(c)
    }

    /// The path it was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What it is, with its size.
    pub fn target(&self) -> Target {
        self.target
    }

    /// The open descriptor (`None` while the target does not exist).
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// Device and inode (files) or device number (block devices).
    pub fn identity(&self) -> Option<Identity> {
        self.id
    }

    /// The descriptor to write through: a missing target is created now
    /// (`O_CREAT | O_EXCL | O_NOFOLLOW`, so nothing that appeared there
    /// meanwhile is followed or reused); with `truncate`, a regular file is
    /// emptied first. Block devices are returned as opened (`O_EXCL`).
    pub fn into_file(self, truncate: bool) -> Result<File> {
        match (self.file, self.target) {
            (Some(f), Target::File(_)) if truncate => {
                f.set_len(0)
                    .map_err(|e| Error::io(&self.path, "cannot truncate", e))?;
                Ok(f)
            }
            (Some(f), _) => Ok(f),
            (None, _) => {
                let fd = rustix::fs::open(
                    &self.path,
                    OFlags::RDWR
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_bits_truncate(0o666),
                )
                .map_err(|e| Error::io(&self.path, "cannot create", e.into()))?;
                Ok(File::from(fd))
            }
        }
    }
}

/// Opens a block device `O_EXCL`: EBUSY means the kernel holds it (a mount,
/// possibly in another mount namespace, device-mapper, md, swap, or another
/// exclusive opener).
fn open_exclusive(path: &Path, writable: bool) -> Result<File> {
    let mode = if writable {
        OFlags::RDWR
    } else {
        OFlags::RDONLY
    };
    match rustix::fs::open(path, mode | OFlags::EXCL | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => Ok(File::from(fd)),
        Err(Errno::BUSY) => Err(Error::InUse {
            path: path.to_path_buf(),
            what: "is held exclusively by the kernel (mounted, perhaps in another mount namespace, or used by device-mapper, md, swap or another program)".into(),
        }),
        Err(e) => Err(Error::io(path, "cannot open the device", e.into())),
    }
}

fn changed(path: &Path) -> Error {
    Error::Target {
        path: path.to_path_buf(),
        what: "changed while it was being opened".into(),
        expected: "a regular file or a block device that stays in place".into(),
    }
}
