//! The restore journal `.coda-rs-restore.json`: which dump chain is being
//! restored into the target and how far it got. Written atomically (a
//! fresh temporary file renamed over the old journal), read and written
//! only through the target's fd (never through a symlink).

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};

use beneath::{Access, Root};

use serde::{Deserialize, Serialize};

use super::RestoreError;
use crate::model::Dump;
use crate::DumpHeader;

/// File name of the journal in the target directory.
pub const JOURNAL_NAME: &str = ".coda-rs-restore.json";

/// Identity of one dump of the chain, from its header (spec §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpId {
    /// Volume id.
    pub volume_id: u32,
    /// Read-write parent volume id.
    pub parent_id: u32,
    /// Volume name (lossily decoded).
    pub volume_name: String,
    /// Backup date (seconds since 1970).
    pub backup_date: u32,
    /// Incremental level (0: full).
    pub level: u32,
    /// Ordering stamps (spec §8.3).
    pub oldest: u32,
    /// Ordering stamps (spec §8.3).
    pub latest: u32,
}

impl DumpId {
    fn of(h: &DumpHeader) -> Self {
        DumpId {
            volume_id: h.volume_id,
            parent_id: h.parent_id,
            volume_name: String::from_utf8_lossy(&h.volume_name).into_owned(),
            backup_date: h.backup_date,
            level: h.incremental,
            oldest: h.oldest,
            latest: h.latest,
        }
    }
}

/// The chain being restored: the full dump, then each incremental.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceId {
    /// The full dump.
    pub full: DumpId,
    /// The incrementals, oldest first.
    pub incrementals: Vec<DumpId>,
}

impl SourceId {
    /// The identity of a chain.
    pub fn new(full: &DumpHeader, incs: &[Dump]) -> Self {
        SourceId {
            full: DumpId::of(full),
            incrementals: incs.iter().map(|d| DumpId::of(&d.header)).collect(),
        }
    }
}

/// The journal's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Format version (1).
    pub version: u32,
    /// The chain.
    pub source: SourceId,
    /// `started` (directories may be partly created), `objects` (the
    /// small index is being restored), or `complete` (written by earlier
    /// versions: a finished restore now removes its journal).
    pub phase: String,
    /// Objects of the small index (files, symlinks; walk order) that are
    /// completely written; a resume rewrites everything after them.
    pub completed_objects: u64,
    /// The last completed object, `vnode.unique` in hex.
    pub last_vnode: Option<String>,
    /// Objects handed to writers but not known complete when the journal
    /// was written (always empty: the journal is written once the writers
    /// are idle, so these would be rewritten on resume anyway).
    pub in_flight: Vec<String>,
}

/// Whether `name`, in a restore target's root, is the journal or one of
/// its temporary files: files of the tool, not of the volume.
pub fn is_journal_file(name: &OsStr) -> bool {
    name == JOURNAL_NAME || beneath::is_own_temp(name, JOURNAL_NAME.as_ref())
}

/// The journal files (see [`is_journal_file`]) in the root of the tree
/// `dir`, sorted. A finished restore leaves none: each one says that a
/// restore into `dir` stopped before its end (`--resume` continues it).
pub fn leftover_journal_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| is_journal_file(&e.file_name()))
        .map(|e| dir.join(e.file_name()))
        .collect();
    found.sort();
    found
}

/// A journal larger than this is not one coda-rs wrote.
const MAX_JOURNAL: u64 = 1 << 20;

impl Journal {
    /// The journal's path in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(JOURNAL_NAME)
    }

    /// Reads the journal in the target `root`, if there is one. The
    /// journal is opened `O_NOFOLLOW` and must be a regular file: a
    /// symlink or anything else there is an error, never followed.
    pub fn load(root: &Root) -> Result<Option<Journal>, RestoreError> {
        let path = Self::path(root.path());
        let err = |problem: String| RestoreError::Journal {
            path: path.clone(),
            problem,
        };
        let f = match root.top().open_file(JOURNAL_NAME, Access::Read) {
            Ok(f) => f,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(err(format!("cannot read: {}", e.reason()))),
        };
        let mut bytes = Vec::new();
        f.take(MAX_JOURNAL + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| err(format!("cannot read: {e}")))?;
        if bytes.len() as u64 > MAX_JOURNAL {
            return Err(err(format!(
                "not a restore journal: larger than {MAX_JOURNAL} bytes"
            )));
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| err(format!("not a restore journal: {e}")))
    }

    /// Writes the journal into the target `root`: a fresh temporary file
    /// (`O_CREAT | O_EXCL | O_NOFOLLOW`) renamed over the previous journal
    /// (atomic against a crash of the process); with `durable` the file is
    /// flushed to the device first (atomic against a power loss, at the
    /// price of a file-system commit).
    pub fn save(&self, root: &Root, durable: bool) -> Result<(), RestoreError> {
        let mut text = serde_json::to_vec_pretty(self).expect("the journal serialises");
        text.push(b'\n');
        root.top()
            .replace_file(JOURNAL_NAME, &text, 0o644, durable)
            .map_err(|e| RestoreError::Journal {
                path: Self::path(root.path()),
                problem: format!("{}: {}", e.op(), e.reason()),
            })
    }
}
