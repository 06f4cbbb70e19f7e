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
