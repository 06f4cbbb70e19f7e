//! The end marker (spec §1): D_DUMPEND and DUMPENDMAGIC. What follows it
//! (tape padding, another dump) is counted, not parsed (spec §9.3).

use std::io::{Read, Write};

use crate::error::{Record, Result};
use crate::field::{FieldReader, FieldWriter};
use crate::tag::{describe, DUMP_END, END_MAGIC};

/// The end of a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DumpEnd {
    /// Bytes after the end magic, read to the end of the input.
    pub(crate) trailing_bytes: u64,
}

impl DumpEnd {
    /// Decodes the marker where the small index ends, then counts the
    /// bytes that follow it.
    pub(crate) fn decode<R: Read>(r: &mut FieldReader<R>) -> Result<Self> {
        r.set_record(Record::DumpEnd);
        let name = describe(DUMP_END);
        r.expect_byte(DUMP_END, name, "a vnode record or D_DUMPEND (0x08)")?;
        r.expect_magic(END_MAGIC, "end")?;
        Ok(DumpEnd {
            trailing_bytes: r.skip(u64::MAX)?,
        })
    }

    /// Encodes the marker.
    pub(crate) fn encode<W: Write>(w: &mut FieldWriter<W>) -> Result<()> {
        w.put(&[DUMP_END])?;
        w.u32(END_MAGIC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::tests::golden;

    /// Spec §16: the last 5 bytes of `native-full.dump` (offset 2533).
    #[rustfmt::skip]
    const NATIVE_FULL_END: &[u8] = &[
        0x08,                               // D_DUMPEND
        0x3a, 0x21, 0x4b, 0x6e,             // DUMPENDMAGIC
    ];

    #[test]
    fn the_end_marker_decodes_and_encodes() {
        let golden = golden("native-full.dump");
        assert_eq!(&golden[2533..], NATIVE_FULL_END);
        let mut w = FieldWriter::new(Vec::new(), Record::DumpEnd);
        DumpEnd::encode(&mut w).unwrap();
        assert_eq!(w.into_inner().unwrap(), NATIVE_FULL_END);
        // Tape padding after the marker is counted (spec §9.3).
        for padding in [0, 1, 10_240] {
            let stream = [NATIVE_FULL_END, &vec![0; padding]].concat();
            let mut r = FieldReader::new(&stream[..], false, Record::SmallIndex);
            let end = DumpEnd::decode(&mut r).unwrap();
            assert_eq!(end.trailing_bytes, padding as u64);
        }
    }

    #[test]
    fn a_wrong_magic_is_named() {
        let stream = [0x08, 0x3a, 0x21, 0x4b, 0x6f];
        let mut r = FieldReader::new(&stream[..], false, Record::SmallIndex);
        let err = DumpEnd::decode(&mut r).unwrap_err();
        assert_eq!(
            err.to_string(),
            "byte offset 1: end of dump: magic 0x3a214b6f (expected 0x3a214b6e)"
        );
    }
}
