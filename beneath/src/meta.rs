//! Owner, mode and times: on the held fd, or on an entry with
//! `AT_SYMLINK_NOFOLLOW`. Nothing here takes a path.

use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd};

use rustix::fs::{chownat, fchmod, fchown, futimens, utimensat, AtFlags, FileType, Mode, OFlags};
use rustix::fs::{Gid, Timespec, Timestamps, Uid};
use rustix::io::Errno;

use crate::{Dir, Error};

/// Access and modification time both `secs` seconds since 1970.
pub fn times(secs: i64) -> Timestamps {
    let t = Timespec {
        tv_sec: secs,
        tv_nsec: 0,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

/// `-1` means "leave unchanged" to the kernel: never pass it as an id.
fn ids(uid: Option<u32>, gid: Option<u32>) -> (Option<Uid>, Option<Gid>) {
    (
        uid.filter(|&u| u != u32::MAX).map(Uid::from_raw),
        gid.filter(|&g| g != u32::MAX).map(Gid::from_raw),
    )
}

impl Dir {
    /// Sets this directory's permission bits (`fchmod`).
    pub fn set_mode(&self, mode: u32) -> Result<(), Error> {
        fchmod(self.raw(), Mode::from_raw_mode(mode as _)).map_err(|e| {
            self.shared()
                .at(self.rel().into(), "setting the mode")
                .errno(e)
        })
    }

    /// Sets this directory's owner and group (`fchown`; `None` keeps).
    pub fn set_owner(&self, uid: Option<u32>, gid: Option<u32>) -> Result<(), Error> {
        let (u, g) = ids(uid, gid);
        fchown(self.raw(), u, g).map_err(|e| {
            self.shared()
                .at(self.rel().into(), "setting the owner")
                .errno(e)
        })
    }

    /// Sets this directory's times (`futimens`).
    pub fn set_times(&self, t: &Timestamps) -> Result<(), Error> {
        futimens(self.raw(), t).map_err(|e| {
            self.shared()
                .at(self.rel().into(), "setting times")
                .errno(e)
        })
    }

    /// Sets the owner and group of entry `name`, a symlink itself rather
    /// than its target (`fchownat(AT_SYMLINK_NOFOLLOW)`, i.e. `lchown`).
    pub fn set_owner_at(
        &self,
        name: impl AsRef<OsStr>,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "setting the owner")?;
        let (u, g) = ids(uid, gid);
        chownat(self.raw(), name, u, g, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| self.at(name, "setting the owner").errno(e))
    }

    /// Sets the times of entry `name`, a symlink itself rather than its
    /// target (`utimensat(AT_SYMLINK_NOFOLLOW)`).
    pub fn set_times_at(&self, name: impl AsRef<OsStr>, t: &Timestamps) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "setting times")?;
        utimensat(self.raw(), name, t, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| self.at(name, "setting times").errno(e))
    }

    /// Sets the permission bits of entry `name` without opening it for
    /// I/O (so a device or a FIFO is safe): it is opened `O_PATH |
    /// O_NOFOLLOW`, and the mode is set on exactly that inode through
    /// `/proc/self/fd` (the kernel has no `fchmodat(AT_SYMLINK_NOFOLLOW)`
    /// before 6.6). A symlink is [`Error::Symlink`] (Linux symlinks have no
    /// mode of their own). Regular files and directories the caller holds
    /// open are better set with `fchmod` on that fd.
    pub fn set_mode_at(&self, name: impl AsRef<OsStr>, mode: u32) -> Result<(), Error> {
        let name = self.check(name.as_ref(), "setting the mode")?;
        let at = || self.at(name, "setting the mode");
        let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(self.raw(), name, flags, Mode::empty())
            .map_err(|e| at().errno(e))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| at().errno(e))?;
        if FileType::from_raw_mode(st.st_mode) == FileType::Symlink {
            return Err(at().symlink());
        }
        let proc = format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd());
        rustix::fs::chmod(proc.as_str(), Mode::from_raw_mode(mode as _)).map_err(|e| match e {
            Errno::NOENT => at().io(std::io::Error::other(
                "/proc is not mounted (needed to set the mode of a special file)",
            )),
            e => at().errno(e),
        })
    }
}
