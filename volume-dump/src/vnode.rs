//! Vnode records (spec §7.1): struct, field table (with the version vector
//! and the directory ACL), decode and encode, and the rules of where a
//! vnode may stand (spec §6, §9.3). What follows the fields is in
//! [`crate::data`].

use std::io::{Read, Write};

use crate::error::{Record, Result};
use crate::field::{field_list, FieldReader, FieldWriter};
use crate::tag::VNODE;

// The index, data and version-vector types were defined here before they
// got modules of their own; the crate's other modules still name them here.
pub use crate::data::VnodeData;
pub use crate::field::VersionVector;
pub use crate::index::{IndexHeader, VnodeClass};

/// Vnode types (`t` field, spec §3.2).
pub mod vnode_type {
    /// Regular file.
    pub const FILE: u8 = 1;
    /// Directory.
    pub const DIRECTORY: u8 = 2;
    /// Symbolic link.
    pub const SYMLINK: u8 = 3;
    /// The bits of the `t` byte readers keep (spec §3.2).
    pub(crate) const MASK: u8 = 7;
}

/// A vnode record's metadata (spec §7.1), without its data. Values are
/// kept exactly as they appear in the stream so that writing them back
/// reproduces the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vnode {
    /// Vnode number (odd = directory, even = file/symlink).
    pub vnode: u32,
    /// Uniquifier.
    pub unique: u32,
    /// `t`: type, see [`vnode_type`].
    pub vnode_type: u8,
    /// `b`: mode bits (low 12 bits meaningful).
    pub mode: u16,
    /// `l`: link count.
    pub links: u16,
    /// `L`: length in bytes (directories: pages x 2048).
    pub length: u32,
    /// `v`: data version.
    pub data_version: u32,
    /// `V`: version vector.
    pub version_vector: VersionVector,
    /// `m`: modification time (Unix seconds).
    pub mtime: u32,
    /// `a`: author (PDB id of the last writer).
    pub author: u32,
    /// `o`: owner (PDB id).
    pub owner: u32,
    /// `p`: parent directory vnode (0 for the root).
    pub parent_vnode: u32,
    /// `q`: parent directory uniquifier (0 for the root).
    pub parent_unique: u32,
    /// `X`: the access list text of a directory, raw bytes without the
    /// terminating NUL (spec §7.3). `None` when the record has no `X`.
    pub acl: Option<Vec<u8>>,
}

// A vnode's fields in the order the server writes them (spec §7.1); only
// directories carry `X` (spec §7.2).
field_list!(Vnode {
    (b't', "type", Byte(vnode_type)),
    (b'b', "modeBits", Short(mode)),
    (b'l', "linkCount", Short(links)),
    (b'L', "length", Int(length)),
    (b'v', "dataVersion", Int(data_version)),
    (b'V', "versionvector", Vv(version_vector)),
    (b'm', "unixModifyTime", Int(mtime)),
    (b'a', "author", Int(author)),
    (b'o', "owner", Int(owner)),
    (b'p', "vparent", Int(parent_vnode)),
    (b'q', "uparent", Int(parent_unique)),
    (b'X', "ACL", OptString(acl)),
});

/// Where the first field (`t`) sits from the D_VNODE tag: after the tag,
/// the vnode number and the uniquifier (spec §7.1).
const FIELDS_AT: u64 = 9;

impl Vnode {
    /// The index this vnode belongs in, from its number's parity.
    pub fn class(&self) -> VnodeClass {
        VnodeClass::of_vnode(self.vnode)
    }

    /// Its slot within that index.
    pub fn slot(&self) -> u32 {
        VnodeClass::slot(self.vnode)
    }

    /// True for a directory (type 2).
    pub fn is_directory(&self) -> bool {
        self.vnode_type == vnode_type::DIRECTORY
    }

    /// Decodes a vnode record up to its data (spec §7.1): D_VNODE, the
    /// vnode number and uniquifier, the fields. Lenient reading keeps only
    /// the low bits of the type, as the C readers do.
    pub(crate) fn decode<R: Read>(r: &mut FieldReader<R>) -> Result<Vnode> {
        r.expect(VNODE)?;
        let vnode = r.u32("the vnode number")?;
        let unique = r.u32("the uniquifier")?;
        r.set_record(Record::Vnode { vnode, unique });
        let mut v = Vnode {
            vnode,
            unique,
            ..Vnode::default()
        };
        r.fields(&mut v)?;
        if r.lenient() {
            v.vnode_type &= vnode_type::MASK;
        }
        Ok(v)
    }

    /// Encodes the record up to its data: D_VNODE, numbers, the fields
    /// (`X` when `acl` is set).
    pub(crate) fn encode<W: Write>(&self, w: &mut FieldWriter<W>) -> Result<()> {
        w.put(&[VNODE])?;
        w.u32(self.vnode)?;
        w.u32(self.unique)?;
        w.fields(self)
    }

    /// Checks that this vnode, decoded from the record at `at`, may stand
    /// in `index` of `class` (spec §6.1, §6.2, §9.3): number parity and
    /// type of the class, slot below `s`, and (strictly) an ACL exactly on
    /// directories.
    pub(crate) fn check_place<R>(
        &self,
        r: &FieldReader<R>,
        class: VnodeClass,
        index: &IndexHeader,
        at: u64,
    ) -> Result<()> {
        let ty = self.vnode_type;
        let (parity_ok, parity, type_ok, want_type) = match class {
            VnodeClass::Large => (
                self.vnode & 1 == 1,
                "an odd vnode number",
                ty == vnode_type::DIRECTORY,
                "type 2 (directory)",
            ),
            VnodeClass::Small => (
                self.vnode & 1 == 0,
                "an even vnode number",
                ty == vnode_type::FILE || ty == vnode_type::SYMLINK,
                "type 1 (file) or 3 (symlink)",
            ),
        };
        if !parity_ok {
            return Err(r.format_at(
                at,
                format!(
                    "vnode number {:#x} in the {} index",
                    self.vnode,
                    class.name()
                ),
                parity,
            ));
        }
        if !type_ok {
            return Err(r.format_at(
                at + FIELDS_AT,
                format!("vnode type {ty} in the {} index", class.name()),
                want_type,
            ));
        }
        index.check_slot(r, at, "vnode", self.vnode)?;
        if r.lenient() {
            return Ok(());
        }
        let here = r.offset();
        match (class, self.acl.is_some()) {
            (VnodeClass::Large, false) => {
                Err(r.format_at(here, "no 'X' (ACL) field".into(), "an ACL for a directory"))
            }
            (VnodeClass::Small, true) => Err(r.format_at(
                here,
                "an 'X' (ACL) field".into(),
                "no ACL on a file or symlink",
            )),
            _ => Ok(()),
        }
    }
}

// Beside the vnode types it reads (the index module knows nothing of
// vnodes' fields).
impl VnodeClass {
    /// The class of a vnode of type `vnode_type`: directories are large,
    /// files and symlinks small.
    pub(crate) fn of_type(vnode_type: u8) -> VnodeClass {
        if vnode_type == vnode_type::DIRECTORY {
            VnodeClass::Large
        } else {
            VnodeClass::Small
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::tests::{golden, order, round_trip, ZERO_VV};
    use crate::field::FieldList;

    #[test]
    fn the_fields_are_in_spec_order() {
        assert_eq!(order(Vnode::FIELDS), b"tblLvVmaopqX");
    }

    /// Spec §16: the root directory 1.1 of `native-full.dump`, offsets
    /// 323..468 (the 109-byte common part, then the ACL); its version
    /// vector is [`ZERO_VV`].
    #[rustfmt::skip]
    const NATIVE_FULL_ROOT_TO_VV: &[u8] = &[
        0x05,                               // D_VNODE
        0x00, 0x00, 0x00, 0x01,             // vnode 1
        0x00, 0x00, 0x00, 0x01,             // uniquifier 1
        b't', 0x02,                         // type: directory
        b'b', 0x01, 0xed,                   // modeBits 0755
        b'l', 0x00, 0x02,                   // linkCount 2
        b'L', 0x00, 0x00, 0x08, 0x00,       // length: 1 page
        b'v', 0x00, 0x00, 0x00, 0x01,       // dataVersion 1
        b'V',                               // versionvector
    ];
    #[rustfmt::skip]
    const NATIVE_FULL_ROOT_AFTER_VV: &[u8] = &[
        b'm', 0x6b, 0x07, 0xc9, 0x02,       // unixModifyTime
        b'a', 0x00, 0x00, 0x00, 0x00,       // author
        b'o', 0x00, 0x00, 0x00, 0x00,       // owner
        b'p', 0x00, 0x00, 0x00, 0x00,       // vparent: none (the root)
        b'q', 0x00, 0x00, 0x00, 0x00,       // uparent
        b'X', 0x00, 0x00, 0x00, 0x1f,       // ACL, 31 bytes:
            b'1', b'\n', b'0', b'\n',
            b'S', b'y', b's', b't', b'e', b'm', b':',
            b'A', b'd', b'm', b'i', b'n', b'i', b's', b't', b'r', b'a', b't', b'o', b'r', b's',
            b'\t', b'1', b'2', b'7', b'\n', 0x00,
    ];

    fn native_full_root() -> Vec<u8> {
        [NATIVE_FULL_ROOT_TO_VV, ZERO_VV, NATIVE_FULL_ROOT_AFTER_VV].concat()
    }

    #[test]
    fn a_directory_vnode_decodes_and_encodes() {
        let bytes = native_full_root();
        assert_eq!(&golden("native-full.dump")[323..468], bytes);
        let v = round_trip(&bytes, Vnode::decode, |v, w| v.encode(w));
        assert_eq!(
            v,
            Vnode {
                vnode: 1,
                unique: 1,
                vnode_type: vnode_type::DIRECTORY,
                mode: 0o755,
                links: 2,
                length: 2048,
                data_version: 1,
                mtime: 0x6b07_c902,
                acl: Some(b"1\n0\nSystem:Administrators\t127\n".to_vec()),
                ..Vnode::default()
            }
        );
    }

    /// `harness-a-full.dump` offsets 13316..13425: file 2.5, the first
    /// vnode of its small index (no `X`); its version vector (offset 13344)
    /// is checked by value.
    #[rustfmt::skip]
    const HARNESS_A_FILE_TO_VV: &[u8] = &[
        0x05,                               // D_VNODE
        0x00, 0x00, 0x00, 0x02,             // vnode 2
        0x00, 0x00, 0x00, 0x05,             // uniquifier 5
        b't', 0x01,                         // type: file
        b'b', 0x01, 0xa4,                   // modeBits 0644
        b'l', 0x00, 0x02,                   // linkCount 2
        b'L', 0x00, 0x00, 0x01, 0x2c,       // length 300
        b'v', 0x00, 0x00, 0x00, 0x01,       // dataVersion 1
        b'V',                               // versionvector
    ];
    #[rustfmt::skip]
    const HARNESS_A_FILE_AFTER_VV: &[u8] = &[
        b'm', 0x65, 0x53, 0xf4, 0xe8,       // unixModifyTime 1700001000
        b'a', 0x00, 0x00, 0x03, 0xe8,       // author 1000
        b'o', 0x00, 0x00, 0x03, 0xe8,       // owner 1000
        b'p', 0x00, 0x00, 0x00, 0x01,       // vparent 1
        b'q', 0x00, 0x00, 0x00, 0x01,       // uparent 1
    ];

    fn harness_a_file() -> Vec<u8> {
        let golden = golden("harness-a-full.dump");
        let (start, vv_at) = (13316, 13316 + HARNESS_A_FILE_TO_VV.len());
        let vv = &golden[vv_at..vv_at + ZERO_VV.len()];
        let bytes = [HARNESS_A_FILE_TO_VV, vv, HARNESS_A_FILE_AFTER_VV].concat();
        assert_eq!(&golden[start..start + bytes.len()], bytes);
        bytes
    }

    #[test]
    fn a_file_vnode_decodes_and_encodes() {
        let bytes = harness_a_file();
        // Spec §7.1: the common part is always 109 bytes.
        assert_eq!(bytes.len(), 109);
        let v = round_trip(&bytes, Vnode::decode, |v, w| v.encode(w));
        assert_eq!(
            (v.vnode, v.unique, v.class(), v.slot()),
            (2, 5, VnodeClass::Small, 0)
        );
        assert_eq!((v.mode, v.links, v.length, v.owner), (0o644, 2, 300, 1000));
        assert_eq!(
            (v.mtime, v.author, v.parent_vnode, v.parent_unique),
            (1_700_001_000, 1000, 1, 1)
        );
        assert_eq!(
            v.version_vector,
            VersionVector {
                versions: [1, 0, 0, 0, 0, 0, 0, 0],
                store_host: 0xc000_0202,
                store_unique: 0x835,
                flags: 0,
            }
        );
        assert_eq!(v.acl, None);
    }

    /// Strictly a directory needs its ACL and a file must have none; the
    /// error stands after the fields, where `X` is or would be.
    #[test]
    fn the_acl_belongs_to_directories() {
        let index = IndexHeader {
            vnode_count: 1,
            slots: 256,
        };
        let root_without_acl = native_full_root()[..109].to_vec();
        let file_with_acl = [&harness_a_file()[..], &native_full_root()[109..]].concat();
        for (bytes, class, found) in [
            (root_without_acl, VnodeClass::Large, "no 'X' (ACL) field"),
            (file_with_acl, VnodeClass::Small, "an 'X' (ACL) field"),
        ] {
            let stream = [&bytes[..], &[crate::tag::DUMP_END]].concat();
            for lenient in [false, true] {
                let mut r = FieldReader::new(&stream[..], lenient, Record::LargeIndex);
                let v = Vnode::decode(&mut r).unwrap();
                let placed = v.check_place(&r, class, &index, 0);
                if lenient {
                    placed.unwrap();
                } else {
                    let err = placed.unwrap_err();
                    assert_eq!(err.offset(), Some(bytes.len() as u64), "{err}");
                    assert!(err.to_string().contains(found), "{err}");
                }
            }
        }
    }
}
