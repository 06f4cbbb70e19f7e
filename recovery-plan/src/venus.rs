//! The check `reinit run` makes before a step writes where only venus
//! should receive the data: the directory is on a Coda mount and venus
//! answers. With venus down, `/coda` is a plain directory of the local
//! root disk, and a restore "into /coda/tmp/inited/NAME" would fill that
//! disk instead of the recreated volume.
//!
//! [`must_be_coda`] says which directories need the check (those beneath
//! the recreated volumes' mount directory, the cell's root, or the
//! client's Coda mount point); a [`Venus`] carries it out: [`CfsVenus`]
//! through `cfs_ioctl` (statfs magic of the nearest existing ancestor,
//! then a getfid pioctl that venus must answer), tests with a recording
//! transport (`cfs_ioctl::recording`) or a stub.

use std::path::{Path, PathBuf};

use cfs_ioctl::recording::Recording;
use cfs_ioctl::{mountpoint, Client, TransportKind};

use crate::runbook::Runbook;

/// Checks that venus serves a directory.
pub trait Venus {
    /// `Ok` when `dir` (or, when it does not exist yet, its nearest
    /// existing ancestor) is on a Coda mount and venus answers a pioctl
    /// there; otherwise what is wrong, in words.
    fn serves(&self, dir: &Path) -> Result<(), String>;
}

/// The nearest existing ancestor of `dir` (`dir` itself when it exists;
/// a relative path ends at `.`). A symlink counts as existing and is not
/// followed here: venus, or the refusal, will see it.
pub fn existing_ancestor(dir: &Path) -> PathBuf {
    let mut p = dir;
    loop {
        if p.symlink_metadata().is_ok() {
            return p.to_path_buf();
        }
        match p.parent() {
            Some(q) if !q.as_os_str().is_empty() => p = q,
            _ => return PathBuf::from(if dir.is_absolute() { "/" } else { "." }),
        }
    }
}

/// Venus through `cfs_ioctl`: the statfs check of the nearest existing
/// ancestor, then getfid on it over the default transport at the mount
/// point venus.conf names.
#[derive(Debug, Clone, Copy, Default)]
pub struct CfsVenus;

impl Venus for CfsVenus {
    fn serves(&self, dir: &Path) -> Result<(), String> {
        let at = existing_ancestor(dir);
        // Tests without venus: the recording transport answers for the
        // directory it names (`cfs_ioctl::recording`).
        let client = match Recording::from_env().filter(|r| r.covers(&at)) {
            Some(r) => Client::with_transport(Box::new(r)),
            None => {
                mountpoint::check_coda(&at).map_err(|e| e.to_string())?;
                let mnt = mountpoint::discover(None);
                Client::connect(&mnt, TransportKind::default()).map_err(|e| e.to_string())?
            }
        };
        client
            .getfid(&at)
            .map(drop)
            .map_err(|e| format!("{}: venus does not answer: {e}", at.display()))
    }
}

/// True when a step writing into `dir` must find it on a Coda mount:
/// `dir` lies beneath the runbook's mount directory of the recreated
/// volumes, the cell's root (`/coda`), or `coda_mount` (the client's Coda
/// mount point, from venus.conf). A staging directory elsewhere (local
/// disk) needs no venus.
pub fn must_be_coda(runbook: &Runbook, dir: &Path, coda_mount: &Path) -> bool {
    let s = &runbook.settings;
    dir.starts_with(&s.inited_dir)
        || dir.starts_with(coda_mount)
        || runbook
            .cell
            .as_ref()
            .is_some_and(|c| dir.starts_with(&c.coda_dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_existing_ancestor() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(existing_ancestor(d.path()), d.path());
        assert_eq!(existing_ancestor(&d.path().join("a/b/c")), d.path());
        assert_eq!(
            existing_ancestor(Path::new("no-such-dir-here/x")),
            Path::new(".")
        );
    }

    #[test]
    fn a_plain_directory_is_refused_naming_it() {
        let d = tempfile::tempdir().unwrap();
        let e = CfsVenus.serves(&d.path().join("new")).unwrap_err();
        assert!(e.contains(&d.path().display().to_string()), "{e}");
    }
}
