//! The dump header (spec §4).

/// The dump header: which volume was dumped, when, and at what level.
/// Spec §4; field tags in §3.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpHeader {
    /// DUMPVERSION read after the magic (always 2 in practice).
    pub version: u32,
    /// `v`: id of the dumped (backup or read-only clone) volume; never 0.
    pub volume_id: u32,
    /// `p`: id of the read-write volume the clone belongs to.
    pub parent_id: u32,
    /// `n`: name of the dumped volume, raw bytes without the NUL.
    pub volume_name: Vec<u8>,
    /// `b`: when the clone was made (Unix seconds).
    pub backup_date: u32,
    /// `i`: 0 for a full dump, else the incremental level.
    pub incremental: u32,
    /// `I` first value: the state this dump is relative to (spec §8.3).
    pub oldest: u32,
    /// `I` second value: the state that was dumped (spec §8.3).
    pub latest: u32,
}

impl DumpHeader {
    /// True for a full dump (`i` = 0).
    pub fn is_full(&self) -> bool {
        self.incremental == 0
    }
}

impl Default for DumpHeader {
    fn default() -> Self {
        DumpHeader {
            version: crate::tag::DUMP_VERSION,
            volume_id: 0,
            parent_id: 0,
            volume_name: Vec::new(),
            backup_date: 0,
            incremental: 0,
            oldest: 0,
            latest: 0,
        }
    }
}
