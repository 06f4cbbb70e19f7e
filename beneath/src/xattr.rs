//! Extended attributes: read from and written to an open fd (a file or a
//! held directory), or to an entry by name without following it. An
//! entry is pinned with `O_PATH | O_NOFOLLOW` and reached through
//! `/proc/self/fd/N`, which lands on exactly that inode, a symlink
//! itself included (Linux has no `f*xattr` on `O_PATH` fds before 6.13).

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use rustix::fs::{Mode, OFlags, XattrFlags};
use rustix::io::Errno;

use crate::{Dir, Error};

/// One extended attribute: its full name (`user.x`, `security.selinux`,
/// ...) and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xattr {
    /// The name, namespace prefix included.
    pub name: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
}

/// The attribute that holds a directory's default ACL: entries created in
/// such a directory get modes from it, not their creation mode less the
/// umask.
pub const DEFAULT_ACL: &[u8] = b"system.posix_acl_default";

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

/// Every extended attribute of the object open as `fd`. A file system
/// without them gives none; an attribute removed while listing is
/// skipped.
pub fn read_fd(fd: impl AsFd) -> io::Result<Vec<Xattr>> {
    let fd = fd.as_fd();
    Ok(read_with(
        || rustix::fs::flistxattr_query(fd),
        |b| rustix::fs::flistxattr(fd, b),
        |n| {
            fetch(
                || rustix::fs::fgetxattr_query(fd, n),
                |b| rustix::fs::fgetxattr(fd, n, b),
            )
        },
    )?)
}

/// Sets every attribute of `attrs` on the object open as `fd`.
pub fn write_fd(fd: impl AsFd, attrs: &[Xattr]) -> io::Result<()> {
    let fd = fd.as_fd();
    for a in attrs {
        rustix::fs::fsetxattr(fd, a.name.as_slice(), &a.value, XattrFlags::empty())?;
    }
    Ok(())
}

fn read_with(
    list: impl Fn() -> rustix::io::Result<usize>,
    fill: impl Fn(&mut [u8]) -> rustix::io::Result<usize>,
    get: impl Fn(&[u8]) -> rustix::io::Result<Vec<u8>>,
) -> rustix::io::Result<Vec<Xattr>> {
    let names = match fetch(list, fill) {
        Ok(l) => l,
        Err(Errno::OPNOTSUPP) | Err(Errno::NOSYS) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        match get(name) {
            Ok(value) => out.push(Xattr {
                name: name.to_vec(),
                value,
            }),
            Err(Errno::NODATA) => {} // removed meanwhile
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// `/proc/self/fd/N` for an `O_PATH` fd: following it lands on the inode
/// the fd holds, whatever it is.
fn proc_path(fd: BorrowedFd<'_>) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

/// The pinned entry cannot be missing: ENOENT on its `/proc` path means
/// there is no `/proc`.
fn no_proc(e: Errno) -> io::Error {
    match e {
        Errno::NOENT => io::Error::other(
            "/proc is not mounted (needed for the extended attributes of a symlink or special file)",
        ),
        e => e.into(),
    }
}

impl Dir {
    /// The extended attributes of this directory itself.
    pub fn xattrs(&self) -> Result<Vec<Xattr>, Error> {
        read_fd(self.raw()).map_err(|e| {
            self.shared()
                .at(self.rel().into(), "reading extended attributes")
                .io(e)
        })
    }

    /// Whether this directory has a default ACL ([`DEFAULT_ACL`]), which
    /// the entries created in it inherit. A file system without extended
    /// attributes has none.
    pub fn has_default_acl(&self) -> Result<bool, Error> {
        match rustix::fs::fgetxattr_query(self.raw(), DEFAULT_ACL) {
            Ok(_) => Ok(true),
            Err(Errno::NODATA | Errno::OPNOTSUPP | Errno::NOSYS) => Ok(false),
            Err(e) => Err(self
                .shared()
                .at(self.rel().into(), "reading extended attributes")
                .errno(e)),
        }
    }

    /// Sets extended attributes on this directory itself.
    pub fn set_xattrs(&self, attrs: &[Xattr]) -> Result<(), Error> {
        write_fd(self.raw(), attrs).map_err(|e| {
            self.shared()
                .at(self.rel().into(), "setting extended attributes")
                .io(e)
        })
    }

    /// The extended attributes of entry `name`, a symlink itself rather
    /// than its target.
    pub fn xattrs_at(&self, name: impl AsRef<OsStr>) -> Result<Vec<Xattr>, Error> {
        let name = self.check(name.as_ref(), "reading extended attributes")?;
        let at = || self.at(name, "reading extended attributes");
        let fd = self.pin(name).map_err(|e| at().errno(e))?;
        let p = proc_path(fd.as_fd());
        read_with(
            || rustix::fs::listxattr_query(p.as_str()),
            |b| rustix::fs::listxattr(p.as_str(), b),
            |n| {
                fetch(
                    || rustix::fs::getxattr_query(p.as_str(), n),
                    |b| rustix::fs::getxattr(p.as_str(), n, b),
                )
            },
        )
        .map_err(|e| at().io(no_proc(e)))
    }

    /// Sets the extended attribute `attr` on entry `name`, a symlink itself
    /// rather than its target.
    pub fn set_xattr_at(&self, name: impl AsRef<OsStr>, attr: &Xattr) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "setting extended attributes")?;
        let at = || self.at(name, "setting extended attributes");
        let fd = self.pin(name).map_err(|e| at().errno(e))?;
        let p = proc_path(fd.as_fd());
        rustix::fs::setxattr(
            p.as_str(),
            attr.name.as_slice(),
            &attr.value,
            XattrFlags::empty(),
        )
        .map_err(|e| at().io(no_proc(e)))
    }

    /// Entry `name` held without opening it for I/O and without following
    /// a symlink.
    fn pin(&self, name: &OsStr) -> Result<std::os::fd::OwnedFd, Errno> {
        let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        rustix::fs::openat(self.raw(), name, flags, Mode::empty())
    }
}
