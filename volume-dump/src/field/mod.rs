//! Field lists (spec §1, §2): the `(field tag, value)` pairs that carry the
//! dump header, the volume data, an index header, a vnode and a version
//! vector.
//!
//! Every record lists its fields once, in the canonical order its spec
//! section gives, with [`field_list!`]: one row per field (tag, the spec's
//! name, the encoding and the struct member). From those rows the macro
//! makes both directions of the record's [`FieldList`]: the table
//! [`FieldList::FIELDS`] that [`FieldReader::fields`] decodes from (strictly
//! in table order, or leniently in any order), and
//! [`FieldList::encode_fields`], straight-line code that
//! [`FieldWriter::fields`] runs, so the two cannot drift apart. The value
//! encodings of spec §2 are the variants of [`Value`] (encoding) and
//! [`Slot`] (decoding).

use std::io::Write;

mod read;
mod write;

pub(crate) use read::FieldReader;
pub(crate) use write::FieldWriter;

/// A record (or the version vector) that is a field list.
pub(crate) trait FieldList: Sized + 'static {
    /// The fields in canonical order, for decoding and messages.
    const FIELDS: &'static [Field<Self>];

    /// Encodes every field in the order of [`FIELDS`](Self::FIELDS); an
    /// absent optional field is left out.
    fn encode_fields<W: Write>(&self, w: &mut FieldWriter<W>) -> crate::Result<()>;
}

/// One row of a record's field table, for decoding: the field tag and the
/// struct member that receives its value.
pub(crate) struct Field<T> {
    /// The field tag (a printable byte > D_MAX).
    pub(crate) tag: u8,
    /// True for a field a strict reader lets be absent (only the vnode's
    /// ACL, whose presence depends on the vnode type).
    pub(crate) optional: bool,
    /// The member, for decoding.
    pub(crate) set: fn(&mut T) -> Slot<'_>,
}

/// A field value to encode, by its encoding (spec §2).
pub(crate) enum Value<'a> {
    /// `tag u8`.
    Byte(&'a u8),
    /// `tag u16`.
    Short(&'a u16),
    /// `tag u32`.
    Int(&'a u32),
    /// `tag u32`, the two's-complement pattern of a signed value.
    Signed(&'a i32),
    /// `tag u32 u32` (DumpDouble: two unrelated values).
    Pair(&'a u32, &'a u32),
    /// `tag u32(N) byte{N}`, N counting the NUL the encoder adds.
    String(&'a [u8]),
    /// A string field written only when present.
    OptString(&'a Option<Vec<u8>>),
    /// `tag u32(count) u32{count}`.
    Array(&'a [u32]),
    /// `tag` + the version vector's own field list + D_ENDVV.
    Vv(&'a VersionVector),
}

/// Where a decoded field value goes, by its encoding (spec §2); the
/// variants mirror [`Value`].
pub(crate) enum Slot<'a> {
    /// `tag u8`.
    Byte(&'a mut u8),
    /// `tag u16`.
    Short(&'a mut u16),
    /// `tag u32`.
    Int(&'a mut u32),
    /// `tag u32`, read as a two's-complement signed value.
    Signed(&'a mut i32),
    /// `tag u32 u32`.
    Pair(&'a mut u32, &'a mut u32),
    /// `tag u32(N) byte{N}`, stored without the NUL.
    String(&'a mut Vec<u8>),
    /// A string field that may be absent.
    OptString(&'a mut Option<Vec<u8>>),
    /// `tag u32(count) u32{count}`.
    Array(&'a mut Vec<u32>),
    /// `tag` + a version vector.
    Vv(&'a mut VersionVector),
}

/// Implements [`FieldList`] for a record from its rows, in canonical order:
///
/// ```text
/// field_list!(Record {
///     (b'v', "volumeId", Int(volume_id)),
///     (b'I', "oldest, latest", Pair(oldest, latest)),
/// });
/// ```
///
/// `Kind` is a [`Value`]/[`Slot`] variant, the member a path into the
/// record (`versions[0]`); `Pair` names two members; `OptString` rows are
/// optional.
macro_rules! field_list {
    ($record:ty { $( ($tag:literal, $name:literal, $kind:ident($($member:tt)+)) ),+ $(,)? }) => {
        impl $crate::field::FieldList for $record {
            const FIELDS: &'static [$crate::field::Field<Self>] = &[
                $( $crate::field::field_list!(@row $tag, $kind($($member)+)) ),+
            ];

            #[inline]
            fn encode_fields<W: ::std::io::Write>(
                &self,
                w: &mut $crate::field::FieldWriter<W>,
            ) -> $crate::Result<()> {
                $( w.value($tag, $name, $crate::field::field_list!(@value self, $kind($($member)+)))?; )+
                Ok(())
            }
        }
    };
    (@row $tag:literal, Pair($a:ident, $b:ident)) => {
        $crate::field::Field {
            tag: $tag,
            optional: false,
            set: |r| $crate::field::Slot::Pair(&mut r.$a, &mut r.$b),
        }
    };
    (@row $tag:literal, OptString($($member:tt)+)) => {
        $crate::field::Field {
            tag: $tag,
            optional: true,
            set: |r| $crate::field::Slot::OptString(&mut r.$($member)+),
        }
    };
    (@row $tag:literal, $kind:ident($($member:tt)+)) => {
        $crate::field::Field {
            tag: $tag,
            optional: false,
            set: |r| $crate::field::Slot::$kind(&mut r.$($member)+),
        }
    };
    (@value $rec:ident, Pair($a:ident, $b:ident)) => {
        $crate::field::Value::Pair(&$rec.$a, &$rec.$b)
    };
    (@value $rec:ident, $kind:ident($($member:tt)+)) => {
        $crate::field::Value::$kind(&$rec.$($member)+)
    };
}
pub(crate) use field_list;

/// Prints a field tag for messages: `'v' (0x76)`, or just the hex value
/// when the byte is not printable.
pub(crate) fn show_tag(t: u8) -> String {
    if t.is_ascii_graphic() {
        format!("'{}' ({t:#04x})", t as char)
    } else {
        format!("{t:#04x}")
    }
}

/// A version vector (ViceVersionVector, spec §2): a field list of its own
/// inside the `V` field of the volume data and of every vnode, ended by
/// D_ENDVV. It is one of the value encodings, so it lives with them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct VersionVector {
    /// `0`..`7`: one update counter per replication site.
    pub versions: [i32; 8],
    /// `s`: StoreId host id.
    pub store_host: u32,
    /// `u`: StoreId uniquifier.
    pub store_unique: u32,
    /// `f`: flags.
    pub flags: u32,
}

// The version vector's fields in canonical order (spec §2): 11 int32
// fields, 55 bytes, then the D_ENDVV byte.
field_list!(VersionVector {
    (b'0', "Versions.Site0", Signed(versions[0])),
    (b'1', "Versions.Site1", Signed(versions[1])),
    (b'2', "Versions.Site2", Signed(versions[2])),
    (b'3', "Versions.Site3", Signed(versions[3])),
    (b'4', "Versions.Site4", Signed(versions[4])),
    (b'5', "Versions.Site5", Signed(versions[5])),
    (b'6', "Versions.Site6", Signed(versions[6])),
    (b'7', "Versions.Site7", Signed(versions[7])),
    (b's', "StoreId.HostId", Int(store_host)),
    (b'u', "StoreId.Uniquifier", Int(store_unique)),
    (b'f', "Flags", Int(flags)),
});

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::error::Record;

    /// The bytes of a golden dump: `$CODA_RS_GOLDEN/dump/NAME`, by
    /// default `../shared/golden` beside the repository (as the
    /// integration tests find them).
    pub(crate) fn golden(name: &str) -> Vec<u8> {
        let dir = std::env::var("CODA_RS_GOLDEN")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/golden").into());
        let path = format!("{dir}/dump/{name}");
        std::fs::read(&path).unwrap_or_else(|e| panic!("golden file {path}: {e}"))
    }

    /// Decodes `bytes` with `decode` (strictly), checks that it used all
    /// of them, and that `encode` gives them back. A record tag follows the
    /// bytes while decoding, as in a stream, to end a trailing field list.
    pub(crate) fn round_trip<T>(
        bytes: &[u8],
        decode: impl FnOnce(&mut FieldReader<Cursor<Vec<u8>>>) -> crate::Result<T>,
        encode: impl FnOnce(&T, &mut FieldWriter<Vec<u8>>) -> crate::Result<()>,
    ) -> T {
        let stream = [bytes, &[crate::tag::DUMP_END]].concat();
        let mut r = FieldReader::new(Cursor::new(stream), false, Record::DumpHeader);
        let value = decode(&mut r).expect("decodes");
        assert_eq!(r.offset(), bytes.len() as u64, "decoded every byte");
        let mut w = FieldWriter::new(Vec::new(), Record::DumpHeader);
        encode(&value, &mut w).expect("encodes");
        assert_eq!(
            w.into_inner().expect("flushes"),
            bytes,
            "encodes to the same bytes"
        );
        value
    }

    /// The canonical order the spec gives, against the table's.
    pub(crate) fn order<T>(table: &[Field<T>]) -> Vec<u8> {
        table.iter().map(|f| f.tag).collect()
    }

    #[test]
    fn the_version_vector_fields_are_in_spec_order() {
        assert_eq!(order(VersionVector::FIELDS), b"01234567suf");
    }

    /// A version vector of zeros after its `'V'` tag: the volume's (offset
    /// 256) and the root directory's (offset 351) in `native-full.dump`.
    #[rustfmt::skip]
    pub(crate) const ZERO_VV: &[u8] = &[
        b'0', 0x00, 0x00, 0x00, 0x00, // Versions.Site0
        b'1', 0x00, 0x00, 0x00, 0x00, // Versions.Site1
        b'2', 0x00, 0x00, 0x00, 0x00, // Versions.Site2
        b'3', 0x00, 0x00, 0x00, 0x00, // Versions.Site3
        b'4', 0x00, 0x00, 0x00, 0x00, // Versions.Site4
        b'5', 0x00, 0x00, 0x00, 0x00, // Versions.Site5
        b'6', 0x00, 0x00, 0x00, 0x00, // Versions.Site6
        b'7', 0x00, 0x00, 0x00, 0x00, // Versions.Site7
        b's', 0x00, 0x00, 0x00, 0x00, // StoreId.HostId
        b'u', 0x00, 0x00, 0x00, 0x00, // StoreId.Uniquifier
        b'f', 0x00, 0x00, 0x00, 0x00, // Flags
        0x07,                         // D_ENDVV
    ];

    #[test]
    fn a_zero_version_vector_decodes_and_encodes() {
        let golden = golden("native-full.dump");
        for at in [256, 351] {
            assert_eq!(&golden[at..at + ZERO_VV.len()], ZERO_VV, "offset {at}");
        }
        // Spec §2: 11 fields of 5 bytes and D_ENDVV (57 bytes with 'V').
        assert_eq!(ZERO_VV.len(), 56);
        let vv = round_trip(
            ZERO_VV,
            |r| r.version_vector(),
            |vv, w| w.version_vector(vv),
        );
        assert_eq!(vv, VersionVector::default());
    }

    /// The root's VV in `native-incr.dump` (offset 351) after `volutil
    /// setvv` gave it Site0 2 and StoreId c0000202.1092 (golden README).
    #[test]
    fn a_version_vector_with_values_decodes_and_encodes() {
        let golden = golden("native-incr.dump");
        let bytes = &golden[351..351 + ZERO_VV.len()];
        let vv = round_trip(bytes, |r| r.version_vector(), |vv, w| w.version_vector(vv));
        assert_eq!(
            vv,
            VersionVector {
                versions: [2, 0, 0, 0, 0, 0, 0, 0],
                store_host: 0xc000_0202,
                store_unique: 0x1092,
                flags: 0,
            }
        );
    }

    /// Readers accept the fields in any order or missing, but the
    /// terminator is required (spec §2).
    #[test]
    fn a_version_vector_needs_its_terminator() {
        let mut bytes = ZERO_VV.to_vec();
        *bytes.last_mut().unwrap() = crate::tag::DUMP_END;
        let mut r = FieldReader::new(&bytes[..], false, Record::VolumeDiskData);
        let err = r.version_vector().unwrap_err();
        assert_eq!(
            err.to_string(),
            "byte offset 55: volume data: byte 0x08 \
             (expected D_ENDVV (0x07) ending the version vector)"
        );
    }

    #[test]
    fn tags_print_as_characters_when_printable() {
        assert_eq!(show_tag(b'v'), "'v' (0x76)");
        assert_eq!(show_tag(0x07), "0x07");
        assert_eq!(show_tag(0xff), "0xff");
    }
}
