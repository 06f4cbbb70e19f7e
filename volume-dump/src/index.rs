//! Vnode indexes (spec §6): the two vnode classes and their slots, and the
//! index header record (struct, field table, decode and encode).

use std::io::{Read, Write};

use crate::error::{Record, Result};
use crate::field::{field_list, FieldReader, FieldWriter};
use crate::tag::{LARGE_INDEX, SMALL_INDEX};

/// The two vnode classes, each with its own index (spec §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VnodeClass {
    /// Directories: odd vnode numbers, the large index.
    Large,
    /// Files and symlinks: even vnode numbers, the small index.
    Small,
}

impl VnodeClass {
    /// The class a vnode number belongs to (odd = large).
    pub fn of_vnode(vnode: u32) -> VnodeClass {
        if vnode & 1 == 1 {
            VnodeClass::Large
        } else {
            VnodeClass::Small
        }
    }

    /// Slot of a vnode number: `(vnode - 1) >> 1` (spec §6.1).
    pub fn slot(vnode: u32) -> u32 {
        vnode.wrapping_sub(1) >> 1
    }

    /// Vnode number of `slot` in this class: `2 slot + 1` or `2 slot + 2`.
    pub fn vnode_of_slot(self, slot: u32) -> u32 {
        match self {
            VnodeClass::Large => slot.wrapping_mul(2).wrapping_add(1),
            VnodeClass::Small => slot.wrapping_mul(2).wrapping_add(2),
        }
    }

    /// Where arrays kept per class hold this one: 0 large, 1 small.
    pub(crate) fn ordinal(self) -> usize {
        match self {
            VnodeClass::Large => 0,
            VnodeClass::Small => 1,
        }
    }

    /// Human name, as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            VnodeClass::Large => "large",
            VnodeClass::Small => "small",
        }
    }

    /// The record tag that starts this class's index.
    fn index_tag(self) -> u8 {
        match self {
            VnodeClass::Large => LARGE_INDEX,
            VnodeClass::Small => SMALL_INDEX,
        }
    }

    /// The index, as errors name it.
    pub(crate) fn index_record(self) -> Record {
        match self {
            VnodeClass::Large => Record::LargeIndex,
            VnodeClass::Small => Record::SmallIndex,
        }
    }
}

/// The index header of either class (spec §3.2, §6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexHeader {
    /// `v`: number of vnodes of the class in the volume (for a full dump,
    /// the number of records that follow).
    pub vnode_count: u32,
    /// `s`: number of slots (vnode lists) of the class; > 0.
    pub slots: u32,
}

// The index header's fields (spec §3.2).
field_list!(IndexHeader {
    (b'v', "vnode count", Int(vnode_count)),
    (b's', "slots", Int(slots)),
});

/// Where the `v` count's value sits from the index tag: after the tag and
/// the field tag `'v'`. Writers that learn the count late patch it there.
const COUNT_AT: u64 = 2;

impl IndexHeader {
    /// Decodes the start of `class`'s index: its tag, then `v` and `s`;
    /// `s` must be > 0 (spec §9.2).
    pub(crate) fn decode<R: Read>(r: &mut FieldReader<R>, class: VnodeClass) -> Result<Self> {
        r.expect_tag(class.index_tag(), class.index_record())?;
        let fields_at = r.offset();
        let mut h = IndexHeader::default();
        r.fields(&mut h)?;
        if h.slots == 0 {
            return Err(r.format_at(fields_at, "index with 0 slots".into(), "'s' > 0"));
        }
        Ok(h)
    }

    /// Encodes the start of `class`'s index; returns the stream offset of
    /// the 4-byte `v` count.
    pub(crate) fn encode<W: Write>(
        &self,
        class: VnodeClass,
        w: &mut FieldWriter<W>,
    ) -> Result<u64> {
        let count_at = w.position() + COUNT_AT;
        w.put(&[class.index_tag()])?;
        w.fields(self)?;
        Ok(count_at)
    }

    /// Spec §6.1: the slot of `vnode`, found in the record at `at`, must be
    /// below `s` (the real restore does not check, and corrupts memory).
    /// `what` names the record in the message.
    pub(crate) fn check_slot<R>(
        &self,
        r: &FieldReader<R>,
        at: u64,
        what: &str,
        vnode: u32,
    ) -> Result<()> {
        let slot = VnodeClass::slot(vnode);
        if slot >= self.slots {
            return Err(r.format_at(
                at,
                format!("{what} {vnode:#x} is in slot {slot}"),
                &format!("a slot below the index's {} slots", self.slots),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::tests::{golden, order};
    use crate::field::FieldList;

    #[test]
    fn the_fields_are_in_spec_order() {
        assert_eq!(order(IndexHeader::FIELDS), b"vs");
    }

    /// Spec §16: both index headers of `native-full.dump`.
    #[rustfmt::skip]
    const NATIVE_FULL_LARGE: &[u8] = &[
        0x04,                               // D_LARGEINDEX (offset 312)
        b'v', 0x00, 0x00, 0x00, 0x01,       // 1 directory
        b's', 0x00, 0x00, 0x00, 0x80,       // 128 slots
    ];
    #[rustfmt::skip]
    const NATIVE_FULL_SMALL: &[u8] = &[
        0x03,                               // D_SMALLINDEX (offset 2522)
        b'v', 0x00, 0x00, 0x00, 0x00,       // no files
        b's', 0x00, 0x00, 0x01, 0x00,       // 256 slots
    ];

    #[test]
    fn the_worked_example_decodes_and_encodes() {
        let golden = golden("native-full.dump");
        for (class, at, bytes, want) in [
            (VnodeClass::Large, 312, NATIVE_FULL_LARGE, (1, 128)),
            (VnodeClass::Small, 2522, NATIVE_FULL_SMALL, (0, 256)),
        ] {
            assert_eq!(&golden[at..at + bytes.len()], bytes);
            let mut r = FieldReader::new(&golden[at..], false, Record::DumpHeader);
            let h = IndexHeader::decode(&mut r, class).unwrap();
            assert_eq!(r.offset(), bytes.len() as u64);
            assert_eq!((h.vnode_count, h.slots), want);
            assert_eq!(r.record(), class.index_record());
            let mut w = FieldWriter::new(Vec::new(), Record::DumpHeader);
            // Spec §16: the large index's count is at offsets 314..318.
            assert_eq!(h.encode(class, &mut w).unwrap(), 2);
            assert_eq!(w.into_inner().unwrap(), bytes);
        }
    }

    #[test]
    fn an_index_must_have_slots() {
        let mut bytes = NATIVE_FULL_LARGE.to_vec();
        bytes[10] = 0; // 's' 0
        bytes.push(0x05);
        let mut r = FieldReader::new(&bytes[..], false, Record::DumpHeader);
        let err = IndexHeader::decode(&mut r, VnodeClass::Large).unwrap_err();
        assert_eq!(
            err.to_string(),
            "byte offset 1: large vnode index: index with 0 slots (expected 's' > 0)"
        );
    }

    /// Spec §6.1: slot k holds directory 2k+1 and file 2k+2.
    #[test]
    fn slots_and_vnode_numbers() {
        for (vnode, class, slot) in [
            (1, VnodeClass::Large, 0),
            (3, VnodeClass::Large, 1),
            (2, VnodeClass::Small, 0),
            (4, VnodeClass::Small, 1),
            (0x101, VnodeClass::Large, 0x80),
        ] {
            assert_eq!(VnodeClass::of_vnode(vnode), class);
            assert_eq!(VnodeClass::slot(vnode), slot);
            assert_eq!(class.vnode_of_slot(slot), vnode);
        }
    }
}
