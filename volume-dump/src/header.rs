//! The dump header (spec §4): struct, field table, decode and encode.

use std::io::{Read, Write};

use crate::error::{Record, Result};
use crate::field::{field_list, FieldReader, FieldWriter};
use crate::tag::{BEGIN_MAGIC, DUMP_HEADER, DUMP_VERSION};

/// The dump header: which volume was dumped, when, and at what level.
/// Spec §4; field tags in §3.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpHeader {
    /// DUMPVERSION read after the magic (always 2 in practice).
    pub version: u32,
    /// `v`: id of the dumped (backup or read-only clone) volume; never 0.
    pub volume_id: u32,
    /// `p`: id of the read-write volume the clone belongs to.
    pub parent_id: u32,
    /// `n`: name of the dumped volume, raw bytes without the NUL.
    pub volume_name: Vec<u8>,
    /// `b`: when the clone was made (Unix seconds).
    pub backup_date: u32,
    /// `i`: 0 for a full dump, else the incremental level.
    pub incremental: u32,
    /// `I` first value: the state this dump is relative to (spec §8.3).
    pub oldest: u32,
    /// `I` second value: the state that was dumped (spec §8.3).
    pub latest: u32,
}

// The header's fields in the order the server writes them (spec §4).
field_list!(DumpHeader {
    (b'v', "volumeId", Int(volume_id)),
    (b'p', "parentId", Int(parent_id)),
    (b'n', "volumeName", String(volume_name)),
    (b'b', "backupDate", Int(backup_date)),
    (b'i', "Incremental", Int(incremental)),
    (b'I', "oldest, latest", Pair(oldest, latest)),
});

impl DumpHeader {
    /// True for a full dump (`i` = 0).
    pub fn is_full(&self) -> bool {
        self.incremental == 0
    }

    /// Decodes the header at the start of the stream: D_DUMPHEADER, the
    /// begin magic, the version (strictly 2), the fields; `v` must be
    /// non-zero (spec §9.1).
    pub(crate) fn decode<R: Read>(r: &mut FieldReader<R>) -> Result<DumpHeader> {
        r.expect_tag(DUMP_HEADER, Record::DumpHeader)?;
        r.expect_magic(BEGIN_MAGIC, "begin")?;
        let version_at = r.offset();
        let mut h = DumpHeader {
            version: r.u32("the dump version")?,
            ..DumpHeader::default()
        };
        if h.version != DUMP_VERSION && !r.lenient() {
            return Err(r.format_at(
                version_at,
                format!("dump version {}", h.version),
                "version 2",
            ));
        }
        let fields_at = r.offset();
        r.fields(&mut h)?;
        if h.volume_id == 0 {
            return Err(r.format_at(
                fields_at,
                "volume id 0".into(),
                "a non-zero volume id ('v')",
            ));
        }
        Ok(h)
    }

    /// Encodes the header, in canonical field order.
    pub(crate) fn encode<W: Write>(&self, w: &mut FieldWriter<W>) -> Result<()> {
        w.put(&[DUMP_HEADER])?;
        w.u32(BEGIN_MAGIC)?;
        w.u32(self.version)?;
        w.fields(self)
    }
}

impl Default for DumpHeader {
    fn default() -> Self {
        DumpHeader {
            version: DUMP_VERSION,
            volume_id: 0,
            parent_id: 0,
            volume_name: Vec::new(),
            backup_date: 0,
            incremental: 0,
            oldest: 0,
            latest: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::tests::{golden, order, round_trip};
    use crate::field::FieldList;

    #[test]
    fn the_fields_are_in_spec_order() {
        assert_eq!(order(DumpHeader::FIELDS), b"vpnbiI");
    }

    /// Spec §16: the first 60 bytes of `native-full.dump`.
    #[rustfmt::skip]
    const NATIVE_FULL: &[u8] = &[
        0x01,                               // D_DUMPHEADER
        0xb3, 0xa1, 0x13, 0x22,             // DUMPBEGINMAGIC
        0x00, 0x00, 0x00, 0x02,             // version 2
        b'v', 0x01, 0x00, 0x00, 0x02,       // volumeId 01000002
        b'p', 0x01, 0x00, 0x00, 0x01,       // parentId 01000001
        b'n', 0x00, 0x00, 0x00, 0x11,       // volumeName, 17 bytes:
            b't', b'e', b's', b't', b'v', b'o', b'l', b'.', b'0',
            b'.', b'b', b'a', b'c', b'k', b'u', b'p', 0x00,
        b'b', 0x6b, 0x07, 0xc9, 0x02,       // backupDate
        b'i', 0x00, 0x00, 0x00, 0x00,       // Incremental: full
        b'I', 0x00, 0x00, 0x00, 0x00,       // oldest 0
              0x00, 0x00, 0x00, 0x00,       // latest 0
    ];

    #[test]
    fn the_worked_example_decodes_and_encodes() {
        assert_eq!(&golden("native-full.dump")[..60], NATIVE_FULL);
        let h = round_trip(NATIVE_FULL, DumpHeader::decode, |h, w| h.encode(w));
        assert_eq!(
            h,
            DumpHeader {
                version: 2,
                volume_id: 0x0100_0002,
                parent_id: 0x0100_0001,
                volume_name: b"testvol.0.backup".to_vec(),
                backup_date: 0x6b07_c902,
                incremental: 0,
                oldest: 0,
                latest: 0,
            }
        );
    }

    /// Spec §8.3: the harness incremental's stamps (1700005000,
    /// 1700095000); its header (a 14-byte name) is 57 bytes.
    #[test]
    fn the_stamp_pair_is_two_values() {
        let golden = golden("server-b-incr.dump");
        let h = round_trip(&golden[..57], DumpHeader::decode, |h, w| h.encode(w));
        #[rustfmt::skip]
        let stamps: &[u8] = &[
            b'I', 0x65, 0x54, 0x04, 0x88, // oldest 1700005000
                  0x65, 0x55, 0x64, 0x18, // latest 1700095000
        ];
        assert_eq!(&golden[48..57], stamps);
        assert_eq!((h.oldest, h.latest), (1_700_005_000, 1_700_095_000));
        assert_eq!(h.incremental, 1);
    }
}
