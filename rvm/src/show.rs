//! rvmutl's `show all` (spec §12.2): the record walk and its text, plus a
//! structured listing for `--json`.

use std::fmt::Write;
use std::path::Path;

use serde::Serialize;

use crate::error::Result;
use crate::log_device::LocatedLog;
use crate::reader::ChecksumRule;

use crate::epoch::{read_record, Epoch, LogRecord, RecordKind, Skip};
use crate::reader::{LogView, TailScan};
use crate::record::{
    END_SIZE, FLAG_COALESCE_RANGES, FLAG_COALESCE_TRANS, FLAG_FIRST, FLAG_FLUSH, FLAG_FLUSH_MARK,
    FLAG_LAST, FLAG_RESTORE, LOG_SEG_ID, TRANS_ID, WRAP_ID, WRAP_SIZE,
};
use crate::status::StatusBlock;
use crate::text::format_time;

/// Records `show all` visits: the head record (struct id only), then every
/// following record that passes the structural checks, stopping at the
/// first that does not or when the walk comes back to the head.
pub fn show_walk(s: &StatusBlock, v: &LogView<'_>) -> ShowWalk {
    if s.log_empty {
        return ShowWalk::Empty;
    }
    let head = s.log_head;
    let Some(h) = v.header_at(head) else {
        return ShowWalk::HeadDamaged;
    };
    let first = read_record(v, head).unwrap_or(LogRecord {
        at: head,
        header: h,
        kind: if h.struct_id == WRAP_ID {
            RecordKind::Wrap
        } else {
            // Structurally broken head: shown with its header only.
            RecordKind::Transaction(
                crate::record::TransHeader::read(v.bytes, head as usize),
                Vec::new(),
            )
        },
    });
    let mut p = v.next_offset(head, &h);
    let mut out = vec![first];
    for _ in 0..v.num_bytes / WRAP_SIZE + 2 {
        if p == head {
            break;
        }
        let Some(r) = read_record(v, p) else { break };
        p = v.next_offset(p, &r.header);
        out.push(r);
    }
    ShowWalk::Records(out)
}

/// What the `show all` walk found.
#[derive(Clone, Debug)]
pub enum ShowWalk {
    /// The log is empty after tail location.
    Empty,
    /// No record header at the head.
    HeadDamaged,
    /// The records visited, head first.
    Records(Vec<LogRecord>),
}

fn old(s: &StatusBlock, r: &LogRecord) -> bool {
    let h = &r.header;
    (s.first_rec_num != 0 && h.rec_num < s.first_rec_num)
        || h.timestamp < s.prev_trunc
        || h.timestamp > s.last_trunc
}

fn bool5(b: bool) -> &'static str {
    if b {
        " true"
    } else {
        "false"
    }
}

/// Formats one record as rvmutl does (the "R" format of spec §12.2).
pub fn record_text(s: &StatusBlock, v: &LogView<'_>, r: &LogRecord) -> String {
    let mut o = String::new();
    let h = &r.header;
    let kind = match h.struct_id {
        TRANS_ID => "TRANSACTION",
        LOG_SEG_ID => "SEGMENT DICTIONARY ENTRY",
        _ => "WRAP-AROUND MARKER",
    };
    let _ = writeln!(o, "Record number: {:7}     Type: {kind}", h.rec_num);
    let _ = writeln!(o, " ** Record number is out of sequence **");
    o.push('\n');
    let _ = writeln!(
        o,
        "  Timestamp:                 {}{}",
        format_time(h.timestamp),
        if old(s, r) { " (old)" } else { "" }
    );
    let _ = writeln!(
        o,
        "  Record length:   {:11}   Log offset:{:10}",
        h.rec_length, r.at
    );
    match &r.kind {
        RecordKind::Wrap => {}
        RecordKind::LogSeg(seg) => {
            let _ = writeln!(o, "  Segment code:        {:7}", seg.seg_code as u64);
            let _ = writeln!(
                o,
                "  Segment file:            {}",
                String::from_utf8_lossy(&seg.name)
            );
            let _ = writeln!(o, "  Segment length:   {:10}", seg.num_bytes);
        }
        RecordKind::Transaction(t, ranges) => {
            let f = t.flags;
            let _ = writeln!(
                o,
                "  TID:              {:10}, {:010}",
                t.uname.sec as u64, t.uname.usec as u64
            );
            let start = if f & FLAG_RESTORE != 0 {
                "(restore):    "
            } else {
                "(no_restore): "
            };
            let _ = writeln!(o, "  Trans start  {start}{}", format_time(t.uname));
            let commit = if f & FLAG_FLUSH != 0 {
                "(flush):      "
            } else {
                "(no_flush):   "
            };
            let _ = writeln!(o, "  Trans commit {commit}{}", format_time(t.commit_stamp));
            let mut words = String::new();
            for (bit, w) in [
                (FLAG_COALESCE_RANGES, "coalesce_ranges "),
                (FLAG_COALESCE_TRANS, "coalesce_trans "),
                (FLAG_FLUSH_MARK, "flush_mark "),
            ] {
                if f & bit != 0 {
                    words.push_str(w);
                }
            }
            let _ = writeln!(o, "  Flags: {words}");
            if f & FLAG_COALESCE_TRANS != 0 {
                let _ = writeln!(o, "  Trans coalesced:       {:5}", t.n_coalesced);
            }
            let _ = writeln!(
                o,
                "  First record:          {}      Last record:        {}",
                bool5(f & FLAG_FIRST != 0),
                bool5(f & FLAG_LAST != 0)
            );
            let _ = writeln!(
                o,
                "  Number ranges:      {:8}   Tot. rec. length:{:11}",
                t.num_ranges,
                h.rec_length.saturating_add(END_SIZE)
            );
            o.push('\n');
            for x in ranges {
                let rg = &x.range;
                let vm = if rg.vmaddr == 0 {
                    "0".to_string()
                } else {
                    format!("{:#x}", rg.vmaddr)
                };
                let _ = writeln!(
                    o,
                    "  Modification range:  {:7}   Log offset:{:10}",
                    rg.range_num, x.at
                );
                let _ = writeln!(
                    o,
                    "    VM address:     {vm:>10}   Length:     {:5}",
                    rg.length
                );
                let _ = writeln!(
                    o,
                    "    Segment code:          {:3}   Offset:{:10}",
                    rg.seg_code as u64, rg.offset
                );
                let _ = writeln!(
                    o,
                    "    Record length:       {:5}   Back link:  {:5}",
                    rg.header.rec_length, rg.sub_rec_len
                );
            }
            o.push('\n');
            let end_at = r.at.saturating_add(h.rec_length);
            // A record length pointing past the log reads as zeros (the
            // marker offset is clamped so that field offsets cannot overflow).
            let marker_at = end_at.min(v.bytes.len() as u64) as usize;
            let end = crate::record::EndMarker::read(v.bytes, marker_at);
            let _ = writeln!(
                o,
                "  End of record number:{:7}   Log Offset:{:10}",
                end.header.rec_num, end_at
            );
            let _ = writeln!(
                o,
                "    Record length: {:11}   Back link:  {:5}",
                end.header.rec_length, end.sub_rec_len
            );
        }
    }
    o.push('\n');
    o
}

/// The text of rvmutl `show all` (without prompts), on the status after
/// tail location.
pub fn show_all_text(s: &StatusBlock, v: &LogView<'_>) -> String {
    match show_walk(s, v) {
        ShowWalk::Empty => "  Log is empty\n".into(),
        ShowWalk::HeadDamaged => "  Head record damaged\n".into(),
        ShowWalk::Records(recs) => {
            let mut o = String::from("\n");
            for (i, r) in recs.iter().enumerate() {
                o.push_str(&record_text(s, v, r));
                if i == 0 {
                    o.push('\n');
                }
            }
            o
        }
    }
}

/// One range in the `--json` listing.
#[derive(Clone, Debug, Serialize)]
pub struct RangeJson {
    /// Range number.
    pub range_number: u64,
    /// Segment code.
    pub seg_code: i64,
    /// Offset in the data segment.
    pub offset: u64,
    /// Number of bytes.
    pub length: u64,
    /// Virtual address at commit.
    pub vmaddr: u64,
    /// Continuation of a range split at the wrap.
    pub is_split: bool,
}

/// One record in the `--json` listing.
#[derive(Clone, Debug, Serialize)]
pub struct RecordJson {
    /// Record number.
    pub record_number: u64,
    /// "transaction", "log_seg" or "wrap".
    pub kind: &'static str,
    /// Log offset.
    pub offset: u64,
    /// Record timestamp.
    pub timestamp: crate::view::Time,
    /// Bytes of the record (`rec_length`).
    pub record_length: u64,
    /// Transactions: "flush" or "no_flush".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_mode: Option<&'static str>,
    /// Transactions: uname (transaction id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uname: Option<crate::uname::Timeval>,
    /// Transactions: flag bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<u64>,
    /// log_seg: segment code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seg_code: Option<i64>,
    /// log_seg: segment path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_path: Option<String>,
    /// log_seg: segment length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_length: Option<u64>,
    /// Transactions: the ranges.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<RangeJson>,
    /// What recovery does with it: "apply", "skip", "drop", "dictionary",
    /// "wrap" (inside the epoch) or "stale" (outside).
    pub recovery: &'static str,
    /// Why, for skip/drop/stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The records `show all` visits, with what recovery would do to each.
pub fn show_json(
    s: &StatusBlock,
    v: &LogView<'_>,
    scan: &TailScan,
    epoch: Option<&Epoch>,
) -> Vec<RecordJson> {
    let recs = match show_walk(s, v) {
        ShowWalk::Records(r) => r,
        _ => Vec::new(),
    };
    recs.iter()
        .map(|r| {
            let in_epoch = epoch.and_then(|e| e.records.iter().position(|x| x.at == r.at));
            let (recovery, reason) = match (&r.kind, in_epoch) {
                (_, None) => match scan.dropped {
                    Some(d) if d.offset == r.at => (
                        "drop",
                        Some(
                            "committed, but real RVM's piecewise checksum (spec §6.4, quirk Q1) rejects it; it and everything after it are lost unless --rescue"
                                .to_string(),
                        ),
                    ),
                    _ => ("stale", Some("outside the epoch [head, tail): already applied or never committed".into())),
                },
                (RecordKind::Transaction(..), Some(i)) => {
                    match epoch.and_then(|e| e.skipped.iter().find(|(j, _)| *j == i)) {
                        Some((_, Skip::SplitWithoutSecondHalf)) => (
                            "skip",
                            Some("first half of a split transaction whose second half is not in the epoch (spec §9.1)".into()),
                        ),
                        None => {
                            let rescued = scan.rescued.iter().any(|d| d.offset == r.at);
                            if rescued {
                                ("apply", Some("rescued: real RVM drops it (quirk Q1); its writer checksum verifies".into()))
                            } else {
                                ("apply", None)
                            }
                        }
                    }
                }
                (RecordKind::LogSeg(_), Some(_)) => ("dictionary", None),
                (RecordKind::Wrap, Some(_)) => ("wrap", None),
            };
            let mut j = RecordJson {
                record_number: r.header.rec_num,
                kind: "wrap",
                offset: r.at,
                timestamp: r.header.timestamp.into(),
                record_length: r.header.rec_length,
                commit_mode: None,
                uname: None,
                flags: None,
                seg_code: None,
                segment_path: None,
                segment_length: None,
                ranges: Vec::new(),
                recovery,
                reason,
            };
            match &r.kind {
                RecordKind::Wrap => {}
                RecordKind::LogSeg(seg) => {
                    j.kind = "log_seg";
                    j.seg_code = Some(seg.seg_code);
                    j.segment_path = Some(String::from_utf8_lossy(&seg.name).into_owned());
                    j.segment_length = Some(seg.num_bytes);
                }
                RecordKind::Transaction(t, ranges) => {
                    j.kind = "transaction";
                    j.commit_mode = Some(if t.flags & FLAG_FLUSH != 0 { "flush" } else { "no_flush" });
                    j.uname = Some(t.uname);
                    j.flags = Some(t.flags);
                    j.ranges = ranges
                        .iter()
                        .map(|x| RangeJson {
                            range_number: x.range.range_num,
                            seg_code: x.range.seg_code,
                            offset: x.range.offset,
                            length: x.range.length,
                            vmaddr: x.range.vmaddr,
                            is_split: x.range.is_split,
                        })
                        .collect();
                }
            }
            j
        })
        .collect()
}

/// A log opened for `show all`: located as real RVM does, and mapped.
#[derive(Debug)]
pub struct ShowView {
    log: LocatedLog,
    map: memmap2::Mmap,
}

impl ShowView {
    /// Opens `path` read-only (raw layout for block devices or with
    /// `raw`), locates the tail and maps the record area.
    pub fn open(path: &Path, raw: bool) -> Result<Self> {
        let log = LocatedLog::open(path, raw, false, ChecksumRule::Rvm)?;
        let map = log.device.map(log.num_bytes)?;
        Ok(ShowView { log, map })
    }

    fn view(&self) -> LogView<'_> {
        LogView::new(&self.map, self.log.disk.log_start, self.log.num_bytes)
    }

    /// The text of rvmutl `show all` ([`show_all_text`]).
    pub fn text(&self) -> String {
        show_all_text(&self.log.status, &self.view())
    }

    /// The records with what recovery does to each ([`show_json`]).
    pub fn json(&self) -> ShowJson {
        let s = &self.log.status;
        let view = self.view();
        let epoch = Epoch::read(&view, s.log_head, s.log_tail).ok();
        ShowJson {
            log_head: s.log_head,
            log_tail: s.log_tail,
            log_empty: s.log_empty,
            records: show_json(s, &view, &self.log.scan, epoch.as_ref()),
        }
    }
}

/// `show --json`: the epoch bounds after tail location and the records.
#[derive(Clone, Debug, Serialize)]
pub struct ShowJson {
    /// Epoch start.
    pub log_head: u64,
    /// Located tail.
    pub log_tail: u64,
    /// True when head = tail.
    pub log_empty: bool,
    /// The records `show all` visits.
    pub records: Vec<RecordJson>,
}
