//! The incremental of a tree relative to a full dump kept in a file: what
//! `dump create --incremental-from BASE` and the drill write.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use super::{write_incremental, IncrementalOptions, IncrementalReport};
use crate::error::{Error, Result};

/// Writes the level-`opts.level` incremental dump of the tree at `root`
/// relative to the full dump in the file `base` (spec §8): the volume id,
/// name and parent come from the base, the `oldest` stamp is the base's
/// `latest` (§8.3). The base must be a regular file: unchanged file data
/// is compared by seeking back into it.
pub fn write_incremental_from<W: Write>(
    base: &Path,
    root: &Path,
    opts: &IncrementalOptions,
    out: W,
) -> Result<(W, IncrementalReport)> {
    let named = |what: String| Error::Merge(format!("{}: {what}", base.display()));
    let f = File::open(base).map_err(|e| named(e.to_string()))?;
    let meta = f.metadata().map_err(|e| named(e.to_string()))?;
    if !meta.is_file() {
        return Err(named(
            "not a regular file (expected a full dump file: its data is read again by seeking)"
                .into(),
        ));
    }
    write_incremental(BufReader::with_capacity(1 << 20, f), root, opts, out)
}
