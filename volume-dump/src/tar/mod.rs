//! Converting a dump to a tar archive byte-compatibly with `codadump2tar`
//! (spec §11).
//!
//! [`write_tar`] makes one forward pass over a [`DumpReader`]:
//!
//! 1. the large index: every directory's pages are listed (§12.5) and each
//!    entry other than `.` and `..` becomes a name of the object it refers
//!    to; nothing is written yet;
//! 2. one type-`5` record per directory, in large-index order;
//! 3. the small index: a type-`0` record followed by the data for a file,
//!    a type-`2` record for a symlink; the data is copied straight from the
//!    dump (never buffered whole);
//! 4. type-`1` records for every further name of an object, in
//!    `codadump2tar`'s hash-table order (§11.4);
//! 5. the `..CodaACLs.yaml` member (§11.5) and two zero blocks.
//!
//! Names, prefixes and link targets are bounded and cut with `~~~` exactly
//! as `codadump2tar` does (§11.2). With [`TarOptions::pax`] a PAX extended
//! header carrying the whole path or link target precedes every record
//! whose name or target had to be cut; the ustar records stay the same.
//!
//! Unlike `codadump2tar`, the archive is safe to extract with any tool:
//! entry names are checked where they leave the directory pages
//! ([`crate::tree::list_directory`]), a namespace that is not a tree (a
//! directory listed twice, the root listed by a directory, a cycle) is
//! refused before anything is written, and no member name is absolute, has
//! an empty or `..` component, repeats an earlier member's name (cut names
//! can collide) or lies below a symlink member; nor does a hard link's
//! target. Such a dump is an error naming both members. (The names are
//! those extractors see: the ustar fields, or with `pax` the whole paths.)
//!
//! Where `codadump2tar` fails part-way (a D_BADINODE, a file whose data
//! size differs from its `L`, a D_NULLVNODE) this returns an error; what was
//! written to `out` up to then is not a valid archive. Unlike
//! `codadump2tar`, every entry of an index is read (it stops after the
//! index header's count, which only differs for incrementals whose index
//! holds more entries than the count, §11.1) and the end marker is checked.

mod header;
mod members;
mod names;
mod stream;

use std::io::{self, Read, Write};

pub use header::{checksum_ok, is_tar_header, HeaderBlock, TarHeader, BLOCK};
pub use stream::{TarData, TarMember, TarStream};

use crate::acl::yaml::directory_item;
use crate::acl::ACL_FILE;
use crate::dirpage::escape_name;
use crate::error::{Error, Record, Result};
use crate::reader::{DumpReader, Entry, VnodeEntry};
use crate::tree::{list_directory, ShapeCheck};
use crate::vnode::{vnode_type, VnodeClass, VnodeData};
use header::{padding, pax_records, typeflag, ustar_name};
use members::{unsafe_path, Kind, Member, Members, Who};
use names::{Cycle, Name, Objects};

/// Default number of hash bits of `codadump2tar`'s object table (`-hp`).
pub const DEFAULT_HASH_POWER: u32 = 12;
/// Largest accepted hash power (`codadump2tar` refuses more than 30).
pub const MAX_HASH_POWER: u32 = 30;
/// Longest symlink target accepted (Coda paths are far shorter).
pub const MAX_SYMLINK_TARGET: u32 = 64 * 1024;

/// Options of [`write_tar`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarOptions {
    /// Name of the root directory (`-rn`); default: the volume name from
    /// the volume data (at most 31 bytes).
    pub root_name: Option<Vec<u8>>,
    /// Precede records whose name or link target was cut by a PAX header
    /// holding the whole value.
    pub pax: bool,
    /// Hash bits of the object table (`-hp`, 0..=30); only changes the
    /// order of the hard-link records.
    pub hash_power: u32,
    /// Modification time of the `..CodaACLs.yaml` member (the time of the
    /// run for `codadump2tar`).
    pub acl_mtime: u32,
}

impl Default for TarOptions {
    fn default() -> Self {
        TarOptions {
            root_name: None,
            pax: false,
            hash_power: DEFAULT_HASH_POWER,
            acl_mtime: 0,
        }
    }
}

/// What [`write_tar`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TarSummary {
    /// Directory records.
    pub directories: u64,
    /// Regular file records.
    pub files: u64,
    /// Symbolic link records.
    pub symlinks: u64,
    /// Hard link records.
    pub hard_links: u64,
    /// Objects named `lost+found/...` because no directory refers to them.
    pub unnamed: u64,
    /// PAX extended headers written.
    pub pax_headers: u64,
    /// File data bytes copied.
    pub data_bytes: u64,
    /// Bytes of tar output.
    pub tar_bytes: u64,
}

struct Directory {
    obj: usize,
    owner: u32,
    mtime: u32,
    acl: Option<Vec<u8>>,
}

/// Writes the tar form of the dump read by `reader` (positioned after the
/// volume data, as [`DumpReader::new`] leaves it) to `out`. Spec §11.
pub fn write_tar<R: Read, W: Write>(
    reader: &mut DumpReader<R>,
    out: W,
    opts: &TarOptions,
) -> Result<TarSummary> {
    let root = match &opts.root_name {
        Some(r) => r.clone(),
        None => {
            let n = &reader.volume().name;
            let end = n.iter().position(|&c| c == 0).unwrap_or(n.len()).min(31);
            n[..end].to_vec()
        }
    };
    if let Some(why) = unsafe_path(&root) {
        return Err(Error::Format {
            offset: reader.offset(),
            record: Record::VolumeDiskData,
            found: format!(
                "{} {}, which {why}",
                if opts.root_name.is_some() {
                    "root name"
                } else {
                    "volume name"
                },
                escape_name(&root)
            ),
            expected:
                "a relative root name without empty or `..` components (give another root name)"
                    .into(),
        });
    }
    let mut t = Tar {
        out: Counter {
            inner: out,
            n: 0,
            failed: false,
        },
        objs: Objects::default(),
        shape: ShapeCheck::new(),
        members: Members::default(),
        dirs: Vec::new(),
        root,
        opts: opts.clone(),
        summary: TarSummary::default(),
        buf: Vec::new(),
    };
    t.run(reader)?;
    t.out.flush().map_err(|e| out_err(reader.offset(), e))?;
    t.summary.tar_bytes = t.out.n;
    Ok(t.summary)
}

struct Tar<W> {
    out: Counter<W>,
    objs: Objects,
    shape: ShapeCheck,
    members: Members,
    dirs: Vec<Directory>,
    root: Vec<u8>,
    opts: TarOptions,
    summary: TarSummary,
    buf: Vec<u8>,
}

impl<W: Write> Tar<W> {
    fn run<R: Read>(&mut self, reader: &mut DumpReader<R>) -> Result<()> {
        let mut class = None;
        while let Some(entry) = reader.next_entry()? {
            match entry {
                Entry::Index {
                    class: VnodeClass::Small,
                    ..
                } => {
                    self.write_directories(reader.offset())?;
                    class = Some(VnodeClass::Small);
                }
                Entry::Index { class: c, .. } => class = Some(c),
                Entry::Vnode(v) if class == Some(VnodeClass::Large) => {
                    self.read_directory(reader, v)?
                }
                Entry::Vnode(v) => self.write_small(reader, v)?,
                Entry::Removed { .. } => {}
                Entry::Null { offset } => {
                    return Err(Error::Format {
                        offset,
                        record: match class {
                            Some(VnodeClass::Large) => Record::LargeIndex,
                            _ => Record::SmallIndex,
                        },
                        found: "a D_NULLVNODE record".into(),
                        expected: "a vnode record (codadump2tar cannot convert null vnodes)".into(),
                    })
                }
                Entry::End { .. } => {
                    let at = reader.offset();
                    self.write_hard_links(at)?;
                    self.write_acl_file(at)?;
                    self.out
                        .write_all(&[0u8; 2 * BLOCK])
                        .map_err(|e| out_err(at, e))?;
                }
            }
        }
        Ok(())
    }

    /// Pass 1: a directory's names (spec §11.1 step 2).
    fn read_directory<R: Read>(&mut self, reader: &mut DumpReader<R>, v: VnodeEntry) -> Result<()> {
        let obj = self.objs.get_or_create(v.vnode.vnode, v.vnode.unique);
        self.dirs.push(Directory {
            obj,
            owner: v.vnode.owner,
            mtime: v.vnode.mtime,
            acl: v.vnode.acl.clone(),
        });
        let data_at = reader.offset();
        let pages = reader.read_data_to_vec()?;
        let me = (v.vnode.vnode, v.vnode.unique);
        let listing = list_directory(&v.vnode, &pages, data_at)?;
        // Entries that break the tree give no name; the dump is refused
        // before anything is written (write_directories).
        for e in self.shape.directory(me, &listing, data_at) {
            let child = self.objs.get_or_create(e.vnode, e.unique);
            self.objs.list[child].names.push(Name {
                parent: obj,
                component: e.name.into(),
            });
        }
        Ok(())
    }

    /// Pass 2: one type-5 record per directory (spec §11.1 step 3), once
    /// the namespace is known to be a tree.
    fn write_directories(&mut self, at: u64) -> Result<()> {
        self.shape.check()?;
        for i in 0..self.dirs.len() {
            let d = &self.dirs[i];
            let (obj, owner, mtime) = (d.obj, d.owner, d.mtime);
            let h = self.header(obj, 0, typeflag::DIRECTORY, 0o755, owner, 0, mtime, at)?;
            self.write_record(&h, obj, 0, Kind::Directory, None, at)?;
            self.summary.directories += 1;
        }
        Ok(())
    }

    /// Pass 3: a file or symlink record (spec §11.1 step 4). As in
    /// `codadump2tar`, a file's header is written before its data is
    /// checked, so a failed conversion ends right after that header.
    fn write_small<R: Read>(&mut self, reader: &mut DumpReader<R>, v: VnodeEntry) -> Result<()> {
        let n = &v.vnode;
        let record = Record::Vnode {
            vnode: n.vnode,
            unique: n.unique,
        };
        let obj = self.objs.get_or_create(n.vnode, n.unique);
        let mode = u32::from(n.mode) & 0o7777;
        let at = reader.offset();
        let symlink = n.vnode_type & 7 == vnode_type::SYMLINK;
        if !symlink {
            let h = self.header(obj, 0, typeflag::FILE, mode, n.owner, n.length, n.mtime, at)?;
            self.write_record(&h, obj, 0, Kind::File, None, at)?;
        }
        let size = match v.data {
            VnodeData::File(size) if size == n.length => size,
            VnodeData::File(size) => {
                return Err(Error::Format {
                    offset: v.offset,
                    record,
                    found: format!("D_FILEDATA of {size} bytes"),
                    expected: format!(
                    "{} bytes, the vnode's length; codadump2tar stops here with \"Size mismatch\"",
                    n.length
                ),
                })
            }
            VnodeData::BadInode => {
                return Err(Error::Format {
                    offset: v.offset,
                    record,
                    found: "D_BADINODE: the server could not read this file's data".into(),
                    expected: format!(
                    "D_FILEDATA with {} bytes; codadump2tar stops here with \"Error reading tag\"",
                    n.length
                ),
                })
            }
            VnodeData::DirPages(_) => {
                return Err(Error::Format {
                    offset: v.offset,
                    record,
                    found: "directory pages in the small index".into(),
                    expected: "file data".into(),
                })
            }
        };
        if symlink {
            if size > MAX_SYMLINK_TARGET {
                return Err(Error::Format {
                    offset: v.offset,
                    record,
                    found: format!("a symlink target of {size} bytes"),
                    expected: format!("at most {MAX_SYMLINK_TARGET} bytes"),
                });
            }
            let target = reader.read_data_to_vec()?;
            let mut h = self.header(obj, 0, typeflag::SYMLINK, mode, n.owner, 0, n.mtime, at)?;
            h.linkname = target[..target.len().min(99)].to_vec();
            self.write_record(&h, obj, 0, Kind::Symlink, Some(&target), at)?;
            self.summary.symlinks += 1;
        } else {
            let copied = reader
                .copy_data(&mut self.out)
                .map_err(|e| retag_out_err(e, self.out.failed))?;
            let pad = padding(copied);
            self.out
                .write_all(&[0u8; BLOCK][..pad])
                .map_err(|e| out_err(at, e))?;
            self.summary.files += 1;
            self.summary.data_bytes += copied;
        }
        Ok(())
    }

    /// Pass 4: hard-link records (spec §11.4).
    fn write_hard_links(&mut self, at: u64) -> Result<()> {
        for obj in self.objs.hard_link_order(self.opts.hash_power) {
            for k in 1..self.objs.list[obj].names.len() {
                let mut h = self.header(obj, k, typeflag::HARD_LINK, 0, 0, 0, 0, at)?;
                let mut target = Vec::new();
                self.objs
                    .path(obj, 0, 99, &self.root, &mut target)
                    .map_err(|c| cycle_err(at, c))?;
                h.linkname = target;
                let full = if self.opts.pax {
                    let mut full = Vec::new();
                    self.objs
                        .path(obj, 0, usize::MAX, &self.root, &mut full)
                        .map_err(|c| cycle_err(at, c))?;
                    Some(full)
                } else {
                    None
                };
                self.write_record(&h, obj, k, Kind::HardLink, full.as_deref(), at)?;
                self.summary.hard_links += 1;
            }
        }
        Ok(())
    }

    /// Pass 5: `..CodaACLs.yaml` (spec §11.5).
    fn write_acl_file(&mut self, at: u64) -> Result<()> {
        let mut yaml = b"acls:\n".to_vec();
        let mut path = Vec::new();
        for d in &self.dirs {
            let Some(acl) = &d.acl else { continue };
            path.clear();
            self.objs
                .path(d.obj, 0, 1024, b".", &mut path)
                .map_err(|c| cycle_err(at, c))?;
            directory_item(&path, acl, &mut yaml);
        }
        let h = TarHeader {
            typeflag: typeflag::FILE,
            name: ACL_FILE.as_bytes().to_vec(),
            prefix: self.root[..self.root.len().min(154)].to_vec(),
            linkname: Vec::new(),
            mode: 0o400,
            uid: 0,
            size: yaml.len() as u32,
            mtime: self.opts.acl_mtime,
        };
        let acl = Member {
            who: Who::AclFile,
            kind: Kind::File,
        };
        self.check_member(&self.member_name(Who::AclFile), acl, None, at)?;
        self.out
            .write_all(&h.encode())
            .map_err(|e| out_err(at, e))?;
        // Always padded with 512 - (len mod 512) zero bytes: a whole extra
        // block when the length is a multiple of 512 (spec §11.5).
        yaml.resize(yaml.len() + BLOCK - yaml.len() % BLOCK, 0);
        self.out.write_all(&yaml).map_err(|e| out_err(at, e))
    }

    /// A header for name `k` of `obj` with `codadump2tar`'s bounded name
    /// and prefix.
    #[allow(clippy::too_many_arguments)]
    fn header(
        &mut self,
        obj: usize,
        k: usize,
        typeflag: u8,
        mode: u32,
        uid: u32,
        size: u32,
        mtime: u32,
        at: u64,
    ) -> Result<TarHeader> {
        let mut name = Vec::new();
        self.objs.comp(obj, k, 100, &self.root, &mut name);
        let mut prefix = Vec::new();
        self.objs
            .prefix(obj, k, 155, &self.root, &mut prefix)
            .map_err(|c| cycle_err(at, c))?;
        if k == 0 && self.objs.list[obj].names.is_empty() && !(obj_is_root(&self.objs, obj)) {
            self.summary.unnamed += 1;
        }
        Ok(TarHeader {
            typeflag,
            name,
            prefix,
            linkname: Vec::new(),
            mode,
            uid,
            size,
            mtime,
        })
    }

    /// Writes a header, preceded in PAX mode by an extended header when the
    /// name (or `link_target`) does not survive the ustar fields whole.
    /// The member is checked first ([`Tar::check_member`]).
    fn write_record(
        &mut self,
        h: &TarHeader,
        obj: usize,
        k: usize,
        kind: Kind,
        link_target: Option<&[u8]>,
        at: u64,
    ) -> Result<()> {
        let who = Who::Name { obj, k };
        let shown = ustar_name(&h.prefix, &h.name);
        // The name and a hard link's target as extractors see them.
        let name = if self.opts.pax {
            self.member_name(who)
        } else {
            shown.clone()
        };
        let target = (kind == Kind::HardLink).then(|| match link_target {
            Some(t) if self.opts.pax => t.to_vec(),
            _ => h.linkname.clone(),
        });
        self.check_member(&name, Member { who, kind }, target.as_deref(), at)?;
        if self.opts.pax {
            let full = name;
            let mut records: Vec<(&str, &[u8])> = Vec::new();
            let binary = std::str::from_utf8(&full).is_err()
                || link_target.is_some_and(|t| std::str::from_utf8(t).is_err());
            if binary {
                records.push(("hdrcharset", b"BINARY"));
            }
            if shown != full {
                records.push(("path", &full));
            }
            if let Some(t) = link_target.filter(|t| *t != h.linkname.as_slice()) {
                records.push(("linkpath", t));
            }
            if records.len() > usize::from(binary) {
                let data = pax_records(&records);
                let mut name = b"PaxHeaders/".to_vec();
                name.extend_from_slice(&h.name);
                let x = TarHeader {
                    typeflag: typeflag::PAX,
                    name,
                    prefix: h.prefix.clone(),
                    linkname: Vec::new(),
                    mode: 0o644,
                    uid: 0,
                    size: data.len() as u32,
                    mtime: h.mtime,
                };
                self.buf.clear();
                self.buf.extend_from_slice(&x.encode());
                self.buf.extend_from_slice(&data);
                self.buf
                    .resize(self.buf.len() + padding(data.len() as u64), 0);
                self.out.write_all(&self.buf).map_err(|e| out_err(at, e))?;
                self.summary.pax_headers += 1;
            }
        }
        self.out.write_all(&h.encode()).map_err(|e| out_err(at, e))
    }
}

fn obj_is_root(objs: &Objects, obj: usize) -> bool {
    let o = &objs.list[obj];
    o.vnode == 1 && o.unique == 1
}

/// Counts the bytes written and remembers whether a write failed.
struct Counter<W> {
    inner: W,
    n: u64,
    failed: bool,
}

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf).inspect_err(|_| self.failed = true)?;
        self.n += n as u64;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner
            .write_all(buf)
            .inspect_err(|_| self.failed = true)?;
        self.n += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn out_err(offset: u64, e: io::Error) -> Error {
    Error::Io {
        offset,
        source: io::Error::new(e.kind(), format!("writing the tar output: {e}")),
    }
}

/// `copy_data` reports write errors as I/O errors at the dump offset; say
/// which side failed.
fn retag_out_err(e: Error, output_failed: bool) -> Error {
    match e {
        Error::Io { offset, source } if output_failed => out_err(offset, source),
        other => other,
    }
}

fn cycle_err(offset: u64, c: Cycle) -> Error {
    Error::Format {
        offset,
        record: Record::Vnode {
            vnode: c.vnode,
            unique: c.unique,
        },
        found: "directory entries that form a cycle".into(),
        expected: "a tree of directories".into(),
    }
}
