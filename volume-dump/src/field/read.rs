//! Decoding: field lists from their tables, the value encodings of spec §2,
//! and the record tags and magics around them. Every error names the stream
//! offset, the record being read and what the format allows there.

use std::io::{self, Read};

use super::{show_tag, Field, FieldList, Slot, VersionVector};
use crate::error::{Error, Record, Result};
use crate::input::Input;
use crate::tag::{self, END_VV, MAX_ARRAY, MAX_RECORD_TAG, MAX_STRING};

/// Reads the values of a dump stream strictly forward, counting offsets.
/// `lenient` relaxes the field rules as [`crate::ReadOptions`] describes;
/// `record` is the record errors are reported against.
pub(crate) struct FieldReader<R> {
    input: Input<R>,
    lenient: bool,
    record: Record,
}

impl<R: Read> FieldReader<R> {
    /// A reader at the start of `inner`, reading `record`.
    pub(crate) fn new(inner: R, lenient: bool, record: Record) -> Self {
        FieldReader {
            input: Input::new(inner),
            lenient,
            record,
        }
    }

    /// The byte source, for data that is streamed rather than decoded.
    pub(crate) fn input(&mut self) -> &mut Input<R> {
        &mut self.input
    }

    /// Gives back the inner reader (bytes already buffered are lost).
    pub(crate) fn into_inner(self) -> R {
        self.input.into_inner()
    }

    // ----- record tags and magics ------------------------------------------

    /// Reads one byte that must be the record tag `tag`; errors name
    /// `record`, which stays the record being read. Returns the tag's
    /// offset.
    pub(crate) fn expect_tag(&mut self, tag: u8, record: Record) -> Result<u64> {
        self.record = record;
        self.expect(tag)
    }

    /// Reads one byte that must be the record tag `tag`, errors naming the
    /// current record. Returns the tag's offset.
    pub(crate) fn expect(&mut self, tag: u8) -> Result<u64> {
        let name = tag::describe(tag);
        self.expect_byte(tag, name, name)
    }

    /// Reads one byte that must be `byte`. When the stream ends the error
    /// says `what` should have followed; on another byte, that `wanted`
    /// belongs there. Returns the byte's offset.
    pub(crate) fn expect_byte(&mut self, byte: u8, what: &str, wanted: &str) -> Result<u64> {
        let (at, found) = self.tag(what)?;
        if found != byte {
            return Err(self.wrong_byte(at, found, wanted));
        }
        Ok(at)
    }

    /// Reads one tag byte; returns its offset and value (`what` names it
    /// when the stream ends).
    pub(crate) fn tag(&mut self, what: &str) -> Result<(u64, u8)> {
        let at = self.offset();
        Ok((at, self.u8(what)?))
    }

    /// The next byte, not consumed (`what` names it when the stream ends).
    pub(crate) fn peek_tag(&mut self, what: &str) -> Result<u8> {
        match self.input.peek().map_err(|e| self.io_err(e))? {
            Some(b) => Ok(b),
            None => Err(self.truncated(what)),
        }
    }

    /// Reads the `which` ("begin", "end") magic, which must be `magic`.
    pub(crate) fn expect_magic(&mut self, magic: u32, which: &str) -> Result<()> {
        let at = self.offset();
        let found = self.u32(&format!("the {which} magic {magic:#010x}"))?;
        if found != magic {
            return Err(self.format_at(
                at,
                format!("magic {found:#010x}"),
                &format!("{magic:#010x}"),
            ));
        }
        Ok(())
    }

    /// A bare byte (`what` names it when the stream ends).
    pub(crate) fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.bytes::<1>(what)?[0])
    }

    /// A bare big-endian u32 (`what` names it when the stream ends).
    pub(crate) fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.bytes(what)?))
    }

    /// Reads up to `buf.len()` bytes of streamed data (0 only at the end).
    pub(crate) fn read_some(&mut self, buf: &mut [u8]) -> Result<usize> {
        self.input.read_some(buf).map_err(|e| self.io_err(e))
    }

    /// Skips up to `n` bytes; returns how many (fewer only at the end).
    pub(crate) fn skip(&mut self, n: u64) -> Result<u64> {
        self.input.skip(n).map_err(|e| self.io_err(e))
    }

    fn bytes<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        if self.input.read_exact(&mut b).map_err(|e| self.io_err(e))? {
            Ok(b)
        } else {
            Err(self.truncated(what))
        }
    }

    // ----- field lists ------------------------------------------------------

    /// Decodes a field list into `rec` from its table (spec §1), up to the
    /// first byte <= D_MAX, which is left unread. Strict: the table's order,
    /// every field but the optional ones present, each once. Lenient: any
    /// order, repeated (the last wins) or missing (the member keeps its
    /// value). An unknown tag is an error either way: with no length, its
    /// value cannot be skipped.
    pub(crate) fn fields<T: FieldList>(&mut self, rec: &mut T) -> Result<()> {
        let table = T::FIELDS;
        // Strictly, the table index of the field that must come next.
        let mut next = 0;
        loop {
            let at = self.offset();
            let tag = self.peek_tag("a field tag or the next record tag")?;
            if tag <= MAX_RECORD_TAG {
                break;
            }
            let i = match table.get(next) {
                Some(f) if f.tag == tag => next,
                _ => self.place(at, tag, next, table)?,
            };
            next = i + 1;
            self.input.consume(1);
            let field = &table[i];
            self.value(field.tag, (field.set)(rec))?;
        }
        match table
            .get(next..)
            .and_then(|rest| rest.iter().find(|f| !f.optional))
        {
            Some(missing) if !self.lenient => {
                let at = self.offset();
                let found = match self.input.peek() {
                    Ok(Some(b)) => format!("record tag {b:#04x}"),
                    _ => "end of stream".into(),
                };
                Err(self.format_at(at, found, &format!("field {}", show_tag(missing.tag))))
            }
            _ => Ok(()),
        }
    }

    /// The table index of `tag`, found at `at` where strictly `table[next]`
    /// belongs: any known tag when lenient, else an error naming the rule
    /// it breaks.
    fn place<T>(&self, at: u64, tag: u8, next: usize, table: &[Field<T>]) -> Result<usize> {
        let Some(i) = table.iter().position(|f| f.tag == tag) else {
            return Err(self.format_at(
                at,
                format!("unknown field tag {}", show_tag(tag)),
                &one_of(table),
            ));
        };
        if self.lenient {
            return Ok(i);
        }
        Err(match table.get(next) {
            Some(wanted) if i > next => self.format_at(
                at,
                format!(
                    "field {} where {} belongs",
                    show_tag(tag),
                    show_tag(wanted.tag)
                ),
                &format!("field {}", show_tag(wanted.tag)),
            ),
            _ => self.format_at(
                at,
                format!("field {} out of canonical order", show_tag(tag)),
                &one_of(table),
            ),
        })
    }

    /// Decodes the value of the field `tag` (its tag already read).
    fn value(&mut self, tag: u8, slot: Slot<'_>) -> Result<()> {
        match slot {
            Slot::Byte(v) => *v = self.value_bytes::<1>(tag, "1-byte")?[0],
            Slot::Short(v) => *v = u16::from_be_bytes(self.value_bytes(tag, "2-byte")?),
            Slot::Int(v) => *v = self.value_u32(tag)?,
            Slot::Signed(v) => *v = self.value_u32(tag)? as i32,
            Slot::Pair(a, b) => {
                *a = self.value_u32(tag)?;
                *b = self.value_u32(tag)?;
            }
            Slot::String(v) => *v = self.string(tag)?,
            Slot::OptString(v) => *v = Some(self.string(tag)?),
            Slot::Array(v) => *v = self.array(tag)?,
            Slot::Vv(v) => *v = self.version_vector()?,
        }
        Ok(())
    }

    fn value_u32(&mut self, tag: u8) -> Result<u32> {
        Ok(u32::from_be_bytes(self.value_bytes(tag, "4-byte")?))
    }

    fn value_bytes<const N: usize>(&mut self, tag: u8, what: &str) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        self.value_exact(&mut b, tag, what)?;
        Ok(b)
    }

    fn value_exact(&mut self, buf: &mut [u8], tag: u8, what: &str) -> Result<()> {
        if self.input.read_exact(buf).map_err(|e| self.io_err(e))? {
            Ok(())
        } else {
            Err(self.truncated(&format!("the {what} value of field {}", show_tag(tag))))
        }
    }

    /// A string value: u32 length counting the NUL, the bytes, the NUL
    /// (which lenient reading lets be missing). The length is capped by
    /// [`MAX_STRING`], so a corrupt one cannot allocate much.
    fn string(&mut self, tag: u8) -> Result<Vec<u8>> {
        let at = self.offset();
        let n = self.value_u32(tag)?;
        if n == 0 || n > MAX_STRING {
            return Err(self.format_at(
                at,
                format!("string length {n} in field {}", show_tag(tag)),
                &format!("1 to {MAX_STRING} bytes including the NUL"),
            ));
        }
        let mut s = vec![0u8; n as usize];
        self.value_exact(&mut s, tag, "string")?;
        if s.last() == Some(&0) {
            s.pop();
        } else if !self.lenient {
            let last = self.offset() - 1;
            return Err(self.format_at(
                last,
                format!("string of field {} not NUL-terminated", show_tag(tag)),
                "a NUL as the string's last byte",
            ));
        }
        Ok(s)
    }

    /// An int32 array value: u32 count (capped by [`MAX_ARRAY`]), then the
    /// elements.
    fn array(&mut self, tag: u8) -> Result<Vec<u32>> {
        let at = self.offset();
        let n = self.value_u32(tag)?;
        if n > MAX_ARRAY {
            return Err(self.format_at(
                at,
                format!("array of {n} elements in field {}", show_tag(tag)),
                &format!("at most {MAX_ARRAY} elements"),
            ));
        }
        (0..n).map(|_| self.value_u32(tag)).collect()
    }

    /// A version vector value (spec §2): its field list, then D_ENDVV.
    pub(crate) fn version_vector(&mut self) -> Result<VersionVector> {
        let mut vv = VersionVector::default();
        self.fields(&mut vv)?;
        self.expect_byte(
            END_VV,
            tag::describe(END_VV),
            "D_ENDVV (0x07) ending the version vector",
        )?;
        Ok(vv)
    }
}

impl<R> FieldReader<R> {
    /// Stream offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.input.offset()
    }

    /// True when reading with the lenient rules.
    pub(crate) fn lenient(&self) -> bool {
        self.lenient
    }

    /// The record errors are reported against.
    #[cfg(test)]
    pub(crate) fn record(&self) -> Record {
        self.record
    }

    /// Reports errors against `record` from now on.
    pub(crate) fn set_record(&mut self, record: Record) {
        self.record = record;
    }

    // ----- errors -----------------------------------------------------------

    /// The bytes at `offset` are not what the format allows.
    pub(crate) fn format_at(&self, offset: u64, found: String, expected: &str) -> Error {
        Error::Format {
            offset,
            record: self.record,
            found,
            expected: expected.to_string(),
        }
    }

    /// The byte at `offset` is `found` where `expected` belongs.
    pub(crate) fn wrong_byte(&self, offset: u64, found: u8, expected: &str) -> Error {
        self.format_at(offset, format!("byte {found:#04x}"), expected)
    }

    /// The stream ends here, where `expected` should follow.
    pub(crate) fn truncated(&self, expected: &str) -> Error {
        Error::Truncated {
            offset: self.offset(),
            record: self.record,
            expected: expected.to_string(),
        }
    }

    /// The inner reader failed.
    pub(crate) fn io_err(&self, source: io::Error) -> Error {
        Error::Io {
            offset: self.offset(),
            source,
        }
    }
}

/// What may stand where a field of `table` is read.
fn one_of<T>(table: &[Field<T>]) -> String {
    let tags: Vec<String> = table
        .iter()
        .map(|f| format!("'{}'", f.tag as char))
        .collect();
    format!(
        "one of the field tags {} or a record tag <= 20",
        tags.join(" ")
    )
}
