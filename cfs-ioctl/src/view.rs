//! JSON views of the pioctl replies, as `coda-rs cfs … --json` prints
//! them: one `serde::Serialize` struct per reply, each naming the path it
//! was asked about.
//!
//! Fields are declared, and so serialised, in alphabetical order (the key
//! order of these documents); names and messages venus sent are shown as
//! text, invalid UTF-8 as U+FFFD; volume ids are numbers with a `_hex`
//! twin ([`human::hex_id`], the README's JSON rules).

use std::path::Path;

use human::lossy as text;
use serde::Serialize;

use crate::acl::rights_letters;
use crate::volume_status::{connection_state_name, volume_type_name};
use crate::{Acl, AclEntry, Error, GetFidReply, VolumeStatusReply, WhereIs};

fn path_text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The outcome of a pioctl without a reply (flushobject, flushvolume,
/// mkmount, rmmount) on one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoneView {
    /// The errno venus or the kernel returned, if the failure has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errno: Option<Option<i32>>,
    /// What went wrong (failures only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The pioctl succeeded.
    pub ok: bool,
    /// The path it was sent for.
    pub path: String,
}

impl DoneView {
    /// `path`'s outcome.
    pub fn new(path: &Path, result: Result<(), &Error>) -> Self {
        let (ok, error, errno) = match result {
            Ok(()) => (true, None, None),
            Err(e) => (
                false,
                Some(e.to_string()),
                Some(e.errno().map(|n| n.raw_os_error())),
            ),
        };
        DoneView {
            errno,
            error,
            ok,
            path: path_text(path),
        }
    }
}

/// `cfs lv`: the status of the volume holding a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeView {
    /// Blocks in use, 1 KiB blocks.
    pub blocks_in_use: i32,
    /// `Unreachable`, `Reachable` or `Resolving`.
    pub connection_state: &'static str,
    /// Maximum quota, 1 KiB blocks (0: unlimited).
    pub max_quota: i32,
    /// Minimum quota, 1 KiB blocks.
    pub min_quota: i32,
    /// Message of the day.
    pub motd: String,
    /// Volume name.
    pub name: String,
    /// Offline message.
    pub offline_message: String,
    /// Free blocks on the partition.
    pub partition_blocks_available: i32,
    /// Size of the partition in blocks.
    pub partition_max_blocks: i32,
    /// The path asked about.
    pub path: String,
    /// cfs's word for the volume type (`ReadWrite`, `Replicated`, …).
    #[serde(rename = "type")]
    pub volume_type: &'static str,
    /// Volume id.
    pub volume_id: u32,
    /// [`VolumeView::volume_id`] in hex.
    pub volume_id_hex: String,
}

impl VolumeView {
    /// The view of `reply`, the status of the volume holding `path`.
    pub fn new(path: &Path, reply: &VolumeStatusReply) -> Self {
        let s = &reply.status;
        VolumeView {
            blocks_in_use: s.blocks_in_use,
            connection_state: connection_state_name(reply.conn_state),
            max_quota: s.max_quota,
            min_quota: s.min_quota,
            motd: text(&reply.motd),
            name: text(&reply.name),
            offline_message: text(&reply.offline_message),
            partition_blocks_available: s.part_blocks_avail,
            partition_max_blocks: s.part_max_blocks,
            path: path_text(path),
            volume_type: volume_type_name(s.vol_type),
            volume_id: s.vid,
            volume_id_hex: human::hex_id(s.vid),
        }
    }
}

/// `cfs getfid`: an object's fid and version vector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FidView {
    /// The fid as cfs prints it ([`GetFidReply::fid_text`]).
    pub fid: String,
    /// The path asked about.
    pub path: String,
    /// The realm's name.
    pub realm: String,
    /// Uniquifier.
    pub unique: u32,
    /// The version vector.
    pub version_vector: VersionVectorView,
    /// Vnode number.
    pub vnode: u32,
    /// Volume id.
    pub volume_id: u32,
    /// [`FidView::volume_id`] in hex.
    pub volume_id_hex: String,
}

/// A version vector in a [`FidView`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VersionVectorView {
    /// Flags.
    pub flags: u32,
    /// `StoreId.HostId`.
    pub store_host_id: u32,
    /// `StoreId.Uniquifier`.
    pub store_uniquifier: u32,
    /// Per-site versions.
    pub versions: [i32; 8],
}

impl FidView {
    /// The view of `r`, the getfid reply for `path`.
    pub fn new(path: &Path, r: &GetFidReply) -> Self {
        FidView {
            fid: r.fid_text(),
            path: path_text(path),
            realm: text(&r.realm),
            unique: r.fid.unique,
            version_vector: VersionVectorView {
                flags: r.vv.flags,
                store_host_id: r.vv.host_id,
                store_uniquifier: r.vv.uniquifier,
                versions: r.vv.versions,
            },
            vnode: r.fid.vnode,
            volume_id: r.fid.volume,
            volume_id_hex: human::hex_id(r.fid.volume),
        }
    }
}

/// `cfs la` and `cfs sa`: a directory's ACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclView {
    /// Rights denied.
    pub negative: Vec<AclEntryView>,
    /// The directory.
    pub path: String,
    /// Rights granted.
    pub positive: Vec<AclEntryView>,
}

/// One entry of an [`AclView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclEntryView {
    /// The rights as cfs prints them (`rlidwka` order).
    pub letters: String,
    /// User or group name.
    pub name: String,
    /// Rights mask.
    pub rights: u32,
}

impl AclView {
    /// The view of `acl`, the ACL of the directory `path`.
    pub fn new(path: &Path, acl: &Acl) -> Self {
        let entries = |list: &[AclEntry]| {
            list.iter()
                .map(|e| AclEntryView {
                    letters: rights_letters(e.rights),
                    name: e.name.clone(),
                    rights: e.rights,
                })
                .collect()
        };
        AclView {
            negative: entries(&acl.negative),
            path: path_text(path),
            positive: entries(&acl.positive),
        }
    }
}

/// `cfs whereis`: the servers of the volume holding a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhereIsView {
    /// The path asked about.
    pub path: String,
    /// Replica volume ids in use (non-zero slots).
    pub replica_volume_ids: Vec<u32>,
    /// [`WhereIsView::replica_volume_ids`] in hex.
    pub replica_volume_ids_hex: Vec<String>,
    /// Server addresses in use ([`WhereIs::active_servers`]).
    pub servers: Vec<String>,
}

impl WhereIsView {
    /// The view of `w`, the whereis reply for `path`.
    pub fn new(path: &Path, w: &WhereIs) -> Self {
        let ids: Vec<u32> = w.volumes.iter().copied().filter(|&v| v != 0).collect();
        WhereIsView {
            path: path_text(path),
            replica_volume_ids_hex: ids.iter().map(|&v| human::hex_id(v)).collect(),
            replica_volume_ids: ids,
            servers: w.active_servers().iter().map(ToString::to_string).collect(),
        }
    }
}

/// `cfs checkservers`: the servers still down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckServersView {
    /// Their addresses (empty: all servers up).
    pub down: Vec<String>,
}

impl CheckServersView {
    /// The view of `down`, the servers venus reports down.
    pub fn new(down: &[std::net::Ipv4Addr]) -> Self {
        CheckServersView {
            down: down.iter().map(ToString::to_string).collect(),
        }
    }
}

/// `cfs flushcache`: the cache was flushed (a failure is an error, exit 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlushCacheView {
    /// Always true.
    pub flushed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys in the order the documents have always had (alphabetical, as
    /// `serde_json::json!` sorted them): parsed into a map, which sorts
    /// its keys, and printed again, each view gives its own text back.
    fn assert_sorted(view: &impl Serialize) {
        let text = serde_json::to_string(view).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), text);
    }

    #[test]
    fn keys_are_alphabetical() {
        let p = Path::new("/coda/usr/jan");
        assert_sorted(&VolumeView::new(p, &VolumeStatusReply::default()));
        assert_sorted(&FidView::new(p, &GetFidReply::default()));
        let mut acl = Acl::default();
        acl.set("jan", 127, false);
        acl.set("bad", 1, true);
        assert_sorted(&AclView::new(p, &acl));
        let w = WhereIs::parse(&[1u8; 64]).unwrap();
        assert_sorted(&WhereIsView::new(p, &w));
        assert_sorted(&DoneView::new(p, Ok(())));
        assert_sorted(&CheckServersView::new(&[]));
        let e = Error::BadReply {
            op: crate::Opcode::GETFID,
            offset: 3,
            expected: "x".into(),
        };
        assert_sorted(&DoneView::new(p, Err(&e)));
    }
}
