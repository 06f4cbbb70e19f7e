//! Directory entry names are checked once, where they leave the format
//! (spec §11.7, §12.3, §12.6): an empty name, a name with `/`, a name
//! without its NUL, `.`/`..` other than the directory's own two standard
//! entries, and a name a directory lists twice are refused by every
//! consumer. `dump restore` and `dump to-tar` stop with exit 1 and one
//! error line naming the directory, the escaped name and the entry's byte
//! offset, writing nothing (no tar, nothing outside the target); `dump ls
//! --tree` warns and `dump verify` reports an error. Dumps are built byte
//! by byte (tests/hostile_support).

use crate::hostile_support;

use std::fs;

use coda_rs_tests::{coda_rs, read_golden, scratch};
use hostile_support::*;

/// One hostile dump: directories, objects, the entry the error is about
/// (directory index, entry index) and the escaped name the error shows.
struct Case {
    what: &'static str,
    dirs: Vec<Dir>,
    objs: Vec<Obj>,
    bad: (usize, usize),
    shown: &'static str,
}

fn sub(rest: Vec<Raw>) -> Vec<Dir> {
    vec![
        dir(ROOT, ROOT, vec![e(b"sub", (3, 2))]),
        dir((3, 2), ROOT, rest),
    ]
}

fn cases() -> Vec<Case> {
    let f = |v: u32| file((v, 2), ROOT, b"data\n");
    let unterminated = Raw {
        name: vec![b'n'; 256],
        fid: (2, 2),
        terminated: false,
    };
    vec![
        Case {
            what: "empty name in the root",
            dirs: vec![dir(ROOT, ROOT, vec![e(b"", (2, 2))])],
            objs: vec![f(2)],
            bad: (0, 2),
            shown: "\"\"",
        },
        Case {
            what: "empty name in a subdirectory",
            dirs: sub(vec![e(b"ok", (4, 2)), e(b"", (2, 2))]),
            objs: vec![f(2), f(4)],
            bad: (1, 3),
            shown: "\"\"",
        },
        Case {
            what: "a slash inside a name",
            dirs: vec![dir(ROOT, ROOT, vec![e(b"a/b", (2, 2))])],
            objs: vec![f(2)],
            bad: (0, 2),
            shown: "\"a/b\"",
        },
        Case {
            what: "a name climbing out with ../",
            dirs: sub(vec![e(b"../../../../etc/cron.d/x", (2, 2))]),
            objs: vec![f(2)],
            bad: (1, 2),
            shown: "\"../../../../etc/cron.d/x\"",
        },
        Case {
            what: "an absolute name",
            dirs: vec![dir(ROOT, ROOT, vec![e(b"/etc/passwd", (2, 2))])],
            objs: vec![f(2)],
            bad: (0, 2),
            shown: "\"/etc/passwd\"",
        },
        Case {
            what: "a slash and terminal escapes (shown escaped, on one line)",
            dirs: vec![dir(ROOT, ROOT, vec![e(b"x/\x1b[2J\n\xff\"", (2, 2))])],
            objs: vec![f(2)],
            bad: (0, 2),
            shown: "\"x/\\x1b[2J\\x0a\\xff\\\"\"",
        },
        Case {
            what: "a name without its NUL",
            dirs: vec![dir(ROOT, ROOT, vec![unterminated])],
            objs: vec![f(2)],
            bad: (0, 2),
            shown: "no terminating NUL",
        },
        Case {
            what: "`.` of the root naming a subdirectory",
            dirs: vec![
                Dir {
                    fid: ROOT,
                    parent: ROOT,
                    entries: vec![e(b".", (3, 2)), e(b"..", ROOT), e(b"sub", (3, 2))],
                },
                dir((3, 2), ROOT, vec![]),
            ],
            objs: vec![],
            bad: (0, 0),
            shown: "\".\"",
        },
        Case {
            what: "`..` of the root naming a subdirectory",
            dirs: vec![
                Dir {
                    fid: ROOT,
                    parent: ROOT,
                    entries: vec![e(b".", ROOT), e(b"..", (3, 2)), e(b"sub", (3, 2))],
                },
                dir((3, 2), ROOT, vec![]),
            ],
            objs: vec![],
            bad: (0, 1),
            shown: "\"..\"",
        },
        Case {
            what: "`..` of a subdirectory naming a file",
            dirs: vec![
                dir(ROOT, ROOT, vec![e(b"sub", (3, 2))]),
                Dir {
                    fid: (3, 2),
                    parent: ROOT,
                    entries: vec![e(b".", (3, 2)), e(b"..", (2, 2))],
                },
            ],
            objs: vec![f(2)],
            bad: (1, 1),
            shown: "\"..\"",
        },
        // Entries of one hash chain are listed newest first (spec §12.5),
        // so a repeated name is found at the entry created first.
        Case {
            what: "a second `..` entry naming a file",
            dirs: sub(vec![e(b"..", (2, 2))]),
            objs: vec![f(2)],
            bad: (1, 2),
            shown: "\"..\"",
        },
        Case {
            what: "a second `..` entry naming another directory",
            dirs: vec![
                dir(ROOT, ROOT, vec![e(b"sub", (3, 2)), e(b"other", (5, 3))]),
                dir((3, 2), ROOT, vec![e(b"..", (5, 3))]),
                dir((5, 3), ROOT, vec![]),
            ],
            objs: vec![],
            bad: (1, 1),
            shown: "\"..\"",
        },
        Case {
            what: "a second `.` entry in the root",
            dirs: vec![dir(ROOT, ROOT, vec![e(b".", (5, 3))])],
            objs: vec![],
            bad: (0, 2),
            shown: "\".\"",
        },
        Case {
            what: "two files with one name",
            dirs: vec![dir(ROOT, ROOT, vec![e(b"f", (2, 2)), e(b"f", (4, 2))])],
            objs: vec![f(2), f(4)],
            bad: (0, 2),
            shown: "\"f\"",
        },
        Case {
            what: "a directory and a symlink with one name",
            dirs: vec![
                dir(ROOT, ROOT, vec![e(b"d", (3, 2)), e(b"d", (4, 2))]),
                dir((3, 2), ROOT, vec![e(b"passwd", (2, 2))]),
            ],
            objs: vec![f(2), symlink((4, 2), ROOT, b"/etc")],
            bad: (0, 2),
            shown: "\"d\"",
        },
        Case {
            what: "two long names alike in a subdirectory",
            dirs: sub(vec![
                e(&[b'L'; 200], (2, 2)),
                e(b"between", (6, 2)),
                e(&[b'L'; 200], (4, 2)),
            ]),
            objs: vec![f(2), f(4), f(6)],
            bad: (1, 2),
            shown: "\"LLLLLLLL",
        },
    ]
}

/// What every error line must name: the directory, the name and the
/// entry's byte offset.
fn assert_names_the_entry(line: &str, c: &Case, b: &Built) {
    let fid = c.dirs[c.bad.0].fid;
    let dir = format!("directory {:#x}.{:#x}", fid.0, fid.1);
    assert!(line.contains(&dir), "{}: {line}", c.what);
    assert!(line.contains(c.shown), "{}: {line}", c.what);
    let at = format!("byte offset {}:", entry_offset(c, b));
    assert!(line.contains(&at), "{}: {at} in {line}", c.what);
}

/// Stream offset an error about the case's entry names: the entry's first
/// blob, or for a name without its NUL where the name starts (12 bytes
/// in, spec §12.3).
fn entry_offset(c: &Case, b: &Built) -> u64 {
    let at = b.offset(c.bad.0, c.bad.1);
    if c.shown == "no terminating NUL" {
        at + 12
    } else {
        at
    }
}

#[test]
fn the_page_builder_follows_the_spec() {
    // The root page of native-full (spec §16) is what the builder makes of
    // `.` and `..` naming 1.1.
    let golden = read_golden("dump", "native-full.dump");
    let (p, blobs) = pages(&[e(b".", ROOT), e(b"..", ROOT)]);
    assert_eq!(p, &golden[474..474 + 2048]);
    assert_eq!(blobs, vec![13, 14]);
    assert_eq!(hash(b"README.txt"), 12);
    assert_eq!(hash("café.txt".as_bytes()), 52);
}

#[test]
fn to_tar_refuses_bad_names_and_writes_nothing() {
    for c in cases() {
        let t = scratch();
        let b = build(&c.dirs, &c.objs);
        let dump = write_dump(t.path(), &b);
        let victim = victim(t.path(), &["out"]);
        let out_dir = t.path().join("out");
        fs::create_dir(&out_dir).unwrap();
        let res = coda_rs()
            .args(["dump", "to-tar", "--acl-mtime", "0", "-o"])
            .arg(out_dir.join("x.tar"))
            .arg(&dump)
            .output()
            .unwrap();
        assert_eq!(res.status.code(), Some(1), "{}", c.what);
        let line = one_line_error(&res.stderr);
        assert_names_the_entry(&line, &c, &b);
        assert_eq!(fs::read_dir(&out_dir).unwrap().count(), 0, "{}", c.what);
        victim.assert_untouched(c.what);
    }
}

#[test]
fn restore_refuses_bad_names_and_writes_nothing_outside() {
    for c in cases() {
        let t = scratch();
        let b = build(&c.dirs, &c.objs);
        let dump = write_dump(t.path(), &b);
        let line = refused_restore(t.path(), &dump, c.what);
        assert_names_the_entry(&line, &c, &b);
    }
}

#[test]
fn ls_tree_warns_about_bad_names() {
    for c in cases() {
        let t = scratch();
        let b = build(&c.dirs, &c.objs);
        let dump = write_dump(t.path(), &b);
        let res = coda_rs()
            .args(["dump", "ls", "--tree", "--json"])
            .arg(&dump)
            .output()
            .unwrap();
        assert_eq!(res.status.code(), Some(0), "{}", c.what);
        let err = String::from_utf8(res.stderr).unwrap();
        let warning = err
            .lines()
            .find(|l| l.starts_with("coda-rs: warning: "))
            .unwrap_or_else(|| panic!("{}: no warning in {err}", c.what));
        assert_names_the_entry(warning, &c, &b);
        // The bad name is never part of a listed path.
        let j: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
        for entry in j["tree"].as_array().unwrap() {
            let path = entry["path"].as_str().unwrap();
            for comp in path.split('/') {
                assert!(
                    !comp.is_empty() && comp != ".." && comp != ".",
                    "{}: {path}",
                    c.what
                );
            }
        }
    }
}

#[test]
fn verify_reports_bad_names_as_errors() {
    for c in cases() {
        let t = scratch();
        let b = build(&c.dirs, &c.objs);
        let dump = write_dump(t.path(), &b);
        let res = coda_rs()
            .args(["dump", "verify"])
            .arg(&dump)
            .output()
            .unwrap();
        assert_eq!(res.status.code(), Some(1), "{}", c.what);
        let out = String::from_utf8(res.stdout).unwrap();
        let fid = c.dirs[c.bad.0].fid;
        let line = out
            .lines()
            .find(|l| l.contains("error: ") && l.contains("(expected names"))
            .unwrap_or_else(|| panic!("{}: no error line in {out}", c.what));
        let at = format!("byte offset {}:", entry_offset(&c, &b));
        assert!(line.contains(&at), "{}: {at} in {line}", c.what);
        let dir = format!("directory {:#x}.{:#x}", fid.0, fid.1);
        assert!(line.contains(&dir), "{}: {line}", c.what);
    }
}

#[test]
fn a_name_is_what_comes_before_its_nul() {
    // Bytes after the NUL are stale data (spec §12.3), never part of the
    // name: `x\0/../../etc` is the file `x`.
    let t = scratch();
    let b = build(
        &[dir(ROOT, ROOT, vec![e(b"x\0/../../etc", (2, 2))])],
        &[file((2, 2), ROOT, b"data\n")],
    );
    let dump = write_dump(t.path(), &b);
    let res = coda_rs()
        .args(["dump", "ls", "--tree", "--json"])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(res.status.success());
    let j: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    let mut paths: Vec<&str> = j["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(paths, vec![VOLUME, &format!("{VOLUME}/x")[..]]);
}
