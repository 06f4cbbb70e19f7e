//! The commonest mistakes run through every command group (issue 16, one
//! error layer; cli-conventions.md): the same mistake gives the same exit
//! code and the same message form in every group: one line
//! `coda-rs: SUBJECT: what[ (expected …)]`, the system's error text at most
//! once, nothing on stdout, nothing written.

use std::path::{Path, PathBuf};

use coda_rs_tests::{coda_rs, golden, is_root, scratch};

/// Runs `args` and checks the error: exit `code`, one stderr line that
/// starts with `coda-rs: SUBJECT: `, says what was `expected` when given,
/// names the system's error at most once, and nothing on stdout.
fn mistake(args: &[&str], code: i32, subject: &Path, expected: Option<&str>) {
    let out = coda_rs().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let what = format!("{args:?}: {err}");
    assert_eq!(out.status.code(), Some(code), "{what}");
    assert_eq!(err.lines().count(), 1, "{what}");
    let prefix = format!("coda-rs: {}: ", subject.display());
    assert!(err.starts_with(&prefix), "{what}");
    if let Some(x) = expected {
        assert!(err.contains(&format!("(expected {x}")), "{what}");
    }
    assert!(err.matches("(os error").count() <= 1, "{what}");
    for bad in ["panicked", "Error {", "Os {", "kind:"] {
        assert!(!err.contains(bad), "{what}");
    }
    assert!(out.stdout.is_empty(), "{what}");
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Every command that reads an input file, with `input` in its place;
/// the output paths are under `out` (which none of them may create).
fn readers(input: &Path, out: &Path) -> Vec<Vec<String>> {
    let i = s(input);
    let dump = s(&golden("dump", "server-a-full.dump"));
    let vr = s(&golden("dump", "VRList.sample"));
    let vl = s(&golden("dump", "VolumeList.sample"));
    let o = |n: &str| s(&out.join(n));
    let v = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        v(&["rvm", "status", &i]),
        v(&["rvm", "show", &i]),
        v(&["dump", "ls", &i]),
        v(&["dump", "verify", &i]),
        v(&["dump", "verify", &i, "--against", &o("t")]),
        v(&["dump", "to-tar", &i, "-o", &o("x.tar")]),
        v(&["dump", "restore", &i, "--into", &o("r")]),
        v(&["dump", "restore", &dump, &i, "--into", &o("r2")]),
        v(&["dump", "merge", &o("m.dump"), &i, &dump]),
        v(&["dump", "merge", &o("m2.dump"), &dump, &i]),
        v(&["tape", "ls", &i]),
        v(&[
            "plan",
            "dumplists",
            "--volume-list",
            &i,
            "--vrlist",
            &vr,
            "--tape-size",
            "20G",
        ]),
        v(&["plan", "recreate", "--volume-list", &vl, "--vrlist", &i]),
    ]
}

fn run_all(input: &Path, out: &Path, expected: Option<&str>) {
    for args in readers(input, out) {
        if args[1] == "verify" && args.len() > 3 {
            std::fs::create_dir_all(out.join("t")).unwrap();
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        mistake(&a, 2, input, expected);
        assert!(!out.join("r").exists() && !out.join("x.tar").exists());
        assert!(!out.join("m.dump").exists() && !out.join("m2.dump").exists());
    }
}

#[test]
fn a_missing_file_exits_2_from_every_group() {
    let t = scratch();
    let out = t.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for missing in [
        t.path().join("no-such-file"),
        t.path().join("no-dir").join("file"),
        PathBuf::from("/dev/coda-rs-no-such-device"),
    ] {
        run_all(&missing, &out, Some(""));
    }
    // A file where a directory is in the path.
    let file = t.path().join("plain");
    std::fs::write(&file, b"x").unwrap();
    run_all(&file.join("below"), &out, Some(""));
    // copy: the tree to copy is missing.
    let src = t.path().join("no-tree");
    let dst = s(&out.join("c"));
    mistake(
        &["copy", &s(&src), &dst],
        2,
        &src,
        Some("the root of a tree"),
    );
    assert!(!out.join("c").exists());
}

#[test]
fn a_directory_where_a_file_is_expected_exits_2_from_every_group() {
    let t = scratch();
    let out = t.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for dir in [t.path().join("d"), t.path().join("d with space")] {
        std::fs::create_dir(&dir).unwrap();
        run_all(&dir, &out, Some(""));
    }
    // And the other way: a file where copy expects a directory.
    let file = t.path().join("f");
    std::fs::write(&file, b"x").unwrap();
    let dst = s(&out.join("c"));
    mistake(
        &["copy", &s(&file), &dst],
        2,
        &file,
        Some("the root of a tree"),
    );
}

#[test]
fn a_bad_size_exits_2_naming_it() {
    let t = scratch();
    let log = t.path().join("LOG");
    let vr = s(&golden("dump", "VRList.sample"));
    let vl = s(&golden("dump", "VolumeList.sample"));
    for bad in ["12XB", "1,5M", "M", "1.2.3G", "99999999999999999999T"] {
        let out = coda_rs()
            .args(["rvm", "init-log"])
            .arg(&log)
            .arg(bad)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "rvm {bad}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("coda-rs: ") && err.contains(bad), "{err}");
        assert!(err.contains("(expected "), "{err}");
        assert!(!log.exists());
        let out = coda_rs()
            .args(["plan", "dumplists", "--volume-list", &vl, "--vrlist", &vr])
            .args(["--tape-size", bad])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "plan {bad}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("coda-rs: ") && err.contains(bad), "{err}");
        assert!(err.contains("(expected "), "{err}");
        assert!(out.stdout.is_empty());
    }
}

/// A read-only target: every writer fails (exit 1) with one line naming
/// the path and the system's text once.
#[test]
fn a_read_only_target_exits_1_from_every_group() {
    if !is_root() {
        eprintln!("skipped: needs root to mount a read-only tmpfs");
        return;
    }
    let t = scratch();
    let ro = t.path().join("ro");
    std::fs::create_dir_all(&ro).unwrap();
    let mount = |args: &[&str]| {
        let st = std::process::Command::new("mount")
            .args(args)
            .arg(&ro)
            .status()
            .unwrap();
        assert!(st.success());
    };
    mount(&["-t", "tmpfs", "-o", "size=4m", "tmpfs"]);
    std::fs::create_dir(ro.join("empty")).unwrap();
    mount(&["-o", "remount,ro"]);
    let dump = s(&golden("dump", "server-a-full.dump"));
    let incr = s(&golden("dump", "server-b-incr.dump"));
    let vr = s(&golden("dump", "VRList.sample"));
    let vl = s(&golden("dump", "VolumeList.sample"));
    let src = s(&coda_rs_tests::repo_root().join("beneath"));
    let p = |n: &str| ro.join(n);
    let v = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let cases: Vec<(Vec<String>, PathBuf)> = vec![
        (
            v(&["dump", "restore", &dump, "--into", &s(&p("vol"))]),
            p("vol"),
        ),
        (
            v(&["dump", "to-tar", &dump, "-o", &s(&p("x.tar"))]),
            p("x.tar"),
        ),
        (
            v(&["dump", "merge", &s(&p("m.dump")), &dump, &incr]),
            p("m.dump"),
        ),
        (v(&["rvm", "init-log", &s(&p("LOG")), "2M"]), p("LOG")),
        (v(&["copy", &src, &s(&p("c"))]), p("c")),
        (
            v(&[
                "plan",
                "dumplists",
                "--volume-list",
                &vl,
                "--vrlist",
                &vr,
                "--tape-size",
                "20G",
                "-o",
                &s(&p("dl")),
            ]),
            p("dl"),
        ),
    ];
    for (args, subject) in &cases {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = coda_rs().args(&a).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let what = format!("{a:?}: {err}");
        // Each names the path it could not create (the restore may name
        // its journal inside it).
        assert_eq!(out.status.code(), Some(1), "{what}");
        let line = err.lines().last().unwrap_or("");
        assert!(
            line.starts_with(&format!("coda-rs: {}", subject.display())),
            "{what}"
        );
        assert_eq!(line.matches("Read-only file system").count(), 1, "{what}");
        assert_eq!(err.lines().count(), 1, "{what}");
    }
    let _ = std::process::Command::new("umount").arg(&ro).status();
}
