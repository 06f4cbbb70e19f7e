//! Parallel, resumable copy of directory trees that keeps everything:
//! content, file types, hard links (across every tree of a run), holes,
//! mode bits, owner and group, times with nanoseconds and, on request,
//! extended attributes and Coda ACLs. This is the `restorevolumes` step of Coda's
//! server re-initialisation (manual §13.6), behind `coda-rs copy`.
//!
//! A run goes through these phases, each parallel with rayon:
//! [`walk`] every source tree (one `lstat` per object, directories read
//! through fds beneath the source root), [`plan`] the items
//! (hard-link groups via [`links`]; on a Coda mount objects are told apart
//! by fid, see [`coda`]), create the directories, copy files,
//! symlinks and specials ([`data`], [`meta`]; [`resume`] skips complete
//! files), create the remaining hard links, set directory metadata
//! deepest first (so that creating children does not move the parents'
//! times), and optionally [`verify`] the content.
//!
//! One failed item never stops the others (unless
//! [`Options::fail_fast`]); every failure is in the [`Report`].
//!
//! Nothing outside the destinations is written and nothing outside the
//! sources is read: both sides are reached only beneath their roots'
//! fds, through the `beneath` layer, never through a symbolic link
//! ([`source`] for reading; every write goes to one name in a held
//! directory, `O_CREAT | O_EXCL | O_NOFOLLOW`, metadata on the open fd).
//! A source object that is not what the walk listed, or that changes while
//! it is copied, fails its item and leaves no partial copy.

pub mod coda;
pub mod data;
pub mod error;
pub mod hook;
pub mod links;
pub mod meta;
mod node;
mod object;
mod pairs;
pub mod plan;
pub mod report;
pub mod resume;
mod run;
pub mod source;
mod summary;
pub mod verify;
pub mod walk;

use std::ffi::OsString;
use std::str::FromStr;

pub use error::{Error, Failure, Op, Warning};
pub use hook::{HookPoint, TestHook};
pub use pairs::parse_pairs;
pub use plan::Pair;
pub use report::{FailureView, NoProgress, Progress, Report, ReportView, WarningView};
pub use run::{copy_pairs, copy_pairs_with};
pub use summary::SummaryOptions;

/// Which attributes the copy keeps besides content and file types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preserve {
    /// Permission bits including setuid, setgid and sticky.
    pub mode: bool,
    /// Owner and group (fully only as root).
    pub ownership: bool,
    /// Access and modification times, with nanoseconds.
    pub timestamps: bool,
    /// Hard links.
    pub links: bool,
    /// Extended attributes.
    pub xattrs: bool,
    /// Coda directory ACLs (both sides on a Coda mount).
    pub acls: bool,
}

impl Default for Preserve {
    /// Mode, ownership, timestamps and links; not xattrs.
    fn default() -> Self {
        Preserve {
            mode: true,
            ownership: true,
            timestamps: true,
            links: true,
            xattrs: false,
            acls: false,
        }
    }
}

impl Preserve {
    /// Nothing but content and types.
    pub fn none() -> Preserve {
        Preserve {
            mode: false,
            ownership: false,
            timestamps: false,
            links: false,
            xattrs: false,
            acls: false,
        }
    }
}

impl FromStr for Preserve {
    type Err = Error;

    /// Parses a comma-separated list: `mode`, `ownership`, `timestamps`,
    /// `links`, `xattr` (the names `cp --preserve` uses), `acl` (Coda
    /// directory ACLs) or `all` (everything but `acl`, which needs Coda on
    /// both sides).
    fn from_str(s: &str) -> Result<Preserve, Error> {
        let mut p = Preserve::none();
        for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "mode" => p.mode = true,
                "ownership" | "owner" => p.ownership = true,
                "timestamps" | "times" => p.timestamps = true,
                "links" => p.links = true,
                "xattr" | "xattrs" => p.xattrs = true,
                "acl" | "acls" => p.acls = true,
                "all" => {
                    p = Preserve {
                        xattrs: true,
                        ..Preserve::default()
                    }
                }
                other => return Err(Error::BadPreserve(other.to_string())),
            }
        }
        Ok(p)
    }
}

/// What to do when a destination already holds data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Existing {
    /// Refuse the run (a missing or empty destination is fine).
    #[default]
    Refuse,
    /// Merge into it, replacing whatever is in the way.
    Force,
    /// Merge into it, skipping files already complete.
    Resume,
}

/// How a run behaves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Worker threads; `None` means one per core.
    pub jobs: Option<usize>,
    /// Policy for destinations that already hold data.
    pub existing: Existing,
    /// Attributes to keep.
    pub preserve: Preserve,
    /// Under [`Existing::Resume`], compare content instead of size and mtime.
    pub checksum: bool,
    /// Re-read both sides after copying and compare content hashes.
    pub verify: bool,
    /// Stop starting new items after the first failure.
    pub fail_fast: bool,
    /// Do not descend into directories on other filesystems.
    pub one_file_system: bool,
    /// Walk and plan only: the report counts what would be copied and
    /// nothing is created.
    pub dry_run: bool,
    /// Regular files in the root of every source tree that are not
    /// copied, by name (their temporary files `NAME.tmp.PID.N` neither):
    /// files of a tool rather than of the tree, such as a restore's
    /// journal. [`Report::left_out`] lists each one left out.
    pub leave_out_root_files: Vec<OsString>,
    /// Checked before each item: once set (Ctrl-C), no further item is
    /// started; items under way finish, so no partial file is left, and
    /// the report counts what was done (a `--resume` run does the rest).
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Test hook: opening a source file whose path ends with this fails
    /// with EIO, as an unreadable disk block would.
    #[doc(hidden)]
    pub fail_read_suffix: Option<OsString>,
    /// Test hook: called where a source object could be swapped (see
    /// [`HookPoint`]).
    #[doc(hidden)]
    pub hook: Option<TestHook>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preserve_lists() {
        let p: Preserve = "mode,timestamps".parse().unwrap();
        assert!(p.mode && p.timestamps && !p.ownership && !p.links && !p.xattrs);
        let all: Preserve = "all".parse().unwrap();
        assert!(all.mode && all.ownership && all.timestamps && all.links && all.xattrs);
        assert!("acl".parse::<Preserve>().unwrap().acls);
        assert!(matches!(
            "mode,bogus".parse::<Preserve>(),
            Err(Error::BadPreserve(w)) if w == "bogus"
        ));
    }
}
