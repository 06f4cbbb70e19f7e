//! What may be handed to the layer: one plain file name, or a relative
//! path made only of plain file names.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Why `name` is not one plain file name, if it is not: empty, `.`, `..`,
/// or containing `/` or a NUL byte.
pub fn name_problem(name: &OsStr) -> Option<&'static str> {
    let b = name.as_bytes();
    if b.is_empty() {
        Some("the name is empty")
    } else if b == b"." || b == b".." {
        Some("'.' and '..' are not names")
    } else if b.contains(&b'/') {
        Some("the name contains '/'")
    } else if b.contains(&0) {
        Some("the name contains a NUL byte")
    } else {
        None
    }
}

/// What is wrong with a relative path `rel`, if anything: it must be
/// empty (the target itself) or a sequence of plain names. `..`, an
/// absolute path and a NUL byte are refused; `.` components and repeated
/// slashes are refused too, so that one directory has one spelling (the
/// key of the directory cache).
pub(crate) enum PathProblem {
    /// Leaves the target (`..`, absolute).
    Escape,
    /// Malformed (NUL, `.`, `//`).
    Bad(&'static str),
}

pub(crate) fn path_problem(rel: &Path) -> Option<PathProblem> {
    let b = rel.as_os_str().as_bytes();
    if b.is_empty() {
        return None;
    }
    if b.contains(&0) {
        return Some(PathProblem::Bad("the path contains a NUL byte"));
    }
    if b[0] == b'/' {
        return Some(PathProblem::Escape);
    }
    for c in b.split(|&x| x == b'/') {
        match c {
            b".." => return Some(PathProblem::Escape),
            b"." => return Some(PathProblem::Bad("the path has a '.' component")),
            b"" => return Some(PathProblem::Bad("the path has an empty component")),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for bad in ["", ".", "..", "a/b", "/", "a\0b"] {
            assert!(name_problem(OsStr::new(bad)).is_some(), "{bad:?}");
        }
        for good in ["a", "...", ".a", "a b", "lost+found", "\u{e9}"] {
            assert!(name_problem(OsStr::new(good)).is_none(), "{good:?}");
        }
    }

    #[test]
    fn paths() {
        for bad in [
            "/a", "..", "a/..", "a/../b", "./a", "a/./b", "a//b", "a/", "a\0",
        ] {
            assert!(path_problem(Path::new(bad)).is_some(), "{bad:?}");
        }
        for good in ["", "a", "a/b", "a/b/...", ".x/y"] {
            assert!(path_problem(Path::new(good)).is_none(), "{good:?}");
        }
    }
}
