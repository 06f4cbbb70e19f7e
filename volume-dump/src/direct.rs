//! A dump read straight from a file descriptor ([`Direct`]): a regular
//! file or a pipe, with nothing between the descriptor and the reader that
//! changes bytes (no decompression, no tar member). Large vnode data can
//! then be left to the kernel instead of passing through the reader's
//! buffer: copied with `copy_file_range` out of a regular file (by other
//! threads, while the stream seeks past it:
//! [`crate::DumpReader::take_data_range`]), or moved with `splice` out of
//! a pipe ([`crate::DumpReader::splice_data`]), one copy instead of two.
//!
//! The reader checks before each such step that every byte read from the
//! descriptor so far has reached it (a count kept by [`DirectRead`]), so
//! a layer that holds bytes back in between only makes it fall back to
//! reading.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rustix::fs::{FileType, SeekFrom};
use rustix::pipe::SpliceFlags;

/// Capacity asked for a pipe the dump is read from (Linux's default
/// `/proc/sys/fs/pipe-max-size`): the writer runs further ahead and each
/// read takes up to this much, instead of 64 KiB at a time.
pub const PIPE_SIZE: usize = 1 << 20;

#[derive(Debug)]
struct Inner {
    file: File,
    /// Bytes read from `file` through [`DirectRead`] or skipped by seeking.
    pulled: AtomicU64,
    /// For a regular file: the file offset of the stream's first byte.
    start: Option<u64>,
}

/// The descriptor a dump stream is read from; see the module doc. Cheap
/// to clone (the clones share the descriptor and its count).
#[derive(Debug, Clone)]
pub struct Direct(Arc<Inner>);

/// The stream of a [`Direct`]: plain reads of its descriptor, counted.
#[derive(Debug)]
pub struct DirectRead(Direct);

impl Direct {
    /// The stream of `file` from its current offset, and the handle for
    /// direct steps; a pipe gets a larger buffer ([`PIPE_SIZE`], when the
    /// kernel allows it). `None` for any other kind of file (a terminal,
    /// a socket, a device), which is read as it is.
    pub fn new(file: File) -> Result<(Direct, DirectRead), File> {
        let Ok(st) = rustix::fs::fstat(&file) else {
            return Err(file);
        };
        let start = match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => match rustix::fs::seek(&file, SeekFrom::Current(0)) {
                Ok(at) => Some(at),
                Err(_) => return Err(file),
            },
            FileType::Fifo => {
                grow_pipe(&file);
                None
            }
            _ => return Err(file),
        };
        let d = Direct(Arc::new(Inner {
            file,
            pulled: AtomicU64::new(0),
            start,
        }));
        Ok((d.clone(), DirectRead(d)))
    }

    /// The open file.
    pub fn file(&self) -> &File {
        &self.0.file
    }

    /// True for a pipe.
    pub(crate) fn is_pipe(&self) -> bool {
        self.0.start.is_none()
    }

    /// Counts `n` bytes taken from the pipe by the caller.
    pub(crate) fn spliced(&self, n: u64) {
        self.0.pulled.fetch_add(n, Ordering::AcqRel);
    }

    /// The file offset of stream offset `at`, for a regular file.
    pub(crate) fn file_offset(&self, at: u64) -> Option<u64> {
        self.0.start.map(|s| s + at)
    }

    /// Bytes read from the descriptor so far (read or seeked past).
    pub(crate) fn pulled(&self) -> u64 {
        self.0.pulled.load(Ordering::Acquire)
    }

    /// The size of the regular file now.
    pub(crate) fn size(&self) -> io::Result<u64> {
        Ok(rustix::fs::fstat(&self.0.file)?.st_size as u64)
    }

    /// Moves the descriptor's offset `n` bytes forward (a regular file),
    /// counting them as read.
    pub(crate) fn seek_forward(&self, n: u64) -> io::Result<()> {
        let n = i64::try_from(n).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        rustix::fs::seek(&self.0.file, SeekFrom::Current(n))?;
        self.0.pulled.fetch_add(n as u64, Ordering::AcqRel);
        Ok(())
    }
}

impl Read for DirectRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (&self.0 .0.file).read(buf)?;
        self.0 .0.pulled.fetch_add(n as u64, Ordering::AcqRel);
        Ok(n)
    }
}

/// Asks for a larger buffer on the pipe `fd` (never a smaller one);
/// refused (over the per-user limit, an old kernel): kept as it is.
pub fn grow_pipe(fd: impl AsFd) {
    if rustix::pipe::fcntl_getpipe_size(&fd).is_ok_and(|n| n < PIPE_SIZE) {
        let _ = rustix::pipe::fcntl_setpipe_size(&fd, PIPE_SIZE);
    }
}

/// A file that data can be moved into from a pipe by the kernel.
pub trait SpliceInto: Write {
    /// Moves up to `len` bytes from `pipe` to the end of what was written
    /// (`splice`); 0 when the pipe's writer is gone and it is empty.
    fn splice_from(&mut self, pipe: BorrowedFd<'_>, len: usize) -> io::Result<usize>;
}

impl SpliceInto for File {
    fn splice_from(&mut self, pipe: BorrowedFd<'_>, len: usize) -> io::Result<usize> {
        loop {
            match rustix::pipe::splice(pipe, None, &*self, None, len, SpliceFlags::MOVE) {
                Err(rustix::io::Errno::INTR) => continue,
                r => return r.map_err(io::Error::from),
            }
        }
    }
}

/// True when `e` says splice cannot serve this pair of files (nothing
/// was moved): the bytes are read and written instead.
pub fn splice_unsupported(e: &io::Error) -> bool {
    matches!(
        rustix::io::Errno::from_io_error(e),
        Some(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::OPNOTSUPP)
    )
}
