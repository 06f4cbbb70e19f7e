//! `coda-rs completions SHELL` and `coda-rs man`: generated from the clap
//! definitions, so every subcommand group must appear in them.

use coda_rs_tests::coda_rs;

/// The top-level subcommands every output must mention.
const SUBCOMMANDS: [&str; 9] = [
    "rvm",
    "dump",
    "cfs",
    "copy",
    "plan",
    "reinit",
    "drill",
    "completions",
    "man",
];

fn stdout_of(args: &[&str]) -> String {
    let out = coda_rs().args(args).output().expect("run coda-rs");
    assert!(
        out.status.success(),
        "coda-rs {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn bash_completion_names_the_subcommands() {
    let s = stdout_of(&["completions", "bash"]);
    assert!(
        s.contains("complete -F _coda__rs"),
        "not a bash completion script"
    );
    for sub in SUBCOMMANDS {
        assert!(s.contains(sub), "bash completion lacks {sub}");
    }
    // Nested subcommands are completed too.
    assert!(s.contains("init-log") && s.contains("to-tar") && s.contains("flushcache"));
}

#[test]
fn zsh_completion_names_the_subcommands() {
    let s = stdout_of(&["completions", "zsh"]);
    assert!(
        s.starts_with("#compdef coda-rs"),
        "not a zsh completion script"
    );
    for sub in SUBCOMMANDS {
        assert!(
            s.contains(&format!("'{sub}:")),
            "zsh completion lacks {sub}"
        );
    }
}

#[test]
fn fish_completion_names_the_subcommands() {
    let s = stdout_of(&["completions", "fish"]);
    assert!(
        s.contains("complete -c coda-rs"),
        "not a fish completion script"
    );
    for sub in SUBCOMMANDS {
        assert!(
            s.contains(&format!("-a \"{sub}\"")),
            "fish completion lacks {sub}"
        );
    }
}

#[test]
fn unknown_shell_is_a_usage_error() {
    coda_rs().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_page_is_roff_with_every_subcommand() {
    let s = stdout_of(&["man"]);
    assert!(s.starts_with(".ie \\n(.g .ds Aq") || s.contains(".TH coda-rs 1"));
    assert!(s.contains(".TH coda-rs 1"), "no .TH title line");
    assert!(s.contains(".SH NAME") && s.contains(".SH SYNOPSIS"));
    for sub in SUBCOMMANDS {
        let heading = format!(".SH \"CODA-RS {}\"", sub.to_uppercase());
        assert!(s.contains(&heading), "man page lacks section {heading}");
    }
    // Nested subcommands get their own section with their options.
    assert!(s.contains(".SH \"CODA-RS RVM INIT-LOG\""));
    assert!(
        s.contains("\\-\\-log\\-size"),
        "options of rvm init are missing"
    );
}
