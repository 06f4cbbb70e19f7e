//! A namespace that is not a tree (spec §11.7): a directory reachable
//! under two names, the root listed inside a directory, a `..` that does
//! not name the directory listing it, directories naming each other in a
//! cycle. `dump restore` and `dump to-tar` refuse such a dump (exit 1, one
//! line naming the directory and the entry's byte offset, nothing written
//! outside the target, no tar left); `dump ls --tree` and `dump verify`
//! warn and go on. Files with several names are hard links and stay fine.

use crate::hostile_support;

use std::fs;

use coda_rs_tests::{coda_rs, scratch};
use hostile_support::*;

struct Case {
    what: &'static str,
    dirs: Vec<Dir>,
    objs: Vec<Obj>,
    /// (directory index, entry index) of the entry the problem is found at.
    at: (usize, usize),
    /// Text the problem's description holds.
    says: &'static str,
}

fn cases() -> Vec<Case> {
    let f = |v: u32, parent: Fid| file((v, 2), parent, b"data\n");
    vec![
        Case {
            what: "a directory listed twice by the root",
            // `a` (chain 97) is listed before `b` (chain 98).
            dirs: vec![
                dir(ROOT, ROOT, vec![e(b"a", (3, 2)), e(b"b", (3, 2))]),
                dir((3, 2), ROOT, vec![e(b"f", (2, 2))]),
            ],
            objs: vec![f(2, (3, 2))],
            at: (0, 3),
            says: "directory 0x3.0x2 is listed twice",
        },
        Case {
            what: "a directory listed by two directories",
            dirs: vec![
                dir(ROOT, ROOT, vec![e(b"a", (3, 2)), e(b"x", (5, 3))]),
                dir((3, 2), ROOT, vec![]),
                dir((5, 3), ROOT, vec![e(b"again", (3, 2))]),
            ],
            objs: vec![],
            at: (2, 2),
            says: "directory 0x3.0x2 is listed twice",
        },
        Case {
            what: "the root inside a subdirectory",
            dirs: vec![
                dir(ROOT, ROOT, vec![e(b"sub", (3, 2))]),
                dir((3, 2), ROOT, vec![e(b"up", ROOT)]),
            ],
            objs: vec![],
            at: (1, 2),
            says: "the root directory 0x1.0x1 is listed",
        },
        Case {
            what: "the root inside itself",
            dirs: vec![dir(ROOT, ROOT, vec![e(b"self", ROOT)])],
            objs: vec![],
            at: (0, 2),
            says: "the root directory 0x1.0x1 is listed",
        },
        Case {
            what: "two directories naming each other only",
            dirs: vec![
                dir(ROOT, ROOT, vec![]),
                dir((3, 2), (5, 3), vec![e(b"b", (5, 3))]),
                dir((5, 3), (3, 2), vec![e(b"a", (3, 2)), e(b"f", (2, 2))]),
            ],
            objs: vec![f(2, (5, 3))],
            at: (2, 2),
            says: "cycle",
        },
        Case {
            what: "three directories in a cycle",
            dirs: vec![
                dir(ROOT, ROOT, vec![]),
                dir((3, 2), (7, 4), vec![e(b"b", (5, 3))]),
                dir((5, 3), (3, 2), vec![e(b"c", (7, 4))]),
                dir((7, 4), (5, 3), vec![e(b"a", (3, 2))]),
            ],
            objs: vec![],
            at: (3, 2),
            says: "cycle",
        },
        Case {
            what: "`..` naming another directory than the one listing it",
            dirs: vec![
                dir(ROOT, ROOT, vec![e(b"sub", (3, 2)), e(b"other", (5, 3))]),
                dir((3, 2), (5, 3), vec![]),
                dir((5, 3), ROOT, vec![]),
            ],
            objs: vec![],
            at: (1, 1),
            says: "the `..` entry of directory 0x3.0x2",
        },
    ]
}

fn assert_names_the_problem(line: &str, c: &Case, b: &Built) {
    assert!(line.contains(c.says), "{}: {line}", c.what);
    let at = format!("byte offset {}", b.offset(c.at.0, c.at.1));
    assert!(line.contains(&at), "{}: {at} in {line}", c.what);
}

#[test]
fn restore_refuses_a_namespace_that_is_not_a_tree() {
    for c in cases() {
        let t = scratch();
        let b = build(&c.dirs, &c.objs);
        let dump = write_dump(t.path(), &b);
        let line = refused_restore(t.path(), &dump, c.what);
        assert_names_the_problem(&line, &c, &b);
    }
}

#[test]
fn to_tar_refuses_a_namespace_that_is_not_a_tree() {
    for c in cases() {
        let t = scratch();
        let b = build(&c.dirs, &c.objs);
        let dump = write_dump(t.path(), &b);
        let out_dir = t.path().join("out");
        fs::create_dir(&out_dir).unwrap();
        for pax in [false, true] {
            let mut cmd = coda_rs();
            cmd.args(["dump", "to-tar", "--acl-mtime", "0", "-o"])
                .arg(out_dir.join("x.tar"))
                .arg(&dump);
            if pax {
                cmd.arg("--pax");
            }
            let res = cmd.output().unwrap();
            assert_eq!(res.status.code(), Some(1), "{}", c.what);
            let line = one_line_error(&res.stderr);
            assert_names_the_problem(&line, &c, &b);
            assert_eq!(fs::read_dir(&out_dir).unwrap().count(), 0, "{}", c.what);
        }
        // To stdout: refused before the first byte.
        let res = coda_rs()
            .args(["dump", "to-tar", "--acl-mtime", "0"])
            .arg(&dump)
            .output()
            .unwrap();
        assert_eq!(res.status.code(), Some(1), "{}", c.what);
        assert!(res.stdout.is_empty(), "{}", c.what);
    }
}

#[test]
fn ls_tree_warns_and_lists() {
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
            .find(|l| l.starts_with("coda-rs: warning: ") && l.contains(c.says))
            .unwrap_or_else(|| panic!("{}: no warning in {err}", c.what));
        assert_names_the_problem(warning, &c, &b);
        assert!(warning.contains("refuse"), "{warning}");
        let j: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
        let tree = j["tree"].as_array().unwrap();
        // Every directory is listed exactly once, the root under its name.
        for d in &c.dirs {
            let n = tree
                .iter()
                .filter(|e| e["vnode"] == d.fid.0 && e["unique"] == d.fid.1)
                .count();
            assert_eq!(n, 1, "{}: {:?}", c.what, d.fid);
        }
        assert!(tree.iter().any(|e| e["path"] == VOLUME && e["vnode"] == 1));
    }
}

#[test]
fn verify_warns_and_reports_the_finding() {
    for c in cases() {
        let t = scratch();
        let b = build(&c.dirs, &c.objs);
        let dump = write_dump(t.path(), &b);
        let res = coda_rs()
            .args(["dump", "verify", "--json"])
            .arg(&dump)
            .output()
            .unwrap();
        assert_eq!(res.status.code(), Some(0), "{}: {:?}", c.what, res);
        let j: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
        let problems = j["problems"].as_array().unwrap();
        let p = problems
            .iter()
            .find(|p| p["message"].as_str().unwrap().contains(c.says))
            .unwrap_or_else(|| panic!("{}: {j}", c.what));
        assert_eq!(p["severity"], "warning", "{}", c.what);
        assert_eq!(p["offset"], b.offset(c.at.0, c.at.1), "{}", c.what);
        // And in the text output.
        let res = coda_rs()
            .args(["dump", "verify"])
            .arg(&dump)
            .output()
            .unwrap();
        let text = String::from_utf8(res.stdout).unwrap();
        let line = format!("byte offset {}: warning: ", b.offset(c.at.0, c.at.1));
        assert!(text.contains(&line), "{}: {text}", c.what);
    }
}

#[test]
fn a_file_with_two_names_is_a_hard_link_and_fine() {
    let t = scratch();
    let b = build(
        &[
            dir(ROOT, ROOT, vec![e(b"a", (2, 2)), e(b"sub", (3, 2))]),
            dir((3, 2), ROOT, vec![e(b"b", (2, 2))]),
        ],
        &[file((2, 2), ROOT, b"shared\n")],
    );
    let dump = write_dump(t.path(), &b);
    let into = t.path().join("target");
    coda_rs()
        .args(["dump", "restore", "--acls", "skip", "--quiet", "--into"])
        .arg(&into)
        .arg(&dump)
        .assert()
        .success();
    use std::os::unix::fs::MetadataExt;
    let a = fs::metadata(into.join("a")).unwrap();
    let b2 = fs::metadata(into.join("sub/b")).unwrap();
    assert_eq!(a.ino(), b2.ino());
    assert_eq!(fs::read(into.join("sub/b")).unwrap(), b"shared\n");
    let tar = t.path().join("x.tar");
    coda_rs()
        .args(["dump", "to-tar", "-q", "--acl-mtime", "0", "-o"])
        .arg(&tar)
        .arg(&dump)
        .assert()
        .success();
    let bytes = fs::read(&tar).unwrap();
    // A type-1 record (spec §11.3) for the second name.
    assert!(bytes.chunks(512).any(|h| h[156] == b'1'));
    let res = coda_rs()
        .args(["dump", "ls", "--tree"])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(res.status.success());
    assert!(
        res.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let res = coda_rs()
        .args(["dump", "verify"])
        .arg(&dump)
        .output()
        .unwrap();
    let text = String::from_utf8(res.stdout).unwrap();
    assert!(res.status.success(), "{text}");
    assert!(text.contains("0 errors, 0 warnings"), "{text}");
}
