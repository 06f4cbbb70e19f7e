//! `coda-rs copy` when things go wrong: unreadable files, a kill -9 in
//! the middle, destinations that must be refused (issue 7 acceptance).

use crate::copy_support;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use copy_support::*;

fn os(s: &Path) -> &OsStr {
    s.as_os_str()
}

/// A tree of `dirs` x `files` small files plus two large ones.
fn build(src: &Path, dirs: u64, files: u64) {
    fs::create_dir(src).unwrap();
    for d in 0..dirs {
        let sub = src.join(format!("d{d:02}"));
        fs::create_dir(&sub).unwrap();
        for f in 0..files {
            let n = d * files + f;
            write_pattern(&sub.join(format!("f{f:03}")), ((n * 97) % 3000) as usize, n);
        }
    }
    write_pattern(&src.join("big1"), 6 << 20, 7);
    write_pattern(&src.join("big2"), (2 << 20) + 3, 8);
    stamp_tree(src);
}

#[test]
fn unreadable_file_is_reported_and_the_rest_copied() {
    let dir = scratch();
    let src = dir.path().join("src");
    build(&src, 5, 20);
    write_pattern(&src.join("d02").join("bad.bin"), 4000, 99);
    stamp_tree(&src);
    let dst = dir.path().join("dst");
    let (code, out, err) = run_copy(
        &[os(&src), os(&dst), OsStr::new("--json")],
        &[("CODA_RS_TEST_FAIL_READ", "/d02/bad.bin")],
    );
    assert_eq!(code, Some(1), "a failed item means exit 1; stderr:\n{err}");
    let bad = src.join("d02").join("bad.bin");
    let line = format!("coda-rs: {}: read: ", bad.display());
    assert!(
        err.lines()
            .any(|l| l.starts_with(&line) && l.ends_with("(errno 5)")),
        "failure line with path and errno missing:\n{err}"
    );
    assert!(err.contains("; 1 failed"), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["failures"].as_array().unwrap().len(), 1);
    assert_eq!(doc["failures"][0]["errno"], 5);
    assert_eq!(doc["files"], 102);
    // Everything but the bad file is a faithful copy.
    assert!(!dst.join("d02/bad.bin").exists());
    let mut s = snapshot(&src);
    s.remove(Path::new("d02/bad.bin"));
    let t = snapshot(&dst);
    // The failed file is missing from its directory: the directory's
    // times are still the source's.
    let d = diff_trees(
        &src,
        &s,
        &dst,
        &t,
        Check {
            owner: true,
            xattrs: false,
        },
    );
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn fail_fast_stops_after_the_first_failure() {
    let dir = scratch();
    let src = dir.path().join("src");
    build(&src, 3, 10);
    let dst = dir.path().join("dst");
    let (code, _, err) = run_copy(
        &[
            os(&src),
            os(&dst),
            OsStr::new("--fail-fast"),
            OsStr::new("--jobs"),
            OsStr::new("1"),
        ],
        &[("CODA_RS_TEST_FAIL_READ", "/d00/f000")],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("stopped by --fail-fast"), "{err}");
    // With one worker the items run in order (big1, big2, d00/f000, ...):
    // those before the failure are copied, nothing after it.
    assert!(same_content(&src.join("big2"), &dst.join("big2")));
    assert!(!dst.join("d00/f000").exists());
    assert!(!dst.join("d00/f001").exists());
    assert!(!dst.join("d02/f009").exists());
}

#[test]
fn resume_after_kill_9_completes_the_copy() {
    let dir = scratch();
    let src = dir.path().join("src");
    build(&src, 20, 100);
    let dst = dir.path().join("dst");
    let out = coda_rs()
        .arg("copy")
        .arg(&src)
        .arg(&dst)
        .args(["--jobs", "2"])
        .env("CODA_RS_TEST_KILL_AFTER", "700")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(9), "the hook kills with SIGKILL");
    let copied = snapshot(&dst).len();
    assert!(
        copied > 500 && copied < 2000,
        "{copied} objects after the kill"
    );
    // A plain rerun is refused: the destination holds data.
    let (code, _, err) = run_copy(&[os(&src), os(&dst)], &[]);
    assert_eq!(code, Some(3), "{err}");
    let (code, _, err) = run_copy(&[os(&src), os(&dst), OsStr::new("--resume")], &[]);
    assert_eq!(code, Some(0), "stderr:\n{err}");
    let skipped: u64 = err
        .split("; ")
        .find_map(|p| p.strip_suffix(" already complete"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no resume count in {err}"));
    assert!(
        skipped >= 600,
        "resume skipped only {skipped} files:\n{err}"
    );
    assert_same_tree(
        &src,
        &dst,
        Check {
            owner: true,
            xattrs: false,
        },
    );
}

#[test]
fn resume_checksum_repairs_same_size_same_mtime_damage() {
    let dir = scratch();
    let src = dir.path().join("src");
    build(&src, 2, 5);
    let dst = dir.path().join("dst");
    let (code, _, err) = run_copy(&[os(&src), os(&dst)], &[]);
    assert_eq!(code, Some(0), "{err}");
    // Damage one byte but keep size and times: only --checksum notices.
    let victim = dst.join("d01/f004");
    let m = fs::metadata(&victim).unwrap();
    let mut bytes = fs::read(&victim).unwrap();
    bytes[0] ^= 0xff;
    fs::write(&victim, &bytes).unwrap();
    set_times(
        &victim,
        (m.atime(), m.atime_nsec()),
        (m.mtime(), m.mtime_nsec()),
    );
    let (code, _, err) = run_copy(&[os(&src), os(&dst), OsStr::new("--resume")], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        !same_content(&src.join("d01/f004"), &victim),
        "size+mtime resume trusts the file"
    );
    let (code, _, err) = run_copy(
        &[
            os(&src),
            os(&dst),
            OsStr::new("--resume"),
            OsStr::new("--checksum"),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_same_tree(
        &src,
        &dst,
        Check {
            owner: true,
            xattrs: false,
        },
    );
}

#[test]
fn destinations_are_refused_when_unsafe() {
    let dir = scratch();
    let src = dir.path().join("src");
    build(&src, 1, 3);
    // Inside the source (and the source itself).
    let (code, _, err) = run_copy(&[os(&src), os(&src.join("d00/copy"))], &[]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("inside the source"), "{err}");
    assert!(!src.join("d00/copy").exists());
    let (code, _, _) = run_copy(&[os(&src), os(&src)], &[]);
    assert_eq!(code, Some(3));
    // Non-empty: refused and untouched; --force merges and replaces.
    let dst = dir.path().join("dst");
    fs::create_dir(&dst).unwrap();
    fs::write(dst.join("keep"), b"old").unwrap();
    fs::create_dir(dst.join("d00")).unwrap();
    fs::write(dst.join("d00/f000"), b"stale content").unwrap();
    let (code, _, err) = run_copy(&[os(&src), os(&dst)], &[]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.starts_with("coda-rs: "), "{err}");
    assert_eq!(fs::read(dst.join("d00/f000")).unwrap(), b"stale content");
    let (code, _, err) = run_copy(&[os(&src), os(&dst), OsStr::new("--force")], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(fs::read(dst.join("keep")).unwrap(), b"old");
    assert!(same_content(&src.join("d00/f000"), &dst.join("d00/f000")));
    // An existing empty directory (a freshly created volume) is fine.
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let (code, _, err) = run_copy(&[os(&src), os(&empty)], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_same_tree(
        &src,
        &empty,
        Check {
            owner: true,
            xattrs: false,
        },
    );
    // Usage errors: no arguments, both forms at once, a bad pairs line.
    let (code, _, _) = run_copy(&[], &[]);
    assert_eq!(code, Some(2));
    let pairs = dir.path().join("pairs");
    fs::write(&pairs, "only-one-field\n").unwrap();
    let (code, _, err) = run_copy(&[OsStr::new("--pairs"), os(&pairs)], &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(":1: 1 fields"), "{err}");
}
