//! `coda-rs copy` under a small limit on open files (issue 11 item 6: the
//! copy is parallel and the soft limit is often 1024): deep and wide trees
//! still copy, because only a bounded number of directory fds is held; a
//! run whose pairs alone would not fit is refused before anything is
//! written, naming the numbers.

use crate::copy_support;

use std::fs;
use std::path::Path;
use std::process::Command;

use copy_support::*;

/// Runs `coda-rs copy ARGS` under `ulimit -n LIMIT` (soft and hard).
fn copy_limited(limit: u32, args: &[&Path], extra: &[&str]) -> (Option<i32>, String) {
    let mut script = format!("ulimit -n {limit} && exec \"$0\" copy");
    for i in 0..args.len() + extra.len() {
        script.push_str(&format!(" \"${}\"", i + 1));
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(coda_rs_tests::coda_rs_path())
        .args(args)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn deep_and_wide_trees_copy_within_96_open_files() {
    let dir = scratch();
    let src = dir.path().join("src");
    // 120 levels deep, and 300 directories side by side, each with a file.
    let mut deep = src.join("deep");
    for i in 0..120 {
        deep = deep.join(format!("l{i:03}"));
    }
    fs::create_dir_all(&deep).unwrap();
    write_pattern(&deep.join("bottom"), 1000, 1);
    for d in 0..300u64 {
        let sub = src.join("wide").join(format!("d{d:03}"));
        fs::create_dir_all(&sub).unwrap();
        write_pattern(&sub.join("f"), 100 + d as usize, d + 2);
    }
    stamp_tree(&src);
    let dst = dir.path().join("dst");
    let (code, err) = copy_limited(96, &[&src, &dst], &["--jobs", "4"]);
    assert_eq!(code, Some(0), "{err}");
    assert_same_tree(
        &src,
        &dst,
        Check {
            owner: is_root(),
            xattrs: false,
        },
    );
}

#[test]
fn more_pairs_than_the_limit_allows_are_refused_up_front() {
    let dir = scratch();
    let mut lines = String::new();
    for p in 0..40 {
        let src = dir.path().join(format!("src{p}"));
        fs::create_dir(&src).unwrap();
        fs::write(src.join("f"), b"x").unwrap();
        lines.push_str(&format!(
            "{} {}\n",
            src.display(),
            dir.path().join(format!("dst{p}")).display()
        ));
    }
    let pairs = dir.path().join("pairs");
    fs::write(&pairs, lines).unwrap();
    let (code, err) = copy_limited(
        96,
        &[],
        &["--jobs", "2", "--pairs", pairs.to_str().unwrap()],
    );
    assert_eq!(code, Some(1), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("coda-rs: 40 pairs need at least ")
            && lines[0].contains("open files at once, but the limit is 96 (expected fewer pairs"),
        "{err}"
    );
    for p in 0..40 {
        assert!(
            !dir.path().join(format!("dst{p}")).exists(),
            "dst{p} was created"
        );
    }
}
