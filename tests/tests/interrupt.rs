//! Ctrl-C and SIGTERM (issue 16): a running `dump restore` or `dump
//! to-tar -o` stopped by a real signal (sent with kill(1) while the
//! process waits at a test pause point: CODA_RS_TEST_PAUSE_AFTER_VNODES,
//! CODA_RS_TEST_PAUSE_AFTER_BYTES) exits 130 / 143, leaves no temporary
//! file, a restore leaves its journal, and the one line it prints holds
//! the shell-quoted command that continues the work; running that line
//! gives the golden result.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use coda_rs_tests::{coda_rs_path, golden, read_golden, scratch};

#[path = "restore_support/mod.rs"]
mod restore_support;

/// Runs `cmd` until it prints the pause line, sends it `signal` with
/// kill(1) and returns its exit code and what else it printed on stderr.
fn interrupted(mut cmd: Command, signal: &str) -> (Option<i32>, String) {
    let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(err.read_line(&mut line).unwrap() > 0, "no pause: {seen}");
        if line == "coda-rs: test: paused\n" {
            break;
        }
        seen.push_str(&line);
    }
    let pid = child.id().to_string();
    let killed = Command::new("kill").args([signal, &pid]).status().unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    (status.code(), seen + &rest)
}

/// The one line's command, run by a shell.
fn continue_with(stderr: &str) -> std::process::Output {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let (_, cmd) = lines[0]
        .split_once("; to continue: ")
        .unwrap_or_else(|| panic!("no command: {stderr}"));
    Command::new("sh").args(["-c", cmd]).output().unwrap()
}

/// Names in `dir` that are temporaries (`NAME.tmp.PID.N`).
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect()
}

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
    let sig = if code == 130 { "SIGINT" } else { "SIGTERM" };
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
        let sig = if code == 130 { "SIGINT" } else { "SIGTERM" };
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
