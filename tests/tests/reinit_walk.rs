//! `coda-rs reinit`: a sample server's runbook walked through every step of
//! procedure 13.1-13.9 with `done` and `run`, each step in its own process,
//! a process SIGKILLed in the middle of a step, and a torn journal write.

use crate::plan_support;
pub(crate) mod reinit_cell;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coda_rs_tests::{coda_rs_path, read_golden};
use plan_support::{
    coda_rs, reinit_init_from, reinit_init_in, reinit_init_lists, scratch, steps, RVM_FLAGS,
};
use serde_json::Value;

/// The golden server `vm` (testvol.0 and its clones) plus one more
/// replicated volume, proj.0.
const EXTRA_VOLUME: &str =
    "Wproj.0 I1000004 H1 P/vicepa m0 M0 U10 W1000004 C6b07c902 D6b07c902 B0 A0\n";
const EXTRA_GROUP: &str = "proj 7f000001 1 01000004 0 0 0 0 0 0 0\n";

struct Server {
    _dir: tempfile::TempDir,
    root: PathBuf,
    state: PathBuf,
}

impl Server {
    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn reinit(&self, args: &[&str]) -> std::process::Output {
        plan_support::reinit(&self.root, &self.state, args)
    }

    fn status(&self) -> Value {
        let out = self.reinit(&["status", "--json"]);
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn step(&self, id: &str) -> Value {
        self.status()["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no step {id}"))
    }
}

/// Lists, dumps (golden dump files named as the backup program named them)
/// and `reinit init`.
fn server(proj_dump_ok: bool) -> Server {
    server_with(proj_dump_ok, &[])
}

/// [`server`] with more `reinit init` arguments.
fn server_with(proj_dump_ok: bool, extra: &[&str]) -> Server {
    let dir = scratch();
    let root = dir.path().to_path_buf();
    let mut vl = read_golden("dump", "VolumeList.sample");
    vl.extend_from_slice(EXTRA_VOLUME.as_bytes());
    let mut vr = read_golden("dump", "VRList.sample");
    vr.extend_from_slice(EXTRA_GROUP.as_bytes());
    std::fs::write(root.join("VolumeList"), vl).unwrap();
    std::fs::write(root.join("VRList"), vr).unwrap();
    let dumps = root.join("dumps");
    std::fs::create_dir(&dumps).unwrap();
    std::fs::write(
        dumps.join("7f000000.01000001"),
        read_golden("dump", "native-full.dump"),
    )
    .unwrap();
    let mut proj = read_golden("dump", "server-a-full.dump");
    if !proj_dump_ok {
        proj.truncate(proj.len() / 2);
    }
    std::fs::write(dumps.join("7f000001.01000004"), proj).unwrap();
    let state = root.join("state");
    let dirs = ["--inited-dir", "inited"];
    let out = reinit_init_in(&root, "state", "dumps", &[&dirs[..], extra].concat());
    assert!(out.status.success(), "{out:?}");
    Server {
        _dir: dir,
        root,
        state,
    }
}

fn commands(s: &Server) -> Vec<(String, String, String)> {
    steps(&s.state)
}

#[test]
fn runbook_has_every_section_with_concrete_commands() {
    let s = server_with(true, &["--reformat-rvm"]);
    let steps = commands(&s);
    for section in 1..=9 {
        let prefix = format!("13.{section}.");
        assert!(
            steps.iter().any(|(id, _, _)| id.starts_with(&prefix)),
            "no step in 13.{section}"
        );
    }
    let root = s.root.display().to_string();
    let has = |kind: &str, command: &str| {
        assert!(
            steps.iter().any(|(_, k, c)| k == kind && c == command),
            "missing {kind} step `{command}` in {steps:#?}"
        )
    };
    // 13.3: the lines partial-reinit.sh would write (golden + proj).
    has(
        "operator",
        "volutil create_rep /vicepa testvol.0 7f000000 1000001",
    );
    has(
        "operator",
        "volutil create_rep /vicepa proj.0 7f000001 1000004",
    );
    has(
        "coda-rs",
        &format!("coda-rs rvm init --log {root}/LOG --log-size 1M --data {root}/DATA --data-size 4M --replace-rvm"),
    );
    // Issue 14: each dump restored straight into its recreated volume,
    // no copy step by default.
    has(
        "coda-rs",
        &format!(
            "coda-rs dump restore {root}/dumps/7f000000.01000001 --into {root}/inited/testvol.0"
        ),
    );
    assert!(
        !steps.iter().any(|(_, _, c)| c.starts_with("coda-rs copy")),
        "{steps:#?}"
    );
    has(
        "coda-rs",
        &format!(
            "coda-rs dump verify {root}/dumps/7f000001.01000004 --against {root}/inited/proj.0"
        ),
    );
    has(
        "coda-rs",
        &format!("coda-rs cfs rmmount {root}/inited/testvol.0"),
    );
    has("coda-rs", "coda-rs cfs flushcache --yes");
    // Backup clones and restored volumes are not part of the procedure.
    assert!(!steps
        .iter()
        .any(|(_, _, c)| c.contains(".backup") || c.contains(".restored")));
    let status = s.status();
    assert_eq!(status["done"], 0);
    assert_eq!(status["next"], "13.1.1");
    assert_eq!(status["not_recreated"].as_array().unwrap().len(), 5);
}

fn rvm_available() -> bool {
    coda_rs()
        .args(["rvm", "init", "--help"])
        .output()
        .unwrap()
        .status
        .success()
}

/// Steps `reinit run` can carry out here without a Coda server.
fn runnable_here(command: &str, rvm: bool) -> bool {
    command.starts_with("coda-rs plan dumplists")
        || (command.starts_with("coda-rs dump verify") && !command.contains("--against"))
        || (rvm && command.starts_with("coda-rs rvm init"))
}

#[test]
fn walk_every_step_one_process_each() {
    let s = server(false);
    let rvm = rvm_available();
    if !rvm {
        eprintln!("NOTE: `coda-rs rvm init` is not available in this build: step 13.2.2 is marked done instead of run");
    }
    let steps = commands(&s);
    let total = steps.len();
    let mut done = 0;
    let mut ran = Vec::new();
    let mut failed_once = false;
    loop {
        let out = s.reinit(&["next", "--id"]);
        assert!(out.status.success(), "{out:?}");
        let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
        if id.is_empty() {
            break;
        }
        let (_, kind, command) = steps.iter().find(|(i, _, _)| *i == id).unwrap().clone();
        assert_eq!(id, steps[done].0, "next must be the first step not done");
        // Run here as the step's host (`run` follows --host as --all does).
        let host = s.step(&id)["host"].as_str().map(str::to_string);
        let mut run = vec!["run", id.as_str()];
        if let Some(h) = &host {
            run.extend(["--host", h.as_str()]);
        }
        if kind == "coda-rs" && runnable_here(&command, rvm) {
            run.push("--yes");
            let out = s.reinit(&run);
            if command.contains("7f000001.01000004") && !failed_once {
                // proj's dump is truncated: the run fails, is recorded as
                // failed, and the position does not move.
                assert_eq!(out.status.code(), Some(1), "{out:?}");
                let step = s.step(&id);
                assert_eq!(step["state"], "failed");
                assert_eq!(step["exit_code"], 1);
                assert_eq!(s.status()["next"], id.as_str());
                failed_once = true;
                std::fs::write(
                    s.path("dumps/7f000001.01000004"),
                    read_golden("dump", "server-a-full.dump"),
                )
                .unwrap();
                continue;
            }
            assert!(out.status.success(), "run {id}: {out:?}");
            ran.push(id.clone());
            let step = s.step(&id);
            assert_eq!(step["how"], "run");
            assert_eq!(step["exit_code"], 0);
        } else {
            // Not run here: a manual step is refused (usage); an operator
            // step, with no terminal to ask on and no --yes, or its
            // program not on this machine, is not run either; `done`
            // records it.
            if kind != "coda-rs" {
                let out = s.reinit(&run);
                match out.status.code() {
                    Some(2) if kind == "manual" => {}
                    Some(1 | 3) if kind == "operator" => {}
                    _ => panic!("{kind} step {id}: {out:?}"),
                }
                assert_eq!(s.step(&id)["state"], "pending");
            }
            let out = s.reinit(&["done", &id]);
            assert!(out.status.success(), "{out:?}");
            assert_eq!(s.step(&id)["how"], "marked");
        }
        done += 1;
        // A fresh process reads the position back from the journal.
        let status = s.status();
        assert_eq!(status["done"], done);
        assert_eq!(status["total"], total);
        let expected_next = steps.get(done).map(|(i, _, _)| i.as_str());
        assert_eq!(status["next"].as_str(), expected_next);
    }
    assert_eq!(done, total);
    assert!(failed_once);
    assert!(ran.iter().any(|id| id == "13.1.1"));
    assert_eq!(ran.iter().filter(|id| id.starts_with("13.1.")).count(), 3);
    // 13.1.1 wrote the dumplist: both replicated volumes, by group id.
    let list = std::fs::read_to_string(s.state.join("dumplists/dumplist.01")).unwrap();
    assert_eq!(list, "7f000001\tF\tproj\n7f000000\tF\ttestvol\n");
    if rvm {
        assert!(ran.iter().any(|id| id == "13.2.2"));
        assert_eq!(std::fs::metadata(s.path("DATA")).unwrap().len(), 4 << 20);
        assert!(std::fs::metadata(s.path("LOG")).unwrap().len() >= 1 << 20);
    }
    let out = s.reinit(&["next"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("all {total} steps are done\n")
    );
    // Text status agrees.
    let out = s.reinit(&["status"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!("{total} of {total} steps done; next: none")),
        "{text}"
    );
}

#[test]
fn guards_order_repetition_and_unknown_steps() {
    let s = server(true);
    // Out of order: refused for safety, nothing recorded.
    let out = s.reinit(&["done", "13.3.1"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(s.step("13.3.1")["state"], "pending");
    let out = s.reinit(&["run", "13.2.2"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(
        !s.path("LOG").exists(),
        "a refused run must not touch anything"
    );
    let out = s.reinit(&["done", "13.9.9"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // --force records out of order.
    let out = s.reinit(&["done", "13.3.1", "--force"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(s.step("13.3.1")["state"], "done");
    assert_eq!(s.status()["next"], "13.1.1");
    // Running a done step again is refused.
    let out = s.reinit(&["run", "13.1.1"]);
    assert!(out.status.success(), "{out:?}");
    let out = s.reinit(&["run", "13.1.1"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    // A second init would lose the progress: refused.
    let out = reinit_init_in(&s.root, "state", "dumps", &[]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(s.step("13.1.1")["state"], "done");
}

fn journal(s: &Server) -> Value {
    serde_json::from_slice(&std::fs::read(s.state.join("journal.json")).unwrap()).unwrap()
}

fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(
            stat.rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().next()),
            Some("Z") | Some("X")
        ),
        Err(_) => false,
    }
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigkill_in_the_middle_of_a_step_then_resume() {
    let s = server(true);
    // Make step 13.1.1 block: its VolumeList copy becomes a FIFO nobody
    // writes to, so `plan dumplists` waits in open().
    let list = s.state.join("VolumeList");
    let saved = std::fs::read(&list).unwrap();
    std::fs::remove_file(&list).unwrap();
    let c_path = std::ffi::CString::new(list.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);

    let mut reinit = Command::new(coda_rs_path())
        .args(["reinit", "run", "13.1.1", "--state"])
        .arg(&s.state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reinit_pid = reinit.id();
    let mut child_pid = 0;
    wait_for("the step's process in the journal", || {
        let j = journal(&s);
        let r = &j["steps"]["13.1.1"];
        match r["pid"].as_u64() {
            Some(pid) if r["state"] == "running" && pid as u32 != reinit_pid => {
                child_pid = pid as u32;
                true
            }
            _ => false,
        }
    });
    // SIGKILL the reinit process while its step runs.
    reinit.kill().unwrap();
    reinit.wait().unwrap();
    assert!(alive(child_pid));
    let step = s.step("13.1.1");
    assert_eq!(step["state"], "running", "{step}");
    let out = s.reinit(&["run", "13.1.1"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a live step is not started twice: {out:?}"
    );
    // Now the step's own process dies too.
    // SAFETY: plain kill(2) of a process this test started (indirectly).
    assert_eq!(unsafe { libc::kill(child_pid as i32, libc::SIGKILL) }, 0);
    wait_for("the step's process to end", || !alive(child_pid));
    assert_eq!(s.step("13.1.1")["state"], "interrupted");
    let status = s.status();
    assert_eq!(status["done"], 0);
    assert_eq!(status["next"], "13.1.1");
    let out = s.reinit(&["next"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("13.1.1 (interrupted): "), "{text}");

    // Put the list back and resume: the step completes.
    std::fs::remove_file(&list).unwrap();
    std::fs::write(&list, saved).unwrap();
    let out = s.reinit(&["run", "13.1.1"]);
    assert!(out.status.success(), "{out:?}");
    let status = s.status();
    assert_eq!(status["done"], 1);
    assert_eq!(status["next"], "13.1.2");
}

#[test]
fn torn_journal_write_is_ignored() {
    let s = server(true);
    assert!(s.reinit(&["done", "13.1.1", "13.1.2"]).status.success());
    let journal_path = s.state.join("journal.json");
    let before = std::fs::read(&journal_path).unwrap();
    // A crash in the middle of the next write leaves a partial temp file:
    // here, the first half of a journal that would mark more steps done,
    // and separately, an empty one.
    let mut bigger: Value = serde_json::from_slice(&before).unwrap();
    bigger["steps"]["13.1.3"] = bigger["steps"]["13.1.2"].clone();
    bigger["steps"]["13.1.4"] = bigger["steps"]["13.1.2"].clone();
    let full = serde_json::to_vec_pretty(&bigger).unwrap();
    let tmp = s.state.join("journal.json.tmp");
    for torn in [&full[..full.len() / 2], &[][..]] {
        std::fs::write(&tmp, torn).unwrap();
        let status = s.status();
        assert_eq!(status["done"], 2);
        assert_eq!(status["next"], "13.1.3");
        assert_eq!(std::fs::read(&journal_path).unwrap(), before);
    }
    // The next write replaces the leftover and goes through.
    assert!(s.reinit(&["done", "13.1.3"]).status.success());
    assert!(!tmp.exists());
    let status = s.status();
    assert_eq!(status["done"], 3);
    assert_eq!(status["next"], "13.1.4");
    assert_eq!(journal(&s)["sequence"], 3);

    // A journal damaged outside coda-rs is reported, not guessed at.
    std::fs::write(&journal_path, &before[..before.len() / 3]).unwrap();
    let out = s.reinit(&["status"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!("coda-rs: {}: ", journal_path.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn several_servers_give_a_cell_runbook_unless_one_is_chosen() {
    let dir = scratch();
    let root = dir.path();
    std::fs::write(
        root.join("BigVolumeList"),
        "P/vicepa Halpha T1 F1\nWv.0 I1000001 H1 P/vicepa m0 M0 U2 W1000001 C0 D0 B0 A0\n\
         P/vicepa Hbeta T1 F1\nWv.1 I2000001 H2 P/vicepa m0 M0 U2 W2000001 C0 D0 B0 A0\n",
    )
    .unwrap();
    std::fs::write(root.join("VRList"), "v 7f000001 2 01000001 02000001\n").unwrap();
    let init = |extra: &[&str]| {
        let args = [&RVM_FLAGS[..], extra].concat();
        reinit_init_from(root, "BigVolumeList", "state", "dumps", &args)
    };
    // Issue 14: without --server, one runbook for the cell.
    let out = init(&[]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("runbook for the cell (alpha, beta) in "),
        "{text}"
    );
    let out = init(&["--server", "beta", "--force"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("volutil create_rep /vicepa v.1 7f000001 2000001"),
        "{text}"
    );
    assert!(!text.contains("v.0 "), "{text}");
}

#[test]
fn concurrent_records_are_not_lost() {
    // Several shells marking steps at the same moment: every record must
    // survive (the journal's read-modify-write is locked).
    let s = server(true);
    let ids: Vec<String> = commands(&s).into_iter().map(|(id, _, _)| id).collect();
    let children: Vec<_> = ids
        .iter()
        .map(|id| {
            Command::new(coda_rs_path())
                .args(["reinit", "done", id, "--force", "--state"])
                .arg(&s.state)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let status = s.status();
    assert_eq!(status["done"], ids.len());
    assert_eq!(journal(&s)["sequence"], ids.len());
}

#[test]
fn rvm_settings_from_server_conf_and_the_log() {
    let s = server(true);
    let root = &s.root;
    // The server's RVM log as it was: formatted with 2 MiB of records.
    let out = coda_rs()
        .current_dir(root)
        .args(["rvm", "init-log", "OLDLOG", "2M"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    std::fs::write(
        root.join("server.conf"),
        format!(
            "# RVM parameters\n#rvm_log=\nrvm_log={0}/OLDLOG\nrvm_data={0}/OLDDATA\nrvm_data_length=8388608\ntrace=100\n",
            root.display()
        ),
    )
    .unwrap();
    let init = |extra: &[&str]| reinit_init_lists(root, "state2", "dumps", extra);
    let out = init(&["--server-conf", "server.conf", "--reformat-rvm"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let r = root.display();
    assert!(
        text.contains(&format!(
            "coda-rs rvm init --log {r}/OLDLOG --log-size 2097152 --data {r}/OLDDATA --data-size 8388608 --replace-rvm"
        )),
        "{text}"
    );
    // Without a readable log and without --rvm-log-size: a usage error.
    std::fs::write(
        root.join("server.conf"),
        "rvm_log=/nonexistent/LOG\nrvm_data=D\nrvm_data_length=1M\n",
    )
    .unwrap();
    let out = init(&["--server-conf", "server.conf", "--force"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("coda-rs: --rvm-log-size: "), "{err}");
    // Nothing at all: usage error naming the missing flag.
    let out = init(&["--force"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8(out.stderr).unwrap().contains("--rvm-log"));
}
