//! The rules of a Coda target ([`super::RestoreOptions::coda`]), shared by
//! the restore and `verify --against`: a mount link of the dump (spec
//! `pioctl.md` §6.3) becomes a mount point made with mkmount through the
//! directory the restore holds open, and a file's names outside its first
//! name's directory are copies (Coda keeps hard links inside one
//! directory).

use std::io;
use std::path::Path;

use beneath::{Dir, FileKind};

use super::plan::{Kind, ObjectInfo};
use super::target::{Ctx, Existing};
use super::{CodaTarget, HeldDir, RestoreError};
use crate::mount_link::link_volume;
use crate::tree::Fid;

/// The volume the mount link `obj` with target `target` names, if it is
/// one (a symlink of mode 0644 whose target starts with `#` or `@`).
pub(crate) fn mount_volume<'t>(obj: &ObjectInfo, target: &'t [u8]) -> Option<&'t [u8]> {
    if obj.kind != Kind::Symlink {
        return None;
    }
    link_volume(obj.mode, target)
}

/// Whether `obj` may be a mount link, before its target is read.
pub(crate) fn maybe_mount(obj: &ObjectInfo) -> bool {
    obj.kind == Kind::Symlink && obj.mode == 0o644
}

/// Calls `f` with `dir` (at `rel` beneath the target) as a [`HeldDir`].
pub(crate) fn with_held<T>(
    ctx: &Ctx,
    dir: &Dir,
    rel: &Path,
    fid: Option<Fid>,
    f: impl FnOnce(&HeldDir<'_>) -> T,
) -> Result<T, RestoreError> {
    let b = |e| RestoreError::beneath(fid, e);
    let root_st = ctx.root.top().stat_self().map_err(b)?;
    let st = dir.stat_self().map_err(b)?;
    let path = dir.path();
    Ok(f(&HeldDir {
        path: &path,
        rel,
        dev: st.st_dev,
        ino: st.st_ino,
        root: ctx.root.path(),
        root_dev: root_st.st_dev,
        root_ino: root_st.st_ino,
    }))
}

/// Makes the mount link `obj` for `volume` at each of its names, with
/// mkmount through the held parent directory. What is already at a name:
/// resuming, a mount point (a directory: its volume's root, or a symlink:
/// not mounted) is the one this restore made before it stopped and is
/// kept, so mkmount is not sent twice; with `--force` a symlink is removed
/// first, but a directory is refused (it may be a mounted volume, which
/// is never emptied); a fresh restore refuses anything.
pub(crate) fn make_mounts(
    ctx: &Ctx,
    coda: &dyn CodaTarget,
    obj: &ObjectInfo,
    volume: &[u8],
) -> Result<(), RestoreError> {
    let fid = obj.fid;
    let b = |e| RestoreError::beneath(Some(fid), e);
    for p in &obj.paths {
        let (dir, name) = ctx.root.parent(p).map_err(b)?;
        let fail = |what: String| {
            RestoreError::target(
                Some(fid),
                dir.path().join(name),
                "making the mount point",
                io::Error::other(what),
            )
        };
        let volume = std::str::from_utf8(volume).map_err(|_| {
            fail(format!(
                "the mount link names volume {:?}, which is not UTF-8",
                String::from_utf8_lossy(volume)
            ))
        })?;
        match dir.kind(name).map_err(b)? {
            None => {}
            Some(FileKind::Dir | FileKind::Symlink) if ctx.existing == Existing::Verify => {
                continue;
            }
            Some(FileKind::Symlink) if ctx.existing == Existing::Replace => {
                dir.remove_file(name).map_err(b)?;
            }
            Some(k) => return Err(ctx.in_the_way(Some(fid), &dir, name, k, "mount point")),
        }
        let rel = p.parent().unwrap_or(Path::new(""));
        with_held(ctx, &dir, rel, Some(fid), |held| {
            coda.make_mount(held, name, volume)
        })?
        .map_err(fail)?;
    }
    Ok(())
}

/// Resuming: a mount link the journal says is complete is a mount point
/// (a directory or a symlink) at each of its names.
pub(crate) fn check_mounts_done(ctx: &Ctx, obj: &ObjectInfo) -> Result<(), RestoreError> {
    let b = |e| RestoreError::beneath(Some(obj.fid), e);
    for p in &obj.paths {
        let (dir, name) = ctx.root.parent(p).map_err(b)?;
        match dir.kind(name).map_err(b)? {
            Some(FileKind::Dir | FileKind::Symlink) => {}
            Some(k) => return Err(ctx.in_the_way(Some(obj.fid), &dir, name, k, "mount point")),
            None => {
                return Err(RestoreError::NotOurs {
                    vnode: Some(obj.fid),
                    path: dir.path().join(name),
                    found: "missing entry",
                    expected: "mount point",
                    resuming: true,
                })
            }
        }
    }
    Ok(())
}
