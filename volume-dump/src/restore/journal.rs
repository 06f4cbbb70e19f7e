//! The restore journal `.coda-rs-restore.json`: which dump chain is being
//! restored into the target and how far it got. Written atomically (a
//! temporary file renamed over the old journal).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// small index is being restored), `complete`.
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

impl Journal {
    /// The journal's path in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(JOURNAL_NAME)
    }

    /// Reads the journal of `dir`, if there is one.
    pub fn load(dir: &Path) -> Result<Option<Journal>, RestoreError> {
        let path = Self::path(dir);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(RestoreError::Journal {
                    path,
                    problem: format!("cannot read: {e}"),
                })
            }
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| RestoreError::Journal {
                path,
                problem: format!("not a restore journal: {e}"),
            })
    }

    /// Writes the journal into `dir`: a temporary file renamed over the
    /// previous journal (atomic against a crash of the process); with
    /// `durable` the file is flushed to the device first (atomic against
    /// a power loss, at the price of a file-system commit).
    pub fn save(&self, dir: &Path, durable: bool) -> Result<(), RestoreError> {
        let path = Self::path(dir);
        let tmp = dir.join(format!("{JOURNAL_NAME}.tmp"));
        let err = |what: &str, e: std::io::Error| RestoreError::Journal {
            path: path.clone(),
            problem: format!("{what}: {e}"),
        };
        let mut text = serde_json::to_vec_pretty(self).expect("the journal serialises");
        text.push(b'\n');
        let mut f = fs::File::create(&tmp).map_err(|e| err("cannot create", e))?;
        f.write_all(&text).map_err(|e| err("cannot write", e))?;
        if durable {
            f.sync_data().map_err(|e| err("cannot flush", e))?;
        }
        drop(f);
        fs::rename(&tmp, &path).map_err(|e| err("cannot rename into place", e))
    }
}
