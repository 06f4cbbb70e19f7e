//! Helpers shared by the `rvm_*` integration tests: masks for the
//! run-dependent bytes the golden README lists, byte comparison with a
//! readable first difference, and loop devices.

#![allow(dead_code)] // each test binary uses a subset

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Byte ranges whose content legitimately differs between runs.
#[derive(Default, Clone, Debug)]
pub struct Mask(pub Vec<Range<usize>>);

impl Mask {
    pub fn add(&mut self, r: Range<usize>) -> &mut Self {
        self.0.push(r);
        self
    }

    /// Status-block fields that depend on the time of the run (spec §4.2):
    /// chk_sum and the four init/trunc timestamps.
    pub fn init_status(&mut self, base: usize) -> &mut Self {
        self.add(base + 8..base + 16); // chk_sum
        self.add(base + 512..base + 576) // status_init, status_write, last_trunc, prev_trunc
    }

    /// Additionally the timing statistics rdsinit's run leaves (§8.3.1).
    pub fn rdsinit_status(&mut self, base: usize) -> &mut Self {
        self.init_status(base);
        self.add(base + 816..base + 832); // flush_time
        self.add(base + 1536..base + 1568) // tot_flush_time, tot_truncation_time
    }

    /// Record timestamps (header and end marker) of a record at `r` with
    /// `rec_length` (spec §5.2, §5.3).
    pub fn record(&mut self, r: usize, rec_length: usize) -> &mut Self {
        self.add(r + 16..r + 32);
        self.add(r + rec_length + 16..r + rec_length + 32)
    }

    pub fn covers(&self, i: usize) -> bool {
        self.0.iter().any(|r| r.contains(&i))
    }
}

/// Asserts `got == want` outside `mask`, naming the first differing offset.
pub fn assert_same(what: &str, got: &[u8], want: &[u8], mask: &Mask) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: length differs (got {}, golden {})",
        got.len(),
        want.len()
    );
    let diffs: Vec<usize> = (0..want.len())
        .filter(|&i| got[i] != want[i] && !mask.covers(i))
        .take(8)
        .collect();
    assert!(
        diffs.is_empty(),
        "{what}: differs from the golden at byte(s) {:?} (got {:02x?}, golden {:02x?})",
        diffs,
        diffs.iter().map(|&i| got[i]).collect::<Vec<_>>(),
        diffs.iter().map(|&i| want[i]).collect::<Vec<_>>()
    );
}

pub fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// An attached loop device, detached on drop.
pub struct Loop {
    pub dev: PathBuf,
}

impl Loop {
    /// Attaches `image`; `None` if loop devices are unusable here.
    pub fn attach(image: &Path) -> Option<Loop> {
        if !coda_rs_tests::is_root() {
            return None;
        }
        let out = Command::new("losetup")
            .args(["-f", "--show"])
            .arg(image)
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let dev = String::from_utf8(out.stdout).ok()?.trim().to_string();
        Some(Loop {
            dev: PathBuf::from(dev),
        })
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.dev).status();
    }
}

/// Loop devices are required unless `CODA_RS_NO_LOOP=1`: then the test is
/// reported loudly as skipped (and counts as nothing).
pub fn loop_unavailable(test: &str) {
    if std::env::var("CODA_RS_NO_LOOP").as_deref() == Ok("1") {
        eprintln!("\n*** SKIPPED {test}: loop devices unavailable (CODA_RS_NO_LOOP=1); raw-partition compatibility NOT tested ***\n");
        return;
    }
    panic!("{test}: cannot attach a loop device (needs root and losetup); set CODA_RS_NO_LOOP=1 to skip explicitly");
}

/// Strips rvmutl's `* ` prompts from a golden `.status.txt`.
pub fn strip_prompts(text: &str) -> String {
    let t = text.strip_prefix("* ").unwrap_or(text);
    t.trim_end_matches("* ").to_string()
}

/// Writes a golden (gunzipped if needed) into `dir` and returns the path.
pub fn golden_copy(dir: &Path, name: &str, as_name: &str) -> PathBuf {
    let p = dir.join(as_name);
    std::fs::write(&p, coda_rs_tests::read_golden("rvm", name)).unwrap();
    p
}

/// Bytes, mode, owner and modification time of a file: what an attack or
/// refusal test asserts is unchanged.
#[derive(Debug, PartialEq, Eq)]
pub struct FileState {
    pub bytes: Vec<u8>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: (i64, i64),
}

impl FileState {
    pub fn of(path: &Path) -> FileState {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).unwrap();
        FileState {
            bytes: std::fs::read(path).unwrap(),
            mode: m.mode(),
            uid: m.uid(),
            gid: m.gid(),
            mtime: (m.mtime(), m.mtime_nsec()),
        }
    }
}

/// Runs `coda-rs ARGS`; returns (exit code, stdout, stderr).
pub fn run_coda<I, S>(args: I) -> (i32, String, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = coda_rs_tests::coda_rs().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts a refusal: exit `code`, nothing on stdout, one `coda-rs: ` error
/// line containing every string of `expect`.
pub fn assert_refused(what: &str, got: &(i32, String, String), code: i32, expect: &[&str]) {
    let (c, out, err) = got;
    assert_eq!(*c, code, "{what}: exit code; stderr: {err}");
    assert!(out.is_empty(), "{what}: nothing on stdout, got {out}");
    assert_eq!(err.lines().count(), 1, "{what}: one error line, got: {err}");
    assert!(err.starts_with("coda-rs: "), "{what}: {err}");
    for e in expect {
        assert!(err.contains(e), "{what}: error lacks {e:?}: {err}");
    }
}

/// A filesystem mounted for a test, unmounted on drop.
pub struct Mount {
    pub dir: PathBuf,
}

impl Mount {
    /// Mounts `dev` on `dir` (created); panics if mount fails.
    pub fn new(dev: &Path, dir: &Path, options: &str) -> Mount {
        std::fs::create_dir_all(dir).unwrap();
        let st = Command::new("mount")
            .args(["-o", options])
            .arg(dev)
            .arg(dir)
            .status()
            .unwrap();
        assert!(st.success(), "mount {} on {}", dev.display(), dir.display());
        Mount {
            dir: dir.to_path_buf(),
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// Makes an ext4 filesystem on `target` (device or image file); panics
/// with a hint when mkfs.ext4 is missing (`.ci/install` installs e2fsprogs).
pub fn mkfs_ext4(target: &Path) {
    let st = Command::new("mkfs.ext4")
        .args(["-q", "-F"])
        .arg(target)
        .status()
        .expect("mkfs.ext4 (e2fsprogs; .ci/install installs it)");
    assert!(st.success(), "mkfs.ext4 {}", target.display());
}
