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

use super::journal::is_journal_file;
use super::plan::{join, walk, Kind, ObjectInfo, Overlay, Payload, Sink, Tree};
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
}

impl Default for AgainstOptions {
    fn default() -> Self {
        AgainstOptions {
            read: ReadOptions::default(),
            check_stamps: true,
            owners: rustix::process::geteuid().is_root(),
            acls: AclCheck::default(),
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
                if m.nlink() != obj.paths.len() as u64 {
                    self.diff(
                        first,
                        format!("{} links, expected {}", m.nlink(), obj.paths.len()),
                    );
                }
                for p in &obj.paths[1..] {
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
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(child);
                }
            }
        }
        self.diffs.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }
}
