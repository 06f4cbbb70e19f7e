//! Reading the source: every object is reached beneath its tree's root
//! ([`beneath::Root`], so never through a symbolic link, whatever was
//! swapped in since the walk) and compared with what the walk listed. A
//! regular file is opened `O_RDONLY | O_NOFOLLOW | O_NONBLOCK` (a FIFO put
//! in its place cannot block the copy) and must be the same inode, of the
//! same size and mtime; after its data is copied its `fstat` must not have
//! moved (size, mtime, ctime), or the item fails and its copy is removed.

use std::ffi::OsString;
use std::fs::File;
use std::path::Path;

use beneath::{Root, Stat, Xattr};

use crate::error::{Failure, Op};
use crate::hook::{HookPoint, TestHook};
use crate::node::{Kind, Meta, Time};
use crate::plan::join;

/// The source tree of one pair, as the copy reads it.
#[derive(Debug, Clone)]
pub struct Source {
    root: Root,
    hook: Option<TestHook>,
}

fn time(sec: i64, nsec: i64) -> String {
    format!("{sec}.{nsec:09}")
}

#[allow(clippy::unnecessary_cast)] // the field types differ between targets
fn ctime(st: &Stat) -> Time {
    Time {
        sec: st.st_ctime as i64,
        nsec: st.st_ctime_nsec as i64,
    }
}

/// A failure of the layer while reaching an object the walk listed: its
/// refusals (a symlink or another type in the way) mean the tree changed
/// since the walk.
fn changed_since(path: &Path, op: Op, e: &beneath::Error, culprit: Option<&Path>) -> Failure {
    let mut f = Failure::beneath(path, op, e);
    if e.is_refusal() {
        if let Some(c) = culprit.filter(|c| *c != path) {
            f.message = format!("{}: {}", c.display(), e.reason());
        }
        f.message = format!("changed since it was listed: {}", f.message);
    }
    f
}

/// "inode N (expected inode M)" when `now` is not the object `was`
/// describes.
pub(crate) fn other_object(was: &Meta, now: &Stat) -> Option<String> {
    let m = Meta::from_stat(now);
    (!was.same_object(now)).then(|| {
        if m.dev == was.dev {
            format!("inode {} (expected inode {})", m.ino, was.ino)
        } else {
            format!("device {:#x} (expected device {:#x})", m.dev, was.dev)
        }
    })
}

/// How `now` differs from `was`, in words, for a file expected unchanged:
/// identity, type, size, mtime (and ctime when `with_ctime`).
fn difference(was: &Meta, was_ctime: Option<Time>, now: &Stat) -> Option<String> {
    let m = Meta::from_stat(now);
    if let Some(what) = other_object(was, now) {
        return Some(what);
    }
    if m.kind() != was.kind() {
        return Some(format!(
            "is {} (expected {})",
            m.kind().describe(),
            was.kind().describe()
        ));
    }
    if m.size != was.size {
        return Some(format!("{} bytes (expected {})", m.size, was.size));
    }
    if m.mtime != was.mtime {
        return Some(format!(
            "modified at {} (expected {})",
            time(m.mtime.sec, m.mtime.nsec),
            time(was.mtime.sec, was.mtime.nsec)
        ));
    }
    match was_ctime {
        Some(c) if c != ctime(now) => Some(format!(
            "status changed at {} (expected {})",
            time(ctime(now).sec, ctime(now).nsec),
            time(c.sec, c.nsec)
        )),
        _ => None,
    }
}

impl Source {
    /// The tree below `root`; `hook` runs before each object is opened.
    pub fn new(root: Root, hook: Option<TestHook>) -> Source {
        Source { root, hook }
    }

    /// The root, as the walk reads it.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The path of `rel`, for messages.
    pub fn path(&self, rel: &Path) -> std::path::PathBuf {
        join(self.root.path(), rel)
    }

    pub(crate) fn hook(&self, point: HookPoint, rel: &Path) {
        if let Some(h) = &self.hook {
            h.call(point, &self.path(rel));
        }
    }

    /// A failure reaching `rel`; a symlink refusal names the component of
    /// `rel` that is a symlink now.
    pub(crate) fn changed(&self, rel: &Path, op: Op, e: &beneath::Error) -> Failure {
        let culprit = match e {
            beneath::Error::Symlink { .. } => self.first_symlink(rel).map(|c| self.path(&c)),
            _ => None,
        };
        changed_since(&self.path(rel), op, e, culprit.as_deref())
    }

    /// "changed since it was listed: is a socket (expected a regular
    /// file)" when `rel` is no longer of the type the walk listed.
    fn other_kind(&self, rel: &Path, listed: &Meta, op: Op) -> Option<Failure> {
        let (dir, name) = self.root.parent(rel).ok()?;
        let now = Meta::from_stat(&dir.stat(name).ok()?).kind();
        (now != listed.kind()).then(|| {
            Failure::other(
                self.path(rel),
                op,
                format!(
                    "changed since it was listed: is {} (expected {})",
                    now.describe(),
                    listed.kind().describe()
                ),
            )
        })
    }

    /// The shortest leading part of `rel` that is a symlink now, if any
    /// (only looked for once something was refused).
    fn first_symlink(&self, rel: &Path) -> Option<std::path::PathBuf> {
        let mut prefix = std::path::PathBuf::new();
        for c in rel.components() {
            let next = prefix.join(c);
            let (dir, name) = self.root.parent(&next).ok()?;
            match dir.kind(name) {
                Ok(Some(beneath::FileKind::Symlink)) => return Some(next),
                Ok(Some(beneath::FileKind::Dir)) => prefix = next,
                _ => return None,
            }
        }
        None
    }

    /// Calls the hook after a file's data was copied.
    pub fn copied(&self, rel: &Path) {
        self.hook(HookPoint::AfterData, rel);
    }

    /// Opens the regular file `rel` that the walk listed as `listed`,
    /// with the `fstat` of what was opened. Anything else there (a
    /// symlink, a FIFO, another file, another size or mtime) fails the
    /// item: "changed since it was listed".
    pub fn open_file(&self, rel: &Path, listed: &Meta) -> Result<(File, Stat), Failure> {
        self.hook(HookPoint::BeforeOpen, rel);
        let path = self.path(rel);
        let (file, st) = self.root.open_read(rel).map_err(|e| match e {
            // Opening a socket is ENXIO, for one: say what is there now.
            beneath::Error::Io { .. } => self
                .other_kind(rel, listed, Op::Open)
                .unwrap_or_else(|| self.changed(rel, Op::Open, &e)),
            e => self.changed(rel, Op::Open, &e),
        })?;
        if let Some(what) = difference(listed, None, &st) {
            return Err(Failure::other(
                &path,
                Op::Open,
                format!("changed since it was listed: {what}"),
            ));
        }
        Ok((file, st))
    }

    /// Checks that the open file `file`, whose status was `opened`, did
    /// not change while it was read.
    pub fn unchanged(&self, rel: &Path, file: &File, opened: &Stat) -> Result<(), Failure> {
        let path = self.path(rel);
        let now = rustix::fs::fstat(file).map_err(|e| Failure::io(&path, Op::Stat, &e.into()))?;
        match difference(&Meta::from_stat(opened), Some(ctime(opened)), &now) {
            None => Ok(()),
            Some(what) => Err(Failure::other(
                &path,
                Op::Read,
                format!("changed during the copy: {what}; its partial copy was removed"),
            )),
        }
    }

    /// The target of the symlink `rel` that the walk listed as `listed`.
    pub fn read_link(&self, rel: &Path, listed: &Meta) -> Result<OsString, Failure> {
        self.hook(HookPoint::BeforeOpen, rel);
        let path = self.path(rel);
        let fail = |e: &beneath::Error| self.changed(rel, Op::Symlink, e);
        let (dir, name) = self.root.parent(rel).map_err(|e| fail(&e))?;
        let st = dir.stat(name).map_err(|e| fail(&e))?;
        if let Some(what) = difference(listed, None, &st) {
            return Err(Failure::other(
                &path,
                Op::Symlink,
                format!("changed since it was listed: {what}"),
            ));
        }
        dir.read_link(name).map_err(|e| fail(&e))
    }

    /// The extended attributes of `rel` (of kind `kind`; a symlink itself).
    /// Files give theirs from the open fd instead.
    pub fn xattrs(&self, rel: &Path, kind: Kind) -> Result<Vec<Xattr>, Failure> {
        let fail = |e: beneath::Error| self.changed(rel, Op::Xattr, &e);
        if kind == Kind::Dir {
            return self.root.dir(rel).and_then(|d| d.xattrs()).map_err(fail);
        }
        let (dir, name) = self.root.parent(rel).map_err(fail)?;
        dir.xattrs_at(name).map_err(fail)
    }
}
