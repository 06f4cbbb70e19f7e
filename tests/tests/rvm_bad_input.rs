//! Bad inputs to `coda-rs rvm init-log | init-data | init`: each gives one
//! clear error line with the right exit code (cli-conventions.md) and
//! leaves every target exactly as it was.

use crate::rvm_support;

use coda_rs_tests::{coda_rs, file_contents as snapshot, scratch};
use rvm_support::golden_copy;

struct Case {
    name: &'static str,
    args: Vec<String>,
    code: i32,
    /// Substrings the one error line must contain.
    expect: &'static [&'static str],
}

#[test]
fn bad_inputs_give_clear_errors_and_touch_nothing() {
    let dir = scratch();
    let d = dir.path();
    // Fixtures: a valid empty log, a log with pending records, a data
    // segment, a plain file, a directory.
    let log = golden_copy(d, "log_init_64K.log", "log");
    let pending = golden_copy(d, "crash1.log.crash", "pending.log");
    let seg = golden_copy(d, "rdsinit_B.data", "segment");
    std::fs::write(d.join("notes.txt"), b"not an RVM log\n").unwrap();
    std::fs::create_dir(d.join("adir")).unwrap();
    let p = |n: &str| d.join(n).display().to_string();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let rds = |log: &str, data: &str, params: [&str; 6]| {
        let mut v = vec![
            "rvm".to_string(),
            "init-data".into(),
            log.into(),
            data.into(),
        ];
        v.extend(params.iter().map(|x| x.to_string()));
        v
    };
    let good = ["1048576", "0x20000000", "524288", "262144", "100", "40"];
    let cases = vec![
        Case {
            name: "size not parseable",
            args: s(&["rvm", "init-log", &p("new.log"), "12XB"]),
            code: 2,
            expect: &["SIZE", "unknown suffix"],
        },
        Case {
            name: "size too small",
            args: s(&["rvm", "init-log", &p("new.log"), "512"]),
            code: 2,
            expect: &["SIZE", "more than 512"],
        },
        Case {
            name: "directory as LOG",
            args: s(&["rvm", "init-log", &p("adir"), "1M"]),
            code: 2,
            expect: &["adir", "is a directory"],
        },
        Case {
            name: "missing parent directory",
            args: s(&["rvm", "init-log", &p("nodir/log"), "1M"]),
            code: 2,
            expect: &["nodir/log", "parent directory", "does not exist"],
        },
        Case {
            name: "existing log without --force",
            args: s(&["rvm", "init-log", &log.display().to_string(), "1M"]),
            code: 3,
            expect: &["holds a valid RVM log", "--force"],
        },
        Case {
            name: "existing file without --force",
            args: s(&["rvm", "init-log", &p("notes.txt"), "1M"]),
            code: 3,
            expect: &["notes.txt", "existing file", "--force"],
        },
        Case {
            name: "segment as LOG without --force",
            args: s(&["rvm", "init-log", &seg.display().to_string(), "1M"]),
            code: 3,
            expect: &["RVM data segment header"],
        },
        Case {
            name: "chunk 32",
            args: rds(
                &log.display().to_string(),
                &p("d1"),
                ["1048576", "0x20000000", "524288", "262144", "100", "32"],
            ),
            code: 2,
            expect: &["CHUNK 32", "at least 40"],
        },
        Case {
            name: "datalen not parseable",
            args: rds(
                &log.display().to_string(),
                &p("d1"),
                ["lots", "0x20000000", "524288", "262144", "100", "40"],
            ),
            code: 2,
            expect: &["DATALEN", "not a number"],
        },
        Case {
            name: "datalen smaller than header + heap + statics",
            args: rds(
                &log.display().to_string(),
                &p("d1"),
                ["524288", "0x20000000", "524288", "262144", "100", "40"],
            ),
            code: 2,
            expect: &["DATALEN 524288", "at least 790528"],
        },
        Case {
            name: "first block does not fit",
            args: rds(
                &log.display().to_string(),
                &p("d1"),
                ["1048576", "0x20000000", "4096", "262144", "300", "64"],
            ),
            code: 2,
            expect: &["HEAPLEN 4096", "first free block does not fit"],
        },
        Case {
            name: "unaligned heap address",
            args: rds(
                &log.display().to_string(),
                &p("d1"),
                ["1048576", "0x20000010", "524288", "262144", "100", "40"],
            ),
            code: 2,
            expect: &["SADDR", "multiple of the page size"],
        },
        Case {
            name: "existing segment without --force",
            args: rds(&log.display().to_string(), &seg.display().to_string(), good),
            code: 3,
            expect: &["segment", "RVM data segment header", "--force"],
        },
        Case {
            name: "log with pending records",
            args: rds(&pending.display().to_string(), &p("d1"), good),
            code: 3,
            expect: &["pending.log", "pending records #5..#9", "recover"],
        },
        Case {
            name: "LOG is not a log",
            args: rds(&p("notes.txt"), &p("d1"), good),
            code: 1,
            expect: &["notes.txt", "at byte", "status block"],
        },
        Case {
            name: "LOG missing",
            args: rds(&p("nolog"), &p("d1"), good),
            code: 2,
            expect: &["nolog", "does not exist"],
        },
        Case {
            name: "init with a too small data size",
            args: s(&[
                "rvm",
                "init",
                "--log",
                &p("L"),
                "--log-size",
                "1M",
                "--data",
                &p("D"),
                "--data-size",
                "1M",
            ]),
            code: 2,
            expect: &["--data-size 1M", "HEAPLEN"],
        },
        Case {
            name: "init onto an existing log",
            args: s(&[
                "rvm",
                "init",
                "--log",
                &log.display().to_string(),
                "--log-size",
                "1M",
                "--data",
                &p("D"),
                "--data-size",
                "32M",
            ]),
            code: 3,
            expect: &["holds a valid RVM log"],
        },
    ];
    for c in cases {
        let before = snapshot(d);
        let out = coda_rs().args(&c.args).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            out.status.code(),
            Some(c.code),
            "{}: exit code; stderr: {err}",
            c.name
        );
        assert!(out.stdout.is_empty(), "{}: nothing on stdout", c.name);
        assert_eq!(
            err.lines().count(),
            1,
            "{}: one error line, got: {err}",
            c.name
        );
        assert!(err.starts_with("coda-rs: "), "{}: {err}", c.name);
        for e in c.expect {
            assert!(err.contains(e), "{}: error lacks {e:?}: {err}", c.name);
        }
        assert!(snapshot(d) == before, "{}: a target was modified", c.name);
    }
}
