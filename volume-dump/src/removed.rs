//! Index entries that stand for no vnode: D_RMVNODE, a vnode deleted since
//! the reference dump (spec §8.2), and D_NULLVNODE, an unallocated slot
//! (spec §3.1). Decode and encode side by side.

use std::io::{Read, Write};

use crate::error::{Record, Result};
use crate::field::{FieldReader, FieldWriter};
use crate::index::{IndexHeader, VnodeClass};
use crate::tag::{NULL_VNODE, RM_VNODE};

/// A D_RMVNODE record: `0D u32 vnode u32 unique`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RemovedVnode {
    /// Vnode number.
    pub(crate) vnode: u32,
    /// Uniquifier.
    pub(crate) unique: u32,
}

impl RemovedVnode {
    /// Decodes the record; its tag comes next in the stream.
    pub(crate) fn decode<R: Read>(r: &mut FieldReader<R>) -> Result<Self> {
        r.expect_tag(RM_VNODE, Record::RemovedVnode)?;
        Ok(RemovedVnode {
            vnode: r.u32("the removed vnode number")?,
            unique: r.u32("the removed vnode's uniquifier")?,
        })
    }

    /// Encodes the record.
    pub(crate) fn encode<W: Write>(&self, w: &mut FieldWriter<W>) -> Result<()> {
        w.put(&[RM_VNODE])?;
        w.u32(self.vnode)?;
        w.u32(self.unique)
    }

    /// Checks that the deletion, decoded from the record at `at`, may stand
    /// in `index` of `class` of a dump that is `full` or not (spec §9.3): no
    /// deletions in a full dump, a vnode of the index's class, a slot below
    /// `s`.
    pub(crate) fn check_place<R>(
        &self,
        r: &FieldReader<R>,
        full: bool,
        class: VnodeClass,
        index: &IndexHeader,
        at: u64,
    ) -> Result<()> {
        let RemovedVnode { vnode, unique } = *self;
        if full {
            return Err(r.format_at(
                at,
                format!("D_RMVNODE {vnode:#x}.{unique:#x} in a full dump"),
                "no deletions in a full dump",
            ));
        }
        if VnodeClass::of_vnode(vnode) != class {
            return Err(r.format_at(
                at,
                format!("removed vnode {vnode:#x} in the {} index", class.name()),
                "a vnode number of the index's class",
            ));
        }
        index.check_slot(r, at, "removed vnode", vnode)
    }
}

/// A D_NULLVNODE record: the bare tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NullVnode;

impl NullVnode {
    /// Decodes the record; its tag comes next in the stream.
    pub(crate) fn decode<R: Read>(r: &mut FieldReader<R>) -> Result<Self> {
        r.expect(NULL_VNODE).map(|_| NullVnode)
    }

    /// Encodes the record.
    pub(crate) fn encode<W: Write>(&self, w: &mut FieldWriter<W>) -> Result<()> {
        w.put(&[NULL_VNODE])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::tests::{golden, round_trip};

    /// Spec §8.2: slot 1 of `server-b-incr.dump`'s small index holds the new
    /// 4.84, then the deletion of the old 4.6 (offset 7656).
    #[rustfmt::skip]
    const SERVER_B_INCR_RM: &[u8] = &[
        0x0d,                               // D_RMVNODE
        0x00, 0x00, 0x00, 0x04,             // vnode 4
        0x00, 0x00, 0x00, 0x06,             // uniquifier 6
    ];

    #[test]
    fn a_deletion_decodes_and_encodes() {
        assert_eq!(&golden("server-b-incr.dump")[7656..7665], SERVER_B_INCR_RM);
        let rm = round_trip(SERVER_B_INCR_RM, RemovedVnode::decode, |v, w| v.encode(w));
        assert_eq!(
            rm,
            RemovedVnode {
                vnode: 4,
                unique: 6
            }
        );
    }

    /// A deletion is refused in a full dump, in the other class's index and
    /// beyond the index's slots; each error stands at the record.
    #[test]
    fn a_deletion_must_fit_its_index() {
        let rm = RemovedVnode {
            vnode: 4,
            unique: 6,
        };
        let r = FieldReader::new(&[][..], false, Record::RemovedVnode);
        let index = |slots| IndexHeader {
            vnode_count: 3,
            slots,
        };
        assert!(rm
            .check_place(&r, false, VnodeClass::Small, &index(2), 9)
            .is_ok());
        for (full, class, slots, found) in [
            (
                true,
                VnodeClass::Small,
                2,
                "D_RMVNODE 0x4.0x6 in a full dump",
            ),
            (
                false,
                VnodeClass::Large,
                2,
                "removed vnode 0x4 in the large index",
            ),
            (
                false,
                VnodeClass::Small,
                1,
                "removed vnode 0x4 is in slot 1",
            ),
        ] {
            let err = rm
                .check_place(&r, full, class, &index(slots), 9)
                .unwrap_err();
            assert_eq!(err.offset(), Some(9));
            assert!(err.to_string().contains(found), "{err}");
        }
    }

    /// Spec §3.1: D_NULLVNODE is the single byte 0x0A.
    #[test]
    fn a_null_vnode_is_its_tag() {
        round_trip(&[0x0a], NullVnode::decode, |v, w| v.encode(w));
    }
}
