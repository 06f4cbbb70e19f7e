//! Checks shared by the fuzz targets in `fuzz_targets/`.

use std::path::PathBuf;

use recovery_plan::runbook::Settings;
use recovery_plan::Error;

/// Number of lines of a text file as the line-based parsers count them
/// (a last line without a newline counts; an empty file has none).
pub fn line_count(data: &[u8]) -> usize {
    let newlines = data.iter().filter(|&&b| b == b'\n').count();
    newlines + usize::from(!data.is_empty() && !data.ends_with(b"\n"))
}

/// Asserts that an error of a line-based parser (VolumeList, VRList,
/// dumplist, server.conf) names the file it was given and a line of it.
pub fn assert_names_a_line(e: &Error, data: &[u8], file: &str) {
    match e {
        Error::Syntax { file: f, line, .. } => {
            assert_eq!(f, file, "error names another file: {e}");
            let lines = line_count(data).max(1);
            assert!(
                (1..=lines).contains(line),
                "error names line {line} of a {lines}-line file: {e}"
            );
        }
        other => panic!("a parser error that names no line: {other}"),
    }
}

/// Splits `data` at its first NUL byte (text files never hold one): the
/// part before and, if there was a NUL, the part after.
pub fn split_nul(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    }
}

/// A scratch directory, in memory (`/dev/shm`) where there is one: the
/// file-system targets create and remove one per input.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    let b = tempfile::Builder::new().prefix("coda-rs-fuzz.").to_owned();
    if shm.is_dir() {
        b.tempdir_in(shm)
    } else {
        b.tempdir()
    }
    .expect("a scratch directory")
}

/// The names in directory `dir`, sorted.
pub fn names_in(dir: &std::path::Path) -> Vec<std::ffi::OsString> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("the scratch directory reads")
        .map(|e| e.expect("a directory entry").file_name())
        .collect();
    v.sort();
    v
}

/// While alive, the calling thread, and every thread it starts, runs with
/// the effective user and group `nobody` (65534) and no supplementary
/// groups, so that a target which writes files (a restore of a hostile
/// dump) cannot damage the machine it runs on, whatever the input makes
/// the code under test do. Dropping it returns to root. Nothing changes
/// when the process does not run as root.
///
/// Linux credentials are per thread (`set_thread_*`): the fuzzer's own
/// writes (corpus, artifacts) stay root's, the saved ids stay root so the
/// thread can come back.
pub struct Unprivileged {
    groups: Option<Vec<rustix::process::Gid>>,
}

/// `nobody` on Debian.
const NOBODY: u32 = 65534;

impl Unprivileged {
    /// Switches the calling thread to `nobody` (if it runs as root).
    pub fn enter() -> Self {
        use rustix::process::{geteuid, getgroups, Gid, Uid};
        use rustix::thread::{set_thread_groups, set_thread_res_gid, set_thread_res_uid};
        if !geteuid().is_root() {
            return Unprivileged { groups: None };
        }
        let groups = getgroups().expect("getgroups");
        set_thread_groups(&[]).expect("setgroups");
        let (uid, gid) = (Uid::from_raw(NOBODY), Gid::from_raw(NOBODY));
        set_thread_res_gid(None, gid, None).expect("setresgid");
        set_thread_res_uid(None, uid, None).expect("setresuid");
        Unprivileged {
            groups: Some(groups),
        }
    }
}

impl Drop for Unprivileged {
    fn drop(&mut self) {
        use rustix::process::{Gid, Uid};
        use rustix::thread::{set_thread_groups, set_thread_res_gid, set_thread_res_uid};
        if let Some(groups) = &self.groups {
            set_thread_res_uid(None, Uid::ROOT, None).expect("back to root");
            set_thread_res_gid(None, Gid::ROOT, None).expect("back to group root");
            set_thread_groups(groups).expect("groups back");
        }
    }
}

/// Runbook settings as `reinit init` makes them for a server whose RVM
/// lives on partitions (the planners' targets use them).
pub fn runbook_settings() -> Settings {
    let p = |s: &str| PathBuf::from(s);
    Settings {
        server: None,
        state_dir: p("/var/lib/coda-rs/reinit"),
        volume_list: p("/var/lib/coda-rs/reinit/VolumeList"),
        vrlist: p("/var/lib/coda-rs/reinit/VRList"),
        tape_size: "20G".into(),
        dumplist_dir: p("/vice/backup"),
        dump_dir: p("/backup/dumps"),
        rvm_log: p("/dev/sdb1"),
        rvm_log_size: "20M".into(),
        rvm_data: p("/dev/sdb2"),
        rvm_data_size: "256M".into(),
        restore_dir: p("/coda/tmp/restore"),
        inited_dir: p("/coda/tmp/inited"),
        reformat_rvm: false,
        client: None,
        staging: true,
    }
}

/// Largest single allocation a target may make. Inputs are at most 1 MiB
/// (`-max_len`); the largest buffer the code sizes itself is a 16 MiB tape
/// record. Anything larger was sized by a length field read from the input.
pub const MAX_ALLOCATION: usize = 64 << 20;

/// The system allocator, except that an allocation larger than
/// [`MAX_ALLOCATION`] aborts the process, which libFuzzer reports as a
/// crash (keeping the input). Without a sanitizer (`-s none`) libFuzzer's
/// own `-malloc_limit_mb` has no malloc hook to act on, and an allocation
/// the kernel overcommits never shows in `-rss_limit_mb`; this does the
/// check instead. Installed by [`bounded_allocations!`].
pub struct BoundedAllocator;

fn check_size(size: usize) {
    if size > MAX_ALLOCATION {
        // Nothing here may allocate: a fixed message, then abort.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"coda-rs fuzz: an allocation of more than 64 MiB (a length field read from the input?)\n",
        );
        std::process::abort();
    }
}

// SAFETY: every call is forwarded unchanged to `System`, which meets the
// `GlobalAlloc` contract; `check_size` only reads the size and may abort.
unsafe impl std::alloc::GlobalAlloc for BoundedAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        check_size(layout.size());
        // SAFETY: the caller's layout obligations are passed on as they are.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        check_size(layout.size());
        // SAFETY: as in `alloc`.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from `System` with this layout (every
        // allocation of the process goes through this allocator).
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        check_size(new);
        // SAFETY: as in `dealloc`; the new size is passed on unchanged.
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

/// Installs [`BoundedAllocator`] as the target's global allocator; every
/// target calls it once at the top level.
#[macro_export]
macro_rules! bounded_allocations {
    () => {
        #[global_allocator]
        static ALLOCATOR: $crate::BoundedAllocator = $crate::BoundedAllocator;
    };
}
