//! Finding the Coda mount point and checking that it is one (spec §2.1).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::CODA_SUPER_MAGIC;

/// The mount point when nothing configures one (spec §2.1).
pub const DEFAULT_MOUNTPOINT: &str = "/coda";

/// Where `venus.conf` is looked for when `CODACONFPATH` is unset: the usual
/// build-time sysconfdir, then `/usr/local/etc/coda` (spec §2.1).
pub const DEFAULT_CONF_DIRS: [&str; 2] = ["/etc/coda", "/usr/local/etc/coda"];

/// The value of `key` in venus.conf-style text: `name=value` lines, `#`
/// starts a comment, surrounding whitespace and quotes are stripped. A later
/// line overrides an earlier one.
pub fn conf_value(text: &str, key: &str) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if name.trim() != key {
            continue;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        found = Some(value.to_string());
    }
    found
}

/// The mount point: `explicit` if given, else `mountpoint=` from the first
/// `venus.conf` found in the colon-separated `codaconfpath` (or, when that
/// is `None`, in `default_dirs`), else `/coda` (spec §2.1).
pub fn discover_with(
    explicit: Option<&Path>,
    codaconfpath: Option<&OsStr>,
    default_dirs: &[&Path],
) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let dirs: Vec<PathBuf> = match codaconfpath {
        Some(list) => std::env::split_paths(list).collect(),
        None => default_dirs.iter().map(|d| d.to_path_buf()).collect(),
    };
    for dir in dirs {
        if let Ok(text) = std::fs::read_to_string(dir.join("venus.conf")) {
            return match conf_value(&text, "mountpoint") {
                Some(m) if !m.is_empty() => PathBuf::from(m),
                _ => PathBuf::from(DEFAULT_MOUNTPOINT),
            };
        }
    }
    PathBuf::from(DEFAULT_MOUNTPOINT)
}

/// [`discover_with`] using the `CODACONFPATH` environment variable and
/// [`DEFAULT_CONF_DIRS`].
pub fn discover(explicit: Option<&Path>) -> PathBuf {
    let env = std::env::var_os("CODACONFPATH");
    let dirs: Vec<&Path> = DEFAULT_CONF_DIRS.iter().map(Path::new).collect();
    discover_with(explicit, env.as_deref(), &dirs)
}

/// Checks that `mountpoint` is a mounted Coda filesystem, so that nothing
/// is sent to (or created in) a plain directory (spec §2.1).
pub fn check_coda(mountpoint: &Path) -> Result<()> {
    let st = rustix::fs::statfs(mountpoint).map_err(|errno| Error::Mountpoint {
        mountpoint: mountpoint.to_path_buf(),
        errno,
    })?;
    #[allow(clippy::unnecessary_cast)] // f_type's width differs between targets
    let magic = st.f_type as u64;
    if magic != CODA_SUPER_MAGIC {
        return Err(Error::NotCoda {
            mountpoint: mountpoint.to_path_buf(),
            magic,
        });
    }
    Ok(())
}

/// True when `dir` (or, for a path not there yet, its nearest existing
/// ancestor; `.` for a relative path with none) is on a Coda mount.
pub fn on_coda(dir: &Path) -> bool {
    let mut p = dir;
    loop {
        if p.exists() {
            return check_coda(p).is_ok();
        }
        match p.parent() {
            Some(q) if !q.as_os_str().is_empty() => p = q,
            _ => return check_coda(Path::new(".")).is_ok(),
        }
    }
}

/// True when a writer into `dir` must follow the rules of a Coda mount:
/// `dir` is on one ([`on_coda`]), or the recording test seam
/// ([`crate::recording`]) counts it as one.
pub fn coda_target(dir: &Path) -> bool {
    on_coda(dir) || crate::recording::Recording::from_env().is_some_and(|r| r.covers(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf_value_strips_comments_and_quotes() {
        let text = "# venus.conf\ncachesize=100000\nmountpoint = \"/mnt/coda\" # here\n";
        assert_eq!(conf_value(text, "mountpoint").as_deref(), Some("/mnt/coda"));
        assert_eq!(
            conf_value("mountpoint=/a\nmountpoint=/b\n", "mountpoint").as_deref(),
            Some("/b")
        );
        assert_eq!(conf_value("#mountpoint=/a\n", "mountpoint"), None);
        assert_eq!(conf_value("mountpoints=/a\n", "mountpoint"), None);
    }

    #[test]
    fn discovery_order() {
        let dir = std::env::temp_dir().join(format!("cfs-ioctl-conf-{}", std::process::id()));
        let (a, b) = (dir.join("a"), dir.join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("venus.conf"), "mountpoint=/from/b\n").unwrap();
        let list = std::env::join_paths([&a, &b]).unwrap();
        let explicit = Path::new("/x");
        assert_eq!(discover_with(Some(explicit), Some(&list), &[]), explicit);
        assert_eq!(discover_with(None, Some(&list), &[]), Path::new("/from/b"));
        assert_eq!(discover_with(None, None, &[&b]), Path::new("/from/b"));
        assert_eq!(discover_with(None, None, &[&a]), Path::new("/coda"));
        // CODACONFPATH replaces the default directories.
        assert_eq!(
            discover_with(None, Some(a.as_os_str()), &[&b]),
            Path::new("/coda")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_plain_directory_is_not_coda() {
        let dir = std::env::temp_dir();
        assert!(matches!(check_coda(&dir), Err(Error::NotCoda { .. })));
        assert!(matches!(
            check_coda(Path::new("/nonexistent/cfs-ioctl")),
            Err(Error::Mountpoint { .. })
        ));
    }
}
