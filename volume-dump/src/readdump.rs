//! The dump as text, in the manner of Coda's `codareaddump`: the header and
//! volume data, then one line per record, offsets first (`coda-rs dump
//! ls`). Every function writes to any [`io::Write`].

use std::io::{self, Write};

use crate::manifest::ManifestEntry;
use crate::text::{lossy, utc};
use crate::{DumpHeader, Entry, VersionVector, VnodeClass, VnodeData, VolumeDiskData};

/// Writes the dump header (spec §4) and the volume data (spec §5).
pub fn write_header(out: &mut impl Write, h: &DumpHeader, v: &VolumeDiskData) -> io::Result<()> {
    let kind = if h.is_full() {
        "full".to_string()
    } else {
        format!("incremental (level {})", h.incremental)
    };
    writeln!(out, "dump: {kind}, version {}", h.version)?;
    writeln!(
        out,
        "volume {:08x} {} (parent {:08x}), backup date {}",
        h.volume_id,
        lossy(&h.volume_name),
        h.parent_id,
        utc(h.backup_date)
    )?;
    writeln!(
        out,
        "ordering stamps: oldest {}, latest {}",
        h.oldest, h.latest
    )?;
    writeln!(
        out,
        "volume data: id {:08x} name {} partition {} type {} parent {:08x} group {:08x} clone {:08x} backup {:08x}",
        v.id,
        lossy(&v.name),
        lossy(&v.partition),
        v.volume_type,
        v.parent_id,
        v.group_id,
        v.clone_id,
        v.backup_id
    )?;
    writeln!(
        out,
        "  in service {} blessed {} uniquifier {} stamp version {}",
        v.in_service, v.blessed, v.uniquifier, v.stamp_version
    )?;
    writeln!(
        out,
        "  quota max {} min {} maxfiles {} diskused {} filecount {} linkcount {} account {} owner {}",
        v.max_quota, v.min_quota, v.max_files, v.disk_used, v.file_count, v.link_count, v.account_number, v.owner
    )?;
    writeln!(
        out,
        "  created {} accessed {} updated {} expires {} backup {}",
        utc(v.creation_date),
        utc(v.access_date),
        utc(v.update_date),
        utc(v.expiration_date),
        utc(v.backup_date)
    )?;
    writeln!(
        out,
        "  offline message {:?} motd {:?} dayUse {} dayUseDate {} weekUse {:?}",
        lossy(&v.offline_message),
        lossy(&v.motd),
        v.day_use,
        utc(v.day_use_date),
        v.week_use
    )?;
    writeln!(out, "  version vector {}", vv_text(&v.version_vector))
}

/// Writes one entry of the stream; `class` is the index it belongs to
/// (the one the last [`Entry::Index`] opened).
pub fn write_entry(out: &mut impl Write, e: &Entry, class: VnodeClass) -> io::Result<()> {
    match e {
        Entry::Index { offset, header, .. } => writeln!(
            out,
            "{} index at {offset}: {} vnodes in {} slots",
            class.name(),
            header.vnode_count,
            header.slots
        ),
        Entry::Vnode(ve) => {
            let v = &ve.vnode;
            let kind = match v.vnode_type {
                1 => "file",
                2 => "dir",
                3 => "symlink",
                _ => "?",
            };
            let data = match ve.data {
                VnodeData::DirPages(n) => format!("{n} pages"),
                VnodeData::File(n) => format!("{n} bytes"),
                VnodeData::BadInode => "BAD INODE".into(),
            };
            writeln!(
                out,
                "  {:>10}  {:x}.{:x} {kind} mode {:o} links {} length {} dv {} mtime {} owner {} author {} parent {:x}.{:x} vv {} data {data}",
                ve.offset,
                v.vnode,
                v.unique,
                v.mode,
                v.links,
                v.length,
                v.data_version,
                utc(v.mtime),
                v.owner,
                v.author,
                v.parent_vnode,
                v.parent_unique,
                vv_text(&v.version_vector),
            )?;
            if let Some(acl) = &v.acl {
                writeln!(out, "              acl {:?}", lossy(acl))?;
            }
            Ok(())
        }
        Entry::Removed {
            offset,
            vnode,
            unique,
        } => writeln!(out, "  {offset:>10}  {vnode:x}.{unique:x} removed"),
        Entry::Null { offset } => writeln!(out, "  {offset:>10}  null vnode"),
        Entry::End {
            offset,
            trailing_bytes,
        } => {
            write!(out, "end of dump at {offset}")?;
            if *trailing_bytes > 0 {
                write!(out, ", {trailing_bytes} trailing bytes")?;
            }
            writeln!(out)
        }
    }
}

/// Writes the reconstructed tree (`dump ls --tree`): a `tree:` line, then
/// one line per path with type, mode, owner, size, mtime, path and symlink
/// target.
pub fn write_manifest(out: &mut impl Write, entries: &[ManifestEntry]) -> io::Result<()> {
    writeln!(out, "tree:")?;
    for e in entries {
        let size = e.size.map_or_else(String::new, |s| s.to_string());
        write!(
            out,
            "  {:<7} {:>4} {:>6} {:>10} {} {}",
            e.kind,
            e.mode,
            e.owner,
            size,
            utc(e.mtime),
            e.path
        )?;
        if let Some(target) = &e.target {
            write!(out, " -> {target}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// A version vector as `[v0 .. v7] [host.unique] [flags]`.
fn vv_text(vv: &VersionVector) -> String {
    let sites: Vec<String> = vv.versions.iter().map(|v| v.to_string()).collect();
    format!(
        "[{}] [{:x}.{:x}] [{}]",
        sites.join(" "),
        vv.store_host,
        vv.store_unique,
        vv.flags
    )
}
