//! Encoding: field lists from their tables and the value encodings of spec
//! §2, into a large output buffer that counts offsets.

use std::io::Write;

use super::{Field, Value, VersionVector, VV_FIELDS};
use crate::error::{Error, Record, Result};
use crate::tag::{END_VV, MAX_ARRAY, MAX_STRING};

/// Output buffer size: large sequential writes, few syscalls.
const BUF_SIZE: usize = 256 * 1024;

/// Writes the values of a dump stream through a buffer, counting offsets;
/// `record` is the record refusals are reported against.
pub(crate) struct FieldWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    /// Bytes handed to `out` so far.
    flushed: u64,
    record: Record,
}

impl<W: Write> FieldWriter<W> {
    /// A writer at offset 0 of `out`, writing `record`.
    pub(crate) fn new(out: W, record: Record) -> Self {
        FieldWriter {
            out,
            buf: Vec::with_capacity(BUF_SIZE),
            flushed: 0,
            record,
        }
    }

    /// Stream offset of the next byte.
    pub(crate) fn position(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    /// Reports refusals against `record` from now on.
    pub(crate) fn set_record(&mut self, record: Record) {
        self.record = record;
    }

    /// A refusal to write: `problem` at the current offset.
    pub(crate) fn refuse(&self, problem: String) -> Error {
        Error::Write {
            offset: self.position(),
            record: self.record,
            problem,
        }
    }

    // ----- bytes ------------------------------------------------------------

    /// Appends raw bytes (tags, fixed parts, data).
    pub(crate) fn put(&mut self, data: &[u8]) -> Result<()> {
        if self.buf.len() + data.len() > BUF_SIZE {
            self.flush_buf()?;
        }
        if data.len() >= BUF_SIZE {
            let at = self.flushed;
            self.out
                .write_all(data)
                .map_err(|source| Error::Io { offset: at, source })?;
            self.flushed += data.len() as u64;
        } else {
            self.buf.extend_from_slice(data);
        }
        Ok(())
    }

    /// Appends a bare big-endian u32.
    pub(crate) fn u32(&mut self, v: u32) -> Result<()> {
        self.put(&v.to_be_bytes())
    }

    /// Hands the buffer to the inner writer and flushes it.
    pub(crate) fn flush(&mut self) -> Result<()> {
        self.flush_buf()?;
        self.out.flush().map_err(|source| Error::Io {
            offset: self.flushed,
            source,
        })
    }

    fn flush_buf(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            let at = self.flushed;
            self.out
                .write_all(&self.buf)
                .map_err(|source| Error::Io { offset: at, source })?;
            self.flushed += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// The inner writer, after a flush.
    pub(crate) fn get_mut(&mut self) -> Result<&mut W> {
        self.flush()?;
        Ok(&mut self.out)
    }

    /// The inner writer now stands at stream offset `pos`, nothing pending.
    pub(crate) fn set_position(&mut self, pos: u64) {
        debug_assert!(self.buf.is_empty());
        self.flushed = pos;
    }

    /// Flushes and gives back the inner writer.
    pub(crate) fn into_inner(mut self) -> Result<W> {
        self.flush()?;
        Ok(self.out)
    }

    // ----- field lists ------------------------------------------------------

    /// Encodes every field of `rec` in its table's (canonical) order; an
    /// absent optional field is left out.
    pub(crate) fn fields<T>(&mut self, rec: &T, table: &[Field<T>]) -> Result<()> {
        for field in table {
            self.value(field, (field.get)(rec))?;
        }
        Ok(())
    }

    fn value<T>(&mut self, field: &Field<T>, value: Value<'_>) -> Result<()> {
        let tag = field.tag;
        match value {
            Value::Byte(v) => self.put(&[tag, *v]),
            Value::Short(v) => {
                let [a, b] = v.to_be_bytes();
                self.put(&[tag, a, b])
            }
            Value::Int(v) => self.int(tag, *v),
            Value::Signed(v) => self.int(tag, *v as u32),
            Value::Pair(a, b) => {
                self.int(tag, *a)?;
                self.u32(*b)
            }
            Value::String(s) => self.string(tag, s),
            Value::OptString(None) => Ok(()),
            Value::OptString(Some(s)) => self.string(tag, s),
            Value::Array(a) => {
                if a.len() > MAX_ARRAY as usize {
                    return Err(self.refuse(format!(
                        "{} has {} elements (at most {MAX_ARRAY})",
                        field.name,
                        a.len()
                    )));
                }
                self.int(tag, a.len() as u32)?;
                a.iter().try_for_each(|&x| self.u32(x))
            }
            Value::Vv(vv) => {
                self.put(&[tag])?;
                self.version_vector(vv)
            }
        }
    }

    fn int(&mut self, tag: u8, v: u32) -> Result<()> {
        let [a, b, c, d] = v.to_be_bytes();
        self.put(&[tag, a, b, c, d])
    }

    /// A string value: length counting the NUL, the bytes, the NUL.
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

    /// A version vector value (spec §2): its field list, then D_ENDVV.
    pub(crate) fn version_vector(&mut self, vv: &VersionVector) -> Result<()> {
        self.fields(vv, VV_FIELDS)?;
        self.put(&[END_VV])
    }
}
