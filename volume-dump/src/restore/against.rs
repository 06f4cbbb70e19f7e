//! Comparing a directory tree with a dump chain (`dump verify --against`):
//! every name, type, size, content, mode, owner, mtime and hard link the
//! restore would have produced, and nothing more; and every directory's
//! ACL ([`crate::verify::acls`]).

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::coda::{maybe_mount, mount_volume};
use super::journal::is_journal_file;
use super::plan::{is_copy, join, walk, Kind, ObjectInfo, Overlay, Payload, Sink, Tree};
use super::reserved::{ACL_FILE, LOST_FOUND};
use super::RestoreError;
use crate::model::Dump;
use crate::reader::{DumpReader, ReadOptions};
use crate::verify::acls::{compare_acls, AclCheck, DirAcl};

/// Options of [`verify_against`].
#[derive(Debug, Clone)]
pub struct AgainstOptions {
    /// How the full dump is read.
    pub read: ReadOptions,
    /// Check the chain's ordering stamps (spec §8.3).
    pub check_stamps: bool,
    /// Compare owners (only meaningful when the restore ran as root).
    pub owners: bool,
    /// Where the tree's directory ACLs are read (default: its
    /// `..CodaACLs.yaml`).
    pub acls: AclCheck,
    /// The tree is on a Coda mount ([`super::RestoreOptions::coda`]): a
    /// mount link of the dump is a mount point there (a directory, the
    /// mounted volume's root, not compared or descended into; or a
    /// symlink to `#volume.`), and a file's names outside its first
    /// name's directory are copies of it, not hard links.
    pub coda: bool,
}

impl Default for AgainstOptions {
    fn default() -> Self {
        AgainstOptions {
            read: ReadOptions::default(),
            check_stamps: true,
            owners: rustix::process::geteuid().is_root(),
            acls: AclCheck::default(),
            coda: false,
        }
    }
}

/// One way the tree differs from the dump chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Path relative to the compared directory (empty: the directory
    /// itself).
    pub path: PathBuf,
    /// What differs, e.g. `mode 600, expected 644`.
    pub what: String,
}

/// Compares the tree in `dir` with the full dump read from `full` plus
/// `incrementals` (oldest first), as [`super::restore_chain`] would have
/// restored it; returns every difference (empty: identical). The journal
/// (see [`super::leftover_journal_files`], a note for the caller) and
/// `..CodaACLs.yaml` in `dir` are not differences; the ACLs the latter
/// holds are compared as [`AgainstOptions::acls`] says.
pub fn verify_against<R: Read>(
    full: R,
    incrementals: &[Dump],
    dir: &Path,
    opts: &AgainstOptions,
) -> Result<Vec<Difference>, RestoreError> {
    let mut reader = DumpReader::with_options(full, opts.read)?;
    let overlay = Overlay::new(reader.header(), incrementals, opts.check_stamps)?;
    let mut c = Compare {
        root: dir.to_path_buf(),
        owners: opts.owners,
        acls: opts.acls.clone(),
        coda: opts.coda,
        mount_points: HashSet::new(),
        expected: HashSet::new(),
        diffs: Vec::new(),
        buf: vec![0; 256 * 1024],
        fbuf: vec![0; 256 * 1024],
    };
    walk(&mut reader, &overlay, &mut c)?;
    Ok(c.diffs)
}

struct Compare {
    root: PathBuf,
    owners: bool,
    acls: AclCheck,
    coda: bool,
    /// Mount points found as directories: not descended into.
    mount_points: HashSet<PathBuf>,
    expected: HashSet<PathBuf>,
    diffs: Vec<Difference>,
    buf: Vec<u8>,
    fbuf: Vec<u8>,
}

impl Compare {
    fn diff(&mut self, path: &Path, what: String) {
        self.diffs.push(Difference {
            path: path.to_path_buf(),
            what,
        });
    }

    /// Compares the common metadata; `None` if the name is missing.
    fn meta(
        &mut self,
        rel: &Path,
        kind: &str,
        mode: u32,
        owner: u32,
        mtime: u32,
    ) -> Option<fs::Metadata> {
        let m = match fs::symlink_metadata(join(&self.root, rel)) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.diff(rel, format!("missing {kind}"));
                return None;
            }
            Err(e) => {
                self.diff(rel, format!("cannot be examined: {e}"));
                return None;
            }
        };
        let ft = m.file_type();
        let found = if ft.is_dir() {
            "directory"
        } else if ft.is_symlink() {
            "symlink"
        } else if ft.is_file() {
            "file"
        } else {
            "special file"
        };
        if found != kind {
            self.diff(rel, format!("is a {found}, expected a {kind}"));
            return None;
        }
        if kind != "symlink" && m.mode() & 0o7777 != mode {
            self.diff(
                rel,
                format!("mode {:o}, expected {mode:o}", m.mode() & 0o7777),
            );
        }
        if self.owners && m.uid() != owner {
            self.diff(rel, format!("owner {}, expected {owner}", m.uid()));
        }
        if m.mtime() != i64::from(mtime) {
            self.diff(rel, format!("mtime {}, expected {mtime}", m.mtime()));
        }
        Some(m)
    }

    fn content<R: Read>(&mut self, rel: &Path, m: &fs::Metadata, data: Payload<'_, R>) {
        let expected_len = match &data {
            Payload::Stream(_, n) => *n,
            Payload::Bytes(b) => b.len() as u64,
            Payload::Bad => 0,
        };
        if m.len() != expected_len {
            self.diff(rel, format!("size {}, expected {expected_len}", m.len()));
            return;
        }
        let mut f = match File::open(join(&self.root, rel)) {
            Ok(f) => f,
            Err(e) => return self.diff(rel, format!("cannot be read: {e}")),
        };
        let mut at = 0u64;
        let mismatch = match data {
            Payload::Bad => None,
            Payload::Bytes(b) => {
                let mut got = Vec::new();
                match f.read_to_end(&mut got) {
                    Ok(_) => first_difference(b, &got),
                    Err(e) => return self.diff(rel, format!("cannot be read: {e}")),
                }
            }
            Payload::Stream(r, _) => loop {
                let n = match r.read_data(&mut self.buf) {
                    Ok(n) => n,
                    Err(e) => return self.diff(rel, format!("dump data unreadable: {e}")),
                };
                if n == 0 {
                    break None;
                }
                if let Err(e) = f.read_exact(&mut self.fbuf[..n]) {
                    return self.diff(rel, format!("cannot be read: {e}"));
                }
                if let Some(i) = first_difference(&self.buf[..n], &self.fbuf[..n]) {
                    break Some(at + i);
                }
                at += n as u64;
            },
        };
        if let Some(off) = mismatch {
            self.diff(rel, format!("content differs at byte {off}"));
        }
    }
}

impl Compare {
    /// The mount link `rel` with target `target` naming `volume` on a
    /// Coda mount: a directory (mounted) or a symlink to the dump's target
    /// or to what mkmount writes (`#volume.`, spec `pioctl.md` §6.3).
    fn mount_point(&mut self, rel: &Path, target: &[u8], volume: &[u8]) {
        let path = join(&self.root, rel);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {
                self.mount_points.insert(rel.to_path_buf());
            }
            Ok(m) if m.file_type().is_symlink() => {
                let made = [b"#", volume, b"."].concat();
                match fs::read_link(&path) {
                    Ok(t) if [target, &made[..]].contains(&t.as_os_str().as_bytes()) => {}
                    Ok(t) => self.diff(
                        rel,
                        format!(
                            "mount point to {:?}, expected volume {:?}",
                            t.display(),
                            String::from_utf8_lossy(volume)
                        ),
                    ),
                    Err(e) => self.diff(rel, format!("cannot read the link: {e}")),
                }
            }
            Ok(_) => self.diff(rel, "is not a mount point (expected one)".into()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.diff(rel, "missing mount point".into())
            }
            Err(e) => self.diff(rel, format!("cannot be examined: {e}")),
        }
    }

    /// `rel`, a name of `obj` in another directory than its first name
    /// `first` on a Coda mount: a separate file with the same metadata
    /// and the same bytes as `first` (which was compared with the dump).
    fn copy_of(&mut self, rel: &Path, first: &Path, obj: &ObjectInfo) {
        let Some(m) = self.meta(rel, "file", obj.mode, obj.owner, obj.mtime) else {
            return;
        };
        let (mut a, mut b) = (
            std::mem::take(&mut self.buf),
            std::mem::take(&mut self.fbuf),
        );
        let same = same_bytes(
            &join(&self.root, first),
            &join(&self.root, rel),
            &mut a,
            &mut b,
        );
        (self.buf, self.fbuf) = (a, b);
        match same {
            Ok(true) => {}
            Ok(false) => self.diff(rel, format!("not a copy of {}", first.display())),
            Err(e) => self.diff(rel, format!("cannot be read: {e}")),
        }
        if m.nlink() != 1 {
            self.diff(rel, format!("{} links, expected 1 (a copy)", m.nlink()));
        }
    }
}

/// Whether the files `x` and `y` hold the same bytes, read in chunks of
/// the buffers' size.
fn same_bytes(x: &Path, y: &Path, a: &mut [u8], b: &mut [u8]) -> io::Result<bool> {
    let (mut fx, mut fy) = (File::open(x)?, File::open(y)?);
    loop {
        let n = fill(&mut fx, a)?;
        let m = fill(&mut fy, b)?;
        if a[..n] != b[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// Reads into `buf` until it is full or the file ends; the byte count.
fn fill(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn first_difference(a: &[u8], b: &[u8]) -> Option<u64> {
    if a.len() != b.len() {
        return Some(a.len().min(b.len()) as u64);
    }
    a.iter().zip(b).position(|(x, y)| x != y).map(|i| i as u64)
}

impl Sink for Compare {
    fn directories(&mut self, tree: &Tree) -> Result<(), RestoreError> {
        for d in &tree.dirs {
            if d.path.starts_with(LOST_FOUND) {
                self.expected.insert(PathBuf::from(LOST_FOUND));
            }
            self.expected.insert(d.path.clone());
            self.meta(&d.path, "directory", d.mode, d.owner, d.mtime);
        }
        Ok(())
    }

    fn object<R: Read>(
        &mut self,
        obj: &ObjectInfo,
        data: Payload<'_, R>,
    ) -> Result<(), RestoreError> {
        for p in &obj.paths {
            self.expected.insert(p.clone());
        }
        if obj.unnamed {
            self.expected.insert(PathBuf::from(LOST_FOUND));
        }
        let first = &obj.paths[0];
        let read_target: Vec<u8>;
        let data = if self.coda && maybe_mount(obj) {
            read_target = match data {
                Payload::Stream(r, _) => r.read_data_to_vec()?,
                Payload::Bytes(b) => b.to_vec(),
                Payload::Bad => Vec::new(),
            };
            if let Some(volume) = mount_volume(obj, &read_target) {
                for p in &obj.paths {
                    self.mount_point(p, &read_target, volume);
                }
                return Ok(());
            }
            Payload::Bytes(&read_target)
        } else {
            data
        };
        let kind = match obj.kind {
            Kind::File => "file",
            Kind::Symlink => "symlink",
        };
        let Some(m) = self.meta(first, kind, obj.mode, obj.owner, obj.mtime) else {
            return Ok(());
        };
        match obj.kind {
            Kind::Symlink => {
                let want = match data {
                    Payload::Stream(r, _) => r.read_data_to_vec()?,
                    Payload::Bytes(b) => b.to_vec(),
                    Payload::Bad => Vec::new(),
                };
                match fs::read_link(join(&self.root, first)) {
                    Ok(t) if t.as_os_str().as_bytes() == want.as_slice() => {}
                    Ok(t) => self.diff(
                        first,
                        format!(
                            "symlink target {:?}, expected {:?}",
                            t.display(),
                            String::from_utf8_lossy(&want)
                        ),
                    ),
                    Err(e) => self.diff(first, format!("cannot read the link: {e}")),
                }
            }
            Kind::File => {
                self.content(first, &m, data);
                let coda = self.coda;
                let copy = |p: &PathBuf| coda && is_copy(first, p);
                let links = obj.paths.iter().filter(|p| !copy(p)).count() as u64;
                if m.nlink() != links {
                    self.diff(first, format!("{} links, expected {links}", m.nlink()));
                }
                for p in &obj.paths[1..] {
                    if copy(p) {
                        self.copy_of(p, first, obj);
                        continue;
                    }
                    match fs::symlink_metadata(join(&self.root, p)) {
                        Ok(o) if (o.dev(), o.ino()) == (m.dev(), m.ino()) => {}
                        Ok(_) => self.diff(p, format!("not a hard link of {}", first.display())),
                        Err(_) => self.diff(p, format!("missing hard link of {}", first.display())),
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, tree: &Tree) -> Result<(), RestoreError> {
        let dirs = tree.dirs.iter().map(|d| DirAcl {
            path: &d.path,
            text: d.acl.as_deref(),
        });
        for (path, what) in compare_acls(&self.root, dirs, &self.acls) {
            self.diff(&path, what);
        }
        let mut stack = vec![PathBuf::new()];
        while let Some(rel) = stack.pop() {
            let Ok(it) = fs::read_dir(join(&self.root, &rel)) else {
                continue;
            };
            for e in it.flatten() {
                let child = rel.join(e.file_name());
                if rel.as_os_str().is_empty() {
                    let n = e.file_name();
                    if is_journal_file(&n) || n == ACL_FILE {
                        continue;
                    }
                }
                if !self.expected.contains(&child) {
                    self.diff(&child, "not in the dump".into());
                    continue;
                }
                if e.file_type().is_ok_and(|t| t.is_dir()) && !self.mount_points.contains(&child) {
                    stack.push(child);
                }
            }
        }
        self.diffs.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }
}
