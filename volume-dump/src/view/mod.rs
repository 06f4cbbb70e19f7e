//! JSON views of dump records and of what the commands report (`coda-rs
//! dump … --json`), as `serde::Serialize` structs.
//!
//! Conventions of every view (the README's JSON rules): names and ACLs as
//! text ([`crate::text::lossy`]), modes as octal strings, everything else
//! as the numbers the records hold; volume ids (and the parent, group,
//! clone and backup ids) with a `<key>_hex` twin ([`human::hex_id`]), the
//! header's and the volume's dates with a `<key>_utc` twin
//! ([`crate::text::utc_json`]); vnode numbers, uniquifiers and mtimes are
//! numbers only, as the golden manifests have them.
//! Fields are declared, and so serialised, in alphabetical order: the key
//! order these documents have always had (a unit test checks it).

mod listing;
mod report;
mod written;

use serde::Serialize;

pub use listing::{DataView, EndView, EntryView, IndexView, LsView, VnodeView};
pub use report::{
    write_against, write_verify, AgainstView, DifferenceView, FatalView, ProblemView, RestoreView,
    TarView, VerifyView, VnodeCounts,
};
pub use written::{CreateView, IncrementalView, MergeView};

use crate::text::{lossy, utc_json};
use crate::{DumpHeader, VersionVector, VolumeDiskData};
use human::hex_id;

/// The dump header (spec §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderView {
    /// Backup date, Unix seconds.
    pub backup_date: u32,
    /// [`HeaderView::backup_date`] in UTC.
    pub backup_date_utc: Option<String>,
    /// Incremental level; 0 for a full dump.
    pub incremental: u32,
    /// Latest ordering stamp.
    pub latest: u32,
    /// Oldest ordering stamp.
    pub oldest: u32,
    /// Read-write parent volume id.
    pub parent_id: u32,
    /// [`HeaderView::parent_id`] in hex.
    pub parent_id_hex: String,
    /// Dump format version.
    pub version: u32,
    /// Volume id.
    pub volume_id: u32,
    /// [`HeaderView::volume_id`] in hex.
    pub volume_id_hex: String,
    /// Volume name.
    pub volume_name: String,
}

impl From<&DumpHeader> for HeaderView {
    fn from(h: &DumpHeader) -> Self {
        HeaderView {
            backup_date: h.backup_date,
            backup_date_utc: utc_json(h.backup_date),
            incremental: h.incremental,
            latest: h.latest,
            oldest: h.oldest,
            parent_id: h.parent_id,
            parent_id_hex: hex_id(h.parent_id),
            version: h.version,
            volume_id: h.volume_id,
            volume_id_hex: hex_id(h.volume_id),
            volume_name: lossy(&h.volume_name),
        }
    }
}

/// A version vector (spec §3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionVectorView {
    /// Flags word.
    pub flags: u32,
    /// Store id: host (`StoreId.HostId`).
    pub store_host_id: u32,
    /// Store id: uniquifier (`StoreId.Uniquifier`).
    pub store_uniquifier: u32,
    /// Per-site versions.
    pub versions: [i32; 8],
}

impl From<&VersionVector> for VersionVectorView {
    fn from(vv: &VersionVector) -> Self {
        VersionVectorView {
            flags: vv.flags,
            store_host_id: vv.store_host,
            store_uniquifier: vv.store_unique,
            versions: vv.versions,
        }
    }
}

/// The volume disk data (spec §5), every field (the volume's `id` is
/// `volume_id`, as in the header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(missing_docs)] // the fields of VolumeDiskData, documented there
pub struct VolumeView {
    pub access_date: u32,
    pub access_date_utc: Option<String>,
    pub account_number: u32,
    pub backup_date: u32,
    pub backup_date_utc: Option<String>,
    pub backup_id: u32,
    pub backup_id_hex: String,
    pub blessed: u8,
    pub clone_id: u32,
    pub clone_id_hex: String,
    pub creation_date: u32,
    pub creation_date_utc: Option<String>,
    pub day_use: u32,
    pub day_use_date: u32,
    pub day_use_date_utc: Option<String>,
    /// 1 KiB blocks, as the dump holds it.
    pub disk_used: i32,
    pub expiration_date: u32,
    pub expiration_date_utc: Option<String>,
    pub file_count: i32,
    pub group_id: u32,
    pub group_id_hex: String,
    pub in_service: u8,
    pub link_count: u16,
    pub max_files: i32,
    pub max_quota: i32,
    pub min_quota: i32,
    pub motd: String,
    pub name: String,
    pub offline_message: String,
    pub owner: u32,
    pub parent_id: u32,
    pub parent_id_hex: String,
    pub partition: String,
    pub stamp_version: u32,
    pub uniquifier: u32,
    pub update_date: u32,
    pub update_date_utc: Option<String>,
    pub version_vector: VersionVectorView,
    /// The volume's id (`id`, spec §5).
    pub volume_id: u32,
    pub volume_id_hex: String,
    /// The volume type (`type`, [`crate::volume_type`]; `volume_type`
    /// because `type` is the manifest's word for an object's kind).
    pub volume_type: u8,
    pub week_use: Vec<u32>,
}

impl From<&VolumeDiskData> for VolumeView {
    fn from(v: &VolumeDiskData) -> Self {
        VolumeView {
            access_date: v.access_date,
            access_date_utc: utc_json(v.access_date),
            account_number: v.account_number,
            backup_date: v.backup_date,
            backup_date_utc: utc_json(v.backup_date),
            backup_id: v.backup_id,
            backup_id_hex: hex_id(v.backup_id),
            blessed: v.blessed,
            clone_id: v.clone_id,
            clone_id_hex: hex_id(v.clone_id),
            creation_date: v.creation_date,
            creation_date_utc: utc_json(v.creation_date),
            day_use: v.day_use,
            day_use_date: v.day_use_date,
            day_use_date_utc: utc_json(v.day_use_date),
            disk_used: v.disk_used,
            expiration_date: v.expiration_date,
            expiration_date_utc: utc_json(v.expiration_date),
            file_count: v.file_count,
            group_id: v.group_id,
            group_id_hex: hex_id(v.group_id),
            in_service: v.in_service,
            link_count: v.link_count,
            max_files: v.max_files,
            max_quota: v.max_quota,
            min_quota: v.min_quota,
            motd: lossy(&v.motd),
            name: lossy(&v.name),
            offline_message: lossy(&v.offline_message),
            owner: v.owner,
            parent_id: v.parent_id,
            parent_id_hex: hex_id(v.parent_id),
            partition: lossy(&v.partition),
            stamp_version: v.stamp_version,
            uniquifier: v.uniquifier,
            update_date: v.update_date,
            update_date_utc: utc_json(v.update_date),
            version_vector: (&v.version_vector).into(),
            volume_id: v.id,
            volume_id_hex: hex_id(v.id),
            volume_type: v.volume_type,
            week_use: v.week_use.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::{DumpReader, ReadOptions};

    /// Every object of `v`, at any depth, lists its keys in sorted order.
    fn assert_sorted(v: &Value, at: &str) {
        match v {
            Value::Object(m) => {
                let keys: Vec<&String> = m.keys().collect();
                let mut sorted = keys.clone();
                sorted.sort();
                assert_eq!(keys, sorted, "{at}");
                for (k, x) in m {
                    assert_sorted(x, &format!("{at}.{k}"));
                }
            }
            Value::Array(a) => a.iter().for_each(|x| assert_sorted(x, at)),
            _ => {}
        }
    }

    /// The key order of the documents is alphabetical, whatever features
    /// serde_json is built with (the views are serialised as declared).
    #[test]
    fn keys_are_declared_in_alphabetical_order() {
        let dump = crate::field::tests::golden("server-b-incr.dump");
        let mut r = DumpReader::with_options(&dump[..], ReadOptions::default()).unwrap();
        let mut ls = LsView::new(r.header(), r.volume());
        while let Some(e) = r.next_entry().unwrap() {
            ls.push(&e);
        }
        let text = serde_json::to_string(&ls).unwrap();
        // Parsed with preserve_order off, a map sorts its keys: compare the
        // text of the view with that of the parsed document instead.
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), text);
        assert_sorted(&parsed, "ls");
        assert!(text.contains("\"record\":\"removed\""), "{text}");
    }
}
