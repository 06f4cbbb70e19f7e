//! Crash-safe file replacement, the one way this crate writes a file (the
//! journal, the runbook and its list copies, dumplists): through the
//! `beneath` layer, the new contents go to a fresh temporary file beside
//! the target (created `O_EXCL | O_NOFOLLOW`, never through an existing
//! entry), which is flushed, renamed over the target (a symlink there is
//! replaced, not followed), and the directory is flushed. A reader sees
//! the old file or the new one, never a mixture.
//!
//! A temporary file that a crash left behind is removed by the next write
//! of the same file: `NAME.tmp` (the name earlier versions used) and
//! `NAME.tmp.PID.N` of a process that no longer runs.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::processes::{ProcTable, Processes};
use crate::{Error, Result};

/// Permission bits of the files written.
const MODE: u32 = 0o644;

/// The temporary name earlier versions used for `path`: `<path>.tmp`.
pub fn temp_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Replaces `path` with `bytes` atomically (see the module documentation).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().ok_or_else(|| Error::Invalid {
        subject: path.display().to_string(),
        what: "names no file".to_string(),
        expected: "a path ending in a file name".to_string(),
    })?;
    let parent = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    write_in(&beneath::Root::open(parent)?.top(), name, bytes)
}

/// Replaces the file `name` of the held directory `dir` with `bytes`
/// atomically (see the module documentation).
pub fn write_in(dir: &beneath::Dir, name: &OsStr, bytes: &[u8]) -> Result<()> {
    dir.replace_file(name, bytes, MODE, true)?;
    rustix::fs::fsync(dir).map_err(|e| Error::io(dir.path(), "fsync directory", e.into()))?;
    remove_stale_temps(dir, name);
    Ok(())
}

/// Removes what an interrupted [`write_atomic`] of `name` left in `dir`
/// (best effort: a name that cannot be removed is left for the next try).
fn remove_stale_temps(dir: &beneath::Dir, name: &OsStr) {
    let Ok(entries) = dir.entries() else {
        return;
    };
    let mut legacy = name.as_bytes().to_vec();
    legacy.extend_from_slice(b".tmp");
    for e in entries.flatten() {
        let n = e.name.as_bytes();
        let stale = n == legacy.as_slice()
            || (beneath::is_own_temp(&e.name, name) && !writer_alive(&n[legacy.len() + 1..]));
        if stale {
            let _ = dir.remove_file(&e.name);
        }
    }
}

/// Whether the process `PID` of a temporary name's `PID.N` lives.
fn writer_alive(pid_n: &[u8]) -> bool {
    let pid = pid_n.split(|&b| b == b'.').next().unwrap_or_default();
    match std::str::from_utf8(pid).ok().and_then(|p| p.parse().ok()) {
        Some(pid) => ProcTable.alive(pid),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_and_removes_stale_temps() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.json");
        write_atomic(&p, b"one").unwrap();
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, MODE);
        let legacy = temp_path(&p);
        fs::write(&legacy, b"torn hal").unwrap();
        // A dead writer's temp file (pid 0 never is a user process) and a
        // live one's (this process).
        let dead = dir.path().join("j.json.tmp.0.7");
        let live = dir
            .path()
            .join(format!("j.json.tmp.{}.99", std::process::id()));
        let other = dir.path().join("j.json.tmpx");
        for f in [&dead, &live, &other] {
            fs::write(f, b"x").unwrap();
        }
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert!(!legacy.exists() && !dead.exists());
        assert!(live.exists() && other.exists());
    }

    #[test]
    fn a_symlink_at_the_name_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"keep").unwrap();
        let p = dir.path().join("dumplist.01");
        std::os::unix::fs::symlink(&victim, &p).unwrap();
        std::os::unix::fs::symlink(&victim, temp_path(&p)).unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        assert!(fs::symlink_metadata(&p).unwrap().is_file());
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert!(fs::symlink_metadata(temp_path(&p)).is_err());
    }
}
