//! New files that appear under their name only when complete.
//!
//! The contents go to a fresh temporary file beside the name (`O_CREAT |
//! O_EXCL | O_NOFOLLOW`, a name never used before: see [`is_temp_of`]);
//! [`AtomicFile::commit`] gives it its mode, flushes it when durable, renames
//! it over the name (or refuses an existing one) and, when durable, flushes
//! the directory, so that after a crash the name holds either the old
//! entry or the complete new file. A durable file starts writeback while it
//! is written ([`crate::Writeback`]), so the final flush has little left to
//! do. Nothing is ever written through an existing entry; an uncommitted
//! file's temporary is removed when it is dropped.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{fchmod, fsync, linkat, renameat_with, AtFlags, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use crate::{Dir, Error, Root, Writeback};

/// Temporary names tried before giving up.
const ATTEMPTS: u32 = 1000;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Whether `candidate` is a temporary name an [`AtomicFile`] may use for
/// `name` (`NAME.tmp` followed by anything): callers reserving `name`
/// reserve these too.
pub fn is_temp_of(candidate: &OsStr, name: &OsStr) -> bool {
    let mut prefix = name.as_bytes().to_vec();
    prefix.extend_from_slice(b".tmp");
    candidate.as_bytes().starts_with(&prefix)
}

/// Whether `candidate` is exactly a name an [`AtomicFile`] makes for
/// `name` (`NAME.tmp.PID.N`, left behind if the process died between
/// creating and renaming it): what a caller may clean up.
pub fn is_own_temp(candidate: &OsStr, name: &OsStr) -> bool {
    let mut prefix = name.as_bytes().to_vec();
    prefix.extend_from_slice(b".tmp.");
    let Some(rest) = candidate.as_bytes().strip_prefix(prefix.as_slice()) else {
        return false;
    };
    let mut parts = rest.split(|&b| b == b'.');
    let digits =
        |p: Option<&[u8]>| p.is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
    digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

fn temp_name(name: &OsStr) -> OsString {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut v = name.as_bytes().to_vec();
    v.extend_from_slice(format!(".tmp.{}.{n}", std::process::id()).as_bytes());
    OsString::from_vec(v)
}

/// How an [`AtomicFile`] is put in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtomicOptions {
    /// The permission bits the file gets (exactly, not less the umask)
    /// before it appears under its name.
    pub mode: u32,
    /// Survive a power loss: writeback starts while the file is written,
    /// the file is flushed before the rename and the directory after it.
    pub durable: bool,
    /// Replace an existing entry at the name (a symlink there is replaced
    /// itself, never followed; a directory is an error); otherwise an
    /// existing entry makes [`AtomicFile::commit`] fail with
    /// `AlreadyExists` and leaves it untouched.
    pub replace: bool,
}

/// A file being written under a temporary name; see the module doc. It
/// is a [`Write`], [`Read`] and [`Seek`] over the temporary file.
pub struct AtomicFile {
    dir: Dir,
    name: OsString,
    tmp: OsString,
    file: File,
    opts: AtomicOptions,
    /// The file position and the largest size written so far.
    pos: u64,
    end: u64,
    writeback: Writeback,
    /// Renamed into place (or removed): nothing to clean up.
    done: bool,
}

impl std::fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicFile")
            .field("path", &self.dir.path().join(&self.name))
            .field("tmp", &self.tmp)
            .finish()
    }
}

impl Dir {
    /// Starts the new file `name` of this directory: see [`AtomicFile`].
    pub fn create_atomic(
        &self,
        name: impl AsRef<OsStr>,
        opts: AtomicOptions,
    ) -> Result<AtomicFile, Error> {
        let name = self.check(name.as_ref(), "creating a file")?;
        let mut tries = 0;
        let (tmp, file) = loop {
            let tmp = temp_name(name);
            match self.create_with(&tmp, 0o600, OFlags::RDWR) {
                Ok(f) => break (tmp, f),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < ATTEMPTS => {
                    tries += 1
                }
                // Named after the file the caller asked for.
                Err(Error::Io { source, .. }) => {
                    return Err(self.at(name, "creating a file").io(source))
                }
                Err(e) => return Err(e),
            }
        };
        Ok(AtomicFile {
            dir: self.clone(),
            name: name.to_os_string(),
            tmp,
            file,
            opts,
            pos: 0,
            end: 0,
            writeback: Writeback::new(),
            done: false,
        })
    }

    /// Replaces the regular file `name` by one holding `contents` with
    /// permission bits `mode` (an [`AtomicFile`] with `replace`), durable
    /// when asked.
    pub fn replace_file(
        &self,
        name: impl AsRef<OsStr>,
        contents: &[u8],
        mode: u32,
        durable: bool,
    ) -> Result<(), Error> {
        let opts = AtomicOptions {
            mode,
            durable,
            replace: true,
        };
        let mut f = self.create_atomic(name, opts)?;
        f.write_all(contents)
            .map_err(|e| f.dir.at(&f.name, "writing a file").io(e))?;
        f.commit()
    }
}

impl AtomicFile {
    /// Starts the new file `path`: its directory is opened as given (the
    /// admin's path may pass through symlinks), its last component must be
    /// a plain name, and the file is made beneath that directory's fd.
    pub fn create(path: &Path, opts: AtomicOptions) -> Result<AtomicFile, Error> {
        let b = path.as_os_str().as_bytes();
        let (dir, name) = match b.iter().rposition(|&c| c == b'/') {
            Some(0) => (Path::new("/"), &b[1..]),
            Some(i) => (Path::new(OsStr::from_bytes(&b[..i])), &b[i + 1..]),
            None => (Path::new("."), b),
        };
        Root::open(dir)?
            .top()
            .create_atomic(OsStr::from_bytes(name), opts)
    }

    /// The temporary file (for what [`Write`] and [`Seek`] do not cover;
    /// bytes written through it get no early writeback).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Truncates or extends the temporary file to `len` bytes.
    pub fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.end = self.end.min(len);
        Ok(())
    }

    fn moved(&mut self, n: usize) {
        self.pos += n as u64;
        if self.pos > self.end {
            self.end = self.pos;
            if self.opts.durable {
                self.writeback.wrote(self.file.as_fd(), self.end);
            }
        }
    }

    /// Puts the file in place: its mode, then (durable) a flush of its
    /// data and inode, the rename over (or, without `replace`, beside) the
    /// name, then (durable) a flush of the directory. On an error before
    /// the rename the temporary is removed and the name left as it was.
    pub fn commit(mut self) -> Result<(), Error> {
        if let Err((op, e)) = self.place() {
            return Err(self.dir.at(&self.name, op).errno(e));
        }
        self.done = true;
        if self.opts.durable {
            fsync(self.dir.raw()).map_err(|e| {
                self.dir
                    .shared()
                    .at(self.dir.rel().into(), "flushing the directory")
                    .errno(e)
            })?;
        }
        Ok(())
    }

    /// Mode, flush, rename; what failed.
    fn place(&mut self) -> Result<(), (&'static str, Errno)> {
        fchmod(&self.file, Mode::from_raw_mode(self.opts.mode as _))
            .map_err(|e| ("setting the mode", e))?;
        if self.opts.durable {
            self.writeback.finish(self.file.as_fd(), self.end);
            fsync(&self.file).map_err(|e| ("flushing a file", e))?;
        }
        self.rename().map_err(|e| ("renaming into place", e))
    }

    fn rename(&self) -> Result<(), Errno> {
        let d = self.dir.raw();
        if self.opts.replace {
            return rustix::fs::renameat(d, &self.tmp, d, &self.name);
        }
        match renameat_with(d, &self.tmp, d, &self.name, RenameFlags::NOREPLACE) {
            // File systems without RENAME_NOREPLACE: a hard link fails
            // just as well on an existing name.
            Err(Errno::INVAL | Errno::NOSYS) => {
                linkat(d, &self.tmp, d, &self.name, AtFlags::empty())?;
                // The file is in place; a temporary name left behind is
                // only clutter (`is_own_temp` finds it).
                let _ = rustix::fs::unlinkat(d, &self.tmp, AtFlags::empty());
                Ok(())
            }
            r => r,
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.dir.remove_file(&self.tmp);
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.moved(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for AtomicFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.file.seek(to)?;
        Ok(self.pos)
    }
}
