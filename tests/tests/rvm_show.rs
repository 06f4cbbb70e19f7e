//! `coda-rs rvm show` prints rvmutl's `show all` text (spec §12.2) on every
//! golden log that has a `.showall.txt`, and `--json` lists the same
//! records with what recovery does to each.

use crate::rvm_support;

use coda_rs_tests::{coda_rs, golden, scratch};
use rvm_support::{golden_copy, strip_prompts};

const LOGS: &[&str] = &[
    "crash1.log.crash",
    "crashwrap.log.crash",
    "crashwrap2.log.crash",
    "crashbig4.log.crash.gz",
    "crashbig24.log.crash.gz",
    "crashnoseg.log.crash",
];

fn show(path: &std::path::Path, json: bool) -> String {
    let mut cmd = coda_rs();
    cmd.args(["rvm", "show"]).arg(path);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn show_matches_rvmutl_show_all() {
    let dir = scratch();
    for name in LOGS {
        let plain = name.strip_suffix(".gz").unwrap_or(name);
        let want = strip_prompts(
            &std::fs::read_to_string(golden("rvm", &format!("{plain}.showall.txt"))).unwrap(),
        );
        let path = if name.ends_with(".gz") {
            golden_copy(dir.path(), name, plain)
        } else {
            golden("rvm", name)
        };
        assert_eq!(show(&path, false), want, "{name}: show all text differs");
    }
}

#[test]
fn show_on_an_empty_log() {
    assert_eq!(
        show(&golden("rvm", "rdsinit_A.log"), false),
        "  Log is empty\n"
    );
}

#[test]
fn show_json_says_what_recovery_does() {
    let dir = scratch();
    let big4 = golden_copy(dir.path(), "crashbig4.log.crash.gz", "big4");
    let j: serde_json::Value = serde_json::from_str(&show(&big4, true)).unwrap();
    let recs = j["records"].as_array().unwrap();
    // README (c): #5 log_seg at 9328, #6 the 261657-byte range real RVM drops.
    assert_eq!(recs[0]["record_number"], 5);
    assert_eq!(recs[0]["kind"], "log_seg");
    assert_eq!(recs[0]["recovery"], "dictionary");
    assert_eq!(recs[0]["segment_path"], "/tmp/rvmgold/crashbig4/data");
    assert_eq!(recs[1]["record_number"], 6);
    assert_eq!(recs[1]["recovery"], "drop");
    assert!(recs[1]["reason"].as_str().unwrap().contains("Q1"));
    assert_eq!(recs[1]["ranges"][0]["length"], 261_657);
    assert_eq!(recs[1]["ranges"][0]["offset"], 987_147);
    assert_eq!(recs[1]["commit_mode"], "flush");

    let j: serde_json::Value =
        serde_json::from_str(&show(&golden("rvm", "crash1.log.crash"), true)).unwrap();
    let recs = j["records"].as_array().unwrap();
    let nums: Vec<u64> = recs
        .iter()
        .map(|r| r["record_number"].as_u64().unwrap())
        .collect();
    assert_eq!(&nums[..5], &[5, 6, 7, 8, 9]);
    for r in &recs[1..5] {
        assert_eq!(r["recovery"], "apply", "{r}");
    }
    assert_eq!(recs[2]["commit_mode"], "no_flush");
    assert_eq!(
        recs[2]["ranges"].as_array().unwrap().len(),
        7,
        "README (c): T2 has 7 ranges"
    );

    let j: serde_json::Value =
        serde_json::from_str(&show(&golden("rvm", "crashwrapcut.log.crash"), true)).unwrap();
    let r23 = j["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["record_number"] == 23)
        .unwrap();
    assert_eq!(r23["recovery"], "skip");
    assert!(r23["reason"].as_str().unwrap().contains("split"));
}
