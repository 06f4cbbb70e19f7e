//! `coda-rs rvm status` prints what `rvmutl status` prints (spec §12.1) on
//! every golden log, and `--json` carries the same values.

use crate::rvm_support;

use std::path::Path;

use coda_rs_tests::{coda_rs, golden, scratch};
use rvm_support::{golden_copy, strip_prompts};

/// (golden log, raw layout). Each has `<name without .gz>.status.txt`.
const LOGS: &[(&str, bool)] = &[
    ("log_init_64K.log", false),
    ("log_init_1M.log", false),
    ("log_init_20M.log.gz", false),
    ("rdsinit_A.log", false),
    ("rdsinit_A.log.before", false),
    ("rdsinit_B.log", false),
    ("rdsinit_B.log.before", false),
    ("rdsinit_C.log", false),
    ("rdsinit_C.log.before", false),
    ("rdsinit_D.log.gz", false),
    ("rdsinit_D.log.before.gz", false),
    ("rawlog_init_1M.img.gz", true),
    ("rawlog_after_rdsinit.img.gz", true),
];

fn status_of(path: &Path, raw: bool, json: bool) -> String {
    let mut cmd = coda_rs();
    cmd.args(["rvm", "status"]);
    if raw {
        cmd.arg("--raw");
    }
    if json {
        cmd.arg("--json");
    }
    let out = cmd.arg(path).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "status {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The value after the label `label` in a status text.
fn field(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} line in\n{text}"))
        .trim()
        .to_string()
}

pub fn check_status(dir: &Path, name: &str, raw: bool) {
    let plain = name.strip_suffix(".gz").unwrap_or(name);
    let want = strip_prompts(
        &std::fs::read_to_string(golden("rvm", &format!("{plain}.status.txt"))).unwrap(),
    );
    let path = if name.ends_with(".gz") {
        golden_copy(dir, name, plain)
    } else {
        golden("rvm", name)
    };
    let got = status_of(&path, raw, false);
    // The first line names the path the golden was made at; ours names ours.
    let (want_first, want_rest) = want.split_once('\n').unwrap();
    let (got_first, got_rest) = got.split_once('\n').unwrap();
    assert!(
        want_first.starts_with("Status of log:\t"),
        "{name}: {want_first}"
    );
    assert_eq!(
        got_first,
        format!("Status of log:\t{}", path.display()),
        "{name}"
    );
    assert_eq!(got_rest, want_rest, "{name}: status text differs");

    let json: serde_json::Value = serde_json::from_str(&status_of(&path, raw, true)).unwrap();
    let num = |k: &str| {
        json[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: JSON {k} missing"))
    };
    assert_eq!(
        num("log_head").to_string(),
        field(&want, "log head offset:"),
        "{name}"
    );
    assert_eq!(
        num("log_tail").to_string(),
        field(&want, "log tail offset:"),
        "{name}"
    );
    assert_eq!(
        json["log_empty"].as_bool().unwrap().to_string(),
        field(&want, "log empty:"),
        "{name}"
    );
    assert_eq!(
        num("space_used").to_string(),
        field(&want, "space used by records:"),
        "{name}"
    );
    assert_eq!(
        num("space_available").to_string(),
        field(&want, "space available:"),
        "{name}"
    );
    assert_eq!(
        num("total_log_size").to_string(),
        field(&want, "total log size:"),
        "{name}"
    );
    assert_eq!(
        num("first_record_number").to_string(),
        field(&want, "first record number:"),
        "{name}"
    );
    assert_eq!(
        num("last_record_number").to_string(),
        field(&want, "last record number:"),
        "{name}"
    );
    assert_eq!(json["raw"].as_bool(), Some(raw), "{name}");
    assert_eq!(
        json["log_version"].as_str(),
        Some("RVM Log Version  1.4 Oct 17, 1997 "),
        "{name}"
    );
}

#[test]
fn status_matches_rvmutl_on_every_formatting_golden() {
    let dir = scratch();
    for &(name, raw) in LOGS {
        check_status(dir.path(), name, raw);
    }
}

/// Crash vectors: `status` performs the tail scan (spec §6.1) with its side
/// effects, so it prints what rvmutl prints on logs with pending records.
const CRASH_LOGS: &[&str] = &[
    "crash1.log.crash",
    "crash1.log.after",
    "crashwrap.log.crash",
    "crashwrap.log.after",
    "crashwrap2.log.crash",
    "crashwrap2.log.after",
    "crashwrapcut.log.crash",
    "crashwrapcut.log.after",
    "crashbig4.log.crash.gz",
    "crashbig4.log.after.gz",
    "crashbig24.log.crash.gz",
    "crashbig24.log.after.gz",
    "crashnoseg.log.crash",
    "crashnoseg.log.after",
];

#[test]
fn status_matches_rvmutl_on_every_crash_golden() {
    let dir = scratch();
    for name in CRASH_LOGS {
        check_status(dir.path(), name, false);
    }
}

#[test]
fn status_rejects_a_raw_image_read_as_a_file() {
    let dir = scratch();
    let img = golden_copy(dir.path(), "rawlog_init_1M.img.gz", "raw.img");
    let out = coda_rs()
        .args(["rvm", "status"])
        .arg(&img)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!("coda-rs: {}: at byte ", img.display())),
        "{err}"
    );
    assert!(err.contains("--raw"), "{err}");
}
