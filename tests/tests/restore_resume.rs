//! `dump restore --resume` after the process was killed (SIGKILL, through
//! the test hook CODA_RS_TEST_ABORT_AFTER_VNODES) at several points: the
//! tree must equal an uninterrupted restore and hold no journal (issue 16:
//! a finished restore removes it); a second resume is refused and changes
//! nothing.

use crate::restore_support;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};

use coda_rs_tests::{coda_rs, names, scratch};
use restore_support::{golden_dump, manifest_differences, snapshot};

const HOOK: &str = "CODA_RS_TEST_ABORT_AFTER_VNODES";

fn chain() -> Vec<PathBuf> {
    vec![
        golden_dump("server-a-full.dump"),
        golden_dump("server-b-incr.dump"),
    ]
}

fn restore_cmd(into: &Path, extra: &[&str], stdin: bool) -> assert_cmd::Command {
    let mut cmd = coda_rs();
    cmd.args(["dump", "restore", "--journal-every", "5", "--into"])
        .arg(into)
        .args(extra);
    let c = chain();
    if stdin {
        cmd.arg("-").args(&c[1..]).pipe_stdin(&c[0]).unwrap();
    } else {
        cmd.args(&c);
    }
    cmd
}

fn killed_then_resumed(after: u64, stdin: bool) {
    let t = scratch();
    let reference = t.path().join("reference");
    restore_cmd(&reference, &[], false).assert().success();
    let into = t.path().join("x");
    let out = restore_cmd(&into, &[], stdin)
        .env(HOOK, after.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9), "killed after {after} objects");
    assert!(into.join(".coda-rs-restore.json").is_file());
    // Without --resume the half-done target is refused.
    restore_cmd(&into, &[], stdin).assert().code(3);
    restore_cmd(&into, &["--resume"], stdin).assert().success();
    assert_eq!(
        manifest_differences(&into, "state-b.manifest.json"),
        Vec::<String>::new(),
        "killed after {after}"
    );
    let done = snapshot(&into);
    assert_eq!(done, snapshot(&reference), "killed after {after}");
    assert_eq!(names(&into), names(&reference), "killed after {after}");
    assert!(!into.join(JOURNAL).exists(), "killed after {after}");
    let out = restore_cmd(&into, &["--resume"], stdin).assert().code(3);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("a finished restore removes its journal"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(snapshot(&into), done, "second resume changed the tree");
}

const JOURNAL: &str = ".coda-rs-restore.json";

#[test]
fn killed_early() {
    killed_then_resumed(1, false);
}

#[test]
fn killed_after_a_checkpoint() {
    killed_then_resumed(7, false);
}

#[test]
fn killed_in_the_middle() {
    killed_then_resumed(33, false);
}

#[test]
fn killed_in_the_middle_from_stdin() {
    killed_then_resumed(41, true);
}

#[test]
fn killed_near_the_end() {
    killed_then_resumed(77, false);
}

#[test]
fn resume_of_another_dump_is_refused() {
    let t = scratch();
    let into = t.path().join("x");
    let out = restore_cmd(&into, &[], false)
        .env(HOOK, "10")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9));
    coda_rs()
        .args(["dump", "restore", "--resume", "--into"])
        .arg(&into)
        .arg(golden_dump("harness-badinode.dump"))
        .assert()
        .code(3);
}

#[test]
fn resume_on_a_finished_restore_is_refused_and_changes_nothing() {
    let t = scratch();
    let into = t.path().join("x");
    restore_cmd(&into, &[], false).assert().success();
    let before = snapshot(&into);
    let listed = names(&into);
    let out = restore_cmd(&into, &["--resume"], false).assert().code(3);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.starts_with("coda-rs: "), "{err}");
    assert!(err.contains("holds no restore journal"), "{err}");
    assert_eq!(snapshot(&into), before);
    assert_eq!(names(&into), listed);
}

/// A journal that says `complete` (as earlier versions left them): the
/// resume does nothing and removes it.
#[test]
fn a_complete_journal_left_by_an_earlier_version_is_removed() {
    let t = scratch();
    let into = t.path().join("x");
    let out = restore_cmd(&into, &[], false)
        .env(HOOK, "12")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9));
    let mut j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(into.join(JOURNAL)).unwrap()).unwrap();
    j["phase"] = "complete".into();
    std::fs::write(into.join(JOURNAL), serde_json::to_vec(&j).unwrap()).unwrap();
    let before = snapshot(&into);
    let out = restore_cmd(&into, &["--resume"], false).assert().success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("already complete"), "{err}");
    assert!(!into.join(JOURNAL).exists());
    assert_eq!(snapshot(&into), before);
}
