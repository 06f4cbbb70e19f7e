//! One size grammar everywhere (issue 16; cli-conventions.md,
//! "Arguments"): every flag or argument that takes a size accepts the
//! same strings with the same meaning and refuses the same strings with
//! the same one-line error, `coda-rs: NAME: "TEXT" … (expected …)`, exit 2,
//! nothing written. Only a tape's capacity also takes a fraction (`1.5G`).

use std::path::Path;
use std::process::Output;

use coda_rs_tests::{coda_rs, golden, scratch};

/// Twenty MiB written every way the grammar takes it (the conventions'
/// `M`, the IEC name in three cases, hex, octal, 512-byte sectors,
/// 4096-byte pages, plain bytes with and without `B`).
const TWENTY_MIB: &[&str] = &[
    "20M",
    "20m",
    "20MiB",
    "20mib",
    "20MIB",
    "0x1400000",
    "0120000000",
    "40960S",
    "5120p",
    "20971520",
    "20971520B",
    " 20M ",
];

/// Refused by every size: decimal units (ambiguous: write `20M`), unknown
/// suffixes, no number, a sign, inner spaces, a comma, too large. (A
/// leading `-` is taken for a flag by the argument parser: exit 2 too.)
const REFUSED: &[&str] = &[
    "20MB",
    "20mb",
    "1GB",
    "12XB",
    "M",
    "+1M",
    "20 M",
    "1,5M",
    "1.2.3G",
    "08",
    "20Mi",
    "99999999999999999999T",
    "16777216T",
];

/// A size-taking argument: its name in error lines, whether it takes a
/// fraction, and how to run a command with `text` in its place (inside
/// the scratch directory `dir`).
struct Flag {
    name: &'static str,
    fraction: bool,
    run: fn(&Path, &str) -> Output,
}

fn lists() -> (String, String) {
    let s = |n| golden("dump", n).display().to_string();
    (s("VolumeList.sample"), s("VRList.sample"))
}

fn flags() -> Vec<Flag> {
    vec![
        Flag {
            name: "SIZE",
            fraction: false,
            run: |d, t| {
                coda_rs()
                    .args(["rvm", "init-log"])
                    .arg(d.join("LOG"))
                    .arg(t)
                    .output()
                    .unwrap()
            },
        },
        Flag {
            name: "--log-size",
            fraction: false,
            run: |d, t| rvm_init(d, t, "2M"),
        },
        Flag {
            name: "--data-size",
            fraction: false,
            run: |d, t| rvm_init(d, "1M", t),
        },
        Flag {
            name: "DATALEN",
            fraction: false,
            run: |d, t| {
                coda_rs()
                    .args(["rvm", "init-data"])
                    .arg(d.join("LOG"))
                    .arg(d.join("DATA"))
                    .args([t, "0x50000000", "1M", "64K", "100", "64"])
                    .output()
                    .unwrap()
            },
        },
        Flag {
            name: "--tape-size",
            fraction: true,
            run: |_, t| {
                let (vl, vr) = lists();
                coda_rs()
                    .args(["plan", "dumplists", "--volume-list", &vl, "--vrlist", &vr])
                    .args(["--tape-size", t])
                    .output()
                    .unwrap()
            },
        },
        Flag {
            name: "--tape-size",
            fraction: true,
            run: |d, t| reinit(d, &["--tape-size", t]),
        },
        Flag {
            name: "--rvm-log-size",
            fraction: false,
            run: |d, t| reinit(d, &["--rvm-log-size", t]),
        },
        Flag {
            name: "--rvm-data-size",
            fraction: false,
            run: |d, t| reinit(d, &["--rvm-data-size", t]),
        },
        Flag {
            name: "--block-size",
            fraction: false,
            run: |_, t| {
                coda_rs()
                    .args(["tape", "ls", "--block-size", t])
                    .arg(golden("dump", "server-a-full.dump"))
                    .output()
                    .unwrap()
            },
        },
        Flag {
            name: "--block-size",
            fraction: false,
            run: |d, t| {
                coda_rs()
                    .args(["dump", "restore", "--tape", "--block-size", t])
                    .arg(d.join("no-tape"))
                    .arg("--into")
                    .arg(d.join("r"))
                    .output()
                    .unwrap()
            },
        },
    ]
}

/// `rvm init` in `d` with the log and data sizes given.
fn rvm_init(d: &Path, log: &str, data: &str) -> Output {
    coda_rs()
        .args(["rvm", "init", "--log"])
        .arg(d.join("LOG"))
        .args(["--log-size", log, "--data"])
        .arg(d.join("DATA"))
        .args(["--data-size", data])
        .output()
        .unwrap()
}

fn reinit(d: &Path, extra: &[&str]) -> Output {
    let (vl, vr) = lists();
    let mut c = coda_rs();
    c.args(["reinit", "init", "--volume-list", &vl, "--vrlist", &vr])
        .arg("--state")
        .arg(d.join("state"))
        .arg("--dump-dir")
        .arg(d)
        .args(["--rvm-log", "/vice/LOG", "--rvm-data", "/vice/DATA"]);
    for (flag, default) in [("--rvm-log-size", "20M"), ("--rvm-data-size", "256M")] {
        if !extra.contains(&flag) {
            c.args([flag, default]);
        }
    }
    c.args(extra).output().unwrap()
}

/// The size was refused: exit 2, one line naming the argument and the
/// text as given, what was expected, nothing on stdout, nothing written.
fn assert_refused(flag: &Flag, dir: &Path, text: &str, out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    let what = format!("{} {text:?}: {err}", flag.name);
    assert_eq!(out.status.code(), Some(2), "{what}");
    assert_eq!(err.lines().count(), 1, "{what}");
    assert!(
        err.starts_with(&format!("coda-rs: {}: {text:?}", flag.name)),
        "{what}"
    );
    assert!(err.contains("(expected "), "{what}");
    assert!(out.stdout.is_empty(), "{what}");
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0, "{what}");
}

/// The size was not what stopped the command: no error line quotes it.
/// (Commands whose other arguments are deliberately incomplete fail
/// afterwards, for another reason.)
fn assert_accepted(flag: &Flag, text: &str, out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains(&format!("{text:?}")) && !err.contains("(expected a whole number"),
        "{} {text:?} refused: {err}",
        flag.name
    );
}

#[test]
fn every_size_flag_refuses_the_same_strings() {
    for flag in flags() {
        for text in REFUSED {
            let t = scratch();
            let out = (flag.run)(t.path(), text);
            assert_refused(&flag, t.path(), text, &out);
        }
        // A fraction: only a tape's capacity takes one.
        for text in ["1.5M", "0.5G", ".5K"] {
            let t = scratch();
            let out = (flag.run)(t.path(), text);
            if flag.fraction {
                assert_accepted(&flag, text, &out);
            } else {
                assert_refused(&flag, t.path(), text, &out);
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(err.contains("has a fraction"), "{err}");
            }
        }
    }
}

#[test]
fn every_size_flag_accepts_the_same_strings() {
    for flag in flags() {
        for text in TWENTY_MIB {
            let t = scratch();
            let out = (flag.run)(t.path(), text);
            assert_accepted(&flag, text, &out);
        }
    }
}

/// The same strings mean the same bytes: 20 MiB tapes in the dumplist
/// plan, a 20 MiB record area in the log's status.
#[test]
fn accepted_sizes_mean_twenty_mib() {
    let (vl, vr) = lists();
    for text in TWENTY_MIB {
        let out = coda_rs()
            .args(["plan", "dumplists", "--volume-list", &vl, "--vrlist", &vr])
            .args(["--tape-size", text])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text:?}");
        assert!(
            stdout.contains("tape(s) of 20.00 MiB (20971520 bytes)"),
            "{text:?}: {stdout}"
        );
    }
    for text in ["1.5G", "1.5GiB", "1536M", "0x60000000"] {
        let out = coda_rs()
            .args(["plan", "dumplists", "--volume-list", &vl, "--vrlist", &vr])
            .args(["--tape-size", text])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("(1610612736 bytes)"), "{text:?}: {stdout}");
    }
    for text in ["20M", "20MiB", "40960s", "0x1400000"] {
        let t = scratch();
        let log = t.path().join("LOG");
        let out = coda_rs()
            .args(["rvm", "init-log"])
            .arg(&log)
            .arg(text)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{text:?}: {out:?}");
        let out = coda_rs()
            .args(["rvm", "status", "--json"])
            .arg(&log)
            .output()
            .unwrap();
        let status = String::from_utf8_lossy(&out.stdout);
        assert!(status.contains("20971520"), "{text:?}: {status}");
    }
}
