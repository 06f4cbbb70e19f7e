//! Reading a directory: header fields, hash chains and entries (§12.1–§12.5).

use super::error::{DirPageError, DirPageErrorKind as Kind};
use super::*;

/// A directory's pages, borrowed (the bytes of one D_DIRPAGES record
/// without the `'P'` separators). Spec §12.
#[derive(Debug, Clone, Copy)]
pub struct DirPages<'a> {
    data: &'a [u8],
}

/// One 2048-byte page. Spec §12.1.
#[derive(Debug, Clone, Copy)]
pub struct DirPage<'a> {
    bytes: &'a [u8],
}

/// One directory entry. Spec §12.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirEntry<'a> {
    /// Name bytes (no NUL; opaque bytes, UTF-8 in practice).
    pub name: &'a [u8],
    /// Vnode number the entry refers to.
    pub vnode: u32,
    /// Uniquifier the entry refers to.
    pub unique: u32,
    /// Global number of the entry's first blob.
    pub blob: u16,
    /// Next blob on the same hash chain (0 = end).
    pub next: u16,
}

impl DirEntry<'_> {
    /// Number of blobs the entry occupies. Spec §12.3.
    pub fn blobs(&self) -> usize {
        name_blobs(self.name.len())
    }
}

impl<'a> DirPage<'a> {
    /// The page tag (1234 in a valid page). Spec §12.1.
    pub fn tag(&self) -> u32 {
        be32(self.bytes, 0)
    }

    /// Free blobs in this page according to the page header (signed byte).
    /// Spec §12.1.
    pub fn freecount(&self) -> i8 {
        self.bytes[FREECOUNT_OFFSET] as i8
    }

    /// The 8-byte in-use bitmap (bit `j & 7` of byte `j >> 3` = blob `j`).
    /// Spec §12.1.
    pub fn bitmap(&self) -> [u8; 8] {
        let mut b = [0; 8];
        b.copy_from_slice(&self.bytes[BITMAP_OFFSET..BITMAP_OFFSET + BITMAP_LEN]);
        b
    }

    /// The page's raw bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

impl<'a> DirPages<'a> {
    /// Wraps the pages of one directory: `data` must hold 1 to 128 whole
    /// pages. Nothing else is checked here; see [`DirPages::check`].
    pub fn new(data: &'a [u8]) -> Result<Self, DirPageError> {
        if data.is_empty() || data.len() % PAGE_SIZE != 0 || data.len() > MAX_PAGES * PAGE_SIZE {
            return Err(DirPageError::new(0, Kind::BadLength { len: data.len() }));
        }
        Ok(DirPages { data })
    }

    /// Wraps data known to hold 1..=128 whole pages.
    pub(crate) fn whole(data: &'a [u8]) -> Self {
        debug_assert!(data.len() % PAGE_SIZE == 0 && !data.is_empty());
        DirPages { data }
    }

    /// Number of pages present.
    pub fn page_count(&self) -> usize {
        self.data.len() / PAGE_SIZE
    }

    /// Page `i` (panics if `i >= page_count()`).
    pub fn page(&self, i: usize) -> DirPage<'a> {
        DirPage {
            bytes: &self.data[i * PAGE_SIZE..(i + 1) * PAGE_SIZE],
        }
    }

    /// The allomap byte of page `i` (0..128): free blobs, 64 = no page.
    /// Spec §12.2.
    pub fn allomap(&self, i: usize) -> u8 {
        self.data[ALLOMAP_OFFSET + i]
    }

    /// First blob of hash chain `bucket` (0..128), 0 = empty. Spec §12.2.
    pub fn hash_head(&self, bucket: usize) -> u16 {
        be16(self.data, HASH_OFFSET + 2 * bucket)
    }

    /// The raw bytes of all pages.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The entries in listing order (§12.5): hash chains 0..127, each
    /// followed from its head. Stops with an error (and then ends) at a
    /// chain that leaves the directory, loops, or reaches a malformed entry.
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            pages: *self,
            bucket: 0,
            next: self.hash_head(0),
            visited: [0; MAX_PAGES * BLOBS_PER_PAGE / 64],
            done: false,
        }
    }

    /// Reads the entry whose first blob is `blob`, as found on chain
    /// `bucket` (used in error messages).
    pub(crate) fn entry_at(&self, blob: u16, bucket: usize) -> Result<DirEntry<'a>, DirPageError> {
        let b = usize::from(blob);
        let index = b % BLOBS_PER_PAGE;
        let header = if b < BLOBS_PER_PAGE { HEADER_BLOBS } else { 1 };
        if b >= self.page_count() * BLOBS_PER_PAGE || index < header {
            let at = HASH_OFFSET + 2 * bucket;
            return Err(DirPageError::new(at, Kind::BlobOutOfRange { bucket, blob }));
        }
        let start = b * BLOB_SIZE;
        let flag = self.data[start + ENTRY_FLAG];
        if flag != FLAG_FIRST {
            return Err(DirPageError::new(
                start,
                Kind::BadFlag { blob, found: flag },
            ));
        }
        let page_end = (b / BLOBS_PER_PAGE + 1) * PAGE_SIZE;
        let name_start = start + ENTRY_NAME;
        let limit = page_end.min(name_start + MAX_NAME_LEN + 1);
        let area = &self.data[name_start..limit];
        let len = match area.iter().position(|&c| c == 0) {
            Some(len) => len,
            None => return Err(DirPageError::new(name_start, Kind::Unterminated { blob })),
        };
        if len == 0 {
            return Err(DirPageError::new(start, Kind::EmptyName { blob }));
        }
        Ok(DirEntry {
            name: &area[..len],
            vnode: be32(self.data, start + ENTRY_VNODE),
            unique: be32(self.data, start + ENTRY_UNIQUE),
            blob,
            next: be16(self.data, start + ENTRY_NEXT),
        })
    }
}

/// Iterator over a directory's entries in listing order; see
/// [`DirPages::entries`].
#[derive(Debug, Clone)]
pub struct Entries<'a> {
    pages: DirPages<'a>,
    bucket: usize,
    next: u16,
    visited: [u64; MAX_PAGES * BLOBS_PER_PAGE / 64],
    done: bool,
}

impl<'a> Entries<'a> {
    /// Hash chain of the entry returned last (or about to be returned).
    pub fn bucket(&self) -> usize {
        self.bucket
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<DirEntry<'a>, DirPageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        while self.next == 0 {
            self.bucket += 1;
            if self.bucket == HASH_BUCKETS {
                self.done = true;
                return None;
            }
            self.next = self.pages.hash_head(self.bucket);
        }
        let blob = self.next;
        let b = usize::from(blob);
        // Blob numbers beyond the directory are rejected by entry_at; only
        // in-range ones are recorded here.
        if b < MAX_PAGES * BLOBS_PER_PAGE {
            let (word, bit) = (b / 64, 1u64 << (b % 64));
            if self.visited[word] & bit != 0 {
                self.done = true;
                let at = usize::from(blob) * BLOB_SIZE;
                let bucket = self.bucket;
                return Some(Err(DirPageError::new(at, Kind::ChainLoop { bucket, blob })));
            }
            self.visited[word] |= bit;
        }
        match self.pages.entry_at(blob, self.bucket) {
            Ok(e) => {
                self.next = e.next;
                Some(Ok(e))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
