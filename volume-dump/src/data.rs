//! What follows a vnode's fields (spec §7.2): the data prefix (D_DIRPAGES
//! and its page count, D_FILEDATA and its size, or D_BADINODE), decoded
//! and encoded side by side, and [`DataCursor`], the one state machine
//! that walks the data itself, page marks included, for both the reader
//! and the writer.

use std::io::{Read, Write};
use std::ops::RangeInclusive;

use crate::error::Result;
use crate::field::{FieldReader, FieldWriter};
use crate::index::VnodeClass;
use crate::tag::{BAD_INODE, DIR_PAGES, FILE_DATA, MAX_PAGES, PAGE_MARK, PAGE_SIZE};

/// What follows a vnode's fields (spec §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VnodeData {
    /// D_DIRPAGES with this many 2048-byte pages (1..=128).
    DirPages(u32),
    /// D_FILEDATA with this many bytes.
    File(u32),
    /// D_BADINODE: the server could not read the data.
    BadInode,
}

/// The page counts a directory may have (spec §7.2: restore refuses more
/// than 128).
pub(crate) const PAGE_COUNTS: RangeInclusive<u32> = 1..=MAX_PAGES;

/// What the small index allows after a vnode's fields.
const FILE_OR_BAD_INODE: &str = "D_FILEDATA (0x0c) or D_BADINODE (0x0e)";

impl VnodeData {
    /// Number of payload bytes (pages x 2048, file size, or 0).
    pub fn payload_len(self) -> u64 {
        match self {
            VnodeData::DirPages(n) => u64::from(n) * PAGE_SIZE as u64,
            VnodeData::File(n) => u64::from(n),
            VnodeData::BadInode => 0,
        }
    }

    /// Decodes the data prefix of a vnode of `class`: directories have
    /// pages, files and symlinks data or D_BADINODE (spec §9.3).
    pub(crate) fn decode<R: Read>(r: &mut FieldReader<R>, class: VnodeClass) -> Result<Self> {
        match class {
            VnodeClass::Large => {
                r.expect(DIR_PAGES)?;
                let count_at = r.offset();
                let n = r.u32("the page count")?;
                if !PAGE_COUNTS.contains(&n) {
                    return Err(r.format_at(
                        count_at,
                        format!("{n} directory pages"),
                        "1 to 128 pages",
                    ));
                }
                Ok(VnodeData::DirPages(n))
            }
            VnodeClass::Small => match r.tag(FILE_OR_BAD_INODE)? {
                (_, FILE_DATA) => Ok(VnodeData::File(r.u32("the file size")?)),
                (_, BAD_INODE) => Ok(VnodeData::BadInode),
                (at, other) => Err(r.wrong_byte(at, other, FILE_OR_BAD_INODE)),
            },
        }
    }

    /// Encodes the data prefix.
    pub(crate) fn encode<W: Write>(self, w: &mut FieldWriter<W>) -> Result<()> {
        match self {
            VnodeData::DirPages(n) => {
                w.put(&[DIR_PAGES])?;
                w.u32(n)
            }
            VnodeData::File(n) => {
                w.put(&[FILE_DATA])?;
                w.u32(n)
            }
            VnodeData::BadInode => w.put(&[BAD_INODE]),
        }
    }
}

/// Where a vnode's data stands while it is read or written. Directory data
/// is its pages, each introduced in the stream by a `'P'` mark that the
/// callers of the reader and writer never see; file data is one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataCursor {
    /// No data announced (D_BADINODE, or before the first vnode).
    None,
    /// Directory pages: pages whose mark is still to come, and bytes left
    /// in the current page.
    Pages {
        /// Pages not yet started.
        pages_left: u32,
        /// Bytes left in the current page (0: a mark or the end is next).
        in_page: usize,
    },
    /// File data bytes left.
    File {
        /// Bytes left.
        left: u64,
    },
}

/// What comes next in the stream, per [`DataCursor::step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// All the data is done.
    Done,
    /// A page mark `'P'`.
    Mark,
    /// Up to this many data bytes.
    Bytes(u64),
}

/// The mark's name when the stream ends before it.
pub(crate) const MARK_MISSING: &str = "a directory page mark 'P'";
/// What belongs where a mark is due.
pub(crate) const MARK_WANTED: &str = "'P' (0x50) before a directory page";

impl DataCursor {
    /// The cursor at the start of `data`.
    pub(crate) fn new(data: VnodeData) -> Self {
        match data {
            VnodeData::DirPages(n) => DataCursor::Pages {
                pages_left: n,
                in_page: 0,
            },
            VnodeData::File(n) => DataCursor::File { left: u64::from(n) },
            VnodeData::BadInode => DataCursor::None,
        }
    }

    /// What comes next.
    pub(crate) fn step(&self) -> Step {
        match *self {
            DataCursor::None
            | DataCursor::File { left: 0 }
            | DataCursor::Pages {
                pages_left: 0,
                in_page: 0,
            } => Step::Done,
            DataCursor::File { left } => Step::Bytes(left),
            DataCursor::Pages { in_page: 0, .. } => Step::Mark,
            DataCursor::Pages { in_page, .. } => Step::Bytes(in_page as u64),
        }
    }

    /// A page mark has been read or written.
    pub(crate) fn marked(&mut self) {
        debug_assert_eq!(self.step(), Step::Mark);
        if let DataCursor::Pages {
            pages_left,
            in_page,
        } = self
        {
            *pages_left -= 1;
            *in_page = PAGE_SIZE;
        }
    }

    /// `n` data bytes (at most what [`step`](Self::step) allowed) have been
    /// read or written.
    pub(crate) fn advance(&mut self, n: u64) {
        match self {
            DataCursor::File { left } => *left -= n,
            DataCursor::Pages { in_page, .. } => *in_page -= n as usize,
            DataCursor::None => debug_assert_eq!(n, 0),
        }
    }

    /// Data bytes still to come, page marks not counted.
    pub(crate) fn remaining(&self) -> u64 {
        match *self {
            DataCursor::None => 0,
            DataCursor::File { left } => left,
            DataCursor::Pages {
                pages_left,
                in_page,
            } => in_page as u64 + u64::from(pages_left) * PAGE_SIZE as u64,
        }
    }

    /// What the stream should still hold, for a truncation message.
    pub(crate) fn missing(&self) -> String {
        let what = match self {
            DataCursor::Pages { .. } => "directory pages",
            _ => "file data",
        };
        format!("{} more bytes of {what}", self.remaining())
    }
}

/// Reads the mark of the next page.
pub(crate) fn read_mark<R: Read>(r: &mut FieldReader<R>) -> Result<()> {
    r.expect_byte(PAGE_MARK, MARK_MISSING, MARK_WANTED)
        .map(drop)
}

/// Writes the mark of the next page.
pub(crate) fn write_mark<W: Write>(w: &mut FieldWriter<W>) -> Result<()> {
    w.put(&[PAGE_MARK])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Record;
    use crate::field::tests::{golden, round_trip};

    /// The data prefixes of three golden dumps.
    #[rustfmt::skip]
    const PREFIXES: &[(&str, usize, VnodeClass, &[u8], VnodeData)] = &[
        // Spec §16: the root's D_DIRPAGES, one page.
        ("native-full.dump", 468, VnodeClass::Large,
            &[0x0b, 0x00, 0x00, 0x00, 0x01], VnodeData::DirPages(1)),
        // File 2.5: D_FILEDATA, 300 bytes.
        ("harness-a-full.dump", 13425, VnodeClass::Small,
            &[0x0c, 0x00, 0x00, 0x01, 0x2c], VnodeData::File(300)),
        // File 2.2: D_BADINODE, no data.
        ("harness-badinode.dump", 2621, VnodeClass::Small,
            &[0x0e], VnodeData::BadInode),
    ];

    #[test]
    fn data_prefixes_decode_and_encode() {
        for &(name, at, class, bytes, want) in PREFIXES {
            assert_eq!(&golden(name)[at..at + bytes.len()], bytes, "{name}");
            let data = round_trip(bytes, |r| VnodeData::decode(r, class), |d, w| d.encode(w));
            assert_eq!(data, want, "{name}");
        }
    }

    #[test]
    fn a_directory_has_1_to_128_pages() {
        for (count, ok) in [(0u32, false), (1, true), (128, true), (129, false)] {
            let mut bytes = vec![DIR_PAGES];
            bytes.extend_from_slice(&count.to_be_bytes());
            let mut r = FieldReader::new(&bytes[..], false, Record::DumpHeader);
            match VnodeData::decode(&mut r, VnodeClass::Large) {
                Ok(d) => assert!(ok && d == VnodeData::DirPages(count)),
                Err(e) => {
                    assert!(!ok);
                    assert_eq!(e.offset(), Some(1), "{e}");
                }
            }
        }
    }

    /// Spec §7.2 for a two-page directory: `'P'` + 2048 bytes, twice.
    #[test]
    fn the_cursor_walks_pages_and_their_marks() {
        let mut c = DataCursor::new(VnodeData::DirPages(2));
        assert_eq!(c.remaining(), 4096);
        for _ in 0..2 {
            assert_eq!(c.step(), Step::Mark);
            c.marked();
            assert_eq!(c.step(), Step::Bytes(2048));
            c.advance(2000);
            assert_eq!(c.step(), Step::Bytes(48));
            c.advance(48);
        }
        assert_eq!(c.step(), Step::Done);
        assert_eq!(c.remaining(), 0);
    }

    #[test]
    fn the_cursor_walks_file_data() {
        let mut c = DataCursor::new(VnodeData::File(300));
        assert_eq!(c.step(), Step::Bytes(300));
        c.advance(100);
        assert_eq!(c.missing(), "200 more bytes of file data");
        c.advance(200);
        assert_eq!(c.step(), Step::Done);
        assert_eq!(DataCursor::new(VnodeData::File(0)).step(), Step::Done);
        assert_eq!(DataCursor::new(VnodeData::BadInode).step(), Step::Done);
    }
}
