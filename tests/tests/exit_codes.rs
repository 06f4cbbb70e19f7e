//! Exit codes and the one-line error message through the binary
//! (cli-conventions.md: 0 success, 1 failure, 2 usage, 3 refused; one
//! line `coda-rs: SUBJECT: what (expected …)`, the chain once): each
//! library's error class becomes the same exit code, also under the
//! context a command adds, and a command's own usage errors and refusals
//! keep theirs. (These were unit tests of `cli/src/exit.rs`; the
//! read-only target's errno printed once is in `cli_mistakes.rs`.)

use std::path::Path;
use std::process::Output;

use coda_rs_tests::{coda_rs, golden, scratch};

/// Runs `coda-rs ARGS`.
fn run(args: &[&str]) -> Output {
    coda_rs().args(args).output().unwrap()
}

/// The exit code and the whole of stderr.
fn code_and_err(out: &Output) -> (Option<i32>, String) {
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn input_files_missing_or_directories_are_usage_errors_with_one_line() {
    let dir = scratch();
    let file = dir.path().join("f");
    std::fs::write(&file, b"x").unwrap();
    let missing = dir.path().join("missing");
    let below = file.join("below");
    for (path, what) in [
        (&missing, "No such file or directory"),
        (&dir.path().to_path_buf(), "is a directory"),
        (&below, "Not a directory"),
    ] {
        let (code, err) = code_and_err(&run(&["dump", "ls", s(path)]));
        assert_eq!(code, Some(2), "{err}");
        assert_eq!(
            err,
            format!(
                "coda-rs: {}: {what} (expected a dump file, or - for stdin)\n",
                path.display()
            )
        );
    }
}

#[test]
fn library_classes_become_exit_codes() {
    let dir = scratch();
    // rvm: a size it refuses is a usage error.
    let log = dir.path().join("LOG");
    let (code, err) = code_and_err(&run(&["rvm", "init-log", s(&log), "12XB"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(!log.exists());
    // rvm: a target holding data is refused.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, b"user data\n").unwrap();
    let (code, err) = code_and_err(&run(&["rvm", "init-log", s(&notes), "1M"]));
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(std::fs::read(&notes).unwrap(), b"user data\n");
    // (recovery-plan's classes: reinit_walk.rs, an unknown step exits 2,
    // a step out of order 3.)
}

#[test]
fn restore_and_merge_classes_become_exit_codes() {
    let dir = scratch();
    let full = golden("dump", "server-a-full.dump");
    // A restore into a directory holding data is refused.
    let into = dir.path().join("into");
    std::fs::create_dir(&into).unwrap();
    std::fs::write(into.join("mine"), b"x").unwrap();
    let (code, err) = code_and_err(&run(&["dump", "restore", s(&full), "--into", s(&into)]));
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // A merge whose incremental does not apply fails (1), its message
    // after the full dump's name.
    // (server-b-incr.dump is of another volume than native-full.dump.)
    let out = dir.path().join("m.dump");
    let native = golden("dump", "native-full.dump");
    let inc = golden("dump", "server-b-incr.dump");
    let (code, err) = code_and_err(&run(&["dump", "merge", s(&out), s(&native), s(&inc)]));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.starts_with(&format!("coda-rs: {}: ", native.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!out.exists());
}

#[test]
fn copy_classes_become_exit_codes() {
    let dir = scratch();
    let src = dir.path().join("src");
    let dst = dir.path().join("dst");
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::create_dir(&dst).unwrap();
    std::fs::write(dst.join("mine"), b"x").unwrap();
    // A destination holding data is refused.
    let (code, err) = code_and_err(&run(&["copy", s(&src), s(&dst)]));
    assert_eq!(code, Some(3), "{err}");
    // An unknown --preserve attribute: usage, the library's words.
    let (code, err) = code_and_err(&run(&[
        "copy",
        "--preserve",
        "mode,colour",
        s(&src),
        s(&dir.path().join("new")),
    ]));
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        "coda-rs: --preserve: unknown attribute `colour` (expected mode, ownership, \
         timestamps, links, xattr, acl or all)\n"
    );
    // A malformed pairs file: usage.
    let pairs = dir.path().join("v.txt");
    std::fs::write(&pairs, "/a /b /c\n").unwrap();
    let (code, err) = code_and_err(&run(&["copy", "--pairs", s(&pairs)]));
    assert_eq!(code, Some(2), "{err}");
    assert!(!dir.path().join("new").exists());
}
