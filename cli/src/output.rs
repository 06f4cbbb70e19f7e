//! The output files of `dump to-tar -o`, `dump merge` and `dump create -o`:
//! [`beneath::AtomicFile`]s, durable (writeback starts while they are
//! written; flushed, renamed into place, the directory flushed), mode 0644.

use std::path::Path;

use anyhow::Result;
use beneath::{AtomicFile, AtomicOptions};

use crate::exit;

/// Starts the output file `path`; with `replace` an existing file there is
/// replaced when the output is committed, otherwise it is refused then.
pub fn create(path: &Path, replace: bool) -> Result<AtomicFile> {
    let opts = AtomicOptions {
        mode: 0o644,
        durable: true,
        replace,
    };
    Ok(AtomicFile::create(path, opts)?)
}

/// Puts the finished output in place; a name that appeared meanwhile is
/// refused (exit 3) with `exists`, naming `path`.
pub fn commit(file: AtomicFile, path: &Path, exists: &str) -> Result<()> {
    file.commit().map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            exit::refused(format!("{}: {exists}", path.display()))
        } else {
            e.into()
        }
    })
}
