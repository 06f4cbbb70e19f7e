//! The streaming dump reader (spec §1-§9).

use std::io::{self, Read, Write};

use crate::error::{Error, Record, Result};
use crate::header::DumpHeader;
use crate::input::Input;
use crate::tag::*;
use crate::vnode::{vnode_type, IndexHeader, VersionVector, Vnode, VnodeClass, VnodeData};
use crate::volume::VolumeDiskData;

/// How strictly the reader checks field order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Accept the fields of every record in any order, duplicated or
    /// missing (missing values read as 0 / empty), strings without their
    /// NUL, and any dump version. The default (strict) requires the
    /// canonical order of spec §4, §5, §7.1 that every writer produces.
    pub lenient: bool,
}

/// One step of a dump, as returned by [`DumpReader::next_entry`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// The start of an index (D_LARGEINDEX or D_SMALLINDEX).
    Index {
        /// Stream offset of the index tag.
        offset: u64,
        /// Which index.
        class: VnodeClass,
        /// Its header.
        header: IndexHeader,
    },
    /// A vnode record; its data is readable through the reader until the
    /// next call of `next_entry`.
    Vnode(VnodeEntry),
    /// A D_RMVNODE record (incremental dumps).
    Removed {
        /// Stream offset of the record.
        offset: u64,
        /// Vnode number.
        vnode: u32,
        /// Uniquifier.
        unique: u32,
    },
    /// A D_NULLVNODE record.
    Null {
        /// Stream offset of the record.
        offset: u64,
    },
    /// The end marker; nothing follows.
    End {
        /// Stream offset of D_DUMPEND.
        offset: u64,
        /// Bytes after the end magic (tape padding, or another dump).
        trailing_bytes: u64,
    },
}

/// A vnode record: where it is, its fields and what data follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VnodeEntry {
    /// Stream offset of the D_VNODE tag.
    pub offset: u64,
    /// The fields.
    pub vnode: Vnode,
    /// The kind and size of the data that follows.
    pub data: VnodeData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    BeforeIndex(VnodeClass),
    InIndex(VnodeClass),
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    /// Directory pages: pages not yet started, bytes left in the current
    /// page (0 = the next byte must be a page mark).
    Pages {
        pages_left: u32,
        in_page: usize,
    },
    /// File data bytes left.
    File {
        left: u64,
    },
}

/// Reads a dump stream strictly forward, from a file, pipe or tape.
///
/// [`DumpReader::new`] reads the header and volume data; then
/// [`next_entry`](DumpReader::next_entry) walks the indexes. The data of a
/// vnode (directory pages without their `'P'` marks, or file bytes) is read
/// with [`read_data`](DumpReader::read_data), [`data`](DumpReader::data) or
/// [`copy_data`](DumpReader::copy_data); data not read is skipped. Every
/// length in the stream is untrusted: nothing is allocated from it beyond
/// the caps of [`crate::tag`].
pub struct DumpReader<R> {
    input: Input<R>,
    opts: ReadOptions,
    header: DumpHeader,
    volume: VolumeDiskData,
    state: State,
    index: IndexHeader,
    records: u32,
    pending: Pending,
    record: Record,
}

impl<R: Read> DumpReader<R> {
    /// Reads the dump header and the volume data with the strict rules.
    pub fn new(inner: R) -> Result<Self> {
        Self::with_options(inner, ReadOptions::default())
    }

    /// Reads the dump header and the volume data.
    pub fn with_options(inner: R, opts: ReadOptions) -> Result<Self> {
        let mut r = DumpReader {
            input: Input::new(inner),
            opts,
            header: DumpHeader::default(),
            volume: VolumeDiskData::default(),
            state: State::BeforeIndex(VnodeClass::Large),
            index: IndexHeader::default(),
            records: 0,
            pending: Pending::None,
            record: Record::DumpHeader,
        };
        r.header = r.read_header()?;
        r.record = Record::VolumeDiskData;
        r.volume = r.read_volume()?;
        Ok(r)
    }

    /// The dump header.
    pub fn header(&self) -> &DumpHeader {
        &self.header
    }

    /// The volume data.
    pub fn volume(&self) -> &VolumeDiskData {
        &self.volume
    }

    /// Stream offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }

    /// The options this reader was made with.
    pub fn options(&self) -> ReadOptions {
        self.opts
    }

    /// Gives back the inner reader (bytes already buffered are lost).
    pub fn into_inner(self) -> R {
        self.input.into_inner()
    }

    /// The next index start, vnode, deletion or end marker; `None` after
    /// the end marker. Skips whatever data of the previous vnode was not
    /// read.
    pub fn next_entry(&mut self) -> Result<Option<Entry>> {
        self.skip_data()?;
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::BeforeIndex(class) => {
                    let (want, record) = match class {
                        VnodeClass::Large => (LARGE_INDEX, Record::LargeIndex),
                        VnodeClass::Small => (SMALL_INDEX, Record::SmallIndex),
                    };
                    self.record = record;
                    let offset = self.offset();
                    let what = match class {
                        VnodeClass::Large => "D_LARGEINDEX (0x04)",
                        VnodeClass::Small => "D_SMALLINDEX (0x03)",
                    };
                    let t = self.u8(what)?;
                    if t != want {
                        return Err(self.format_at(offset, format!("byte {t:#04x}"), what));
                    }
                    self.index = self.read_index_header()?;
                    self.records = 0;
                    self.state = State::InIndex(class);
                    return Ok(Some(Entry::Index {
                        offset,
                        class,
                        header: self.index,
                    }));
                }
                State::InIndex(class) => {
                    let offset = self.offset();
                    let t = self.peek_tag("a vnode record or the next index/end tag")?;
                    match t {
                        VNODE => return self.read_vnode(class, offset).map(Some),
                        RM_VNODE => return self.read_removed(class, offset).map(Some),
                        NULL_VNODE => {
                            self.input.consume(1);
                            return Ok(Some(Entry::Null { offset }));
                        }
                        _ => {
                            if self.header.is_full() && self.records != self.index.vnode_count {
                                return Err(self.format_at(
                                    offset,
                                    format!(
                                        "full dump's {} index ends after {} vnode records",
                                        class.name(),
                                        self.records
                                    ),
                                    &format!(
                                        "{} records, the index header's count",
                                        self.index.vnode_count
                                    ),
                                ));
                            }
                            match class {
                                VnodeClass::Large => {
                                    self.state = State::BeforeIndex(VnodeClass::Small)
                                }
                                VnodeClass::Small => return self.read_end().map(Some),
                            }
                        }
                    }
                }
            }
        }
    }

    /// Reads data of the current vnode into `buf`; 0 when it is all read
    /// (or there is none). Directory pages come without their `'P'` marks.
    pub fn read_data(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            match self.pending {
                Pending::None => return Ok(0),
                Pending::File { left } => {
                    if left == 0 {
                        self.pending = Pending::None;
                        return Ok(0);
                    }
                    let want = (buf.len() as u64).min(left) as usize;
                    let n = self.data_some(&mut buf[..want], left, "file data")?;
                    self.pending = Pending::File {
                        left: left - n as u64,
                    };
                    return Ok(n);
                }
                Pending::Pages {
                    pages_left,
                    in_page,
                } => {
                    if in_page == 0 {
                        if pages_left == 0 {
                            self.pending = Pending::None;
                            return Ok(0);
                        }
                        self.page_mark()?;
                        self.pending = Pending::Pages {
                            pages_left: pages_left - 1,
                            in_page: PAGE_SIZE,
                        };
                        continue;
                    }
                    let want = buf.len().min(in_page);
                    let left = in_page as u64 + u64::from(pages_left) * (PAGE_SIZE as u64 + 1);
                    let n = self.data_some(&mut buf[..want], left, "directory page bytes")?;
                    self.pending = Pending::Pages {
                        pages_left,
                        in_page: in_page - n,
                    };
                    return Ok(n);
                }
            }
        }
    }

    /// The current vnode's data as a [`Read`]er (errors come back as
    /// `io::Error`s wrapping [`Error`]).
    pub fn data(&mut self) -> DataReader<'_, R> {
        DataReader { reader: self }
    }

    /// Reads all of the current vnode's data into a vector (grown as the
    /// bytes arrive, so a lying length cannot allocate much).
    pub fn read_data_to_vec(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = self.read_data(&mut chunk)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&chunk[..n]);
        }
    }

    /// Copies the rest of the current vnode's data to `out`, straight from
    /// the read buffer; returns the number of bytes.
    pub fn copy_data<W: Write + ?Sized>(&mut self, out: &mut W) -> Result<u64> {
        let mut total = 0u64;
        loop {
            let (left, what) = match self.pending {
                Pending::None => return Ok(total),
                Pending::File { left: 0 } => {
                    self.pending = Pending::None;
                    return Ok(total);
                }
                Pending::File { left } => (left, "file data"),
                Pending::Pages {
                    pages_left: 0,
                    in_page: 0,
                } => {
                    self.pending = Pending::None;
                    return Ok(total);
                }
                Pending::Pages {
                    pages_left,
                    in_page: 0,
                } => {
                    self.page_mark()?;
                    self.pending = Pending::Pages {
                        pages_left: pages_left - 1,
                        in_page: PAGE_SIZE,
                    };
                    continue;
                }
                Pending::Pages { in_page, .. } => (in_page as u64, "directory page bytes"),
            };
            let offset = self.offset();
            let avail = match self.input.fill_buf() {
                Ok(a) => a,
                Err(source) => return Err(Error::Io { offset, source }),
            };
            if avail.is_empty() {
                return Err(Error::Truncated {
                    offset,
                    record: self.record,
                    expected: format!("{left} more bytes of {what}"),
                });
            }
            let n = (avail.len() as u64).min(left) as usize;
            if let Err(source) = out.write_all(&avail[..n]) {
                return Err(Error::Io { offset, source });
            }
            self.input.consume(n);
            total += n as u64;
            self.pending = match self.pending {
                Pending::File { left } => Pending::File {
                    left: left - n as u64,
                },
                Pending::Pages {
                    pages_left,
                    in_page,
                } => Pending::Pages {
                    pages_left,
                    in_page: in_page - n,
                },
                Pending::None => Pending::None,
            };
        }
    }

    /// Skips the rest of the current vnode's data.
    pub fn skip_data(&mut self) -> Result<()> {
        loop {
            match self.pending {
                Pending::None => return Ok(()),
                Pending::File { left } => {
                    let offset = self.offset();
                    let n = self.input.skip(left).map_err(|e| self.io_err(e))?;
                    if n < left {
                        return Err(Error::Truncated {
                            offset: offset + n,
                            record: self.record,
                            expected: format!("{} more bytes of file data", left - n),
                        });
                    }
                    self.pending = Pending::None;
                }
                Pending::Pages {
                    pages_left,
                    in_page,
                } => {
                    if in_page == 0 {
                        if pages_left == 0 {
                            self.pending = Pending::None;
                            continue;
                        }
                        self.page_mark()?;
                        self.pending = Pending::Pages {
                            pages_left: pages_left - 1,
                            in_page: PAGE_SIZE,
                        };
                        continue;
                    }
                    let offset = self.offset();
                    let want = in_page as u64;
                    let n = self.input.skip(want).map_err(|e| self.io_err(e))?;
                    if n < want {
                        return Err(Error::Truncated {
                            offset: offset + n,
                            record: self.record,
                            expected: format!("{} more bytes of a directory page", want - n),
                        });
                    }
                    self.pending = Pending::Pages {
                        pages_left,
                        in_page: 0,
                    };
                }
            }
        }
    }

    // ----- records -------------------------------------------------------

    fn read_header(&mut self) -> Result<DumpHeader> {
        let first = self.u8("D_DUMPHEADER (0x01)")?;
        if first != DUMP_HEADER {
            return Err(self.format_at(0, format!("byte {first:#04x}"), "D_DUMPHEADER (0x01)"));
        }
        let magic = self.u32("the begin magic 0xb3a11322")?;
        if magic != BEGIN_MAGIC {
            return Err(self.format_at(1, format!("magic {magic:#010x}"), "0xb3a11322"));
        }
        let mut h = DumpHeader {
            version: self.u32("the dump version")?,
            ..DumpHeader::default()
        };
        if h.version != DUMP_VERSION && !self.opts.lenient {
            return Err(self.format_at(5, format!("dump version {}", h.version), "version 2"));
        }
        let mut order = FieldOrder::new(HEADER_FIELDS);
        while let Some((tag, off)) = self.next_field(&mut order)? {
            match tag {
                b'v' => h.volume_id = self.field_u32(tag)?,
                b'p' => h.parent_id = self.field_u32(tag)?,
                b'n' => h.volume_name = self.field_string(tag)?,
                b'b' => h.backup_date = self.field_u32(tag)?,
                b'i' => h.incremental = self.field_u32(tag)?,
                b'I' => {
                    h.oldest = self.field_u32(tag)?;
                    h.latest = self.field_u32(tag)?;
                }
                _ => unreachable_tag(off),
            }
        }
        self.finish_fields(&order, 0)?;
        if h.volume_id == 0 {
            return Err(self.format_at(9, "volume id 0".into(), "a non-zero volume id ('v')"));
        }
        let offset = self.offset();
        let t = self.u8("D_VOLUMEDISKDATA (0x09)")?;
        if t != VOLUME_DISK_DATA {
            return Err(self.format_at(
                offset,
                format!("byte {t:#04x}"),
                "D_VOLUMEDISKDATA (0x09)",
            ));
        }
        Ok(h)
    }

    fn read_volume(&mut self) -> Result<VolumeDiskData> {
        let mut v = VolumeDiskData::default();
        let mut order = FieldOrder::new(VOLUME_FIELDS);
        while let Some((tag, off)) = self.next_field(&mut order)? {
            match tag {
                b'i' => v.id = self.field_u32(tag)?,
                b'v' => v.stamp_version = self.field_u32(tag)?,
                b'n' => v.name = self.field_string(tag)?,
                b'P' => v.partition = self.field_string(tag)?,
                b's' => v.in_service = self.field_u8(tag)?,
                b'+' => v.blessed = self.field_u8(tag)?,
                b'u' => v.uniquifier = self.field_u32(tag)?,
                b't' => v.volume_type = self.field_u8(tag)?,
                b'p' => v.parent_id = self.field_u32(tag)?,
                b'g' => v.group_id = self.field_u32(tag)?,
                b'c' => v.clone_id = self.field_u32(tag)?,
                b'b' => v.backup_id = self.field_u32(tag)?,
                b'q' => v.max_quota = self.field_u32(tag)? as i32,
                b'm' => v.min_quota = self.field_u32(tag)? as i32,
                b'x' => v.max_files = self.field_u32(tag)? as i32,
                b'd' => v.disk_used = self.field_u32(tag)? as i32,
                b'f' => v.file_count = self.field_u32(tag)? as i32,
                b'l' => v.link_count = self.field_u16(tag)?,
                b'a' => v.account_number = self.field_u32(tag)?,
                b'o' => v.owner = self.field_u32(tag)?,
                b'C' => v.creation_date = self.field_u32(tag)?,
                b'A' => v.access_date = self.field_u32(tag)?,
                b'U' => v.update_date = self.field_u32(tag)?,
                b'E' => v.expiration_date = self.field_u32(tag)?,
                b'B' => v.backup_date = self.field_u32(tag)?,
                b'O' => v.offline_message = self.field_string(tag)?,
                b'M' => v.motd = self.field_string(tag)?,
                b'W' => v.week_use = self.field_array(tag)?,
                b'D' => v.day_use_date = self.field_u32(tag)?,
                b'Z' => v.day_use = self.field_u32(tag)?,
                b'V' => v.version_vector = self.version_vector()?,
                _ => unreachable_tag(off),
            }
        }
        self.finish_fields(&order, 0)?;
        Ok(v)
    }

    fn read_index_header(&mut self) -> Result<IndexHeader> {
        let mut h = IndexHeader::default();
        let mut order = FieldOrder::new(INDEX_FIELDS);
        let start = self.offset();
        while let Some((tag, off)) = self.next_field(&mut order)? {
            match tag {
                b'v' => h.vnode_count = self.field_u32(tag)?,
                b's' => h.slots = self.field_u32(tag)?,
                _ => unreachable_tag(off),
            }
        }
        self.finish_fields(&order, 0)?;
        if h.slots == 0 {
            return Err(self.format_at(start, "index with 0 slots".into(), "'s' > 0"));
        }
        Ok(h)
    }

    fn read_vnode(&mut self, class: VnodeClass, offset: u64) -> Result<Entry> {
        self.input.consume(1);
        let vnode = self.u32("the vnode number")?;
        let unique = self.u32("the uniquifier")?;
        self.record = Record::Vnode { vnode, unique };
        let mut v = Vnode {
            vnode,
            unique,
            ..Vnode::default()
        };
        let mut order = FieldOrder::new(VNODE_FIELDS);
        while let Some((tag, off)) = self.next_field(&mut order)? {
            match tag {
                b't' => v.vnode_type = self.field_u8(tag)?,
                b'b' => v.mode = self.field_u16(tag)?,
                b'l' => v.links = self.field_u16(tag)?,
                b'L' => v.length = self.field_u32(tag)?,
                b'v' => v.data_version = self.field_u32(tag)?,
                b'V' => v.version_vector = self.version_vector()?,
                b'm' => v.mtime = self.field_u32(tag)?,
                b'a' => v.author = self.field_u32(tag)?,
                b'o' => v.owner = self.field_u32(tag)?,
                b'p' => v.parent_vnode = self.field_u32(tag)?,
                b'q' => v.parent_unique = self.field_u32(tag)?,
                b'X' => v.acl = Some(self.field_string(tag)?),
                _ => unreachable_tag(off),
            }
        }
        // `X` (bit 11) is checked below, by type.
        self.finish_fields(&order, 1 << 11)?;
        if self.opts.lenient {
            v.vnode_type &= 7;
        }
        let here = self.offset();
        let ty = v.vnode_type;
        let (parity_ok, type_ok, want_type) = match class {
            VnodeClass::Large => (
                vnode & 1 == 1,
                ty == vnode_type::DIRECTORY,
                "type 2 (directory)",
            ),
            VnodeClass::Small => (
                vnode & 1 == 0,
                ty == vnode_type::FILE || ty == vnode_type::SYMLINK,
                "type 1 (file) or 3 (symlink)",
            ),
        };
        if !parity_ok {
            return Err(self.format_at(
                offset,
                format!("vnode number {vnode:#x} in the {} index", class.name()),
                match class {
                    VnodeClass::Large => "an odd vnode number",
                    VnodeClass::Small => "an even vnode number",
                },
            ));
        }
        if !type_ok {
            return Err(self.format_at(
                offset + 9,
                format!("vnode type {ty} in the {} index", class.name()),
                want_type,
            ));
        }
        let slot = VnodeClass::slot(vnode);
        if slot >= self.index.slots {
            return Err(self.format_at(
                offset,
                format!("vnode {vnode:#x} is in slot {slot}"),
                &format!("a slot below the index's {} slots", self.index.slots),
            ));
        }
        if !self.opts.lenient {
            match (class, v.acl.is_some()) {
                (VnodeClass::Large, false) => {
                    return Err(self.format_at(
                        here,
                        "no 'X' (ACL) field".into(),
                        "an ACL for a directory",
                    ))
                }
                (VnodeClass::Small, true) => {
                    return Err(self.format_at(
                        here,
                        "an 'X' (ACL) field".into(),
                        "no ACL on a file or symlink",
                    ))
                }
                _ => {}
            }
        }
        let data = match class {
            VnodeClass::Large => {
                let t = self.u8("D_DIRPAGES (0x0b)")?;
                if t != DIR_PAGES {
                    return Err(self.format_at(
                        here,
                        format!("byte {t:#04x}"),
                        "D_DIRPAGES (0x0b)",
                    ));
                }
                let n = self.u32("the page count")?;
                if n == 0 || n > MAX_PAGES {
                    return Err(self.format_at(
                        here + 1,
                        format!("{n} directory pages"),
                        "1 to 128 pages",
                    ));
                }
                self.pending = Pending::Pages {
                    pages_left: n,
                    in_page: 0,
                };
                VnodeData::DirPages(n)
            }
            VnodeClass::Small => {
                let t = self.u8("D_FILEDATA (0x0c) or D_BADINODE (0x0e)")?;
                match t {
                    FILE_DATA => {
                        let n = self.u32("the file size")?;
                        self.pending = Pending::File { left: u64::from(n) };
                        VnodeData::File(n)
                    }
                    BAD_INODE => VnodeData::BadInode,
                    _ => {
                        return Err(self.format_at(
                            here,
                            format!("byte {t:#04x}"),
                            "D_FILEDATA (0x0c) or D_BADINODE (0x0e)",
                        ))
                    }
                }
            }
        };
        self.records += 1;
        Ok(Entry::Vnode(VnodeEntry {
            offset,
            vnode: v,
            data,
        }))
    }

    fn read_removed(&mut self, class: VnodeClass, offset: u64) -> Result<Entry> {
        self.input.consume(1);
        self.record = Record::RemovedVnode;
        let vnode = self.u32("the removed vnode number")?;
        let unique = self.u32("the removed vnode's uniquifier")?;
        if self.header.is_full() {
            return Err(self.format_at(
                offset,
                format!("D_RMVNODE {vnode:#x}.{unique:#x} in a full dump"),
                "no deletions in a full dump",
            ));
        }
        if VnodeClass::of_vnode(vnode) != class {
            return Err(self.format_at(
                offset,
                format!("removed vnode {vnode:#x} in the {} index", class.name()),
                "a vnode number of the index's class",
            ));
        }
        let slot = VnodeClass::slot(vnode);
        if slot >= self.index.slots {
            return Err(self.format_at(
                offset,
                format!("removed vnode {vnode:#x} is in slot {slot}"),
                &format!("a slot below the index's {} slots", self.index.slots),
            ));
        }
        Ok(Entry::Removed {
            offset,
            vnode,
            unique,
        })
    }

    fn read_end(&mut self) -> Result<Entry> {
        self.record = Record::DumpEnd;
        let offset = self.offset();
        let t = self.u8("D_DUMPEND (0x08)")?;
        if t != DUMP_END {
            return Err(self.format_at(
                offset,
                format!("byte {t:#04x}"),
                "a vnode record or D_DUMPEND (0x08)",
            ));
        }
        let magic = self.u32("the end magic 0x3a214b6e")?;
        if magic != END_MAGIC {
            return Err(self.format_at(offset + 1, format!("magic {magic:#010x}"), "0x3a214b6e"));
        }
        let trailing_bytes = self.input.skip(u64::MAX).map_err(|e| self.io_err(e))?;
        self.state = State::Done;
        Ok(Entry::End {
            offset,
            trailing_bytes,
        })
    }

    // ----- fields --------------------------------------------------------

    /// Next field tag of a list, consumed; `None` at the list's end (a
    /// byte <= 20, not consumed). Checks the tag against the record's
    /// canonical order.
    fn next_field(&mut self, order: &mut FieldOrder) -> Result<Option<(u8, u64)>> {
        let off = self.offset();
        let tag = self.peek_tag("a field tag or the next record tag")?;
        if tag <= MAX_RECORD_TAG {
            return Ok(None);
        }
        let Some(idx) = order.canonical.iter().position(|&c| c == tag) else {
            return Err(self.format_at(
                off,
                format!("unknown field tag {}", show_tag(tag)),
                &order.describe(),
            ));
        };
        if !self.opts.lenient {
            if idx < order.next || order.seen & (1 << idx) != 0 {
                return Err(self.format_at(
                    off,
                    format!("field {} out of canonical order", show_tag(tag)),
                    &order.describe(),
                ));
            }
            if idx > order.next {
                let missing = order.canonical[order.next];
                return Err(self.format_at(
                    off,
                    format!(
                        "field {} where {} belongs",
                        show_tag(tag),
                        show_tag(missing)
                    ),
                    &format!("field {}", show_tag(missing)),
                ));
            }
            order.next = idx + 1;
        }
        order.seen |= 1 << idx;
        self.input.consume(1);
        Ok(Some((tag, off)))
    }

    /// Checks that no required field is missing (strict mode only);
    /// `optional` is a bit mask of canonical positions that may be absent.
    fn finish_fields(&mut self, order: &FieldOrder, optional: u64) -> Result<()> {
        if self.opts.lenient {
            return Ok(());
        }
        for (i, &t) in order.canonical.iter().enumerate() {
            if order.seen & (1 << i) == 0 && optional & (1 << i) == 0 {
                let off = self.offset();
                let found = match self.input.peek() {
                    Ok(Some(b)) => format!("record tag {b:#04x}"),
                    _ => "end of stream".into(),
                };
                return Err(self.format_at(off, found, &format!("field {}", show_tag(t))));
            }
        }
        Ok(())
    }

    fn version_vector(&mut self) -> Result<VersionVector> {
        let mut vv = VersionVector::default();
        let mut order = FieldOrder::new(VV_FIELDS);
        while let Some((tag, off)) = self.next_field(&mut order)? {
            let val = self.field_u32(tag)?;
            match tag {
                b'0'..=b'7' => vv.versions[usize::from(tag - b'0')] = val as i32,
                b's' => vv.store_host = val,
                b'u' => vv.store_unique = val,
                b'f' => vv.flags = val,
                _ => unreachable_tag(off),
            }
        }
        self.finish_fields(&order, 0)?;
        let off = self.offset();
        let t = self.u8("D_ENDVV (0x07)")?;
        if t != END_VV {
            return Err(self.format_at(
                off,
                format!("byte {t:#04x}"),
                "D_ENDVV (0x07) ending the version vector",
            ));
        }
        Ok(vv)
    }

    fn field_u8(&mut self, tag: u8) -> Result<u8> {
        let mut b = [0u8; 1];
        self.exact(&mut b, tag, "1-byte")?;
        Ok(b[0])
    }

    fn field_u16(&mut self, tag: u8) -> Result<u16> {
        let mut b = [0u8; 2];
        self.exact(&mut b, tag, "2-byte")?;
        Ok(u16::from_be_bytes(b))
    }

    fn field_u32(&mut self, tag: u8) -> Result<u32> {
        let mut b = [0u8; 4];
        self.exact(&mut b, tag, "4-byte")?;
        Ok(u32::from_be_bytes(b))
    }

    fn field_string(&mut self, tag: u8) -> Result<Vec<u8>> {
        let off = self.offset();
        let n = self.field_u32(tag)?;
        if n == 0 || n > MAX_STRING {
            return Err(self.format_at(
                off,
                format!("string length {n} in field {}", show_tag(tag)),
                &format!("1 to {MAX_STRING} bytes including the NUL"),
            ));
        }
        let mut s = vec![0u8; n as usize];
        self.exact(&mut s, tag, "string")?;
        if s.last() == Some(&0) {
            s.pop();
        } else if !self.opts.lenient {
            return Err(self.format_at(
                off + 4 + u64::from(n) - 1,
                format!("string of field {} not NUL-terminated", show_tag(tag)),
                "a NUL as the string's last byte",
            ));
        }
        Ok(s)
    }

    fn field_array(&mut self, tag: u8) -> Result<Vec<u32>> {
        let off = self.offset();
        let n = self.field_u32(tag)?;
        if n > MAX_ARRAY {
            return Err(self.format_at(
                off,
                format!("array of {n} elements in field {}", show_tag(tag)),
                &format!("at most {MAX_ARRAY} elements"),
            ));
        }
        (0..n).map(|_| self.field_u32(tag)).collect()
    }

    // ----- primitives ----------------------------------------------------

    fn exact(&mut self, buf: &mut [u8], tag: u8, what: &str) -> Result<()> {
        let ok = self.input.read_exact(buf).map_err(|e| self.io_err(e))?;
        if ok {
            Ok(())
        } else {
            Err(Error::Truncated {
                offset: self.offset(),
                record: self.record,
                expected: format!("the {what} value of field {}", show_tag(tag)),
            })
        }
    }

    fn u8(&mut self, expected: &str) -> Result<u8> {
        let mut b = [0u8; 1];
        self.bytes(&mut b, expected)?;
        Ok(b[0])
    }

    fn u32(&mut self, expected: &str) -> Result<u32> {
        let mut b = [0u8; 4];
        self.bytes(&mut b, expected)?;
        Ok(u32::from_be_bytes(b))
    }

    fn bytes(&mut self, buf: &mut [u8], expected: &str) -> Result<()> {
        let ok = self.input.read_exact(buf).map_err(|e| self.io_err(e))?;
        if ok {
            Ok(())
        } else {
            Err(Error::Truncated {
                offset: self.offset(),
                record: self.record,
                expected: expected.to_string(),
            })
        }
    }

    fn peek_tag(&mut self, expected: &str) -> Result<u8> {
        match self.input.peek().map_err(|e| self.io_err(e))? {
            Some(b) => Ok(b),
            None => Err(Error::Truncated {
                offset: self.offset(),
                record: self.record,
                expected: expected.to_string(),
            }),
        }
    }

    fn page_mark(&mut self) -> Result<()> {
        let off = self.offset();
        let b = self.u8("a directory page mark 'P'")?;
        if b != PAGE_MARK {
            return Err(self.format_at(
                off,
                format!("byte {b:#04x}"),
                "'P' (0x50) before a directory page",
            ));
        }
        Ok(())
    }

    fn data_some(&mut self, buf: &mut [u8], left: u64, what: &str) -> Result<usize> {
        let n = self.input.read_some(buf).map_err(|e| self.io_err(e))?;
        if n == 0 && !buf.is_empty() {
            return Err(Error::Truncated {
                offset: self.offset(),
                record: self.record,
                expected: format!("{left} more bytes of {what}"),
            });
        }
        Ok(n)
    }

    fn io_err(&self, source: io::Error) -> Error {
        Error::Io {
            offset: self.input.offset(),
            source,
        }
    }

    fn format_at(&self, offset: u64, found: String, expected: &str) -> Error {
        Error::Format {
            offset,
            record: self.record,
            found,
            expected: expected.to_string(),
        }
    }
}

/// Field-order bookkeeping for one field list.
struct FieldOrder {
    canonical: &'static [u8],
    next: usize,
    seen: u64,
}

impl FieldOrder {
    fn new(canonical: &'static [u8]) -> Self {
        FieldOrder {
            canonical,
            next: 0,
            seen: 0,
        }
    }

    fn describe(&self) -> String {
        let tags: Vec<String> = self
            .canonical
            .iter()
            .map(|&t| format!("'{}'", t as char))
            .collect();
        format!(
            "one of the field tags {} or a record tag <= 20",
            tags.join(" ")
        )
    }
}

fn show_tag(t: u8) -> String {
    if t.is_ascii_graphic() {
        format!("'{}' ({t:#04x})", t as char)
    } else {
        format!("{t:#04x}")
    }
}

#[cold]
fn unreachable_tag(off: u64) {
    // next_field only returns tags from the canonical list, which every
    // match above covers; reaching this is a bug in this file.
    debug_assert!(false, "unhandled field tag at offset {off}");
}

/// [`Read`] over the current vnode's data; see [`DumpReader::data`].
pub struct DataReader<'a, R> {
    reader: &'a mut DumpReader<R>,
}

impl<R: Read> Read for DataReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read_data(buf).map_err(io::Error::other)
    }
}
