//! The live part of the log, [head, tail): its records, the segment
//! dictionary, and which transactions recovery applies (spec §9.1).

use std::collections::BTreeMap;

use crate::reader::LogView;
use crate::record::{
    LogSegRecord, RangeHeader, RecordHeader, TransHeader, END_ID, FLAG_FIRST, FLAG_LAST,
    LOG_SEG_ID, RANGE_HEADER_SIZE, RANGE_ID, TRANS_HEADER_SIZE, WRAP_ID, WRAP_SIZE,
};

/// One range of new values, located in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeRef {
    /// Log offset of the range header.
    pub at: u64,
    /// The header.
    pub range: RangeHeader,
}

impl RangeRef {
    /// Log offset of the first new byte.
    pub fn data_offset(&self) -> u64 {
        self.at + RANGE_HEADER_SIZE + self.range.skew()
    }

    /// The new bytes inside `log`.
    pub fn data<'a>(&self, log: &'a [u8]) -> &'a [u8] {
        let start = self.data_offset() as usize;
        &log[start..start + self.range.length as usize]
    }
}

/// What a record is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// A transaction and its ranges.
    Transaction(TransHeader, Vec<RangeRef>),
    /// A segment-dictionary entry.
    LogSeg(LogSegRecord),
    /// A wrap-around marker.
    Wrap,
}

/// A structurally valid record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    /// Log offset.
    pub at: u64,
    /// Common header.
    pub header: RecordHeader,
    /// Body.
    pub kind: RecordKind,
}

/// Reads the record at `p` with the structural checks only (struct id, end
/// marker, ranges numbered 1..num_ranges inside the record): the level
/// rvmutl's `show` and recovery's apply pass use (spec §6.5).
pub fn read_record(v: &LogView<'_>, p: u64) -> Option<LogRecord> {
    let h = v.header_at(p)?;
    if !v.end_marker_ok(p, &h) {
        return None;
    }
    let kind = match h.struct_id {
        WRAP_ID => RecordKind::Wrap,
        LOG_SEG_ID => RecordKind::LogSeg(LogSegRecord::read(v.bytes, p as usize)?),
        _ => {
            let t = TransHeader::read(v.bytes, p as usize);
            RecordKind::Transaction(t, read_ranges(v, p, &h, t.num_ranges)?)
        }
    };
    Some(LogRecord {
        at: p,
        header: h,
        kind,
    })
}

/// The ranges of the transaction at `p`, structure-checked.
pub fn read_ranges(
    v: &LogView<'_>,
    p: u64,
    h: &RecordHeader,
    num_ranges: u64,
) -> Option<Vec<RangeRef>> {
    let end = p + h.rec_length;
    let mut q = p + TRANS_HEADER_SIZE;
    let mut out = Vec::new();
    while q < end {
        if q + RANGE_HEADER_SIZE > end || out.len() as u64 >= num_ranges {
            return None;
        }
        let r = RangeHeader::read(v.bytes, q as usize);
        let block = RangeHeader::block_size(r.skew(), r.length);
        if r.header.struct_id != RANGE_ID
            || r.range_num != out.len() as u64 + 1
            || r.header.rec_length.checked_sub(RANGE_HEADER_SIZE) != Some(block)
            || q + r.header.rec_length > end
        {
            return None;
        }
        out.push(RangeRef { at: q, range: r });
        q += r.header.rec_length;
    }
    let end_ok = q == end && crate::le::u32_at(v.bytes, end as usize) == END_ID;
    (end_ok && out.len() as u64 == num_ranges).then_some(out)
}

/// Why a transaction in the epoch is not applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// The first half of a split transaction whose second half is not in
    /// the epoch (spec §9.1).
    SplitWithoutSecondHalf,
}

/// A problem that makes the epoch unusable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochError {
    /// Log offset.
    pub at: u64,
    /// What is wrong.
    pub what: String,
}

/// The epoch [head, tail) read for recovery.
#[derive(Clone, Debug, Default)]
pub struct Epoch {
    /// Records in log order.
    pub records: Vec<LogRecord>,
    /// seg_code → the earliest log_seg record of the epoch.
    pub dictionary: BTreeMap<i64, LogSegRecord>,
    /// Indices (into `records`) of the transactions to apply, in order.
    pub apply: Vec<usize>,
    /// Indices of transactions not applied, with the reason.
    pub skipped: Vec<(usize, Skip)>,
}

impl Epoch {
    /// Walks [head, tail) (spec §9.1). Every record must pass the
    /// structural checks; real RVM would abort otherwise.
    pub fn read(v: &LogView<'_>, head: u64, tail: u64) -> Result<Epoch, EpochError> {
        let mut e = Epoch::default();
        if head == tail {
            return Ok(e);
        }
        let mut p = head;
        let max = v.num_bytes / WRAP_SIZE + 2;
        for _ in 0..max {
            let rec = read_record(v, p).ok_or_else(|| EpochError {
                at: p,
                what: "no structurally valid record inside the epoch".into(),
            })?;
            let next = v.next_offset(p, &rec.header);
            if let RecordKind::LogSeg(seg) = &rec.kind {
                e.dictionary
                    .entry(seg.seg_code)
                    .or_insert_with(|| seg.clone());
            }
            e.records.push(rec);
            if next == tail {
                e.decide();
                return Ok(e);
            }
            if p < tail && next > tail {
                return Err(EpochError {
                    at: p,
                    what: format!("the record runs past the tail {tail}"),
                });
            }
            p = next;
        }
        Err(EpochError {
            at: head,
            what: "the epoch never reaches the tail".into(),
        })
    }

    fn decide(&mut self) {
        for (i, r) in self.records.iter().enumerate() {
            let RecordKind::Transaction(t, _) = &r.kind else {
                continue;
            };
            if t.flags & (FLAG_FIRST | FLAG_LAST) == FLAG_FIRST {
                // Applied iff the record after the following wrap marker is
                // inside the epoch and is a transaction with the LAST flag.
                let wrap = matches!(
                    self.records.get(i + 1).map(|r| &r.kind),
                    Some(RecordKind::Wrap)
                );
                let second = match self.records.get(i + 2).map(|r| &r.kind) {
                    Some(RecordKind::Transaction(t2, _)) => t2.flags & FLAG_LAST != 0,
                    _ => false,
                };
                if !(wrap && second) {
                    self.skipped.push((i, Skip::SplitWithoutSecondHalf));
                    continue;
                }
            }
            self.apply.push(i);
        }
    }

    /// The ranges to apply, in order.
    pub fn ranges(&self) -> impl Iterator<Item = (&LogRecord, &RangeRef)> {
        self.apply.iter().flat_map(move |&i| {
            let r = &self.records[i];
            match &r.kind {
                RecordKind::Transaction(_, ranges) => {
                    ranges.iter().map(move |x| (r, x)).collect::<Vec<_>>()
                }
                _ => Vec::new(),
            }
        })
    }

    /// Segment codes with at least one non-empty range to apply.
    pub fn used_segments(&self) -> Vec<i64> {
        let mut codes: Vec<i64> = self
            .ranges()
            .filter(|(_, r)| r.range.length > 0)
            .map(|(_, r)| r.range.seg_code)
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }
}

/// Every structurally valid log_seg record anywhere in the record area
/// (used to suggest a path when the epoch lacks one, quirk Q2).
pub fn all_log_segs(v: &LogView<'_>) -> Vec<LogRecord> {
    let mut out = Vec::new();
    let mut p = v.log_start;
    while p + 40 <= v.num_bytes {
        if crate::le::u32_at(v.bytes, p as usize) == LOG_SEG_ID {
            if let Some(r) = read_record(v, p) {
                out.push(r);
            }
        }
        p += 8;
    }
    out
}
