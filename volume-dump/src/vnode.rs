//! Vnodes and version vectors (spec §6, §7, §2).

/// A version vector (ViceVersionVector, spec §2): field tags `0`..`7`,
/// `s`, `u`, `f`, terminated by D_ENDVV.
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

/// Vnode types (`t` field, spec §3.2).
pub mod vnode_type {
    /// Regular file.
    pub const FILE: u8 = 1;
    /// Directory.
    pub const DIRECTORY: u8 = 2;
    /// Symbolic link.
    pub const SYMLINK: u8 = 3;
}

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

    /// Human name, as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            VnodeClass::Large => "large",
            VnodeClass::Small => "small",
        }
    }
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

/// What follows a vnode's fields (spec §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VnodeData {
    /// D_DIRPAGES with this many 2048-byte pages (1..=128).
    DirPages(u32),
    /// D_FILEDATA with this many bytes.
    File(u32),
    /// D_BADINODE: the server could not read the data.
    BadInode,
}

impl VnodeData {
    /// Number of payload bytes (pages x 2048, file size, or 0).
    pub fn payload_len(self) -> u64 {
        match self {
            VnodeData::DirPages(n) => u64::from(n) * crate::tag::PAGE_SIZE as u64,
            VnodeData::File(n) => u64::from(n),
            VnodeData::BadInode => 0,
        }
    }
}
