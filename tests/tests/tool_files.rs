//! No tool files in users' volumes (issue 16): a finished restore removes
//! its journal (the tree's root holds the dump's root entries, plus
//! `..CodaACLs.yaml` when ACLs go to that file); an interrupted one keeps
//! it for `--resume`; `copy` leaves a restore journal (and its temporary
//! files) out and says so; `dump verify --against` reports one as a note,
//! not a difference. Expected names come from the golden manifests.

use crate::restore_support;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::symlink;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};

use coda_rs_tests::{coda_rs, scratch};
use restore_support::{golden_dump, manifest_differences};

const JOURNAL: &str = ".coda-rs-restore.json";
const ACL_FILE: &str = "..CodaACLs.yaml";
const HOOK: &str = "CODA_RS_TEST_ABORT_AFTER_VNODES";

/// The root entries a golden manifest lists (paths `ROOT/NAME`).
fn manifest_root_names(manifest: &str) -> BTreeSet<String> {
    let text = fs::read(golden_dump(manifest)).unwrap();
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&text).unwrap();
    entries
        .iter()
        .filter_map(|e| {
            let (_, rel) = e["path"].as_str().unwrap().split_once('/')?;
            (!rel.contains('/')).then(|| rel.to_string())
        })
        .collect()
}

fn root_names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `dump restore` of `chain` into `into` (the full dump from stdin with
/// `stdin`), with `extra` flags.
fn restore(chain: &[&str], into: &Path, extra: &[&str], stdin: bool) -> assert_cmd::Command {
    let mut cmd = coda_rs();
    cmd.args(["dump", "restore", "--journal-every", "5", "--into"])
        .arg(into)
        .args(extra);
    let paths: Vec<PathBuf> = chain.iter().map(|n| golden_dump(n)).collect();
    if stdin {
        cmd.arg("-")
            .args(&paths[1..])
            .pipe_stdin(&paths[0])
            .unwrap();
    } else {
        cmd.args(&paths);
    }
    cmd
}

/// A restore stopped (SIGKILL) after `after` objects: its journal stays.
fn killed_restore(into: &Path, after: u64) {
    let out = restore(&["server-a-full.dump"], into, &[], false)
        .env(HOOK, after.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9), "{}", stderr(&out));
    assert!(into.join(JOURNAL).is_file());
}

#[test]
fn a_finished_restore_leaves_no_journal() {
    let full = &["server-a-full.dump"][..];
    let chain = &["server-a-full.dump", "server-b-incr.dump"][..];
    // (dumps, manifest, flags, full dump from stdin, ACL file expected)
    type Case<'a> = (&'a [&'a str], &'a str, &'a [&'a str], bool, bool);
    let cases: [Case; 6] = [
        (full, "state-a.manifest.json", &[], false, true),
        (full, "state-a.manifest.json", &[], true, true),
        (
            full,
            "state-a.manifest.json",
            &["--sync", "--workers", "1"],
            false,
            true,
        ),
        (
            full,
            "state-a.manifest.json",
            &["--acls", "skip"],
            false,
            false,
        ),
        (chain, "state-b.manifest.json", &[], false, true),
        (
            chain,
            "state-b.manifest.json",
            &["--acls", "skip"],
            true,
            false,
        ),
    ];
    for (dumps, manifest, extra, stdin, acl_file) in cases {
        let t = scratch();
        let into = t.path().join("vol");
        let what = format!("{dumps:?} {extra:?} stdin={stdin}");
        restore(dumps, &into, extra, stdin).assert().success();
        let mut expected = manifest_root_names(manifest);
        if acl_file {
            expected.insert(ACL_FILE.to_string());
        }
        assert_eq!(root_names(&into), expected, "{what}");
        assert_eq!(
            manifest_differences(&into, manifest),
            Vec::<String>::new(),
            "{what}"
        );
    }
}

#[test]
fn an_interrupted_restore_keeps_its_journal_until_resumed() {
    for after in [1, 9, 40] {
        let t = scratch();
        let into = t.path().join("vol");
        killed_restore(&into, after);
        restore(&["server-a-full.dump"], &into, &["--resume"], false)
            .assert()
            .success();
        let mut expected = manifest_root_names("state-a.manifest.json");
        expected.insert(ACL_FILE.to_string());
        assert_eq!(root_names(&into), expected, "killed after {after}");
    }
}

/// Names of regular files in a tree, recursively.
fn count_files(dir: &Path) -> u64 {
    let mut n = 0;
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            n += count_files(&e.path());
        } else if t.is_file() {
            n += 1;
        }
    }
    n
}

fn copy_json(src: &Path, dst: &Path, extra: &[&str]) -> (serde_json::Value, String) {
    let out = coda_rs()
        .arg("copy")
        .args(extra)
        .arg("--json")
        .arg(src)
        .arg(dst)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (serde_json::from_slice(&out.stdout).unwrap(), stderr(&out))
}

#[test]
fn copy_leaves_restore_journals_out() {
    // (temporary journal files planted beside the journal, expected left out)
    for temps in [&[][..], &[".tmp.77.0"], &[".tmp.1.0", ".tmp.123.45"]] {
        let t = scratch();
        let src = t.path().join("restored");
        killed_restore(&src, 20);
        for suffix in temps {
            fs::write(src.join(format!("{JOURNAL}{suffix}")), b"{\"partial").unwrap();
        }
        let tool_files = 1 + temps.len() as u64;
        let files = count_files(&src);
        for dry_run in [true, false] {
            let dst = t.path().join(format!("copy-{dry_run}"));
            let extra: &[&str] = if dry_run { &["--dry-run"] } else { &[] };
            let (doc, err) = copy_json(&src, &dst, extra);
            let names = doc["files"].as_u64().unwrap() + doc["hard_links"].as_u64().unwrap();
            assert_eq!(names, files - tool_files, "{temps:?} {err}");
            let left: BTreeSet<String> = doc["left_out"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect();
            let mut expected: BTreeSet<String> = temps
                .iter()
                .map(|s| src.join(format!("{JOURNAL}{s}")).display().to_string())
                .collect();
            expected.insert(src.join(JOURNAL).display().to_string());
            assert_eq!(left, expected, "{temps:?}");
            assert!(
                err.contains(&format!("; {tool_files} coda-rs journal(s) left out")),
                "{err}"
            );
            for p in &expected {
                assert!(
                    err.contains(&format!("coda-rs: {p}: note: a coda-rs restore journal")),
                    "{err}"
                );
            }
            if !dry_run {
                let mut names = root_names(&src);
                names.retain(|n| !n.starts_with(JOURNAL));
                assert_eq!(root_names(&dst), names, "{temps:?}");
                assert_eq!(count_files(&dst), files - tool_files);
            }
        }
    }
}

/// Only the restore's own files are left out: a journal-named file below
/// the root, and a symlink of that name in the root, are the volume's.
#[test]
fn copy_keeps_journal_names_that_are_not_a_restore_journal() {
    let t = scratch();
    let src = t.path().join("tree");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::write(src.join("sub").join(JOURNAL), b"user data\n").unwrap();
    fs::write(src.join("plain"), b"x\n").unwrap();
    symlink("plain", src.join(format!("{JOURNAL}.tmp.1.2"))).unwrap();
    symlink("sub", src.join(JOURNAL)).unwrap();
    let dst = t.path().join("copy");
    let (doc, err) = copy_json(&src, &dst, &[]);
    assert_eq!(doc["left_out"], serde_json::json!([]), "{err}");
    assert!(!err.contains("left out"), "{err}");
    assert_eq!(doc["files"], 2);
    assert_eq!(doc["symlinks"], 2);
    assert_eq!(
        fs::read(dst.join("sub").join(JOURNAL)).unwrap(),
        b"user data\n"
    );
    assert_eq!(
        fs::read_link(dst.join(JOURNAL)).unwrap(),
        PathBuf::from("sub")
    );
}

#[test]
fn verify_against_notes_a_leftover_journal() {
    let t = scratch();
    let stopped = t.path().join("stopped");
    killed_restore(&stopped, 30);
    let journal = fs::read(stopped.join(JOURNAL)).unwrap();
    for planted in [&[JOURNAL][..], &[JOURNAL, ".coda-rs-restore.json.tmp.5.0"]] {
        let into = t.path().join(format!("vol{}", planted.len()));
        restore(&["server-a-full.dump"], &into, &[], false)
            .assert()
            .success();
        let mtime = fs::metadata(&into).unwrap().modified().unwrap();
        for name in planted {
            fs::write(into.join(name), &journal).unwrap();
        }
        // Planting changed the root's mtime, which verify compares.
        fs::File::open(&into).unwrap().set_modified(mtime).unwrap();
        let verify = |json: bool| {
            let mut cmd = coda_rs();
            cmd.args(["dump", "verify"])
                .arg(golden_dump("server-a-full.dump"))
                .arg("--against")
                .arg(&into);
            if json {
                cmd.arg("--json");
            }
            cmd.output().unwrap()
        };
        let out = verify(false);
        let (text, err) = (String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert_eq!(out.status.code(), Some(0), "{text}{err}");
        assert!(text.contains(": 0 differences"), "{text}");
        assert_eq!(err.lines().count(), planted.len(), "{err}");
        for name in planted {
            let line = format!(
                "coda-rs: {}: note: a restore journal",
                into.join(name).display()
            );
            assert!(err.contains(&line), "{err}");
        }
        let out = verify(true);
        assert_eq!(out.status.code(), Some(0));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["ok"], true);
        assert_eq!(doc["differences"], serde_json::json!([]));
        assert_eq!(doc["notes"].as_array().unwrap().len(), planted.len());
    }
}
