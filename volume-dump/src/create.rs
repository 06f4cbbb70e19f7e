//! Writing a full dump of a directory tree (`coda-rs dump create`): vnode
//! numbering, uniquifiers, directory pages built as the Coda directory
//! library builds them (§12.6), ACLs from a `..CodaACLs.yaml` file
//! (codadump2tar's format, §11.5) when present.

use std::io::Write;
use std::path::Path;

use crate::error::Result;
use crate::header::DumpHeader;
use crate::source_tree;
use crate::tree::{Fid, ROOT};
use crate::vnode::{IndexHeader, VnodeClass};
use crate::volume::{volume_type, VolumeDiskData};
use crate::writer::DumpWriter;

/// What to put in the dump's header and volume data.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// Volume id (header `v`, volume data `i`).
    pub volume_id: u32,
    /// Volume name (header and volume data `n`; the root's name).
    pub volume_name: Vec<u8>,
    /// Read-write parent id (header/volume `p`); the volume id if `None`.
    pub parent_id: Option<u32>,
    /// Server partition recorded in the volume data.
    pub partition: Vec<u8>,
    /// Volume type (restore accepts read-only and backup).
    pub volume_type: u8,
    /// Dump, creation and update date (Unix seconds).
    pub date: u32,
}

impl CreateOptions {
    /// Options for a backup volume dated `date`.
    pub fn new(volume_id: u32, volume_name: &[u8], date: u32) -> Self {
        CreateOptions {
            volume_id,
            volume_name: volume_name.to_vec(),
            parent_id: None,
            partition: b"/vicepa".to_vec(),
            volume_type: volume_type::BACKUP,
            date,
        }
    }
}

/// What a creation did.
#[derive(Debug, Clone, Default)]
pub struct CreateReport {
    /// Directories written.
    pub directories: u32,
    /// Files and symlinks written.
    pub files: u32,
    /// Bytes written.
    pub bytes: u64,
    /// Things left out or changed (special files, cross-directory hard
    /// links stored as copies).
    pub warnings: Vec<String>,
}

/// Hands out fresh fids: directory and file slots in walk order, one
/// uniquifier per object (the root is 1.1 in slot 0).
struct Fresh {
    next_slot: [u32; 2],
    next_unique: u32,
}

impl Fresh {
    fn fid(&mut self, vnode_type: u8) -> Fid {
        let class = VnodeClass::of_type(vnode_type);
        let slot = &mut self.next_slot[class.ordinal()];
        let fid = (class.vnode_of_slot(*slot), self.next_unique);
        *slot += 1;
        self.next_unique += 1;
        fid
    }
}

/// Writes a full dump of the tree at `root` to `out`.
pub fn create_dump<W: Write>(
    root: &Path,
    opts: &CreateOptions,
    out: W,
) -> Result<(W, CreateReport)> {
    // Pass 1: walk the tree, number the vnodes, build the directories.
    let mut fresh = Fresh {
        next_slot: [VnodeClass::slot(ROOT.0) + 1, 0],
        next_unique: ROOT.1 + 1,
    };
    let mut tree = source_tree::walk(root, |_, ty| fresh.fid(ty))?;
    tree.dirs.sort_by_key(|d| d.vnode.vnode);
    let (disk_used, file_count) = tree.usage();
    let mut report = CreateReport {
        warnings: std::mem::take(&mut tree.warnings),
        ..CreateReport::default()
    };

    // Pass 2: write.
    let slots = |used: u32, min: u32| used.max(min).next_power_of_two();
    let parent_id = opts.parent_id.unwrap_or(opts.volume_id);
    let mut w = DumpWriter::new(out);
    w.write_header(&DumpHeader {
        volume_id: opts.volume_id,
        parent_id,
        volume_name: opts.volume_name.clone(),
        backup_date: opts.date,
        incremental: 0,
        oldest: opts.date,
        latest: opts.date,
        ..DumpHeader::default()
    })?;
    w.write_volume(&VolumeDiskData {
        id: opts.volume_id,
        stamp_version: 1,
        name: opts.volume_name.clone(),
        partition: opts.partition.clone(),
        in_service: 1,
        blessed: 1,
        uniquifier: fresh.next_unique,
        volume_type: opts.volume_type,
        parent_id,
        disk_used,
        file_count,
        link_count: 1,
        creation_date: opts.date,
        update_date: opts.date,
        week_use: vec![0; 7],
        ..VolumeDiskData::default()
    })?;
    let mut buf = vec![0u8; 1 << 20];
    w.begin_index(
        VnodeClass::Large,
        IndexHeader {
            vnode_count: tree.dirs.len() as u32,
            slots: slots(fresh.next_slot[0], 128),
        },
    )?;
    for d in &tree.dirs {
        d.write(&mut w, &mut buf)?;
        report.directories += 1;
    }
    w.begin_index(
        VnodeClass::Small,
        IndexHeader {
            vnode_count: tree.files.len() as u32,
            slots: slots(fresh.next_slot[1], 256),
        },
    )?;
    for f in &tree.files {
        f.write(&mut w, &mut buf)?;
        report.files += 1;
    }
    report.bytes = w.position() + 5;
    let out = w.finish()?;
    Ok((out, report))
}
