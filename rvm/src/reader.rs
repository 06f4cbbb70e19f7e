//! Reading the log: record validation (spec §6.2, §6.3) and tail location
//! (spec §6.1) on an in-memory view of the log bytes.

use crate::checksum::{checksum, reader_checksum};
use crate::record::{
    EndMarker, RangeHeader, RecordHeader, TransHeader, END_ID, END_SIZE, FLAG_FIRST, FLAG_FLUSH,
    FLAG_LAST, HEADER_SIZE, LOG_SEG_ID, RANGE_HEADER_SIZE, RANGE_ID, TRANS_HEADER_SIZE, TRANS_ID,
    WRAP_ID, WRAP_SIZE,
};
use crate::status::StatusBlock;
use crate::uname::Timeval;

/// The bytes of a log device from offset 0 to the end of the record area.
#[derive(Clone, Copy, Debug)]
pub struct LogView<'a> {
    /// Bytes `[0, num_bytes)` of the device (file or raw image).
    pub bytes: &'a [u8],
    /// First record byte (2560 or 10752).
    pub log_start: u64,
    /// End of the record area.
    pub num_bytes: u64,
}

/// How a range checksum is verified during tail location.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumRule {
    /// Exactly as real RVM (piecewise through its 256 KiB window; quirk Q1).
    Rvm,
    /// The writer-side value in one piece (rescue mode).
    Writer,
}

/// Why a record at some position was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    /// No record header there (struct id or bounds).
    NotARecord,
    /// Record number or timestamp outside the current epoch.
    Currency,
    /// Not the successor of the previous record.
    Sequence,
    /// End marker missing or not matching.
    EndMarker,
    /// A range sub-record is damaged or numbered wrongly.
    Ranges,
    /// A range checksum failed with RVM's piecewise rule but the writer's
    /// one-piece checksum verifies (quirk Q1: real RVM drops it).
    DroppedByQ1 {
        /// Number of the range.
        range_num: u64,
    },
    /// A range checksum failed.
    Checksum {
        /// Number of the range.
        range_num: u64,
    },
}

impl<'a> LogView<'a> {
    /// A view; `bytes` must hold at least `num_bytes` bytes.
    pub fn new(bytes: &'a [u8], log_start: u64, num_bytes: u64) -> Self {
        let num_bytes = num_bytes.min(bytes.len() as u64);
        LogView {
            bytes,
            log_start,
            num_bytes,
        }
    }

    /// The record header at `p` if `p` holds a record struct id and the
    /// header (the whole marker, for wraps) lies in the area.
    pub fn header_at(&self, p: u64) -> Option<RecordHeader> {
        if p % 8 != 0 || p < self.log_start || p.checked_add(HEADER_SIZE)? > self.num_bytes {
            return None;
        }
        let h = RecordHeader::read(self.bytes, p as usize);
        if !h.is_record() {
            return None;
        }
        if h.struct_id == WRAP_ID && p + WRAP_SIZE > self.num_bytes {
            return None;
        }
        Some(h)
    }

    /// The end-marker test of §6.2 for a transaction or log_seg record.
    pub fn end_marker_ok(&self, p: u64, h: &RecordHeader) -> bool {
        if h.struct_id == WRAP_ID {
            return true;
        }
        let Some(at) = p.checked_add(h.rec_length) else {
            return false;
        };
        if at % 8 != 0
            || h.rec_length < HEADER_SIZE
            || at.checked_add(END_SIZE).is_none_or(|e| e > self.num_bytes)
        {
            return false;
        }
        EndMarker::read(self.bytes, at as usize).matches(h)
    }

    /// Offset of the record after the one at `p`.
    pub fn next_offset(&self, p: u64, h: &RecordHeader) -> u64 {
        if h.struct_id == WRAP_ID {
            self.log_start
        } else {
            p.saturating_add(h.rec_length).saturating_add(END_SIZE)
        }
    }

    /// The sub-record walk of §6.3 for the transaction at `p` (header and
    /// end marker already checked): ranges must be struct id 30 with the
    /// record's number, numbered 1.., fit in the record and verify.
    pub fn check_transaction(
        &self,
        p: u64,
        h: &RecordHeader,
        rule: ChecksumRule,
    ) -> Result<TransHeader, Reject> {
        let t = TransHeader::read(self.bytes, p as usize);
        let end = p + h.rec_length;
        let mut q = p + TRANS_HEADER_SIZE;
        let mut n = 0u64;
        while q < end {
            if q + RANGE_HEADER_SIZE > end {
                return Err(Reject::Ranges);
            }
            let r = RangeHeader::read(self.bytes, q as usize);
            if r.header.struct_id != RANGE_ID || r.header.rec_num != h.rec_num {
                return Err(Reject::Ranges);
            }
            let block = RangeHeader::block_size(r.skew(), r.length);
            if r.header.rec_length < RANGE_HEADER_SIZE
                || r.header.rec_length.checked_sub(RANGE_HEADER_SIZE) != Some(block)
                || q + r.header.rec_length > end
                || r.length > r.header.rec_length
            {
                return Err(Reject::Ranges);
            }
            n += 1;
            if r.range_num != n {
                return Err(Reject::Ranges);
            }
            let writer = checksum(
                &self.bytes[(q + RANGE_HEADER_SIZE) as usize..],
                r.skew() as usize,
                r.length,
            );
            let ok = match rule {
                ChecksumRule::Writer => writer == r.chk_sum,
                ChecksumRule::Rvm => {
                    let got =
                        reader_checksum(self.bytes, q, r.skew(), r.length, r.header.rec_length);
                    if got != r.chk_sum && writer == r.chk_sum {
                        return Err(Reject::DroppedByQ1 { range_num: n });
                    }
                    got == r.chk_sum
                }
            };
            if !ok {
                return Err(Reject::Checksum { range_num: n });
            }
            q += r.header.rec_length;
        }
        if q != end
            || RecordHeader::read(self.bytes, end as usize).struct_id != END_ID
            || n != t.num_ranges
        {
            return Err(Reject::Ranges);
        }
        Ok(t)
    }
}

/// Sequence state of the tail scan (§6.2).
#[derive(Clone, Copy, Debug, Default)]
struct Sequence {
    prev: Option<(u64, Timeval)>,
}

/// Checks of §6.2 against `s` (currency uses `now` as the upper bound).
fn record_ok(
    v: &LogView<'_>,
    s: &StatusBlock,
    now: Timeval,
    p: u64,
    seq: &Sequence,
    end_marker: bool,
) -> Result<RecordHeader, Reject> {
    let h = v.header_at(p).ok_or(Reject::NotARecord)?;
    if (s.first_rec_num != 0 && h.rec_num < s.first_rec_num)
        || h.timestamp < s.prev_trunc
        || h.timestamp > now
    {
        return Err(Reject::Currency);
    }
    if let Some((num, ts)) = seq.prev {
        if h.rec_num != num.wrapping_add(1) || h.timestamp < ts {
            return Err(Reject::Sequence);
        }
    }
    if end_marker && !v.end_marker_ok(p, &h) {
        return Err(Reject::EndMarker);
    }
    Ok(h)
}

/// A committed transaction real RVM drops because of quirk Q1 (§6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DroppedRecord {
    /// Record number.
    pub rec_num: u64,
    /// Log offset of the record.
    pub offset: u64,
    /// Bytes of the record including its end marker.
    pub size: u64,
}

/// Result of tail location.
#[derive(Clone, Debug, Default)]
pub struct TailScan {
    /// Head as it was on disk (before §6.1 step 1).
    pub disk_head: u64,
    /// prev_log_tail as read from disk (status prints it).
    pub disk_prev_log_tail: u64,
    /// The scan ended at a transaction real RVM drops although its writer
    /// checksum verifies (quirk Q1); with the writer rule it was accepted.
    pub dropped: Option<DroppedRecord>,
    /// With [`ChecksumRule::Writer`]: records accepted only thanks to it.
    pub rescued: Vec<DroppedRecord>,
}

/// Locates the tail exactly as RVM does (spec §6.1), updating `s` in memory
/// with every side effect (head during an interrupted truncation, first/last
/// record numbers and stamps, counters). `now` is the fresh uname of step 2;
/// the caller checks `last_trunc <= now` beforehand.
pub fn locate_tail(
    s: &mut StatusBlock,
    v: &LogView<'_>,
    now: Timeval,
    rule: ChecksumRule,
) -> TailScan {
    let mut scan = TailScan {
        disk_head: s.log_head,
        disk_prev_log_tail: s.prev_log_tail,
        ..Default::default()
    };
    let num_bytes = v.num_bytes;
    // Step 1.
    if s.prev_log_head != 0 {
        s.log_head = s.prev_log_head;
        s.last_rec_num = s.next_rec_num.wrapping_sub(1);
    }
    let head = s.log_head;
    let mut last: u64 = 0; // L
    let mut lw = s.last_write; // LW
                               // Step 3: head check without sequence and end-marker tests.
    let head_rec = match record_ok(v, s, now, head, &Sequence::default(), false) {
        Ok(h) => h,
        Err(_) => {
            s.log_tail = head;
            s.clear(num_bytes);
            s.valid = true;
            return scan;
        }
    };
    // Step 4.
    if s.first_rec_num == 0 {
        s.first_rec_num = head_rec.rec_num;
    }
    if s.first_write.is_zero() {
        s.first_write = head_rec.timestamp;
    }
    if head_rec.struct_id == WRAP_ID {
        s.wrap_time = head_rec.timestamp;
    }
    let max_steps = num_bytes / WRAP_SIZE + 2;
    // Step 5: first-transaction pre-scan.
    if s.first_uname.is_zero() {
        let mut p = head;
        let mut seq = Sequence::default();
        for _ in 0..max_steps {
            let Ok(h) = record_ok(v, s, now, p, &seq, true) else {
                break;
            };
            last = h.rec_num;
            s.last_write = h.timestamp;
            if h.struct_id == WRAP_ID {
                s.wrap_time = h.timestamp;
            }
            if h.struct_id == TRANS_ID {
                let t = TransHeader::read(v.bytes, p as usize);
                s.first_uname = t.uname;
                s.last_uname = t.uname;
                break;
            }
            seq.prev = Some((h.rec_num, h.timestamp));
            p = v.next_offset(p, &h);
        }
    }
    // Step 6: tail scan from the stored tail.
    let mut tail = s.log_tail;
    let mut p = s.log_tail;
    let mut seq = Sequence::default();
    for _ in 0..max_steps {
        let Ok(h) = record_ok(v, s, now, p, &seq, true) else {
            break;
        };
        last = h.rec_num;
        lw = h.timestamp;
        seq.prev = Some((h.rec_num, h.timestamp));
        match h.struct_id {
            WRAP_ID => {
                s.wrap_time = h.timestamp;
                s.n_special = s.n_special.wrapping_add(1);
                s.tot_wrap = s.tot_wrap.wrapping_add(1);
                tail = v.log_start;
            }
            LOG_SEG_ID => {
                s.n_special = s.n_special.wrapping_add(1);
                tail = p + h.rec_length + END_SIZE;
            }
            _ => {
                let size = h.rec_length + END_SIZE;
                let t = match v.check_transaction(p, &h, ChecksumRule::Rvm) {
                    Ok(t) => t,
                    Err(Reject::DroppedByQ1 { .. }) => {
                        let rec = DroppedRecord {
                            rec_num: h.rec_num,
                            offset: p,
                            size,
                        };
                        if rule == ChecksumRule::Writer {
                            scan.rescued.push(rec);
                            TransHeader::read(v.bytes, p as usize)
                        } else {
                            scan.dropped = Some(rec);
                            break;
                        }
                    }
                    Err(_) => break,
                };
                s.last_uname = t.uname;
                if t.flags & FLAG_FLUSH != 0 {
                    s.n_flush_commit = s.n_flush_commit.wrapping_add(1);
                } else {
                    s.n_no_flush_commit = s.n_no_flush_commit.wrapping_add(1);
                }
                if t.flags & (FLAG_FIRST | FLAG_LAST) == FLAG_FIRST {
                    s.n_split = s.n_split.wrapping_add(1);
                }
                tail = p + size;
            }
        }
        p = v.next_offset(p, &h);
    }
    // Step 7.
    s.log_tail = tail;
    s.last_write = lw;
    if tail == head {
        s.clear(num_bytes);
    } else {
        s.log_empty = false;
        if s.next_rec_num <= last {
            s.next_rec_num = last + 1;
        }
        s.last_rec_num = last;
    }
    // Step 8.
    s.valid = true;
    scan
}
