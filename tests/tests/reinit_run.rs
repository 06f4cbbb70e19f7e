//! `reinit run --all` and `reinit run STEP` on a two-server cell (issues
//! 14 and 16): the operator tools are stub scripts on `PATH` that record
//! their arguments (`volutil`, `startserver`, `bldvldb.sh`,
//! `createvol_rep`, and `ssh`, which records and then runs the command
//! line here, as a loopback remote host); venus is the recording pioctl
//! transport of `cfs_ioctl::recording`, selected by its two environment
//! variables, with `venus.conf` naming its directory as the mount point.
//!
//! Every expected record below is written out by hand from the lists
//! (spec §15.2-§15.4, `pioctl.md` §6.2, §6.3, §6.5).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use coda_rs_tests::{coda_rs_path, read_golden};
use serde_json::Value;

use crate::plan_support::{reinit, reinit_init_from, scratch, Stubs, RVM_FLAGS};
use crate::reinit_walk::reinit_cell::{volume_tree, BIG_VOLUME_LIST, VRLIST};

/// The abort hook of `dump restore`: ends the process as `kill -9` would
/// after this many objects.
const KILL_HOOK: &str = "CODA_RS_TEST_ABORT_AFTER_VNODES";

struct Cell {
    _dir: tempfile::TempDir,
    root: PathBuf,
    stubs: Stubs,
}

impl Cell {
    /// The lists, every replica's dump (both replicas of a volume hold the
    /// same dump), a runbook with the recreated volumes mounted beneath
    /// the cell's root `coda`, the stubs and venus.conf.
    fn new(inited: &str) -> Cell {
        let dir = scratch();
        let root = dir.path().to_path_buf();
        std::fs::write(root.join("BigVolumeList"), BIG_VOLUME_LIST).unwrap();
        std::fs::write(root.join("VRList"), VRLIST).unwrap();
        for (dump, golden) in [
            ("srv1/7f000001.01000001", "native-full.dump"),
            ("srv2/7f000001.02000001", "native-full.dump"),
            ("srv1/7f000002.01000002", "server-a-full.dump"),
            ("srv2/7f000002.02000002", "server-a-full.dump"),
            ("srv1/7f000003.01000003", "server-b-full.dump"),
            ("srv2/7f000003.02000003", "server-b-full.dump"),
        ] {
            let p = root.join("dumps").join(dump);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, read_golden("dump", golden)).unwrap();
        }
        std::fs::create_dir(root.join("coda")).unwrap();
        std::fs::create_dir(root.join("etc")).unwrap();
        std::fs::write(
            root.join("etc/venus.conf"),
            format!("mountpoint={}\n", root.join("coda").display()),
        )
        .unwrap();
        let stubs = Stubs::new(
            &root,
            &["volutil", "startserver", "bldvldb.sh", "createvol_rep"],
        );
        // ssh records like the others, then runs its last argument here.
        let ssh = stubs.dir.join("ssh");
        std::fs::write(
            &ssh,
            "#!/bin/sh\n{ printf '%s\\0%d\\0' ssh \"$#\"; printf '%s\\0' \"$@\"; } >> \"$STUB_LOG\"\n\
             for a; do line=$a; done\nexec sh -c \"$line\"\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
        // `coda-rs` on the "remote" hosts' PATH.
        std::os::unix::fs::symlink(coda_rs_path(), stubs.dir.join("coda-rs")).unwrap();
        let inited = root.join(inited).display().to_string();
        let coda = root.join("coda").display().to_string();
        let extra = [
            "--reformat-rvm",
            "--inited-dir",
            &inited,
            "--coda-dir",
            &coda,
            "--client",
            "cl1",
        ];
        let out = reinit_init_from(
            &root,
            "BigVolumeList",
            "state",
            "dumps",
            &[&RVM_FLAGS[..], &extra[..]].concat(),
        );
        assert!(out.status.success(), "{out:?}");
        Cell {
            _dir: dir,
            root,
            stubs,
        }
    }

    fn r(&self) -> String {
        self.root.display().to_string()
    }

    fn pioctl_log(&self) -> PathBuf {
        self.root.join("pioctl.log")
    }

    /// `coda-rs reinit ARGS --state state` with the stubs first on PATH,
    /// the recording venus at `coda`, stdin not a terminal.
    fn command(&self, args: &[&str]) -> Command {
        let mut path = std::ffi::OsString::from(&self.stubs.dir);
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        let mut c = Command::new(coda_rs_path());
        c.current_dir(&self.root)
            .arg("reinit")
            .args(args)
            .arg("--state")
            .arg(self.root.join("state"))
            .env("PATH", path)
            .env("STUB_LOG", &self.stubs.log)
            .env("CODACONFPATH", self.root.join("etc"))
            .env("CODA_RS_TEST_CODA_MOUNT", self.root.join("coda"))
            .env("CODA_RS_TEST_PIOCTL_LOG", self.pioctl_log())
            .env_remove(KILL_HOOK)
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// The remote shell of the runs: `STUB_SSH -oBatchMode=yes`.
    fn rsh(&self) -> String {
        format!("{} -oBatchMode=yes", self.stubs.dir.join("ssh").display())
    }

    /// `reinit run --all ARGS --remote-shell RSH` ([`Cell::rsh`]).
    fn run_all_rsh(&self, args: &[&str]) -> Command {
        let rsh = self.rsh();
        let all = [&["run", "--all"][..], args, &["--remote-shell", &rsh]].concat();
        self.command(&all)
    }

    /// `reinit run --all --yes --host cl1 --remote-shell RSH`, with `env`.
    fn run_all(&self, env: &[(&str, &str)]) -> Output {
        let mut c = self.run_all_rsh(&["--yes", "--host", "cl1"]);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// `reinit run --all --host cl1` through the remote shell, without
    /// `--yes` and without a terminal.
    fn run_all_unasked(&self) -> Output {
        self.run_all_rsh(&["--host", "cl1"]).output().unwrap()
    }

    fn status(&self) -> Value {
        let out = reinit(&self.root, self.root.join("state"), &["status", "--json"]);
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn journal(&self) -> Vec<u8> {
        std::fs::read(self.root.join("state/journal.json")).unwrap()
    }

    /// The id of the one step whose command is `command`.
    fn id(&self, command: &str) -> String {
        let status = self.status();
        let found: Vec<&Value> = status["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["command"] == command)
            .collect();
        assert_eq!(found.len(), 1, "{command}");
        found[0]["id"].as_str().unwrap().to_string()
    }

    /// `reinit done` of every step before `id`.
    fn done_before(&self, id: &str) {
        let status = self.status();
        let before: Vec<&str> = status["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .take_while(|s| *s != id)
            .collect();
        let mut args = vec!["done"];
        args.extend(before);
        let out = reinit(&self.root, self.root.join("state"), &args);
        assert!(out.status.success(), "{out:?}");
    }

    /// The recorded pioctls, with the cell's directory written `R`.
    fn pioctls(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.pioctl_log()).unwrap_or_default();
        text.lines().map(|l| l.replace(&self.r(), "R")).collect()
    }

    /// The recorded stub calls, with the cell's directory written `R`.
    fn calls(&self) -> Vec<Vec<String>> {
        self.stubs
            .calls()
            .iter()
            .map(|c| {
                c.iter()
                    .map(|w| {
                        String::from_utf8(w.clone())
                            .unwrap()
                            .replace(&self.r(), "R")
                    })
                    .collect()
            })
            .collect()
    }
}

/// The run stopped before doing anything (exit 3), saying `msg`.
fn assert_stops(out: &Output, msg: &str) {
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(text(&out.stderr).contains(msg), "{msg}: {out:?}");
}

fn text(out: &[u8]) -> String {
    String::from_utf8(out.to_vec()).unwrap()
}

/// `[ssh, -oBatchMode=yes, host, line]` then the stub call the line makes.
fn remote(host: &str, line: &str, then: &[&str]) -> Vec<Vec<String>> {
    let mut v = vec![vec![
        "ssh".to_string(),
        "-oBatchMode=yes".into(),
        host.into(),
        line.into(),
    ]];
    if !then.is_empty() {
        v.push(then.iter().map(|w| w.to_string()).collect());
    }
    v
}

/// Every operator command of the cell, in runbook order, as the stubs
/// record it (hand-written from the lists).
fn expected_calls() -> Vec<Vec<String>> {
    let rvm =
        "coda-rs rvm init --log R/LOG --log-size 1M --data R/DATA --data-size 4M --replace-rvm";
    let mut v = Vec::new();
    for (host, id, dump) in [
        ("srv1", "1000001", "R/dumps/srv1/7f000001.01000001"),
        ("srv1", "1000002", "R/dumps/srv1/7f000002.01000002"),
        ("srv1", "1000003", "R/dumps/srv1/7f000003.01000003"),
        ("srv2", "2000001", "R/dumps/srv2/7f000001.02000001"),
        ("srv2", "2000002", "R/dumps/srv2/7f000002.02000002"),
        ("srv2", "2000003", "R/dumps/srv2/7f000003.02000003"),
    ] {
        let line = format!("volutil dump {id} {dump}");
        v.extend(remote(host, &line, &["volutil", "dump", id, dump]));
    }
    for host in ["srv1", "srv2"] {
        v.extend(remote(host, "volutil shutdown", &["volutil", "shutdown"]));
        v.extend(remote(host, rvm, &[]));
        v.extend(remote(host, "startserver", &["startserver"]));
    }
    // 13.3: each line runs the stub of its first word with the others.
    for (host, line) in [
        (
            "srv1",
            "volutil create_rep /vicepa coda_root.0 7f000001 1000001",
        ),
        (
            "srv2",
            "volutil create_rep /vicepa coda_root.1 7f000001 2000001",
        ),
        (
            "srv1",
            "createvol_rep coda_root.tmp srv1/vicepa srv2/vicepa",
        ),
        ("srv2", "volutil create_rep /vicepa proj.1 7f000002 2000002"),
        ("srv1", "volutil create_rep /vicepa proj.0 7f000002 1000002"),
        (
            "srv2",
            "volutil create_rep /vicepa users.1 7f000003 2000003",
        ),
        (
            "srv1",
            "volutil create_rep /vicepb users.0 7f000003 1000003",
        ),
        ("srv1", "bldvldb.sh"),
    ] {
        let words: Vec<&str> = line.split(' ').collect();
        v.extend(remote(host, line, &words));
    }
    v
}

/// The mount-link pioctls of the cell (spec §6.3: nr 142 on the parent
/// with `name/volume\0`; §6.2: rmmount on the parent with `name\0`) and
/// the flush, in order.
fn expected_mounts() -> Vec<String> {
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>() + "00";
    vec![
        format!(
            "VIOC_ADD_MT_PT path=R/coda follow=1 in={}",
            hex("tmp/coda_root.tmp")
        ),
        format!(
            "VIOC_ADD_MT_PT path=R/coda/tmp/inited follow=1 in={}",
            hex("proj/proj")
        ),
        format!(
            "VIOC_ADD_MT_PT path=R/coda/tmp/inited follow=1 in={}",
            hex("users/users")
        ),
        format!(
            "VIOC_AFS_DELETE_MT_PT path=R/coda/tmp/inited follow=0 in={}",
            hex("proj")
        ),
        format!(
            "VIOC_AFS_DELETE_MT_PT path=R/coda/tmp/inited follow=0 in={}",
            hex("users")
        ),
        "VIOC_FLUSHCACHE path= follow=1 in=".to_string(),
    ]
}

/// The steps the run started, from its stderr: `(id, command line)`.
fn started(stderr: &str) -> Vec<(String, String)> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("coda-rs: step "))
        .filter(|l| !l.contains(": done ("))
        .filter_map(|l| l.split_once(": "))
        .map(|(id, rest)| (id.split(' ').next().unwrap().to_string(), rest.to_string()))
        .collect()
}

#[test]
fn run_all_carries_out_the_cell_until_only_manual_steps_remain() {
    let cell = Cell::new("coda/tmp/inited");
    let out = cell.run_all(&[]);
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    // The steps' own output, then where the run stopped.
    assert!(
        stdout.ends_with(
            "only steps done by hand remain, first 13.9.1\nnext: 13.9.1 Test the system\n"
        ),
        "{stdout}"
    );
    let status = cell.status();
    assert_eq!(status["next"], "13.9.1");
    assert_eq!(status["done"], status["total"].as_u64().unwrap() - 1);
    // Every operator command once, each on its server's host.
    assert_eq!(cell.calls(), expected_calls());
    // Mounts made and removed through venus; before each step that
    // writes beneath the cell's root, venus was asked (getfid).
    let pioctls = cell.pioctls();
    let mounts: Vec<String> = pioctls
        .iter()
        .filter(|l| !l.starts_with("VIOC_GETFID "))
        .cloned()
        .collect();
    assert_eq!(mounts, expected_mounts());
    let checks: Vec<&str> = pioctls
        .iter()
        .filter_map(|l| l.strip_prefix("VIOC_GETFID path="))
        .collect();
    assert_eq!(
        checks,
        [
            "R/coda follow=0 in=",                 // restore of the root
            "R/coda follow=0 in=",                 // mkmount tmp
            "R/coda/tmp follow=0 in=",             // mkdir inited
            "R/coda/tmp/inited follow=0 in=",      // mkmount proj
            "R/coda/tmp/inited follow=0 in=",      // mkmount users
            "R/coda/tmp/inited/proj follow=0 in=", // restore proj
            "R/coda/tmp/inited/users follow=0 in=",
            "R/coda/tmp/inited/proj follow=0 in=", // rmmount proj
            "R/coda/tmp/inited/users follow=0 in=",
            "R/coda/tmp/inited follow=0 in=", // rmdir inited
        ]
    );
    // Each replicated volume restored once, from its chosen replica, and
    // verified once against that dump.
    let r = cell.r();
    let ran: Vec<String> = started(&text(&out.stderr))
        .into_iter()
        .map(|(_, c)| c.replace(&r, "R"))
        .collect();
    let restores: Vec<&String> = ran
        .iter()
        .filter(|c| c.contains(" dump restore "))
        .collect();
    assert_eq!(
        restores,
        [
            "coda-rs dump restore R/dumps/srv1/7f000001.01000001 --into R/coda",
            "coda-rs dump restore R/dumps/srv1/7f000002.01000002 --into R/coda/tmp/inited/proj",
            "coda-rs dump restore R/dumps/srv2/7f000003.02000003 --into R/coda/tmp/inited/users",
        ]
    );
    for (dump, tree) in [
        ("R/dumps/srv1/7f000001.01000001", "R/coda"),
        ("R/dumps/srv1/7f000002.01000002", "R/coda/tmp/inited/proj"),
        ("R/dumps/srv2/7f000003.02000003", "R/coda/tmp/inited/users"),
    ] {
        let verify = format!("coda-rs dump verify {dump} --against {tree}");
        assert_eq!(ran.iter().filter(|c| **c == verify).count(), 1, "{ran:#?}");
    }
    // The volumes' trees, moved aside by the recording venus's rmmount.
    let aside = cell.root.join("pioctl.log.rmmount");
    assert!(volume_tree(&aside.join("proj")).len() > 80);
    assert!(!cell.root.join("coda/tmp/inited").exists());
    // The same command again: nothing left to run, nothing run.
    let out = cell.run_all(&[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(cell.calls(), expected_calls());
    assert_eq!(cell.pioctls(), pioctls);
}

#[test]
fn kill_9_during_a_restore_then_the_same_command_finishes_with_the_same_records() {
    let clean = Cell::new("coda/tmp/inited");
    assert!(clean.run_all(&[]).status.success());
    let cell = Cell::new("coda/tmp/inited");
    // proj's restore (server-a-full.dump) dies after 20 objects; the root
    // dump has fewer, so it is proj's.
    let out = cell.run_all(&[(KILL_HOOK, "20")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = text(&out.stderr);
    let proj = cell.id(&format!(
        "coda-rs dump restore {0}/dumps/srv1/7f000002.01000002 --into {0}/coda/tmp/inited/proj",
        cell.r()
    ));
    assert!(
        err.contains(&format!("coda-rs: step {proj}: `coda-rs dump restore ")),
        "{err}"
    );
    assert!(err.contains("failed (killed by a signal)"), "{err}");
    let status = cell.status();
    assert_eq!(status["next"], proj.as_str());
    let out = cell.run_all(&[]);
    assert!(out.status.success(), "{out:?}");
    let resumed: Vec<(String, String)> = started(&text(&out.stderr))
        .into_iter()
        .filter(|(id, _)| *id == proj)
        .collect();
    assert_eq!(resumed.len(), 1, "{out:?}");
    assert!(
        resumed[0].1.ends_with("/coda/tmp/inited/proj --resume"),
        "{resumed:?}"
    );
    // The same operator commands, the same mounts, the same trees.
    assert_eq!(cell.calls(), clean.calls());
    let mounts = |c: &Cell| -> Vec<String> {
        c.pioctls()
            .into_iter()
            .filter(|l| !l.starts_with("VIOC_GETFID "))
            .collect()
    };
    assert_eq!(mounts(&cell), expected_mounts());
    for v in ["proj", "users"] {
        let tree = |c: &Cell| volume_tree(&c.root.join("pioctl.log.rmmount").join(v));
        assert_eq!(tree(&cell), tree(&clean), "{v}");
    }
    assert_eq!(cell.status()["next"], "13.9.1");
}

#[test]
fn an_interrupted_restore_step_resumes_with_run_step() {
    let cell = Cell::new("coda/tmp/inited");
    let r = cell.r();
    let command = format!(
        "coda-rs dump restore {r}/dumps/srv1/7f000002.01000002 --into {r}/coda/tmp/inited/proj"
    );
    let id = cell.id(&command);
    cell.done_before(&id);
    let target = cell.root.join("coda/tmp/inited/proj");
    std::fs::create_dir_all(&target).unwrap();
    let out = cell
        .command(&["run", &id, "--host", "cl1"])
        .env(KILL_HOOK, "20")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(target.join(".coda-rs-restore.json").exists());
    let out = cell.run(&["run", &id, "--host", "cl1"]);
    assert!(out.status.success(), "{out:?}");
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("coda-rs: step {id}: {command} --resume\n")),
        "{err}"
    );
    assert!(!target.join(".coda-rs-restore.json").exists());
    // The tree of a restore that was never interrupted.
    let fresh = cell.root.join("fresh");
    let out = Command::new(coda_rs_path())
        .args(["dump", "restore"])
        .arg(cell.root.join("dumps/srv1/7f000002.01000002"))
        .arg("--into")
        .arg(&fresh)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(volume_tree(&target), volume_tree(&fresh));
    // A journal of another dump is not resumed: the restore refuses the
    // non-empty target itself, and the run says so.
    let users = cell.id(&format!(
        "coda-rs dump restore {r}/dumps/srv2/7f000003.02000003 --into {r}/coda/tmp/inited/users"
    ));
    cell.done_before(&users);
    let other = cell.root.join("coda/tmp/inited/users");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(
        cell.root.join("state/journal.json"),
        other.join("unrelated"),
    )
    .unwrap();
    let out = cell.run(&["run", &users, "--host", "cl1"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("coda-rs: step {users}: coda-rs dump restore ")),
        "{err}"
    );
    assert!(
        err.lines()
            .next()
            .unwrap()
            .ends_with("/coda/tmp/inited/users"),
        "{err}"
    );
    assert!(err.contains("the target directory is not empty"), "{err}");
}

/// `script(1)` runs `coda-rs reinit ARGS` on a pseudo-terminal, its input
/// `answer`.
fn on_a_terminal(cell: &Cell, args: &[&str], answer: &str) -> Output {
    let mut line = format!("'{}' reinit", coda_rs_path().display());
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    line.push_str(&format!(" --state '{}'", cell.root.join("state").display()));
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(&cell.root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_rvm_reformat_asks_on_a_terminal_and_dry_run_does_nothing() {
    let cell = Cell::new("coda/tmp/inited");
    // srv1's RVM step (srv2's, 13.2.5, is the same command).
    assert_eq!(
        cell.status()["steps"][14]["command"],
        format!(
            "coda-rs rvm init --log {0}/LOG --log-size 1M --data {0}/DATA --data-size 4M --replace-rvm",
            cell.r()
        )
    );
    let rvm = cell.status()["steps"][14]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(rvm, "13.2.2");
    cell.done_before(&rvm);
    let before = cell.journal();
    let rvm_files = |c: &Cell| c.root.join("LOG").exists() || c.root.join("DATA").exists();
    // Dry run: says what it would do, touches nothing.
    let rsh = cell.rsh();
    let all = [
        "run",
        "--all",
        "--dry-run",
        "--host",
        "srv1",
        "--remote-shell",
        &rsh,
    ];
    let one = ["run", "13.2.2", "--dry-run", "--host", "srv1"];
    for args in [&one[..], &all[..]] {
        let out = cell.run(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("coda-rs: step 13.2.2: would run: coda-rs rvm init "),
            "{err}"
        );
        assert!(!rvm_files(&cell));
        assert_eq!(cell.journal(), before);
        assert!(cell.calls().is_empty(), "{args:?}");
    }
    let out = cell.run(&all);
    assert!(
        text(&out.stdout).starts_with("dry run: would stop at 13.9.1, done by hand\n"),
        "{out:?}"
    );
    // Without a terminal: refused, nothing done.
    let out = cell.run(&["run", "13.2.2", "--host", "srv1"]);
    assert_stops(&out, "no terminal to ask on (give --yes)");
    assert!(!rvm_files(&cell));
    assert_eq!(cell.journal(), before);
    // On a terminal it asks; "n" leaves everything as it was.
    for answer in ["n\n", "\n", "no\n"] {
        let out = on_a_terminal(&cell, &["run", "13.2.2", "--host", "srv1"], answer);
        let shown = text(&out.stdout);
        assert!(
            shown.contains(
                "step 13.2.2: reformats the RVM log and data segment: run `coda-rs rvm init "
            ),
            "{shown}"
        );
        assert!(shown.contains("[y/N]"), "{shown}");
        assert!(shown.contains("not run (answered no)"), "{shown}");
        assert!(!rvm_files(&cell));
        assert_eq!(cell.journal(), before);
    }
    let out = on_a_terminal(&cell, &["run", "13.2.2", "--host", "srv1"], "y\n");
    assert!(out.status.success(), "{out:?}");
    assert!(rvm_files(&cell));
    assert_eq!(cell.status()["next"], "13.2.3");
}

#[test]
fn steps_into_a_non_coda_path_refuse_before_writing() {
    // The recreated volumes' mount directory is a plain directory.
    let cell = Cell::new("plain/inited");
    let r = cell.r();
    let inited = cell.root.join("plain/inited");
    // 1. `run --all` stops at the mkdir of the mount directory.
    let mkdir = cell.id(&format!("mkdir -p {r}/plain/inited"));
    cell.done_before(&mkdir);
    std::fs::create_dir(cell.root.join("plain")).unwrap();
    let before = cell.journal();
    let out = cell.run_all(&[]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "coda-rs: step {mkdir}: {r}/plain/inited: not on a Coda mount"
        )),
        "{err}"
    );
    assert!(err.contains("is venus running? is /coda mounted?"), "{err}");
    assert!(!inited.exists());
    assert_eq!(cell.journal(), before);
    // 2. A restore into a volume's mount point that exists but is plain:
    // the directory stays empty.
    let restore = cell.id(&format!(
        "coda-rs dump restore {r}/dumps/srv1/7f000002.01000002 --into {r}/plain/inited/proj"
    ));
    cell.done_before(&restore);
    std::fs::create_dir_all(inited.join("proj")).unwrap();
    let before = cell.journal();
    for args in [
        vec!["run", restore.as_str()],
        vec!["run", restore.as_str(), "--force"],
    ] {
        let out = cell.run(&args);
        assert_stops(&out, "is venus running? is /coda mounted?");
        assert_eq!(std::fs::read_dir(inited.join("proj")).unwrap().count(), 0);
        assert_eq!(cell.journal(), before);
    }
    // 3. The root's restore into a cell root that venus does not serve
    // (no recording venus at all): refused, the root stays empty.
    let cell = Cell::new("coda/tmp/inited");
    let root = cell.id(&format!(
        "coda-rs dump restore {0}/dumps/srv1/7f000001.01000001 --into {0}/coda",
        cell.r()
    ));
    cell.done_before(&root);
    let out = cell
        .command(&["run", &root])
        .env_remove("CODA_RS_TEST_CODA_MOUNT")
        .output()
        .unwrap();
    assert_stops(&out, "is venus running? is /coda mounted?");
    assert_eq!(
        std::fs::read_dir(cell.root.join("coda")).unwrap().count(),
        0
    );
}

#[test]
fn the_run_stops_where_the_operator_is_needed() {
    let cell = Cell::new("coda/tmp/inited");
    let r = cell.r();
    let state = format!("{r}/state");
    // No remote shell: the client's first step runs, srv1's first stops
    // the run naming the host and the command.
    let out = cell.run(&["run", "--all", "--yes", "--host", "cl1"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        text(&out.stderr).lines().last().unwrap(),
        format!(
            "coda-rs: step 13.1.2: runs on srv1: run `volutil dump 1000001 {r}/dumps/srv1/7f000001.01000001` \
             there, then: coda-rs reinit done 13.1.2 --state {state} (or give --remote-shell 'ssh -oBatchMode=yes')"
        )
    );
    assert_eq!(cell.status()["next"], "13.1.2");
    assert!(cell.calls().is_empty());
    // Without --yes and without a terminal: the operator step is not run.
    let out = cell.run_all_unasked();
    assert_stops(&out, "step 13.1.2: asks before it runs");
    assert!(cell.calls().is_empty());
    // This machine is srv1 and has no volutil: the run stops with the
    // command to run by hand; the client's step went through ssh.
    std::fs::remove_file(cell.stubs.dir.join("volutil")).unwrap();
    let out = cell
        .run_all_rsh(&["--yes", "--host", "srv1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        text(&out.stderr).lines().last().unwrap(),
        format!(
            "coda-rs: step 13.1.2: `volutil` is not on this machine: run `volutil dump 1000001 \
             {r}/dumps/srv1/7f000001.01000001` by hand on srv1, then: coda-rs reinit done 13.1.2 --state {state}"
        )
    );
    assert_eq!(cell.status()["steps"][1]["state"], "pending");
    // A missing program on the remote host (exit status 127) too.
    let out = cell.run_all(&[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text(&out.stderr).contains(&format!(
            "coda-rs: step 13.1.2: a command of it was not found: run `volutil dump 1000001 \
             {r}/dumps/srv1/7f000001.01000001` by hand on srv1, then: "
        )),
        "{out:?}"
    );
}

#[test]
fn an_interrupted_operator_step_is_re_run_only_with_yes() {
    let cell = Cell::new("coda/tmp/inited");
    cell.done_before("13.1.2");
    // The journal of a run killed while srv1 dumped: started, a process
    // that is gone, no outcome.
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let path = cell.root.join("state/journal.json");
    let mut j: Value = serde_json::from_slice(&cell.journal()).unwrap();
    j["steps"]["13.1.2"] = serde_json::json!({
        "state": "running", "how": "run", "started": 1_800_000_000u64,
        "finished": null, "exit_code": null, "pid": pid
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&j).unwrap()).unwrap();
    assert_eq!(cell.status()["steps"][1]["state"], "interrupted");
    let out = cell.run_all_unasked();
    assert_stops(&out, "step 13.1.2: was started and never finished");
    assert!(cell.calls().is_empty());
    let out = cell.run_all(&[]);
    assert!(out.status.success(), "{out:?}");
    let err = text(&out.stderr);
    assert!(
        err.contains("coda-rs: step 13.1.2 (re-run: it was interrupted): volutil dump 1000001 "),
        "{err}"
    );
    assert_eq!(cell.calls(), expected_calls());
}

/// Paths used above are plain: no quoting in the expected lines.
#[test]
fn the_scratch_paths_need_no_quoting() {
    let cell = Cell::new("coda/tmp/inited");
    assert!(Path::new(&cell.r())
        .to_str()
        .unwrap()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b)));
}
