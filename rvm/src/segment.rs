//! The data-segment header page (spec §7.1).

use crate::le::{cstr_at, offset_at, put_cstr, put_offset, put_u32, put_u64, u32_at, u64_at};

/// Page size baked into the segment layout (x86_64 Linux, spec §0).
pub const PAGE_SIZE: u64 = 4096;
/// Struct id of a segment header.
pub const SEGMENT_ID: u32 = 1;
/// Segment loader version string (two spaces before 15).
pub const SEGMENT_VERSION: &str = "RVM Segment Loader Release 0.1  15 Nov. 1990";
/// Most regions that fit in the header page: (4096 − 144) / 32. (The spec
/// says 127, which would need 4208 bytes; RDS uses 2.)
pub const MAX_REGIONS: usize = 123;

/// One region of a segment: where it lies in the file and where it is mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// File offset.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// Virtual address it is mapped at.
    pub vmaddr: u64,
}

/// The segment header page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Regions in table order.
    pub regions: Vec<Region>,
}

impl SegmentHeader {
    /// Encodes the 4096-byte header page.
    pub fn encode(&self) -> Vec<u8> {
        let mut page = vec![0u8; PAGE_SIZE as usize];
        put_u32(&mut page, 0, SEGMENT_ID);
        put_cstr(&mut page, 4, 128, SEGMENT_VERSION);
        put_u64(&mut page, 136, self.regions.len() as u64);
        for (i, r) in self.regions.iter().take(MAX_REGIONS).enumerate() {
            let at = 144 + 32 * i;
            put_offset(&mut page, at, r.offset);
            put_u64(&mut page, at + 16, r.length);
            put_u64(&mut page, at + 24, r.vmaddr);
        }
        page
    }

    /// Decodes a header page; `None` unless struct id and version match.
    pub fn decode(page: &[u8]) -> Option<Self> {
        if u32_at(page, 0) != SEGMENT_ID || cstr_at(page, 4, 128) != SEGMENT_VERSION {
            return None;
        }
        let n = u64_at(page, 136);
        if n as usize > MAX_REGIONS {
            return None;
        }
        let regions = (0..n as usize)
            .map(|i| {
                let at = 144 + 32 * i;
                Region {
                    offset: offset_at(page, at).1,
                    length: u64_at(page, at + 16),
                    vmaddr: u64_at(page, at + 24),
                }
            })
            .collect();
        Some(SegmentHeader { regions })
    }
}

/// Checks that `page` (the first bytes of a segment of `len` bytes) is the
/// header of a real data segment: struct id, version and region count as
/// [`SegmentHeader::decode`] requires, and every region inside the
/// segment. The error says what was found instead.
pub fn check_real(page: &[u8], len: u64) -> Result<SegmentHeader, String> {
    if len < PAGE_SIZE || page.len() < PAGE_SIZE as usize {
        return Err(format!(
            "only {len} usable bytes (whole sectors), too short for a segment header ({PAGE_SIZE} bytes)"
        ));
    }
    let Some(h) = SegmentHeader::decode(page) else {
        let id = u32_at(page, 0);
        let n = u64_at(page, 136);
        return Err(if page.iter().all(|&b| b == 0) {
            "no segment header (its first page is all zero)".into()
        } else if id != SEGMENT_ID {
            format!("no segment header (struct id {id} at byte 0, expected {SEGMENT_ID})")
        } else if cstr_at(page, 4, 128) != SEGMENT_VERSION {
            format!("no segment header (the version at byte 4 is not \"{SEGMENT_VERSION}\")")
        } else {
            format!("a damaged segment header (nregions {n} at byte 136, expected at most {MAX_REGIONS})")
        });
    };
    for (i, r) in h.regions.iter().enumerate() {
        let at = 144 + 32 * i;
        let high = offset_at(page, at).0;
        let end = r.offset.checked_add(r.length);
        if high != 0 || end.is_none_or(|e| e > len) {
            return Err(format!(
                "a segment header whose region {i} (at byte {at}: offset {}, length {}) reaches past the end of the {len}-byte segment",
                r.offset, r.length
            ));
        }
    }
    Ok(h)
}
