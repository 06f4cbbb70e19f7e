//! `dump restore` holds a bounded amount of file data whatever the dump and
//! the number of writers (issue 12: peak RSS at most 64 MiB): a dump of
//! 200 files of exactly 1 MiB (the largest size the writer threads take),
//! 2,000 empty files and one 96 MiB file, restored from a pipe with 64
//! writers. Peak RSS is the kernel's (getrusage of the waited-for child),
//! not a time. This file holds one test so that no other child of the test
//! process counts; the dump comes through a pipe from `cat`.

use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, Stdio};

use coda_rs_tests::{coda_rs, coda_rs_path, scratch};

const MIB: u64 = 1 << 20;
const LIMIT_KIB: i64 = 64 * 1024;

/// Largest peak RSS of the children this process waited for, in KiB.
fn children_max_rss_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the rusage it is given; RUSAGE_CHILDREN is a
    // valid `who`, and the zeroed struct is valid even if it wrote nothing.
    let usage = unsafe {
        assert_eq!(
            libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()),
            0
        );
        usage.assume_init()
    };
    usage.ru_maxrss
}

/// A file of `len` bytes that takes no disk space (a hole).
fn hole(path: &Path, len: u64) {
    File::create(path).unwrap().set_len(len).unwrap();
}

#[test]
fn restore_from_a_pipe_stays_under_64_mib() {
    let t = scratch();
    let src = t.path().join("src");
    for d in 0..4 {
        let dir = src.join(format!("d{d}"));
        fs::create_dir_all(&dir).unwrap();
        for f in 0..50 {
            hole(&dir.join(format!("one-mib-{f}")), MIB);
        }
        for f in 0..500 {
            hole(&dir.join(format!("empty-{f}")), 0);
        }
    }
    hole(&src.join("big"), 96 * MIB);
    let dump = t.path().join("vol.dump");
    coda_rs()
        .args(["dump", "create"])
        .arg(&src)
        .arg("-o")
        .arg(&dump)
        .args(["--volume-id", "1000102", "--volume-name", "mem.backup"])
        .assert()
        .success();
    assert!(fs::metadata(&dump).unwrap().len() > 290 * MIB);
    let before = children_max_rss_kib();
    assert!(before < LIMIT_KIB, "dump create itself used {before} KiB");
    let into = t.path().join("out");
    // A real pipe from another process: the test process stays small (a
    // child's peak counts the parent's memory it was forked with).
    let mut cat = Command::new("cat")
        .arg(&dump)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let restore = Command::new(coda_rs_path())
        .args(["dump", "restore", "--quiet", "--workers", "64", "--into"])
        .arg(&into)
        .arg("-")
        .stdin(Stdio::from(cat.stdout.take().unwrap()))
        .output()
        .unwrap();
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    assert!(cat.wait().unwrap().success());
    let peak = children_max_rss_kib();
    assert!(
        peak < LIMIT_KIB,
        "restore peak RSS {peak} KiB (at most {LIMIT_KIB} KiB)"
    );
    // Everything arrived.
    assert_eq!(fs::metadata(into.join("big")).unwrap().len(), 96 * MIB);
    for d in 0..4 {
        let dir = into.join(format!("d{d}"));
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 550);
        let m = fs::metadata(dir.join("one-mib-49")).unwrap();
        assert_eq!(m.len(), MIB);
    }
}
