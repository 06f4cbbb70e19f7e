//! `rvm init-log LOG SIZE` over 1 GiB asks first (issue 16: RVM logs are
//! megabytes, `20G` is more often a slip for `20M`): without a terminal it
//! is refused (exit 3) naming `--yes`; on a terminal declining writes
//! nothing (exit 3). Sizes up to 1 GiB are not asked about.

use std::process::{Command, Stdio};

use coda_rs_tests::{coda_rs_path, scratch};

#[test]
fn a_log_over_a_gib_needs_yes_without_a_terminal() {
    let t = scratch();
    for size in ["2G", "1025M", "0x40000200", "20GiB", "1T"] {
        let log = t.path().join("LOG");
        let out = Command::new(coda_rs_path())
            .args(["rvm", "init-log"])
            .arg(&log)
            .arg(size)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{size}: {err}");
        assert_eq!(err.lines().count(), 1, "{size}: {err}");
        assert!(
            err.starts_with(&format!("coda-rs: {}: a ", log.display())),
            "{err}"
        );
        assert!(err.contains("(expected --yes"), "{err}");
        assert!(!log.exists(), "{size}");
    }
}

#[test]
fn a_log_over_a_gib_is_asked_about_on_a_terminal() {
    let t = scratch();
    let log = t.path().join("LOG");
    let cmd = format!(
        "'{}' rvm init-log '{}' 2G",
        coda_rs_path().display(),
        log.display()
    );
    let Ok(mut child) = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    else {
        eprintln!("skipped: no util-linux script");
        return;
    };
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"n\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{shown}");
    assert!(shown.contains("a 2.00 GiB RVM log"), "{shown}");
    assert!(shown.contains("write it? [y/N]"), "{shown}");
    assert!(shown.contains("declined; nothing written"), "{shown}");
    assert!(!log.exists());
}

#[test]
fn a_log_of_a_gib_or_less_is_not_asked_about() {
    let t = scratch();
    let log = t.path().join("LOG");
    let out = Command::new(coda_rs_path())
        .args(["rvm", "init-log"])
        .arg(&log)
        .arg("2M")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(log.exists());
}
