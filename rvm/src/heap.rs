//! The RDS heap that `rdsinit` builds inside the data segment (spec §7.2–§7.5):
//! parameters, their validation, and the bytes written.

use crate::error::{Error, Result};
use crate::le::{put_cstr, put_u32, put_u64};
use crate::segment::{Region, SegmentHeader, PAGE_SIZE};

/// Heap version string (spec §7.3).
pub const HEAP_VERSION: &str = "Dynamic Allocator Using Rvm Release 0.1 1 Dec 1990";
/// Guard of every free-list head.
pub const LIST_GUARD: u64 = 0xad93_8945;
/// Type guard of a free block.
pub const FREE_GUARD: u64 = 0x3452_98af;
/// Type guard of an allocated block.
pub const ALLOC_GUARD: u64 = 0x783b_d92c;
/// Guard in the last word of every block.
pub const END_GUARD: u64 = 0xfd10_a32e;
/// Smallest chunk size on 64-bit builds (block header 32 + end guard 8).
pub const MIN_CHUNK: u64 = 40;
/// Size of a block header.
pub const BLOCK_HEADER_SIZE: u64 = 32;
/// Highest user-space address on x86_64 Linux (47-bit).
pub const USER_SPACE_END: u64 = 0x7fff_ffff_f000;

/// The eight `rdsinit -f` parameters (spec §8.1), in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapParams {
    /// Length of the data segment.
    pub datalen: u64,
    /// Virtual address of the heap.
    pub saddr: u64,
    /// Length of the heap region.
    pub heaplen: u64,
    /// Length of the statics region.
    pub staticlen: u64,
    /// Number of free lists.
    pub nlists: u64,
    /// Chunk size in bytes.
    pub chunk: u64,
}

/// The heap layout derived from valid [`HeapParams`] (spec §7.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapLayout {
    /// The parameters.
    pub params: HeapParams,
    /// Heap header length: 264 + 16·nlists.
    pub hdr_len: u64,
    /// Absolute address of the first (only) free block.
    pub first_block: u64,
    /// Its size in chunks.
    pub n_chunks: u64,
}

impl HeapParams {
    /// The names of the parameters as `rdsinit -f` orders them (and as
    /// errors name them).
    pub const NAMES: [&'static str; 6] = [
        "DATALEN",
        "SADDR",
        "HEAPLEN",
        "STATICLEN",
        "NLISTS",
        "CHUNK",
    ];

    /// Reads the six parameters from their text, in `rdsinit -f`'s order
    /// ([`Self::NAMES`]), each with the grammar of [`crate::size`]. The
    /// values are not validated yet ([`Self::validate`]).
    pub fn parse(texts: [&str; 6]) -> Result<Self> {
        let mut v = [0u64; 6];
        for ((value, name), text) in v.iter_mut().zip(Self::NAMES).zip(texts) {
            *value = crate::size::argument(name, text)?;
        }
        let [datalen, saddr, heaplen, staticlen, nlists, chunk] = v;
        Ok(HeapParams {
            datalen,
            saddr,
            heaplen,
            staticlen,
            nlists,
            chunk,
        })
    }

    /// The vice-setup-rvm recipe for a data segment of `datalen` bytes:
    /// saddr 0x50000000, staticlen 1 MiB, heaplen = datalen − 1 MiB − 64 KiB,
    /// 80 lists, chunk 64.
    pub fn coda_standard(datalen: u64) -> Self {
        HeapParams {
            datalen,
            saddr: 0x5000_0000,
            heaplen: datalen.saturating_sub(0x10_0000 + 0x1_0000),
            staticlen: 0x10_0000,
            nlists: 80,
            chunk: 64,
        }
    }

    /// Checks every rule real rdsinit (or the RVM segment loader behind it)
    /// enforces — mostly by assertion — and returns the layout.
    pub fn validate(&self) -> Result<HeapLayout> {
        let p = *self;
        let bad = |name: &'static str, value: u64, rule: String| Error::Parameter {
            name,
            value: show(value),
            rule,
        };
        if p.chunk < MIN_CHUNK {
            return Err(bad("CHUNK", p.chunk, format!(
                "the chunk size must be at least {MIN_CHUNK} bytes (32-byte block header plus 8-byte end guard on 64-bit)"
            )));
        }
        if p.chunk % 8 != 0 {
            return Err(bad(
                "CHUNK",
                p.chunk,
                "the chunk size must be a multiple of 8".into(),
            ));
        }
        if p.nlists == 0 {
            return Err(bad(
                "NLISTS",
                p.nlists,
                "at least one free list is needed".into(),
            ));
        }
        if p.nlists > (1 << 32) {
            return Err(bad("NLISTS", p.nlists, "too many free lists".into()));
        }
        if p.saddr == 0 || p.saddr % PAGE_SIZE != 0 {
            return Err(bad(
                "SADDR",
                p.saddr,
                format!(
                    "the heap address must be a non-zero multiple of the page size {PAGE_SIZE}"
                ),
            ));
        }
        if p.heaplen == 0 || p.heaplen % PAGE_SIZE != 0 {
            return Err(bad(
                "HEAPLEN",
                p.heaplen,
                format!("the heap length must be a non-zero multiple of the page size {PAGE_SIZE}"),
            ));
        }
        if p.staticlen == 0 || p.staticlen % PAGE_SIZE != 0 {
            return Err(bad(
                "STATICLEN",
                p.staticlen,
                format!(
                    "the statics length must be a non-zero multiple of the page size {PAGE_SIZE}"
                ),
            ));
        }
        let needed = PAGE_SIZE
            .checked_add(p.heaplen)
            .and_then(|x| x.checked_add(p.staticlen));
        match needed {
            Some(n) if n <= p.datalen => {}
            _ => {
                return Err(bad("DATALEN", p.datalen, format!(
                    "the data segment must hold the 4096-byte header page, the heap and the statics (at least {} bytes)",
                    needed.map_or("more than 2^64".into(), show)
                )))
            }
        }
        match p
            .saddr
            .checked_add(p.heaplen)
            .and_then(|x| x.checked_add(p.staticlen))
        {
            Some(end) if end <= USER_SPACE_END => {}
            _ => {
                return Err(bad(
                    "SADDR",
                    p.saddr,
                    format!(
                    "heap and statics must end below the user address limit {USER_SPACE_END:#x}"
                ),
                ))
            }
        }
        let hdr_len = 264 + 16 * p.nlists;
        let first_block = (p.saddr + hdr_len).div_ceil(p.chunk) * p.chunk;
        let heap_end = p.saddr + p.heaplen;
        let n_chunks = p.heaplen.saturating_sub(hdr_len) / p.chunk;
        if hdr_len >= p.heaplen || n_chunks == 0 || first_block + n_chunks * p.chunk > heap_end {
            return Err(bad("HEAPLEN", p.heaplen, format!(
                "the first free block does not fit: header {hdr_len} bytes ({} lists), block at heap+{} of {} chunks of {} bytes must end by the heap end",
                p.nlists,
                first_block - p.saddr,
                n_chunks,
                p.chunk
            )));
        }
        Ok(HeapLayout {
            params: p,
            hdr_len,
            first_block,
            n_chunks,
        })
    }
}

fn show(v: u64) -> String {
    if v >= 0x10000 && v % 0x1000 == 0 {
        format!("{v} ({v:#x})")
    } else {
        v.to_string()
    }
}

impl HeapLayout {
    /// File offset of virtual address `addr` inside the heap.
    pub fn file_offset(&self, addr: u64) -> u64 {
        PAGE_SIZE + (addr - self.params.saddr)
    }

    /// The segment header: heap then statics (spec §7.2).
    pub fn segment_header(&self) -> SegmentHeader {
        let p = &self.params;
        SegmentHeader {
            regions: vec![
                Region {
                    offset: PAGE_SIZE,
                    length: p.heaplen,
                    vmaddr: p.saddr,
                },
                Region {
                    offset: PAGE_SIZE + p.heaplen,
                    length: p.staticlen,
                    vmaddr: p.saddr + p.heaplen,
                },
            ],
        }
    }

    /// The heap header bytes (`hdr_len` bytes at the heap start, spec §7.3).
    pub fn heap_header(&self) -> Vec<u8> {
        let p = &self.params;
        let mut h = vec![0u8; self.hdr_len as usize];
        put_cstr(&mut h, 0, 80, HEAP_VERSION);
        put_u64(&mut h, 80, p.heaplen);
        put_u64(&mut h, 88, p.chunk);
        put_u64(&mut h, 96, p.nlists);
        put_u32(&mut h, 148, (self.n_chunks.wrapping_mul(p.chunk)) as u32);
        put_u64(&mut h, 160, p.nlists);
        for i in 1..=p.nlists as usize {
            put_u64(&mut h, 248 + 16 * i, LIST_GUARD);
        }
        put_u64(&mut h, 248 + 16 * p.nlists as usize + 8, self.first_block);
        h
    }

    /// The free block's header (32 bytes at `first_block`, spec §7.4).
    pub fn block_header(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        put_u64(&mut b, 0, FREE_GUARD);
        put_u64(&mut b, 8, self.n_chunks);
        b
    }

    /// Address of the free block's end guard.
    pub fn end_guard_addr(&self) -> u64 {
        self.first_block + self.n_chunks * self.params.chunk - 8
    }

    /// The three logged heap ranges of rdsinit's second transaction, as
    /// (virtual address, bytes), in rdsinit's order (spec §8.1 step 6).
    pub fn heap_ranges(&self) -> [(u64, Vec<u8>); 3] {
        [
            (self.params.saddr, self.heap_header()),
            (self.first_block, self.block_header().to_vec()),
            (self.end_guard_addr(), END_GUARD.to_le_bytes().to_vec()),
        ]
    }

    /// Size of the data file rdsinit leaves: datalen rounded up to 4096.
    pub fn file_size(&self) -> u64 {
        self.params.datalen.div_ceil(PAGE_SIZE) * PAGE_SIZE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coda_32m_layout_matches_spec_example() {
        // Spec §7.5: heaplen 32440320, n 506855, END_GUARD at file 32444408.
        let l = HeapParams::coda_standard(32 << 20).validate().unwrap();
        assert_eq!(l.params.heaplen, 32_440_320);
        assert_eq!(l.hdr_len, 1544);
        assert_eq!(l.first_block, 0x5000_0640);
        assert_eq!(l.n_chunks, 506_855);
        assert_eq!(l.file_offset(l.end_guard_addr()), 32_444_408);
    }

    #[test]
    fn chunk_48_rounds_on_the_absolute_address() {
        // Golden C: block at heap+1552.
        let p = HeapParams {
            datalen: 1 << 20,
            saddr: 0x5000_0000,
            heaplen: 524_288,
            staticlen: 262_144,
            nlists: 80,
            chunk: 48,
        };
        assert_eq!(p.validate().unwrap().first_block - p.saddr, 1552);
    }
}
