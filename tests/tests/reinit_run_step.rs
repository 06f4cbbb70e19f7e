//! `reinit run STEP` carries out one step by the rules of `reinit run
//! --all` (issue 14): a step of another host runs through
//! `--remote-shell` or not at all (the error names the host and the
//! command), an operator step runs its quoted line after a question that
//! `--yes` answers, a command missing here stops with the command to run
//! by hand, a manual step is refused. Operator tools are stub scripts on
//! `PATH` that record their arguments; `ssh` records and runs the line
//! here. Expected records are written out by hand from the lists (spec
//! §15.2-§15.4).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use coda_rs_tests::{coda_rs_path, read_golden};
use serde_json::Value;

use crate::plan_support::{call, reinit, reinit_init_from, scratch, Stubs, RVM_FLAGS};
use crate::reinit_walk::reinit_cell::{BIG_VOLUME_LIST, VRLIST};

struct Cell {
    _dir: tempfile::TempDir,
    root: PathBuf,
    stubs: Stubs,
}

impl Cell {
    /// The two-server cell's lists and dumps, a runbook whose client is
    /// `cl1`, the stubs (and an `ssh` that records, then runs the line).
    fn new() -> Cell {
        let dir = scratch();
        let root = dir.path().to_path_buf();
        std::fs::write(root.join("BigVolumeList"), BIG_VOLUME_LIST).unwrap();
        std::fs::write(root.join("VRList"), VRLIST).unwrap();
        let dump = root.join("dumps/srv1/7f000001.01000001");
        std::fs::create_dir_all(dump.parent().unwrap()).unwrap();
        std::fs::write(dump, read_golden("dump", "native-full.dump")).unwrap();
        let stubs = Stubs::new(&root, &["volutil", "startserver"]);
        let ssh = stubs.dir.join("ssh");
        std::fs::write(
            &ssh,
            "#!/bin/sh\n{ printf '%s\\0%d\\0' ssh \"$#\"; printf '%s\\0' \"$@\"; } >> \"$STUB_LOG\"\n\
             for a; do line=$a; done\nexec sh -c \"$line\"\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
        let inited = root.join("coda/tmp/inited").display().to_string();
        let coda = root.join("coda").display().to_string();
        let extra = [
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

    /// `coda-rs reinit run ARGS --state state`, stdin not a terminal,
    /// with the stubs first on `PATH` unless `stubs` is false.
    fn run(&self, args: &[&str], stubs: bool) -> Output {
        let mut path = std::ffi::OsString::new();
        if stubs {
            path.push(&self.stubs.dir);
            path.push(":");
        }
        path.push(std::env::var_os("PATH").unwrap_or_default());
        Command::new(coda_rs_path())
            .current_dir(&self.root)
            .args(["reinit", "run"])
            .args(args)
            .arg("--state")
            .arg(self.root.join("state"))
            .env("PATH", path)
            .env("STUB_LOG", &self.stubs.log)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn status(&self) -> Value {
        let out = reinit(&self.root, self.root.join("state"), &["status", "--json"]);
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The id of the one step whose command is `command` on `host`.
    fn id(&self, host: &str, command: &str) -> String {
        let status = self.status();
        let found: Vec<&Value> = status["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["command"] == command && s["host"] == host)
            .collect();
        assert_eq!(found.len(), 1, "{command} on {host}");
        found[0]["id"].as_str().unwrap().to_string()
    }

    fn state_of(&self, id: &str) -> String {
        let status = self.status();
        let step = status["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()
            .clone();
        step["state"].as_str().unwrap().to_string()
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

    fn ssh(&self) -> String {
        format!("{} -oBatchMode=yes", self.stubs.dir.join("ssh").display())
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn a_step_of_another_host_runs_there_or_stops_naming_host_and_command() {
    let cell = Cell::new();
    let line = format!(
        "volutil dump 1000001 {}/dumps/srv1/7f000001.01000001",
        cell.r()
    );
    let id = cell.id("srv1", &line);
    cell.done_before(&id);
    // No remote shell: nothing runs, the error names srv1 and the line.
    let out = cell.run(&[&id, "--yes", "--host", "cl1"], true);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.contains(&format!("step {id}: runs on srv1: run `{line}` there")),
        "{err}"
    );
    assert!(cell.stubs.calls().is_empty());
    assert_eq!(cell.state_of(&id), "pending");
    // Through the remote shell, given the host and then the line.
    let rsh = cell.ssh();
    let out = cell.run(
        &[&id, "--yes", "--host", "cl1", "--remote-shell", &rsh],
        true,
    );
    assert!(out.status.success(), "{out:?}");
    let dump = format!("{}/dumps/srv1/7f000001.01000001", cell.r());
    assert_eq!(
        cell.stubs.calls(),
        [
            call(&["ssh", "-oBatchMode=yes", "srv1", &line]),
            call(&["volutil", "dump", "1000001", &dump]),
        ]
    );
    assert_eq!(cell.state_of(&id), "done");
}

#[test]
fn a_coda_rs_step_of_another_host_is_not_run_here() {
    let cell = Cell::new();
    // 13.2's RVM step of srv1 (the first `rvm init` of the runbook).
    let status = cell.status();
    let step = status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["host"] == "srv1"
                && s["command"]
                    .as_str()
                    .unwrap()
                    .starts_with("coda-rs rvm init ")
        })
        .unwrap()
        .clone();
    let id = step["id"].as_str().unwrap().to_string();
    cell.done_before(&id);
    let out = cell.run(&[&id, "--yes", "--host", "cl1"], true);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr(&out).contains(&format!("step {id}: runs on srv1: run `coda-rs rvm init ")),
        "{out:?}"
    );
    assert!(!cell.root.join("LOG").exists() && !cell.root.join("DATA").exists());
    assert_eq!(cell.state_of(&id), "pending");
}

#[test]
fn an_operator_step_asks_and_yes_runs_its_line() {
    let cell = Cell::new();
    // `volutil shutdown` on srv1, run here as srv1.
    let id = cell.id("srv1", "volutil shutdown");
    cell.done_before(&id);
    // No terminal to ask on and no --yes: refused (exit 3), nothing run.
    let out = cell.run(&[&id, "--host", "srv1"], true);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(stderr(&out).contains("--yes"), "{out:?}");
    assert!(cell.stubs.calls().is_empty());
    assert_eq!(cell.state_of(&id), "pending");
    let out = cell.run(&[&id, "--host", "srv1", "--yes"], true);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(cell.stubs.calls(), [call(&["volutil", "shutdown"])]);
    assert_eq!(cell.state_of(&id), "done");
}

#[test]
fn a_missing_command_stops_with_the_command_to_run_by_hand() {
    let cell = Cell::new();
    let id = cell.id("srv1", "volutil shutdown");
    cell.done_before(&id);
    let out = cell.run(&[&id, "--host", "srv1", "--yes"], false);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "step {id}: `volutil` is not on this machine: run `volutil shutdown` by hand"
        )),
        "{err}"
    );
    assert_eq!(cell.state_of(&id), "pending");
}

#[test]
fn a_manual_step_is_refused() {
    let cell = Cell::new();
    let out = cell.run(&["13.9.1", "--force", "--yes"], true);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        stderr(&out).contains("is not a coda-rs or operator command"),
        "{out:?}"
    );
    assert!(cell.stubs.calls().is_empty());
}
