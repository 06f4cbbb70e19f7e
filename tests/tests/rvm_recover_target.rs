//! `rvm recover` applies ranges only to a real data segment (issue 11 item
//! 4; spec §7.1, §9.1): a target whose first page is a valid segment header
//! with its regions inside the segment, or one whose header the log's own
//! epoch writes at byte 0 (an interrupted init-data). Anything else is
//! refused with exit 3 and left byte-identical (mode and mtime too) unless
//! `--force`; ranges past the end are refused before anything is written.

use crate::rvm_support;

use std::path::{Path, PathBuf};

use coda_rs_tests::{read_golden, scratch};
use rvm_support::{assert_refused, golden_copy, run_coda, FileState};

/// The path crash1.log.crash records for its data segment.
const RECORDED: &str = "/tmp/rvmgold/crash1/data";

/// Deterministic pseudo-random bytes (xorshift64).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// (offset, length) of every range the golden `show all` lists.
fn showall_ranges(golden: &str) -> Vec<(usize, usize)> {
    let text = String::from_utf8(read_golden("rvm", golden)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let field = |l: &str, key: &str| -> usize {
        let rest = &l[l.find(key).unwrap() + key.len()..];
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    lines
        .windows(2)
        .filter(|w| w[0].contains("VM address:") && w[1].contains("Segment code:"))
        .map(|w| (field(w[1], "Offset:"), field(w[0], "Length:")))
        .collect()
}

#[test]
fn targets_that_are_not_segments_are_refused_untouched() {
    let dir = scratch();
    let d = dir.path();
    let log = golden_copy(d, "crash1.log.crash", "log");
    let seg = read_golden("rvm", "crash1.data.crash.gz");
    let len = seg.len();
    let mut wide = seg.clone();
    // Region 1's length (byte 144 + 32 + 16) now runs past the file's end.
    wide[192..200].copy_from_slice(&2_000_000u64.to_le_bytes());
    let mut version = seg.clone();
    version[4..8].copy_from_slice(b"XVM ");
    let mut regions = seg.clone();
    regions[136..144].copy_from_slice(&5000u64.to_le_bytes());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("zeros", vec![0; len], "its first page is all zero"),
        ("noise", noise(len, 7), "struct id"),
        (
            "text",
            b"user data, not RVM\n".repeat(len / 19),
            "struct id",
        ),
        ("wide", wide, "region 1"),
        ("version", version, "version at byte 4"),
        ("nregions", regions, "nregions 5000"),
        ("short", seg[..1000].to_vec(), "too short"),
        ("halved", seg[..len / 2].to_vec(), "region 1"),
        ("empty", Vec::new(), "too short"),
    ];
    let log_before = FileState::of(&log);
    for (name, bytes, why) in &cases {
        let target = put(d, name, bytes);
        let before = FileState::of(&target);
        let map = format!("{RECORDED}={}", target.display());
        for how in [["--data", target.to_str().unwrap()], ["--map", &map]] {
            for dry in [false, true] {
                let mut args = vec!["rvm", "recover", log.to_str().unwrap(), how[0], how[1]];
                if dry {
                    args.push("--dry-run");
                }
                let got = run_coda(&args);
                assert_refused(
                    &format!("{name} {} dry={dry}", how[0]),
                    &got,
                    3,
                    &[
                        &target.display().to_string(),
                        "is not an RVM data segment",
                        why,
                        "--force",
                    ],
                );
                assert!(FileState::of(&target) == before, "{name}: target changed");
                assert!(FileState::of(&log) == log_before, "{name}: log changed");
            }
        }
    }
}

#[test]
fn force_applies_to_a_non_segment_but_never_past_its_end() {
    let dir = scratch();
    let d = dir.path();
    // Zeros of the right length: with --force the ranges land exactly where
    // the real rvmutl put them (showall golden), nothing else changes.
    let log = golden_copy(d, "crash1.log.crash", "log");
    let after = read_golden("rvm", "crash1.data.after.gz");
    let target = put(d, "zeros", &vec![0; after.len()]);
    let (code, out, err) = run_coda([
        "rvm",
        "recover",
        log.to_str().unwrap(),
        "--data",
        target.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let mut want = vec![0u8; after.len()];
    // Records #6..#9 of the golden listing are the applied epoch.
    for (off, len) in showall_ranges("crash1.log.crash.showall.txt") {
        want[off..off + len].copy_from_slice(&after[off..off + len]);
    }
    assert!(std::fs::read(&target).unwrap() == want, "zeros + --force");

    // Too short: even --force refuses, naming the range and the length,
    // before the log or the target is written.
    for (name, len) in [("short", 1000usize), ("under-a-mib", 1_000_000)] {
        let log = golden_copy(d, "crash1.log.crash", &format!("{name}.log"));
        let target = put(d, name, &noise(len, 3));
        let (tb, lb) = (FileState::of(&target), FileState::of(&log));
        let got = run_coda([
            "rvm",
            "recover",
            log.to_str().unwrap(),
            "--data",
            target.to_str().unwrap(),
            "--force",
        ]);
        let seg_len = (len & !511).to_string();
        assert_refused(name, &got, 1, &["range", "beyond the", &seg_len, name]);
        assert!(FileState::of(&target) == tb, "{name}: target changed");
        assert!(FileState::of(&log) == lb, "{name}: log changed");
    }
}

/// rdsinit_A.log's four records (spec §8.3.1) behind the status block of
/// the fresh log they were written to (rdsinit_A.log.before): the state of
/// an init-data interrupted after its records were flushed, before they
/// were applied. Its epoch writes the segment header page at byte 0.
fn interrupted_init_data(dir: &Path, name: &str) -> PathBuf {
    let mut log = read_golden("rvm", "rdsinit_A.log.before");
    let after = read_golden("rvm", "rdsinit_A.log");
    log[2560..].copy_from_slice(&after[2560..]);
    put(dir, name, &log)
}

#[test]
fn an_interrupted_init_data_still_recovers() {
    let dir = scratch();
    let d = dir.path();
    let want = read_golden("rvm", "rdsinit_A.data.gz");
    // Spec §5.8: the header page and the three heap ranges of rdsinit A.
    let ranges = [(0usize, 4096usize), (4096, 1544), (5696, 32), (987_128, 8)];
    let garbage = noise(want.len(), 11);
    let mut want_garbage = garbage.clone();
    for (off, len) in ranges {
        want_garbage[off..off + len].copy_from_slice(&want[off..off + len]);
    }
    for (case, start, expect) in [
        ("zero-filled", vec![0u8; want.len()], &want),
        ("not yet zero-filled", garbage, &want_garbage),
    ] {
        for how in ["--data", "--map"] {
            let log = interrupted_init_data(d, "log");
            let target = put(d, "data", &start);
            let arg = match how {
                "--data" => target.display().to_string(),
                _ => format!("/tmp/rvmgold/rdsA/data={}", target.display()),
            };
            let (code, out, err) = run_coda(["rvm", "recover", log.to_str().unwrap(), how, &arg]);
            assert_eq!(code, 0, "{case} {how}: {out}{err}");
            assert!(out.contains("applied 2 transaction(s)"), "{out}");
            assert!(
                std::fs::read(&target).unwrap() == *expect,
                "{case} {how}: data differs from rdsinit's"
            );
        }
    }
    // The header the epoch writes must itself fit: a 1000-byte file is
    // still refused, untouched.
    let log = interrupted_init_data(d, "log");
    let target = put(d, "tiny", &[0u8; 1000]);
    let before = FileState::of(&target);
    let got = run_coda([
        "rvm",
        "recover",
        log.to_str().unwrap(),
        "--data",
        target.to_str().unwrap(),
    ]);
    assert_refused("tiny", &got, 3, &["tiny", "too short"]);
    assert!(FileState::of(&target) == before);
}

#[test]
fn the_log_is_never_its_own_segment() {
    let dir = scratch();
    let log = golden_copy(dir.path(), "crash1.log.crash", "log");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&log, &link).unwrap();
    let before = FileState::of(&log);
    for target in [&log, &link] {
        for force in [false, true] {
            let mut args = vec![
                "rvm",
                "recover",
                log.to_str().unwrap(),
                "--data",
                target.to_str().unwrap(),
            ];
            if force {
                args.push("--force");
            }
            let got = run_coda(&args);
            assert_refused("log as data", &got, 3, &["is the log being recovered"]);
            assert!(FileState::of(&log) == before);
        }
    }
}
