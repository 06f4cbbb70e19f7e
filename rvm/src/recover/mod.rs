//! Recovery: apply the epoch to the data segments and truncate the log,
//! exactly as `rvmutl recover` does (spec §9.1, §9.2), with the
//! extensions of coda-rs (path overrides, dry run, rescue of quirk-Q1
//! records, recovery of quirk-Q2 logs when the segment is named).

use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::claim::Claim;
use crate::device::{self, Target};
use crate::epoch::{all_log_segs, Epoch, RecordKind, Skip};
use crate::error::{Error, Result};
use crate::in_use::{self, Identity};
use crate::log_device::LocatedLog;
use crate::reader::{locate_tail, ChecksumRule, LogView};
use crate::record::LogSegRecord;
use crate::segment::PAGE_SIZE;
use crate::status::{add_tv, StatusBlock};
use crate::uname::{Timeval, Uname};

mod report;

pub use report::{DroppedRecordJson, RecoverReport, SegmentReport, SkippedRecord};

/// Points where a test can make [`recover`] stop as if the process died.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortPoint {
    /// After the epoch-switch status write, before any data byte.
    AfterEpochSwitch,
    /// After the data is written and synced, before the final status.
    AfterApply,
}

/// Options of [`recover`].
#[derive(Clone, Debug, Default)]
pub struct RecoverOptions {
    /// Read a raw-partition image stored in a regular file.
    pub raw: bool,
    /// Use this data segment instead of the recorded path (logs with one
    /// segment; also names the segment when the epoch lacks its log_seg).
    pub data: Option<PathBuf>,
    /// Replace recorded segment paths: (recorded, replacement).
    pub map: Vec<(PathBuf, PathBuf)>,
    /// Report only; write nothing.
    pub dry_run: bool,
    /// Apply even to a target that is not an RVM data segment (never to
    /// one in use).
    pub force: bool,
    /// Accept transactions real RVM drops by quirk Q1 when their writer
    /// checksum verifies (spec §6.4).
    pub rescue: bool,
    /// Test hook: stop at this point with an error.
    pub abort_at: Option<AbortPoint>,
}

fn histogram_bucket(secs: u64) -> usize {
    match secs {
        0..=1 => 0,
        2..=10 => 1,
        11..=100 => 2,
        101..=500 => 3,
        _ => 4,
    }
}

fn round_secs(micros: u128) -> u64 {
    ((micros + 500_000) / 1_000_000) as u64
}

struct Segment {
    report: SegmentReport,
    len: u64,
    identity: Option<Identity>,
    /// The claimed descriptor (block devices held `O_EXCL`) used for the
    /// whole apply.
    file: File,
}

/// A data segment opened for recovery, before it is checked.
struct OpenedSegment {
    file: File,
    identity: Option<Identity>,
    /// Effective length (spec §9.1 item 4).
    len: u64,
    /// Its first page (shorter if the segment is).
    page: Vec<u8>,
}

/// Claims the segment at `path` for recovery: refuses the log itself, a
/// target in use (even with `force`) and a missing one; reads its first
/// page.
fn open_segment(
    path: &Path,
    code: i64,
    recorded: Option<&LogSegRecord>,
    log: &LocatedLog,
    opts: &RecoverOptions,
) -> Result<OpenedSegment> {
    let overlap = match (Identity::of_path(path), log.device.identity()?) {
        (Some(a), Some(b)) => in_use::overlaps(a, b),
        _ => false,
    };
    if overlap {
        return Err(Error::InUse {
            path: path.to_path_buf(),
            what: format!("is the log being recovered, or overlaps it (segment code {code})"),
        });
    }
    let claim = Claim::open(path, !opts.dry_run)?;
    let len = match claim.target() {
        Target::File(n) => n & !511,
        Target::Block(n) => recorded.map_or(n, |r| r.num_bytes.min(n)) & !511,
        Target::Missing => {
            return Err(Error::Target {
                path: path.to_path_buf(),
                what: format!("data segment (code {code}) does not exist"),
                expected: "the data segment recorded in the log; redirect with --data or --map"
                    .into(),
            })
        }
    };
    let identity = claim.identity();
    let file = claim.into_file(false)?;
    let mut page = vec![0u8; len.min(PAGE_SIZE) as usize];
    device::read_at(&file, path, &mut page, 0)?;
    Ok(OpenedSegment {
        file,
        identity,
        len,
        page,
    })
}

/// True if applying the epoch writes a valid segment header (spec §7.1,
/// regions inside the segment) over the whole header of segment `code`'s
/// first page: an interrupted `init-data`, whose header page is still in
/// the log.
fn epoch_makes_header(epoch: &Epoch, view: &LogView<'_>, code: i64, seg: &OpenedSegment) -> bool {
    let mut page = seg.page.clone();
    page.resize(PAGE_SIZE as usize, 0);
    let mut covered = vec![false; PAGE_SIZE as usize];
    for (_, r) in epoch.ranges() {
        let g = &r.range;
        if g.seg_code != code || g.offset_high != 0 || g.offset >= PAGE_SIZE {
            continue;
        }
        let data = r.data(view.bytes);
        let n = data.len().min((PAGE_SIZE - g.offset) as usize);
        let at = g.offset as usize;
        page[at..at + n].copy_from_slice(&data[..n]);
        covered[at..at + n].iter_mut().for_each(|c| *c = true);
    }
    match crate::segment::check_real(&page, seg.len) {
        Ok(h) => covered[..144 + 32 * h.regions.len()].iter().all(|&c| c),
        Err(_) => false,
    }
}

/// Recovers the log at `path` (spec §9): locates the tail twice as rvmutl
/// does, validates the whole epoch and opens every segment before writing
/// anything, writes the epoch-switch status, applies the ranges (synced),
/// then writes the final, empty status.
pub fn recover(path: &Path, opts: &RecoverOptions) -> Result<RecoverReport> {
    let start = Instant::now();
    let rule = if opts.rescue {
        ChecksumRule::Writer
    } else {
        ChecksumRule::Rvm
    };
    let log = LocatedLog::open(path, opts.raw, !opts.dry_run, rule)?;
    let num_bytes = log.num_bytes;
    let map = log.device.map(num_bytes)?;
    let view = LogView::new(&map, log.disk.log_start, num_bytes);
    let mut gen = Uname::now();
    gen.raise(log.status.last_trunc.plus_usec(1));
    // Second §6 pass, inside `recover` (§9.2 step 1).
    let mut s = log.status.clone();
    s.trunc_state = 8 | 64;
    locate_tail(&mut s, &view, gen.take(), rule);
    let (head, tail) = (s.log_head, s.log_tail);
    let epoch = Epoch::read(&view, head, tail).map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        offset: e.at,
        what: e.what,
        expected: "the records between head and tail to be intact (real RVM would abort here)"
            .into(),
    })?;

    // Resolve and open every segment the epoch changes.
    let codes = epoch.used_segments();
    if opts.data.is_some() && codes.len() > 1 {
        return Err(Error::Parameter {
            name: "--data",
            value: opts.data.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            rule: format!(
                "the epoch changes {} segments (codes {codes:?}); name each with --map RECORDED=NEW",
                codes.len()
            ),
        });
    }
    let mut segments = Vec::new();
    for &code in &codes {
        let recorded = epoch.dictionary.get(&code);
        let recorded_path = recorded.map(|r| String::from_utf8_lossy(&r.name).into_owned());
        let target_path = match (&opts.data, recorded) {
            (Some(d), _) => d.clone(),
            (None, Some(r)) => {
                let rec = PathBuf::from(std::ffi::OsStr::from_bytes(&r.name));
                opts.map
                    .iter()
                    .find(|(old, _)| *old == rec)
                    .map(|(_, new)| new.clone())
                    .unwrap_or(rec)
            }
            (None, None) => return Err(q2_error(path, &view, &epoch, code, head)),
        };
        let opened = open_segment(&target_path, code, recorded, &log, opts)?;
        if let Some(other) = segments
            .iter()
            .find(|g: &&Segment| g.identity == opened.identity)
        {
            return Err(Error::Target {
                path: target_path,
                what: format!(
                    "is named by segment codes {} and {code}",
                    other.report.seg_code
                ),
                expected: "one data segment per segment code".into(),
            });
        }
        if let Err(found) = crate::segment::check_real(&opened.page, opened.len) {
            if !opts.force && !epoch_makes_header(&epoch, &view, code, &opened) {
                return Err(Error::Refused {
                    path: target_path,
                    reason: format!(
                        "is not an RVM data segment: {found}, and the log's epoch does not write a segment header at byte 0 either (it holds ranges for segment code {code})"
                    ),
                });
            }
        }
        segments.push(Segment {
            report: SegmentReport {
                seg_code: code,
                recorded_path,
                path: target_path,
                ranges: 0,
                bytes: 0,
                bytes_changed: 0,
            },
            len: opened.len,
            identity: opened.identity,
            file: opened.file,
        });
    }
    for (rec, r) in epoch.ranges() {
        if r.range.length == 0 {
            continue;
        }
        let Some(seg) = segments
            .iter_mut()
            .find(|g| g.report.seg_code == r.range.seg_code)
        else {
            continue;
        };
        let end = r.range.offset.checked_add(r.range.length);
        let sector_end = end.map(|e| e.div_ceil(512) * 512);
        if r.range.offset_high != 0 || sector_end.is_none_or(|e| e > seg.len) {
            return Err(Error::Corrupt {
                path: path.to_path_buf(),
                offset: r.at,
                what: format!(
                    "record #{} range {} writes [{}, +{}) beyond the {}-byte segment {}",
                    rec.header.rec_num,
                    r.range.range_num,
                    r.range.offset,
                    r.range.length,
                    seg.len,
                    seg.report.path.display()
                ),
                expected: "ranges inside the data segment (real RVM would abort)".into(),
            });
        }
        seg.report.ranges += 1;
        seg.report.bytes += r.range.length;
    }

    let mut report = RecoverReport {
        dry_run: opts.dry_run,
        head,
        tail,
        applied: epoch
            .apply
            .iter()
            .map(|&i| epoch.records[i].header.rec_num)
            .collect(),
        skipped: epoch
            .skipped
            .iter()
            .map(|(i, why)| SkippedRecord {
                rec_num: epoch.records[*i].header.rec_num,
                offset: epoch.records[*i].at,
                reason: match why {
                    Skip::SplitWithoutSecondHalf => {
                        "first half of a split transaction whose second half is not in the epoch"
                            .into()
                    }
                },
            })
            .collect(),
        dropped: log.scan.dropped.map(Into::into),
        rescued: log.scan.rescued.iter().map(|&d| d.into()).collect(),
        segments: Vec::new(),
        status: s.clone(),
    };

    for seg in &mut segments {
        seg.report.bytes_changed = bytes_changed(
            &seg.file,
            &seg.report.path,
            &epoch,
            &view,
            seg.report.seg_code,
        )?;
    }
    if opts.dry_run {
        report.segments = segments.into_iter().map(|g| g.report).collect();
        finish_status(&mut s, num_bytes, head != tail, &mut gen, start, 0);
        report.status = s;
        return Ok(report);
    }

    // Epoch switch (§9.2 step 2).
    if head != tail {
        s.tot_recovery += 1;
        s.fold(num_bytes);
        s.prev_log_head = head;
        s.log_head = tail;
        s.prev_log_tail = tail;
        s.last_rec_num = s.next_rec_num.wrapping_sub(1);
        s.last_trunc = gen.take();
        s.trunc_state = 72;
        s.status_write = gen.take();
        log.device.write_status(&s)?;
    }
    if opts.abort_at == Some(AbortPoint::AfterEpochSwitch) {
        return Err(aborted(path));
    }

    // Apply (§9.1), one mapping per segment, synced.
    let apply_start = Instant::now();
    for seg in &mut segments {
        let f = &seg.file;
        // Every range was checked to lie inside `seg.len` (at most the
        // file or device length) above.
        let mut mem = crate::sys::mmap_write(f, seg.len)
            .map_err(|e| Error::io(&seg.report.path, "cannot map the data segment", e))?;
        for (_, r) in epoch
            .ranges()
            .filter(|(_, r)| r.range.seg_code == seg.report.seg_code)
        {
            let new = r.data(view.bytes);
            let at = r.range.offset as usize;
            mem[at..at + new.len()].copy_from_slice(new);
        }
        mem.flush()
            .map_err(|e| Error::io(&seg.report.path, "cannot write the data segment (msync)", e))?;
        drop(mem);
        device::sync(f, &seg.report.path)?;
    }
    let apply_micros = apply_start.elapsed().as_micros();
    if opts.abort_at == Some(AbortPoint::AfterApply) {
        return Err(aborted(path));
    }

    // Final update (§9.2 step 4).
    finish_status(
        &mut s,
        num_bytes,
        head != tail,
        &mut gen,
        start,
        apply_micros,
    );
    log.device.write_status(&s)?;
    report.segments = segments.into_iter().map(|g| g.report).collect();
    report.status = s;
    Ok(report)
}

/// Number of distinct bytes of segment `code` whose value the epoch
/// changes: the ranges are replayed onto copies of the touched intervals.
fn bytes_changed(
    f: &File,
    path: &Path,
    epoch: &Epoch,
    view: &LogView<'_>,
    code: i64,
) -> Result<u64> {
    let mut spans: Vec<(u64, u64)> = epoch
        .ranges()
        .filter(|(_, r)| r.range.seg_code == code && r.range.length > 0)
        .map(|(_, r)| (r.range.offset, r.range.offset + r.range.length))
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let mut old = Vec::with_capacity(merged.len());
    for &(a, b) in &merged {
        let mut buf = vec![0u8; (b - a) as usize];
        device::read_at(f, path, &mut buf, a)?;
        old.push(buf);
    }
    let mut new = old.clone();
    for (_, r) in epoch
        .ranges()
        .filter(|(_, r)| r.range.seg_code == code && r.range.length > 0)
    {
        let i = merged.partition_point(|&(_, b)| b <= r.range.offset);
        let at = (r.range.offset - merged[i].0) as usize;
        let data = r.data(view.bytes);
        new[i][at..at + data.len()].copy_from_slice(data);
    }
    Ok(old
        .iter()
        .zip(&new)
        .map(|(o, n)| o.iter().zip(n).filter(|(a, b)| a != b).count() as u64)
        .sum())
}

fn finish_status(
    s: &mut StatusBlock,
    num_bytes: u64,
    switched: bool,
    gen: &mut Uname,
    start: Instant,
    apply: u128,
) {
    if !switched {
        s.log_empty = true;
    }
    s.prev_trunc = s.last_trunc;
    s.clear(num_bytes);
    let total = start.elapsed().as_micros();
    let micros = i64::try_from(total).unwrap_or(i64::MAX);
    s.tot_truncation_time = add_tv(s.tot_truncation_time, Timeval::new(0, 0).plus_usec(micros));
    s.last_truncation_time = round_secs(total);
    s.last_tree_build_time = 0;
    s.last_tree_apply_time = round_secs(apply);
    s.tot_truncation_times[histogram_bucket(s.last_truncation_time)] += 1;
    s.tot_tree_build_times[histogram_bucket(s.last_tree_build_time)] += 1;
    s.tot_tree_apply_times[histogram_bucket(s.last_tree_apply_time)] += 1;
    s.trunc_state = 512 | 8;
    s.status_write = gen.take();
}

fn aborted(path: &Path) -> Error {
    Error::Unrecoverable {
        path: path.to_path_buf(),
        what: "recovery stopped by the test hook".into(),
    }
}

/// The quirk-Q2 error: a segment code with changes but no log_seg record in
/// the epoch; names any path recorded for that code elsewhere in the log.
fn q2_error(path: &Path, v: &LogView<'_>, epoch: &Epoch, code: i64, head: u64) -> Error {
    let first = epoch
        .ranges()
        .find(|(_, r)| r.range.seg_code == code)
        .map(|(rec, _)| rec.header.rec_num)
        .unwrap_or(0);
    let mut hint = String::new();
    let mut seen: Vec<String> = Vec::new();
    for r in all_log_segs(v) {
        if let RecordKind::LogSeg(seg) = &r.kind {
            let name = String::from_utf8_lossy(&seg.name).into_owned();
            if seg.seg_code == code && !seen.contains(&name) {
                seen.push(name);
            }
        }
    }
    if !seen.is_empty() {
        hint = format!(
            "; older records of this log name segment code {code} as {}",
            seen.join(", ")
        );
    }
    Error::Unrecoverable {
        path: path.to_path_buf(),
        what: format!(
            "the epoch starting at {head} changes segment code {code} (first in record #{first}) but holds no segment dictionary record for it: real RVM cannot recover this log (spec §5.5 quirk Q2; rvmutl fails with \"I/O error from (null) in recovery: 14\" and the server does not start). Nothing was written. Name the data segment with --data PATH to recover it{hint}"
        ),
    }
}
