//! What `--help` tells an admin: examples in every group's help, the exit
//! codes of cli-conventions.md in the top-level help, and `--yes` offered
//! only by the commands that ask a question (cfs's flushes, spec pioctl.md
//! §7.1).

use coda_rs_tests::coda_rs;

fn help(args: &[&str]) -> String {
    let out = coda_rs().args(args).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?} --help");
    String::from_utf8(out.stdout).unwrap()
}

/// The example lines of a help text: the indented lines under `Examples:`.
fn examples(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| *l != "Examples:" && *l != "Example:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

#[test]
fn top_level_help_lists_the_exit_codes() {
    let h = help(&[]);
    let codes: Vec<&str> = h
        .lines()
        .skip_while(|l| *l != "Exit status:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    let starts: Vec<&str> = codes
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.len() == 1)
        .collect();
    assert_eq!(starts, ["0", "1", "2", "3"], "{h}");
    let text = codes.join(" ");
    for meaning in ["success", "failed", "usage error", "refused for safety"] {
        assert!(text.contains(meaning), "{meaning}: {text}");
    }
    assert!(examples(&h).iter().any(|l| l.contains("coda-rs drill")));
}

#[test]
fn every_group_help_has_examples_of_that_group() {
    for group in ["rvm", "dump", "cfs", "plan", "reinit", "tape"] {
        let h = help(&[group]);
        let ex = examples(&h);
        assert!(ex.len() >= 2, "{group}: {h}");
        let prefix = format!("coda-rs {group} ");
        assert!(
            ex.iter()
                .all(|l| l.contains(&prefix) || l.starts_with("      ")),
            "{group}: an example that is not a {group} command: {ex:?}"
        );
    }
    for single in ["copy", "drill", "completions", "man"] {
        assert!(!examples(&help(&[single])).is_empty(), "{single}");
    }
}

/// Every command reachable from the top level, as argument lists.
fn all_commands() -> Vec<Vec<String>> {
    fn subcommands(help: &str) -> Vec<String> {
        help.lines()
            .skip_while(|l| *l != "Commands:")
            .skip(1)
            .take_while(|l| !l.is_empty())
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| *w != "help")
            .map(str::to_string)
            .collect()
    }
    let mut all = Vec::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        for sub in subcommands(&help(&args)) {
            let mut p = path.clone();
            p.push(sub);
            todo.push(p.clone());
            all.push(p);
        }
    }
    all
}

#[test]
fn only_the_commands_that_ask_take_yes() {
    let asking = [
        vec!["cfs", "flushcache"],
        vec!["cfs", "flushobject"],
        vec!["cfs", "flushvolume"],
        // Asks before operator and destructive steps (issue 16).
        vec!["reinit", "run"],
        // Asks before writing a log over 1 GiB (issue 16).
        vec!["rvm", "init-log"],
    ];
    let all = all_commands();
    assert!(all.len() > 30, "{all:?}");
    for path in &all {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        // An option line, not an example that mentions the flag.
        let takes_yes = help(&args).lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("--yes") || l.starts_with("-y, --yes")
        });
        let asks = asking.contains(&args);
        assert_eq!(takes_yes, asks, "{args:?}: --yes offered: {takes_yes}");
    }
    // Given anyway, it is a usage error.
    for args in [
        vec!["cfs", "lv", "--yes", "/coda/x"],
        vec!["cfs", "rmmount", "--yes", "/coda/x"],
        vec!["cfs", "checkservers", "--yes"],
    ] {
        coda_rs().args(&args).assert().code(2);
    }
}
