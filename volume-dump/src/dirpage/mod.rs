//! Coda directory pages (spec §12): the 2048-byte pages carried by a
//! directory vnode's D_DIRPAGES record.
//!
//! [`DirPages`] reads a directory (header, hash chains, entries) without
//! copying it, [`DirPages::check`] applies the salvager's validity rules
//! (§12.7), [`DirPages::listing`] is the one place entry names leave the
//! format (each checked: §11.7), and [`DirBuilder`] creates entries exactly
//! as the Coda directory library does (§12.6), so pages built from the same
//! creation sequence are byte-identical to the server's.

mod build;
mod check;
mod error;
mod listing;
mod read;

pub use build::DirBuilder;
pub use error::{escape_name, DirPageError, DirPageErrorKind, NameProblem};
pub use listing::Listing;
pub use read::{DirEntry, DirPage, DirPages, Entries};

/// Size of one directory page in bytes. Spec §12.
pub const PAGE_SIZE: usize = 2048;
/// Size of one blob (allocation unit inside a page). Spec §12.
pub const BLOB_SIZE: usize = 32;
/// Blobs per page. Spec §12.
pub const BLOBS_PER_PAGE: usize = 64;
/// Largest number of pages a directory may have. Spec §7.2, §12.
pub const MAX_PAGES: usize = 128;
/// Value of the tag field that starts every page. Spec §12.1.
pub const PAGE_TAG: u32 = 1234;
/// Number of hash chains in the directory header. Spec §12.2.
pub const HASH_BUCKETS: usize = 128;
/// Longest entry name in bytes (without the NUL). Spec §12.3.
pub const MAX_NAME_LEN: usize = 255;
/// Blobs of page 0 taken by the page and directory headers (0..=12).
/// Spec §12.2.
pub const HEADER_BLOBS: usize = 13;
/// `allomap` value of a page that does not exist. Spec §12.2.
pub const ABSENT_PAGE: u8 = BLOBS_PER_PAGE as u8;
/// Flag byte of the first blob of an entry (FFIRST). Spec §12.3.
pub const FLAG_FIRST: u8 = 1;

// Layout of page 0 (spec §12.1, §12.2).
const FREECOUNT_OFFSET: usize = 4;
const BITMAP_OFFSET: usize = 5;
const BITMAP_LEN: usize = BLOBS_PER_PAGE / 8;
const ALLOMAP_OFFSET: usize = 32;
const HASH_OFFSET: usize = ALLOMAP_OFFSET + MAX_PAGES;
// Layout of an entry's first blob (spec §12.3).
const ENTRY_FLAG: usize = 0;
const ENTRY_NEXT: usize = 2;
const ENTRY_VNODE: usize = 4;
const ENTRY_UNIQUE: usize = 8;
const ENTRY_NAME: usize = 12;

/// The hash chain a name belongs to (0..127). Spec §12.4.
///
/// Bytes are taken as signed 8-bit values, as the Coda C code does.
pub fn name_hash(name: &[u8]) -> usize {
    let mut h: i32 = 0;
    for &c in name {
        h = h.wrapping_mul(173).wrapping_add(i32::from(c as i8));
    }
    let t = (h & (HASH_BUCKETS as i32 - 1)) as usize;
    if t == 0 || h >= 0 {
        t
    } else {
        HASH_BUCKETS - t
    }
}

/// Stream offset of byte `at` of a directory's pages whose D_DIRPAGES
/// data starts at stream offset `data_at`: every page is preceded by its
/// `'P'` mark (spec §7.2).
pub fn stream_offset(data_at: u64, at: usize) -> u64 {
    data_at + (at / PAGE_SIZE) as u64 + 1 + at as u64
}

/// Number of blobs an entry with a name of `len` bytes occupies:
/// `1 + ((len + 1 + 15) >> 5)`. Spec §12.3.
pub fn name_blobs(len: usize) -> usize {
    1 + ((len + 1 + 15) >> 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_examples_from_spec() {
        // Spec §12.4 examples.
        assert_eq!(name_hash(b"."), 46);
        assert_eq!(name_hash(b".."), 68);
        assert_eq!(name_hash(b"README.txt"), 12);
        assert_eq!(name_hash(b"subdir"), 95);
        assert_eq!(name_hash("café.txt".as_bytes()), 52);
    }

    #[test]
    fn blob_counts_from_spec() {
        // Spec §12.3: 1 blob up to 15 bytes, 2 for 16..47, 9 for 255.
        assert_eq!(name_blobs(1), 1);
        assert_eq!(name_blobs(15), 1);
        assert_eq!(name_blobs(16), 2);
        assert_eq!(name_blobs(47), 2);
        assert_eq!(name_blobs(48), 3);
        assert_eq!(name_blobs(255), 9);
    }
}
