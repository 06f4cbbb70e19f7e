//! `--resume`: which destination files are already complete.
//!
//! A file counts as complete when it is a regular file of the source's
//! size and modification time (to the nanosecond). The copier sets the
//! mtime as its very last step on each file, so a file cut short by a
//! crash never looks complete. `--checksum` compares content instead.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::walk::Meta;

/// What the destination holds for one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Nothing: copy it.
    Missing,
    /// A complete copy: skip it.
    Complete,
    /// A regular file of the same size but another mtime (only worth a
    /// content check under `--checksum`).
    SameSize,
    /// Something else: replace it.
    Stale,
}

/// Looks at the destination of a regular source file described by `src`.
pub fn state(src: &Meta, dst: &Path) -> State {
    let m = match fs::symlink_metadata(dst) {
        Ok(m) => m,
        Err(_) => return State::Missing,
    };
    if !m.file_type().is_file() || m.size() != src.size {
        return State::Stale;
    }
    if m.mtime() == src.mtime.sec && m.mtime_nsec() == src.mtime.nsec {
        State::Complete
    } else {
        State::SameSize
    }
}
