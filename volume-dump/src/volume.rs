//! The volume disk data record (spec §5).

use crate::vnode::VersionVector;

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
