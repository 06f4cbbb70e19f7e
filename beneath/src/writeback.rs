//! Starting writeback while a file is written, so that the flush that
//! makes it durable finds little left to do.
//!
//! Every finished chunk of [`WRITEBACK_CHUNK`] bytes is handed to the
//! device at once (`sync_file_range(SYNC_FILE_RANGE_WRITE)`, which does not
//! wait), and the chunk two before it is waited for: one writer never
//! leaves more than about three chunks of dirty pages behind it, and when
//! the device keeps up the waits cost nothing. This only starts I/O early:
//! durability still comes from `fsync`/`fdatasync` (or `syncfs`), which
//! also reports any write error.

use std::os::fd::{AsRawFd, BorrowedFd};

/// Bytes per writeback chunk.
pub const WRITEBACK_CHUNK: u64 = 16 << 20;

/// How far writeback of one file has been started; see the module doc.
#[derive(Debug, Clone, Copy)]
pub struct Writeback {
    /// Writeback was started for `[0, started)` (whole chunks, then the
    /// tail once [`Writeback::finish`] ran).
    started: u64,
    /// Cleared once the file system refused a call: nothing more is tried.
    enabled: bool,
}

impl Default for Writeback {
    fn default() -> Self {
        Writeback {
            started: 0,
            enabled: true,
        }
    }
}

impl Writeback {
    /// A file of which nothing is written yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The file `fd` now holds data up to byte `end`: starts writeback of
    /// every chunk completed since the last call and waits for the chunks
    /// two behind each of them.
    pub fn wrote(&mut self, fd: BorrowedFd<'_>, end: u64) {
        while self.enabled && end >= self.started + WRITEBACK_CHUNK {
            self.enabled = sync_range(fd, self.started, WRITEBACK_CHUNK, START);
            if self.enabled && self.started >= 2 * WRITEBACK_CHUNK {
                let old = self.started - 2 * WRITEBACK_CHUNK;
                self.enabled = sync_range(fd, old, WRITEBACK_CHUNK, WAIT);
            }
            self.started += WRITEBACK_CHUNK;
        }
    }

    /// The file `fd` is complete at `end` bytes: starts writeback of what
    /// follows the last whole chunk (for a small file, of all of it).
    pub fn finish(&mut self, fd: BorrowedFd<'_>, end: u64) {
        if self.enabled && end > self.started {
            // A length of 0 means "to the end of the file".
            self.enabled = sync_range(fd, self.started, 0, START);
            self.started = end;
        }
    }
}

const START: libc::c_uint = libc::SYNC_FILE_RANGE_WRITE;
const WAIT: libc::c_uint = libc::SYNC_FILE_RANGE_WAIT_BEFORE
    | libc::SYNC_FILE_RANGE_WRITE
    | libc::SYNC_FILE_RANGE_WAIT_AFTER;

/// `sync_file_range(fd, offset, len, flags)`; false when the call failed
/// (the caller then stops starting writeback: the flush that follows
/// reports real I/O errors).
fn sync_range(fd: BorrowedFd<'_>, offset: u64, len: u64, flags: libc::c_uint) -> bool {
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return false;
    };
    // SAFETY: sync_file_range takes an fd and three integers and touches
    // no memory of ours; the fd is borrowed, so it is open for the call.
    unsafe { libc::sync_file_range(fd.as_raw_fd(), offset, len, flags) == 0 }
}
