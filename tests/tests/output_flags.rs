//! `-q/--quiet`, `-v/--verbose` and `-n/--dry-run` the same in every
//! group (issue 16; README "Output, dry runs and Ctrl-C"): every command
//! takes -q and -v; -q leaves only requested output (nothing on stderr
//! after a success, a listing or JSON still on stdout); -v adds
//! `coda-rs: ` detail lines to the summary; every writer's dry run reads
//! and checks everything, says what it would write, and leaves its target
//! byte for byte as it was (or not created).

use std::path::Path;
use std::process::Output;

use coda_rs_tests::{coda_rs, golden, scratch, tree_state};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The subcommands `coda-rs GROUP --help` lists (its `Commands:` block).
fn subcommands(group: &str) -> Vec<String> {
    let out = coda_rs().args([group, "--help"]).output().unwrap();
    let help = text(&out.stdout);
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A wrapped description goes on deeper.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(|c| c.trim_end_matches(',').to_string())
        .collect()
}

#[test]
fn every_command_takes_quiet_and_verbose() {
    let mut commands: Vec<Vec<String>> = Vec::new();
    for group in ["rvm", "dump", "cfs", "plan", "reinit", "tape"] {
        let subs = subcommands(group);
        assert!(!subs.is_empty(), "{group}");
        commands.extend(subs.into_iter().map(|s| vec![group.to_string(), s]));
    }
    for single in ["copy", "drill", "completions", "man"] {
        commands.push(vec![single.to_string()]);
    }
    for c in &commands {
        let out = coda_rs().args(c).arg("--help").output().unwrap();
        let help = text(&out.stdout);
        for flag in ["-q, --quiet", "-v, --verbose"] {
            assert!(help.contains(flag), "{c:?} --help has no {flag}:\n{help}");
        }
    }
    // Every command that writes has a dry run, spelt the same.
    for c in [
        "dump restore",
        "dump create",
        "dump to-tar",
        "dump merge",
        "copy",
        "rvm init-log",
        "rvm init-data",
        "rvm init",
        "rvm recover",
        "reinit run",
        "man",
    ] {
        let out = coda_rs().args(c.split(' ')).arg("--help").output().unwrap();
        let help = text(&out.stdout);
        assert!(help.contains("-n, --dry-run"), "{c} --help:\n{help}");
    }
}

#[test]
fn quiet_and_verbose_go_before_or_after_the_subcommand_but_not_together() {
    for args in [
        ["-q", "completions", "bash"],
        ["completions", "-q", "bash"],
        ["completions", "bash", "--verbose"],
    ] {
        let out = coda_rs().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stdout.is_empty());
    }
    for args in [
        ["-q", "-v", "completions", "bash"],
        ["-q", "completions", "-v", "bash"],
        ["completions", "bash", "--verbose", "--quiet"],
    ] {
        let out = coda_rs().args(args).output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("--quiet") && err.contains("--verbose"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
}

/// Runs `args` in `dir` and returns the output, which must be a success.
fn ok(args: &[&str], dir: &Path) -> Output {
    let out = coda_rs().current_dir(dir).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    out
}

#[test]
fn quiet_leaves_only_requested_output() {
    let t = scratch();
    let d = t.path();
    let dump = golden("dump", "server-a-full.dump");
    let incr = golden("dump", "server-b-incr.dump");
    let (dump, incr) = (dump.to_str().unwrap(), incr.to_str().unwrap());
    let tree = coda_rs_tests::repo_root().join("human");
    let tree = tree.to_str().unwrap();
    let vl = golden("dump", "VolumeList.sample");
    let vr = golden("dump", "VRList.sample");
    let (vl, vr) = (vl.to_str().unwrap(), vr.to_str().unwrap());
    // Long work that otherwise ends with a summary line on stderr.
    for args in [
        vec!["dump", "restore", dump, incr, "--into", "r"],
        vec!["dump", "to-tar", dump, "-o", "x.tar"],
        vec!["dump", "merge", "m.dump", dump, incr],
        vec!["copy", tree, "c"],
        vec!["rvm", "init-log", "LOG", "1M"],
        vec!["rvm", "init", "--log", "L2", "--log-size", "1M"],
    ] {
        let mut args = args;
        if args[1] == "init" {
            args.extend(["--data", "D2", "--data-size", "2M"]);
        }
        let mut quiet = vec!["-q"];
        quiet.extend(&args);
        let out = ok(&quiet, d);
        assert!(out.stderr.is_empty(), "{quiet:?}: {}", text(&out.stderr));
        if args[1] != "init" {
            assert!(out.stdout.is_empty(), "{quiet:?}: {}", text(&out.stdout));
        } else {
            // The server.conf lines were asked for.
            assert!(text(&out.stdout).contains("rvm_data_length"), "{out:?}");
        }
    }
    let create = [
        "dump",
        "create",
        tree,
        "-o",
        "c.dump",
        "--volume-id",
        "1000102",
        "--volume-name",
        "c.backup",
    ];
    let out = ok(&[&create[..], &["--quiet"]].concat(), d);
    assert!(out.stderr.is_empty() && out.stdout.is_empty(), "{out:?}");
    // Requested output stays: a listing, a report, a plan, JSON.
    let plain = ok(&["dump", "ls", dump], d);
    let quiet = ok(&["dump", "ls", "-q", dump], d);
    assert_eq!(plain.stdout, quiet.stdout);
    let quiet = ok(&["-q", "dump", "verify", dump], d);
    assert_eq!(quiet.stdout, ok(&["dump", "verify", dump], d).stdout);
    let plan = [
        "plan",
        "dumplists",
        "--volume-list",
        vl,
        "--vrlist",
        vr,
        "--tape-size",
        "20M",
    ];
    let quiet = ok(&[&plan[..], &["-q"]].concat(), d);
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
    assert_eq!(quiet.stdout, ok(&plan, d).stdout);
    let out = ok(&["-q", "dump", "to-tar", "--json", dump, "-o", "y.tar"], d);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["output"], "y.tar");
    assert!(out.stderr.is_empty());
}

#[test]
fn verbose_adds_detail_lines_to_the_summary() {
    let t = scratch();
    let d = t.path();
    let normal = ok(&["rvm", "init-log", "LOG", "1M"], d);
    let verbose = ok(&["rvm", "init-log", "-v", "--force", "LOG", "1M"], d);
    let (normal, verbose) = (text(&normal.stderr), text(&verbose.stderr));
    assert_eq!(normal.lines().count(), 1, "{normal}");
    assert!(verbose.lines().count() > 1, "{verbose}");
    // The summary is the same; the details come before it.
    assert_eq!(
        normal.lines().last().unwrap().split(" (").next(),
        verbose.lines().last().unwrap().split(" (").next()
    );
    // The record area starts after the 2560-byte status block (spec §3).
    assert!(
        verbose.contains("coda-rs: LOG: status block at byte 0, records from byte 2560"),
        "{verbose}"
    );
    let tree = coda_rs_tests::repo_root().join("human");
    let out = ok(
        &[
            "-v",
            "dump",
            "create",
            tree.to_str().unwrap(),
            "-o",
            "c.dump",
            "--volume-id",
            "1000102",
            "--volume-name",
            "c.backup",
        ],
        d,
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("coda-rs: c.dump: written under a temporary name"),
        "{err}"
    );
}

/// Runs the dry run `args` in `dir`: a success whose one summary line
/// says `dry run` and `nothing written`, and `dir` is as it was.
fn dry_run(args: &[&str], dir: &Path) -> String {
    let before = tree_state(dir, &[]);
    let out = ok(args, dir);
    let err = text(&out.stderr);
    let line = err.lines().last().unwrap_or("");
    assert!(
        line.contains("dry run") && line.ends_with("nothing written"),
        "{args:?}: {err}"
    );
    assert_eq!(tree_state(dir, &[]), before, "{args:?} wrote");
    err
}

#[test]
fn a_dry_run_writes_nothing_in_any_group() {
    let t = scratch();
    let d = t.path();
    let dump = golden("dump", "server-a-full.dump");
    let incr = golden("dump", "server-b-incr.dump");
    let (dump, incr) = (dump.to_str().unwrap(), incr.to_str().unwrap());
    let tree = coda_rs_tests::repo_root().join("human");
    let tree = tree.to_str().unwrap();
    // Nothing there yet: nothing is created.
    dry_run(&["dump", "to-tar", "-n", dump, "-o", "x.tar"], d);
    // The whole dump was converted: as many bytes as codadump2tar's tar.
    let before = tree_state(d, &[]);
    let out = ok(&["dump", "to-tar", "-n", "--json", dump, "-o", "x.tar"], d);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tar = std::fs::metadata(golden("dump", "server-a-full.tar")).unwrap();
    assert_eq!(doc["tar_bytes"], tar.len(), "{doc}");
    assert_eq!(tree_state(d, &[]), before);
    dry_run(&["dump", "merge", "--dry-run", "m.dump", dump, incr], d);
    dry_run(
        &[
            "dump",
            "create",
            tree,
            "-o",
            "c.dump",
            "--volume-id",
            "1000102",
            "--volume-name",
            "c.backup",
            "-n",
        ],
        d,
    );
    dry_run(&["rvm", "init-log", "--dry-run", "LOG", "20M"], d);
    // A log over 1 GiB asks, but a dry run asks nothing.
    dry_run(&["rvm", "init-log", "--dry-run", "BIG", "2G"], d);
    dry_run(
        &[
            "rvm",
            "init",
            "-n",
            "--log",
            "L",
            "--log-size",
            "1M",
            "--data",
            "D",
            "--data-size",
            "2M",
        ],
        d,
    );
    // Targets that exist: byte for byte as they were.
    ok(&["rvm", "init-log", "-q", "LOG", "1M"], d);
    std::fs::write(d.join("x.tar"), b"old tar").unwrap();
    std::fs::write(d.join("c.dump"), b"old dump").unwrap();
    dry_run(&["rvm", "init-log", "-n", "--replace-rvm", "LOG", "2M"], d);
    let err = dry_run(
        &[
            "rvm",
            "init-data",
            "-n",
            "LOG",
            "DATA",
            "2097152",
            "0x50000000",
            "983040",
            "1048576",
            "80",
            "64",
        ],
        d,
    );
    assert!(
        err.contains("DATA: dry run: would build an RDS data segment: 2097152 bytes"),
        "{err}"
    );
    dry_run(&["dump", "to-tar", "-n", "--force", dump, "-o", "x.tar"], d);
    dry_run(
        &[
            "dump",
            "create",
            tree,
            "-o",
            "c.dump",
            "--force",
            "--volume-id",
            "1000102",
            "--volume-name",
            "c.backup",
            "-n",
        ],
        d,
    );
    // A dry run makes the checks the real run makes: an existing output
    // without --force is refused (exit 3) as it would be.
    let out = coda_rs()
        .current_dir(d)
        .args(["dump", "to-tar", "-n", dump, "-o", "x.tar"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let out = coda_rs()
        .current_dir(d)
        .args(["rvm", "init-log", "-n", "LOG", "1M"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
}

/// `dump restore --dry-run` reads the whole dump and counts what the
/// restore would make: the golden tree A (state-a.manifest.json) of
/// server-a-full.dump; the target is not created, and a target the
/// restore would refuse is refused by the dry run too.
#[test]
fn a_restore_dry_run_counts_the_golden_tree_and_creates_nothing() {
    let t = scratch();
    let d = t.path();
    let dump = golden("dump", "server-a-full.dump");
    let dump = dump.to_str().unwrap();
    let m: serde_json::Value =
        serde_json::from_slice(&coda_rs_tests::read_golden("dump", "state-a.manifest.json"))
            .unwrap();
    let m = m.as_array().unwrap();
    let of = |t: &str| m.iter().filter(|e| e["type"] == t).collect::<Vec<_>>();
    let files = of("file");
    let mut ids: Vec<_> = files.iter().map(|e| (&e["vnode"], &e["unique"])).collect();
    ids.sort_by_key(|(v, u)| (v.as_u64(), u.as_u64()));
    ids.dedup();
    // Data bytes: each file once, and each symlink's target.
    let mut bytes = 0;
    let mut seen = std::collections::BTreeSet::new();
    for f in files.iter().chain(&of("symlink")) {
        if seen.insert((f["vnode"].as_u64(), f["unique"].as_u64())) {
            bytes += f["size"].as_u64().unwrap();
        }
    }
    let want = format!(
        "r: dry run: would restore {} directories, {} files, {} symlinks, {} hard links, {bytes} bytes; nothing written",
        of("dir").len(),
        ids.len(),
        of("symlink").len(),
        files.len() - ids.len()
    );
    let err = dry_run(&["dump", "restore", "-n", dump, "--into", "r"], d);
    assert_eq!(err.trim_end(), want);
    assert!(!d.join("r").exists());
    // A non-empty target without --force or --resume: refused (exit 3),
    // as the real restore refuses it, and left as it was.
    std::fs::create_dir(d.join("full")).unwrap();
    std::fs::write(d.join("full/keep"), b"user data").unwrap();
    let before = tree_state(d, &[]);
    let out = coda_rs()
        .current_dir(d)
        .args(["dump", "restore", "-n", dump, "--into", "full"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(tree_state(d, &[]), before);
    dry_run(
        &["dump", "restore", "-n", "--force", dump, "--into", "full"],
        d,
    );
}
