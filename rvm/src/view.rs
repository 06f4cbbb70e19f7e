//! The `--json` documents of `coda-rs rvm`: designed field names (the
//! README's JSON rules: snake_case, sizes and offsets in bytes, times
//! with their UTC text ([`Time`])), each fact once. `status` ([`StatusJson`]),
//! `recover` ([`RecoverJson`]), `init-log` ([`InitLogJson`]) and
//! `init-data` ([`InitDataJson`]); `show`'s records are in
//! [`crate::show`].

use std::path::Path;

use serde::Serialize;

use crate::heap::HeapParams;
use crate::log_device::{InitLogReport, LocatedLog};
use crate::rdsinit::InitDataReport;
use crate::recover::{DroppedRecordJson, RecoverReport, SegmentReport, SkippedRecord};
use crate::status::{StatusBlock, STATUS_SIZE};
use crate::uname::Timeval;

/// A point in time as RVM stores it, with its text: `{"sec", "usec",
/// "utc"}`, `utc` being `YYYY-MM-DD HH:MM:SS` in UTC ([`human::utc`]), null
/// for the zero value RVM writes for "unset" and for times before 1970 (a
/// hostile log can hold any value). Unames (transaction ids) and
/// durations stay plain [`Timeval`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Time {
    /// Seconds since the Unix epoch.
    pub sec: i64,
    /// Microseconds.
    pub usec: i64,
    /// The same time as text, in UTC.
    pub utc: Option<String>,
}

impl From<Timeval> for Time {
    fn from(t: Timeval) -> Self {
        let utc = if t.is_zero() {
            None
        } else {
            u64::try_from(t.sec).ok().map(human::utc)
        };
        Time {
            sec: t.sec,
            usec: t.usec,
            utc,
        }
    }
}

/// `status --json`: the status block after tail location (what rvmutl
/// `status` prints and the rest of the block under designed names), the
/// pointers as they are on disk, and the statistics.
#[derive(Debug, Serialize)]
pub struct StatusJson {
    /// Absolute log path.
    pub path: String,
    /// Raw-partition layout.
    pub raw: bool,
    /// Offset of the status area (0, or 8192 on a raw partition).
    pub status_offset: u64,
    /// Size of the status area.
    pub status_area_size: u64,
    /// Where the record area starts (`log_start`).
    pub record_area_start: u64,
    /// Size of the record area (`log_size`).
    pub record_area_size: u64,
    /// End of the record area: the bytes the log occupies.
    pub total_log_size: u64,
    /// Bytes held by records (spec §12.1).
    pub space_used: u64,
    /// Record-area bytes not held by records.
    pub space_available: u64,
    /// True when head = tail: nothing to recover.
    pub log_empty: bool,
    /// Start of the epoch (oldest live record).
    pub log_head: u64,
    /// The located tail: end of the last record.
    pub log_tail: u64,
    /// Head before an unfinished truncation (0: none).
    pub prev_log_head: u64,
    /// Tail before an unfinished truncation (0: none).
    pub prev_log_tail: u64,
    /// The pointers as the status block on disk has them, before tail
    /// location.
    pub on_disk: DiskPointers,
    /// Record number of the epoch's first record (0: unknown or empty).
    pub first_record_number: u64,
    /// Number of the last record written (`next_rec_num` − 1, as rvmutl
    /// prints it).
    pub last_record_number: u64,
    /// The status block's own `last_rec_num` (informational).
    pub stored_last_record_number: u64,
    /// When the log was formatted.
    pub created: Time,
    /// When this status was written.
    pub status_written: Time,
    /// Start of the last truncation (epoch switch).
    pub last_truncation: Time,
    /// Start of the truncation before it: records must be newer.
    pub previous_truncation: Time,
    /// Stamp of the epoch's first record (zero when empty).
    pub first_write: Time,
    /// Stamp of the last record written (zero when empty).
    pub last_write: Time,
    /// Commit stamp of the last logged transaction (zero when empty).
    pub last_commit: Time,
    /// When the log last wrapped.
    pub last_wrap: Time,
    /// Transaction id of the epoch's first transaction.
    pub first_uname: Timeval,
    /// Transaction id of the last transaction.
    pub last_uname: Timeval,
    /// The RVM interface version string.
    pub rvm_version: String,
    /// The log version string.
    pub log_version: String,
    /// The statistics version string.
    pub statistics_version: String,
    /// The status block's checksum.
    pub checksum: u64,
    /// The `valid` flag as written (ignored on read).
    pub valid: bool,
    /// Records left until the next status write.
    pub update_count: i64,
    /// Flags of a flush in progress when the status was written.
    pub flush_state: u64,
    /// Flags of a truncation in progress when the status was written.
    pub truncation_state: u64,
    /// RVM's counters: this epoch's and the log's totals.
    pub statistics: Statistics,
}

/// The log pointers as stored, before tail location (spec §6.1).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DiskPointers {
    /// `log_head` on disk.
    pub log_head: u64,
    /// `log_tail` on disk (it may lag the located tail, spec §4.5).
    pub log_tail: u64,
    /// `prev_log_tail` on disk.
    pub prev_log_tail: u64,
}

/// RVM's statistics (spec §4.2, class T: free-form, never validated).
#[derive(Debug, Clone, Serialize)]
pub struct Statistics {
    /// Counters of the current epoch.
    pub epoch: EpochStatistics,
    /// Counters since the log was formatted.
    pub total: TotalStatistics,
}

/// The current epoch's counters (`n_*` and the histograms after them).
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)] // spec §4.2, one line each
pub struct EpochStatistics {
    pub aborts: u64,
    pub flush_commits: u64,
    pub no_flush_commits: u64,
    pub splits: u64,
    pub truncation_waits: u64,
    pub flushes: u64,
    pub rvm_flushes: u64,
    pub specials: u64,
    pub range_overlap_bytes: u64,
    pub transaction_overlap_bytes: u64,
    pub range_eliminations: u64,
    pub transaction_eliminations: u64,
    pub transactions_coalesced: u64,
    /// Time spent flushing (a duration).
    pub flush_time: Timeval,
    pub last_flush_ms: u64,
    pub last_truncation_seconds: u64,
    pub last_tree_build_seconds: u64,
    pub last_tree_apply_seconds: u64,
    pub histograms: Histograms,
}

/// The histograms the epoch and the totals both keep (spec §4.2).
#[derive(Debug, Clone, Serialize)]
pub struct Histograms {
    /// Flush times: buckets ≤25, 50, 100, 250, 500, 1000, 2500, 5000,
    /// 10000, > ms.
    pub flush_ms: [u64; 10],
    /// Range lengths: buckets ≤0, 4, 8, …, 4096, > bytes.
    pub range_lengths: [u64; 13],
    /// Ranges eliminated per transaction: buckets ≤0, 5, 10, 50, 100, >.
    pub range_eliminations: [u64; 6],
    /// Transactions eliminated: the same buckets.
    pub transaction_eliminations: [u64; 6],
    /// Overlapping ranges: the range-length buckets.
    pub range_overlaps: [u64; 13],
    /// Overlapping transactions: the range-length buckets.
    pub transaction_overlaps: [u64; 13],
}

/// The counters since the log was formatted (`tot_*`).
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)] // spec §4.2, one line each
pub struct TotalStatistics {
    pub aborts: u64,
    pub flush_commits: u64,
    pub no_flush_commits: u64,
    pub splits: u64,
    pub flushes: u64,
    pub rvm_flushes: u64,
    pub specials: u64,
    pub wraps: u64,
    pub log_dev_max_percent: u64,
    pub log_written_bytes: u64,
    pub range_overlap_bytes: u64,
    pub transaction_overlap_bytes: u64,
    pub range_eliminations: u64,
    pub transaction_eliminations: u64,
    pub transactions_coalesced: u64,
    pub rvm_truncations: u64,
    pub async_truncations: u64,
    pub sync_truncations: u64,
    pub truncation_waits: u64,
    pub recoveries: u64,
    /// Time spent flushing (a duration).
    pub flush_time: Timeval,
    /// Time spent truncating (a duration).
    pub truncation_time: Timeval,
    /// Buckets ≤1, 10, 100, 500, > s.
    pub tree_build_seconds_histogram: [u64; 5],
    pub tree_apply_seconds_histogram: [u64; 5],
    pub truncation_seconds_histogram: [u64; 5],
    pub transaction_coalesce_histogram: [u64; 6],
    pub histograms: Histograms,
}

impl Statistics {
    /// The counters of `s`.
    pub fn new(s: &StatusBlock) -> Self {
        Statistics {
            epoch: EpochStatistics {
                aborts: s.n_abort,
                flush_commits: s.n_flush_commit,
                no_flush_commits: s.n_no_flush_commit,
                splits: s.n_split,
                truncation_waits: s.n_truncation_wait,
                flushes: s.n_flush,
                rvm_flushes: s.n_rvm_flush,
                specials: s.n_special,
                range_overlap_bytes: s.range_overlap,
                transaction_overlap_bytes: s.trans_overlap,
                range_eliminations: s.n_range_elim,
                transaction_eliminations: s.n_trans_elim,
                transactions_coalesced: s.n_trans_coalesced,
                flush_time: s.flush_time,
                last_flush_ms: s.last_flush_time,
                last_truncation_seconds: s.last_truncation_time,
                last_tree_build_seconds: s.last_tree_build_time,
                last_tree_apply_seconds: s.last_tree_apply_time,
                histograms: Histograms {
                    flush_ms: s.flush_times,
                    range_lengths: s.range_lengths,
                    range_eliminations: s.range_elims,
                    transaction_eliminations: s.trans_elims,
                    range_overlaps: s.range_overlaps,
                    transaction_overlaps: s.trans_overlaps,
                },
            },
            total: TotalStatistics {
                aborts: s.tot_abort,
                flush_commits: s.tot_flush_commit,
                no_flush_commits: s.tot_no_flush_commit,
                splits: s.tot_split,
                flushes: s.tot_flush,
                rvm_flushes: s.tot_rvm_flush,
                specials: s.tot_special,
                wraps: s.tot_wrap,
                log_dev_max_percent: s.log_dev_max,
                log_written_bytes: s.tot_log_written,
                range_overlap_bytes: s.tot_range_overlap,
                transaction_overlap_bytes: s.tot_trans_overlap,
                range_eliminations: s.tot_range_elim,
                transaction_eliminations: s.tot_trans_elim,
                transactions_coalesced: s.tot_trans_coalesced,
                rvm_truncations: s.tot_rvm_truncate,
                async_truncations: s.tot_async_truncation,
                sync_truncations: s.tot_sync_truncation,
                truncation_waits: s.tot_truncation_wait,
                recoveries: s.tot_recovery,
                flush_time: s.tot_flush_time,
                truncation_time: s.tot_truncation_time,
                tree_build_seconds_histogram: s.tot_tree_build_times,
                tree_apply_seconds_histogram: s.tot_tree_apply_times,
                truncation_seconds_histogram: s.tot_truncation_times,
                transaction_coalesce_histogram: s.tot_trans_coalesces,
                histograms: Histograms {
                    flush_ms: s.tot_flush_times,
                    range_lengths: s.tot_range_lengths,
                    range_eliminations: s.tot_range_elims,
                    transaction_eliminations: s.tot_trans_elims,
                    range_overlaps: s.tot_range_overlaps,
                    transaction_overlaps: s.tot_trans_overlaps,
                },
            },
        }
    }
}

impl StatusJson {
    /// The document of `log` (located), whose absolute path is `path`.
    pub fn new(log: &LocatedLog, path: &str) -> Self {
        let s = &log.status;
        let used = s.space_used(log.num_bytes);
        StatusJson {
            path: path.to_string(),
            raw: log.device.is_raw(),
            status_offset: log.device.status_offset(),
            status_area_size: STATUS_SIZE as u64,
            record_area_start: s.log_start,
            record_area_size: s.log_size,
            total_log_size: log.num_bytes,
            space_used: used,
            space_available: s.log_size.wrapping_sub(used),
            log_empty: s.log_empty,
            log_head: s.log_head,
            log_tail: s.log_tail,
            prev_log_head: s.prev_log_head,
            prev_log_tail: s.prev_log_tail,
            on_disk: DiskPointers {
                log_head: log.disk.log_head,
                log_tail: log.disk.log_tail,
                prev_log_tail: log.disk.prev_log_tail,
            },
            first_record_number: s.first_rec_num,
            last_record_number: s.next_rec_num.wrapping_sub(1),
            stored_last_record_number: s.last_rec_num,
            created: s.status_init.into(),
            status_written: s.status_write.into(),
            last_truncation: s.last_trunc.into(),
            previous_truncation: s.prev_trunc.into(),
            first_write: s.first_write.into(),
            last_write: s.last_write.into(),
            last_commit: s.last_commit.into(),
            last_wrap: s.wrap_time.into(),
            first_uname: s.first_uname,
            last_uname: s.last_uname,
            rvm_version: s.version.clone(),
            log_version: s.log_version.clone(),
            statistics_version: s.statistics_version.clone(),
            checksum: s.chk_sum,
            valid: s.valid,
            update_count: s.update_cnt,
            flush_state: s.flush_state,
            truncation_state: s.trunc_state,
            statistics: Statistics::new(s),
        }
    }
}

/// `recover --json`: the epoch, what was applied (or, in a dry run, would
/// be), what was not and why, and the truncation that ends it. A dry run
/// reports what it would do: no state it did not reach.
#[derive(Debug, Serialize)]
pub struct RecoverJson<'a> {
    /// The log, as named on the command line.
    pub path: String,
    /// Nothing was written.
    pub dry_run: bool,
    /// Start of the epoch recovered.
    pub log_head: u64,
    /// The located tail: end of the epoch.
    pub log_tail: u64,
    /// Record numbers of the transactions applied (would be, in a dry
    /// run), in order.
    pub applied: &'a [u64],
    /// Transactions of the epoch not applied.
    pub skipped: &'a [SkippedRecord],
    /// The committed transaction real RVM drops by quirk Q1 (default
    /// mode): it and everything after it are not applied.
    pub dropped: Option<DroppedRecordJson>,
    /// Transactions applied only thanks to `--rescue`.
    pub rescued: &'a [DroppedRecordJson],
    /// Data segments touched.
    pub segments: &'a [SegmentReport],
    /// The truncation that empties the log: written, or in a dry run the
    /// one a real run would write.
    pub truncation: Truncation,
    /// Wall-clock time.
    pub seconds: f64,
}

/// The log pointers a recovery leaves (spec §9.2): head = tail.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Truncation {
    /// Head after the truncation.
    pub log_head: u64,
    /// Tail after the truncation (= head).
    pub log_tail: u64,
    /// The number the next record gets.
    pub next_record_number: u64,
}

impl<'a> RecoverJson<'a> {
    /// The document of `r`, a recovery of the log `path` that took
    /// `seconds`.
    pub fn new(r: &'a RecoverReport, path: &Path, seconds: f64) -> Self {
        RecoverJson {
            path: path.display().to_string(),
            dry_run: r.dry_run,
            log_head: r.head,
            log_tail: r.tail,
            applied: &r.applied,
            skipped: &r.skipped,
            dropped: r.dropped,
            rescued: &r.rescued,
            segments: &r.segments,
            // Spec §9.2: the epoch switch moves the head to the located
            // tail, in a dry run as in a real one; the record numbers go on.
            truncation: Truncation {
                log_head: r.tail,
                log_tail: r.tail,
                next_record_number: r.status.next_rec_num,
            },
            seconds,
        }
    }
}

/// `init-log --json`: the log formatted.
#[derive(Debug, Serialize)]
pub struct InitLogJson {
    /// The log, as named on the command line.
    pub path: String,
    /// Raw-partition layout.
    pub raw: bool,
    /// Offset of the status area.
    pub status_offset: u64,
    /// Where the record area starts.
    pub record_area_start: u64,
    /// Size of the record area.
    pub record_area_size: u64,
    /// End of the record area: the bytes the log occupies.
    pub total_log_size: u64,
    /// The creation stamp written.
    pub created: Time,
    /// Wall-clock time.
    pub seconds: f64,
}

impl InitLogJson {
    /// The document of `r`, the formatting of `path` that took `seconds`.
    pub fn new(r: &InitLogReport, path: &Path, seconds: f64) -> Self {
        InitLogJson {
            path: path.display().to_string(),
            raw: r.raw,
            status_offset: if r.raw {
                crate::status::RAW_RESERVED
            } else {
                0
            },
            record_area_start: r.status.log_start,
            record_area_size: r.status.log_size,
            total_log_size: r.total,
            created: r.status.status_init.into(),
            seconds,
        }
    }
}

/// `init-data --json`: the data segment built and the log left behind.
#[derive(Debug, Serialize)]
pub struct InitDataJson {
    /// The log, as named on the command line.
    pub log: String,
    /// The data segment's absolute path, as recorded in the log.
    pub data: String,
    /// Size of the data segment (DATALEN rounded up to a page).
    pub data_size: u64,
    /// The heap's virtual address (SADDR).
    pub heap_address: u64,
    /// [`InitDataJson::heap_address`] in hex, as rdsinit prints it.
    pub heap_address_hex: String,
    /// Heap length (HEAPLEN).
    pub heap_size: u64,
    /// Statics length (STATICLEN).
    pub static_size: u64,
    /// Free lists (NLISTS).
    pub free_lists: u64,
    /// Chunk size (CHUNK).
    pub chunk_size: u64,
    /// Free chunks in the heap's one free block.
    pub free_chunks: u64,
    /// Where rdsinit's records start in the log.
    pub records_at: u64,
    /// Head = tail after the records.
    pub log_tail: u64,
    /// Pending log records were discarded (`--force`).
    pub discarded: bool,
    /// Wall-clock time.
    pub seconds: f64,
}

impl InitDataJson {
    /// The document of `r`, built with `p` into the log `log` in `seconds`.
    pub fn new(r: &InitDataReport, p: &HeapParams, log: &Path, seconds: f64) -> Self {
        InitDataJson {
            log: log.display().to_string(),
            data: r.data_path.display().to_string(),
            data_size: r.data_size,
            heap_address: p.saddr,
            heap_address_hex: format!("{:x}", p.saddr),
            heap_size: p.heaplen,
            static_size: p.staticlen,
            free_lists: p.nlists,
            chunk_size: p.chunk,
            free_chunks: r.layout.n_chunks,
            records_at: r.records_at,
            log_tail: r.status.log_tail,
            discarded: r.discarded,
            seconds,
        }
    }
}
