//! The completion scripts driven by the shells themselves: bash through
//! bash-completion's loader and completion function (as pressing TAB
//! does), fish through `complete -C`. Each script is installed where a
//! package puts it (a `completions/coda-rs` directory for bash-completion,
//! `coda-rs.fish` on fish's completion path) and loaded from there.
//!
//! The expected words are the commands and flags the issues and the README
//! name, written out here, not read from clap. `.ci/install` installs
//! bash-completion and fish.

use std::path::Path;
use std::process::Command;

use coda_rs_tests::{coda_rs, coda_rs_path, scratch};

/// bash-completion's entry point, as Debian installs it.
const BASH_COMPLETION: &str = "/usr/share/bash-completion/bash_completion";

/// Runs bash-completion's loader for `coda-rs` (the one that runs when TAB
/// is pressed after a command with no completion yet), then the function
/// it registered, the way bash calls it for the command line `line` (the
/// cursor at its end). Returns the candidates.
const BASH_DRIVER: &str = r#"
source "$BASH_COMPLETION" || exit 10
__load_completion coda-rs || { echo "no completion for coda-rs was loaded" >&2; exit 11; }
spec=$(complete -p coda-rs) || exit 12
fn=${spec#*-F }; fn=${fn%% *}
COMP_LINE=$1; COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMPREPLY=()
"$fn" coda-rs "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;

fn script(shell: &str) -> Vec<u8> {
    let out = coda_rs().args(["completions", shell]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "completions {shell}");
    out.stdout
}

fn sorted(words: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = words.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn words(stdout: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.is_empty())
        // fish prints `word<TAB>description`.
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// The candidates bash offers for `line`, the script installed in `dir`.
fn bash_complete(dir: &Path, line: &str) -> Vec<String> {
    assert!(
        Path::new(BASH_COMPLETION).exists(),
        "{BASH_COMPLETION} is missing: run .ci/install (installs bash-completion)"
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", BASH_DRIVER, "driver", line])
        .env("BASH_COMPLETION", BASH_COMPLETION)
        .env("BASH_COMPLETION_USER_DIR", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash driver for {line:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    words(&out.stdout)
}

fn bash_installed() -> tempfile::TempDir {
    let dir = scratch();
    std::fs::create_dir(dir.path().join("completions")).unwrap();
    std::fs::write(dir.path().join("completions/coda-rs"), script("bash")).unwrap();
    dir
}

/// The rvm subcommands (the README, the issues) and clap's `help`.
const RVM_SUBCOMMANDS: [&str; 7] = [
    "init-log",
    "init-data",
    "init",
    "status",
    "show",
    "recover",
    "help",
];

#[test]
fn bash_completes_rvm_to_its_subcommands() {
    let dir = bash_installed();
    // bash also offers the group's own flags after it, and the global
    // -q/--quiet and -v/--verbose (README "Output, dry runs and Ctrl-C").
    let mut want = RVM_SUBCOMMANDS.to_vec();
    want.extend(["-h", "--help", "-q", "--quiet", "-v", "--verbose"]);
    assert_eq!(bash_complete(dir.path(), "coda-rs rvm "), sorted(&want));
    assert_eq!(
        bash_complete(dir.path(), "coda-rs rvm in"),
        sorted(&["init-log", "init-data", "init"])
    );
}

#[test]
fn bash_completes_dump_restore_flags() {
    let dir = bash_installed();
    let got = bash_complete(dir.path(), "coda-rs dump restore --");
    for flag in [
        "--into", "--resume", "--force", "--tape", "--acls", "--json", "--help",
    ] {
        assert!(got.contains(&flag.to_string()), "{flag} missing: {got:?}");
    }
    assert!(got.iter().all(|w| w.starts_with("--")), "{got:?}");
    assert_eq!(
        bash_complete(dir.path(), "coda-rs dump restore --res"),
        sorted(&["--resume"])
    );
}

#[test]
fn bash_completes_every_level() {
    let dir = bash_installed();
    // The top level.
    let top = bash_complete(dir.path(), "coda-rs ");
    for sub in [
        "rvm", "dump", "cfs", "copy", "plan", "reinit", "drill", "tape",
    ] {
        assert!(top.contains(&sub.to_string()), "{sub} missing: {top:?}");
    }
    // A hyphenated subcommand's flags, a third level, an alias.
    let log = bash_complete(dir.path(), "coda-rs rvm init-log --");
    assert!(log.contains(&"--replace-rvm".to_string()), "{log:?}");
    assert!(log.contains(&"--force".to_string()), "{log:?}");
    let flush = bash_complete(dir.path(), "coda-rs cfs flushcache --");
    assert!(flush.contains(&"--yes".to_string()), "{flush:?}");
    assert!(flush.contains(&"--mountpoint".to_string()), "{flush:?}");
    let fl = bash_complete(dir.path(), "coda-rs cfs fl --");
    assert!(fl.contains(&"--yes".to_string()), "{fl:?}");
    let plan = bash_complete(dir.path(), "coda-rs plan dumplists --tape");
    assert_eq!(plan, sorted(&["--tape-size"]));
}

/// The candidates fish offers for `line`, `coda-rs.fish` installed in a
/// directory put first on fish's completion path (fish loads it only for
/// a command on PATH).
fn fish_complete(line: &str) -> Vec<String> {
    let dir = scratch();
    std::fs::write(dir.path().join("coda-rs.fish"), script("fish")).unwrap();
    let cmd = format!(
        "set fish_complete_path {} $fish_complete_path; complete -C '{line}'",
        dir.path().display()
    );
    let bin = coda_rs_path();
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("fish")
        .args(["--no-config", "-c", &cmd])
        .env("PATH", path)
        .output()
        .expect("fish is missing: run .ci/install (installs fish)");
    assert!(
        out.status.success(),
        "fish for {line:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    words(&out.stdout)
}

#[test]
fn fish_completes_subcommands_and_flags() {
    assert_eq!(fish_complete("coda-rs rvm "), sorted(&RVM_SUBCOMMANDS));
    let got = fish_complete("coda-rs dump restore --");
    for flag in ["--into", "--resume", "--force", "--tape", "--json"] {
        assert!(got.contains(&flag.to_string()), "{flag} missing: {got:?}");
    }
    assert_eq!(
        fish_complete("coda-rs rvm init-log --rep"),
        sorted(&["--replace-rvm"])
    );
}
