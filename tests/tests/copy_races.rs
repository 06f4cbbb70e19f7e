//! `coda-rs copy` against a tree that changes under it (issue 11 item 6):
//! a source file swapped for a FIFO, a symlink or another file between
//! the walk and the open, a file changed while it is copied, a source
//! directory swapped for a symlink to a victim outside SRC. The copier is
//! paused at the exact moment by its test hook (copy_support::race), so
//! every swap lands in the window; each test asserts it did.
//!
//! Every variant asserts: the copy ends (no hang), exits 1 with one line
//! naming the item, leaves no partial copy, copies nothing of the victim,
//! and changes nothing outside the destination.

use crate::copy_support;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use copy_support::race::{contents, race_copy, Raced, Sides};
use copy_support::*;

const SECRET: &[u8] = b"victim secret: must never reach the copy\n";

/// The source tree a/{f1,f2,race,b/f3}, c/f4, top; the victim directory
/// holds files named like the source's, all with the victim's bytes.
type Scene = Sides;

fn scene() -> Scene {
    let s = Sides::new();
    let src = s.src();
    for d in ["a", "a/b", "c"] {
        fs::create_dir_all(src.join(d)).unwrap();
    }
    for (i, f) in ["a/f1", "a/f2", "a/race", "a/b/f3", "c/f4", "top"]
        .iter()
        .enumerate()
    {
        write_pattern(&src.join(f), 5000 + 1000 * i, i as u64 + 1);
    }
    stamp_tree(&src);
    let v = s.victim();
    fs::create_dir_all(v.join("b")).unwrap();
    for f in ["f1", "f2", "race", "secret.txt", "b/f3"] {
        fs::write(v.join(f), SECRET).unwrap();
    }
    fs::write(s.victim_file(), SECRET).unwrap();
    stamp_tree(&v);
    s
}

fn copy(s: &Scene, extra: &[&str], suffix: &str, on_hit: impl FnMut(&str, &Path)) -> Raced {
    let (src, dst) = (s.src(), s.dst());
    let mut args: Vec<&OsStr> = vec![src.as_os_str(), dst.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    race_copy(&args, suffix, on_hit)
}

/// The checks every raced variant shares: exit 1, exactly one error line
/// about `item` containing `says`, no copy of it, none of the victim's
/// bytes in the destination, nothing outside changed.
fn assert_refused(
    s: &Scene,
    r: &Raced,
    item: &Path,
    says: &str,
    before: &std::collections::BTreeMap<PathBuf, String>,
) {
    assert_eq!(r.code, Some(1), "a failed item is exit 1:\n{}", r.stderr);
    let lines = r.lines_about(item);
    assert_eq!(
        lines.len(),
        1,
        "one line about {}:\n{}",
        item.display(),
        r.stderr
    );
    assert!(
        lines[0].contains(says),
        "{:?} should say {says:?}",
        lines[0]
    );
    assert!(r.stderr.contains("; 1 failed"), "{}", r.stderr);
    let rel = item.strip_prefix(s.src()).unwrap();
    assert!(
        fs::symlink_metadata(s.dst().join(rel)).is_err(),
        "{} was copied (or a partial copy left)",
        rel.display()
    );
    for (p, data) in contents(&s.dst()) {
        assert!(data != SECRET, "{} holds the victim's bytes", p.display());
    }
    assert!(
        !snapshot(&s.dst()).keys().any(|p| p.ends_with("secret.txt")),
        "a victim name appeared in the copy"
    );
    assert_eq!(&s.outside(), before, "something outside the copy changed");
}

/// The rest of the tree is still copied faithfully.
fn assert_rest_copied(s: &Scene, rels: &[&str]) {
    for rel in rels {
        assert!(
            same_content(&s.src().join(rel), &s.dst().join(rel)),
            "{rel} not copied"
        );
    }
}

#[test]
fn a_file_swapped_before_it_is_opened_fails_its_item() {
    type Swap = fn(&Scene, &Path);
    let variants: [(&str, Swap, &str); 6] = [
        (
            "fifo",
            |_, p| {
                fs::remove_file(p).unwrap();
                mkfifo(p, 0o644);
            },
            "changed since it was listed: is a FIFO (expected a regular file)",
        ),
        (
            "symlink to a victim file",
            |s, p| {
                fs::remove_file(p).unwrap();
                symlink(s.victim_file(), p).unwrap();
            },
            "changed since it was listed: a symbolic link is in the way (refused, not followed)",
        ),
        (
            "hard link to a victim file",
            |s, p| {
                fs::remove_file(p).unwrap();
                fs::hard_link(s.victim_file(), p).unwrap();
            },
            "changed since it was listed: inode",
        ),
        (
            "another file of the same size and mtime",
            |_, p| {
                let m = fs::symlink_metadata(p).unwrap();
                let tmp = p.with_extension("new");
                write_pattern(&tmp, m.len() as usize, 999);
                use std::os::unix::fs::MetadataExt;
                set_times(&tmp, (m.atime(), 0), (m.mtime(), m.mtime_nsec()));
                fs::rename(&tmp, p).unwrap();
            },
            "changed since it was listed: inode",
        ),
        (
            "grown",
            |_, p| {
                use std::io::Write;
                let mut f = fs::OpenOptions::new().append(true).open(p).unwrap();
                f.write_all(b"more").unwrap();
            },
            "bytes (expected",
        ),
        (
            "socket",
            |_, p| {
                fs::remove_file(p).unwrap();
                drop(std::os::unix::net::UnixListener::bind(p).unwrap());
            },
            "changed since it was listed: is a socket (expected a regular file)",
        ),
    ];
    for (what, swap, says) in variants {
        let s = scene();
        let before = s.outside();
        let item = s.src().join("a/race");
        let r = copy(&s, &[], "/a/race", |point, p| {
            assert_eq!(p, item.as_path());
            if point == "open" {
                swap(&s, p);
            }
        });
        assert!(
            r.hit("open", &item),
            "{what}: the swap never ran: {:?}",
            r.hits
        );
        assert_refused(&s, &r, &item, says, &before);
        assert_rest_copied(&s, &["a/f1", "a/f2", "a/b/f3", "c/f4", "top"]);
    }
}

#[test]
fn a_file_changed_while_it_is_copied_fails_and_leaves_no_partial_copy() {
    type Change = fn(&Path);
    let variants: [(&str, Change, &str); 3] = [
        (
            "appended to",
            |p| {
                use std::io::Write;
                let mut f = fs::OpenOptions::new().append(true).open(p).unwrap();
                f.write_all(&[7u8; 100_000]).unwrap();
            },
            "changed during the copy: 107000 bytes (expected 7000)",
        ),
        (
            "truncated",
            |p| {
                fs::OpenOptions::new()
                    .write(true)
                    .open(p)
                    .unwrap()
                    .set_len(10)
                    .unwrap()
            },
            "changed during the copy: 10 bytes (expected 7000)",
        ),
        (
            "rewritten, size and mtime put back",
            |p| {
                use std::os::unix::fs::{FileExt, MetadataExt};
                let m = fs::symlink_metadata(p).unwrap();
                let f = fs::OpenOptions::new().write(true).open(p).unwrap();
                f.write_all_at(b"X", 0).unwrap();
                drop(f);
                set_times(p, (m.atime(), 0), (m.mtime(), m.mtime_nsec()));
            },
            "changed during the copy: status changed at",
        ),
    ];
    for (what, change, says) in variants {
        let s = scene();
        let before = s.outside();
        let item = s.src().join("a/race");
        let r = copy(&s, &[], "/a/race", |point, p| {
            if point == "copied" {
                change(p);
            }
        });
        assert!(
            r.hit("copied", &item),
            "{what}: the change never ran: {:?}",
            r.hits
        );
        assert_refused(&s, &r, &item, says, &before);
        assert!(r.lines_about(&item)[0].ends_with("its partial copy was removed"));
        assert_rest_copied(&s, &["a/f1", "a/f2", "a/b/f3", "c/f4", "top"]);
    }
}

/// Replaces the directory `p` by a symlink to `to`; the real directory is
/// kept aside inside SRC.
fn swap_dir(p: &Path, to: &Path) {
    let aside = p.with_file_name(format!(
        "{}.aside",
        p.file_name().unwrap().to_string_lossy()
    ));
    fs::rename(p, aside).unwrap();
    symlink(to, p).unwrap();
}

#[test]
fn a_directory_swapped_for_a_symlink_is_never_followed() {
    // (what, hook suffix, directory swapped, item that fails, symlink
    // target: None = the victim directory)
    let variants: [(&str, &str, &str, &str, Option<&str>); 5] = [
        ("during the walk", "/src/a", "a", "a", None),
        (
            "after the walk, before a file below it",
            "/a/f1",
            "a",
            "a/f1",
            None,
        ),
        ("two levels up", "/a/b/f3", "a", "a/b/f3", None),
        ("a nested one, during the walk", "/a/b", "a/b", "a/b", None),
        ("for a symlink into SRC", "/a/f1", "a", "a/f1", Some("c")),
    ];
    for (what, suffix, swapped, failing, target) in variants {
        let s = scene();
        let before = s.outside();
        let dir = s.src().join(swapped);
        let item = s.src().join(failing);
        let to = target.map_or(s.victim(), |t| s.src().join(t));
        let mut swapped_once = false;
        let r = copy(&s, &["--jobs", "1"], suffix, |point, _| {
            if point == "open" && !swapped_once {
                swap_dir(&dir, &to);
                swapped_once = true;
            }
        });
        assert!(
            swapped_once && !r.hits.is_empty(),
            "{what}: the swap never ran"
        );
        assert_eq!(r.code, Some(1), "{what}:\n{}", r.stderr);
        let lines = r.lines_about(&item);
        assert!(
            lines.iter().any(|l| l.contains(&format!(
                "{}: a symbolic link is in the way (refused, not followed)",
                dir.display()
            )) || (item == dir
                && l.contains("a symbolic link is in the way"))),
            "{what}: no line naming {} for {}:\n{}",
            dir.display(),
            item.display(),
            r.stderr
        );
        assert!(r.stderr.lines().all(|l| !l.contains('\r')));
        let rel = item.strip_prefix(s.src()).unwrap();
        assert!(fs::symlink_metadata(s.dst().join(rel)).is_err(), "{what}");
        for (p, data) in contents(&s.dst()) {
            assert!(
                data != SECRET,
                "{what}: {} holds the victim's bytes",
                p.display()
            );
        }
        assert!(!snapshot(&s.dst()).keys().any(|p| p.ends_with("secret.txt")));
        assert_eq!(s.outside(), before, "{what}: something outside changed");
        assert_rest_copied(&s, &["c/f4", "top"]);
    }
}

#[test]
fn a_directory_replaced_by_another_during_the_walk_is_not_copied() {
    let s = scene();
    let before = s.outside();
    let dir = s.src().join("a");
    let r = copy(&s, &[], "/src/a", |_, p| {
        fs::rename(p, p.with_file_name("a.old")).unwrap();
        fs::create_dir(p).unwrap();
        fs::write(p.join("planted"), b"not listed").unwrap();
    });
    assert!(r.hit("open", &dir));
    assert_refused(&s, &r, &dir, "changed since it was listed: inode", &before);
    assert_rest_copied(&s, &["c/f4", "top"]);
}

#[test]
fn a_destination_directory_swapped_for_a_symlink_is_refused() {
    // DST/c is made in the directory phase; before the first file of c
    // is copied, someone with write access to DST swaps it for a symlink
    // to the victim (and DST/a/b, whose file comes first, for a symlink
    // to a directory inside DST).
    for (swapped, to_victim) in [("c", true), ("a/b", false)] {
        let s = scene();
        let before = s.outside();
        let dir = s.dst().join(swapped);
        let to = if to_victim {
            s.victim()
        } else {
            s.dst().join("c")
        };
        let mut done = false;
        // The swap happens when the first file (a/b/f3) is opened.
        let r = copy(&s, &["--jobs", "1"], "/src/a/b/f3", |point, _| {
            if point == "open" && !done {
                swap_dir(&dir, &to);
                done = true;
            }
        });
        assert!(done, "the swap never ran");
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        let refusal = format!(
            "{}: a symbolic link is in the way (refused, not followed)",
            dir.display()
        );
        let failing: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| l.starts_with("coda-rs: "))
            .collect();
        assert!(!failing.is_empty());
        for l in &failing {
            assert!(l.contains(&refusal), "{l:?} should name {}", dir.display());
        }
        for (p, data) in contents(&s.dst()) {
            assert!(data != SECRET, "{} holds the victim's bytes", p.display());
        }
        assert_eq!(s.outside(), before, "something outside the copy changed");
        assert!(fs::symlink_metadata(&dir).unwrap().file_type().is_symlink());
    }
}
