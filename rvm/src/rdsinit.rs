//! `rdsinit -f` (spec §8): the RDS data segment and the log records that
//! real rdsinit leaves behind (spec §8.3, §8.3.1).

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::claim::Claim;
use crate::contents::{check_overwrite, Overwrite, Role};
use crate::device::{self, Target};
use crate::error::{Error, Result};
use crate::heap::{HeapLayout, HeapParams};
use crate::in_use::{self, Identity};
use crate::log_device::LogDevice;
use crate::reader::{locate_tail, ChecksumRule, LogView};
use crate::record::{
    encode_transaction, LogSegRecord, NewValues, RecordHeader, FLAG_FIRST, FLAG_FLUSH,
    FLAG_FLUSH_MARK, FLAG_LAST, FLAG_RESTORE, LOG_SEG_ID, TRANS_ID,
};
use crate::segment::PAGE_SIZE;
use crate::status::{range_length_bucket, StatusBlock};
use crate::uname::{Timeval, Uname};

/// Contiguous space RVM wants free before it starts a transaction (§5.4.4).
const MIN_TRANS_SPACE: u64 = 376;
/// Stand-in for the anonymous mmap address of the segment-header page in
/// record #2 (run-dependent in real rdsinit; only page alignment matters).
pub const HEADER_PAGE_VMADDR: u64 = 0x7f00_0000_0000;

/// Options of [`init_data`].
#[derive(Clone, Copy, Debug, Default)]
pub struct InitDataOptions {
    /// Overwrite a data segment that holds data (never one in use), and
    /// discard pending records of the log.
    pub force: bool,
    /// Overwrite only a data target that is all zero or already holds an
    /// RVM segment header (`--replace-rvm`); ignored with `force`.
    pub replace_rvm: bool,
    /// Regular files: leave the zero areas as holes instead of allocating.
    pub sparse: bool,
    /// Make every check, write nothing; the report is what would be made.
    pub dry_run: bool,
    /// Checked during the zero fill: once set, the build stops with
    /// [`Error::Interrupted`] before the segment's header page is written
    /// (so the target holds no valid segment; a file it created is
    /// removed, an older file emptied) and before the log is touched (it
    /// stays a valid empty log).
    pub stop: crate::device::Stop,
}

/// What [`init_data`] did.
#[derive(Clone, Debug)]
pub struct InitDataReport {
    /// The heap layout written.
    pub layout: HeapLayout,
    /// Absolute data path recorded in the log.
    pub data_path: PathBuf,
    /// Size of the data file (datalen rounded up to 4096).
    pub data_size: u64,
    /// Where the four records start in the log.
    pub records_at: u64,
    /// The final log status (head = tail after the records).
    pub status: StatusBlock,
    /// Pending records that were discarded (with `force`).
    pub discarded: bool,
}

/// Builds the data segment like `rdsinit -f LOG DATA …` and leaves LOG as
/// rdsinit does: the four records (§8.3.1) at its tail and an empty status
/// with head = tail after them. Every parameter and both targets are
/// checked before anything is written; the zero fill uses allocation
/// (files) or BLKZEROOUT (block devices); the data is synced before the
/// log, and the status block is written last.
pub fn init_data(
    log_path: &Path,
    data_path: &Path,
    params: &HeapParams,
    opts: InitDataOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<InitDataReport> {
    let layout = params.validate()?;
    let data_size = layout.file_size();

    // The data target, distinct from the log, held until the end.
    if let (Some(a), Some(b)) = (Identity::of_path(data_path), Identity::of_path(log_path)) {
        if in_use::overlaps(a, b) {
            return Err(Error::Target {
                path: data_path.to_path_buf(),
                what: format!("is the log {} itself, or overlaps it", log_path.display()),
                expected: "a data segment distinct from the log".into(),
            });
        }
    }
    let overwrite = Overwrite::from_flags(opts.force, opts.replace_rvm);
    let claim = claim_data_target(data_path, data_size, overwrite)?;
    let block = matches!(claim.target(), Target::Block(_));

    // The log: valid, empty after tail location (or force).
    let log = LogDevice::open(log_path, false, true)?;
    let mut s = log.read_status()?;
    let num_bytes = log.num_bytes(&s)?;
    let mut gen = Uname::now();
    let now = gen.take();
    if s.last_trunc > now {
        return Err(Error::Unrecoverable {
            path: log_path.to_path_buf(),
            what: "the log's last truncation time is in the future: check the system clock".into(),
        });
    }
    let discarded = {
        let map = log.map(num_bytes)?;
        let view = LogView::new(&map, s.log_start, num_bytes);
        locate_tail(&mut s, &view, now, ChecksumRule::Rvm);
        !s.log_empty
    };
    if discarded {
        if !opts.force {
            let used = s.space_used(num_bytes);
            return Err(Error::Refused {
                path: log_path.to_path_buf(),
                reason: format!(
                    "the log holds pending records #{}..#{} ({used} bytes) not yet applied to their data segment; recover it first",
                    s.first_rec_num, s.last_rec_num
                ),
            });
        }
        s.log_head = s.log_tail;
        s.clear(num_bytes);
    }

    // The records.
    let abs = device::absolute(data_path)?;
    let name = abs.as_os_str().as_bytes().to_vec();
    let seg_len = params.datalen & !511;
    let header_page = layout.segment_header().encode();
    let heap_ranges = layout.heap_ranges();
    let ts = Stamps::take(&mut gen);
    let n0 = s.next_rec_num;
    let seg = |rec_num, timestamp| LogSegRecord {
        header: RecordHeader {
            struct_id: LOG_SEG_ID,
            rec_length: 0,
            timestamp,
            rec_num,
        },
        seg_code: 1,
        num_bytes: seg_len,
        name: name.clone(),
    };
    let rec = |rec_num, timestamp| RecordHeader {
        struct_id: TRANS_ID,
        rec_length: 0,
        timestamp,
        rec_num,
    };
    let r1 = seg(n0, ts.ts1).encode();
    let r2 = encode_transaction(
        rec(n0 + 1, ts.ts2),
        ts.uname2,
        ts.t1,
        FLAG_RESTORE | FLAG_FLUSH | FLAG_FIRST | FLAG_LAST | FLAG_FLUSH_MARK,
        &[NewValues {
            offset: 0,
            vmaddr: HEADER_PAGE_VMADDR,
            seg_code: 1,
            data: &header_page,
        }],
    );
    let r3 = seg(n0 + 2, ts.ts3).encode();
    let ranges: Vec<NewValues<'_>> = heap_ranges
        .iter()
        .map(|(addr, bytes)| NewValues {
            offset: layout.file_offset(*addr),
            vmaddr: *addr,
            seg_code: 1,
            data: bytes,
        })
        .collect();
    let r4 = encode_transaction(
        rec(n0 + 3, ts.ts4),
        ts.uname4,
        ts.t2,
        FLAG_RESTORE | FLAG_FIRST | FLAG_LAST | FLAG_FLUSH_MARK,
        &ranges,
    );
    let first_len = (r1.len() + r2.len()) as u64;
    let total = first_len + (r3.len() + r4.len()) as u64;
    let mut at = s.log_tail;
    if at + total + MIN_TRANS_SPACE > num_bytes {
        at = s.log_start;
    }
    if at + total + MIN_TRANS_SPACE > num_bytes {
        return Err(Error::Parameter {
            name: "LOG",
            value: log_path.display().to_string(),
            rule: format!(
                "the log's record area ({} bytes) is too small for rdsinit's records (needs at least {} bytes)",
                s.log_size,
                total + MIN_TRANS_SPACE
            ),
        });
    }

    let end1 = at + first_len;
    let end = at + total;
    final_status(
        &mut s,
        num_bytes,
        at,
        end1,
        end,
        &ts,
        [4096, layout.hdr_len, 32, 8],
    );
    let report = InitDataReport {
        layout,
        data_path: abs,
        data_size,
        records_at: at,
        status: s,
        discarded,
    };
    if opts.dry_run {
        return Ok(report);
    }
    let (layout, s) = (&report.layout, &report.status);

    // Data segment: zero fill, heap bytes, header page last, sync. A stop
    // comes before the header page, the only write that makes it valid.
    device::check_stop(opts.stop, data_path)?;
    let created = claim.target() == Target::Missing;
    let data = claim.into_file(!block)?;
    let filled = (|| {
        if block {
            device::write_at(&data, data_path, &[0u8; PAGE_SIZE as usize], 0)?;
        }
        device::zero_fill(
            &data,
            data_path,
            block,
            0..data_size,
            opts.sparse && !block,
            progress,
            opts.stop,
        )?;
        device::check_stop(opts.stop, data_path)
    })();
    device::interrupted(filled, data_path, &data, created, block)?;
    for (addr, bytes) in &heap_ranges {
        device::write_at(&data, data_path, bytes, layout.file_offset(*addr))?;
    }
    // The header page goes last; one sync covers the fill and all writes
    // (a torn result has no valid heap and the log still says empty).
    device::write_at(&data, data_path, &header_page, 0)?;

    // Log records, then the status block. The data segment is synced on
    // another thread meanwhile: the log is a valid empty log before and
    // after, so its durability does not depend on the data's, and both
    // syncs complete before success is reported.
    let mut bytes = Vec::with_capacity(total as usize + 512);
    for r in [&r1, &r2, &r3, &r4] {
        bytes.extend_from_slice(r);
    }
    let mut write_at = at;
    if log.is_raw() {
        // Whole sectors, as RVM's raw-log buffer writes them: the sector
        // holding the tail keeps its bytes before the tail, and the bytes
        // after the last record up to the sector end are zero (§10).
        let sector = at & !511;
        let mut pre = vec![0u8; (at - sector) as usize];
        device::read_at(log.file(), log_path, &mut pre, sector)?;
        pre.extend_from_slice(&bytes);
        pre.resize(pre.len().div_ceil(512) * 512, 0);
        bytes = pre;
        write_at = sector;
    }
    let (data_synced, log_written) = std::thread::scope(|scope| {
        let syncer = scope.spawn(|| device::sync(&data, data_path));
        // The records are informational (the final status says empty), so
        // the status block's own sync covers them too.
        let log_written = device::write_at(log.file(), log_path, &bytes, write_at)
            .and_then(|()| log.write_status(s));
        let data_synced = syncer.join().unwrap_or_else(|_| {
            Err(Error::io(
                data_path,
                "cannot sync (fdatasync)",
                std::io::Error::other("the sync thread failed"),
            ))
        });
        (data_synced, log_written)
    });
    data_synced?;
    log_written?;
    Ok(report)
}

/// Claims the data target of [`init_data`] (or of a whole `rvm init`,
/// checked before its log is formatted): refuses a target in use, a device
/// smaller than `data_size`, and what `overwrite` does not allow.
pub fn claim_data_target(path: &Path, data_size: u64, overwrite: Overwrite) -> Result<Claim> {
    let claim = Claim::open(path, true)?;
    if let Target::Block(size) = claim.target() {
        if size < data_size {
            return Err(Error::Target {
                path: path.to_path_buf(),
                what: format!("the device holds only {size} bytes"),
                expected: format!("at least {data_size} bytes, the data length rounded up to 4096"),
            });
        }
    }
    check_overwrite(&claim, Role::Data, overwrite, 0..data_size)?;
    Ok(claim)
}

/// The uname sequence of one rdsinit run (§8.3.1).
struct Stamps {
    uname2: Timeval,
    t1: Timeval,
    ts1: Timeval,
    ts2: Timeval,
    uname4: Timeval,
    t2: Timeval,
    ts3: Timeval,
    ts4: Timeval,
    trunc2: Timeval,
    status_write: Timeval,
}

impl Stamps {
    fn take(g: &mut Uname) -> Self {
        let _status_at_open = g.take();
        let uname2 = g.take();
        let t1 = g.take();
        let ts1 = g.take();
        let ts2 = g.take();
        for _ in 0..3 {
            g.take(); // first truncation: last_trunc and two status writes
        }
        let uname4 = g.take();
        let t2 = g.take();
        let ts3 = g.take();
        let ts4 = g.take();
        let trunc2 = g.take();
        g.take();
        g.take();
        let status_write = g.take();
        Stamps {
            uname2,
            t1,
            ts1,
            ts2,
            uname4,
            t2,
            ts3,
            ts4,
            trunc2,
            status_write,
        }
    }
}

/// The status rdsinit leaves (§8.3.1): the open-time recovery of the empty
/// log, two truncations (records [at, end1) then [end1, end)), and the
/// statistics of its two commits and flushes.
fn final_status(
    s: &mut StatusBlock,
    num_bytes: u64,
    at: u64,
    end1: u64,
    end: u64,
    ts: &Stamps,
    lengths: [u64; 4],
) {
    // rvm_initialize: empty epoch (§9.2, no epoch switch).
    s.log_head = at;
    s.log_tail = at;
    s.prev_trunc = s.last_trunc;
    s.clear(num_bytes);
    // Two rvm_truncate calls, each with an epoch switch and a final clear.
    for (head, tail) in [(at, end1), (end1, end)] {
        s.log_head = head;
        s.log_tail = tail;
        s.tot_rvm_truncate += 1;
        s.fold(num_bytes);
        s.prev_log_head = head;
        s.log_head = tail;
        s.prev_log_tail = tail;
        s.clear(num_bytes);
    }
    for h in [
        &mut s.tot_truncation_times,
        &mut s.tot_tree_build_times,
        &mut s.tot_tree_apply_times,
    ] {
        h[0] += 3;
    }
    s.last_truncation_time = 0;
    s.last_tree_build_time = 0;
    s.last_tree_apply_time = 0;
    s.tot_flush_commit += 1;
    s.tot_no_flush_commit += 1;
    s.tot_flush += 3;
    s.tot_rvm_flush += 1;
    s.tot_special += 2;
    s.tot_flush_times[0] += 4;
    for h in [
        &mut s.tot_range_elims,
        &mut s.tot_trans_elims,
        &mut s.tot_trans_coalesces,
    ] {
        h[0] += 2;
    }
    s.tot_range_overlaps[0] += 2;
    s.tot_trans_overlaps[0] += 2;
    for len in lengths {
        s.tot_range_lengths[range_length_bucket(len)] += 1;
    }
    // The flush at rvm_terminate stays in the current epoch.
    s.n_flush = 1;
    s.flush_times[0] = 1;
    s.next_rec_num += 4;
    s.last_trunc = ts.trunc2;
    s.prev_trunc = ts.trunc2;
    s.status_write = ts.status_write;
    s.update_cnt = 100;
    s.valid = true;
    s.log_empty = true;
    s.trunc_state = 0;
    s.flush_state = 0;
    debug_assert_eq!(s.log_head, end);
}
