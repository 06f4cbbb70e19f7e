//! Walking a source tree: every object below the root, `lstat`ed once,
//! in a deterministic pre-order (parents before children, names sorted).
//! Directories are read in parallel, each through an fd resolved beneath
//! the source root ([`beneath::Root`]: never through a symbolic link) and
//! checked to be the directory its parent listed; symbolic links are never
//! followed. The fds are the root's bounded cache, so the walk holds a
//! bounded number of them however deep or wide the tree is.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::error::{Failure, Op};
use crate::hook::HookPoint;
pub use crate::node::{Entry, Kind, Meta, Time};
use crate::source::{other_object, Source};

/// Walks the tree below `root` (a directory, already `stat`ed as
/// `root_meta`). Returns every entry in pre-order, the root first, and the
/// failures met on the way (unreadable directories, vanished entries, a
/// directory that is no longer what its parent listed: such a directory
/// is left out, with everything below it). With `one_file_system`,
/// directories on other devices are listed but not entered. The test hook
/// runs before each directory is opened.
pub fn walk(src: &Source, root_meta: Meta, one_file_system: bool) -> (Vec<Entry>, Vec<Failure>) {
    let failures = Mutex::new(Vec::new());
    let root_entry = Entry {
        rel: PathBuf::new(),
        depth: 0,
        kind: Kind::Dir,
        meta: root_meta,
    };
    let ctx = Ctx {
        src,
        root_dev: root_meta.dev,
        one_file_system,
        failures: &failures,
    };
    let mut out = vec![root_entry];
    out.extend(
        ctx.walk_dir(Path::new(""), &root_meta, 1)
            .unwrap_or_default(),
    );
    (
        out,
        failures.into_inner().unwrap_or_else(|e| e.into_inner()),
    )
}

/// Removes from `entries` (a walk's output) the regular files in the
/// tree's root named `names`, or temporary files of those names (as
/// [`beneath::is_own_temp`] says); returns their relative paths.
pub fn leave_out_root_files(entries: &mut Vec<Entry>, names: &[OsString]) -> Vec<PathBuf> {
    if names.is_empty() {
        return Vec::new();
    }
    let tool_file = |e: &Entry| {
        e.depth == 1
            && e.kind == Kind::File
            && names
                .iter()
                .any(|n| e.rel == Path::new(n) || beneath::is_own_temp(e.rel.as_os_str(), n))
    };
    let mut out = Vec::new();
    entries.retain(|e| {
        if tool_file(e) {
            out.push(e.rel.clone());
            false
        } else {
            true
        }
    });
    out
}

struct Ctx<'a> {
    src: &'a Source,
    root_dev: u64,
    one_file_system: bool,
    failures: &'a Mutex<Vec<Failure>>,
}

impl Ctx<'_> {
    fn fail(&self, f: Failure) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(f);
    }

    fn path(&self, rel: &Path) -> PathBuf {
        self.src.path(rel)
    }

    /// Entries below `rel` (whose children have depth `depth`), pre-order;
    /// `None` when `rel` could not be read or is not the directory `expect`
    /// describes.
    fn walk_dir(&self, rel: &Path, expect: &Meta, depth: u32) -> Option<Vec<Entry>> {
        let path = self.path(rel);
        self.src.hook(HookPoint::BeforeOpen, rel);
        let dir = match self.src.root().dir(rel) {
            Ok(d) => d,
            Err(e) => {
                self.fail(self.src.changed(rel, Op::ReadDir, &e));
                return None;
            }
        };
        match dir.stat_self() {
            Ok(st) => {
                if let Some(what) = other_object(expect, &st) {
                    let why = format!("changed since it was listed: {what}");
                    self.fail(Failure::other(&path, Op::ReadDir, why));
                    return None;
                }
            }
            Err(e) => {
                self.fail(Failure::beneath(&path, Op::ReadDir, &e));
                return None;
            }
        }
        let entries = match dir.entries() {
            Ok(it) => it,
            Err(e) => {
                self.fail(Failure::beneath(&path, Op::ReadDir, &e));
                return None;
            }
        };
        let mut children = Vec::new();
        for de in entries {
            let de = match de {
                Ok(de) => de,
                Err(e) => {
                    self.fail(Failure::beneath(&path, Op::ReadDir, &e));
                    break;
                }
            };
            let child_rel = dir.child_rel(&de.name);
            match dir.stat(&de.name) {
                Ok(st) => {
                    let meta = Meta::from_stat(&st);
                    children.push(Entry {
                        rel: child_rel,
                        depth,
                        kind: meta.kind(),
                        meta,
                    })
                }
                Err(e) => self.fail(Failure::beneath(self.path(&child_rel), Op::Stat, &e)),
            }
        }
        drop(dir);
        children.sort_by(|a, b| a.rel.cmp(&b.rel));
        let enter = |e: &Entry| {
            e.kind == Kind::Dir && !(self.one_file_system && e.meta.dev != self.root_dev)
        };
        if !children.iter().any(enter) {
            return Some(children);
        }
        let subtrees: Vec<Option<Vec<Entry>>> = children
            .par_iter()
            .map(|e| {
                if enter(e) {
                    self.walk_dir(&e.rel, &e.meta, depth + 1)
                } else {
                    Some(Vec::new())
                }
            })
            .collect();
        let total = children.len() + subtrees.iter().flatten().map(Vec::len).sum::<usize>();
        let mut out = Vec::with_capacity(total);
        for (child, sub) in children.into_iter().zip(subtrees) {
            // A directory that failed is left out: nothing is made for it.
            if let Some(sub) = sub {
                out.push(child);
                out.extend(sub);
            }
        }
        Some(out)
    }
}
