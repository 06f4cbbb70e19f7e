//! Encoding: field lists from their tables and the value encodings of spec
//! §2, into a large output buffer that counts offsets.

use std::io::Write;

use super::{FieldList, Value, VersionVector};
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

    /// Appends raw bytes (tags, fixed parts, data). Inlined, so that the
    /// few bytes of a field are stored without a call.
    #[inline]
    pub(crate) fn put(&mut self, data: &[u8]) -> Result<()> {
        if self.buf.len() + data.len() <= BUF_SIZE && data.len() < BUF_SIZE {
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        self.put_large(data)
    }

    #[cold]
    fn put_large(&mut self, data: &[u8]) -> Result<()> {
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
    #[inline]
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

    /// Encodes every field of `rec` in canonical order; an absent optional
    /// field is left out.
    pub(crate) fn fields<T: FieldList>(&mut self, rec: &T) -> Result<()> {
        rec.encode_fields(self)
    }

    /// Encodes one field (for [`FieldList::encode_fields`]); `name` is the
    /// spec's name of the field, for messages. Inlined into the record's
    /// encoder, where the encoding of each field is a constant.
    #[inline(always)]
    pub(crate) fn value(&mut self, tag: u8, name: &str, value: Value<'_>) -> Result<()> {
        match value {
            Value::Byte(v) => self.tagged(tag, [*v]),
            Value::Short(v) => self.tagged(tag, v.to_be_bytes()),
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
                        "{name} has {} elements (at most {MAX_ARRAY})",
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

    #[inline]
    fn int(&mut self, tag: u8, v: u32) -> Result<()> {
        self.tagged(tag, v.to_be_bytes())
    }

    /// A tag and a fixed-size value. The two are stored separately: built
    /// as one array on the stack they would be reloaded across the seam,
    /// which stalls store forwarding on every field.
    #[inline(always)]
    fn tagged<const N: usize>(&mut self, tag: u8, value: [u8; N]) -> Result<()> {
        if self.buf.len() + 1 + N > BUF_SIZE {
            self.flush_buf()?;
        }
        self.buf.push(tag);
        self.buf.extend_from_slice(&value);
        Ok(())
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
    #[inline]
    pub(crate) fn version_vector(&mut self, vv: &VersionVector) -> Result<()> {
        self.fields(vv)?;
        self.put(&[END_VV])
    }
}
