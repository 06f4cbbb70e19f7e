//! `dump restore` against hostile dumps and hostile targets (issue 11
//! items 1 and 2): entries named like the restore's own files, a
//! `lost+found` that is not a directory, symlinks already in the target
//! with `--force`, and targets changed between a killed run and its
//! `--resume`. Every case checks that the victims outside the target are
//! byte-identical with the same mode, owner and mtime, that nothing
//! appeared outside the target, the exit code, and the one line that
//! names the path.

use crate::hostile;

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Output;

use coda_rs_tests::{coda_rs, is_root};
use hostile::*;

const HOOK: &str = "CODA_RS_TEST_ABORT_AFTER_VNODES";

/// A name and the hostile node the dump holds under it.
type Case = (&'static str, fn(&Victims) -> Node);

fn restore_cmd(v: &Victims, dump: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = coda_rs();
    cmd.args([
        "dump",
        "restore",
        "--workers",
        "1",
        "--journal-every",
        "1",
        "--into",
    ])
    .arg(v.target())
    .args(extra)
    .arg(dump);
    cmd
}

fn restore(v: &Victims, dump: &Path, extra: &[&str]) -> Output {
    restore_cmd(v, dump, extra).output().unwrap()
}

/// A restore killed (SIGKILL, the test hook) after `after` objects.
fn killed_after(v: &Victims, dump: &Path, after: u32) {
    let out = restore_cmd(v, dump, &[])
        .env(HOOK, after.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9), "{}", stderr(&out));
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `verify --against` finds the restored tree equal to the dump.
fn verified(v: &Victims, dump: &Path) {
    let out = coda_rs()
        .args(["dump", "verify"])
        .arg(dump)
        .arg("--against")
        .arg(v.target())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
}

fn kind(p: &Path) -> &'static str {
    match fs::symlink_metadata(p) {
        Ok(m) if m.file_type().is_symlink() => "symlink",
        Ok(m) if m.is_dir() => "dir",
        Ok(m) if m.is_file() => "file",
        Ok(_) => "other",
        Err(_) => "missing",
    }
}

/// The finished restore removed its journal; its ACL file is a regular
/// file of its own.
fn own_files_are_regular(v: &Victims) {
    assert_eq!(kind(&v.target().join(".coda-rs-restore.json")), "missing");
    assert_eq!(kind(&v.target().join("..CodaACLs.yaml")), "file");
    assert!(fs::read(v.target().join("..CodaACLs.yaml"))
        .unwrap()
        .starts_with(b"acls:\n"));
}

/// A dump entry in the root named like the journal, its temporary file,
/// the ACL file or its temporary, pointing at a victim: restored under a
/// new name with one warning naming it, never followed.
#[test]
fn root_entries_named_like_the_restores_own_files() {
    let cases: Vec<Case> = vec![
        (".coda-rs-restore.json.tmp", |v| link(v.file())),
        (".coda-rs-restore.json", |v| link(v.file())),
        (".coda-rs-restore.json", |_| link("../victim.txt")),
        ("..CodaACLs.yaml", |v| link(v.file())),
        ("..CodaACLs.yaml.tmp", |_| link("../victim.txt")),
        (".coda-rs-restore.json.tmp.1.0", |v| link(v.file())),
        (".coda-rs-restore.json", |_| file("not a journal")),
        (".coda-rs-restore.json.tmp", |v| {
            dir(vec![entry("inner", link(v.dir().join("keep.txt")))])
        }),
    ];
    for (name, node) in cases {
        let v = Victims::new();
        let n = node(&v);
        let dump = v.dump(&hostile_dump(
            vec![entry(name, n.clone()), entry("plain", file("plain\n"))],
            &[],
        ));
        let before = v.outside();
        let out = restore(&v, &dump, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{name}: {err}");
        let line = line_naming(&err, "restored as");
        assert!(line.contains(&format!("{name}: ")), "{line}");
        assert!(
            line.contains(&format!("restored as {name}.from-dump")),
            "{line}"
        );
        let moved = v.target().join(format!("{name}.from-dump"));
        match n {
            Node::Symlink(t) => {
                assert_eq!(
                    fs::read_link(&moved)
                        .unwrap()
                        .as_os_str()
                        .as_encoded_bytes(),
                    t
                )
            }
            Node::File(b) => assert_eq!(fs::read(&moved).unwrap(), b),
            Node::Dir(_) => assert_eq!(kind(&moved.join("inner")), "symlink"),
        }
        assert_eq!(fs::read(v.target().join("plain")).unwrap(), b"plain\n");
        own_files_are_regular(&v);
        assert_eq!(v.outside(), before, "{name}");
        verified(&v, &dump);
        assert_eq!(v.outside(), before, "{name}");
    }
}

/// Both the journal's name and `NAME.from-dump` taken: `.from-dump.1`.
#[test]
fn from_dump_names_are_numbered() {
    let v = Victims::new();
    let dump = v.dump(&hostile_dump(
        vec![
            entry(".coda-rs-restore.json", link(v.file())),
            entry(".coda-rs-restore.json.from-dump", file("mine\n")),
        ],
        &[],
    ));
    let before = v.outside();
    let out = restore(&v, &dump, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let line = line_naming(&err, "restored as");
    assert!(
        line.contains("restored as .coda-rs-restore.json.from-dump.1"),
        "{line}"
    );
    assert_eq!(
        fs::read_link(v.target().join(".coda-rs-restore.json.from-dump.1")).unwrap(),
        v.file()
    );
    assert_eq!(
        fs::read(v.target().join(".coda-rs-restore.json.from-dump")).unwrap(),
        b"mine\n"
    );
    own_files_are_regular(&v);
    assert_eq!(v.outside(), before);
}

/// A killed restore of such a dump resumes without following the entry.
#[test]
fn reserved_names_survive_a_resume() {
    for name in [
        ".coda-rs-restore.json.tmp",
        ".coda-rs-restore.json",
        "..CodaACLs.yaml",
    ] {
        let v = Victims::new();
        let mut root = vec![entry(name, link(v.file()))];
        for i in 0..6 {
            root.push(entry(&format!("f{i}"), file("data\n")));
        }
        let dump = v.dump(&hostile_dump(root, &[]));
        let before = v.outside();
        killed_after(&v, &dump, 3);
        assert_eq!(v.outside(), before, "{name}");
        let out = restore(&v, &dump, &["--resume"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        own_files_are_regular(&v);
        assert_eq!(v.outside(), before, "{name}");
        verified(&v, &dump);
    }
}

/// `lost+found` in the dump's root: a symlink (absolute or relative) or a
/// file is restored as `lost+found.from-dump` and the unnamed objects
/// (owner 0, set-uid) go into a real `lost+found`; a real directory is
/// that `lost+found`.
#[test]
fn lost_and_found_in_the_dump() {
    let cases: Vec<Case> = vec![
        ("symlink", |v| link(v.dir())),
        ("relative symlink", |_| link("../victim")),
        ("file", |_| file("not a directory\n")),
        ("directory", |_| dir(vec![entry("inside", file("in\n"))])),
    ];
    for (what, node) in cases {
        let v = Victims::new();
        let n = node(&v);
        let is_dir = matches!(n, Node::Dir(_));
        let dump = v.dump(&hostile_dump(
            vec![entry("lost+found", n), entry("plain", file("plain\n"))],
            &["orphan one\n", "orphan two\n"],
        ));
        let before = v.outside();
        let out = restore(&v, &dump, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{what}: {err}");
        let lf = v.target().join("lost+found");
        assert_eq!(kind(&lf), "dir", "{what}");
        if is_dir {
            assert!(!err.contains("restored as"), "{what}: {err}");
            assert_eq!(fs::read(lf.join("inside")).unwrap(), b"in\n");
        } else {
            let line = line_naming(&err, "restored as");
            assert!(line.contains("lost+found: "), "{line}");
            assert!(line.contains("restored as lost+found.from-dump"), "{line}");
            assert_ne!(kind(&v.target().join("lost+found.from-dump")), "missing");
        }
        let mut orphans: Vec<Vec<u8>> = Vec::new();
        for e in fs::read_dir(&lf).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().unwrap() == "inside" {
                continue;
            }
            let m = fs::symlink_metadata(&p).unwrap();
            assert!(m.is_file(), "{}", p.display());
            if is_root() {
                assert_eq!((m.uid(), m.mode() & 0o7777), (0, 0o4755), "{}", p.display());
            }
            orphans.push(fs::read(&p).unwrap());
        }
        orphans.sort();
        assert_eq!(
            orphans,
            [b"orphan one\n".to_vec(), b"orphan two\n".to_vec()],
            "{what}"
        );
        assert_eq!(v.outside(), before, "{what}");
        verified(&v, &dump);
    }
}

/// The tree the `--force` and `--resume` cases restore.
fn deep_tree() -> Vec<(Vec<u8>, Node)> {
    fn files(p: &str) -> Vec<(Vec<u8>, Node)> {
        (0..4)
            .map(|i| entry(&format!("{p}{i}"), file(&format!("{p}{i}\n"))))
            .collect()
    }
    let c = files("h");
    let mut b = files("g");
    b.push(entry("c", dir(c)));
    let mut a = files("f");
    a.push(entry("b", dir(b)));
    vec![entry("a", dir(a)), entry("top", file("top\n"))]
}

fn check_deep_tree(v: &Victims) {
    let i = v.target();
    for (dir, p) in [("a", "f"), ("a/b", "g"), ("a/b/c", "h")] {
        assert_eq!(kind(&i.join(dir)), "dir", "{dir}");
        for k in 0..4 {
            let f = i.join(dir).join(format!("{p}{k}"));
            assert_eq!(kind(&f), "file", "{}", f.display());
            assert_eq!(fs::read(&f).unwrap(), format!("{p}{k}\n").as_bytes());
        }
    }
    assert_eq!(fs::read(i.join("top")).unwrap(), b"top\n");
}

/// What a target may already hold where the dump wants something else.
fn plant(v: &Victims, rel: &str, what: &str) {
    let p = v.target().join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    match what {
        "link-to-dir" => symlink(v.dir(), &p).unwrap(),
        "relative-link-to-dir" => {
            let up = "../".repeat(rel.matches('/').count() + 1);
            symlink(format!("{up}victim"), &p).unwrap()
        }
        "link-to-file" => symlink(v.file(), &p).unwrap(),
        "file" => fs::write(&p, b"in the way\n").unwrap(),
        "dir-with-link" => {
            fs::create_dir(&p).unwrap();
            symlink(v.file(), p.join("x")).unwrap();
        }
        other => panic!("{other}"),
    }
}

/// `--force` over a target that already holds symlinks (to a victim
/// directory or file), files or directories where the dump wants
/// something else, at several depths: each is replaced, never descended
/// or written through.
#[test]
fn force_replaces_what_is_in_the_way() {
    let cases = [
        ("a", "link-to-dir"),
        ("a", "relative-link-to-dir"),
        ("a/b", "link-to-dir"),
        ("a/b/c", "link-to-dir"),
        ("a/b/c", "relative-link-to-dir"),
        ("a/b", "file"),
        ("top", "link-to-file"),
        ("a/f1", "link-to-file"),
        ("a/b/c/h3", "link-to-file"),
        ("a/b/g0", "dir-with-link"),
        ("top", "dir-with-link"),
    ];
    for (rel, what) in cases {
        let v = Victims::new();
        let dump = v.dump(&hostile_dump(deep_tree(), &[]));
        plant(&v, rel, what);
        let before = v.outside();
        // Without --force the target is refused, untouched.
        let out = restore(&v, &dump, &[]);
        assert_eq!(out.status.code(), Some(3), "{rel} {what}: {}", stderr(&out));
        line_naming(&stderr(&out), "not empty");
        assert_eq!(v.outside(), before, "{rel} {what}");
        let out = restore(&v, &dump, &["--force"]);
        assert_eq!(out.status.code(), Some(0), "{rel} {what}: {}", stderr(&out));
        check_deep_tree(&v);
        assert_eq!(v.outside(), before, "{rel} {what}");
        verified(&v, &dump);
    }
}

/// A restore killed after `after` objects, then `change` applied to the
/// target, then `--resume`: refused (exit 1) with one line naming `named`,
/// nothing written through what was planted.
fn resume_after(after: u32, change: impl Fn(&Victims), named: &str, case: &str) {
    let v = Victims::new();
    let dump = v.dump(&hostile_dump(deep_tree(), &[]));
    killed_after(&v, &dump, after);
    change(&v);
    // Taken after the change: what it put outside (a copy of the journal)
    // is a victim too.
    let before = v.outside();
    let out = restore(&v, &dump, &["--resume"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{case}: {err}");
    let line = line_naming(&err, &v.target().join(named).display().to_string());
    assert!(
        line.contains("symbolic link") || line.contains("not the") || line.contains("is a"),
        "{case}: {line}"
    );
    assert_eq!(v.outside(), before, "{case}");
}

fn swap_for(v: &Victims, rel: &str, what: &str) {
    let p = v.target().join(rel);
    match fs::symlink_metadata(&p) {
        Ok(m) if m.is_dir() => fs::rename(&p, p.with_extension("moved")).unwrap(),
        Ok(_) => fs::remove_file(&p).unwrap(),
        Err(_) => {}
    }
    plant(v, rel, what);
}

/// Between a killed run and its `--resume`: a directory swapped for a
/// symlink (to the victim directory, absolute or relative, at two
/// depths), a completed file replaced by a directory or a symlink, a
/// symlink planted where a later file goes, the journal itself replaced by
/// a symlink.
#[test]
fn resume_refuses_what_it_did_not_make() {
    // The small index holds a's f0..f3, b's g0..g3, c's h0..h3, then top;
    // killed after 6 objects the journal counts f0..f3 and g0 complete.
    let swaps = [
        ("a", "link-to-dir"),
        ("a/b", "link-to-dir"),
        ("a/b/c", "relative-link-to-dir"),
        ("a/f1", "dir-with-link"),
        ("a/f0", "link-to-file"),
        // Not yet restored: planted where a later object goes.
        ("a/b/c/h2", "link-to-file"),
    ];
    for (rel, what) in swaps {
        resume_after(6, |v| swap_for(v, rel, what), rel, what);
    }
    let journal_elsewhere = |v: &Victims| {
        let j = v.target().join(".coda-rs-restore.json");
        let copy = v.base.path().join("journal-copy");
        fs::copy(&j, &copy).unwrap();
        fs::remove_file(&j).unwrap();
        symlink(&copy, &j).unwrap();
    };
    resume_after(2, journal_elsewhere, ".coda-rs-restore.json", "journal");
}

/// A directory listing one name twice, a directory and a symlink to the
/// victim directory (the bytes patched into the pages, as a tampered tape
/// would hold them): whichever way the restore meets it, nothing is
/// written through the symlink.
#[test]
fn a_name_listed_twice_is_never_followed() {
    for extra in [&[][..], &["--force"][..]] {
        let v = Victims::new();
        let bytes = hostile_dump(
            vec![
                entry("dupe-name-A", dir(vec![entry("inner", file("inner\n"))])),
                entry("dupe-name-B", link(v.dir())),
            ],
            &[],
        );
        let from = b"dupe-name-B\0";
        let at: Vec<usize> = (0..bytes.len() - from.len())
            .filter(|&i| &bytes[i..i + from.len()] == from)
            .collect();
        assert_eq!(at.len(), 1, "the name is in the root's pages once");
        let mut bytes = bytes;
        bytes[at[0] + from.len() - 2] = b'A';
        let dump = v.dump(&bytes);
        let before = v.outside();
        let out = restore(&v, &dump, extra);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        line_naming(&err, "dupe-name-A");
        assert_eq!(v.outside(), before, "{extra:?}");
        assert!(!v.dir().join("inner").exists());
    }
}
