//! What [`recover`](super::recover) reports: the epoch, what was (or
//! would be) applied to each segment, what was not applied and why, and
//! the texts the command prints for it.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::reader::DroppedRecord;
use crate::status::StatusBlock;

/// One data segment touched by recovery.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentReport {
    /// Segment code.
    pub seg_code: i64,
    /// Path recorded in the log (None under quirk Q2).
    pub recorded_path: Option<String>,
    /// Path actually written.
    pub path: PathBuf,
    /// Ranges applied.
    pub ranges: u64,
    /// Bytes written (sum of range lengths).
    pub bytes: u64,
    /// Bytes whose value changes.
    pub bytes_changed: u64,
}

/// A transaction of the epoch that is not applied.
#[derive(Clone, Debug, Serialize)]
pub struct SkippedRecord {
    /// Record number.
    #[serde(rename = "record_number")]
    pub rec_num: u64,
    /// Log offset.
    pub offset: u64,
    /// Why.
    pub reason: String,
}

/// Outcome of [`recover`](super::recover) (its JSON view is
/// [`crate::view::RecoverJson`]).
#[derive(Clone, Debug)]
pub struct RecoverReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// Epoch start (head after §6.1 step 1).
    pub head: u64,
    /// Located tail.
    pub tail: u64,
    /// Record numbers of the transactions applied, in order.
    pub applied: Vec<u64>,
    /// Transactions of the epoch not applied.
    pub skipped: Vec<SkippedRecord>,
    /// The committed transaction real RVM drops by quirk Q1 (default mode).
    pub dropped: Option<DroppedRecordJson>,
    /// Transactions applied only thanks to `rescue`.
    pub rescued: Vec<DroppedRecordJson>,
    /// Segments touched.
    pub segments: Vec<SegmentReport>,
    /// Status block written (or that would be written).
    pub status: StatusBlock,
}

/// Serializable [`DroppedRecord`].
#[derive(Clone, Copy, Debug, Serialize)]
pub struct DroppedRecordJson {
    /// Record number.
    #[serde(rename = "record_number")]
    pub rec_num: u64,
    /// Log offset.
    pub offset: u64,
    /// Bytes including the end marker.
    #[serde(rename = "bytes")]
    pub size: u64,
}

impl From<DroppedRecord> for DroppedRecordJson {
    fn from(d: DroppedRecord) -> Self {
        DroppedRecordJson {
            rec_num: d.rec_num,
            offset: d.offset,
            size: d.size,
        }
    }
}

impl RecoverReport {
    /// Warning lines for stderr (without the `coda-rs: ` prefix): the
    /// transaction real RVM drops (quirk Q1), the rescued ones, the
    /// transactions not applied. `name` is the log as the user named it.
    pub fn warnings(&self, name: &str) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(d) = self.dropped {
            w.push(format!(
                "{name}: warning: record #{} ({} bytes at log offset {}) is a committed transaction that real RVM drops (spec §6.4 quirk Q1); it and anything after it are not applied; use --rescue to apply them",
                d.rec_num, d.size, d.offset
            ));
        }
        for d in &self.rescued {
            w.push(format!(
                "{name}: rescued record #{} ({} bytes at log offset {}): real RVM would drop it (quirk Q1), its writer checksum verifies",
                d.rec_num, d.size, d.offset
            ));
        }
        for k in &self.skipped {
            w.push(format!(
                "{name}: record #{} at {} not applied: {}",
                k.rec_num, k.offset, k.reason
            ));
        }
        w
    }

    /// The report as text for stdout: the epoch, one line per segment,
    /// then what was written (`secs`: how long recovery took).
    pub fn text(&self, name: &str, secs: f64) -> String {
        let mut o = String::new();
        // Writing to a String cannot fail.
        let verb = if self.dry_run {
            "would apply"
        } else {
            "applied"
        };
        if self.head == self.tail {
            let _ = writeln!(
                o,
                "{name}: log is empty (head = tail = {}); nothing to apply",
                self.tail
            );
        } else {
            let _ = writeln!(
                o,
                "{name}: epoch [{}, {}): {verb} {} transaction(s)",
                self.head,
                self.tail,
                self.applied.len()
            );
        }
        for g in &self.segments {
            let recorded = match &g.recorded_path {
                Some(p) if Path::new(p) != g.path => format!(" (recorded as {p})"),
                None => " (no path recorded in the epoch)".into(),
                _ => String::new(),
            };
            let _ = writeln!(
                o,
                "  segment {} {}{recorded}: {} range(s), {} bytes, {} byte(s) changed",
                g.seg_code,
                g.path.display(),
                g.ranges,
                g.bytes,
                g.bytes_changed
            );
        }
        if self.dry_run {
            o.push_str("dry run: nothing written\n");
        } else {
            let _ = writeln!(
                o,
                "log truncated: head = tail = {}, next record number {} ({secs:.3} s)",
                self.status.log_tail, self.status.next_rec_num
            );
        }
        o
    }
}
