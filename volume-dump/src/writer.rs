//! The dump writer: records in stream order, each encoded by its own codec
//! in the canonical field order (spec §4, §5, §7.1), vnode data through
//! [`DataCursor`], which adds the page marks.

use std::io::Write;

use crate::data::{write_mark, DataCursor, Step, PAGE_COUNTS};
use crate::end::DumpEnd;
use crate::error::{Record, Result};
use crate::field::FieldWriter;
use crate::header::DumpHeader;
use crate::index::{IndexHeader, VnodeClass};
use crate::removed::{NullVnode, RemovedVnode};
use crate::vnode::{Vnode, VnodeData};
use crate::volume::VolumeDiskData;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Header,
    Volume,
    InIndex(VnodeClass),
}

/// Writes a dump stream in the canonical order every Coda writer uses:
/// header, volume data, large index, small index, end marker. Calls must
/// come in that order; a vnode's data is passed to
/// [`write_data`](DumpWriter::write_data) right after
/// [`write_vnode`](DumpWriter::write_vnode) (directory pages as plain
/// 2048-byte pages: the writer adds the `'P'` marks).
pub struct DumpWriter<W: Write> {
    w: FieldWriter<W>,
    state: State,
    data: DataCursor,
}

impl<W: Write> DumpWriter<W> {
    /// A writer at the start of a dump.
    pub fn new(out: W) -> Self {
        DumpWriter {
            w: FieldWriter::new(out, Record::DumpHeader),
            state: State::Start,
            data: DataCursor::None,
        }
    }

    /// Bytes written so far (the offset of the next byte).
    pub fn position(&self) -> u64 {
        self.w.position()
    }

    /// Writes the dump header (spec §4), starting the stream.
    pub fn write_header(&mut self, h: &DumpHeader) -> Result<()> {
        self.expect_state(
            State::Start,
            Record::DumpHeader,
            "the header must come first",
        )?;
        h.encode(&mut self.w)?;
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
        v.encode(&mut self.w)?;
        self.state = State::Volume;
        Ok(())
    }

    /// Starts an index (large first, then small). Returns the stream
    /// offset of the 4-byte `v` count, for callers that patch it later.
    pub fn begin_index(&mut self, class: VnodeClass, h: IndexHeader) -> Result<u64> {
        self.finish_data()?;
        let after = match class {
            VnodeClass::Large => State::Volume,
            VnodeClass::Small => State::InIndex(VnodeClass::Large),
        };
        self.expect_state(
            after,
            class.index_record(),
            "indexes come after the volume data, large before small",
        )?;
        let count_at = h.encode(class, &mut self.w)?;
        self.state = State::InIndex(class);
        Ok(count_at)
    }

    /// Writes a vnode record's fields (spec §7.1; `X` when `acl` is set)
    /// and the tag of its data; the data itself follows with
    /// [`write_data`](Self::write_data).
    pub fn write_vnode(&mut self, v: &Vnode, data: VnodeData) -> Result<()> {
        self.finish_data()?;
        self.w.set_record(Record::Vnode {
            vnode: v.vnode,
            unique: v.unique,
        });
        self.in_index()?;
        if let VnodeData::DirPages(n) = data {
            if !PAGE_COUNTS.contains(&n) {
                return Err(self
                    .w
                    .refuse(format!("{n} directory pages (1 to 128 allowed)")));
            }
        }
        v.encode(&mut self.w)?;
        data.encode(&mut self.w)?;
        self.data = DataCursor::new(data);
        Ok(())
    }

    /// Writes (part of) the current vnode's data. Directory data is the
    /// concatenation of its 2048-byte pages.
    pub fn write_data(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            match (self.data, self.data.step()) {
                (_, Step::Mark) => {
                    write_mark(&mut self.w)?;
                    self.data.marked();
                }
                (DataCursor::File { left }, _) if data.len() as u64 > left => {
                    return Err(self.w.refuse(format!(
                        "{} data bytes where {left} remain of the announced size",
                        data.len()
                    )))
                }
                (DataCursor::Pages { .. }, Step::Done) => {
                    return Err(self.w.refuse(format!(
                        "{} directory bytes more than the announced pages",
                        data.len()
                    )))
                }
                (_, Step::Done) => {
                    return Err(self
                        .w
                        .refuse(format!("{} data bytes more than announced", data.len())))
                }
                (_, Step::Bytes(left)) => {
                    let n = (data.len() as u64).min(left) as usize;
                    self.w.put(&data[..n])?;
                    self.data.advance(n as u64);
                    data = &data[n..];
                }
            }
        }
        Ok(())
    }

    /// Writes a D_RMVNODE record (incremental dumps only).
    pub fn write_removed(&mut self, vnode: u32, unique: u32) -> Result<()> {
        self.finish_data()?;
        self.w.set_record(Record::RemovedVnode);
        self.in_index()?;
        RemovedVnode { vnode, unique }.encode(&mut self.w)
    }

    /// Writes a D_NULLVNODE record.
    pub fn write_null(&mut self) -> Result<()> {
        self.finish_data()?;
        self.in_index()?;
        NullVnode.encode(&mut self.w)
    }

    /// Writes the end marker, flushes and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        self.finish_data()?;
        self.expect_state(
            State::InIndex(VnodeClass::Small),
            Record::DumpEnd,
            "the end marker follows the small index",
        )?;
        DumpEnd::encode(&mut self.w)?;
        self.w.into_inner()
    }

    /// Flushes the internal buffer to the inner writer.
    pub fn flush(&mut self) -> Result<()> {
        self.w.flush()
    }

    /// The inner writer, after a flush; for callers that seek and patch.
    /// After moving the inner writer's position, call
    /// [`set_position`](Self::set_position).
    pub fn get_mut(&mut self) -> Result<&mut W> {
        self.w.get_mut()
    }

    /// Tells the writer that the inner writer now stands at stream offset
    /// `pos` with nothing pending (used after seeking back and writing
    /// whole records through [`get_mut`](Self::get_mut)).
    pub fn set_position(&mut self, pos: u64) {
        self.w.set_position(pos);
    }

    // ----- helpers -------------------------------------------------------

    /// The previous vnode's data must be complete.
    fn finish_data(&mut self) -> Result<()> {
        let left = self.data.remaining();
        if left == 0 {
            self.data = DataCursor::None;
            return Ok(());
        }
        let what = match self.data {
            DataCursor::Pages { .. } => "directory",
            _ => "data",
        };
        Err(self
            .w
            .refuse(format!("{left} announced {what} bytes were not written")))
    }

    fn in_index(&mut self) -> Result<()> {
        match self.state {
            State::InIndex(_) => Ok(()),
            _ => Err(self.w.refuse("vnode records belong inside an index".into())),
        }
    }

    fn expect_state(&mut self, want: State, record: Record, why: &str) -> Result<()> {
        self.w.set_record(record);
        if self.state == want {
            Ok(())
        } else {
            Err(self.w.refuse(why.into()))
        }
    }
}
