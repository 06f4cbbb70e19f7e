//! Log records (spec §5): the common header, end markers, transaction
//! headers, new-value ranges, segment-dictionary ("log_seg") records and
//! wrap markers — decoders and encoders side by side.

use zerocopy::little_endian::{I64, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::checksum::checksum;
use crate::le::{self, Offset};
use crate::uname::{RawTimeval, Timeval};

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
pub const HEADER_SIZE: u64 = size_of::<RawHeader>() as u64;
/// Size of an end marker (§5.3).
pub const END_SIZE: u64 = size_of::<RawEndMarker>() as u64;
/// Size of a transaction header (§5.4.1).
pub const TRANS_HEADER_SIZE: u64 = size_of::<RawTransHeader>() as u64;
/// Size of a range header (§5.4.2).
pub const RANGE_HEADER_SIZE: u64 = size_of::<RawRangeHeader>() as u64;
/// Size of a wrap marker (§5.6).
pub const WRAP_SIZE: u64 = size_of::<RawWrap>() as u64;
/// Fixed part of a log_seg record before the path (§5.5).
pub const LOG_SEG_FIXED: u64 = size_of::<RawLogSeg>() as u64;

// The sizes the spec gives (§5.2–§5.6).
const _: () = assert!(HEADER_SIZE == 40);
const _: () = assert!(END_SIZE == 56);
const _: () = assert!(TRANS_HEADER_SIZE == 96);
const _: () = assert!(RANGE_HEADER_SIZE == 112);
const _: () = assert!(WRAP_SIZE == 48);
const _: () = assert!(LOG_SEG_FIXED == 80);

/// The common record header as stored (§5.2).
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawHeader {
    struct_id: U32,
    _pad: U32,
    rec_length: U64,
    timestamp: RawTimeval,
    rec_num: U64,
}

/// A record end marker as stored (§5.3).
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawEndMarker {
    header: RawHeader,
    rec_type: U32,
    _pad: U32,
    sub_rec_len: U64,
}

/// A transaction header as stored (§5.4.1).
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawTransHeader {
    header: RawHeader,
    num_ranges: U64,
    uname: RawTimeval,
    commit_stamp: RawTimeval,
    n_coalesced: U64,
    flags: U64,
}

/// A new-value range header as stored (§5.4.2).
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawRangeHeader {
    header: RawHeader,
    sub_rec_len: U64,
    range_num: U64,
    length: U64,
    offset: Offset,
    vmaddr: U64,
    chk_sum: U64,
    seg_code: I64,
    is_split: U32,
    _pad: U32,
}

/// The fixed part of a log_seg record as stored (§5.5); the path follows.
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawLogSeg {
    header: RawHeader,
    seg_code: I64,
    num_bytes: Offset,
    name_len: U64,
    /// The writer's in-memory pointer to the path: meaningless, written 0.
    name_ptr: U64,
}

/// A wrap marker as stored (§5.6).
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawWrap {
    header: RawHeader,
    struct_id: U32,
    _pad: U32,
}

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
        Self::from_raw(&le::read(buf, at))
    }

    /// Encodes the header at `at`.
    pub fn write(&self, buf: &mut [u8], at: usize) {
        le::write(buf, at, &self.raw());
    }

    fn from_raw(r: &RawHeader) -> Self {
        RecordHeader {
            struct_id: r.struct_id.get(),
            rec_length: r.rec_length.get(),
            timestamp: r.timestamp.into(),
            rec_num: r.rec_num.get(),
        }
    }

    fn raw(&self) -> RawHeader {
        RawHeader {
            struct_id: self.struct_id.into(),
            _pad: U32::ZERO,
            rec_length: self.rec_length.into(),
            timestamp: self.timestamp.into(),
            rec_num: self.rec_num.into(),
        }
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
        let r: RawEndMarker = le::read(buf, at);
        EndMarker {
            header: RecordHeader::from_raw(&r.header),
            rec_type: r.rec_type.get(),
            sub_rec_len: r.sub_rec_len.get(),
        }
    }

    /// Encodes the end marker at `at`.
    pub fn write(&self, buf: &mut [u8], at: usize) {
        let r = RawEndMarker {
            header: self.header.raw(),
            rec_type: self.rec_type.into(),
            _pad: U32::ZERO,
            sub_rec_len: self.sub_rec_len.into(),
        };
        le::write(buf, at, &r);
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
        let r: RawTransHeader = le::read(buf, at);
        TransHeader {
            header: RecordHeader::from_raw(&r.header),
            num_ranges: r.num_ranges.get(),
            uname: r.uname.into(),
            commit_stamp: r.commit_stamp.into(),
            n_coalesced: r.n_coalesced.get(),
            flags: r.flags.get(),
        }
    }

    /// Encodes a transaction header at `at`.
    pub fn write(&self, buf: &mut [u8], at: usize) {
        let r = RawTransHeader {
            header: self.header.raw(),
            num_ranges: self.num_ranges.into(),
            uname: self.uname.into(),
            commit_stamp: self.commit_stamp.into(),
            n_coalesced: self.n_coalesced.into(),
            flags: self.flags.into(),
        };
        le::write(buf, at, &r);
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
        let r: RawRangeHeader = le::read(buf, at);
        RangeHeader {
            header: RecordHeader::from_raw(&r.header),
            sub_rec_len: r.sub_rec_len.get(),
            range_num: r.range_num.get(),
            length: r.length.get(),
            offset: r.offset.low.get(),
            offset_high: r.offset.high.get(),
            vmaddr: r.vmaddr.get(),
            chk_sum: r.chk_sum.get(),
            seg_code: r.seg_code.get(),
            is_split: r.is_split.get() != 0,
        }
    }

    /// Encodes a range header at `at`.
    pub fn write(&self, buf: &mut [u8], at: usize) {
        let r = RawRangeHeader {
            header: self.header.raw(),
            sub_rec_len: self.sub_rec_len.into(),
            range_num: self.range_num.into(),
            length: self.length.into(),
            offset: Offset {
                high: self.offset_high.into(),
                low: self.offset.into(),
            },
            vmaddr: self.vmaddr.into(),
            chk_sum: self.chk_sum.into(),
            seg_code: self.seg_code.into(),
            is_split: u32::from(self.is_split).into(),
            _pad: U32::ZERO,
        };
        le::write(buf, at, &r);
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
        let r: RawLogSeg = le::read(buf, at);
        let header = RecordHeader::from_raw(&r.header);
        let name_len = r.name_len.get();
        if name_len.checked_add(LOG_SEG_FIXED)? >= header.rec_length {
            return None;
        }
        let start = at + LOG_SEG_FIXED as usize;
        let stop = start.checked_add(usize::try_from(name_len).ok()?)?;
        let name = buf.get(start..stop)?.to_vec();
        Some(LogSegRecord {
            header,
            seg_code: r.seg_code.get(),
            num_bytes: r.num_bytes.low.get(),
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
        let fixed = RawLogSeg {
            header: header.raw(),
            seg_code: self.seg_code.into(),
            num_bytes: Offset::new(self.num_bytes),
            name_len: (self.name.len() as u64).into(),
            name_ptr: U64::ZERO,
        };
        le::write(&mut buf, 0, &fixed);
        let name_at = LOG_SEG_FIXED as usize;
        buf[name_at..name_at + self.name.len()].copy_from_slice(&self.name);
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
    let header = RecordHeader {
        struct_id: WRAP_ID,
        rec_length: WRAP_SIZE,
        timestamp,
        rec_num,
    };
    let r = RawWrap {
        header: header.raw(),
        struct_id: WRAP_ID.into(),
        _pad: U32::ZERO,
    };
    let mut buf = [0u8; WRAP_SIZE as usize];
    le::write(&mut buf, 0, &r);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden::{assert_fields, golden};

    /// The first record of golden `rdsinit_A.log` (real `rdsinit`): the
    /// log_seg record #1 at byte 2560 that names the data segment, with
    /// its end marker; field by field, every other byte zero.
    #[rustfmt::skip]
    const RDSINIT_A_LOG_SEG: &[(usize, &[u8])] = &[
        (0,   &[0x1a, 0, 0, 0]),                                     // struct_id 26 (log_seg)
        (8,   &[0x68, 0, 0, 0, 0, 0, 0, 0]),                         // rec_length 104
        (16,  &[0xf6, 0xc8, 0x07, 0x6b, 0, 0, 0, 0]),                // timestamp: 1795672310 s
        (24,  &[0x8c, 0xfe, 0x06, 0, 0, 0, 0, 0]),                   //   and 458380 µs
        (32,  &[0x01, 0, 0, 0, 0, 0, 0, 0]),                         // rec_num 1
        (40,  &[0x01, 0, 0, 0, 0, 0, 0, 0]),                         // seg_code 1
        (48,  &[0, 0, 0, 0, 0, 0, 0, 0]),                            // num_bytes, high word 0
        (56,  &[0x00, 0x00, 0x20, 0, 0, 0, 0, 0]),                   // num_bytes, low word 2097152
        (64,  &[0x16, 0, 0, 0, 0, 0, 0, 0]),                         // name_len 22
        (72,  &[0xa0, 0xa7, 0xa9, 0xed, 0x76, 0x55, 0, 0]),          // name pointer (rdsinit's memory)
        (80,  b"/tmp/rvmgold/rdsA/data"),                            // name, zero-padded to 104
        (104, &[0x1d, 0, 0, 0]),                                     // end marker: struct_id 29
        (112, &[0x68, 0, 0, 0, 0, 0, 0, 0]),                         //   rec_length 104
        (120, &[0xf6, 0xc8, 0x07, 0x6b, 0, 0, 0, 0]),                //   timestamp as the header's
        (128, &[0x8c, 0xfe, 0x06, 0, 0, 0, 0, 0]),
        (136, &[0x01, 0, 0, 0, 0, 0, 0, 0]),                         //   rec_num 1
        (144, &[0x1a, 0, 0, 0]),                                     //   rec_type 26
        (152, &[0x68, 0, 0, 0, 0, 0, 0, 0]),                         //   sub_rec_len 104
    ];

    #[test]
    fn golden_log_seg_record_field_by_field() {
        let log = golden("rdsinit_A.log");
        let rec = &log[2560..2560 + 160];
        assert_fields("rdsinit_A.log record #1", rec, RDSINIT_A_LOG_SEG);
        let header = RecordHeader::read(rec, 0);
        assert_eq!(
            header,
            RecordHeader {
                struct_id: LOG_SEG_ID,
                rec_length: 104,
                timestamp: Timeval::new(1_795_672_310, 458_380),
                rec_num: 1,
            }
        );
        let seg = LogSegRecord::read(rec, 0).unwrap();
        assert_eq!((seg.seg_code, seg.num_bytes), (1, 2_097_152));
        assert_eq!(seg.name, b"/tmp/rvmgold/rdsA/data");
        let end = EndMarker::read(rec, 104);
        assert!(end.matches(&header));
        assert_eq!((end.rec_type, end.sub_rec_len), (LOG_SEG_ID, 104));
        // The encoder writes the same bytes, but 0 for the name pointer.
        let mut want = rec.to_vec();
        want[72..80].fill(0);
        assert_eq!(seg.encode(), want);
    }
}
