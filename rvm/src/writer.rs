//! A minimal log writer (spec §5.7): appends log_seg records and
//! transactions at the tail, wraps with a wrap marker and 0xFF filler, and
//! rewrites the status block as RVM does (every 100 records and after each
//! wrap). It never splits a transaction across the wrap: a record that does
//! not fit before the end of the area is written after a wrap instead.
//! Used by tests, benchmarks and drills to make logs with pending records.

use crate::error::{Error, Result};
use crate::log_device::{LocatedLog, LogDevice};
use crate::reader::ChecksumRule;
use crate::record::{
    encode_transaction, encode_wrap, LogSegRecord, NewValues, RecordHeader, FLAG_FIRST, FLAG_FLUSH,
    FLAG_LAST, FLAG_RESTORE, LOG_SEG_ID, RANGE_HEADER_SIZE, TRANS_ID, WRAP_SIZE,
};
use crate::status::StatusBlock;
use crate::uname::{Timeval, Uname};
use std::path::Path;

/// Records between two status writes (spec §4.5).
const STATUS_EVERY: u32 = 100;

/// Appends records to a log.
#[derive(Debug)]
pub struct LogWriter {
    device: LogDevice,
    status: StatusBlock,
    num_bytes: u64,
    tail: u64,
    gen: Uname,
    since_status: u32,
}

impl LogWriter {
    /// Opens a log for appending after its located tail (spec §6).
    pub fn open(path: &Path) -> Result<Self> {
        let log = LocatedLog::open(path, false, true, ChecksumRule::Rvm)?;
        let mut gen = Uname::now();
        let s = &log.status;
        for t in [s.last_trunc, s.last_write, s.status_write, s.last_commit] {
            gen.raise(t.plus_usec(1));
        }
        Ok(LogWriter {
            tail: log.status.log_tail,
            status: log.status,
            num_bytes: log.num_bytes,
            device: log.device,
            gen,
            since_status: 0,
        })
    }

    /// The in-memory status (log_tail as of the last status write).
    pub fn status(&self) -> &StatusBlock {
        &self.status
    }

    /// Offset where the next record goes.
    pub fn tail(&self) -> u64 {
        self.tail
    }

    /// Appends a log_seg record mapping `seg_code` to `path` (absolute).
    pub fn log_seg(&mut self, seg_code: i64, path: &[u8], num_bytes: u64) -> Result<u64> {
        let rec_num = self.status.next_rec_num;
        let ts = self.gen.take();
        let bytes = LogSegRecord {
            header: RecordHeader {
                struct_id: LOG_SEG_ID,
                rec_length: 0,
                timestamp: ts,
                rec_num,
            },
            seg_code,
            num_bytes,
            name: path.to_vec(),
        }
        .encode();
        self.append(bytes, ts, None)?;
        Ok(rec_num)
    }

    /// Appends one committed transaction (restore mode; `flush` = flush
    /// commit). Returns its record number.
    pub fn transaction(&mut self, ranges: &[NewValues<'_>], flush: bool) -> Result<u64> {
        self.gen.raise(Timeval::now());
        let uname = self.gen.take();
        let commit = self.gen.take();
        let mut flags = FLAG_RESTORE | FLAG_FIRST | FLAG_LAST;
        if flush {
            flags |= FLAG_FLUSH;
        }
        let size: u64 = ranges
            .iter()
            .map(|r| RANGE_HEADER_SIZE + (r.offset % 8 + r.data.len() as u64).div_ceil(8) * 8)
            .sum::<u64>()
            + 152;
        if size + 376 > self.status.log_size {
            return Err(Error::Parameter {
                name: "transaction",
                value: format!("{size} bytes"),
                rule: format!(
                    "too big for a {}-byte log (spec §5.4.4)",
                    self.status.log_size
                ),
            });
        }
        // Place first (the wrap, if any, takes a record number).
        self.make_room(size)?;
        let rec_num = self.status.next_rec_num;
        let ts = self.gen.take();
        let header = RecordHeader {
            struct_id: TRANS_ID,
            rec_length: 0,
            timestamp: ts,
            rec_num,
        };
        let bytes = encode_transaction(header, uname, commit, flags, ranges);
        self.append(bytes, ts, Some((uname, commit)))?;
        Ok(rec_num)
    }

    /// Contiguous bytes available at the tail (spec §5.7).
    fn room(&self) -> u64 {
        let s = &self.status;
        let head = if s.prev_log_head != 0 {
            s.prev_log_head
        } else {
            s.log_head
        };
        if self.tail >= head {
            self.num_bytes - self.tail
        } else {
            (head & !511).saturating_sub(self.tail)
        }
    }

    fn make_room(&mut self, size: u64) -> Result<()> {
        if self.room() >= size + WRAP_SIZE {
            return Ok(());
        }
        let s = &self.status;
        let head = if s.prev_log_head != 0 {
            s.prev_log_head
        } else {
            s.log_head
        };
        if self.tail < head || (head & !511) < s.log_start + size + WRAP_SIZE {
            return Err(Error::Unrecoverable {
                path: self.device.path().to_path_buf(),
                what: format!(
                    "the log is full ({size} more bytes needed); recover or truncate it first"
                ),
            });
        }
        // Wrap marker + 0xFF filler to the end of the area, then status.
        let ts = self.gen.take();
        let mut bytes = encode_wrap(ts, self.status.next_rec_num).to_vec();
        bytes.resize((self.num_bytes - self.tail) as usize, 0xFF);
        crate::device::write_at(self.device.file(), self.device.path(), &bytes, self.tail)?;
        self.note_record(ts);
        self.status.wrap_time = ts;
        self.status.tot_wrap += 1;
        self.tail = self.status.log_start;
        self.write_status()
    }

    fn append(
        &mut self,
        bytes: Vec<u8>,
        ts: Timeval,
        trans: Option<(Timeval, Timeval)>,
    ) -> Result<()> {
        self.make_room(bytes.len() as u64)?;
        crate::device::write_at(self.device.file(), self.device.path(), &bytes, self.tail)?;
        self.tail += bytes.len() as u64;
        self.note_record(ts);
        if let Some((uname, commit)) = trans {
            if self.status.first_uname.is_zero() {
                self.status.first_uname = uname;
            }
            self.status.last_uname = uname;
            self.status.last_commit = commit;
        }
        self.since_status += 1;
        if self.since_status >= STATUS_EVERY {
            self.write_status()?;
        }
        Ok(())
    }

    fn note_record(&mut self, ts: Timeval) {
        let s = &mut self.status;
        if s.first_rec_num == 0 {
            s.first_rec_num = s.next_rec_num;
            s.first_write = ts;
        }
        s.last_rec_num = s.next_rec_num;
        s.next_rec_num += 1;
        s.last_write = ts;
    }

    /// Syncs the records and writes the status block with the current tail
    /// (what RVM does every 100 records and after a wrap).
    pub fn write_status(&mut self) -> Result<()> {
        crate::device::sync(self.device.file(), self.device.path())?;
        self.status.log_tail = self.tail;
        self.status.log_empty = self.tail == self.status.log_head;
        self.status.status_write = self.gen.take();
        self.status.update_cnt = 100;
        self.since_status = 0;
        self.device.write_status(&self.status)
    }

    /// Syncs the records written so far (a flush) without touching the
    /// status block, leaving the log as a crash right after a flush would.
    pub fn flush(&mut self) -> Result<()> {
        crate::device::sync(self.device.file(), self.device.path())
    }
}
