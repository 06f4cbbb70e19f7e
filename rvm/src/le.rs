//! Little-endian primitives of the on-disk formats (spec §0.1): field
//! access on byte buffers, the 16-byte RVM `offset` as a `zerocopy`
//! layout, and [`read()`]/[`write()`] for whole fixed layouts. Reads past the
//! end of a buffer yield zero bytes, so callers that check bounds first
//! never panic and fuzzed input never does either.

use zerocopy::little_endian::U64;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// An RVM `offset` as stored (spec §0.1): high word first, then the low
/// word. On 64-bit builds the high word is always 0.
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct Offset {
    /// High word.
    pub high: U64,
    /// Low word: the offset on every file RVM writes.
    pub low: U64,
}

const _: () = assert!(size_of::<Offset>() == 16);

impl Offset {
    /// The offset `low` with high word 0.
    pub fn new(low: u64) -> Self {
        Offset {
            high: U64::ZERO,
            low: U64::new(low),
        }
    }
}

/// Reads a fixed layout `T` at `at`; bytes missing from `buf` read as zero.
pub fn read<T: FromBytes + IntoBytes>(buf: &[u8], at: usize) -> T {
    let mut v = T::new_zeroed();
    let dst = v.as_mut_bytes();
    if let Some(src) = buf.get(at..) {
        let n = src.len().min(dst.len());
        dst[..n].copy_from_slice(&src[..n]);
    }
    v
}

/// Writes a fixed layout at `at` (the buffer must be long enough).
pub fn write<T: IntoBytes + Immutable>(buf: &mut [u8], at: usize, v: &T) {
    let b = v.as_bytes();
    buf[at..at + b.len()].copy_from_slice(b);
}

/// Reads a u64 at `at`; missing bytes read as zero.
pub fn u64_at(buf: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(src) = buf.get(at..) {
        let n = src.len().min(8);
        b[..n].copy_from_slice(&src[..n]);
    }
    u64::from_le_bytes(b)
}

/// Reads a u32 at `at`; missing bytes read as zero.
pub fn u32_at(buf: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(src) = buf.get(at..) {
        let n = src.len().min(4);
        b[..n].copy_from_slice(&src[..n]);
    }
    u32::from_le_bytes(b)
}

/// Writes a u64 at `at` (the buffer must be long enough).
pub fn put_u64(buf: &mut [u8], at: usize, v: u64) {
    buf[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Writes a u32 at `at` (the buffer must be long enough).
pub fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Reads an RVM `offset` (16 bytes, high word first, §0.1) as (high, low).
pub fn offset_at(buf: &[u8], at: usize) -> (u64, u64) {
    (u64_at(buf, at), u64_at(buf, at + 8))
}

/// Writes an RVM `offset` with high word 0.
pub fn put_offset(buf: &mut [u8], at: usize, low: u64) {
    put_u64(buf, at, 0);
    put_u64(buf, at + 8, low);
}

/// Reads a NUL-terminated string from a fixed-size field.
pub fn cstr_at(buf: &[u8], at: usize, len: usize) -> String {
    let field = buf
        .get(at..at.saturating_add(len).min(buf.len()))
        .unwrap_or(&[]);
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// Writes a string into a fixed-size field, zero-filled after it.
pub fn put_cstr(buf: &mut [u8], at: usize, len: usize, s: &str) {
    let field = &mut buf[at..at + len];
    field.fill(0);
    let n = s.len().min(len - 1);
    field[..n].copy_from_slice(&s.as_bytes()[..n]);
}
