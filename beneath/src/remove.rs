//! Removing an entry and, if it is a directory, everything in it, through
//! directory fds only: a symlink met on the way is removed itself, never
//! followed.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use rustix::fs::{statat, unlinkat, AtFlags, FileType};
use rustix::io::Errno;

use crate::dir::absent_ok;
use crate::resolve::open_child_dir;
use crate::{Dir, Error};

impl Dir {
    /// Removes the entry `name` whatever it is; a directory with all its
    /// contents. Nothing outside this directory is touched: subdirectories
    /// are entered through `O_NOFOLLOW` fds, symlinks are unlinked. A
    /// missing entry is not an error. Holds one fd per level of the tree
    /// being removed.
    pub fn remove_all(&self, name: impl AsRef<OsStr>) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "removing")?;
        self.shared().cache.forget(&self.child_rel(name));
        remove_all(self.raw(), name).map_err(|e| self.at(name, "removing").errno(e))
    }
}

fn is_dir(dir: BorrowedFd<'_>, name: &OsStr, listed: FileType) -> Result<bool, Errno> {
    match listed {
        FileType::Directory => Ok(true),
        FileType::Unknown => match statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(FileType::from_raw_mode(st.st_mode) == FileType::Directory),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(e),
        },
        _ => Ok(false),
    }
}

fn remove_all(parent: BorrowedFd<'_>, name: &OsStr) -> Result<(), Errno> {
    if !is_dir(parent, name, FileType::Unknown)? {
        return absent_ok(unlinkat(parent, name, AtFlags::empty()));
    }
    let mut stack: Vec<(OwnedFd, OsString)> = vec![(open_child_dir(parent, name)?, name.into())];
    while let Some((fd, _)) = stack.last() {
        let mut sub = None;
        for e in rustix::fs::Dir::read_from(fd)? {
            let e = e?;
            let n = OsStr::from_bytes(e.file_name().to_bytes());
            if n == "." || n == ".." {
                continue;
            }
            if is_dir(fd.as_fd(), n, e.file_type())? {
                sub = Some(n.to_os_string());
                break;
            }
            absent_ok(unlinkat(fd, n, AtFlags::empty()))?;
        }
        match sub {
            Some(n) => {
                let child = open_child_dir(fd.as_fd(), &n)?;
                stack.push((child, n));
            }
            None => {
                let (_, n) = stack.pop().expect("the stack is not empty");
                let up = stack.last().map_or(parent, |(f, _)| f.as_fd());
                absent_ok(unlinkat(up, &n, AtFlags::REMOVEDIR))?;
            }
        }
    }
    Ok(())
}
