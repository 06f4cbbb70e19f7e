//! What a run did, and the hook through which it reports progress.

use std::path::PathBuf;

use crate::error::{Failure, Warning};

/// Receives progress while a copy runs. Called from many threads.
pub trait Progress: Sync {
    /// The pre-scan is done: this many non-directory items and data bytes
    /// are to be copied.
    fn scanned(&self, _items: u64, _bytes: u64) {}
    /// One non-directory item is finished (copied, skipped or failed);
    /// `bytes` is its share of the scanned byte total.
    fn item_done(&self, _bytes: u64) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct Report {
    /// Directories created or brought up to date.
    pub dirs: u64,
    /// Regular files whose data was copied.
    pub files: u64,
    /// Symbolic links created.
    pub symlinks: u64,
    /// Devices, FIFOs and sockets created.
    pub specials: u64,
    /// Extra names created as hard links.
    pub hard_links: u64,
    /// Bytes of file data copied (logical sizes).
    pub bytes: u64,
    /// Files found complete at the destination and left alone (`--resume`).
    pub skipped: u64,
    /// Files whose content was compared after the copy (`--verify`).
    pub verified: u64,
    /// Source files not copied because [`crate::Options::leave_out_root_files`]
    /// names them (full source paths).
    pub left_out: Vec<PathBuf>,
    /// Everything that failed, in no particular order.
    pub failures: Vec<Failure>,
    /// Things preserved less well than asked.
    pub warnings: Vec<Warning>,
    /// True when `--fail-fast` stopped the run early.
    pub stopped: bool,
}

impl Report {
    /// True when nothing failed.
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}
