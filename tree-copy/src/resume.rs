//! `--resume`: which destination files are already complete.
//!
//! A file counts as complete when it is a regular file of the source's
//! size and modification time (to the nanosecond). The copier sets the
//! mtime as its very last step on each file, so a file cut short by a
//! crash never looks complete. `--checksum` compares content instead. A
//! destination with more names than the source has is never trusted (it
//! may be a hard link to a file outside the copy): it is replaced.

use beneath::Stat;

use crate::node::{Kind, Meta};

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

/// Looks at the destination `dst` (its `lstat`, `None` when there is
/// none) of a regular source file described by `src`.
pub fn state(src: &Meta, dst: Option<&Stat>) -> State {
    let Some(st) = dst else {
        return State::Missing;
    };
    let m = Meta::from_stat(st);
    if m.kind() != Kind::File || m.size != src.size || m.nlink > src.nlink {
        return State::Stale;
    }
    if m.mtime == src.mtime {
        State::Complete
    } else {
        State::SameSize
    }
}
