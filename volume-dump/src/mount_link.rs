//! Mount links (spec `pioctl.md` §6.3): a symlink vnode of mode 0644 whose
//! target is `#` or `@`, the volume name, then `.` (e.g. `#coda_root.tmp.`).
//! Plain symlinks have mode 0777; the mode is what tells them apart.

use std::io::Read;

use crate::error::Result;
use crate::index::VnodeClass;
use crate::reader::{DumpReader, Entry};
use crate::tree::{list_directory, Fid, ROOT};
use crate::vnode::{vnode_type, Vnode};

/// The volume a mount link names (`#vol.` gives `vol`, `@vol@realm.`
/// gives `vol@realm`, `#.` the empty name), or `None` when `v` with
/// target `target` is not a mount link.
pub fn mounted_volume<'t>(v: &Vnode, target: &'t [u8]) -> Option<&'t [u8]> {
    if v.vnode_type & vnode_type::MASK != vnode_type::SYMLINK {
        return None;
    }
    link_volume(u32::from(v.mode), target)
}

/// [`mounted_volume`] of a symlink of mode `mode` (the low 12 bits
/// count) with target `target`.
pub fn link_volume(mode: u32, target: &[u8]) -> Option<&[u8]> {
    if mode & 0o7777 != 0o644 {
        return None;
    }
    let rest = target
        .strip_prefix(b"#")
        .or_else(|| target.strip_prefix(b"@"))?;
    Some(rest.strip_suffix(b".").unwrap_or(rest))
}

/// The volume named by the mount link `name` in the root directory of
/// the dump read from `input`; `None` when the root holds no such entry
/// or the entry is not a mount link. Reads the stream once, keeping only
/// the root's directory pages and the entry's symlink target; stops as
/// soon as the answer is known.
pub fn root_mount_link<R: Read>(input: R, name: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut r = DumpReader::new(input)?;
    let mut class = VnodeClass::Large;
    let mut target: Option<Fid> = None;
    while let Some(entry) = r.next_entry()? {
        match entry {
            Entry::Index { class: c, .. } => {
                if c == VnodeClass::Small && target.is_none() {
                    return Ok(None);
                }
                class = c;
            }
            Entry::Vnode(v) if class == VnodeClass::Large && fid(&v.vnode) == ROOT => {
                let offset = r.offset();
                let pages = r.read_data_to_vec()?;
                let listing = list_directory(&v.vnode, &pages, offset)?;
                let Some(e) = listing.entries.iter().find(|e| e.name == name) else {
                    return Ok(None);
                };
                target = Some((e.vnode, e.unique));
            }
            Entry::Vnode(v) if class == VnodeClass::Small && Some(fid(&v.vnode)) == target => {
                if v.vnode.vnode_type & vnode_type::MASK != vnode_type::SYMLINK {
                    return Ok(None);
                }
                let bytes = r.read_data_to_vec()?;
                return Ok(mounted_volume(&v.vnode, &bytes).map(<[u8]>::to_vec));
            }
            _ => {}
        }
    }
    Ok(None)
}

fn fid(v: &Vnode) -> Fid {
    (v.vnode, v.unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The volume a case should find.
    type Found = Option<&'static [u8]>;

    fn symlink(mode: u16) -> Vnode {
        Vnode {
            vnode_type: vnode_type::SYMLINK,
            mode,
            ..Vnode::default()
        }
    }

    #[test]
    fn golden_dumps_have_no_mount_link_tmp() {
        // The golden dumps hold no entry `tmp` in their root directory.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden/dump");
        for name in [
            "native-full.dump",
            "server-a-full.dump",
            "harness-a-full.dump",
        ] {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            assert_eq!(root_mount_link(&bytes[..], b"tmp").unwrap(), None, "{name}");
        }
    }

    /// Golden `native-full.dump` with one more root entry `tmp`: a small
    /// vnode of type `kind`, mode `mode`, data `target`.
    fn golden_with_tmp(kind: u8, mode: u16, target: &[u8]) -> Vec<u8> {
        use crate::dirpage::DirBuilder;
        use crate::model::{Data, Dump, IndexEntry};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden/dump");
        let bytes = std::fs::read(dir.join("native-full.dump")).unwrap();
        let mut dump = Dump::read(&bytes[..], Default::default()).unwrap();
        // A vnode number and uniquifier no small vnode uses.
        let (vnode, unique) = (0x1fe, 0x7fff_0001);
        for e in &mut dump.large.entries {
            if let IndexEntry::Vnode(v, Data::DirPages(pages)) = e {
                if (v.vnode, v.unique) == ROOT {
                    let listing = list_directory(v, pages, 0).unwrap();
                    let mut names: Vec<(Vec<u8>, u32, u32)> =
                        vec![(b".".to_vec(), 1, 1), (b"..".to_vec(), 1, 1)];
                    for d in &listing.entries {
                        names.push((d.name.to_vec(), d.vnode, d.unique));
                    }
                    names.push((b"tmp".to_vec(), vnode, unique));
                    let built =
                        DirBuilder::build(names.iter().map(|(n, v, u)| (&n[..], *v, *u))).unwrap();
                    *pages = built.into_bytes();
                    v.length = pages.len() as u32;
                }
            }
        }
        let link = Vnode {
            vnode,
            unique,
            vnode_type: kind,
            mode,
            links: 1,
            length: target.len() as u32,
            parent_vnode: 1,
            parent_unique: 1,
            ..Vnode::default()
        };
        dump.small
            .entries
            .push(IndexEntry::Vnode(link, Data::File(target.to_vec())));
        dump.write(Vec::new()).unwrap()
    }

    #[test]
    fn a_root_mount_link_tmp_is_found_and_nothing_else_is() {
        let cases: [(u8, u16, &[u8], Found); 4] = [
            (
                vnode_type::SYMLINK,
                0o644,
                b"#coda_root.tmp.",
                Some(b"coda_root.tmp"),
            ),
            (vnode_type::SYMLINK, 0o644, b"@scratch.", Some(b"scratch")),
            (vnode_type::SYMLINK, 0o777, b"#coda_root.tmp.", None),
            (vnode_type::FILE, 0o644, b"#coda_root.tmp.", None),
        ];
        for (kind, mode, target, want) in cases {
            let dump = golden_with_tmp(kind, mode, target);
            let got = root_mount_link(&dump[..], b"tmp").unwrap();
            assert_eq!(got.as_deref(), want, "{kind} {mode:o} {target:?}");
            assert_eq!(root_mount_link(&dump[..], b"other").unwrap(), None);
        }
    }

    #[test]
    fn the_mode_and_the_first_byte_make_a_mount_link() {
        // Spec pioctl.md §6.3: `#` + volume + `.`, mode 0644.
        let cases: [(u16, &[u8], Found); 7] = [
            (0o644, b"#coda_root.tmp.", Some(b"coda_root.tmp")),
            (0o644, b"#users:jan.", Some(b"users:jan")),
            (0o644, b"@vol@realm.", Some(b"vol@realm")),
            (0o644, b"#.", Some(b"")),
            (0o777, b"#coda_root.tmp.", None),
            (0o644, b"coda_root.tmp", None),
            (0o644, b"/coda/tmp", None),
        ];
        for (mode, target, want) in cases {
            assert_eq!(mounted_volume(&symlink(mode), target), want, "{target:?}");
        }
        let file = Vnode {
            vnode_type: vnode_type::FILE,
            mode: 0o644,
            ..Vnode::default()
        };
        assert_eq!(mounted_volume(&file, b"#v."), None);
    }
}
