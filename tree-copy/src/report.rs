//! What a run did, and the hook through which it reports progress.

use std::path::PathBuf;

use serde::Serialize;

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

/// `coda-rs copy --json`: a [`Report`] with the run's time and whether it
/// was a dry run. Fields are declared, and so serialised, in alphabetical
/// order (the key order of the document); paths are text, invalid UTF-8
/// as U+FFFD.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)] // the counters of Report, documented there
pub struct ReportView {
    pub bytes: u64,
    /// Directories ([`Report::dirs`]; `directories`, as every document
    /// calls them).
    pub directories: u64,
    /// Nothing was changed (`--dry-run`).
    pub dry_run: bool,
    pub failures: Vec<FailureView>,
    pub files: u64,
    pub hard_links: u64,
    /// Source files left out ([`Report::left_out`]), as text.
    pub left_out: Vec<String>,
    /// Wall-clock time of the run.
    pub seconds: f64,
    pub skipped: u64,
    pub specials: u64,
    pub stopped: bool,
    pub symlinks: u64,
    pub verified: u64,
    pub warnings: Vec<WarningView>,
}

/// One [`Failure`] in a [`ReportView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureView {
    /// The errno, when a system call failed.
    pub errno: Option<i32>,
    /// What went wrong.
    pub message: String,
    /// The step that failed ([`crate::Op`]'s words).
    pub op: String,
    /// The source path.
    pub path: String,
}

/// One [`Warning`] in a [`ReportView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarningView {
    /// What happened.
    pub message: String,
    /// The source path.
    pub path: String,
}

impl ReportView {
    /// The view of `r`, a run that took `seconds`.
    pub fn new(r: &Report, seconds: f64, dry_run: bool) -> Self {
        ReportView {
            bytes: r.bytes,
            directories: r.dirs,
            dry_run,
            failures: r
                .failures
                .iter()
                .map(|f| FailureView {
                    errno: f.errno,
                    message: f.message.clone(),
                    op: f.op.to_string(),
                    path: f.path.to_string_lossy().into_owned(),
                })
                .collect(),
            files: r.files,
            hard_links: r.hard_links,
            left_out: r
                .left_out
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            seconds,
            skipped: r.skipped,
            specials: r.specials,
            stopped: r.stopped,
            symlinks: r.symlinks,
            verified: r.verified,
            warnings: r
                .warnings
                .iter()
                .map(|w| WarningView {
                    message: w.message.clone(),
                    path: w.path.to_string_lossy().into_owned(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::Op;

    /// The keys of `coda-rs copy --json`, in the order the document has
    /// always had them (alphabetical), at every level.
    #[test]
    fn view_keys_in_document_order() {
        let r = Report {
            files: 3,
            failures: vec![Failure {
                path: PathBuf::from("/r/u.a/x"),
                op: Op::Read,
                errno: Some(5),
                message: "Input/output error".into(),
            }],
            warnings: vec![Warning {
                path: PathBuf::from("/r/u.a/l"),
                message: "copied, not linked".into(),
            }],
            left_out: vec![PathBuf::from("/r/u.a/.coda-rs-restore.json")],
            ..Report::default()
        };
        let text = serde_json::to_string(&ReportView::new(&r, 1.5, false)).unwrap();
        assert_eq!(
            text,
            "{\"bytes\":0,\"directories\":0,\"dry_run\":false,\"failures\":[{\"errno\":5,\
             \"message\":\"Input/output error\",\"op\":\"read\",\"path\":\"/r/u.a/x\"}],\
             \"files\":3,\"hard_links\":0,\"left_out\":[\"/r/u.a/.coda-rs-restore.json\"],\
             \"seconds\":1.5,\"skipped\":0,\"specials\":0,\
             \"stopped\":false,\"symlinks\":0,\"verified\":0,\"warnings\":[{\"message\":\
             \"copied, not linked\",\"path\":\"/r/u.a/l\"}]}"
        );
    }
}
