//! `coda-rs copy --force` / `--resume` into a destination that someone
//! prepared: symlinks and hard links planted where the copy will write,
//! pointing at victims outside it (issue 11 items 1 and 6). What is in the
//! way is replaced (a symlink itself, never its target) and never
//! descended into; the victims stay byte-identical with the same mode,
//! owner and mtime, and the copy is faithful.

use crate::copy_support;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};

use copy_support::race::{contents, outside, Sides};
use copy_support::*;

const SECRET: &[u8] = b"victim secret: must never be written\n";

type Scene = Sides;

/// SRC holds a/f1 (as long as the victim file), a/f2, a/sub/deep/f3,
/// a symlink `l`, a FIFO `p` and a file `top`; the victim directory
/// holds files named like the source's.
fn scene() -> Scene {
    let s = Sides::new();
    let src = s.src();
    fs::create_dir_all(src.join("a/sub/deep")).unwrap();
    write_pattern(&src.join("a/f1"), SECRET.len(), 1);
    write_pattern(&src.join("a/f2"), 3000, 2);
    write_pattern(&src.join("a/sub/deep/f3"), 4000, 3);
    write_pattern(&src.join("top"), 100, 4);
    symlink("a/f1", src.join("l")).unwrap();
    mkfifo(&src.join("p"), 0o640);
    stamp_tree(&src);
    let v = s.victim();
    fs::create_dir_all(v.join("deep")).unwrap();
    for f in ["f1", "f2", "deep/f3", "top"] {
        fs::write(v.join(f), SECRET).unwrap();
    }
    fs::write(s.victim_file(), SECRET).unwrap();
    fs::set_permissions(
        s.victim_file(),
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .unwrap();
    if is_root() {
        std::os::unix::fs::lchown(s.victim_file(), Some(4321), Some(8765)).unwrap();
    }
    stamp_tree(&v);
    // The victim file has a/f1's size and mtime: a size-and-mtime
    // resume would take it for a complete copy.
    let m = fs::symlink_metadata(src.join("a/f1")).unwrap();
    set_times(
        &s.victim_file(),
        (m.atime(), m.atime_nsec()),
        (m.mtime(), m.mtime_nsec()),
    );
    s
}

type Plant = fn(&Scene);

/// Each planted destination, by what it puts in the copy's way.
fn plants() -> Vec<(&'static str, Plant)> {
    vec![
        (
            "a directory that is a symlink to the victim directory",
            |s| symlink(s.victim(), s.dst().join("a")).unwrap(),
        ),
        ("a file that is a symlink to the victim file", |s| {
            fs::create_dir(s.dst().join("a")).unwrap();
            symlink(s.victim_file(), s.dst().join("a/f1")).unwrap()
        }),
        ("a nested directory that is a symlink to the victim", |s| {
            fs::create_dir(s.dst().join("a")).unwrap();
            symlink(s.victim(), s.dst().join("a/sub")).unwrap()
        }),
        ("a symlink where a symlink goes", |s| {
            symlink(s.victim_file(), s.dst().join("l")).unwrap()
        }),
        ("a symlink where a FIFO goes", |s| {
            symlink(s.victim_file(), s.dst().join("p")).unwrap()
        }),
        ("a symlink to the victim directory where a file goes", |s| {
            symlink(s.victim(), s.dst().join("top")).unwrap()
        }),
        ("a hard link to the victim file, same size and mtime", |s| {
            fs::create_dir(s.dst().join("a")).unwrap();
            fs::hard_link(s.victim_file(), s.dst().join("a/f1")).unwrap()
        }),
    ]
}

fn run(s: &Scene, mode: &[&str]) -> (Option<i32>, String) {
    let (src, dst) = (s.src(), s.dst());
    let mut args: Vec<&OsStr> = vec![src.as_os_str(), dst.as_os_str()];
    args.extend(mode.iter().map(OsStr::new));
    let (code, _, err) = run_copy(&args, &[]);
    (code, err)
}

/// Everything outside SRC and DST (the snapshot leaves link counts out:
/// a planted hard link is a second name of the victim, inside DST).
fn victims(s: &Scene) -> std::collections::BTreeMap<PathBuf, String> {
    s.outside()
}

#[test]
fn planted_links_are_replaced_never_followed() {
    for mode in [
        &["--force"][..],
        &["--resume"],
        &["--resume", "--checksum"],
        &["--force", "--xattrs"],
    ] {
        for (what, plant) in plants() {
            let s = scene();
            plant(&s);
            let before = victims(&s);
            let (code, err) = run(&s, mode);
            let case = format!("{what} ({})", mode.join(" "));
            assert_eq!(code, Some(0), "{case}: stderr:\n{err}");
            assert_eq!(victims(&s), before, "{case}: a victim changed");
            assert_same_tree(
                &s.src(),
                &s.dst(),
                Check {
                    owner: is_root(),
                    xattrs: mode.contains(&"--xattrs"),
                },
            );
            for (p, data) in contents(&s.dst()) {
                assert!(
                    data != SECRET,
                    "{case}: {} holds the victim's bytes",
                    p.display()
                );
            }
            assert_eq!(fs::read(s.victim_file()).unwrap(), SECRET, "{case}");
        }
    }
}

#[test]
fn without_force_or_resume_a_planted_destination_is_refused() {
    for (what, plant) in plants() {
        let s = scene();
        plant(&s);
        let planted = outside(&s.dst(), &[]);
        let before = victims(&s);
        let (code, err) = run(&s, &[]);
        assert_eq!(code, Some(3), "{what}: {err}");
        let line = format!(
            "coda-rs: {}: destination exists and is not empty",
            s.dst().display()
        );
        assert!(err.lines().any(|l| l.starts_with(&line)), "{what}: {err}");
        assert_eq!(err.lines().count(), 1, "{what}: {err}");
        assert_eq!(
            outside(&s.dst(), &[]),
            planted,
            "{what}: the destination was touched"
        );
        assert_eq!(victims(&s), before, "{what}");
    }
}

#[test]
fn a_directory_in_the_way_of_a_file_is_an_error_naming_it() {
    let s = scene();
    fs::create_dir_all(s.dst().join("top/inside")).unwrap();
    let before = victims(&s);
    let (code, err) = run(&s, &["--force"]);
    assert_eq!(code, Some(1), "{err}");
    let line = format!(
        "coda-rs: {}: remove: {} is a directory at the destination (expected none or a non-directory)",
        s.src().join("top").display(),
        s.dst().join("top").display()
    );
    assert!(err.lines().any(|l| l == line), "{err}");
    assert!(Path::new(&s.dst().join("top/inside")).is_dir());
    assert_eq!(victims(&s), before);
}
