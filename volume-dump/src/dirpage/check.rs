//! Validity checks of a directory, as the Coda salvager makes them (§12.7).

use super::error::{DirPageError, DirPageErrorKind as Kind};
use super::read::DirPages;
use super::*;

impl DirPages<'_> {
    /// Checks the directory as the Coda salvager does (spec §12.7): page
    /// tags, allomap ranges and page count, bitmap free counts, every hash
    /// chain (range, flag, name length, bucket) and that the header blobs
    /// plus the entry blobs are exactly the blobs marked in use. Also
    /// rejects entries that overlap or run past their page.
    pub fn check(&self) -> Result<(), DirPageError> {
        let present = self.page_count();
        for p in 0..present {
            let tag = self.page(p).tag();
            if tag != PAGE_TAG {
                let kind = Kind::BadTag {
                    page: p,
                    found: tag,
                };
                return Err(DirPageError::new(p * PAGE_SIZE, kind));
            }
        }
        let allomap_pages = (0..MAX_PAGES)
            .filter(|&p| self.allomap(p) != ABSENT_PAGE)
            .count();
        for p in 0..MAX_PAGES {
            let a = usize::from(self.allomap(p));
            let ok = match p {
                0 => a <= BLOBS_PER_PAGE - HEADER_BLOBS,
                _ if p < allomap_pages => a < BLOBS_PER_PAGE,
                _ => a == BLOBS_PER_PAGE,
            };
            if !ok {
                let kind = Kind::BadAllomap {
                    page: p,
                    found: self.allomap(p),
                };
                return Err(DirPageError::new(ALLOMAP_OFFSET + p, kind));
            }
        }
        if allomap_pages != present {
            let kind = Kind::PageCount {
                allomap: allomap_pages,
                present,
            };
            return Err(DirPageError::new(ALLOMAP_OFFSET, kind));
        }
        for p in 0..present {
            let used: u32 = self.page(p).bitmap().iter().map(|b| b.count_ones()).sum();
            let free = BLOBS_PER_PAGE - used as usize;
            if free != usize::from(self.allomap(p)) {
                let kind = Kind::FreeCount {
                    page: p,
                    allomap: self.allomap(p),
                    bitmap: free,
                };
                return Err(DirPageError::new(p * PAGE_SIZE + BITMAP_OFFSET, kind));
            }
        }

        // Blobs in use according to the headers and the entries.
        let mut used = [0u8; MAX_PAGES * BITMAP_LEN];
        used[0] = 0xff;
        used[1] = 0x1f;
        for p in 1..present {
            used[p * BITMAP_LEN] = 0x01;
        }
        let mut entries = self.entries();
        while let Some(entry) = entries.next() {
            let e = entry?;
            let bucket = entries.bucket();
            let at = usize::from(e.blob) * BLOB_SIZE;
            let expected = name_hash(e.name);
            if expected != bucket {
                let kind = Kind::WrongBucket {
                    blob: e.blob,
                    found: bucket,
                    expected,
                };
                return Err(DirPageError::new(at, kind));
            }
            let first = usize::from(e.blob);
            let n = e.blobs();
            if first % BLOBS_PER_PAGE + n > BLOBS_PER_PAGE {
                return Err(DirPageError::new(at, Kind::CrossesPage { blob: e.blob }));
            }
            for j in first..first + n {
                let bit = 1u8 << (j % 8);
                if used[j / 8] & bit != 0 {
                    return Err(DirPageError::new(at, Kind::Overlap { blob: e.blob }));
                }
                used[j / 8] |= bit;
            }
        }
        for p in 0..present {
            let found = self.page(p).bitmap();
            for (byte, &f) in found.iter().enumerate() {
                let expected = used[p * BITMAP_LEN + byte];
                if f != expected {
                    let kind = Kind::Bitmap {
                        page: p,
                        byte,
                        found: f,
                        expected,
                    };
                    return Err(DirPageError::new(
                        p * PAGE_SIZE + BITMAP_OFFSET + byte,
                        kind,
                    ));
                }
            }
        }
        Ok(())
    }
}
