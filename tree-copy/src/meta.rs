//! Metadata of the copy: owner and group, mode bits (setuid, setgid and
//! sticky included), extended attributes and times with nanoseconds, set
//! in that order (chown clears setuid bits; any change moves ctime, and
//! times go last so that a complete file is recognisable by its mtime).

use std::fs::File;
use std::io;
use std::path::Path;

use rustix::fs::{AtFlags, Gid, Mode, Timespec, Timestamps, Uid, CWD};
use rustix::io::Errno;

use crate::error::Op;
use crate::walk::{Meta, Time};
use crate::Preserve;

/// A failed metadata step.
pub type MetaError = (Op, io::Error);

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

fn times(m: &Meta) -> Timestamps {
    Timestamps {
        last_access: ts(m.atime),
        last_modification: ts(m.mtime),
    }
}

fn err(op: Op) -> impl Fn(Errno) -> MetaError {
    move |e| (op, e.into())
}

/// Sets owner, mode, xattrs and times on an open destination file.
/// `xattr_src` is the open source, read for `--xattrs`.
pub fn apply_fd(
    dst: &File,
    m: &Meta,
    p: &Preserve,
    xattr_src: Option<&File>,
) -> Result<(), MetaError> {
    if p.ownership {
        chown_with(|u, g| rustix::fs::fchown(dst, u, g), m)?;
    }
    if p.mode {
        rustix::fs::fchmod(dst, Mode::from_raw_mode(m.perm())).map_err(err(Op::Chmod))?;
    }
    if p.xattrs {
        if let Some(src) = xattr_src {
            copy_xattrs_fd(src, dst)?;
        }
    }
    if p.timestamps {
        rustix::fs::futimens(dst, &times(m)).map_err(err(Op::Utimes))?;
    }
    Ok(())
}

/// Sets owner, mode, xattrs and times on a destination path without
/// following a symbolic link there (directories, symlinks, specials).
pub fn apply_path(
    src: &Path,
    dst: &Path,
    m: &Meta,
    p: &Preserve,
    symlink: bool,
) -> Result<(), MetaError> {
    if p.ownership {
        chown_with(
            |u, g| rustix::fs::chownat(CWD, dst, u, g, AtFlags::SYMLINK_NOFOLLOW),
            m,
        )?;
    }
    if p.mode && !symlink {
        rustix::fs::chmodat(CWD, dst, Mode::from_raw_mode(m.perm()), AtFlags::empty())
            .map_err(err(Op::Chmod))?;
    }
    if p.xattrs {
        copy_xattrs_path(src, dst, symlink)?;
    }
    if p.timestamps {
        rustix::fs::utimensat(CWD, dst, &times(m), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(err(Op::Utimes))?;
    }
    Ok(())
}

/// Root gives the copy the source's owner and group; others keep what
/// they may (the group, when they belong to it) and lose the rest
/// silently, as `cp -a` does.
fn chown_with(
    f: impl Fn(Option<Uid>, Option<Gid>) -> rustix::io::Result<()>,
    m: &Meta,
) -> Result<(), MetaError> {
    let uid = Uid::from_raw(m.uid);
    let gid = Gid::from_raw(m.gid);
    match f(Some(uid), Some(gid)) {
        Ok(()) => Ok(()),
        Err(Errno::PERM) if !is_root() => match f(None, Some(gid)) {
            Ok(()) | Err(Errno::PERM) => Ok(()),
            Err(e) => Err((Op::Chown, e.into())),
        },
        Err(e) => Err((Op::Chown, e.into())),
    }
}

/// Splits a `listxattr` result into names.
fn names(list: &[u8]) -> impl Iterator<Item = &[u8]> {
    list.split(|&b| b == 0).filter(|n| !n.is_empty())
}

/// Calls a size-query-then-fill pair until the value fits (it may grow
/// between the two calls).
fn fetch(
    query: impl Fn() -> rustix::io::Result<usize>,
    get: impl Fn(&mut [u8]) -> rustix::io::Result<usize>,
) -> rustix::io::Result<Vec<u8>> {
    loop {
        let n = query()?;
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; n];
        match get(&mut buf) {
            Ok(len) => {
                buf.truncate(len);
                return Ok(buf);
            }
            Err(Errno::RANGE) => continue,
            Err(e) => return Err(e),
        }
    }
}

fn unsupported(e: Errno) -> bool {
    e == Errno::OPNOTSUPP || e == Errno::NOSYS
}

fn copy_xattrs_fd(src: &File, dst: &File) -> Result<(), MetaError> {
    let list = match fetch(
        || rustix::fs::flistxattr_query(src),
        |b| rustix::fs::flistxattr(src, b),
    ) {
        Ok(l) => l,
        Err(e) if unsupported(e) => return Ok(()),
        Err(e) => return Err((Op::Xattr, e.into())),
    };
    for name in names(&list) {
        let value = fetch(
            || rustix::fs::fgetxattr_query(src, name),
            |b| rustix::fs::fgetxattr(src, name, b),
        );
        let value = match value {
            Ok(v) => v,
            Err(Errno::NODATA) => continue, // removed meanwhile
            Err(e) => return Err((Op::Xattr, e.into())),
        };
        rustix::fs::fsetxattr(dst, name, &value, rustix::fs::XattrFlags::empty())
            .map_err(err(Op::Xattr))?;
    }
    Ok(())
}

fn copy_xattrs_path(src: &Path, dst: &Path, symlink: bool) -> Result<(), MetaError> {
    let list = match fetch(
        || rustix::fs::llistxattr_query(src),
        |b| rustix::fs::llistxattr(src, b),
    ) {
        Ok(l) => l,
        Err(e) if unsupported(e) => return Ok(()),
        Err(e) => return Err((Op::Xattr, e.into())),
    };
    for name in names(&list) {
        let value = match fetch(
            || rustix::fs::lgetxattr_query(src, name),
            |b| rustix::fs::lgetxattr(src, name, b),
        ) {
            Ok(v) => v,
            Err(Errno::NODATA) => continue,
            Err(e) => return Err((Op::Xattr, e.into())),
        };
        match rustix::fs::lsetxattr(dst, name, &value, rustix::fs::XattrFlags::empty()) {
            Ok(()) => {}
            // Linux allows no user.* attributes on symbolic links.
            Err(Errno::PERM) if symlink => {}
            Err(e) => return Err((Op::Xattr, e.into())),
        }
    }
    Ok(())
}
