//! Metadata of the copy: owner and group, mode bits (setuid, setgid and
//! sticky included), extended attributes and times with nanoseconds, set
//! in that order (chown clears setuid bits; any change moves ctime, and
//! times go last so that a complete file is recognisable by its mtime).
//! Everything goes to an open fd (files, directories) or to one name in a
//! held directory without following a symlink (symlinks, specials);
//! nothing here takes a path.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::path::Path;

use beneath::{Dir, Xattr};
use rustix::fs::{Gid, Mode, Timespec, Timestamps, Uid};
use rustix::io::Errno;

use crate::error::{Failure, Op};
use crate::node::{Meta, Time};
use crate::Preserve;

/// True when this process may give files away (chown to any owner).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn ts(t: Time) -> Timespec {
    Timespec {
        tv_sec: t.sec as _,
        tv_nsec: t.nsec as _,
    }
}

/// Access and modification times of `m`.
pub fn times(m: &Meta) -> Timestamps {
    Timestamps {
        last_access: ts(m.atime),
        last_modification: ts(m.mtime),
    }
}

/// What a file this run has just created is known to have already, so
/// that setting it again can be left out (it would change nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Born {
    /// The owner and group every new file gets, when known.
    pub owner: Option<(u32, u32)>,
    /// The umask, when a new file's mode is exactly its creation mode
    /// less the umask (no default ACL where it is created).
    pub umask: Option<u32>,
}

impl Born {
    /// Whether a file created with mode `m.perm() & 0o777` has the mode
    /// `m.perm()` already: no set-id or sticky bit, nothing the umask
    /// takes away.
    fn has_mode(&self, m: &Meta) -> bool {
        self.umask.is_some_and(|u| m.perm() & (0o7000 | u) == 0)
    }

    /// Whether a new file has `m`'s owner and group already.
    fn has_owner(&self, m: &Meta) -> bool {
        self.owner == Some((m.uid, m.gid))
    }
}

/// Sets owner, mode, xattrs and times on an open destination file or
/// held directory. `src` names the item in failures.
pub fn apply_fd(
    src: &Path,
    dst: impl AsFd,
    m: &Meta,
    p: &Preserve,
    xattrs: &[Xattr],
) -> Result<(), Failure> {
    apply_new_fd(src, dst, m, p, xattrs, &Born::default())
}

/// [`apply_fd`] on a file just created with mode `m.perm() & 0o777`,
/// leaving out the owner and mode changes that `born` shows would change
/// nothing.
pub fn apply_new_fd(
    src: &Path,
    dst: impl AsFd,
    m: &Meta,
    p: &Preserve,
    xattrs: &[Xattr],
    born: &Born,
) -> Result<(), Failure> {
    let fd = dst.as_fd();
    let fail = |op| move |e: Errno| Failure::io(src, op, &e.into());
    if p.ownership && !born.has_owner(m) {
        chown_with(
            |u, g| rustix::fs::fchown(fd, u, g),
            m,
            |e| *e == Errno::PERM,
        )
        .map_err(fail(Op::Chown))?;
    }
    if p.mode && !born.has_mode(m) {
        rustix::fs::fchmod(fd, Mode::from_raw_mode(m.perm())).map_err(fail(Op::Chmod))?;
    }
    if p.xattrs {
        beneath::write_xattrs(fd, xattrs).map_err(|e| Failure::io(src, Op::Xattr, &e))?;
    }
    if p.timestamps {
        rustix::fs::futimens(fd, &times(m)).map_err(fail(Op::Utimes))?;
    }
    Ok(())
}

/// Sets owner, mode (not on a symlink), xattrs and times on the entry
/// `name` of `dir` (a symlink or a special file), never following it.
pub fn apply_at(
    src: &Path,
    dir: &Dir,
    name: &OsStr,
    m: &Meta,
    p: &Preserve,
    xattrs: &[Xattr],
    symlink: bool,
) -> Result<(), Failure> {
    let fail = |op| move |e: beneath::Error| Failure::beneath(src, op, &e);
    if p.ownership {
        chown_with(
            |u, g| dir.set_owner_at(name, u.map(Uid::as_raw), g.map(Gid::as_raw)),
            m,
            is_eperm,
        )
        .map_err(fail(Op::Chown))?;
    }
    if p.mode && !symlink {
        dir.set_mode_at(name, m.perm()).map_err(fail(Op::Chmod))?;
    }
    if p.xattrs {
        for a in xattrs {
            match dir.set_xattr_at(name, a) {
                Ok(()) => {}
                // Linux allows no user.* attributes on symbolic links.
                Err(e) if symlink && is_eperm(&e) => {}
                Err(e) => return Err(fail(Op::Xattr)(e)),
            }
        }
    }
    if p.timestamps {
        dir.set_times_at(name, &times(m))
            .map_err(fail(Op::Utimes))?;
    }
    Ok(())
}

fn is_eperm(e: &beneath::Error) -> bool {
    matches!(e, beneath::Error::Io { source, .. } if Errno::from_io_error(source) == Some(Errno::PERM))
}

/// Root gives the copy the source's owner and group; others keep what
/// they may (the group, when they belong to it) and lose the rest
/// silently, as `cp -a` does.
fn chown_with<E>(
    f: impl Fn(Option<Uid>, Option<Gid>) -> Result<(), E>,
    m: &Meta,
    is_perm: impl Fn(&E) -> bool,
) -> Result<(), E> {
    let uid = Uid::from_raw(m.uid);
    let gid = Gid::from_raw(m.gid);
    match f(Some(uid), Some(gid)) {
        Err(e) if is_perm(&e) && !is_root() => match f(None, Some(gid)) {
            Err(e) if !is_perm(&e) => Err(e),
            _ => Ok(()),
        },
        r => r,
    }
}
