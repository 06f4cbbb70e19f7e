//! `coda-rs man`: one page per command with EXAMPLES, EXIT STATUS (the
//! codes of cli-conventions.md) and a SEE ALSO naming only pages that
//! exist; `--dir` writes them all and replaces none without `--force`.

use std::collections::BTreeSet;
use std::path::Path;

use coda_rs_tests::{coda_rs, scratch};

/// Commands every page set must hold (issues and README), as page names.
const PAGES: [&str; 20] = [
    "coda-rs",
    "coda-rs-rvm",
    "coda-rs-rvm-init-log",
    "coda-rs-rvm-init-data",
    "coda-rs-rvm-init",
    "coda-rs-rvm-status",
    "coda-rs-rvm-recover",
    "coda-rs-dump",
    "coda-rs-dump-ls",
    "coda-rs-dump-verify",
    "coda-rs-dump-restore",
    "coda-rs-dump-to-tar",
    "coda-rs-cfs-flushcache",
    "coda-rs-cfs-mkmount",
    "coda-rs-copy",
    "coda-rs-plan-dumplists",
    "coda-rs-reinit-run",
    "coda-rs-tape-ls",
    "coda-rs-drill",
    "coda-rs-man",
];

/// The top-level commands (cli-conventions.md and the README).
const TOP_LEVEL: [&str; 10] = [
    "rvm",
    "dump",
    "cfs",
    "copy",
    "plan",
    "reinit",
    "drill",
    "tape",
    "completions",
    "man",
];

fn write_pages(dir: &Path) {
    let out = coda_rs().arg("man").arg("--dir").arg(dir).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn page_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .map(|n| n.strip_suffix(".1").expect("only .1 pages").to_string())
        .collect()
}

/// The lines of section `name` of a roff page (up to the next `.SH`).
fn section<'p>(page: &'p str, name: &str) -> Vec<&'p str> {
    let heading = [format!(".SH {name}"), format!(".SH \"{name}\"")];
    page.lines()
        .skip_while(|l| !heading.iter().any(|h| l == h))
        .skip(1)
        .take_while(|l| !l.starts_with(".SH "))
        .collect()
}

/// Every `\fBname\fR(1)` reference on a page.
fn references(page: &str) -> Vec<String> {
    let mut v = Vec::new();
    let mut rest = page;
    while let Some(at) = rest.find("\\fB") {
        rest = &rest[at + 3..];
        if let Some(end) = rest.find("\\fR(1)") {
            let name = &rest[..end];
            if !name.contains(' ') {
                v.push(name.replace("\\-", "-"));
            }
        }
    }
    v
}

#[test]
fn every_command_has_a_page_with_examples_and_exit_status() {
    let dir = scratch();
    write_pages(dir.path());
    let names = page_names(dir.path());
    for p in PAGES {
        assert!(names.contains(p), "no page {p}.1 in {names:?}");
    }
    assert!(!names.iter().any(|n| n.ends_with("-help")), "{names:?}");
    for name in &names {
        let page = std::fs::read_to_string(dir.path().join(format!("{name}.1"))).unwrap();
        assert!(
            page.contains(&format!(".TH {name} 1")),
            "{name}: no title line"
        );
        let examples = section(&page, "EXAMPLES");
        assert!(
            examples.iter().any(|l| l.starts_with("coda\\-rs ")),
            "{name}: no example: {examples:?}"
        );
        let exit = section(&page, "EXIT STATUS").join("\n");
        for code in ["\\fB0\\fR", "\\fB1\\fR", "\\fB2\\fR", "\\fB3\\fR"] {
            assert!(exit.contains(code), "{name}: EXIT STATUS lacks {code}");
        }
        assert!(exit.contains("usage error"), "{name}: {exit}");
        assert!(exit.contains("refused for safety"), "{name}: {exit}");
    }
}

#[test]
fn see_also_names_only_pages_that_exist() {
    let dir = scratch();
    write_pages(dir.path());
    let names = page_names(dir.path());
    for name in &names {
        let page = std::fs::read_to_string(dir.path().join(format!("{name}.1"))).unwrap();
        let see = section(&page, "SEE ALSO").join("\n");
        let refs = references(&see);
        if name != "coda-rs" {
            assert!(refs.contains(&"coda-rs".to_string()), "{name}: {see}");
            let group = TOP_LEVEL.iter().any(|t| name == &format!("coda-rs-{t}"));
            if !group {
                // coda-rs-rvm-init-log's parent is coda-rs-rvm.
                assert!(
                    refs.iter()
                        .any(|r| r != "coda-rs" && name.starts_with(&format!("{r}-"))),
                    "{name}: SEE ALSO names no parent: {see}"
                );
            }
        }
        for r in references(&page) {
            assert!(
                names.contains(&r),
                "{name}.1 names {r}(1), which does not exist"
            );
        }
    }
    // The top page points at each group.
    let top = std::fs::read_to_string(dir.path().join("coda-rs.1")).unwrap();
    let refs = references(&section(&top, "SEE ALSO").join("\n"));
    for g in [
        "coda-rs-rvm",
        "coda-rs-dump",
        "coda-rs-cfs",
        "coda-rs-reinit",
    ] {
        assert!(refs.contains(&g.to_string()), "{refs:?}");
    }
}

#[test]
fn one_page_to_stdout_is_the_page_written_to_the_directory() {
    let dir = scratch();
    write_pages(dir.path());
    for (args, name) in [
        (vec!["man"], "coda-rs"),
        (vec!["man", "dump", "restore"], "coda-rs-dump-restore"),
        (vec!["man", "cfs", "fl"], "coda-rs-cfs-flushobject"),
        (vec!["man", "rvm"], "coda-rs-rvm"),
    ] {
        let out = coda_rs().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let file = std::fs::read(dir.path().join(format!("{name}.1"))).unwrap();
        assert!(out.stdout == file, "{args:?} differs from {name}.1");
    }
    let out = coda_rs().args(["man", "dump", "nosuch"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("coda-rs: man: dump nosuch: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn existing_pages_are_replaced_only_with_force() {
    let dir = scratch();
    let page = dir.path().join("coda-rs-dump-ls.1");
    std::fs::write(&page, b"mine\n").unwrap();
    let out = coda_rs()
        .arg("man")
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("coda-rs-dump-ls.1") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(&page).unwrap(), b"mine\n");
    // Refused before anything was written.
    assert_eq!(
        page_names(dir.path()),
        BTreeSet::from(["coda-rs-dump-ls".to_string()])
    );
    let out = coda_rs()
        .arg("man")
        .arg("--dir")
        .arg(dir.path())
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(&page)
        .unwrap()
        .contains(".TH coda-rs-dump-ls 1"));
    // No temporary files are left behind.
    assert!(page_names(dir.path()).iter().all(|n| !n.contains(".tmp")));
}
