//! The streaming dump reader (spec §1-§9): walks the records in stream
//! order, each decoded by its own codec, checks the order rules of spec
//! §9.3 that span records, and streams vnode data through [`DataCursor`].

use std::io::{self, Read, Write};
use std::os::fd::AsFd;

use crate::data::{read_mark, DataCursor, Step};
use crate::direct::{Direct, SpliceInto};
use crate::end::DumpEnd;
use crate::error::{Error, Record, Result};
use crate::field::FieldReader;
use crate::header::DumpHeader;
use crate::index::{IndexHeader, VnodeClass};
use crate::removed::{NullVnode, RemovedVnode};
use crate::tag::{NULL_VNODE, RM_VNODE, VNODE};
use crate::vnode::{Vnode, VnodeData};
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

/// Reads a dump stream strictly forward, from a file, pipe or tape.
///
/// [`DumpReader::new`] reads the header and volume data; then
/// [`next_entry`](DumpReader::next_entry) walks the indexes. The data of a
/// vnode (directory pages without their `'P'` marks, or file bytes) is read
/// with [`read_data`](DumpReader::read_data), [`data`](DumpReader::data) or
/// [`copy_data`](DumpReader::copy_data); data not read is skipped. Every
/// length in the stream is untrusted: nothing is allocated from it beyond
/// the caps of [`crate::tag`] (`MAX_STRING`, `MAX_ARRAY`).
pub struct DumpReader<R> {
    r: FieldReader<R>,
    opts: ReadOptions,
    header: DumpHeader,
    volume: VolumeDiskData,
    state: State,
    index: IndexHeader,
    records: u32,
    data: DataCursor,
}

impl<R: Read> DumpReader<R> {
    /// Reads the dump header and the volume data with the strict rules.
    pub fn new(inner: R) -> Result<Self> {
        Self::with_options(inner, ReadOptions::default())
    }

    /// Reads the dump header and the volume data.
    pub fn with_options(inner: R, opts: ReadOptions) -> Result<Self> {
        let mut r = FieldReader::new(inner, opts.lenient, Record::DumpHeader);
        let header = DumpHeader::decode(&mut r)?;
        let volume = VolumeDiskData::decode(&mut r)?;
        Ok(DumpReader {
            r,
            opts,
            header,
            volume,
            state: State::BeforeIndex(VnodeClass::Large),
            index: IndexHeader::default(),
            records: 0,
            data: DataCursor::None,
        })
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
        self.r.offset()
    }

    /// The options this reader was made with.
    pub fn options(&self) -> ReadOptions {
        self.opts
    }

    /// Gives back the inner reader (bytes already buffered are lost).
    pub fn into_inner(self) -> R {
        self.r.into_inner()
    }

    /// The next index start, vnode, deletion or end marker; `None` after
    /// the end marker. Skips whatever data of the previous vnode was not
    /// read.
    pub fn next_entry(&mut self) -> Result<Option<Entry>> {
        self.skip_data()?;
        loop {
            let offset = self.offset();
            match self.state {
                State::Done => return Ok(None),
                State::BeforeIndex(class) => {
                    self.index = IndexHeader::decode(&mut self.r, class)?;
                    self.records = 0;
                    self.state = State::InIndex(class);
                    return Ok(Some(Entry::Index {
                        offset,
                        class,
                        header: self.index,
                    }));
                }
                State::InIndex(class) => {
                    match self
                        .r
                        .peek_tag("a vnode record or the next index/end tag")?
                    {
                        VNODE => return self.read_vnode(class, offset).map(Some),
                        RM_VNODE => return self.read_removed(class, offset).map(Some),
                        NULL_VNODE => {
                            NullVnode::decode(&mut self.r)?;
                            return Ok(Some(Entry::Null { offset }));
                        }
                        _ => self.end_index(class, offset)?,
                    }
                    if class == VnodeClass::Small {
                        let end = DumpEnd::decode(&mut self.r)?;
                        self.state = State::Done;
                        return Ok(Some(Entry::End {
                            offset,
                            trailing_bytes: end.trailing_bytes,
                        }));
                    }
                    self.state = State::BeforeIndex(VnodeClass::Small);
                }
            }
        }
    }

    /// Reads data of the current vnode into `buf`; 0 when it is all read
    /// (or there is none). Directory pages come without their `'P'` marks.
    pub fn read_data(&mut self, buf: &mut [u8]) -> Result<usize> {
        let Step::Bytes(left) = self.data_step()? else {
            return Ok(0);
        };
        let want = (buf.len() as u64).min(left) as usize;
        let n = self.r.read_some(&mut buf[..want])?;
        if n == 0 && want > 0 {
            return Err(self.r.truncated(&self.data.missing()));
        }
        self.data.advance(n as u64);
        Ok(n)
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
        while let Step::Bytes(left) = self.data_step()? {
            let offset = self.offset();
            let avail = match self.r.input().fill_buf() {
                Ok(avail) => avail,
                Err(source) => return Err(Error::Io { offset, source }),
            };
            if avail.is_empty() {
                return Err(self.r.truncated(&self.data.missing()));
            }
            let n = (avail.len() as u64).min(left) as usize;
            if let Err(source) = out.write_all(&avail[..n]) {
                return Err(Error::Io { offset, source });
            }
            self.r.input().consume(n);
            self.data.advance(n as u64);
            total += n as u64;
        }
        Ok(total)
    }

    /// Passes over the rest of the current vnode's file data without
    /// reading it, when this reader's stream is `direct`'s regular file
    /// and every byte read from it so far has reached this reader: returns
    /// the data's place in that file (for `copy_file_range`), the stream
    /// then being past it. `None` (nothing consumed) when that cannot be:
    /// a pipe, bytes held back between the file and this reader, the rest
    /// already in the read buffer, or a file too short to hold the data
    /// (then reading it reports where the dump ends).
    pub fn take_data_range(&mut self, direct: &Direct) -> Result<Option<DataRange>> {
        if !matches!(self.data, DataCursor::File { .. }) {
            return Ok(None);
        }
        let Step::Bytes(left) = self.data.step() else {
            return Ok(None);
        };
        let offset = self.offset();
        let input = self.r.input();
        let buffered = input.buffered() as u64;
        let Some(file_offset) = direct.file_offset(offset) else {
            return Ok(None);
        };
        if direct.pulled() != input.received() || left <= buffered {
            return Ok(None);
        }
        let size = direct
            .size()
            .map_err(|source| Error::Io { offset, source })?;
        if file_offset.checked_add(left).is_none_or(|end| end > size) {
            return Ok(None);
        }
        direct
            .seek_forward(left - buffered)
            .map_err(|source| Error::Io { offset, source })?;
        self.r.input().skip_unbuffered(left - buffered);
        self.data.advance(left);
        Ok(Some(DataRange {
            stream_offset: offset,
            file_offset,
            len: left,
        }))
    }

    /// Moves the rest of the current vnode's file data into `out` without
    /// it passing through user space, when this reader's stream is
    /// `direct`'s pipe and every byte read from it so far has reached this
    /// reader: what the read buffer holds is written, the rest spliced out
    /// of the pipe. Returns the bytes moved; the caller copies what is
    /// left ([`DumpReader::copy_data`]: everything when this cannot be,
    /// the rest when splice is refused).
    pub fn splice_data<W: SpliceInto>(&mut self, direct: &Direct, out: &mut W) -> Result<u64> {
        if !direct.is_pipe() || !matches!(self.data, DataCursor::File { .. }) {
            return Ok(0);
        }
        if direct.pulled() != self.r.input().received() {
            return Ok(0);
        }
        let mut moved = 0;
        while let Step::Bytes(left) = self.data.step() {
            let offset = self.offset();
            let n = if self.r.input().buffered() > 0 {
                let input = self.r.input();
                let avail = input
                    .fill_buf()
                    .map_err(|source| Error::Io { offset, source })?;
                let n = (avail.len() as u64).min(left) as usize;
                out.write_all(&avail[..n])
                    .map_err(|source| Error::Io { offset, source })?;
                input.consume(n);
                n as u64
            } else {
                let want = left.min(1 << 30) as usize;
                let n = match out.splice_from(direct.file().as_fd(), want) {
                    Ok(0) => return Err(self.r.truncated(&self.data.missing())),
                    Ok(n) => n as u64,
                    Err(e) if crate::direct::splice_unsupported(&e) => return Ok(moved),
                    Err(source) => return Err(Error::Io { offset, source }),
                };
                direct.spliced(n);
                self.r.input().skip_unbuffered(n);
                n
            };
            self.data.advance(n);
            moved += n;
        }
        Ok(moved)
    }

    /// Skips the rest of the current vnode's data.
    pub fn skip_data(&mut self) -> Result<()> {
        while let Step::Bytes(left) = self.data_step()? {
            let n = self.r.skip(left)?;
            self.data.advance(n);
            if n < left {
                return Err(self.r.truncated(&self.data.missing()));
            }
        }
        Ok(())
    }

    /// What comes next in the current vnode's data, after reading the page
    /// mark if one is due.
    fn data_step(&mut self) -> Result<Step> {
        let step = self.data.step();
        if step != Step::Mark {
            return Ok(step);
        }
        read_mark(&mut self.r)?;
        self.data.marked();
        Ok(self.data.step())
    }

    // ----- records -------------------------------------------------------

    fn read_vnode(&mut self, class: VnodeClass, offset: u64) -> Result<Entry> {
        let vnode = Vnode::decode(&mut self.r)?;
        vnode.check_place(&self.r, class, &self.index, offset)?;
        let data = VnodeData::decode(&mut self.r, class)?;
        self.data = DataCursor::new(data);
        self.records += 1;
        Ok(Entry::Vnode(VnodeEntry {
            offset,
            vnode,
            data,
        }))
    }

    fn read_removed(&mut self, class: VnodeClass, offset: u64) -> Result<Entry> {
        let rm = RemovedVnode::decode(&mut self.r)?;
        rm.check_place(&self.r, self.header.is_full(), class, &self.index, offset)?;
        Ok(Entry::Removed {
            offset,
            vnode: rm.vnode,
            unique: rm.unique,
        })
    }

    /// `class`'s index ends at `offset`: a full dump must have held as many
    /// vnode records as its header said (spec §9.3; incrementals count all
    /// the volume's vnodes, §8.2).
    fn end_index(&self, class: VnodeClass, offset: u64) -> Result<()> {
        if self.header.is_full() && self.records != self.index.vnode_count {
            return Err(self.r.format_at(
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
        Ok(())
    }
}

/// Where the data a reader passed over lies
/// ([`DumpReader::take_data_range`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataRange {
    /// Stream offset of the data's first byte (for messages).
    pub stream_offset: u64,
    /// Offset of the data's first byte in the [`Direct`] file.
    pub file_offset: u64,
    /// Bytes of data.
    pub len: u64,
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
