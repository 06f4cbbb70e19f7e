//! Paths that venus (T1) or the kernel (T2) resolve by name on behalf of
//! a writer that must reach exactly the object it means: built only from
//! plain names, and sent with follow = 0 (spec §3.3 step 4, §4.3).
//!
//! Venus's name resolution follows `..` and mount points like any path
//! walk, so a name taken from a dump or a user's tree that is `..`, `.`,
//! empty or contains `/` would steer a request to another object. The
//! `*_nofollow` requests of [`crate::Client`] check their path with
//! [`check_path`]; [`join_names`] builds one from a checked base and
//! names taken from elsewhere.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `CODA_MAXNAMLEN`: the longest name of one directory entry (layout.txt
/// `[constants]`).
pub const MAX_NAME: usize = 255;

/// `CODA_MAXPATHLEN`: the longest path venus resolves (spec §2.3).
pub const MAX_PATH: usize = 1024;

fn bad(path: &Path, reason: impl Into<String>) -> Error {
    Error::BadPath {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Why `name` is not one plain directory entry name, if it is not.
pub fn name_problem(name: &[u8]) -> Option<String> {
    if name.is_empty() {
        Some("an empty name".into())
    } else if name == b"." || name == b".." {
        Some(format!("a `{}` component", String::from_utf8_lossy(name)))
    } else if name.contains(&b'/') {
        Some("a name containing `/`".into())
    } else if name.contains(&0) {
        Some("a name containing a NUL byte".into())
    } else if name.len() > MAX_NAME {
        Some(format!(
            "a name of {} bytes (at most {MAX_NAME})",
            name.len()
        ))
    } else {
        None
    }
}

/// Checks that `path` is absolute and made of plain names only: no `.`,
/// `..` or empty component (a trailing `/` is one), no NUL byte, each name
/// at most [`MAX_NAME`] bytes and the whole at most [`MAX_PATH`].
pub fn check_path(path: &Path) -> Result<()> {
    let b = path.as_os_str().as_bytes();
    let Some(rest) = b.strip_prefix(b"/") else {
        return Err(bad(path, "a relative path (expected an absolute one)"));
    };
    if b.len() > MAX_PATH {
        return Err(bad(
            path,
            format!("a path of {} bytes (at most {MAX_PATH})", b.len()),
        ));
    }
    if rest.is_empty() {
        return Ok(());
    }
    for name in rest.split(|&c| c == b'/') {
        if let Some(why) = name_problem(name) {
            return Err(bad(path, why));
        }
    }
    Ok(())
}

/// `base` joined with the names of `rel` (empty: `base` itself), checked
/// as by [`check_path`].
pub fn join_names(base: &Path, rel: &Path) -> Result<PathBuf> {
    let joined = if rel.as_os_str().is_empty() {
        base.to_path_buf()
    } else if rel.as_os_str().as_bytes().starts_with(b"/") {
        return Err(bad(rel, "an absolute path (expected names below the base)"));
    } else {
        base.join(rel)
    };
    check_path(&joined)?;
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_pass() {
        for good in [
            "/",
            "/coda",
            "/coda/usr/jan",
            "/coda/a b/...",
            "/coda/.x/x.",
        ] {
            assert!(check_path(Path::new(good)).is_ok(), "{good:?}");
        }
        let long = format!("/coda/{}", "n".repeat(256));
        for bad in [
            "coda/x",
            "",
            "/coda/../etc",
            "/coda/..",
            "/coda/./x",
            "/coda//x",
            "/coda/x/",
            "/coda/a\0b",
            long.as_str(),
        ] {
            assert!(
                matches!(check_path(Path::new(bad)), Err(Error::BadPath { .. })),
                "{bad:?}"
            );
        }
        let deep = format!("/coda{}", "/abcdefgh".repeat(114));
        assert!(deep.len() > MAX_PATH);
        assert!(check_path(Path::new(&deep)).is_err());
    }

    #[test]
    fn join_keeps_names_below_the_base() {
        let base = Path::new("/coda/tmp/vol");
        assert_eq!(join_names(base, Path::new("")).unwrap(), base);
        assert_eq!(
            join_names(base, Path::new("a/b")).unwrap(),
            Path::new("/coda/tmp/vol/a/b")
        );
        for bad in ["../x", "a/../../x", "/etc", "a//b", "./a"] {
            assert!(join_names(base, Path::new(bad)).is_err(), "{bad:?}");
        }
    }
}
