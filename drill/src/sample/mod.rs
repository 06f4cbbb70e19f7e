//! Sample volume trees: one deterministic [`Recipe`] (pseudo-random sizes
//! and contents from one [`Rng`]) that the drill writes to disk
//! ([`generate`], then [`change`]) and the benchmarks turn into dumps.

mod recipe;
mod rng;
mod tree;

pub use recipe::{Node, Recipe, SIZES};
pub use rng::Rng;
pub use tree::{change, corrupt, generate};

/// Date of the full dump's state (header stamps, spec §8.3).
pub const DATE_FULL: u32 = 1_700_000_000;
/// Date of the incremental's state.
pub const DATE_INCR: u32 = 1_700_086_400;

/// What a generation or change did.
#[derive(Debug, Default)]
pub struct Tally {
    /// Directories made.
    pub dirs: u64,
    /// Files written.
    pub files: u64,
    /// Symlinks made.
    pub symlinks: u64,
    /// Hard links made.
    pub hard_links: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Files and trees removed.
    pub removed: u64,
    /// Renames.
    pub renamed: u64,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} directories, {} files, {} symlinks, {} hard links, {} bytes written",
            self.dirs, self.files, self.symlinks, self.hard_links, self.bytes
        )?;
        if self.removed + self.renamed > 0 {
            write!(f, "; {} removed, {} renamed", self.removed, self.renamed)?;
        }
        Ok(())
    }
}
