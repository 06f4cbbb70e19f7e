//! `coda-rs drill`: the whole recovery rehearsed on built-in data. The
//! small size runs in well under a second here; the test checks the exit
//! code, that the report names every step and check, that the results
//! are left in `--dir`, and that damage to the restored tree is caught.

use std::fs;

use coda_rs_tests::{coda_rs, scratch};

const STEPS: [&str; 8] = [
    "generate",
    "full-dump",
    "change",
    "incremental-dump",
    "rvm-init",
    "restore",
    "copy",
    "verify",
];

const CHECKS: [&str; 5] = [
    "full dump passes verify",
    "incremental dump passes verify",
    "restored tree equals the changed source",
    "copy equals the changed source",
    "RVM log valid, recover is a no-op",
];

/// The report line of `name` (a step or `check <name>`).
fn line_of<'a>(report: &'a str, prefix: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.split_whitespace().next() == Some(prefix) || l.starts_with(prefix))
        .unwrap_or_else(|| panic!("report has no line for {prefix}:\n{report}"))
}

#[test]
fn small_drill_passes_and_reports_every_step() {
    let dir = scratch();
    let work = dir.path().join("drill");
    let out = coda_rs()
        .args(["drill", "--size", "small", "--dir"])
        .arg(&work)
        .output()
        .unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in STEPS {
        let l = line_of(&report, step);
        assert!(l.contains(" s "), "no time on the {step} line: {l}");
        assert!(!l.contains("FAILED"), "{l}");
    }
    for check in CHECKS {
        let l = line_of(&report, &format!("check {check}"));
        assert!(l.contains(" ok "), "{l}");
    }
    assert!(report
        .lines()
        .last()
        .unwrap()
        .starts_with("result: PASS (8 steps, 5 checks, 0 failed)"));
    // Throughput is shown for the data steps.
    assert!(line_of(&report, "full-dump").contains("/s"));
    // The results stay in --dir.
    for f in [
        "full.dump",
        "incremental.dump",
        "rvm/LOG",
        "rvm/DATA",
        "source",
        "restored",
        "copy",
    ] {
        assert!(work.join(f).exists(), "{f} missing from --dir");
    }
    // The incremental really is one, relative to the full dump (§8.3).
    let read = |name: &str| {
        let bytes = fs::read(work.join(name)).unwrap();
        volume_dump::Dump::read(&bytes[..], volume_dump::ReadOptions::default()).unwrap()
    };
    let (full, incr) = (read("full.dump"), read("incremental.dump"));
    assert_eq!(full.header.incremental, 0);
    assert_eq!(incr.header.incremental, 1);
    assert_eq!(incr.header.oldest, full.header.latest);
    assert!(incr.small.entries.len() < full.small.entries.len() / 2);
    // The restored tree holds the changes: a renamed file, a new directory,
    // a deleted directory gone.
    assert!(work.join("restored/moved-up.dat").is_file());
    assert!(work.join("restored/new dir ✓/readme-link").is_symlink());
    assert!(!work.join("restored/dir-04").exists());
    assert!(!work.join("restored/empty").exists());
    assert_eq!(
        fs::read(work.join("restored/README")).unwrap(),
        fs::read(work.join("source/README")).unwrap()
    );
}

#[test]
fn json_report_lists_every_step() {
    let out = coda_rs().args(["drill", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["sample_size"], "small");
    let names: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, STEPS);
    assert_eq!(v["checks"].as_array().unwrap().len(), CHECKS.len());
    // Without --dir the work directory is removed.
    assert!(!std::path::Path::new(v["dir"].as_str().unwrap()).exists());
}

#[test]
fn corrupted_restore_is_detected() {
    let dir = scratch();
    let work = dir.path().join("drill");
    let out = coda_rs()
        .env("CODA_RS_DRILL_TEST_CORRUPT", "1")
        .args(["drill", "--dir"])
        .arg(&work)
        .output()
        .unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    let l = line_of(&report, "check restored tree equals the changed source");
    assert!(l.contains("FAILED") && l.contains("content differs"), "{l}");
    // The copy was taken before the damage and still matches.
    assert!(line_of(&report, "check copy equals the changed source").contains(" ok "));
    assert!(report.lines().last().unwrap().starts_with("result: FAIL"));
}

#[test]
fn failed_drill_keeps_its_temporary_directory() {
    let out = coda_rs()
        .env("CODA_RS_DRILL_TEST_CORRUPT", "1")
        .args(["drill", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let dir = std::path::PathBuf::from(v["dir"].as_str().unwrap());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kept in"), "{stderr}");
    assert!(dir.join("restored").is_dir(), "evidence removed");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn non_empty_dir_is_refused() {
    let dir = scratch();
    fs::write(dir.path().join("precious"), b"data").unwrap();
    coda_rs()
        .args(["drill", "--dir"])
        .arg(dir.path())
        .assert()
        .code(3);
    assert_eq!(fs::read(dir.path().join("precious")).unwrap(), b"data");
}
