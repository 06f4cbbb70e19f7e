//! The `dump ls --json` document: header, volume data, every index with
//! its records, the end marker, and (with `--tree`) the manifest.

use serde::Serialize;

use super::{HeaderView, VersionVectorView, VolumeView};
use crate::manifest::ManifestEntry;
use crate::text::lossy;
use crate::{DumpHeader, Entry, Vnode, VnodeData, VolumeDiskData};

/// The whole dump, record by record.
#[derive(Debug, Clone, Serialize)]
pub struct LsView {
    /// The end marker; `None` (null) until it is seen.
    pub end: Option<EndView>,
    /// The dump header.
    pub header: HeaderView,
    /// The indexes in stream order, each with its records.
    pub indexes: Vec<IndexView>,
    /// The manifest of the tree, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<Vec<ManifestEntry>>,
    /// The volume data.
    pub volume: VolumeView,
}

impl LsView {
    /// A document for the dump with this header and volume data, with no
    /// records yet.
    pub fn new(header: &DumpHeader, volume: &VolumeDiskData) -> Self {
        LsView {
            end: None,
            header: header.into(),
            indexes: Vec::new(),
            tree: None,
            volume: volume.into(),
        }
    }

    /// Adds the next entry of the stream: an index opens a new
    /// [`IndexView`], a record joins the current one.
    pub fn push(&mut self, e: &Entry) {
        match e {
            Entry::Index {
                offset,
                class,
                header,
            } => self.indexes.push(IndexView {
                class: class.name(),
                entries: Vec::new(),
                offset: *offset,
                slots: header.slots,
                vnode_count: header.vnode_count,
            }),
            Entry::End {
                offset,
                trailing_bytes,
            } => {
                self.end = Some(EndView {
                    offset: *offset,
                    trailing_bytes: *trailing_bytes,
                })
            }
            Entry::Vnode(ve) => self.push_record(EntryView::Vnode(VnodeView::new(
                ve.offset, &ve.vnode, ve.data,
            ))),
            Entry::Removed {
                offset,
                vnode,
                unique,
            } => self.push_record(EntryView::Removed {
                offset: *offset,
                record: "removed",
                unique: *unique,
                vnode: *vnode,
            }),
            Entry::Null { offset } => self.push_record(EntryView::Null {
                offset: *offset,
                record: "null",
            }),
        }
    }

    fn push_record(&mut self, r: EntryView) {
        if let Some(i) = self.indexes.last_mut() {
            i.entries.push(r);
        }
    }
}

/// One vnode index (spec §6) and its records.
#[derive(Debug, Clone, Serialize)]
pub struct IndexView {
    /// `large` or `small`.
    pub class: &'static str,
    /// The records of the index, in stream order.
    pub entries: Vec<EntryView>,
    /// Stream offset of the index tag.
    pub offset: u64,
    /// Slots of the index.
    pub slots: u32,
    /// Vnodes the index header announces.
    pub vnode_count: u32,
}

/// The end marker (spec §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EndView {
    /// Stream offset of D_DUMPEND.
    pub offset: u64,
    /// Bytes after the end magic.
    pub trailing_bytes: u64,
}

/// A record of an index, told apart by its `record` key.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum EntryView {
    /// A vnode record (`"record": "vnode"`).
    Vnode(VnodeView),
    /// A D_RMVNODE record.
    Removed {
        /// Stream offset of the record.
        offset: u64,
        /// Always `removed`.
        record: &'static str,
        /// Uniquifier.
        unique: u32,
        /// Vnode number.
        vnode: u32,
    },
    /// A D_NULLVNODE record.
    Null {
        /// Stream offset of the record.
        offset: u64,
        /// Always `null`.
        record: &'static str,
    },
}

/// A vnode record (spec §7) with what data follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(missing_docs)] // the fields of Vnode, documented there
pub struct VnodeView {
    pub acl: Option<String>,
    pub author: u32,
    /// What data follows the record.
    pub data: DataView,
    pub data_version: u32,
    pub length: u32,
    pub links: u16,
    /// All mode bits, in octal.
    pub mode: String,
    pub mtime: u32,
    /// Stream offset of the D_VNODE tag.
    pub offset: u64,
    pub owner: u32,
    pub parent_unique: u32,
    pub parent_vnode: u32,
    /// Always `vnode`.
    pub record: &'static str,
    pub unique: u32,
    pub version_vector: VersionVectorView,
    pub vnode: u32,
    /// The vnode type (`type`, [`crate::vnode_type`]; `vnode_type`
    /// because `type` is the manifest's word for an object's kind).
    pub vnode_type: u8,
}

impl VnodeView {
    /// The record at stream offset `offset`.
    pub fn new(offset: u64, v: &Vnode, data: VnodeData) -> Self {
        VnodeView {
            acl: v.acl.as_deref().map(lossy),
            author: v.author,
            data: data.into(),
            data_version: v.data_version,
            length: v.length,
            links: v.links,
            mode: format!("{:o}", v.mode),
            mtime: v.mtime,
            offset,
            owner: v.owner,
            parent_unique: v.parent_unique,
            parent_vnode: v.parent_vnode,
            record: "vnode",
            unique: v.unique,
            version_vector: (&v.version_vector).into(),
            vnode: v.vnode,
            vnode_type: v.vnode_type,
        }
    }
}

/// The data after a vnode record, told apart by its `kind` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataView {
    /// Directory pages (`"kind": "pages"`).
    Pages {
        /// How many.
        pages: u32,
    },
    /// File or symlink data (`"kind": "file"`).
    File {
        /// Bytes.
        size: u32,
    },
    /// The data is marked bad (`"kind": "bad_inode"`).
    BadInode,
}

impl From<VnodeData> for DataView {
    fn from(d: VnodeData) -> Self {
        match d {
            VnodeData::DirPages(pages) => DataView::Pages { pages },
            VnodeData::File(size) => DataView::File { size },
            VnodeData::BadInode => DataView::BadInode,
        }
    }
}
