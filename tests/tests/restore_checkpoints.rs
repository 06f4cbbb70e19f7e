//! `dump restore` writes its journal by time as well as by count (issue
//! 16): with the object and byte limits out of reach, the time limit alone
//! brings checkpoints. The clock seam is the hidden `--journal-seconds`:
//! 0 makes every object "late", a huge value never; the process is killed
//! (SIGKILL, CODA_RS_TEST_ABORT_AFTER_VNODES) after N objects and the
//! journal it left says how far the checkpoints got. No timed assertion.

use crate::restore_support;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;

use coda_rs_tests::{coda_rs, scratch};
use restore_support::{golden_dump, manifest_differences};

const HOOK: &str = "CODA_RS_TEST_ABORT_AFTER_VNODES";
const JOURNAL: &str = ".coda-rs-restore.json";

fn restore(into: &Path, seconds: &str, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = coda_rs();
    cmd.args(["dump", "restore", "--journal-every", "1000000"])
        .args(["--journal-seconds", seconds, "--into"])
        .arg(into)
        .args(extra)
        .arg(golden_dump("server-a-full.dump"))
        .arg(golden_dump("server-b-incr.dump"));
    cmd
}

/// Kills a restore after `after` objects; the journal's count of
/// complete objects.
fn completed_when_killed(into: &Path, seconds: &str, after: u64) -> u64 {
    let out = restore(into, seconds, &[])
        .env(HOOK, after.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9), "killed after {after}");
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(into.join(JOURNAL)).unwrap()).unwrap();
    j["completed_objects"].as_u64().unwrap()
}

#[test]
fn the_time_limit_alone_brings_checkpoints() {
    for after in [3, 9, 20, 41] {
        let t = scratch();
        let into = t.path().join("x");
        let done = completed_when_killed(&into, "0", after);
        // Each object asks for a checkpoint; the one saved last is at
        // most two objects behind (a request waits for the writers until
        // the next object's request).
        assert!(
            done + 2 >= after,
            "killed after {after}: journal says {done}"
        );
        restore(&into, "0", &["--resume"]).assert().success();
        assert_eq!(
            manifest_differences(&into, "state-b.manifest.json"),
            Vec::<String>::new(),
            "killed after {after}"
        );
    }
}

#[test]
fn no_checkpoint_before_the_time_limit() {
    for after in [3, 20, 41] {
        let t = scratch();
        let into = t.path().join("x");
        assert_eq!(completed_when_killed(&into, "1000000", after), 0);
        restore(&into, "1000000", &["--resume"]).assert().success();
        assert_eq!(
            manifest_differences(&into, "state-b.manifest.json"),
            Vec::<String>::new(),
            "killed after {after}"
        );
    }
}
