//! Conventions every `coda-rs` command shares (shared/spec/cli-conventions.md).

use coda_rs_tests::coda_rs;

#[test]
fn help_exits_zero_and_lists_groups() {
    let out = coda_rs().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for group in ["rvm", "dump", "cfs"] {
        assert!(
            text.contains(group),
            "--help does not list `{group}`:\n{text}"
        );
    }
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let out = coda_rs().arg("no-such-command").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
    assert!(out.stdout.is_empty(), "errors go to stderr only");
    assert!(!out.stderr.is_empty());
}

#[test]
fn golden_files_are_reachable() {
    let dir = coda_rs_tests::golden_dir();
    for group in ["rvm", "dump", "pioctl"] {
        assert!(
            dir.join(group).join("README.md").is_file(),
            "{group}/README.md"
        );
    }
}
