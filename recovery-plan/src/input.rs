//! Where inputs come from: whole files, `-` meaning stdin, and paths made
//! absolute for the runbook's commands.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Reads a whole file, `-` meaning stdin.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(path, "read", e))?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(|e| Error::io(path, "read", e))
    }
}

/// `path` made absolute against the working directory, without resolving
/// symlinks or `..` (the admin's path, as they wrote it).
pub fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| Error::io(path, "make absolute", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_the_working_directory() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(absolute(Path::new("a/../b")).unwrap(), cwd.join("a/../b"));
        assert_eq!(absolute(Path::new("/x/y")).unwrap(), Path::new("/x/y"));
        assert!(matches!(
            absolute(Path::new("")),
            Err(Error::Io {
                op: "make absolute",
                ..
            })
        ));
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let e = read_input(Path::new("/nonexistent/VolumeList")).unwrap_err();
        assert_eq!(e.to_string(), "/nonexistent/VolumeList: read");
    }
}
