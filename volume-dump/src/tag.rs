//! Record tags and constants of the stream (spec §3.1).
//!
//! Field tags belong to their records' field tables (`header.rs`,
//! `volume.rs`, `index.rs`, `vnode.rs`, the version vector in `field`).

/// D_DUMPHEADER: first byte of every dump.
pub const DUMP_HEADER: u8 = 1;
/// D_SMALLINDEX: start of the small (file/symlink) index.
pub const SMALL_INDEX: u8 = 3;
/// D_LARGEINDEX: start of the large (directory) index.
pub const LARGE_INDEX: u8 = 4;
/// D_VNODE: a vnode record.
pub const VNODE: u8 = 5;
/// D_ENDVV: terminates a version vector.
pub const END_VV: u8 = 7;
/// D_DUMPEND: end marker.
pub const DUMP_END: u8 = 8;
/// D_VOLUMEDISKDATA: volume metadata.
pub const VOLUME_DISK_DATA: u8 = 9;
/// D_NULLVNODE: placeholder for an unallocated vnode.
pub const NULL_VNODE: u8 = 10;
/// D_DIRPAGES: directory pages follow.
pub const DIR_PAGES: u8 = 11;
/// D_FILEDATA: file or symlink data follows.
pub const FILE_DATA: u8 = 12;
/// D_RMVNODE: a vnode deleted since the reference dump.
pub const RM_VNODE: u8 = 13;
/// D_BADINODE: the server could not read the data.
pub const BAD_INODE: u8 = 14;
/// D_MAX: field tags are greater, record tags are less or equal.
pub const MAX_RECORD_TAG: u8 = 20;

/// DUMPBEGINMAGIC, after the first byte.
pub const BEGIN_MAGIC: u32 = 0xB3A1_1322;
/// DUMPENDMAGIC, after D_DUMPEND.
pub const END_MAGIC: u32 = 0x3A21_4B6E;
/// DUMPVERSION.
pub const DUMP_VERSION: u32 = 2;

/// The byte that introduces each directory page (`'P'`, spec §7.2).
pub const PAGE_MARK: u8 = b'P';
/// Size of one directory page (spec §12), defined with the page format.
pub use crate::dirpage::PAGE_SIZE;
/// Most pages a directory may have (spec §7.2), as D_DIRPAGES counts them.
pub const MAX_PAGES: u32 = crate::dirpage::MAX_PAGES as u32;

/// Cap on every string field's length (including the NUL). Volume names
/// and messages are far shorter (32/128); ACL texts of the 20 entries a
/// server accepts fit easily. Longer lengths are corruption.
pub const MAX_STRING: u32 = 64 * 1024;
/// Cap on the element count of an int32 array (weekUse has 7).
pub const MAX_ARRAY: u32 = 1024;

/// How messages name a record tag: `D_VNODE (0x05)`.
pub(crate) const fn describe(tag: u8) -> &'static str {
    match tag {
        DUMP_HEADER => "D_DUMPHEADER (0x01)",
        SMALL_INDEX => "D_SMALLINDEX (0x03)",
        LARGE_INDEX => "D_LARGEINDEX (0x04)",
        VNODE => "D_VNODE (0x05)",
        END_VV => "D_ENDVV (0x07)",
        DUMP_END => "D_DUMPEND (0x08)",
        VOLUME_DISK_DATA => "D_VOLUMEDISKDATA (0x09)",
        NULL_VNODE => "D_NULLVNODE (0x0a)",
        DIR_PAGES => "D_DIRPAGES (0x0b)",
        FILE_DATA => "D_FILEDATA (0x0c)",
        RM_VNODE => "D_RMVNODE (0x0d)",
        BAD_INODE => "D_BADINODE (0x0e)",
        _ => "a record tag",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec §3.1: every name carries its own value.
    #[test]
    fn each_tag_name_shows_its_value() {
        for tag in 1..=MAX_RECORD_TAG {
            let name = describe(tag);
            if name != "a record tag" {
                assert!(name.ends_with(&format!(" ({tag:#04x})")), "{name}");
            }
        }
        assert_eq!(describe(RM_VNODE), "D_RMVNODE (0x0d)");
    }
}
