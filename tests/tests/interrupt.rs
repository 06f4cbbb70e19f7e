//! Ctrl-C and SIGTERM (issue 16): a running `dump restore`, `dump to-tar
//! -o`, `dump create`, `copy`, `rvm init-log` or `rvm init-data` stopped by
//! a real signal (sent with kill(1) while the process waits at a test
//! pause point: CODA_RS_TEST_PAUSE_AFTER_VNODES, _BYTES, _ITEMS) exits
//! 130 / 143, leaves no temporary or half-written file (a restore leaves
//! its journal, a formatter no valid RVM structure), and the one line it
//! prints holds the shell-quoted command that continues the work or
//! starts it again; running that line gives the golden (or source)
//! result.

use std::path::PathBuf;
use std::process::Command;

use coda_rs_tests::{coda_rs_path, golden, read_golden, scratch};

#[path = "interrupt_support/mod.rs"]
mod interrupt_support;
#[path = "restore_support/mod.rs"]
mod restore_support;

use interrupt_support::{continue_with, expected, interrupted, temporaries};

fn chain() -> [PathBuf; 2] {
    [
        golden("dump", "server-a-full.dump"),
        golden("dump", "server-b-incr.dump"),
    ]
}

fn interrupted_restore(signal: &str, code: i32, name: &str, after: u64) {
    let t = scratch();
    let into = t.path().join(name);
    let mut cmd = Command::new(coda_rs_path());
    cmd.args(["dump", "restore", "--journal-every", "1000000", "--into"])
        .arg(&into)
        .args(chain())
        .env("CODA_RS_TEST_PAUSE_AFTER_VNODES", after.to_string());
    let (got, err) = interrupted(cmd, signal);
    let what = format!("{signal} after {after} into {name:?}");
    assert_eq!(got, Some(code), "{what}: {err}");
    let (sig, _) = expected(signal);
    assert!(
        err.starts_with(&format!("coda-rs: interrupted by {sig}; to continue: ")),
        "{what}: {err}"
    );
    // The journal holds what is complete: at least the objects before the
    // pause (directories count as objects for the hook, not the journal).
    let journal = into.join(".coda-rs-restore.json");
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    assert!(j["completed_objects"].as_u64().unwrap() > 0, "{what}: {j}");
    assert_eq!(temporaries(&into), Vec::<String>::new(), "{what}");
    let out = continue_with(&err);
    assert!(out.status.success(), "{what}: {out:?}");
    assert_eq!(
        restore_support::manifest_differences(&into, "state-b.manifest.json"),
        Vec::<String>::new(),
        "{what}"
    );
    assert!(!journal.exists(), "{what}");
    assert_eq!(temporaries(&into), Vec::<String>::new(), "{what}");
}

#[test]
fn sigint_stops_a_restore_that_continues_with_the_printed_command() {
    interrupted_restore("-INT", 130, "x", 30);
    // The target's path needs quoting for the shell.
    interrupted_restore("-INT", 130, "a b'c $HOME", 50);
}

#[test]
fn sigterm_stops_a_restore_that_continues_with_the_printed_command() {
    interrupted_restore("-TERM", 143, "vol 1", 40);
}

#[test]
fn an_interrupted_to_tar_leaves_no_output_and_the_same_command_makes_it() {
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let t = scratch();
        let out = t.path().join("native.tar");
        let mut cmd = Command::new(coda_rs_path());
        cmd.args(["dump", "to-tar", "--acl-mtime", "1795672326", "-q"])
            .arg(golden("dump", "native-full.dump"))
            .arg("-o")
            .arg(&out)
            .env("CODA_RS_TEST_PAUSE_AFTER_BYTES", "1");
        let (got, err) = interrupted(cmd, signal);
        assert_eq!(got, Some(code), "{signal}: {err}");
        let (sig, _) = expected(signal);
        assert_eq!(
            err,
            format!("coda-rs: interrupted by {sig}; nothing was written (run the command again)\n")
        );
        assert!(!out.exists(), "{signal}");
        assert_eq!(temporaries(t.path()), Vec::<String>::new(), "{signal}");
        let mut again = Command::new(coda_rs_path());
        again
            .args(["dump", "to-tar", "--acl-mtime", "1795672326", "-q"])
            .arg(golden("dump", "native-full.dump"))
            .arg("-o")
            .arg(&out);
        assert!(again.status().unwrap().success());
        assert!(std::fs::read(&out).unwrap() == read_golden("dump", "native-full.tar"));
    }
}

/// A tree of `n` files of different sizes (each its own pattern) in
/// `dir`, two levels deep.
fn small_tree(dir: &std::path::Path, n: usize) {
    for i in 0..n {
        let sub = dir.join(format!("d{}", i % 4));
        std::fs::create_dir_all(&sub).unwrap();
        let data: Vec<u8> = (0..(i * 997) % 70_000 + 1)
            .map(|k| (k * 31 + i) as u8)
            .collect();
        std::fs::write(sub.join(format!("f{i:03}")), data).unwrap();
    }
}

/// Every file below `dst` is a whole copy of the one below `src` (a
/// stopped copy leaves no partial file); returns how many there are.
fn whole_copies(src: &std::path::Path, dst: &std::path::Path) -> usize {
    let mut n = 0;
    for d in std::fs::read_dir(dst).unwrap() {
        let d = d.unwrap();
        let rel = d.file_name();
        if d.file_type().unwrap().is_dir() {
            n += whole_copies(&src.join(&rel), &d.path());
        } else {
            let want = std::fs::read(src.join(&rel)).unwrap();
            assert!(std::fs::read(d.path()).unwrap() == want, "{:?}", d.path());
            n += 1;
        }
    }
    n
}

#[test]
fn an_interrupted_copy_stops_between_files_and_resumes_with_the_printed_command() {
    for signal in ["-INT", "-TERM"] {
        let (sig, code) = expected(signal);
        let t = scratch();
        let src = t.path().join("src");
        small_tree(&src, 60);
        // The destination's name needs quoting for the shell.
        let dst = t.path().join("new vol 'x'");
        let mut cmd = Command::new(coda_rs_path());
        cmd.args(["copy", "--jobs", "1"])
            .arg(&src)
            .arg(&dst)
            .env("CODA_RS_TEST_PAUSE_AFTER_ITEMS", "10");
        let (got, err) = interrupted(cmd, signal);
        assert_eq!(got, Some(code), "{signal}: {err}");
        assert!(
            err.starts_with(&format!("coda-rs: interrupted by {sig}; to continue: ")),
            "{err}"
        );
        assert!(err.trim_end().ends_with(" --resume"), "{err}");
        let copied = whole_copies(&src, &dst);
        assert!((10..60).contains(&copied), "{signal}: {copied} files");
        let out = continue_with(&err);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(whole_copies(&src, &dst), 60);
    }
}

#[test]
fn an_interrupted_dump_create_leaves_no_output_and_the_same_command_makes_it() {
    for signal in ["-INT", "-TERM"] {
        let (sig, code) = expected(signal);
        let t = scratch();
        let tree = t.path().join("tree");
        small_tree(&tree, 40);
        let out = t.path().join("t.dump");
        let args = |c: &mut Command| {
            c.args(["dump", "create"])
                .arg(&tree)
                .arg("-o")
                .arg(&out)
                .args(["--volume-id", "1000102", "--volume-name", "t.backup"]);
        };
        let mut cmd = Command::new(coda_rs_path());
        args(&mut cmd);
        cmd.env("CODA_RS_TEST_PAUSE_AFTER_BYTES", "1");
        let (got, err) = interrupted(cmd, signal);
        assert_eq!(got, Some(code), "{signal}: {err}");
        assert_eq!(
            err,
            format!("coda-rs: interrupted by {sig}; nothing was written (run the command again)\n")
        );
        assert!(!out.exists(), "{signal}");
        assert_eq!(temporaries(t.path()), Vec::<String>::new(), "{signal}");
        let mut again = Command::new(coda_rs_path());
        args(&mut again);
        assert!(again.status().unwrap().success());
        // The dump holds the tree: names, types, data, modes, mtimes.
        let v = Command::new(coda_rs_path())
            .args(["dump", "verify", "--acls", "skip"])
            .arg(&out)
            .arg("--against")
            .arg(&tree)
            .output()
            .unwrap();
        assert!(v.status.success(), "{v:?}");
    }
}

/// `rvm init-log` stopped during its fill: a log file it created is
/// removed; an old log it was replacing (--replace-rvm, which truncated
/// it) is left empty, no log (rvm status refuses it), and the printed
/// command formats it.
#[test]
fn an_interrupted_init_log_leaves_no_valid_log() {
    for signal in ["-INT", "-TERM"] {
        let (sig, code) = expected(signal);
        let t = scratch();
        let log = t.path().join("LOG");
        let mut cmd = Command::new(coda_rs_path());
        cmd.args(["rvm", "init-log"])
            .arg(&log)
            .arg("16M")
            .env("CODA_RS_TEST_PAUSE_AFTER_BYTES", "1");
        let (got, err) = interrupted(cmd, signal);
        assert_eq!(got, Some(code), "{signal}: {err}");
        assert!(
            err.starts_with(&format!(
                "coda-rs: interrupted by {sig}; {} was new and is removed; to start again: ",
                log.display()
            )),
            "{err}"
        );
        assert!(!log.exists(), "{signal}");

        let made = Command::new(coda_rs_path())
            .args(["rvm", "init-log", "-q"])
            .arg(&log)
            .arg("1M")
            .status()
            .unwrap();
        assert!(made.success());
        let mut cmd = Command::new(coda_rs_path());
        cmd.args(["rvm", "init-log", "--replace-rvm"])
            .arg(&log)
            .arg("16M")
            .env("CODA_RS_TEST_PAUSE_AFTER_BYTES", "1");
        let (got, err) = interrupted(cmd, signal);
        assert_eq!(got, Some(code), "{signal}: {err}");
        assert!(
            err.starts_with(&format!(
                "coda-rs: interrupted by {sig}; {} is empty now (no RVM log or segment); to start again: ",
                log.display()
            )),
            "{err}"
        );
        assert_eq!(std::fs::metadata(&log).unwrap().len(), 0);
        let status = Command::new(coda_rs_path())
            .args(["rvm", "status"])
            .arg(&log)
            .output()
            .unwrap();
        assert_eq!(status.status.code(), Some(1), "{status:?}");
        let out = continue_with(&err);
        assert!(out.status.success(), "{out:?}");
        let status = Command::new(coda_rs_path())
            .args(["rvm", "status", "--json"])
            .arg(&log)
            .output()
            .unwrap();
        assert!(status.status.success());
        // The record area as asked: 16 MiB.
        assert!(String::from_utf8_lossy(&status.stdout).contains("16777216"));
    }
}

/// `rvm init-data` stopped: the data file it created is removed and the
/// log is byte for byte what it was (init-data writes it last).
#[test]
fn an_interrupted_init_data_removes_its_file_and_leaves_the_log() {
    for signal in ["-INT", "-TERM"] {
        let (sig, code) = expected(signal);
        let t = scratch();
        let log = t.path().join("LOG");
        let data = t.path().join("DATA");
        let made = Command::new(coda_rs_path())
            .args(["rvm", "init-log", "-q"])
            .arg(&log)
            .arg("1M")
            .status()
            .unwrap();
        assert!(made.success());
        let before = std::fs::read(&log).unwrap();
        let mut cmd = Command::new(coda_rs_path());
        cmd.args(["rvm", "init-data"])
            .arg(&log)
            .arg(&data)
            .args(["2097152", "0x50000000", "983040", "1048576", "80", "64"])
            .env("CODA_RS_TEST_PAUSE_AFTER_BYTES", "1");
        let (got, err) = interrupted(cmd, signal);
        assert_eq!(got, Some(code), "{signal}: {err}");
        assert!(
            err.starts_with(&format!(
                "coda-rs: interrupted by {sig}; {} was new and is removed; to start again: ",
                data.display()
            )),
            "{err}"
        );
        assert!(!data.exists());
        assert!(
            std::fs::read(&log).unwrap() == before,
            "{signal}: the log changed"
        );
    }
}
