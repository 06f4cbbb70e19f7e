//! What the dump writers report with `--json`: `dump merge`
//! ([`MergeView`]) and `dump create`, full ([`CreateView`]) or
//! incremental ([`IncrementalView`]). Vnode counts are per index, as
//! `dump verify` counts them ([`VnodeCounts`]: large = directories, small
//! = files and symlinks).

use serde::Serialize;

use super::{HeaderView, ProblemView, VnodeCounts};
use crate::create::CreateReport;
use crate::incremental::IncrementalReport;
use crate::merge::MergeReport;
use human::hex_id;

fn counts(c: [u32; 2]) -> VnodeCounts {
    VnodeCounts {
        large: u64::from(c[0]),
        small: u64::from(c[1]),
    }
}

/// `dump merge`: the merged dump written.
#[derive(Debug, Clone, Serialize)]
pub struct MergeView {
    /// Size of the merged dump.
    pub bytes: u64,
    /// Its header.
    pub header: HeaderView,
    /// Where it went.
    pub output: String,
    /// What `dump verify`'s checks found in it (kept only with `--force`
    /// when there are errors).
    pub problems: Vec<ProblemView>,
    /// Vnodes in its large and small index.
    pub vnodes: VnodeCounts,
    /// What codamergedump would print (deletions of vnodes not in the
    /// dump, trailing bytes).
    pub warnings: Vec<String>,
}

impl MergeView {
    /// The view of `r`, written to `output`.
    pub fn new(r: &MergeReport, output: &str) -> Self {
        MergeView {
            bytes: r.bytes,
            header: (&r.header).into(),
            output: output.to_string(),
            problems: r.check.problems.iter().map(ProblemView::from).collect(),
            vnodes: counts(r.vnode_counts),
            warnings: r.warnings.clone(),
        }
    }
}

/// `dump create`: the full dump written.
#[derive(Debug, Clone, Serialize)]
pub struct CreateView {
    /// Bytes written.
    pub bytes: u64,
    /// Where it went (`-`: stdout).
    pub output: String,
    /// Vnodes written per index.
    pub vnodes: VnodeCounts,
    /// Volume id.
    pub volume_id: u32,
    /// [`CreateView::volume_id`] in hex.
    pub volume_id_hex: String,
    /// Volume name.
    pub volume_name: String,
    /// Things left out or changed.
    pub warnings: Vec<String>,
}

impl CreateView {
    /// The view of `r`, the dump of volume `volume_id` named `name`
    /// written to `output`.
    pub fn new(r: &CreateReport, output: &str, volume_id: u32, name: &str) -> Self {
        CreateView {
            bytes: r.bytes,
            output: output.to_string(),
            vnodes: counts([r.directories, r.files]),
            volume_id,
            volume_id_hex: hex_id(volume_id),
            volume_name: name.to_string(),
            warnings: r.warnings.clone(),
        }
    }
}

/// `dump create --incremental-from`: the incremental written.
#[derive(Debug, Clone, Serialize)]
pub struct IncrementalView {
    /// The full dump it is relative to.
    pub base: String,
    /// Bytes written.
    pub bytes: u64,
    /// Its level.
    pub level: u32,
    /// Where it went (`-`: stdout).
    pub output: String,
    /// D_RMVNODE records written per index.
    pub removed: VnodeCounts,
    /// Vnodes sent with their data (new or changed) per index.
    pub sent: VnodeCounts,
    /// Vnodes of the base left out because they did not change.
    pub unchanged: VnodeCounts,
    /// Vnodes of the changed volume per index.
    pub vnodes: VnodeCounts,
    /// Things left out or changed.
    pub warnings: Vec<String>,
}

impl IncrementalView {
    /// The view of `r`, the level-`level` incremental relative to `base`
    /// written to `output`.
    pub fn new(r: &IncrementalReport, base: &str, level: u32, output: &str) -> Self {
        IncrementalView {
            base: base.to_string(),
            bytes: r.bytes,
            level,
            output: output.to_string(),
            removed: counts(r.removed),
            sent: counts(r.sent),
            unchanged: counts(r.unchanged),
            vnodes: counts(r.vnodes),
            warnings: r.warnings.clone(),
        }
    }
}
