//! Log records (spec §5): the common header, end markers, transaction
//! headers, new-value ranges, segment-dictionary ("log_seg") records and
//! wrap markers — decoders and encoders side by side.

use crate::checksum::checksum;
use crate::le::{offset_at, put_offset, put_u32, put_u64, u32_at, u64_at};
use crate::uname::Timeval;

/// Struct id of a wrap-around marker (§0.2).
pub const WRAP_ID: u32 = 25;
/// Struct id of a segment-dictionary record (§0.2).
pub const LOG_SEG_ID: u32 = 26;
/// Struct id of a transaction header (§0.2).
pub const TRANS_ID: u32 = 28;
/// Struct id of a record end marker (§0.2).
pub const END_ID: u32 = 29;
/// Struct id of a new-value range header (§0.2).
pub const RANGE_ID: u32 = 30;

/// Size of the common record header (§5.2).
pub const HEADER_SIZE: u64 = 40;
/// Size of an end marker (§5.3).
pub const END_SIZE: u64 = 56;
/// Size of a transaction header (§5.4.1).
pub const TRANS_HEADER_SIZE: u64 = 96;
/// Size of a range header (§5.4.2).
pub const RANGE_HEADER_SIZE: u64 = 112;
/// Size of a wrap marker (§5.6).
pub const WRAP_SIZE: u64 = 48;
/// Fixed part of a log_seg record before the path (§5.5).
pub const LOG_SEG_FIXED: u64 = 80;

/// Transaction flag: range coalescing was on (§5.4.1).
pub const FLAG_COALESCE_RANGES: u64 = 0x01;
/// Transaction flag: transaction coalescing was on.
pub const FLAG_COALESCE_TRANS: u64 = 0x02;
/// Transaction flag: begun in restore mode.
pub const FLAG_RESTORE: u64 = 0x04;
/// Transaction flag: committed in flush mode.
pub const FLAG_FLUSH: u64 = 0x08;
/// Transaction flag: first entry of the transaction.
pub const FLAG_FIRST: u64 = 0x10;
/// Transaction flag: last entry of the transaction.
pub const FLAG_LAST: u64 = 0x20;
/// Transaction flag: flush mark.
pub const FLAG_FLUSH_MARK: u64 = 0x40;

/// The 40-byte header every record starts with (§5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// 28, 26, 25 (or 30/29 for sub-records).
    pub struct_id: u32,
    /// Distance to the end marker (transactions, log_seg) or 48 (wrap).
    pub rec_length: u64,
    /// Write time (uname).
    pub timestamp: Timeval,
    /// Record number.
    pub rec_num: u64,
}

impl RecordHeader {
    /// Decodes the header at `at` (missing bytes read as zero).
    pub fn read(buf: &[u8], at: usize) -> Self {
        RecordHeader {
            struct_id: u32_at(buf, at),
            rec_length: u64_at(buf, at + 8),
            timestamp: Timeval::read(buf, at + 16),
            rec_num: u64_at(buf, at + 32),
        }
    }

    /// Encodes the header at `at`.
    pub fn write(&self, buf: &mut [u8], at: usize) {
        put_u32(buf, at, self.struct_id);
        put_u32(buf, at + 4, 0);
        put_u64(buf, at + 8, self.rec_length);
        self.timestamp.write(buf, at + 16);
        put_u64(buf, at + 32, self.rec_num);
    }

    /// True for a struct id that starts a record (28, 26, 25).
    pub fn is_record(&self) -> bool {
        matches!(self.struct_id, TRANS_ID | LOG_SEG_ID | WRAP_ID)
    }
}

/// A record end marker (§5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndMarker {
    /// Copy of the record's header, with struct id 29.
    pub header: RecordHeader,
    /// Struct id of the record it ends.
    pub rec_type: u32,
    /// Back-displacement to the previous sub-record.
    pub sub_rec_len: u64,
}

impl EndMarker {
    /// Decodes the end marker at `at`.
    pub fn read(buf: &[u8], at: usize) -> Self {
        EndMarker {
            header: RecordHeader::read(buf, at),
            rec_type: u32_at(buf, at + 40),
            sub_rec_len: u64_at(buf, at + 48),
        }
    }

    /// Encodes the end marker at `at`.
    pub fn write(&self, buf: &mut [u8], at: usize) {
        self.header.write(buf, at);
        put_u32(buf, at + 40, self.rec_type);
        put_u32(buf, at + 44, 0);
        put_u64(buf, at + 48, self.sub_rec_len);
    }

    /// True if this marker ends `record` (§6.2).
    pub fn matches(&self, record: &RecordHeader) -> bool {
        self.header.struct_id == END_ID
            && self.rec_type == record.struct_id
            && self.header.rec_num == record.rec_num
            && self.header.rec_length == record.rec_length
            && self.header.timestamp == record.timestamp
    }
}

/// The fields of a transaction header after the common header (§5.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransHeader {
    /// Common header (struct id 28).
    pub header: RecordHeader,
    /// Ranges in this record.
    pub num_ranges: u64,
    /// Transaction id (begin stamp).
    pub uname: Timeval,
    /// Commit stamp.
    pub commit_stamp: Timeval,
    /// Coalesced no_flush transactions.
    pub n_coalesced: u64,
    /// Flag bits (`FLAG_*`).
    pub flags: u64,
}

impl TransHeader {
    /// Decodes a transaction header at `at`.
    pub fn read(buf: &[u8], at: usize) -> Self {
        TransHeader {
            header: RecordHeader::read(buf, at),
            num_ranges: u64_at(buf, at + 40),
            uname: Timeval::read(buf, at + 48),
            commit_stamp: Timeval::read(buf, at + 64),
            n_coalesced: u64_at(buf, at + 80),
            flags: u64_at(buf, at + 88),
        }
    }

    /// Encodes a transaction header at `at`.
    pub fn write(&self, buf: &mut [u8], at: usize) {
        self.header.write(buf, at);
        put_u64(buf, at + 40, self.num_ranges);
        self.uname.write(buf, at + 48);
        self.commit_stamp.write(buf, at + 64);
        put_u64(buf, at + 80, self.n_coalesced);
        put_u64(buf, at + 88, self.flags);
    }
}

/// A new-value range header (§5.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeHeader {
    /// Common header (struct id 30; rec_length = 112 + data block).
    pub header: RecordHeader,
    /// Back-displacement to the previous sub-record.
    pub sub_rec_len: u64,
    /// 1, 2, … within the record.
    pub range_num: u64,
    /// Number of modified bytes.
    pub length: u64,
    /// Offset of the first modified byte in the segment (low word).
    pub offset: u64,
    /// High word of the offset (0 on every file RVM writes).
    pub offset_high: u64,
    /// Virtual address at commit time (informational).
    pub vmaddr: u64,
    /// Writer-side checksum of the new values (§5.4.3).
    pub chk_sum: u64,
    /// Segment code (§5.5).
    pub seg_code: i64,
    /// Continuation of a range split at the wrap.
    pub is_split: bool,
}

impl RangeHeader {
    /// Decodes a range header at `at`.
    pub fn read(buf: &[u8], at: usize) -> Self {
        let (offset_high, offset) = offset_at(buf, at + 64);
        RangeHeader {
            header: RecordHeader::read(buf, at),
            sub_rec_len: u64_at(buf, at + 40),
            range_num: u64_at(buf, at + 48),
            length: u64_at(buf, at + 56),
            offset,
            offset_high,
            vmaddr: u64_at(buf, at + 80),
            chk_sum: u64_at(buf, at + 88),
            seg_code: u64_at(buf, at + 96) as i64,
            is_split: u32_at(buf, at + 104) != 0,
        }
    }

    /// Encodes a range header at `at`.
    pub fn write(&self, buf: &mut [u8], at: usize) {
        self.header.write(buf, at);
        put_u64(buf, at + 40, self.sub_rec_len);
        put_u64(buf, at + 48, self.range_num);
        put_u64(buf, at + 56, self.length);
        put_u64(buf, at + 64, self.offset_high);
        put_u64(buf, at + 72, self.offset);
        put_u64(buf, at + 80, self.vmaddr);
        put_u64(buf, at + 88, self.chk_sum);
        put_u64(buf, at + 96, self.seg_code as u64);
        put_u32(buf, at + 104, u32::from(self.is_split));
        put_u32(buf, at + 108, 0);
    }

    /// Position of the first modified byte inside the data block
    /// (`offset mod 8`, §5.4.2).
    pub fn skew(&self) -> u64 {
        self.offset % 8
    }

    /// Size of the data block for `length` bytes at skew `skew`.
    /// Saturates instead of overflowing for absurd lengths (fuzz
    /// regression: such a range then fails the rec_length check).
    pub fn block_size(skew: u64, length: u64) -> u64 {
        skew.saturating_add(length).div_ceil(8).saturating_mul(8)
    }
}

/// A segment-dictionary record (§5.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSegRecord {
    /// Common header (struct id 26).
    pub header: RecordHeader,
    /// Segment short id.
    pub seg_code: i64,
    /// Segment length RVM used when mapping.
    pub num_bytes: u64,
    /// Absolute path of the segment (raw bytes, no NUL).
    pub name: Vec<u8>,
}

impl LogSegRecord {
    /// rec_length of a log_seg record with a `name_len`-byte path.
    pub fn rec_length(name_len: u64) -> u64 {
        LOG_SEG_FIXED + (name_len + 1).div_ceil(8) * 8
    }

    /// Decodes the fields after the header; `None` if the name length does
    /// not fit inside `rec_length`.
    pub fn read(buf: &[u8], at: usize) -> Option<Self> {
        let header = RecordHeader::read(buf, at);
        let name_len = u64_at(buf, at + 64);
        if name_len.checked_add(LOG_SEG_FIXED)? >= header.rec_length {
            return None;
        }
        let start = at + LOG_SEG_FIXED as usize;
        let stop = start.checked_add(usize::try_from(name_len).ok()?)?;
        let name = buf.get(start..stop)?.to_vec();
        Some(LogSegRecord {
            header,
            seg_code: u64_at(buf, at + 40) as i64,
            num_bytes: offset_at(buf, at + 48).1,
            name,
        })
    }

    /// Encodes the whole record including its end marker into a new
    /// buffer (the name pointer word is written as 0).
    pub fn encode(&self) -> Vec<u8> {
        let rec_length = Self::rec_length(self.name.len() as u64);
        let mut buf = vec![0u8; (rec_length + END_SIZE) as usize];
        let header = RecordHeader {
            struct_id: LOG_SEG_ID,
            rec_length,
            ..self.header
        };
        header.write(&mut buf, 0);
        put_u64(&mut buf, 40, self.seg_code as u64);
        put_offset(&mut buf, 48, self.num_bytes);
        put_u64(&mut buf, 64, self.name.len() as u64);
        buf[80..80 + self.name.len()].copy_from_slice(&self.name);
        EndMarker {
            header: RecordHeader {
                struct_id: END_ID,
                ..header
            },
            rec_type: LOG_SEG_ID,
            sub_rec_len: rec_length,
        }
        .write(&mut buf, rec_length as usize);
        buf
    }
}

/// One range of new values to be logged (input of [`encode_transaction`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewValues<'a> {
    /// Offset in the data segment.
    pub offset: u64,
    /// Virtual address at commit (must be ≡ offset mod 8).
    pub vmaddr: u64,
    /// Segment code.
    pub seg_code: i64,
    /// The new bytes.
    pub data: &'a [u8],
}

/// Encodes a complete transaction record (header, ranges with zero filler,
/// end marker) as RVM writes it (§5.4); checksums are writer-side (§5.4.3).
pub fn encode_transaction(
    header: RecordHeader,
    uname: Timeval,
    commit_stamp: Timeval,
    flags: u64,
    ranges: &[NewValues<'_>],
) -> Vec<u8> {
    let sizes: Vec<u64> = ranges
        .iter()
        .map(|r| RANGE_HEADER_SIZE + RangeHeader::block_size(r.offset % 8, r.data.len() as u64))
        .collect();
    let rec_length = TRANS_HEADER_SIZE + sizes.iter().sum::<u64>();
    let mut buf = vec![0u8; (rec_length + END_SIZE) as usize];
    let header = RecordHeader {
        struct_id: TRANS_ID,
        rec_length,
        ..header
    };
    TransHeader {
        header,
        num_ranges: ranges.len() as u64,
        uname,
        commit_stamp,
        n_coalesced: 0,
        flags,
    }
    .write(&mut buf, 0);
    let mut at = TRANS_HEADER_SIZE as usize;
    let mut back = TRANS_HEADER_SIZE;
    for (i, (r, &size)) in ranges.iter().zip(&sizes).enumerate() {
        let skew = (r.offset % 8) as usize;
        let block = at + RANGE_HEADER_SIZE as usize;
        buf[block + skew..block + skew + r.data.len()].copy_from_slice(r.data);
        let chk_sum = checksum(&buf[block..at + size as usize], skew, r.data.len() as u64);
        RangeHeader {
            header: RecordHeader {
                struct_id: RANGE_ID,
                rec_length: size,
                ..header
            },
            sub_rec_len: back,
            range_num: i as u64 + 1,
            length: r.data.len() as u64,
            offset: r.offset,
            offset_high: 0,
            vmaddr: r.vmaddr,
            chk_sum,
            seg_code: r.seg_code,
            is_split: false,
        }
        .write(&mut buf, at);
        at += size as usize;
        back = size;
    }
    EndMarker {
        header: RecordHeader {
            struct_id: END_ID,
            ..header
        },
        rec_type: TRANS_ID,
        sub_rec_len: back,
    }
    .write(&mut buf, at);
    buf
}

/// Encodes a wrap marker (§5.6), without the 0xFF filler.
pub fn encode_wrap(timestamp: Timeval, rec_num: u64) -> [u8; WRAP_SIZE as usize] {
    let mut buf = [0u8; WRAP_SIZE as usize];
    RecordHeader {
        struct_id: WRAP_ID,
        rec_length: WRAP_SIZE,
        timestamp,
        rec_num,
    }
    .write(&mut buf, 0);
    put_u32(&mut buf, 40, WRAP_ID);
    buf
}
