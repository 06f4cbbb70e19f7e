//! A restore's dry run ([`RestoreOptions::dry_run`]): the target is
//! checked as the real restore checks it (a journal of another chain, a
//! non-empty target without `force` or `resume`), the whole chain is read
//! and walked as the real restore walks it (every record parsed, every
//! directory built, data skipped), and the summary counts what the
//! restore would make. Nothing is created, not even the target.

use std::io::Read;
use std::path::Path;

use beneath::Root;

use super::journal::{Journal, SourceId};
use super::plan::{walk, Kind, ObjectInfo, Overlay, Payload, Sink, Tree};
use super::target::existing;
use super::{RestoreError, RestoreOptions, RestoreSummary};
use crate::reader::DumpReader;

/// Counts what restoring the chain (`reader` with `overlay`) into `into`
/// would make, after the checks of a real restore.
pub(super) fn count<R: Read>(
    reader: &mut DumpReader<R>,
    overlay: &Overlay<'_>,
    into: &Path,
    source: &SourceId,
    opts: &RestoreOptions,
) -> Result<RestoreSummary, RestoreError> {
    let mut summary = RestoreSummary::default();
    if std::fs::symlink_metadata(into).is_ok() {
        let root = Root::open(into).map_err(|e| RestoreError::beneath(None, e))?;
        let old = Journal::load(&root)?;
        match existing(&root, into, old.as_ref(), source, opts)? {
            None => {
                summary.already_complete = true;
                return Ok(summary);
            }
            Some((_, skip)) => summary.resumed_objects = skip,
        }
    }
    let mut counter = Counter { summary };
    walk(reader, overlay, &mut counter)?;
    Ok(counter.summary)
}

impl RestoreSummary {
    /// Counts the file or symlink `obj` with `len` bytes of data (each
    /// name after the first as a hard link), as a restore makes it.
    pub(super) fn count(&mut self, obj: &ObjectInfo, len: u64) {
        match obj.kind {
            Kind::Symlink => self.symlinks += 1,
            Kind::File => self.files += 1,
        }
        self.hard_links += obj.paths.len() as u64 - 1;
        self.bytes += len;
    }
}

/// The [`Sink`] of a dry run: counts, writes nothing.
struct Counter {
    summary: RestoreSummary,
}

impl Sink for Counter {
    fn directories(&mut self, tree: &Tree) -> Result<(), RestoreError> {
        self.summary.directories += tree.dirs.len() as u64;
        self.summary
            .warnings
            .extend(tree.renames.warnings.iter().cloned());
        Ok(())
    }

    fn object<R: Read>(
        &mut self,
        obj: &ObjectInfo,
        data: Payload<'_, R>,
    ) -> Result<(), RestoreError> {
        let len = match data {
            Payload::Stream(_, n) => n,
            Payload::Bytes(b) => b.len() as u64,
            Payload::Bad => 0,
        };
        self.summary.unnamed += u64::from(obj.unnamed);
        self.summary.count(obj, len);
        Ok(())
    }

    fn finish(&mut self, _tree: &Tree) -> Result<(), RestoreError> {
        Ok(())
    }
}
