//! What coda-rs prints for a shell is run by a shell, with stub commands
//! first on PATH that record the arguments they receive: the `create_rep`
//! script of `plan recreate`, every command of the reinit runbook, and the
//! `reinit` hints. Names and paths are full of shell metacharacters that
//! Coda's name rules allow; each must reach the stub as exactly one
//! argument, unchanged, and no payload may run (its marker file must not
//! appear).

use crate::plan_support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use plan_support::{
    call, entries, plan, reinit, reinit_init, scratch, steps, vol, write_lists, Stubs, Vol,
};

/// Groups whose names are valid Coda volume names (printable, no blank,
/// no `/`, at most 31 bytes with the `.0`) but mean something to a shell.
/// The payloads would create marker files in the current directory.
const GROUPS: [&str; 16] = [
    "a$b",
    "$(touch${IFS}pwned)",
    "`touch${IFS}bq`",
    ";touch${IFS}semi;",
    "it's",
    "p(1)|q&r",
    "*?[x]",
    "~root",
    "#c",
    "x=y",
    "\\n\\t",
    "\"dq\"",
    "!!",
    "{a,b}",
    "<in>out",
    "$HOME'$(touch${IFS}q2)'",
];

/// Partitions: absolute, no blank, no `..`, but with metacharacters.
const PARTITIONS: [&str; 6] = [
    "/vicepa",
    "/vice;pa",
    "/v$(touch${IFS}part)",
    "/v'q",
    "/v`touch${IFS}pbq`",
    "/v>redir",
];

fn volumes() -> Vec<Vol> {
    GROUPS
        .iter()
        .enumerate()
        .map(|(i, g)| vol(i as u32, g, PARTITIONS[i % PARTITIONS.len()]))
        .collect()
}

fn hex(n: u32) -> String {
    format!("{n:x}")
}

/// `volutil create_rep <partition> <name> <groupid> <volid>` (spec §15.4).
fn create_rep(v: &Vol) -> Vec<Vec<u8>> {
    call(&[
        "volutil",
        "create_rep",
        &v.partition,
        &v.name,
        &hex(v.group_id),
        &hex(v.id),
    ])
}

#[test]
fn recreate_script_passes_every_name_as_one_argument() {
    let dir = scratch();
    let root = dir.path();
    let vols = volumes();
    write_lists(root, &vols);
    let out = plan("recreate", "VolumeList", "VRList")
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.starts_with(b"#!/bin/sh\n\n"));
    assert_eq!(
        out.stdout.iter().filter(|&&b| b == b'\n').count(),
        2 + vols.len()
    );
    std::fs::write(root.join("reinit_script"), &out.stdout).unwrap();

    let stubs = Stubs::new(root, &["volutil"]);
    let before = entries(root);
    let run = stubs.sh(root, &[OsStr::new("reinit_script")]);
    assert!(run.status.success(), "{run:?}");
    let expected: Vec<_> = vols.iter().map(create_rep).collect();
    assert_eq!(stubs.calls(), expected);
    // No payload ran: the directory holds what it held, plus the log.
    let mut after = entries(root);
    after.retain(|e| e != "stub-log");
    assert_eq!(after, before);
}

/// The runbook of a server with the hostile names, in directories whose
/// names need quoting too.
struct Server {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    state: String,
    dumps: String,
    restore: String,
    inited: String,
}

const STATE: &str = "st'a$(touch${IFS}st)`touch${IFS}st2`";
const DUMPS: &str = "du;mps";
const RESTORE: &str = "re store";
const INITED: &str = "in*ited";

fn server(extra: &[&str]) -> Server {
    let dir = scratch();
    let root = dir.path().to_path_buf();
    write_lists(&root, &volumes());
    let mut args = vec!["--restore-dir", RESTORE, "--inited-dir", INITED];
    args.extend_from_slice(extra);
    let out = plan_support::reinit_init_in(&root, STATE, DUMPS, &args);
    assert!(out.status.success(), "{out:?}");
    let r = root.display().to_string();
    Server {
        state: format!("{r}/{STATE}"),
        dumps: format!("{r}/{DUMPS}"),
        restore: format!("{r}/{RESTORE}"),
        inited: format!("{r}/{INITED}"),
        _dir: dir,
        root,
    }
}

/// The argument vectors the procedure's commands must receive, in step
/// order (runbook sections 13.1-13.8), written out from the names.
fn expected_calls(s: &Server, replace_rvm: bool) -> Vec<Vec<Vec<u8>>> {
    let vols = volumes();
    let r = s.root.display().to_string();
    let st = &s.state;
    let dump = |v: &Vol| format!("{}/{:08x}.{:08x}", s.dumps, v.group_id, v.id);
    let restored = |v: &Vol| format!("{}/{}", s.restore, v.name);
    let mounted = |v: &Vol| format!("{}/{}", s.inited, v.name);
    let mut c = vec![call(&[
        "coda-rs",
        "plan",
        "dumplists",
        "--volume-list",
        &format!("{st}/VolumeList"),
        "--vrlist",
        &format!("{st}/VRList"),
        "--tape-size",
        "1.5G",
        "-o",
        &format!("{st}/dumplists"),
        "--force",
    ])];
    for v in &vols {
        c.push(call(&["volutil", "dump", &hex(v.id), &dump(v)]));
        c.push(call(&["coda-rs", "dump", "verify", &dump(v)]));
    }
    c.push(call(&["volutil", "shutdown"]));
    let mut rvm = vec![
        "coda-rs".to_string(),
        "rvm".into(),
        "init".into(),
        "--log".into(),
        format!("{r}/LOG"),
        "--log-size".into(),
        "1M".into(),
        "--data".into(),
        format!("{r}/DATA"),
        "--data-size".into(),
        "4M".into(),
    ];
    if replace_rvm {
        rvm.push("--replace-rvm".into());
    }
    c.push(rvm.into_iter().map(String::into_bytes).collect());
    c.push(call(&["startserver"]));
    c.extend(vols.iter().map(create_rep));
    c.push(call(&["bldvldb.sh"]));
    for v in &vols {
        c.push(call(&[
            "coda-rs",
            "dump",
            "restore",
            &dump(v),
            "--into",
            &restored(v),
        ]));
    }
    c.push(call(&["mkdir", "-p", &s.inited]));
    for v in &vols {
        c.push(call(&["coda-rs", "cfs", "mkmount", &mounted(v), &v.name]));
    }
    for v in &vols {
        c.push(call(&[
            "coda-rs",
            "copy",
            "--resume",
            &restored(v),
            &mounted(v),
        ]));
        c.push(call(&[
            "coda-rs",
            "dump",
            "verify",
            &dump(v),
            "--against",
            &mounted(v),
        ]));
    }
    for v in &vols {
        c.push(call(&["coda-rs", "cfs", "rmmount", &mounted(v)]));
    }
    c.push(call(&["rm", "-rf", &s.restore]));
    c.push(call(&["rmdir", &s.inited]));
    c.push(call(&["coda-rs", "cfs", "flushcache", "--yes"]));
    c
}

const STUBS: [&str; 7] = [
    "volutil",
    "startserver",
    "bldvldb.sh",
    "mkdir",
    "rm",
    "rmdir",
    "coda-rs",
];

fn run_every_command(s: &Server, replace_rvm: bool) {
    let stubs = Stubs::new(&s.root, &STUBS);
    let before = entries(&s.root);
    for (id, kind, command) in steps(Path::new(&s.state)) {
        if kind == "manual" {
            continue;
        }
        let out = stubs.sh_c(&s.root, command.as_bytes());
        assert!(out.status.success(), "step {id}: `{command}`: {out:?}");
    }
    assert_eq!(stubs.calls(), expected_calls(s, replace_rvm));
    let mut after = entries(&s.root);
    after.retain(|e| e != "stub-log");
    assert_eq!(after, before, "a payload ran");
}

#[test]
fn runbook_commands_pass_every_name_and_path_as_one_argument() {
    run_every_command(&server(&[]), false);
}

#[test]
fn runbook_commands_with_reformat_rvm() {
    run_every_command(&server(&["--reformat-rvm"]), true);
}

/// The last line of stdout (or stderr) after `prefix`, as a shell line.
fn hint_after<'a>(text: &'a [u8], prefix: &str) -> &'a [u8] {
    let line = text
        .split(|&b| b == b'\n')
        .rfind(|l| l.starts_with(prefix.as_bytes()))
        .unwrap_or_else(|| panic!("no `{prefix}` line in {:?}", String::from_utf8_lossy(text)));
    &line[prefix.len()..]
}

#[test]
fn reinit_hints_run_as_printed() {
    let dir = scratch();
    let root = dir.path();
    write_lists(root, &volumes()[..2]);
    let out = reinit_init(root, STATE, &[]);
    assert!(out.status.success(), "{out:?}");
    let state = root.join(STATE);
    let stubs = Stubs::new(root, &["coda-rs"]);
    let before = entries(root);
    let reinit_ok = |args: &[&str]| {
        let out = reinit(root, &state, args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        out.stdout
    };
    let run_hint = |text: &[u8], prefix: &str| {
        let out = stubs.sh_c(root, hint_after(text, prefix));
        assert!(out.status.success(), "{prefix}: {out:?}");
    };

    // init: "coda-rs: next: coda-rs reinit next --state DIR" on stderr.
    run_hint(&out.stderr, "coda-rs: next: ");
    // next, for a coda-rs step and for an operator step.
    run_hint(&reinit_ok(&["next"]), "run it with: ");
    reinit_ok(&["done", "13.1.1"]);
    run_hint(&reinit_ok(&["next"]), "when it is done: ");
    // `run` of a step done by hand names the `done` command in its error.
    let out = reinit(root, &state, &["run", "13.9.1"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    let inner = err
        .split("carry it out, then: ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{err}"));
    run_hint(inner.as_bytes(), "");

    let st = state.as_os_str().as_bytes();
    let st = std::str::from_utf8(st).unwrap();
    assert_eq!(
        stubs.calls(),
        [
            call(&["coda-rs", "reinit", "next", "--state", st]),
            call(&["coda-rs", "reinit", "run", "13.1.1", "--state", st]),
            call(&["coda-rs", "reinit", "done", "13.1.2", "--state", st]),
            call(&["coda-rs", "reinit", "done", "13.9.1", "--state", st]),
        ]
    );
    let mut after = entries(root);
    after.retain(|e| e != "stub-log");
    assert_eq!(after, before, "a payload ran");
}

mod quoting {
    use proptest::prelude::*;
    use recovery_plan::shell::{shell_quote, shell_quote_bytes};

    /// `sh -c 'printf %s <quoted>'` prints `word` back, byte for byte.
    fn echoed(quoted: &[u8]) -> Vec<u8> {
        let mut line = b"printf %s ".to_vec();
        line.extend_from_slice(quoted);
        let line: std::ffi::OsString = std::os::unix::ffi::OsStringExt::from_vec(line);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(line)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        out.stdout
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn any_bytes_survive_the_shell(word in prop::collection::vec(1u8.., 0..40)) {
            prop_assert_eq!(echoed(&shell_quote_bytes(&word)), word);
        }

        #[test]
        fn any_text_survives_the_shell(word in "[ -~\n\t]{0,40}") {
            prop_assert_eq!(echoed(shell_quote(&word).as_bytes()), word.as_bytes());
        }
    }
}
