//! Building directory pages as the Coda directory library does (§12.6).

use super::error::{DirPageError, DirPageErrorKind as Kind};
use super::read::DirPages;
use super::*;

/// A directory under construction. Entries are created one at a time with
/// the Coda allocation rules (§12.6), so the same creation sequence gives
/// byte-identical pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirBuilder {
    data: Vec<u8>,
}

impl Default for DirBuilder {
    fn default() -> Self {
        Self::empty()
    }
}

impl DirBuilder {
    /// A directory with no entries at all, not even `.` and `..`: one
    /// zero-filled page with tag 1234, freecount 51, bitmap `FF 1F`,
    /// allomap 51, 64, 64, … and an empty hash table. Spec §12.6.
    pub fn empty() -> Self {
        let mut data = vec![0u8; PAGE_SIZE];
        let free = (BLOBS_PER_PAGE - HEADER_BLOBS) as u8;
        data[..4].copy_from_slice(&PAGE_TAG.to_be_bytes());
        data[FREECOUNT_OFFSET] = free;
        data[BITMAP_OFFSET] = 0xff;
        data[BITMAP_OFFSET + 1] = 0x1f;
        data[ALLOMAP_OFFSET] = free;
        data[ALLOMAP_OFFSET + 1..ALLOMAP_OFFSET + MAX_PAGES].fill(ABSENT_PAGE);
        DirBuilder { data }
    }

    /// A new directory holding `.` → `me` and `..` → `parent` (each a
    /// (vnode, uniquifier) pair), created in that order, as `mkdir` does.
    /// Spec §12.6.
    pub fn new(me: (u32, u32), parent: (u32, u32)) -> Self {
        let mut dir = Self::empty();
        // Neither can fail on an empty directory.
        let _ = dir.create(b".", me.0, me.1);
        let _ = dir.create(b"..", parent.0, parent.1);
        dir
    }

    /// Builds a directory by creating `entries` (name, vnode, uniquifier)
    /// in order, starting from [`DirBuilder::empty`]; include `.` and `..`
    /// first for a normal directory.
    pub fn build<'n>(
        entries: impl IntoIterator<Item = (&'n [u8], u32, u32)>,
    ) -> Result<Self, DirPageError> {
        let mut dir = Self::empty();
        for (name, vnode, unique) in entries {
            dir.create(name, vnode, unique)?;
        }
        Ok(dir)
    }

    /// Creates one entry and returns the number of its first blob.
    ///
    /// Refused, as by the Coda directory library: an empty name, a name
    /// over 255 bytes, a name already present, and "directory full". Names
    /// containing NUL or `/` are refused as well (they cannot be valid Coda
    /// names). Spec §12.6.
    pub fn create(&mut self, name: &[u8], vnode: u32, unique: u32) -> Result<u16, DirPageError> {
        if name.is_empty() {
            return Err(DirPageError::new(0, Kind::NameEmpty));
        }
        if name.len() > MAX_NAME_LEN {
            let kind = Kind::NameTooLong { len: name.len() };
            return Err(DirPageError::new(0, kind));
        }
        if name.iter().any(|&c| c == 0 || c == b'/') {
            return Err(DirPageError::new(0, Kind::NameInvalid));
        }
        let bucket = name_hash(name);
        if self.chain_has(bucket, name) {
            return Err(DirPageError::new(0, Kind::NameExists));
        }
        let n = name_blobs(name.len());
        let blob = self.find_blobs(n)?;
        let start = usize::from(blob) * BLOB_SIZE;
        let head = HASH_OFFSET + 2 * bucket;
        let old_head = [self.data[head], self.data[head + 1]];
        let d = &mut self.data[start..];
        d[ENTRY_FLAG] = FLAG_FIRST;
        d[ENTRY_NEXT..ENTRY_NEXT + 2].copy_from_slice(&old_head);
        d[ENTRY_VNODE..ENTRY_VNODE + 4].copy_from_slice(&vnode.to_be_bytes());
        d[ENTRY_UNIQUE..ENTRY_UNIQUE + 4].copy_from_slice(&unique.to_be_bytes());
        d[ENTRY_NAME..ENTRY_NAME + name.len()].copy_from_slice(name);
        d[ENTRY_NAME + name.len()] = 0;
        self.data[head..head + 2].copy_from_slice(&blob.to_be_bytes());
        Ok(blob)
    }

    /// The pages built so far, for reading.
    pub fn pages(&self) -> DirPages<'_> {
        // The builder always holds 1..=128 whole pages.
        DirPages::whole(&self.data)
    }

    /// Number of pages.
    pub fn page_count(&self) -> usize {
        self.data.len() / PAGE_SIZE
    }

    /// The pages' bytes (page 0 first), as carried by D_DIRPAGES.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// The pages' bytes, consuming the builder.
    pub fn into_bytes(self) -> Vec<u8> {
        self.data
    }

    /// True if chain `bucket` holds an entry named exactly `name`.
    fn chain_has(&self, bucket: usize, name: &[u8]) -> bool {
        let pages = self.pages();
        let mut blob = pages.hash_head(bucket);
        while blob != 0 {
            match pages.entry_at(blob, bucket) {
                Ok(e) if e.name == name => return true,
                Ok(e) => blob = e.next,
                Err(_) => return false,
            }
        }
        false
    }

    /// Allocates `n` contiguous blobs: the first page (in order) whose
    /// allomap says it has `n` free blobs and that has a run of `n` free
    /// blobs, adding a page when the allomap says 64. Spec §12.6.
    fn find_blobs(&mut self, n: usize) -> Result<u16, DirPageError> {
        for p in 0..MAX_PAGES {
            let free = usize::from(self.data[ALLOMAP_OFFSET + p]);
            if free < n {
                continue;
            }
            if free == BLOBS_PER_PAGE {
                self.add_page(p);
            }
            let base = p * PAGE_SIZE;
            let bitmap = &self.data[base + BITMAP_OFFSET..base + BITMAP_OFFSET + BITMAP_LEN];
            let used = |j: usize| bitmap[j / 8] >> (j % 8) & 1 != 0;
            let Some(first) = (0..=BLOBS_PER_PAGE - n).find(|&j| (j..j + n).all(|k| !used(k)))
            else {
                continue;
            };
            for k in first..first + n {
                self.data[base + BITMAP_OFFSET + k / 8] |= 1 << (k % 8);
            }
            self.data[ALLOMAP_OFFSET + p] -= n as u8;
            let fc = base + FREECOUNT_OFFSET;
            self.data[fc] = self.data[fc].wrapping_sub(n as u8);
            return Ok((p * BLOBS_PER_PAGE + first) as u16);
        }
        Err(DirPageError::new(0, Kind::Full))
    }

    /// Appends page `p` (zeroed, tag 1234, freecount 63, blob 0 in use).
    fn add_page(&mut self, p: usize) {
        debug_assert_eq!(p, self.page_count());
        let base = self.data.len();
        self.data.resize(base + PAGE_SIZE, 0);
        self.data[base..base + 4].copy_from_slice(&PAGE_TAG.to_be_bytes());
        self.data[base + FREECOUNT_OFFSET] = (BLOBS_PER_PAGE - 1) as u8;
        self.data[base + BITMAP_OFFSET] = 0x01;
        self.data[ALLOMAP_OFFSET + p] = (BLOBS_PER_PAGE - 1) as u8;
    }
}
