//! The dump writer: canonical field order (spec §4, §5, §7.1).

use std::io::{self, Write};

use crate::error::{Error, Record, Result};
use crate::header::DumpHeader;
use crate::tag::*;
use crate::vnode::{IndexHeader, VersionVector, Vnode, VnodeClass, VnodeData};
use crate::volume::VolumeDiskData;

const BUF_SIZE: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Header,
    Volume,
    InIndex(VnodeClass),
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    Pages { pages_left: u32, in_page: usize },
    File { left: u64 },
}

/// Writes a dump stream in the canonical order every Coda writer uses:
/// header, volume data, large index, small index, end marker. Calls must
/// come in that order; a vnode's data is passed to
/// [`write_data`](DumpWriter::write_data) right after
/// [`write_vnode`](DumpWriter::write_vnode) (directory pages as plain
/// 2048-byte pages: the writer adds the `'P'` marks).
pub struct DumpWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    /// Bytes handed to `out` so far.
    flushed: u64,
    state: State,
    pending: Pending,
    record: Record,
}

impl<W: Write> DumpWriter<W> {
    /// A writer at the start of a dump.
    pub fn new(out: W) -> Self {
        DumpWriter {
            out,
            buf: Vec::with_capacity(BUF_SIZE),
            flushed: 0,
            state: State::Start,
            pending: Pending::None,
            record: Record::DumpHeader,
        }
    }

    /// Bytes written so far (the offset of the next byte).
    pub fn position(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    /// Writes the dump header (spec §4), starting the stream.
    pub fn write_header(&mut self, h: &DumpHeader) -> Result<()> {
        self.expect_state(
            State::Start,
            Record::DumpHeader,
            "the header must come first",
        )?;
        self.put(&[DUMP_HEADER])?;
        self.put(&BEGIN_MAGIC.to_be_bytes())?;
        self.put(&h.version.to_be_bytes())?;
        self.int(b'v', h.volume_id)?;
        self.int(b'p', h.parent_id)?;
        self.string(b'n', &h.volume_name)?;
        self.int(b'b', h.backup_date)?;
        self.int(b'i', h.incremental)?;
        self.put(b"I")?;
        self.put(&h.oldest.to_be_bytes())?;
        self.put(&h.latest.to_be_bytes())?;
        self.state = State::Header;
        Ok(())
    }

    /// Writes the volume data (spec §5), all 31 fields in order.
    pub fn write_volume(&mut self, v: &VolumeDiskData) -> Result<()> {
        self.expect_state(
            State::Header,
            Record::VolumeDiskData,
            "volume data must follow the header",
        )?;
        self.put(&[VOLUME_DISK_DATA])?;
        self.int(b'i', v.id)?;
        self.int(b'v', v.stamp_version)?;
        self.string(b'n', &v.name)?;
        self.string(b'P', &v.partition)?;
        self.put(&[b's', v.in_service, b'+', v.blessed])?;
        self.int(b'u', v.uniquifier)?;
        self.put(&[b't', v.volume_type])?;
        self.int(b'p', v.parent_id)?;
        self.int(b'g', v.group_id)?;
        self.int(b'c', v.clone_id)?;
        self.int(b'b', v.backup_id)?;
        self.int(b'q', v.max_quota as u32)?;
        self.int(b'm', v.min_quota as u32)?;
        self.int(b'x', v.max_files as u32)?;
        self.int(b'd', v.disk_used as u32)?;
        self.int(b'f', v.file_count as u32)?;
        self.short(b'l', v.link_count)?;
        self.int(b'a', v.account_number)?;
        self.int(b'o', v.owner)?;
        self.int(b'C', v.creation_date)?;
        self.int(b'A', v.access_date)?;
        self.int(b'U', v.update_date)?;
        self.int(b'E', v.expiration_date)?;
        self.int(b'B', v.backup_date)?;
        self.string(b'O', &v.offline_message)?;
        self.string(b'M', &v.motd)?;
        if v.week_use.len() > MAX_ARRAY as usize {
            return Err(self.refuse(format!(
                "weekUse has {} elements (at most {MAX_ARRAY})",
                v.week_use.len()
            )));
        }
        self.int(b'W', v.week_use.len() as u32)?;
        for w in &v.week_use {
            self.put(&w.to_be_bytes())?;
        }
        self.int(b'D', v.day_use_date)?;
        self.int(b'Z', v.day_use)?;
        self.vv(b'V', &v.version_vector)?;
        self.state = State::Volume;
        Ok(())
    }

    /// Starts an index (large first, then small). Returns the stream
    /// offset of the 4-byte `v` count, for callers that patch it later.
    pub fn begin_index(&mut self, class: VnodeClass, h: IndexHeader) -> Result<u64> {
        self.finish_pending()?;
        let (want, tag, record) = match class {
            VnodeClass::Large => (State::Volume, LARGE_INDEX, Record::LargeIndex),
            VnodeClass::Small => (
                State::InIndex(VnodeClass::Large),
                SMALL_INDEX,
                Record::SmallIndex,
            ),
        };
        self.expect_state(
            want,
            record,
            "indexes come after the volume data, large before small",
        )?;
        self.put(&[tag, b'v'])?;
        let at = self.position();
        self.put(&h.vnode_count.to_be_bytes())?;
        self.int(b's', h.slots)?;
        self.state = State::InIndex(class);
        Ok(at)
    }

    /// Writes a vnode record's fields (spec §7.1; `X` when `acl` is set)
    /// and the tag of its data; the data itself follows with
    /// [`write_data`](Self::write_data).
    pub fn write_vnode(&mut self, v: &Vnode, data: VnodeData) -> Result<()> {
        self.finish_pending()?;
        self.record = Record::Vnode {
            vnode: v.vnode,
            unique: v.unique,
        };
        self.in_index()?;
        if let VnodeData::DirPages(n) = data {
            if n == 0 || n > MAX_PAGES {
                return Err(self.refuse(format!("{n} directory pages (1 to 128 allowed)")));
            }
        }
        self.put(&[VNODE])?;
        self.put(&v.vnode.to_be_bytes())?;
        self.put(&v.unique.to_be_bytes())?;
        self.put(&[b't', v.vnode_type])?;
        self.short(b'b', v.mode)?;
        self.short(b'l', v.links)?;
        self.int(b'L', v.length)?;
        self.int(b'v', v.data_version)?;
        self.vv(b'V', &v.version_vector)?;
        self.int(b'm', v.mtime)?;
        self.int(b'a', v.author)?;
        self.int(b'o', v.owner)?;
        self.int(b'p', v.parent_vnode)?;
        self.int(b'q', v.parent_unique)?;
        if let Some(acl) = &v.acl {
            self.string(b'X', acl)?;
        }
        match data {
            VnodeData::DirPages(n) => {
                self.put(&[DIR_PAGES])?;
                self.put(&n.to_be_bytes())?;
                self.pending = Pending::Pages {
                    pages_left: n,
                    in_page: 0,
                };
            }
            VnodeData::File(n) => {
                self.put(&[FILE_DATA])?;
                self.put(&n.to_be_bytes())?;
                self.pending = Pending::File { left: u64::from(n) };
            }
            VnodeData::BadInode => self.put(&[BAD_INODE])?,
        }
        Ok(())
    }

    /// Writes (part of) the current vnode's data. Directory data is the
    /// concatenation of its 2048-byte pages.
    pub fn write_data(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            match self.pending {
                Pending::None => {
                    return Err(
                        self.refuse(format!("{} data bytes more than announced", data.len()))
                    )
                }
                Pending::File { left } => {
                    if data.len() as u64 > left {
                        return Err(self.refuse(format!(
                            "{} data bytes where {left} remain of the announced size",
                            data.len()
                        )));
                    }
                    self.put(data)?;
                    self.pending = Pending::File {
                        left: left - data.len() as u64,
                    };
                    data = &[];
                }
                Pending::Pages {
                    pages_left,
                    in_page,
                } => {
                    if in_page == 0 {
                        if pages_left == 0 {
                            return Err(self.refuse(format!(
                                "{} directory bytes more than the announced pages",
                                data.len()
                            )));
                        }
                        self.put(&[PAGE_MARK])?;
                        self.pending = Pending::Pages {
                            pages_left: pages_left - 1,
                            in_page: PAGE_SIZE,
                        };
                        continue;
                    }
                    let n = in_page.min(data.len());
                    self.put(&data[..n])?;
                    data = &data[n..];
                    self.pending = Pending::Pages {
                        pages_left,
                        in_page: in_page - n,
                    };
                }
            }
        }
        Ok(())
    }

    /// Writes a D_RMVNODE record (incremental dumps only).
    pub fn write_removed(&mut self, vnode: u32, unique: u32) -> Result<()> {
        self.finish_pending()?;
        self.record = Record::RemovedVnode;
        self.in_index()?;
        self.put(&[RM_VNODE])?;
        self.put(&vnode.to_be_bytes())?;
        self.put(&unique.to_be_bytes())
    }

    /// Writes a D_NULLVNODE record.
    pub fn write_null(&mut self) -> Result<()> {
        self.finish_pending()?;
        self.in_index()?;
        self.put(&[NULL_VNODE])
    }

    /// Writes the end marker, flushes and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        self.finish_pending()?;
        self.expect_state(
            State::InIndex(VnodeClass::Small),
            Record::DumpEnd,
            "the end marker follows the small index",
        )?;
        self.put(&[DUMP_END])?;
        self.put(&END_MAGIC.to_be_bytes())?;
        self.flush()?;
        self.state = State::Finished;
        Ok(self.out)
    }

    /// Flushes the internal buffer to the inner writer.
    pub fn flush(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            let at = self.flushed;
            self.out.write_all(&self.buf).map_err(|e| Error::Io {
                offset: at,
                source: e,
            })?;
            self.flushed += self.buf.len() as u64;
            self.buf.clear();
        }
        self.out.flush().map_err(|e| Error::Io {
            offset: self.flushed,
            source: e,
        })
    }

    /// The inner writer, after a flush; for callers that seek and patch.
    /// After moving the inner writer's position, call
    /// [`set_position`](Self::set_position).
    pub fn get_mut(&mut self) -> Result<&mut W> {
        self.flush()?;
        Ok(&mut self.out)
    }

    /// Tells the writer that the inner writer now stands at stream offset
    /// `pos` with nothing pending (used after seeking back and writing
    /// whole records through [`get_mut`](Self::get_mut)).
    pub fn set_position(&mut self, pos: u64) {
        debug_assert!(self.buf.is_empty());
        self.flushed = pos;
    }

    // ----- helpers -------------------------------------------------------

    fn finish_pending(&mut self) -> Result<()> {
        match self.pending {
            Pending::None
            | Pending::File { left: 0 }
            | Pending::Pages {
                pages_left: 0,
                in_page: 0,
            } => {
                self.pending = Pending::None;
                Ok(())
            }
            Pending::File { left } => {
                Err(self.refuse(format!("{left} announced data bytes were not written")))
            }
            Pending::Pages {
                pages_left,
                in_page,
            } => Err(self.refuse(format!(
                "{} announced directory bytes were not written",
                in_page as u64 + u64::from(pages_left) * PAGE_SIZE as u64
            ))),
        }
    }

    fn in_index(&mut self) -> Result<()> {
        match self.state {
            State::InIndex(_) => Ok(()),
            _ => Err(self.refuse("vnode records belong inside an index".into())),
        }
    }

    fn expect_state(&mut self, want: State, record: Record, why: &str) -> Result<()> {
        self.record = record;
        if self.state == want {
            Ok(())
        } else {
            Err(self.refuse(why.into()))
        }
    }

    fn refuse(&self, problem: String) -> Error {
        Error::Write {
            offset: self.position(),
            record: self.record,
            problem,
        }
    }

    fn int(&mut self, tag: u8, v: u32) -> Result<()> {
        let b = v.to_be_bytes();
        self.put(&[tag, b[0], b[1], b[2], b[3]])
    }

    fn short(&mut self, tag: u8, v: u16) -> Result<()> {
        let b = v.to_be_bytes();
        self.put(&[tag, b[0], b[1]])
    }

    fn string(&mut self, tag: u8, s: &[u8]) -> Result<()> {
        if s.len() >= MAX_STRING as usize {
            return Err(self.refuse(format!(
                "string field '{}' of {} bytes (at most {} allowed)",
                tag as char,
                s.len(),
                MAX_STRING - 1
            )));
        }
        self.int(tag, s.len() as u32 + 1)?;
        self.put(s)?;
        self.put(&[0])
    }

    fn vv(&mut self, tag: u8, vv: &VersionVector) -> Result<()> {
        let mut b = [0u8; 57];
        b[0] = tag;
        let vals =
            vv.versions
                .iter()
                .map(|&v| v as u32)
                .chain([vv.store_host, vv.store_unique, vv.flags]);
        for (i, (t, v)) in VV_FIELDS.iter().zip(vals).enumerate() {
            let at = 1 + i * 5;
            b[at] = *t;
            b[at + 1..at + 5].copy_from_slice(&v.to_be_bytes());
        }
        b[56] = END_VV;
        self.put(&b)
    }

    fn put(&mut self, data: &[u8]) -> Result<()> {
        if self.buf.len() + data.len() > BUF_SIZE {
            self.flush_buf()?;
        }
        if data.len() >= BUF_SIZE {
            let at = self.flushed;
            self.out.write_all(data).map_err(|e| Error::Io {
                offset: at,
                source: e,
            })?;
            self.flushed += data.len() as u64;
        } else {
            self.buf.extend_from_slice(data);
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            let at = self.flushed;
            self.out
                .write_all(&self.buf)
                .map_err(|e: io::Error| Error::Io {
                    offset: at,
                    source: e,
                })?;
            self.flushed += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }
}
