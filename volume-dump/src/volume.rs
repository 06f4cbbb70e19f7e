//! The volume disk data record (spec §5): struct, field table, decode and
//! encode.

use std::io::{Read, Write};

use crate::error::{Record, Result};
use crate::field::{field_list, FieldReader, FieldWriter, VersionVector};
use crate::tag::VOLUME_DISK_DATA;

/// Volume types as stored in the `t` field (spec §5).
pub mod volume_type {
    /// Read-write.
    pub const READ_WRITE: u8 = 0;
    /// Read-only clone.
    pub const READ_ONLY: u8 = 1;
    /// Backup clone.
    pub const BACKUP: u8 = 2;
    /// Replicated read-write.
    pub const REPLICATED: u8 = 3;
    /// Non-replicated read-write.
    pub const NON_REPLICATED: u8 = 4;
}

/// The volume metadata carried by a dump (D_VOLUMEDISKDATA). Field order
/// and meaning: spec §5. Strings are raw bytes without their NUL; signed
/// quantities keep their two's-complement bit pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeDiskData {
    /// `i`: volume id.
    pub id: u32,
    /// `v`: stamp version (1).
    pub stamp_version: u32,
    /// `n`: volume name.
    pub name: Vec<u8>,
    /// `P`: server partition, e.g. `/vicepa`.
    pub partition: Vec<u8>,
    /// `s`: in service (0/1).
    pub in_service: u8,
    /// `+`: blessed (0/1).
    pub blessed: u8,
    /// `u`: next vnode uniquifier.
    pub uniquifier: u32,
    /// `t`: volume type, see [`volume_type`].
    pub volume_type: u8,
    /// `p`: read-write parent.
    pub parent_id: u32,
    /// `g`: replicated group id.
    pub group_id: u32,
    /// `c`: clone id.
    pub clone_id: u32,
    /// `b`: backup id.
    pub backup_id: u32,
    /// `q`: maximum quota (1 KiB blocks).
    pub max_quota: i32,
    /// `m`: minimum quota (1 KiB blocks).
    pub min_quota: i32,
    /// `x`: maximum number of files.
    pub max_files: i32,
    /// `d`: disk used (1 KiB blocks).
    pub disk_used: i32,
    /// `f`: number of files.
    pub file_count: i32,
    /// `l`: link count.
    pub link_count: u16,
    /// `a`: account number.
    pub account_number: u32,
    /// `o`: owner.
    pub owner: u32,
    /// `C`: creation date.
    pub creation_date: u32,
    /// `A`: access date.
    pub access_date: u32,
    /// `U`: update date.
    pub update_date: u32,
    /// `E`: expiration date (0 = never).
    pub expiration_date: u32,
    /// `B`: last backup-clone date.
    pub backup_date: u32,
    /// `O`: offline message.
    pub offline_message: Vec<u8>,
    /// `M`: message of the day.
    pub motd: Vec<u8>,
    /// `W`: weekly use counters (7 in every real dump).
    pub week_use: Vec<u32>,
    /// `D`: day-use date.
    pub day_use_date: u32,
    /// `Z`: day use.
    pub day_use: u32,
    /// `V`: volume version vector.
    pub version_vector: VersionVector,
}

// The volume data's 31 fields in the order the server writes them
// (spec §5).
field_list!(VolumeDiskData {
    (b'i', "id", Int(id)),
    (b'v', "stamp.version", Int(stamp_version)),
    (b'n', "name", String(name)),
    (b'P', "partition", String(partition)),
    (b's', "inService", Byte(in_service)),
    (b'+', "blessed", Byte(blessed)),
    (b'u', "uniquifier", Int(uniquifier)),
    (b't', "type", Byte(volume_type)),
    (b'p', "parentId", Int(parent_id)),
    (b'g', "groupId", Int(group_id)),
    (b'c', "cloneId", Int(clone_id)),
    (b'b', "backupId", Int(backup_id)),
    (b'q', "maxquota", Signed(max_quota)),
    (b'm', "minquota", Signed(min_quota)),
    (b'x', "maxfiles", Signed(max_files)),
    (b'd', "diskused", Signed(disk_used)),
    (b'f', "filecount", Signed(file_count)),
    (b'l', "linkcount", Short(link_count)),
    (b'a', "accountNumber", Int(account_number)),
    (b'o', "owner", Int(owner)),
    (b'C', "creationDate", Int(creation_date)),
    (b'A', "accessDate", Int(access_date)),
    (b'U', "updateDate", Int(update_date)),
    (b'E', "expirationDate", Int(expiration_date)),
    (b'B', "backupDate", Int(backup_date)),
    (b'O', "offlineMessage", String(offline_message)),
    (b'M', "motd", String(motd)),
    (b'W', "weekUse", Array(week_use)),
    (b'D', "dayUseDate", Int(day_use_date)),
    (b'Z', "dayUse", Int(day_use)),
    (b'V', "versionvector", Vv(version_vector)),
});

impl VolumeDiskData {
    /// Decodes D_VOLUMEDISKDATA and its fields. The tag is the byte that
    /// ends the header's field list, so a wrong byte there is reported
    /// against the dump header (spec §4: the header ends at 0x09).
    pub(crate) fn decode<R: Read>(r: &mut FieldReader<R>) -> Result<VolumeDiskData> {
        r.expect_tag(VOLUME_DISK_DATA, Record::DumpHeader)?;
        r.set_record(Record::VolumeDiskData);
        let mut v = VolumeDiskData::default();
        r.fields(&mut v)?;
        Ok(v)
    }

    /// Encodes D_VOLUMEDISKDATA and all 31 fields in canonical order.
    pub(crate) fn encode<W: Write>(&self, w: &mut FieldWriter<W>) -> Result<()> {
        w.put(&[VOLUME_DISK_DATA])?;
        w.fields(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::tests::{golden, order, round_trip, ZERO_VV};
    use crate::field::FieldList;

    #[test]
    fn the_fields_are_in_spec_order() {
        assert_eq!(
            order(VolumeDiskData::FIELDS),
            b"ivnPs+utpgcbqmxdflaoCAUEBOMWDZV"
        );
    }

    /// Spec §16: `native-full.dump` offsets 60..256, the volume data of a
    /// fresh backup clone up to its version vector, which is [`ZERO_VV`]
    /// (values from the golden bytes).
    #[rustfmt::skip]
    const NATIVE_FULL_TO_VV: &[u8] = &[
        0x09,                               // D_VOLUMEDISKDATA
        b'i', 0x01, 0x00, 0x00, 0x02,       // id 01000002
        b'v', 0x00, 0x00, 0x00, 0x01,       // stamp.version 1
        b'n', 0x00, 0x00, 0x00, 0x11,       // name, 17 bytes:
            b't', b'e', b's', b't', b'v', b'o', b'l', b'.', b'0',
            b'.', b'b', b'a', b'c', b'k', b'u', b'p', 0x00,
        b'P', 0x00, 0x00, 0x00, 0x08,       // partition, 8 bytes:
            b'/', b'v', b'i', b'c', b'e', b'p', b'a', 0x00,
        b's', 0x01,                         // inService
        b'+', 0x01,                         // blessed
        b'u', 0x00, 0x00, 0x00, 0x02,       // uniquifier 2
        b't', 0x02,                         // type BACKUP
        b'p', 0x01, 0x00, 0x00, 0x01,       // parentId 01000001
        b'g', 0x00, 0x00, 0x00, 0x00,       // groupId
        b'c', 0x00, 0x00, 0x00, 0x00,       // cloneId
        b'b', 0x00, 0x00, 0x00, 0x00,       // backupId
        b'q', 0x00, 0x00, 0x00, 0x00,       // maxquota
        b'm', 0x00, 0x00, 0x00, 0x00,       // minquota
        b'x', 0x00, 0x00, 0x00, 0x00,       // maxfiles
        b'd', 0x00, 0x00, 0x00, 0x02,       // diskused 2
        b'f', 0x00, 0x00, 0x00, 0x00,       // filecount
        b'l', 0x00, 0x01,                   // linkcount 1
        b'a', 0x00, 0x00, 0x00, 0x00,       // accountNumber
        b'o', 0x00, 0x00, 0x00, 0x00,       // owner
        b'C', 0x6b, 0x07, 0xc9, 0x02,       // creationDate
        b'A', 0x00, 0x00, 0x00, 0x00,       // accessDate
        b'U', 0x6b, 0x07, 0xc9, 0x02,       // updateDate
        b'E', 0x00, 0x00, 0x00, 0x00,       // expirationDate
        b'B', 0x00, 0x00, 0x00, 0x00,       // backupDate
        b'O', 0x00, 0x00, 0x00, 0x01, 0x00, // offlineMessage ""
        b'M', 0x00, 0x00, 0x00, 0x01, 0x00, // motd ""
        b'W', 0x00, 0x00, 0x00, 0x07,       // weekUse, 7 elements:
            0x00, 0x00, 0x00, 0x00,  0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,  0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,  0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,
        b'D', 0x00, 0x00, 0x00, 0x00,       // dayUseDate
        b'Z', 0x00, 0x00, 0x00, 0x00,       // dayUse
        b'V',                               // versionvector (ZERO_VV)
    ];

    fn native_full() -> Vec<u8> {
        [NATIVE_FULL_TO_VV, ZERO_VV].concat()
    }

    #[test]
    fn the_worked_example_decodes_and_encodes() {
        let bytes = native_full();
        assert_eq!(&golden("native-full.dump")[60..312], bytes);
        // Spec §5: 225 + |n| + |P| + |O| + |M| bytes.
        assert_eq!(bytes.len(), 225 + 17 + 8 + 1 + 1);
        let v = round_trip(&bytes, VolumeDiskData::decode, |v, w| v.encode(w));
        assert_eq!(
            v,
            VolumeDiskData {
                id: 0x0100_0002,
                stamp_version: 1,
                name: b"testvol.0.backup".to_vec(),
                partition: b"/vicepa".to_vec(),
                in_service: 1,
                blessed: 1,
                uniquifier: 2,
                volume_type: volume_type::BACKUP,
                parent_id: 0x0100_0001,
                disk_used: 2,
                link_count: 1,
                creation_date: 0x6b07_c902,
                update_date: 0x6b07_c902,
                week_use: vec![0; 7],
                ..VolumeDiskData::default()
            }
        );
    }

    /// Signed quantities keep their bit pattern: a quota of -1 is
    /// `ff ff ff ff` (spec §5 notes).
    #[test]
    fn signed_fields_round_trip_their_bit_pattern() {
        let mut bytes = native_full();
        // The tag, i v n P s + u t, then p g c b.
        let quota = 1 + 5 + 5 + (5 + 17) + (5 + 8) + 2 + 2 + 5 + 2 + 4 * 5;
        assert_eq!(bytes[quota], b'q');
        bytes[quota + 1..quota + 5].copy_from_slice(&[0xff; 4]);
        let v = round_trip(&bytes, VolumeDiskData::decode, |v, w| v.encode(w));
        assert_eq!(v.max_quota, -1);
    }
}
