//! The log status block (spec §4): 2560 bytes at offset 0 (file logs) or
//! 8192 (raw partitions).

use std::mem::offset_of;

use zerocopy::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::checksum::checksum;
use crate::le::{self, cstr_at, offset_at, put_cstr, put_offset, put_u32, put_u64, u32_at, u64_at};
use crate::uname::Timeval;

mod update;

pub use update::{add_tv, range_length_bucket};

/// Size of the status area (spec §3.1).
pub const STATUS_SIZE: usize = 2560;
/// Bytes reserved at the start of a raw partition, before its status
/// area (spec §3.1).
pub const RAW_RESERVED: u64 = 8192;
/// Struct id of a status block (spec §0.2).
pub const STATUS_ID: u32 = 24;
/// `version` string (spec §4.1).
pub const RVM_VERSION: &str = "RVM Interface Version 1.3  7 Mar 1994";
/// `log_version` string (spec §4.1; note the trailing space).
pub const LOG_VERSION: &str = "RVM Log Version  1.4 Oct 17, 1997 ";
/// `statistics_version` string (spec §4.1).
pub const STATISTICS_VERSION: &str = "RVM Statistics Version 1.1 8 Dec 1992";

/// The header of the status area as stored (spec §4.1); the status fields
/// (§4.2, [`StatusBlock`]'s field table) follow it.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawStatusHeader {
    struct_id: U32,
    _pad: U32,
    chk_sum: U64,
    version: [u8; 128],
    log_version: [u8; 128],
    statistics_version: [u8; 128],
}

/// Where the status fields start (spec §4.2).
const FIELDS_AT: usize = size_of::<RawStatusHeader>();
/// Where they end: the last field, `trunc_state`, is the u64 at 2232.
const FIELDS_END: usize = 2240;
/// The S-class offsets (log_start … prev_log_tail), whose high words
/// must be 0.
const S_OFFSETS: std::ops::Range<usize> = 416..512;
const CHK_SUM_AT: usize = offset_of!(RawStatusHeader, chk_sum);
const VERSION_AT: usize = offset_of!(RawStatusHeader, version);
const LOG_VERSION_AT: usize = offset_of!(RawStatusHeader, log_version);
const STATISTICS_VERSION_AT: usize = offset_of!(RawStatusHeader, statistics_version);
// Spec §4.1: checksum at 8, strings at 16, 144, 272, fields from 400; the
// area is the 2240-byte structure rounded up to a 512-byte sector (§3.1).
const _: () = assert!(CHK_SUM_AT == 8 && VERSION_AT == 16);
const _: () = assert!(LOG_VERSION_AT == 144 && STATISTICS_VERSION_AT == 272);
const _: () = assert!(FIELDS_AT == 400);
const _: () = assert!(FIELDS_END.next_multiple_of(512) == STATUS_SIZE);

/// A string field holding `s` (at most 127 bytes), zero-filled.
fn cstr_field(s: &str) -> [u8; 128] {
    let mut f = [0u8; 128];
    put_cstr(&mut f, 0, 128, s);
    f
}

/// The status block, every field of spec §4.2 (offsets are the low words
/// of RVM `offset` values; high words are always 0 on 64-bit builds).
/// Its JSON view, under designed names, is [`crate::view::StatusJson`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)] // field meanings: spec §4.2, same names
pub struct StatusBlock {
    pub struct_id: u32,
    pub chk_sum: u64,
    pub version: String,
    pub log_version: String,
    pub statistics_version: String,
    pub update_cnt: i64,
    pub valid: bool,
    pub log_empty: bool,
    pub log_start: u64,
    pub log_size: u64,
    pub log_head: u64,
    pub log_tail: u64,
    pub prev_log_head: u64,
    pub prev_log_tail: u64,
    pub status_init: Timeval,
    pub status_write: Timeval,
    pub last_trunc: Timeval,
    pub prev_trunc: Timeval,
    pub first_write: Timeval,
    pub last_write: Timeval,
    pub first_uname: Timeval,
    pub last_uname: Timeval,
    pub last_commit: Timeval,
    pub wrap_time: Timeval,
    pub first_rec_num: u64,
    pub last_rec_num: u64,
    pub next_rec_num: u64,
    pub n_abort: u64,
    pub n_flush_commit: u64,
    pub n_no_flush_commit: u64,
    pub n_split: u64,
    pub n_truncation_wait: u64,
    pub n_flush: u64,
    pub n_rvm_flush: u64,
    pub n_special: u64,
    pub range_overlap: u64,
    pub trans_overlap: u64,
    pub n_range_elim: u64,
    pub n_trans_elim: u64,
    pub n_trans_coalesced: u64,
    pub flush_time: Timeval,
    pub last_flush_time: u64,
    pub last_truncation_time: u64,
    pub last_tree_build_time: u64,
    pub last_tree_apply_time: u64,
    pub flush_times: [u64; 10],
    pub range_lengths: [u64; 13],
    pub range_elims: [u64; 6],
    pub trans_elims: [u64; 6],
    pub range_overlaps: [u64; 13],
    pub trans_overlaps: [u64; 13],
    pub tot_abort: u64,
    pub tot_flush_commit: u64,
    pub tot_no_flush_commit: u64,
    pub tot_split: u64,
    pub tot_flush: u64,
    pub tot_rvm_flush: u64,
    pub tot_special: u64,
    pub tot_wrap: u64,
    pub log_dev_max: u64,
    pub tot_log_written: u64,
    pub tot_range_overlap: u64,
    pub tot_trans_overlap: u64,
    pub tot_range_elim: u64,
    pub tot_trans_elim: u64,
    pub tot_trans_coalesced: u64,
    pub tot_rvm_truncate: u64,
    pub tot_async_truncation: u64,
    pub tot_sync_truncation: u64,
    pub tot_truncation_wait: u64,
    pub tot_recovery: u64,
    pub tot_flush_time: Timeval,
    pub tot_truncation_time: Timeval,
    pub tot_tree_build_times: [u64; 5],
    pub tot_tree_apply_times: [u64; 5],
    pub tot_truncation_times: [u64; 5],
    pub tot_flush_times: [u64; 10],
    pub tot_range_lengths: [u64; 13],
    pub tot_range_elims: [u64; 6],
    pub tot_trans_elims: [u64; 6],
    pub tot_range_overlaps: [u64; 13],
    pub tot_trans_overlaps: [u64; 13],
    pub tot_trans_coalesces: [u64; 6],
    pub flush_state: u64,
    pub trunc_state: u64,
}

/// Why a status block was rejected (spec §4.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusProblem {
    /// struct_id is not 24.
    StructId(u32),
    /// The stored checksum does not match.
    Checksum {
        /// Stored value.
        stored: u64,
        /// Computed value.
        computed: u64,
    },
    /// A version string differs (field offset, found, expected).
    Version(usize, String, &'static str),
    /// An S-class offset has a non-zero high word (field offset).
    HighWord(usize),
}

impl StatusProblem {
    /// (relative byte offset, what was found, what was expected)
    pub fn describe(&self) -> (usize, String, String) {
        match self {
            StatusProblem::StructId(id) => {
                (0, format!("status struct id {id}"), format!("{STATUS_ID}"))
            }
            StatusProblem::Checksum { stored, computed } => (
                8,
                format!("status checksum {stored:#018x} does not match the contents"),
                format!("{computed:#018x}"),
            ),
            StatusProblem::Version(at, found, want) => (
                *at,
                format!("version string {found:?}"),
                format!("{want:?}"),
            ),
            StatusProblem::HighWord(at) => {
                (*at, "non-zero high word in a log offset".into(), "0".into())
            }
        }
    }
}

/// One direction of the field codec: the field list below is written once
/// and used for both decoding and encoding, so the two cannot drift apart.
trait Codec {
    fn u64(&mut self, at: usize, v: &mut u64);
    fn i64(&mut self, at: usize, v: &mut i64) {
        let mut x = *v as u64;
        self.u64(at, &mut x);
        *v = x as i64;
    }
    fn bool32(&mut self, at: usize, v: &mut bool);
    fn offset(&mut self, at: usize, v: &mut u64);
    fn tv(&mut self, at: usize, v: &mut Timeval);
    fn array<const N: usize>(&mut self, at: usize, v: &mut [u64; N]) {
        for (i, x) in v.iter_mut().enumerate() {
            self.u64(at + 8 * i, x);
        }
    }
}

struct Decode<'a>(&'a [u8]);
struct Encode<'a>(&'a mut [u8]);

impl Codec for Decode<'_> {
    fn u64(&mut self, at: usize, v: &mut u64) {
        *v = u64_at(self.0, at);
    }
    fn bool32(&mut self, at: usize, v: &mut bool) {
        *v = u32_at(self.0, at) != 0;
    }
    fn offset(&mut self, at: usize, v: &mut u64) {
        *v = offset_at(self.0, at).1;
    }
    fn tv(&mut self, at: usize, v: &mut Timeval) {
        *v = Timeval::read(self.0, at);
    }
}

impl Codec for Encode<'_> {
    fn u64(&mut self, at: usize, v: &mut u64) {
        put_u64(self.0, at, *v);
    }
    fn bool32(&mut self, at: usize, v: &mut bool) {
        put_u32(self.0, at, u32::from(*v));
    }
    fn offset(&mut self, at: usize, v: &mut u64) {
        put_offset(self.0, at, *v);
    }
    fn tv(&mut self, at: usize, v: &mut Timeval) {
        v.write(self.0, at);
    }
}

impl StatusBlock {
    /// The block `rvmutl i` writes (spec §4.3): `log_start` 2560 (file)
    /// or 10752 (raw), head = tail = log_start, created at `t`.
    pub fn fresh(log_start: u64, log_size: u64, t: Timeval) -> Self {
        StatusBlock {
            struct_id: STATUS_ID,
            version: RVM_VERSION.into(),
            log_version: LOG_VERSION.into(),
            statistics_version: STATISTICS_VERSION.into(),
            update_cnt: 100,
            valid: true,
            log_empty: true,
            log_start,
            log_size,
            log_head: log_start,
            log_tail: log_start,
            status_init: t,
            status_write: t.plus_usec(1),
            last_trunc: t,
            prev_trunc: t,
            next_rec_num: 1,
            ..Default::default()
        }
    }

    fn fields(&mut self, c: &mut impl Codec) {
        c.i64(400, &mut self.update_cnt);
        c.bool32(408, &mut self.valid);
        c.bool32(412, &mut self.log_empty);
        c.offset(416, &mut self.log_start);
        c.offset(432, &mut self.log_size);
        c.offset(448, &mut self.log_head);
        c.offset(464, &mut self.log_tail);
        c.offset(480, &mut self.prev_log_head);
        c.offset(496, &mut self.prev_log_tail);
        c.tv(512, &mut self.status_init);
        c.tv(528, &mut self.status_write);
        c.tv(544, &mut self.last_trunc);
        c.tv(560, &mut self.prev_trunc);
        c.tv(576, &mut self.first_write);
        c.tv(592, &mut self.last_write);
        c.tv(608, &mut self.first_uname);
        c.tv(624, &mut self.last_uname);
        c.tv(640, &mut self.last_commit);
        c.tv(656, &mut self.wrap_time);
        c.u64(672, &mut self.first_rec_num);
        c.u64(680, &mut self.last_rec_num);
        c.u64(688, &mut self.next_rec_num);
        c.u64(696, &mut self.n_abort);
        c.u64(704, &mut self.n_flush_commit);
        c.u64(712, &mut self.n_no_flush_commit);
        c.u64(720, &mut self.n_split);
        c.u64(728, &mut self.n_truncation_wait);
        c.u64(736, &mut self.n_flush);
        c.u64(744, &mut self.n_rvm_flush);
        c.u64(752, &mut self.n_special);
        c.offset(760, &mut self.range_overlap);
        c.offset(776, &mut self.trans_overlap);
        c.u64(792, &mut self.n_range_elim);
        c.u64(800, &mut self.n_trans_elim);
        c.u64(808, &mut self.n_trans_coalesced);
        c.tv(816, &mut self.flush_time);
        c.u64(832, &mut self.last_flush_time);
        c.u64(840, &mut self.last_truncation_time);
        c.u64(848, &mut self.last_tree_build_time);
        c.u64(856, &mut self.last_tree_apply_time);
        c.array(864, &mut self.flush_times);
        c.array(944, &mut self.range_lengths);
        c.array(1048, &mut self.range_elims);
        c.array(1096, &mut self.trans_elims);
        c.array(1144, &mut self.range_overlaps);
        c.array(1248, &mut self.trans_overlaps);
        c.u64(1352, &mut self.tot_abort);
        c.u64(1360, &mut self.tot_flush_commit);
        c.u64(1368, &mut self.tot_no_flush_commit);
        c.u64(1376, &mut self.tot_split);
        c.u64(1384, &mut self.tot_flush);
        c.u64(1392, &mut self.tot_rvm_flush);
        c.u64(1400, &mut self.tot_special);
        c.u64(1408, &mut self.tot_wrap);
        c.u64(1416, &mut self.log_dev_max);
        c.offset(1424, &mut self.tot_log_written);
        c.offset(1440, &mut self.tot_range_overlap);
        c.offset(1456, &mut self.tot_trans_overlap);
        c.u64(1472, &mut self.tot_range_elim);
        c.u64(1480, &mut self.tot_trans_elim);
        c.u64(1488, &mut self.tot_trans_coalesced);
        c.u64(1496, &mut self.tot_rvm_truncate);
        c.u64(1504, &mut self.tot_async_truncation);
        c.u64(1512, &mut self.tot_sync_truncation);
        c.u64(1520, &mut self.tot_truncation_wait);
        c.u64(1528, &mut self.tot_recovery);
        c.tv(1536, &mut self.tot_flush_time);
        c.tv(1552, &mut self.tot_truncation_time);
        c.array(1568, &mut self.tot_tree_build_times);
        c.array(1608, &mut self.tot_tree_apply_times);
        c.array(1648, &mut self.tot_truncation_times);
        c.array(1688, &mut self.tot_flush_times);
        c.array(1768, &mut self.tot_range_lengths);
        c.array(1872, &mut self.tot_range_elims);
        c.array(1920, &mut self.tot_trans_elims);
        c.array(1968, &mut self.tot_range_overlaps);
        c.array(2072, &mut self.tot_trans_overlaps);
        c.array(2176, &mut self.tot_trans_coalesces);
        c.u64(2224, &mut self.flush_state);
        c.u64(2232, &mut self.trunc_state);
    }

    /// Decodes a status area without validating it.
    pub fn decode_unchecked(buf: &[u8]) -> Self {
        let h: RawStatusHeader = le::read(buf, 0);
        let mut s = StatusBlock {
            struct_id: h.struct_id.get(),
            chk_sum: h.chk_sum.get(),
            version: cstr_at(&h.version, 0, 128),
            log_version: cstr_at(&h.log_version, 0, 128),
            statistics_version: cstr_at(&h.statistics_version, 0, 128),
            ..Default::default()
        };
        s.fields(&mut Decode(buf));
        s
    }

    /// Decodes and validates a status area as RVM does on open (spec
    /// §4.4: struct id, checksum, the three version strings) and checks
    /// that the structural offsets have zero high words.
    pub fn decode(buf: &[u8]) -> Result<Self, StatusProblem> {
        let s = Self::decode_unchecked(buf);
        if s.struct_id != STATUS_ID {
            return Err(StatusProblem::StructId(s.struct_id));
        }
        let computed = Self::compute_checksum(buf);
        if computed != s.chk_sum {
            return Err(StatusProblem::Checksum {
                stored: s.chk_sum,
                computed,
            });
        }
        for (at, found, want) in [
            (VERSION_AT, &s.version, RVM_VERSION),
            (LOG_VERSION_AT, &s.log_version, LOG_VERSION),
            (
                STATISTICS_VERSION_AT,
                &s.statistics_version,
                STATISTICS_VERSION,
            ),
        ] {
            if found != want {
                return Err(StatusProblem::Version(at, found.clone(), want));
            }
        }
        for at in S_OFFSETS.step_by(16) {
            if u64_at(buf, at) != 0 {
                return Err(StatusProblem::HighWord(at));
            }
        }
        Ok(s)
    }

    /// Checksum of a status area with its checksum field taken as zero.
    pub fn compute_checksum(buf: &[u8]) -> u64 {
        let mut copy = [0u8; STATUS_SIZE];
        let n = buf.len().min(STATUS_SIZE);
        copy[..n].copy_from_slice(&buf[..n]);
        copy[CHK_SUM_AT..CHK_SUM_AT + 8].fill(0);
        checksum(&copy, 0, STATUS_SIZE as u64)
    }

    /// Encodes the block into its 2560 bytes with a fresh checksum (the
    /// `chk_sum` field of `self` is ignored).
    pub fn encode(&self) -> [u8; STATUS_SIZE] {
        let mut buf = [0u8; STATUS_SIZE];
        let mut header = RawStatusHeader {
            struct_id: self.struct_id.into(),
            _pad: U32::ZERO,
            chk_sum: U64::ZERO,
            version: cstr_field(&self.version),
            log_version: cstr_field(&self.log_version),
            statistics_version: cstr_field(&self.statistics_version),
        };
        le::write(&mut buf, 0, &header);
        self.clone().fields(&mut Encode(&mut buf));
        header.chk_sum = Self::compute_checksum(&buf).into();
        le::write(&mut buf, 0, &header);
        buf
    }

    /// Bytes held by records between the head (or the previous head during
    /// an interrupted truncation) and the tail (spec §12.1).
    pub fn space_used(&self, num_bytes: u64) -> u64 {
        let h = if self.prev_log_head != 0 {
            self.prev_log_head
        } else {
            self.log_head
        };
        if self.log_tail >= h {
            self.log_tail - h
        } else {
            num_bytes
                .wrapping_sub(h)
                .wrapping_add(self.log_tail)
                .wrapping_sub(self.log_start)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden::{assert_fields, golden};

    /// The status area of golden `log_init_1M.log` (real `rvmutl`,
    /// `i log_init_1M.log 1M`), field by field; every other byte is zero
    /// (spec §4.3).
    #[rustfmt::skip]
    const LOG_INIT_1M: &[(usize, &[u8])] = &[
        (0,    &[0x18, 0, 0, 0]),                                     // struct_id 24
        (8,    &[0x5d, 0x98, 0x6e, 0x68, 0xe2, 0xf5, 0xd6, 0xb8]),    // chk_sum 0xb8d6f5e2686e985d
        (16,   b"RVM Interface Version 1.3  7 Mar 1994\0"),           // version
        (144,  b"RVM Log Version  1.4 Oct 17, 1997 \0"),              // log_version (trailing space)
        (272,  b"RVM Statistics Version 1.1 8 Dec 1992\0"),           // statistics_version
        (400,  &[0x64, 0, 0, 0, 0, 0, 0, 0]),                         // update_cnt 100
        (408,  &[0x01, 0, 0, 0]),                                     // valid 1
        (412,  &[0x01, 0, 0, 0]),                                     // log_empty 1
        (416,  &[0, 0, 0, 0, 0, 0, 0, 0]),                            // log_start, high word 0
        (424,  &[0x00, 0x0a, 0, 0, 0, 0, 0, 0]),                      // log_start, low word 2560
        (432,  &[0, 0, 0, 0, 0, 0, 0, 0]),                            // log_size, high word 0
        (440,  &[0x00, 0x00, 0x10, 0, 0, 0, 0, 0]),                   // log_size, low word 1048576
        (448,  &[0, 0, 0, 0, 0, 0, 0, 0]),                            // log_head, high word 0
        (456,  &[0x00, 0x0a, 0, 0, 0, 0, 0, 0]),                      // log_head, low word 2560
        (464,  &[0, 0, 0, 0, 0, 0, 0, 0]),                            // log_tail, high word 0
        (472,  &[0x00, 0x0a, 0, 0, 0, 0, 0, 0]),                      // log_tail, low word 2560
        (512,  &[0xf6, 0xc8, 0x07, 0x6b, 0, 0, 0, 0]),                // status_init: 1795672310 s
        (520,  &[0xfc, 0x7d, 0x06, 0, 0, 0, 0, 0]),                   //   and 425468 µs
        (528,  &[0xf6, 0xc8, 0x07, 0x6b, 0, 0, 0, 0]),                // status_write: 1795672310 s
        (536,  &[0xfd, 0x7d, 0x06, 0, 0, 0, 0, 0]),                   //   and 425469 µs (init + 1 µs)
        (544,  &[0xf6, 0xc8, 0x07, 0x6b, 0, 0, 0, 0]),                // last_trunc = status_init
        (552,  &[0xfc, 0x7d, 0x06, 0, 0, 0, 0, 0]),
        (560,  &[0xf6, 0xc8, 0x07, 0x6b, 0, 0, 0, 0]),                // prev_trunc = status_init
        (568,  &[0xfc, 0x7d, 0x06, 0, 0, 0, 0, 0]),
        (688,  &[0x01, 0, 0, 0, 0, 0, 0, 0]),                         // next_rec_num 1
    ];

    #[test]
    fn golden_init_status_field_by_field() {
        let log = golden("log_init_1M.log");
        let area = &log[..STATUS_SIZE];
        assert_fields("log_init_1M.log status", area, LOG_INIT_1M);
        let s = StatusBlock::decode(area).unwrap();
        assert_eq!(s.struct_id, 24);
        assert_eq!(s.chk_sum, 0xb8d6_f5e2_686e_985d);
        assert_eq!(s.log_version, "RVM Log Version  1.4 Oct 17, 1997 ");
        assert_eq!((s.update_cnt, s.valid, s.log_empty), (100, true, true));
        assert_eq!((s.log_start, s.log_size), (2560, 1_048_576));
        assert_eq!((s.log_head, s.log_tail), (2560, 2560));
        assert_eq!((s.prev_log_head, s.prev_log_tail), (0, 0));
        let t = Timeval::new(1_795_672_310, 425_468);
        assert_eq!(s.status_init, t);
        assert_eq!(s.status_write, Timeval::new(1_795_672_310, 425_469));
        assert_eq!((s.last_trunc, s.prev_trunc), (t, t));
        assert_eq!((s.first_rec_num, s.next_rec_num), (0, 1));
        // The encoder writes the same 2560 bytes, checksum included.
        assert_eq!(StatusBlock::fresh(2560, 1 << 20, t).encode(), area);
    }

    /// A codec that records where each field lies.
    struct Layout(Vec<(usize, usize)>);

    impl Codec for Layout {
        fn u64(&mut self, at: usize, _: &mut u64) {
            self.0.push((at, 8));
        }
        fn bool32(&mut self, at: usize, _: &mut bool) {
            self.0.push((at, 4));
        }
        fn offset(&mut self, at: usize, _: &mut u64) {
            self.0.push((at, 16));
        }
        fn tv(&mut self, at: usize, _: &mut Timeval) {
            self.0.push((at, 16));
        }
    }

    #[test]
    fn the_field_table_tiles_the_status_fields() {
        let mut l = Layout(Vec::new());
        StatusBlock::default().fields(&mut l);
        l.0.sort_unstable();
        let mut at = FIELDS_AT;
        for (start, len) in l.0 {
            assert_eq!(start, at, "gap or overlap at byte {at}");
            at += len;
        }
        assert_eq!(at, FIELDS_END);
    }

    #[test]
    fn fresh_block_round_trips_and_validates() {
        let s = StatusBlock::fresh(2560, 1 << 20, Timeval::new(1_700_000_000, 5));
        let buf = s.encode();
        let back = StatusBlock::decode(&buf).unwrap();
        assert_eq!(back.encode(), buf);
        assert_eq!(back.log_head, 2560);
        assert_eq!(back.status_write, Timeval::new(1_700_000_000, 6));
    }
}
