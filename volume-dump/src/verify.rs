//! Checking a dump before it is trusted (spec §9): everything the reader
//! checks (§9.3), the consistency rules of §6 and §7, and optionally what
//! the server's `volutil restore` would reject or lose (§9.1).

pub mod acls;

use std::collections::HashSet;
use std::io::Read;

use crate::dirpage::DirPages;
use crate::error::{Error, Result};
use crate::header::DumpHeader;
use crate::reader::{DumpReader, Entry, ReadOptions};
use crate::tag::PAGE_SIZE;
use crate::tree::{parent_of, Fid, Namespace, ROOT};
use crate::vnode::Vnode;
use crate::vnode::{VnodeClass, VnodeData};
use crate::volume::{volume_type, VolumeDiskData};

/// Options of [`verify`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions {
    /// How the dump is read.
    pub read: ReadOptions,
    /// Also apply the rules of the server's restore (spec §9.1).
    pub restore_checks: bool,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The dump is wrong, or a restore would refuse it or lose data.
    Error,
    /// Worth knowing; the data is intact.
    Warning,
}

impl Severity {
    /// `error` or `warning`, as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stream offset the finding refers to.
    pub offset: u64,
    /// Error or warning.
    pub severity: Severity,
    /// One line, without the offset.
    pub message: String,
}

/// The result of a verification that read the whole stream.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// The dump header.
    pub header: DumpHeader,
    /// The volume data.
    pub volume: VolumeDiskData,
    /// Vnode records in the large and small index.
    pub vnodes: [u64; 2],
    /// D_RMVNODE records.
    pub removed: u64,
    /// Bytes up to and including the end marker.
    pub bytes: u64,
    /// Bytes after the end marker.
    pub trailing_bytes: u64,
    /// Findings in stream order.
    pub problems: Vec<Problem>,
    /// Vnodes of a full dump that no directory lists (each is also a
    /// warning in `problems`), in fid order.
    pub orphans: Vec<Fid>,
}

impl VerifyReport {
    /// Number of findings of a severity.
    pub fn count(&self, s: Severity) -> usize {
        self.problems.iter().filter(|p| p.severity == s).count()
    }
}

/// Most ACL entries a restore accepts (spec §7.3).
pub const MAX_ACL_ENTRIES: usize = 20;

/// Size above which the stock `volutil restore` client fails (spec §14).
pub const VOLUTIL_TRANSFER_LIMIT: u64 = 512_000;

/// Most directory pages the real server's restore stores intact on 64-bit
/// Linux: from 3 pages on, the restored directory makes the server abort
/// at its next start ("Magic wrong in Page").
pub const RESTORE_PAGE_LIMIT: u32 = 2;

/// Reads the whole dump and checks it. A malformed stream is an `Err` (the
/// findings before it are lost with it; the error names the offset);
/// everything else is reported as [`Problem`]s.
pub fn verify<R: Read>(input: R, opts: VerifyOptions) -> Result<VerifyReport> {
    let mut r = DumpReader::with_options(input, opts.read)?;
    let mut rep = VerifyReport {
        header: r.header().clone(),
        volume: r.volume().clone(),
        ..VerifyReport::default()
    };
    let mut f = Findings(Vec::new());
    let full = rep.header.is_full();
    let h = rep.header.clone();
    let v = rep.volume.clone();
    if h.volume_id != v.id {
        f.warn(
            9,
            format!(
                "header volume id {:#010x} differs from the volume data's {:#010x}",
                h.volume_id, v.id
            ),
        );
    }
    if v.week_use.len() != 7 {
        f.warn(
            61,
            format!(
                "weekUse has {} elements (servers write 7)",
                v.week_use.len()
            ),
        );
    }
    if opts.restore_checks {
        if !full {
            f.err(0,
                format!(
                    "incremental dump (level {}): restore refuses it (\"trying to restore incremental dump\"); merge it into its full dump first",
                    h.incremental
                ),
            );
        }
        if v.volume_type == volume_type::READ_WRITE || v.volume_type == volume_type::REPLICATED {
            f.err(60, format!(
                    "volume type {} (read-write/replicated): restore only accepts read-only or backup dumps",
                    v.volume_type
                ),
            );
        }
        if h.volume_name.len() > 31 {
            f.warn(
                19,
                format!(
                    "volume name of {} bytes: restore cuts it to 31",
                    h.volume_name.len()
                ),
            );
        }
    }

    let mut ns = Namespace::new(b"");
    // Every fid seen, with the offset of its record; every directory
    // entry, with the offset of its directory's record.
    let mut present: HashSet<Fid> = HashSet::new();
    let mut referenced: Vec<(Fid, u64, Fid)> = Vec::new();
    let mut class = VnodeClass::Large;
    let mut last_slot: Option<u32> = None;
    let mut seen: HashSet<(u32, u32)> = HashSet::new();
    let mut root = false;
    // Directories the 64-bit server restore would store damaged:
    // (offset, fid, pages), named once every directory is listed.
    let mut big: Vec<(u64, Fid, u32)> = Vec::new();
    while let Some(entry) = r.next_entry()? {
        match entry {
            Entry::Index { class: c, .. } => {
                class = c;
                last_slot = None;
                seen.clear();
            }
            Entry::Vnode(ve) => {
                let vn = &ve.vnode;
                present.insert((vn.vnode, vn.unique));
                rep.vnodes[(class == VnodeClass::Small) as usize] += 1;
                if (vn.vnode, vn.unique) == (1, 1) {
                    root = true;
                }
                if !seen.insert((vn.vnode, vn.unique)) {
                    f.err(
                        ve.offset,
                        format!(
                            "vnode {:#x}.{:#x} appears twice in the index",
                            vn.vnode, vn.unique
                        ),
                    );
                }
                if full {
                    let slot = vn.slot();
                    if last_slot.is_some_and(|l| slot < l) {
                        f.err(
                            ve.offset,
                            format!("vnode {:#x} is out of slot order (full dumps list slots in increasing order)", vn.vnode),
                        );
                    }
                    last_slot = Some(slot);
                }
                match ve.data {
                    VnodeData::DirPages(n) => {
                        let data_at = r.offset();
                        let pages = r.read_data_to_vec()?;
                        let at = (ve.offset, data_at);
                        check_directory(&mut f, &mut ns, &mut referenced, at, vn, &pages);
                        if opts.restore_checks && n > RESTORE_PAGE_LIMIT {
                            big.push((ve.offset, (vn.vnode, vn.unique), n));
                        }
                        if u64::from(vn.length) != u64::from(n) * PAGE_SIZE as u64 {
                            f.err(
                                ve.offset,
                                format!(
                                    "directory {:#x}.{:#x} has length {} but {n} pages ({} bytes)",
                                    vn.vnode,
                                    vn.unique,
                                    vn.length,
                                    u64::from(n) * PAGE_SIZE as u64
                                ),
                            );
                        }
                        if let Some(acl) = &vn.acl {
                            match acl_entries(acl) {
                                Err(why) => f.err(
                                    ve.offset,
                                    format!("directory {:#x}.{:#x}: ACL text {why}", vn.vnode, vn.unique),
                                ),
                                Ok(n) if opts.restore_checks && n > MAX_ACL_ENTRIES => f.err(
                                    ve.offset,
                                    format!(
                                        "directory {:#x}.{:#x}: ACL has {n} entries; restore accepts at most {MAX_ACL_ENTRIES} and would leave the ACL unset",
                                        vn.vnode, vn.unique
                                    ),
                                ),
                                Ok(_) => {}
                            }
                        }
                    }
                    VnodeData::File(n) => {
                        if n != vn.length {
                            f.warn(ve.offset, format!(
                                    "vnode {:#x}.{:#x} has length {} but {n} data bytes (the data size counts; codadump2tar would stop here)",
                                    vn.vnode, vn.unique, vn.length
                                ),
                            );
                        }
                    }
                    VnodeData::BadInode => f.warn(ve.offset, format!(
                            "vnode {:#x}.{:#x}: D_BADINODE, the server could not read its data (restore creates an empty file)",
                            vn.vnode, vn.unique
                        ),
                    ),
                }
            }
            Entry::Removed { .. } => rep.removed += 1,
            Entry::Null { offset } => f.warn(offset, "D_NULLVNODE record".into()),
            Entry::End {
                offset,
                trailing_bytes,
            } => {
                rep.bytes = offset + 5;
                rep.trailing_bytes = trailing_bytes;
                if trailing_bytes > 0 {
                    f.warn(
                        offset + 5,
                        format!("{trailing_bytes} bytes after the end marker (ignored)"),
                    );
                }
                if full && !root {
                    f.err(offset, "full dump without the root directory 1.1".into());
                }
                check_shape(&mut f, &ns);
                if full {
                    rep.orphans = check_references(&mut f, &ns, &present, &referenced);
                }
                check_page_counts(&mut f, &ns, &big);
            }
        }
    }
    if opts.restore_checks && rep.bytes > VOLUTIL_TRANSFER_LIMIT {
        f.warn(0, format!(
                "dump of {} bytes: the stock volutil restore client fails above {VOLUTIL_TRANSFER_LIMIT} bytes (spec §14)",
                rep.bytes
            ),
        );
    }
    rep.problems = f.0;
    Ok(rep)
}

/// Checks the external ACL text form (spec §7.3): `P\nM\n` then P + M
/// lines `name\trights\n`. Returns the number of entries.
pub fn acl_entries(text: &[u8]) -> std::result::Result<usize, String> {
    let s = std::str::from_utf8(text).map_err(|_| "is not valid text".to_string())?;
    let mut lines = s.split('\n');
    let mut count = |what: &str| -> std::result::Result<usize, String> {
        lines
            .next()
            .and_then(|l| l.parse::<usize>().ok())
            .ok_or_else(|| format!("does not start with the {what} entry count"))
    };
    let p = count("positive")?;
    let m = count("negative")?;
    let total = p.checked_add(m).ok_or("has an impossible entry count")?;
    let rest: Vec<&str> = lines.collect();
    if rest.len() != total + 1 || rest.last() != Some(&"") {
        return Err(format!(
            "announces {total} entries but holds {}",
            rest.len().saturating_sub(1)
        ));
    }
    for line in &rest[..total] {
        let Some((name, rights)) = line.split_once('\t') else {
            return Err(format!("entry {line:?} has no tab"));
        };
        if name.is_empty() || rights.parse::<i64>().is_err() {
            return Err(format!("entry {line:?} is not `name<TAB>rights`"));
        }
    }
    Ok(total)
}

/// Directory pages (spec §12.7) and entries (§11.7, §12.5). `at` is the
/// stream offset of the vnode record and of its pages.
fn check_directory(
    f: &mut Findings,
    ns: &mut Namespace,
    referenced: &mut Vec<(Fid, u64, Fid)>,
    at: (u64, u64),
    vn: &Vnode,
    pages: &[u8],
) {
    let (offset, data_at) = at;
    let me = (vn.vnode, vn.unique);
    let name = format!("directory {:#x}.{:#x}", vn.vnode, vn.unique);
    if let Ok(dir) = DirPages::new(pages) {
        if let Err(e) = dir.check() {
            f.err(
                offset,
                format!("{name}: pages fail the salvager's checks: {e}"),
            );
        }
    }
    let listing = match ns.add_directory(vn, pages, data_at) {
        Ok(l) => l,
        Err(Error::Format {
            offset,
            found,
            expected,
            ..
        }) => return f.err(offset, format!("{name}: {found} (expected {expected})")),
        Err(e) => return f.err(offset, format!("{name}: {e}")),
    };
    if listing.dot.is_none() {
        f.err(offset, format!("{name}: has no `.` entry"));
    }
    let parent = parent_of(vn);
    match &listing.dotdot {
        None => f.err(
            offset,
            format!(
                "{name}: has no `..` entry (expected one naming its parent {:#x}.{:#x})",
                parent.0, parent.1
            ),
        ),
        Some(e) if (e.vnode, e.unique) != parent => f.err(
            offset,
            format!(
                "{name}: `..` names {:#x}.{:#x}, not the parent {:#x}.{:#x} its vnode record names",
                e.vnode, e.unique, parent.0, parent.1
            ),
        ),
        Some(_) => {}
    }
    for e in &listing.entries {
        referenced.push(((e.vnode, e.unique), offset, me));
    }
}

/// Warnings for a namespace that is not a tree (spec §11.7): `dump
/// restore` and `dump to-tar` refuse such a dump.
fn check_shape(f: &mut Findings, ns: &Namespace) {
    for p in ns.shape_problems() {
        f.warn(
            p.offset(),
            format!("{p} (dump restore and dump to-tar refuse this dump)"),
        );
    }
}

/// Restore checks: a warning for each directory of more than
/// [`RESTORE_PAGE_LIMIT`] pages, naming it by fid and path.
fn check_page_counts(f: &mut Findings, ns: &Namespace, big: &[(u64, Fid, u32)]) {
    for &(offset, fid, pages) in big {
        let mut path = b".".to_vec();
        path.extend_from_slice(&ns.path(fid, 0));
        f.warn(
            offset,
            format!(
                "directory {:#x}.{:#x} ({}) has {pages} pages: the real server's restore on \
                 64-bit Linux stores a directory of {} or more pages damaged, and the server \
                 aborts at its next start (\"Magic wrong in Page\"); restore this volume with \
                 coda-rs dump restore into a fresh volume instead",
                fid.0,
                fid.1,
                String::from_utf8_lossy(&path),
                RESTORE_PAGE_LIMIT + 1
            ),
        );
    }
}

/// Full dumps: every entry names a vnode of the dump, every vnode but the
/// root has a name. Returns the vnodes without a name.
fn check_references(
    f: &mut Findings,
    ns: &Namespace,
    present: &HashSet<Fid>,
    referenced: &[(Fid, u64, Fid)],
) -> Vec<Fid> {
    for &(fid, offset, dir) in referenced {
        if !present.contains(&fid) {
            f.err(
                offset,
                format!(
                    "directory {:#x}.{:#x} has an entry for {:#x}.{:#x}, which is not in the dump",
                    dir.0, dir.1, fid.0, fid.1
                ),
            );
        }
    }
    let mut orphans: Vec<&Fid> = present
        .iter()
        .filter(|&&fid| fid != ROOT && ns.names(fid).is_empty())
        .collect();
    orphans.sort();
    for fid in &orphans {
        f.warn(
            0,
            format!(
                "vnode {:#x}.{:#x} is in no directory (it would land in lost+found)",
                fid.0, fid.1
            ),
        );
    }
    orphans.into_iter().copied().collect()
}

struct Findings(Vec<Problem>);

impl Findings {
    fn err(&mut self, offset: u64, message: String) {
        self.push(offset, Severity::Error, message);
    }

    fn warn(&mut self, offset: u64, message: String) {
        self.push(offset, Severity::Warning, message);
    }

    fn push(&mut self, offset: u64, severity: Severity, message: String) {
        self.0.push(Problem {
            offset,
            severity,
            message,
        });
    }
}
