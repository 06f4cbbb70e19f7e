//! Checking a merged dump before it is kept: the checks `dump verify`
//! makes (spec §9.3, with the consistency rules of §6, §7 and §12.7) run
//! on the written result. A merge of a real full dump with a real
//! incremental can name vnodes the result does not hold (spec §10: a
//! `-i -N` incremental keeps deleted directories, whose pages still list
//! removed files); `codamergedump` writes such a dump without a word, and
//! a server that restores it aborts at its next start.

use std::io::{BufReader, Read, Seek, SeekFrom};

use crate::error::{Error, Result};
use crate::reader::ReadOptions;
use crate::verify::{verify, Problem, Severity, VerifyOptions};

/// What the checks found in a merged dump.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultCheck {
    /// Every finding of the checks, errors and warnings, in stream order.
    pub problems: Vec<Problem>,
    /// Findings of severity [`Severity::Error`].
    pub errors: usize,
    /// Vnodes no directory lists. `dump verify` only warns about them in a
    /// dump it is given, but a merge that makes one has lost a removal.
    pub orphans: usize,
}

impl ResultCheck {
    /// True when the merged dump must not be kept: `dump verify` finds
    /// errors in it, or it holds vnodes no directory lists.
    pub fn rejects(&self) -> bool {
        self.errors > 0 || self.orphans > 0
    }

    /// Why a result the checks reject must not be kept, in words.
    pub fn why(&self) -> String {
        format!(
            "the merged dump fails the checks of dump verify ({} errors, {} vnodes in no \
             directory); a server restoring it aborts at its next start",
            self.errors, self.orphans
        )
    }
}

/// Reads the merged dump in `out` from its start and checks it; leaves
/// `out` positioned at its end.
pub(super) fn check_result<R: Read + Seek>(out: &mut R) -> Result<ResultCheck> {
    out.seek(SeekFrom::Start(0))
        .map_err(|source| Error::Io { offset: 0, source })?;
    let opts = VerifyOptions {
        read: ReadOptions::default(),
        restore_checks: false,
    };
    let rep = verify(BufReader::with_capacity(1 << 20, &mut *out), opts)?;
    out.seek(SeekFrom::End(0))
        .map_err(|source| Error::Io { offset: 0, source })?;
    Ok(ResultCheck {
        errors: rep.count(Severity::Error),
        orphans: rep.orphans.len(),
        problems: rep.problems,
    })
}
