//! The output files of `dump to-tar -o`, `dump merge` and `dump create -o`:
//! [`beneath::AtomicFile`]s, durable (writeback starts while they are
//! written; flushed, renamed into place, the directory flushed), mode 0644;
//! and the one rule for binary output to stdout ([`binary_stdout`]).

use std::io::IsTerminal;
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

/// Binary output (`what`: a volume dump, a tar) is never written to a
/// terminal: with stdout a terminal this is a usage error (exit 2, one
/// line), as `gzip` and `tar` refuse; a pipe or a redirect is fine.
pub fn binary_stdout(what: &str) -> Result<()> {
    if std::io::stdout().is_terminal() {
        return Err(exit::usage(format!(
            "stdout: is a terminal; {what} is binary (expected -o FILE, or stdout redirected to a file or a pipe)"
        )));
    }
    Ok(())
}
