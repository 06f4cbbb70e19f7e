//! What lives at a path (regular file, block device, nothing), and the
//! bulk I/O the formatters need: zero fill by allocation or BLKZEROOUT,
//! byte fill with large writes, device sizes.

use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, FileTypeExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::io::Errno;

use crate::error::{Error, Left, Result};
use crate::sys;

/// Size of the buffer used for fills (large sequential writes, never 4 KiB).
pub const FILL_CHUNK: usize = 4 << 20;

/// What a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Nothing there yet (the parent directory exists).
    Missing,
    /// A regular file of this many bytes.
    File(u64),
    /// A block device of this many bytes.
    Block(u64),
}

impl Target {
    /// Inspects `path`: refuses directories, other special files and paths
    /// whose parent directory does not exist.
    pub fn inspect(path: &Path) -> Result<Target> {
        match Kind::classify(path)? {
            Kind::Missing => Ok(Target::Missing),
            Kind::File(m) => Ok(Target::File(m.len())),
            Kind::Block(_) => {
                let f =
                    File::open(path).map_err(|e| Error::io(path, "cannot open the device", e))?;
                Ok(Target::Block(device_size(&f, path)?))
            }
        }
    }
}

/// What a path names, before it is opened (its metadata, symlinks followed:
/// the path is the admin's name for the target).
#[derive(Debug)]
pub enum Kind {
    /// Nothing there yet (the parent directory exists).
    Missing,
    /// A regular file.
    File(std::fs::Metadata),
    /// A block device.
    Block(std::fs::Metadata),
}

impl Kind {
    /// Classifies `path`: refuses directories, other special files and
    /// paths whose parent directory does not exist.
    pub fn classify(path: &Path) -> Result<Kind> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => Ok(Kind::File(m)),
            Ok(m) if m.file_type().is_block_device() => Ok(Kind::Block(m)),
            Ok(m) if m.is_dir() => Err(Error::Target {
                path: path.to_path_buf(),
                what: "is a directory".into(),
                expected: "a regular file or a block device".into(),
            }),
            Ok(_) => Err(Error::Target {
                path: path.to_path_buf(),
                what: "is a special file that is neither a regular file nor a block device".into(),
                expected: "a regular file or a block device".into(),
            }),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let parent = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                if parent.is_dir() {
                    Ok(Kind::Missing)
                } else {
                    Err(Error::Target {
                        path: path.to_path_buf(),
                        what: format!("the parent directory {} does not exist", parent.display()),
                        expected: "an existing directory".into(),
                    })
                }
            }
            // A file where the path needs a directory: the path is wrong,
            // as when its parent is missing.
            Err(e) if e.kind() == ErrorKind::NotADirectory => Err(Error::Target {
                path: path.to_path_buf(),
                what: "a component of the path is not a directory".into(),
                expected: "an existing directory".into(),
            }),
            Err(e) => Err(Error::io(path, "cannot inspect", e)),
        }
    }
}

/// Size of a block device in bytes (`BLKGETSIZE64`).
pub fn device_size(file: &File, path: &Path) -> Result<u64> {
    sys::ioctl_blkgetsize64(file)
        .map_err(|e| Error::io(path, "cannot get the device size (BLKGETSIZE64)", e.into()))
}

/// Zeroes `[offset, offset + len)` of a block device with `BLKZEROOUT`
/// (both must be multiples of 512). Returns false if the device does not
/// support it.
fn blkzeroout(file: &File, path: &Path, offset: u64, len: u64) -> Result<bool> {
    match sys::ioctl_blkzeroout(file, offset, len) {
        Ok(()) => Ok(true),
        Err(Errno::OPNOTSUPP | Errno::NOTTY | Errno::INVAL) => Ok(false),
        Err(e) => Err(Error::io(
            path,
            "cannot zero the device (BLKZEROOUT)",
            e.into(),
        )),
    }
}

/// Makes `range` (`offset..offset + len`) read as zeros, fast: block
/// devices by BLKZEROOUT, regular files (which must already be at least
/// that long or be extended by this call) by allocation (`fallocate`), or,
/// with `sparse`, by leaving the hole. Falls back to large writes (which
/// check `stop`).
pub fn zero_fill(
    file: &File,
    path: &Path,
    block: bool,
    range: std::ops::Range<u64>,
    sparse: bool,
    progress: &mut dyn FnMut(u64, u64),
    stop: Stop,
) -> Result<()> {
    let (offset, len) = (range.start, range.end.saturating_sub(range.start));
    if len == 0 {
        return Ok(());
    }
    if block {
        if offset % 512 == 0 && len % 512 == 0 && blkzeroout(file, path, offset, len)? {
            progress(len, len);
            return Ok(());
        }
    } else {
        if sparse {
            let end = offset + len;
            let cur = file
                .metadata()
                .map_err(|e| Error::io(path, "cannot stat", e))?
                .len();
            if cur < end {
                file.set_len(end)
                    .map_err(|e| Error::io(path, "cannot set the file size", e))?;
            }
            progress(len, len);
            return Ok(());
        }
        // Mode 0 allocates zeroed blocks and extends the file size.
        match rustix::fs::fallocate(file, rustix::fs::FallocateFlags::empty(), offset, len) {
            Ok(()) => {
                progress(len, len);
                return Ok(());
            }
            Err(Errno::OPNOTSUPP | Errno::NOSYS) => {}
            Err(e) => {
                return Err(Error::io(
                    path,
                    "cannot allocate space (fallocate)",
                    e.into(),
                ));
            }
        }
    }
    fill(file, path, offset, len, 0, progress, stop)
}

/// A formatter's stop flag (`InitLogOptions::stop`): set once the work
/// should stop.
pub type Stop = Option<&'static AtomicBool>;

/// Whether `stop` asks to stop.
pub fn stopped(stop: Stop) -> bool {
    stop.is_some_and(|s| s.load(Ordering::Relaxed))
}

/// [`Error::Interrupted`] when `stop` asks to stop (before anything was
/// written; [`interrupted`] says what is left after that).
pub fn check_stop(stop: Stop, path: &Path) -> Result<()> {
    if stopped(stop) {
        return Err(Error::Interrupted {
            path: path.to_path_buf(),
            left: Left::Untouched,
        });
    }
    Ok(())
}

/// After `result` of formatting `path` (written through `file`, a block
/// device when `block`) failed as [`Error::Interrupted`]: a file this run
/// `created` is removed, an older regular file is emptied (the run had
/// truncated it: an empty file is formatted again like a new one), a
/// device is left as it is (its first block zeroed); the error says which.
pub fn interrupted<T>(
    result: Result<T>,
    path: &Path,
    file: &File,
    created: bool,
    block: bool,
) -> Result<T> {
    match result {
        Err(Error::Interrupted { .. }) => {
            let left = if block {
                Left::Invalid
            } else if created && std::fs::remove_file(path).is_ok() {
                Left::Removed
            } else {
                file.set_len(0)
                    .map_err(|e| Error::io(path, "cannot empty the interrupted file", e))?;
                Left::Emptied
            };
            Err(Error::Interrupted {
                path: path.to_path_buf(),
                left,
            })
        }
        other => other,
    }
}

/// Writes `len` copies of `byte` at `offset` in large chunks, checking
/// `stop` before each.
pub fn fill(
    file: &File,
    path: &Path,
    offset: u64,
    len: u64,
    byte: u8,
    progress: &mut dyn FnMut(u64, u64),
    stop: Stop,
) -> Result<()> {
    let buf = vec![byte; FILL_CHUNK.min(len as usize)];
    let mut done = 0u64;
    while done < len {
        check_stop(stop, path)?;
        let n = (len - done).min(buf.len() as u64) as usize;
        file.write_all_at(&buf[..n], offset + done)
            .map_err(|e| Error::io(path, format!("cannot write at byte {}", offset + done), e))?;
        done += n as u64;
        progress(done, len);
    }
    Ok(())
}

/// Writes `buf` at `offset`, naming the path and offset on failure.
pub fn write_at(file: &File, path: &Path, buf: &[u8], offset: u64) -> Result<()> {
    file.write_all_at(buf, offset).map_err(|e| {
        Error::io(
            path,
            format!("cannot write {} bytes at byte {offset}", buf.len()),
            e,
        )
    })
}

/// Reads exactly `buf.len()` bytes at `offset`.
pub fn read_at(file: &File, path: &Path, buf: &mut [u8], offset: u64) -> Result<()> {
    file.read_exact_at(buf, offset).map_err(|e| {
        Error::io(
            path,
            format!("cannot read {} bytes at byte {offset}", buf.len()),
            e,
        )
    })
}

/// `fdatasync`.
pub fn sync(file: &File, path: &Path) -> Result<()> {
    file.sync_data()
        .map_err(|e| Error::io(path, "cannot sync (fdatasync)", e))
}

/// Makes `path` absolute the way RVM does: unchanged if it starts with
/// `/`, else the working directory + `/` + path (no normalization).
pub fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::io(path, "cannot get the working directory", e))?;
    let mut s = cwd.into_os_string();
    s.push("/");
    s.push(path.as_os_str());
    Ok(PathBuf::from(s))
}
