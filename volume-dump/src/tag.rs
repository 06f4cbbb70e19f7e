//! Record tags and constants of the stream (spec §3.1).

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
/// The byte that introduces each directory page (`'P'`).
pub const PAGE_MARK: u8 = b'P';

/// DUMPBEGINMAGIC, after the first byte.
pub const BEGIN_MAGIC: u32 = 0xB3A1_1322;
/// DUMPENDMAGIC, after D_DUMPEND.
pub const END_MAGIC: u32 = 0x3A21_4B6E;
/// DUMPVERSION.
pub const DUMP_VERSION: u32 = 2;

/// Size of one directory page (spec §12).
pub const PAGE_SIZE: usize = 2048;
/// Most pages a directory may have (spec §7.2).
pub const MAX_PAGES: u32 = 128;

/// Canonical header field order (spec §4).
pub const HEADER_FIELDS: &[u8] = b"vpnbiI";
/// Canonical volume-data field order (spec §5).
pub const VOLUME_FIELDS: &[u8] = b"ivnPs+utpgcbqmxdflaoCAUEBOMWDZV";
/// Canonical index-header field order (spec §3.2).
pub const INDEX_FIELDS: &[u8] = b"vs";
/// Canonical vnode field order (spec §7.1); directories add `X`.
pub const VNODE_FIELDS: &[u8] = b"tblLvVmaopqX";
/// Canonical version-vector field order (spec §2).
pub const VV_FIELDS: &[u8] = b"01234567suf";

/// Cap on every string field's length (including the NUL). Volume names
/// and messages are far shorter (32/128); ACL texts of the 20 entries a
/// server accepts fit easily. Longer lengths are corruption.
pub const MAX_STRING: u32 = 64 * 1024;
/// Cap on the element count of an int32 array (weekUse has 7).
pub const MAX_ARRAY: u32 = 1024;
