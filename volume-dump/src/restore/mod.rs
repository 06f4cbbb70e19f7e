//! Restoring a dump chain (a full dump plus incrementals) into a directory
//! tree (spec §11.7, with §8 and §10 for the incrementals).
//!
//! [`restore_chain`] makes **one forward pass** over the full dump, which
//! may come from a file, a pipe or a tape:
//!
//! 1. the incrementals (already read into memory with [`Dump::read`]; they
//!    are small) are folded into an *overlay*: for every (vnode, unique)
//!    they touch, the last version, or "removed" (spec §10: pairwise,
//!    oldest first). Full-dump vnodes the overlay names are skipped; the
//!    overlay's vnodes take their place. The resulting tree is the tree of
//!    the merged dump (`dump merge`), without writing that dump.
//! 2. the large index: every directory's pages are listed and its names
//!    recorded (metadata only; pages are not kept).
//! 3. when the small index starts, every directory is created (mode,
//!    owner and mtime come last, step 5).
//! 4. the small index: every file and symlink is written at its first
//!    name; further names become hard links. Files up to
//!    [`SMALL_FILE_LIMIT`] are handed to a bounded pool of writer threads
//!    while the stream is read on; larger files are copied with large
//!    writes on the reading thread, or, when the dump is a file read
//!    directly ([`RestoreOptions::direct`]), by the writers with
//!    `copy_file_range` while the stream seeks past them. Objects no
//!    directory lists go to
//!    `lost+found/%08x.%08x`.
//! 5. directories get mode, owner and mtime, deepest first (after their
//!    children), and the ACLs are written (`..CodaACLs.yaml`, spec §11.5).
//!
//! Memory stays bounded whatever the dump size: file data is never held
//! beyond [`SMALL_FILE_LIMIT`] × the pool's queue; what grows with the
//! dump is the name table (a few dozen bytes per object).
//!
//! A journal (`.coda-rs-restore.json`, see [`JOURNAL_NAME`]) in the target
//! records the source's identity and how many objects of the small index
//! are complete; [`RestoreOptions::resume`] continues from there (the same
//! stream must be supplied again; completed objects are read past). A
//! finished restore removes its journal: the tree then holds what the dump
//! holds, plus `..CodaACLs.yaml` where ACLs go to that file.
//!
//! ```no_run
//! use std::fs::File;
//! use std::path::Path;
//! use volume_dump::restore::{restore_chain, RestoreOptions};
//! use volume_dump::{Dump, ReadOptions};
//!
//! let incr = Dump::read(File::open("vol.incr")?, ReadOptions::default())?;
//! let full = File::open("vol.full")?;
//! let summary = restore_chain(full, &[incr], Path::new("/restore/vol"),
//!                             &RestoreOptions::default(), &mut |_| {})?;
//! println!("{} files, {} bytes", summary.files, summary.bytes);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod against;
mod coda;
mod dry_run;
mod error;
mod fs;
mod journal;
mod plan;
mod pool;
mod reserved;
pub mod tape;
mod target;

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

pub use against::{verify_against, AgainstOptions, Difference};
pub use error::RestoreError;
pub use journal::{is_journal_file, leftover_journal_files, Journal, SourceId, JOURNAL_NAME};

use crate::model::Dump;
use crate::reader::ReadOptions;

/// Files up to this size are written by the worker pool; larger ones are
/// streamed on the reading thread.
pub const SMALL_FILE_LIMIT: usize = 1024 * 1024;

/// A directory of the target as the restore holds it open, handed to an
/// [`AclSetter`]: venus resolves a pioctl's path by name, so the setter
/// must check that `path` still names this directory (on a Coda mount the
/// inode number is a hash of the fid, which getfid returns) before it
/// sets anything.
#[derive(Debug, Clone, Copy)]
pub struct HeldDir<'a> {
    /// The directory's path: the target's path joined with names the
    /// restore validated and resolved beneath the target (no symlink).
    pub path: &'a Path,
    /// The same path relative to the target (empty: the target itself).
    pub rel: &'a Path,
    /// `st_dev` of the held directory.
    pub dev: u64,
    /// `st_ino` of the held directory.
    pub ino: u64,
    /// The target directory's own path (as given to the restore).
    pub root: &'a Path,
    /// `st_dev` of the target directory.
    pub root_dev: u64,
    /// `st_ino` of the target directory.
    pub root_ino: u64,
}

/// Sets a directory's ACL where the target lives on a Coda mount. The
/// CLI implements it with `cfs-ioctl`'s setacl pioctl.
pub trait AclSetter {
    /// Sets the ACL of the held directory `dir` to `acl_text` (the dump's
    /// `X` text without its NUL: counts, then `name<TAB>rights` lines).
    /// Refuses (an error naming the path) when `dir.path` no longer names
    /// the held directory.
    fn set_acl(&self, dir: &HeldDir<'_>, acl_text: &[u8]) -> Result<(), String>;
}

/// What a restore onto a Coda mount asks of venus besides ACLs. The CLI
/// implements it with `cfs-ioctl`'s mkmount pioctl.
pub trait CodaTarget {
    /// Makes the mount link `name` for `volume` (the name a mount link's
    /// target carries: `vol`, `vol@realm`, or empty) in the held directory
    /// `dir` (the mkmount pioctl, spec `pioctl.md` §6.3). Refuses (an
    /// error naming the path) when `dir.path` no longer names the held
    /// directory.
    fn make_mount(&self, dir: &HeldDir<'_>, name: &OsStr, volume: &str) -> Result<(), String>;
}

/// The target is on a Coda mount ([`RestoreOptions::coda`]).
#[derive(Clone)]
pub struct OnCoda(pub Rc<dyn CodaTarget>);

impl std::fmt::Debug for OnCoda {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnCoda(..)")
    }
}

/// Where directory ACLs go.
#[derive(Clone, Default)]
pub enum AclMode {
    /// `..CodaACLs.yaml` in the target directory (the `codadump2tar`
    /// format, spec §11.5).
    #[default]
    Yaml,
    /// Not restored.
    Skip,
    /// Set on each directory through the setter (a Coda mount). Owners are
    /// then best effort: a refused chown is one warning, not an error.
    Set(Rc<dyn AclSetter>),
}

impl std::fmt::Debug for AclMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AclMode::Yaml => "Yaml",
            AclMode::Skip => "Skip",
            AclMode::Set(_) => "Set(..)",
        })
    }
}

/// Options of [`restore_chain`].
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// How the full dump is read.
    pub read: ReadOptions,
    /// Require every incremental's `oldest` stamp to equal the previous
    /// dump's `latest` stamp (spec §8.3); on by default.
    pub check_stamps: bool,
    /// Restore into a target that already holds files (they are replaced
    /// where the dump has the same names).
    pub force: bool,
    /// Continue a restore whose journal is in the target.
    pub resume: bool,
    /// Where ACLs go.
    pub acls: AclMode,
    /// The target is on a Coda mount: the rules venus imposes apply up
    /// front, not when a call fails. A mount link of the dump (a symlink
    /// of mode 0644 whose target starts with `#` or `@`, spec `pioctl.md`
    /// §6.3) is made with mkmount, never as a symlink; a file's names in
    /// other directories than its first name's are copies (Coda keeps
    /// hard links inside one directory), each object with one warning;
    /// owners are best effort. `None`: a plain directory, where a mount
    /// link stays the symlink `codadump2tar` makes.
    pub coda: Option<OnCoda>,
    /// Writer threads for small files (at least 1).
    pub workers: usize,
    /// Write the journal after this many objects (and after every
    /// [`RestoreOptions::journal_bytes`] bytes, and once
    /// [`RestoreOptions::journal_interval`] has passed).
    pub journal_every: u64,
    /// Write the journal after this many data bytes.
    pub journal_bytes: u64,
    /// Write the journal when this long has passed since the last one
    /// (at the next object), so that a slow restore of few objects (large
    /// files, a tape) loses little when it is stopped.
    pub journal_interval: std::time::Duration,
    /// Flush the target file system (syncfs) before each journal write, so
    /// the journal never claims data that a power loss could take back.
    pub sync: bool,
    /// Stop when this becomes true (Ctrl-C): at the next object, after
    /// the writers finished what they were given and the journal says so;
    /// the restore then fails with [`RestoreError::Interrupted`] and
    /// `resume` continues it.
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Test hook: kill the process with SIGKILL right after
    /// this many objects of the small index were handed out.
    pub abort_after_objects: Option<u64>,
    /// Check the target and read the whole chain as a restore does, and
    /// count what it would make (the summary); create and write nothing.
    pub dry_run: bool,
    /// The descriptor the full dump is read straight from
    /// ([`crate::source::Source::open_direct`]): large files are then
    /// copied out of a dump file by the kernel, by the writer threads,
    /// while the stream is read on.
    pub direct: Option<crate::direct::Direct>,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            read: ReadOptions::default(),
            check_stamps: true,
            force: false,
            resume: false,
            acls: AclMode::Yaml,
            coda: None,
            workers: 4,
            journal_every: 2048,
            journal_bytes: 256 << 20,
            journal_interval: std::time::Duration::from_secs(5),
            sync: false,
            stop: None,
            abort_after_objects: None,
            dry_run: false,
            direct: None,
        }
    }
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreSummary {
    /// Directories created (the target itself included).
    pub directories: u64,
    /// Regular files written.
    pub files: u64,
    /// Symbolic links created.
    pub symlinks: u64,
    /// Further names of files (hard links).
    pub hard_links: u64,
    /// Mount links made with mkmount (a Coda target).
    pub mount_points: u64,
    /// Names of files made as copies, not hard links (a Coda target).
    pub copies: u64,
    /// Objects placed under `lost+found` because no directory lists them.
    pub unnamed: u64,
    /// File data bytes written.
    pub bytes: u64,
    /// Objects skipped because the journal said they were complete.
    pub resumed_objects: u64,
    /// The journal said the restore had finished: nothing was done.
    pub already_complete: bool,
    /// Things worth telling the user (each once), e.g. owners not set.
    pub warnings: Vec<String>,
}

/// Progress of a running restore, passed to the callback of
/// [`restore_chain`] after every object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the full dump read so far.
    pub stream_bytes: u64,
    /// Objects (directories, files, symlinks) done.
    pub objects: u64,
    /// File data bytes written.
    pub bytes: u64,
}

/// Restores the full dump read from `full`, with `incrementals` (oldest
/// first) applied, into the directory `into`, which becomes the volume's
/// root directory (created if missing). Spec §11.7.
///
/// Refuses ([`RestoreError::Refused`]) a target that holds anything but a
/// journal unless [`RestoreOptions::force`] or (with a matching journal)
/// [`RestoreOptions::resume`]. Errors name the vnode and path concerned;
/// the journal is left consistent, so a later `resume` continues.
pub fn restore_chain<R: Read>(
    full: R,
    incrementals: &[Dump],
    into: &Path,
    opts: &RestoreOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<RestoreSummary, RestoreError> {
    fs::restore(full, incrementals, into, opts, progress)
}
