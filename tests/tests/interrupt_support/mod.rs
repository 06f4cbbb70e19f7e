//! Stopping a running command with a real signal (kill(1)) at one of its
//! test pause points (`CODA_RS_TEST_PAUSE_AFTER_*`), and what it leaves:
//! shared by the interrupt tests and the Ctrl-C row of the mistakes table.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `cmd` until it prints the pause line, sends it `signal` (`-INT`,
/// `-TERM`) with kill(1) and returns its exit code and what else it
/// printed on stderr.
pub fn interrupted(mut cmd: Command, signal: &str) -> (Option<i32>, String) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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

/// The command at the end of the signal's one line (after `; to
/// continue: ` or `; to start again: `), run by a shell.
pub fn continue_with(stderr: &str) -> std::process::Output {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let cmd = ["; to continue: ", "; to start again: "]
        .iter()
        .find_map(|m| lines[0].split_once(m).map(|(_, c)| c))
        .unwrap_or_else(|| panic!("no command: {stderr}"));
    Command::new("sh").args(["-c", cmd]).output().unwrap()
}

/// Names in `dir` that are temporaries (`NAME.tmp.PID.N`).
pub fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect()
}

/// The signal's name as the line gives it, and the exit code (128 + its
/// number), for `-INT` and `-TERM`.
pub fn expected(signal: &str) -> (&'static str, i32) {
    match signal {
        "-INT" => ("SIGINT", 130),
        "-TERM" => ("SIGTERM", 143),
        other => panic!("no such signal here: {other}"),
    }
}
