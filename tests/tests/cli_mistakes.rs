//! The commonest mistakes run through every command group (issue 16, one
//! error layer; cli-conventions.md): the same mistake gives the same exit
//! code and the same message form in every group: one line
//! `coda-rs: SUBJECT: what[ (expected …)]`, the system's error text at most
//! once, nothing on stdout, nothing written.

use std::path::{Path, PathBuf};

use coda_rs_tests::{coda_rs, coda_rs_path, golden, is_root, scratch};

#[path = "interrupt_support/mod.rs"]
mod interrupt_support;

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

/// A command line as owned strings.
fn v(a: &[&str]) -> Vec<String> {
    a.iter().map(|x| x.to_string()).collect()
}

/// Every command that reads an input file, with `input` in its place;
/// the output paths are under `out` (which none of them may create).
fn readers(input: &Path, out: &Path) -> Vec<Vec<String>> {
    let i = s(input);
    let dump = s(&golden("dump", "server-a-full.dump"));
    let vr = s(&golden("dump", "VRList.sample"));
    let vl = s(&golden("dump", "VolumeList.sample"));
    let o = |n: &str| s(&out.join(n));
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

/// Every writer aimed at the directory `root` (which it cannot write
/// in), with the path each must name: restore, to-tar, merge, create,
/// copy (of the tree `src`), rvm init-log and init-data, plan dumplists -o.
fn writer_cases(root: &Path, src: &Path) -> Vec<(Vec<String>, PathBuf)> {
    let dump = s(&golden("dump", "server-a-full.dump"));
    let incr = s(&golden("dump", "server-b-incr.dump"));
    let vr = s(&golden("dump", "VRList.sample"));
    let vl = s(&golden("dump", "VolumeList.sample"));
    let src = s(src);
    let p = |n: &str| root.join(n);
    vec![
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
        (
            v(&[
                "dump",
                "create",
                &src,
                "-o",
                &s(&p("c.dump")),
                "--volume-id",
                "1000102",
                "--volume-name",
                "c.backup",
            ]),
            p("c.dump"),
        ),
        (v(&["copy", &src, &s(&p("c"))]), p("c")),
        (v(&["rvm", "init-log", &s(&p("LOG")), "1M"]), p("LOG")),
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
    ]
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
    let src = coda_rs_tests::repo_root().join("beneath");
    for (args, subject) in &writer_cases(&ro, &src) {
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

/// Writes `src` gzip-compressed to `dst` with the system's gzip.
fn gzip(src: &Path, dst: &Path) {
    let out = std::process::Command::new("gzip")
        .arg("-c")
        .arg(src)
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(dst, out.stdout).unwrap();
}

/// Runs `args` and checks a wrong kind of file: exit 1, one line
/// `coda-rs: SUBJECT: this is IS (expected WANT…`, nothing on stdout
/// (but `tape ls`'s listing).
fn wrong_kind(args: &[String], subject: &Path, is: &str, want: &str) {
    let out = coda_rs().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let what = format!("{args:?}: {err}");
    assert_eq!(out.status.code(), Some(1), "{what}");
    assert_eq!(err.lines().count(), 1, "{what}");
    assert!(
        err.starts_with(&format!(
            "coda-rs: {}: this is {is} (expected {want}",
            subject.display()
        )),
        "{what}"
    );
    // `tape ls` lists each tape file as it reads it, this one included.
    if args[0] != "tape" {
        assert!(out.stdout.is_empty(), "{what}");
    }
}

/// A file of the wrong kind, both ways: an RVM log (plain or gzipped)
/// given to every dump reader is named an RVM log; a volume dump, a tar,
/// a data segment (plain or gzipped) given to every RVM reader is named
/// for what it is. The same exit code (1) and message form on both sides.
#[test]
fn a_file_of_the_wrong_kind_is_named_for_what_it_is() {
    let t = scratch();
    let out = t.path().join("out");
    std::fs::create_dir_all(out.join("t")).unwrap();
    let log = golden("rvm", "crash1.log.after");
    let log_gz = t.path().join("LOG.gz");
    gzip(&log, &log_gz);
    for (input, is) in [
        (log.clone(), "an RVM log"),
        (log_gz.clone(), "an RVM log, gzip-compressed"),
    ] {
        for args in readers(&input, &out) {
            match (args[0].as_str(), args[1].as_str()) {
                // The RVM readers read logs; the plan readers read lists.
                ("rvm", _) | ("plan", _) => continue,
                ("tape", _) => wrong_kind(&args, &input, is, "a tape file"),
                _ => wrong_kind(&args, &input, is, "a volume dump"),
            }
            assert!(!out.join("r").exists() && !out.join("x.tar").exists());
            assert!(!out.join("m.dump").exists() && !out.join("m2.dump").exists());
        }
    }
    let dump = golden("dump", "server-a-full.dump");
    let dump_gz = t.path().join("a.dump.gz");
    gzip(&dump, &dump_gz);
    let data_gz = golden("rvm", "crash1.data.after.gz");
    let tar = golden("dump", "server-a-full.tar");
    for (input, is) in [
        (&dump, "a volume dump"),
        (&dump_gz, "a volume dump, gzip-compressed"),
        (&tar, "a tar archive"),
        (&data_gz, "an RVM data segment, gzip-compressed"),
    ] {
        let i = s(input);
        for args in [
            vec!["rvm", "status", &i],
            vec!["rvm", "show", &i],
            vec!["rvm", "show", "--json", &i],
            vec!["rvm", "recover", &i, "--dry-run"],
        ] {
            let args: Vec<String> = args.iter().map(|x| x.to_string()).collect();
            wrong_kind(&args, input, is, "an RVM log");
        }
    }
}

/// A gzip-compressed dump is no mistake: every dump reader takes it and
/// does what it does with the plain dump (the same exit code and stdout;
/// a restore from it verifies against the plain dump).
#[test]
fn a_gzip_dump_reads_as_the_dump_in_every_group() {
    let t = scratch();
    let dump = golden("dump", "server-a-full.dump");
    let gz = t.path().join("a.dump.gz");
    gzip(&dump, &gz);
    for sub in [
        vec!["dump", "ls"],
        vec!["dump", "verify"],
        vec!["tape", "ls"],
    ] {
        let plain = coda_rs().args(&sub).arg(&dump).output().unwrap();
        let z = coda_rs().args(&sub).arg(&gz).output().unwrap();
        assert_eq!(plain.status.code(), Some(0), "{sub:?}");
        assert_eq!(z.status.code(), Some(0), "{sub:?}: {:?}", z);
        if sub == ["dump", "ls"] {
            assert_eq!(plain.stdout, z.stdout, "{sub:?}");
        }
    }
    let r = t.path().join("r");
    let out = coda_rs()
        .args(["dump", "restore"])
        .arg(&gz)
        .arg("--into")
        .arg(&r)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = coda_rs()
        .args(["dump", "verify"])
        .arg(&dump)
        .arg("--against")
        .arg(&r)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let m = t.path().join("m.dump");
    let out = coda_rs()
        .args(["dump", "merge"])
        .arg(&m)
        .arg(&gz)
        .arg(golden("dump", "server-b-incr.dump"))
        .output()
        .unwrap();
    let plain_m = t.path().join("pm.dump");
    let plain = coda_rs()
        .args(["dump", "merge"])
        .arg(&plain_m)
        .arg(&dump)
        .arg(golden("dump", "server-b-incr.dump"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), plain.status.code(), "{out:?} {plain:?}");
    if plain_m.exists() {
        assert_eq!(std::fs::read(&m).unwrap(), std::fs::read(&plain_m).unwrap());
    }
}

/// No root where root is needed: as an ordinary user (uid 65534 through
/// setpriv), every writer aimed at a root-owned directory, and every
/// reader of a device, fails the same way: exit 1, one line naming the
/// path, the system's "Permission denied" once, nothing created.
#[test]
fn no_root_where_root_is_needed_fails_the_same_way_in_every_group() {
    if !is_root() {
        eprintln!("skipped: needs root to run a command as another user");
        return;
    }
    let has_setpriv = std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_setpriv {
        eprintln!("skipped: no setpriv");
        return;
    }
    let t = scratch();
    // The ordinary user may read the inputs but write nothing in `root`.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = t.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let src = coda_rs_tests::repo_root().join("human");
    // A block device only root may open (loop devices are 0660 root:disk).
    let dev = PathBuf::from("/dev/loop0");
    let mut cases = writer_cases(&root, &src);
    if dev.exists() {
        cases.push((v(&["rvm", "status", &s(&dev)]), dev.clone()));
        cases.push((v(&["tape", "ls", &s(&dev)]), dev.clone()));
        cases.push((v(&["dump", "ls", &s(&dev)]), dev.clone()));
    }
    for (args, subject) in &cases {
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(coda_rs_tests::coda_rs_path())
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let what = format!("{args:?}: {err}");
        assert_eq!(out.status.code(), Some(1), "{what}");
        assert_eq!(err.lines().count(), 1, "{what}");
        assert!(
            err.starts_with(&format!("coda-rs: {}: ", subject.display())),
            "{what}"
        );
        assert_eq!(err.matches("Permission denied").count(), 1, "{what}");
        assert!(out.stdout.is_empty(), "{what}");
    }
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
}

/// Ctrl-C, the last row: every long-running command of every group that
/// writes (dump restore, to-tar, merge, create; copy; rvm init-log,
/// init-data) stopped by SIGINT at its test pause point exits 130 with one
/// line of one form, `coda-rs: interrupted by SIGINT; ` and then the
/// command that continues the work, or what was left and the command that
/// starts it again, or that nothing was written; and no output file (nor
/// its temporary) is left.
#[test]
fn ctrl_c_stops_every_long_running_group_the_same_way() {
    let t = scratch();
    let dump = s(&golden("dump", "server-a-full.dump"));
    let incr = s(&golden("dump", "server-b-incr.dump"));
    // Enough data for dump create to write more than once.
    let tree = coda_rs_tests::repo_root().join("volume-dump");
    let out = t.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let o = |n: &str| s(&out.join(n));
    let log = t.path().join("LOG");
    coda_rs()
        .args(["rvm", "init-log", "-q"])
        .arg(&log)
        .arg("1M")
        .assert()
        .success();
    let log = s(&log);
    let bytes = "CODA_RS_TEST_PAUSE_AFTER_BYTES";
    // (command, pause hook, its value, how the line goes on)
    let rows: Vec<(Vec<String>, &str, &str, &str)> = vec![
        (
            v(&["dump", "restore", &dump, &incr, "--into", &o("r")]),
            "CODA_RS_TEST_PAUSE_AFTER_VNODES",
            "20",
            "to continue: ",
        ),
        (
            v(&["dump", "to-tar", &dump, "-o", &o("x.tar")]),
            bytes,
            "1",
            "nothing was written (run the command again)",
        ),
        (
            v(&["dump", "merge", &o("m.dump"), &dump, &incr]),
            bytes,
            "1",
            "nothing was written (run the command again)",
        ),
        (
            v(&[
                "dump",
                "create",
                &s(&tree),
                "-o",
                &o("c.dump"),
                "--volume-id",
                "1000102",
                "--volume-name",
                "c.backup",
            ]),
            bytes,
            "1",
            "nothing was written (run the command again)",
        ),
        (
            v(&["copy", "--jobs", "1", &s(&tree), &o("c")]),
            "CODA_RS_TEST_PAUSE_AFTER_ITEMS",
            "2",
            "to continue: ",
        ),
        (
            v(&["rvm", "init-log", &o("LOG"), "16M"]),
            bytes,
            "1",
            "was new and is removed; to start again: ",
        ),
        (
            v(&[
                "rvm",
                "init-data",
                &log,
                &o("DATA"),
                "2097152",
                "0x50000000",
                "983040",
                "1048576",
                "80",
                "64",
            ]),
            bytes,
            "1",
            "was new and is removed; to start again: ",
        ),
    ];
    for (args, hook, after, then) in &rows {
        let mut cmd = std::process::Command::new(coda_rs_path());
        cmd.args(args).env(hook, after);
        let (code, err) = interrupt_support::interrupted(cmd, "-INT");
        let what = format!("{args:?}: {err}");
        assert_eq!(code, Some(130), "{what}");
        assert_eq!(err.lines().count(), 1, "{what}");
        let rest = err
            .strip_prefix("coda-rs: interrupted by SIGINT; ")
            .unwrap_or_else(|| panic!("{what}"));
        assert!(rest.contains(then), "{what}");
        assert_eq!(
            interrupt_support::temporaries(&out),
            Vec::<String>::new(),
            "{what}"
        );
        for gone in ["x.tar", "m.dump", "c.dump", "LOG", "DATA"] {
            assert!(!out.join(gone).exists(), "{what}: {gone}");
        }
    }
}
