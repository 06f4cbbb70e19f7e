//! The data-segment header page (spec §7.1).

use std::mem::offset_of;

use zerocopy::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::le::{self, Offset};

/// Page size baked into the segment layout (x86_64 Linux, spec §0).
pub const PAGE_SIZE: u64 = 4096;
/// Struct id of a segment header.
pub const SEGMENT_ID: u32 = 1;
/// Segment loader version string (two spaces before 15).
pub const SEGMENT_VERSION: &str = "RVM Segment Loader Release 0.1  15 Nov. 1990";
/// Most regions that fit in the header page: (4096 − 144) / 32. (The spec
/// says 127, which would need 4208 bytes; RDS uses 2.)
pub const MAX_REGIONS: usize = (PAGE_SIZE as usize - FIXED) / REGION;

/// The fixed part of the header page as stored; the region table follows.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawSegmentHeader {
    struct_id: U32,
    version: [u8; 128],
    _pad: U32,
    nregions: U64,
}

/// One entry of the region table as stored.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawRegion {
    offset: Offset,
    length: U64,
    vmaddr: U64,
}

const FIXED: usize = size_of::<RawSegmentHeader>();
const REGION: usize = size_of::<RawRegion>();
const VERSION_AT: usize = offset_of!(RawSegmentHeader, version);
const NREGIONS_AT: usize = offset_of!(RawSegmentHeader, nregions);
// Spec §7.1: the region table starts at byte 144, 32 bytes an entry.
const _: () = assert!(FIXED == 144 && REGION == 32 && NREGIONS_AT == 136 && VERSION_AT == 4);
const _: () = assert!(MAX_REGIONS == 123);

/// Byte offset of region `i`'s entry in the header page.
const fn region_at(i: usize) -> usize {
    FIXED + REGION * i
}

/// The version field as text (up to its NUL).
fn version_of(h: &RawSegmentHeader) -> &[u8] {
    let end = h.version.iter().position(|&b| b == 0).unwrap_or(128);
    &h.version[..end]
}

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
        let mut fixed = RawSegmentHeader {
            struct_id: SEGMENT_ID.into(),
            version: [0; 128],
            _pad: U32::ZERO,
            nregions: (self.regions.len() as u64).into(),
        };
        fixed.version[..SEGMENT_VERSION.len()].copy_from_slice(SEGMENT_VERSION.as_bytes());
        le::write(&mut page, 0, &fixed);
        for (i, r) in self.regions.iter().take(MAX_REGIONS).enumerate() {
            let raw = RawRegion {
                offset: Offset::new(r.offset),
                length: r.length.into(),
                vmaddr: r.vmaddr.into(),
            };
            le::write(&mut page, region_at(i), &raw);
        }
        page
    }

    /// Decodes a header page; `None` unless struct id and version match.
    pub fn decode(page: &[u8]) -> Option<Self> {
        let fixed: RawSegmentHeader = le::read(page, 0);
        if fixed.struct_id.get() != SEGMENT_ID || version_of(&fixed) != SEGMENT_VERSION.as_bytes() {
            return None;
        }
        let n = fixed.nregions.get();
        if n > MAX_REGIONS as u64 {
            return None;
        }
        let regions = (0..n as usize)
            .map(|i| {
                let r: RawRegion = le::read(page, region_at(i));
                Region {
                    offset: r.offset.low.get(),
                    length: r.length.get(),
                    vmaddr: r.vmaddr.get(),
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
        let fixed: RawSegmentHeader = le::read(page, 0);
        let id = fixed.struct_id.get();
        let n = fixed.nregions.get();
        return Err(if page.iter().all(|&b| b == 0) {
            "no segment header (its first page is all zero)".into()
        } else if id != SEGMENT_ID {
            format!("no segment header (struct id {id} at byte 0, expected {SEGMENT_ID})")
        } else if version_of(&fixed) != SEGMENT_VERSION.as_bytes() {
            format!(
                "no segment header (the version at byte {VERSION_AT} is not \"{SEGMENT_VERSION}\")"
            )
        } else {
            format!("a damaged segment header (nregions {n} at byte {NREGIONS_AT}, expected at most {MAX_REGIONS})")
        });
    };
    for (i, r) in h.regions.iter().enumerate() {
        let at = region_at(i);
        let high = le::read::<RawRegion>(page, at).offset.high.get();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden::{assert_fields, golden};

    /// The header page of golden `rdsinit_B.data` (real `rdsinit -f log
    /// data 1048576 0x20000000 524288 262144 100 40`), field by field;
    /// every other byte of the page is zero.
    #[rustfmt::skip]
    const RDSINIT_B: &[(usize, &[u8])] = &[
        (0,   &[0x01, 0, 0, 0]),                                     // struct_id 1
        (4,   b"RVM Segment Loader Release 0.1  15 Nov. 1990\0"),    // version (two spaces before 15)
        (136, &[0x02, 0, 0, 0, 0, 0, 0, 0]),                         // nregions 2
        (144, &[0, 0, 0, 0, 0, 0, 0, 0]),                            // region 0: offset, high word 0
        (152, &[0x00, 0x10, 0, 0, 0, 0, 0, 0]),                      //   offset, low word 4096
        (160, &[0x00, 0x00, 0x08, 0, 0, 0, 0, 0]),                   //   length 524288 (the heap)
        (168, &[0x00, 0x00, 0x00, 0x20, 0, 0, 0, 0]),                //   vmaddr 0x20000000
        (176, &[0, 0, 0, 0, 0, 0, 0, 0]),                            // region 1: offset, high word 0
        (184, &[0x00, 0x10, 0x08, 0, 0, 0, 0, 0]),                   //   offset, low word 528384
        (192, &[0x00, 0x00, 0x04, 0, 0, 0, 0, 0]),                   //   length 262144 (the statics)
        (200, &[0x00, 0x00, 0x08, 0x20, 0, 0, 0, 0]),                //   vmaddr 0x20080000
    ];

    #[test]
    fn golden_segment_header_field_by_field() {
        let data = golden("rdsinit_B.data");
        let page = &data[..PAGE_SIZE as usize];
        assert_fields("rdsinit_B.data header page", page, RDSINIT_B);
        let want = SegmentHeader {
            regions: vec![
                Region {
                    offset: 4096,
                    length: 524_288,
                    vmaddr: 0x2000_0000,
                },
                Region {
                    offset: 528_384,
                    length: 262_144,
                    vmaddr: 0x2008_0000,
                },
            ],
        };
        assert_eq!(SegmentHeader::decode(page), Some(want.clone()));
        assert_eq!(check_real(page, data.len() as u64), Ok(want.clone()));
        assert_eq!(want.encode(), page);
    }

    #[test]
    fn damaged_headers_are_named() {
        let data = golden("rdsinit_B.data");
        let mut page = data[..PAGE_SIZE as usize].to_vec();
        page[136] = 124; // nregions above MAX_REGIONS
        let e = check_real(&page, 1 << 20).unwrap_err();
        assert!(e.contains("nregions 124 at byte 136"), "{e}");
        page[136] = 2;
        page[4] = b'X';
        let e = check_real(&page, 1 << 20).unwrap_err();
        assert!(e.contains("version at byte 4"), "{e}");
        page[0] = 7;
        let e = check_real(&page, 1 << 20).unwrap_err();
        assert!(e.contains("struct id 7 at byte 0"), "{e}");
        let e = check_real(&data[..PAGE_SIZE as usize], 600_000).unwrap_err();
        assert!(e.contains("region 1 (at byte 176"), "{e}");
    }
}
