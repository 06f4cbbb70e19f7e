//! Resolving a relative path to a directory fd without ever leaving the
//! target or passing through a symbolic link: `openat2` with
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`, or, on
//! kernels without `openat2` (before 5.6), a walk that opens one component
//! at a time with `O_NOFOLLOW | O_DIRECTORY`.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{openat, openat2, statat, AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// How many times a resolution that raced with a rename (EAGAIN) is
/// retried before it fails.
const RETRIES: usize = 64;

/// Set once `openat2` was seen to be missing (ENOSYS).
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// Flags of every directory open.
pub(crate) fn dir_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

/// How paths are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resolver {
    /// `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
    /// RESOLVE_NO_MAGICLINKS`, falling back to [`Resolver::Walk`] where
    /// the kernel lacks it.
    #[default]
    Openat2,
    /// One `openat(O_NOFOLLOW | O_DIRECTORY)` per component (what kernels
    /// before 5.6 get; selectable so that it is tested everywhere).
    Walk,
}

/// Opens the directory `rel` (validated: plain names only, not empty)
/// beneath `base`.
pub(crate) fn open_dir(base: BorrowedFd<'_>, rel: &Path, how: Resolver) -> Result<OwnedFd, Errno> {
    if how == Resolver::Openat2 && !NO_OPENAT2.load(Ordering::Relaxed) {
        let resolve =
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        for _ in 0..RETRIES {
            match openat2(base, rel, dir_flags(), Mode::empty(), resolve) {
                Err(Errno::AGAIN) => continue,
                Err(Errno::NOSYS) => {
                    NO_OPENAT2.store(true, Ordering::Relaxed);
                    return walk(base, rel);
                }
                // `O_NOFOLLOW | O_DIRECTORY` on a final symlink is
                // ENOTDIR: the walk tells a symlink from a file.
                Err(Errno::NOTDIR) => return walk(base, rel),
                r => return r,
            }
        }
        return Err(Errno::AGAIN);
    }
    walk(base, rel)
}

/// Opens `rel` (validated, not empty) beneath `base` with `flags`, which
/// hold `O_NOFOLLOW`: a symlink anywhere on the way, the last component
/// included, is ELOOP. Resolved afresh, without the directory cache.
pub(crate) fn open_path(
    base: BorrowedFd<'_>,
    rel: &Path,
    flags: OFlags,
    how: Resolver,
) -> Result<OwnedFd, Errno> {
    if how == Resolver::Openat2 && !NO_OPENAT2.load(Ordering::Relaxed) {
        let resolve =
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        for _ in 0..RETRIES {
            match openat2(base, rel, flags, Mode::empty(), resolve) {
                Err(Errno::AGAIN) => continue,
                Err(Errno::NOSYS) => {
                    NO_OPENAT2.store(true, Ordering::Relaxed);
                    break;
                }
                r => return r,
            }
        }
        if !NO_OPENAT2.load(Ordering::Relaxed) {
            return Err(Errno::AGAIN);
        }
    }
    let b = rel.as_os_str().as_bytes();
    let (parent, name) = match b.iter().rposition(|&c| c == b'/') {
        Some(i) => (Some(&b[..i]), &b[i + 1..]),
        None => (None, b),
    };
    let dir = match parent {
        Some(p) => Some(walk(base, Path::new(std::ffi::OsStr::from_bytes(p)))?),
        None => None,
    };
    let at = dir.as_ref().map_or(base, |d| d.as_fd());
    openat(at, std::ffi::OsStr::from_bytes(name), flags, Mode::empty())
}

/// Opens `rel` one component at a time; a symlink component is ELOOP.
fn walk(base: BorrowedFd<'_>, rel: &Path) -> Result<OwnedFd, Errno> {
    let mut cur: Option<OwnedFd> = None;
    for c in rel.as_os_str().as_bytes().split(|&b| b == b'/') {
        let name = std::ffi::OsStr::from_bytes(c);
        let at = cur.as_ref().map_or(base, |f| f.as_fd());
        cur = Some(open_child_dir(at, name)?);
    }
    cur.ok_or(Errno::INVAL)
}

/// Opens the directory `name` (one validated name) in `dir`, refusing a
/// symlink with ELOOP whatever the kernel says about `O_NOFOLLOW |
/// O_DIRECTORY` on one.
pub(crate) fn open_child_dir(
    dir: BorrowedFd<'_>,
    name: &std::ffi::OsStr,
) -> Result<OwnedFd, Errno> {
    match openat(dir, name, dir_flags(), Mode::empty()) {
        Err(Errno::NOTDIR) => match statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => Err(Errno::LOOP),
            _ => Err(Errno::NOTDIR),
        },
        r => r,
    }
}
