//! Shared helpers of the `plan_*` integration tests: VolumeList and VRList
//! text for made-up servers, stub commands that record the arguments they
//! receive, and snapshots of directories that must not change.

#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use coda_rs_tests::{coda_rs, scratch};

/// `coda-rs plan SUB --volume-list VOLUME_LIST --vrlist VRLIST`, to add
/// arguments (and a working directory) to.
pub fn plan(
    sub: &str,
    volume_list: impl AsRef<OsStr>,
    vrlist: impl AsRef<OsStr>,
) -> assert_cmd::Command {
    let mut c = coda_rs();
    c.args(["plan", sub, "--volume-list"])
        .arg(volume_list)
        .arg("--vrlist")
        .arg(vrlist);
    c
}

/// One replicated volume with one replica: what the lists say about it.
#[derive(Clone, Debug)]
pub struct Vol {
    /// Replica name (as in the VolumeList).
    pub name: String,
    /// Group name (as in the VRList).
    pub group: String,
    /// Partition.
    pub partition: String,
    /// Replica id.
    pub id: u32,
    /// Group id.
    pub group_id: u32,
}

/// `n`-th volume (0-based) named `<group>.0` on `partition`.
pub fn vol(n: u32, group: &str, partition: &str) -> Vol {
    Vol {
        name: format!("{group}.0"),
        group: group.to_string(),
        partition: partition.to_string(),
        id: 0x0100_0001 + n,
        group_id: 0x7f00_0001 + n,
    }
}

/// The VolumeList line of a volume (spec §15.2).
pub fn volume_line(v: &Vol) -> String {
    format!(
        "W{} I{:x} H1 P{} m0 M0 U2 W{:x} C6b07c902 D6b07c902 B0 A0\n",
        v.name, v.id, v.partition, v.id
    )
}

/// The VRList line of a volume's group (spec §15.3).
pub fn vrlist_line(v: &Vol) -> String {
    format!(
        "{} {:x} 1 {:08x} 0 0 0 0 0 0 0\n",
        v.group, v.group_id, v.id
    )
}

/// A one-server VolumeList (host `vm`, one partition line per distinct
/// partition) and the VRList of `vols`.
pub fn lists(vols: &[Vol]) -> (String, String) {
    let mut vl = String::new();
    let mut seen = Vec::new();
    for v in vols {
        if !seen.contains(&v.partition) {
            vl.push_str(&format!("P{} Hvm T5adf280 F4b8959c\n", v.partition));
            seen.push(v.partition.clone());
        }
    }
    let mut vr = String::new();
    for v in vols {
        vl.push_str(&volume_line(v));
        vr.push_str(&vrlist_line(v));
    }
    (vl, vr)
}

/// Stub commands in a directory put first on `PATH`: each appends one
/// record to a log, its own name and then every argument, all
/// NUL-terminated, after the argument count.
pub struct Stubs {
    pub dir: PathBuf,
    pub log: PathBuf,
}

impl Stubs {
    /// Stubs named `names` in `root/stub-bin`, logging to `root/stub-log`.
    pub fn new(root: &Path, names: &[&str]) -> Stubs {
        let dir = root.join("stub-bin");
        std::fs::create_dir(&dir).unwrap();
        for name in names {
            let p = dir.join(name);
            std::fs::write(
                &p,
                format!(
                    "#!/bin/sh\n{{ printf '%s\\0%d\\0' '{name}' \"$#\"; \
                     if [ $# -gt 0 ]; then printf '%s\\0' \"$@\"; fi; }} >> \"$STUB_LOG\"\n"
                ),
            )
            .unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Stubs {
            dir,
            log: root.join("stub-log"),
        }
    }

    /// `sh <args>` in `cwd` with the stubs first on `PATH`.
    pub fn sh(&self, cwd: &Path, args: &[&std::ffi::OsStr]) -> Output {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut new_path = OsString::from(&self.dir);
        new_path.push(":");
        new_path.push(path);
        Command::new("sh")
            .args(args)
            .current_dir(cwd)
            .env("PATH", new_path)
            .env("STUB_LOG", &self.log)
            .output()
            .unwrap()
    }

    /// `sh -c <command line>`.
    pub fn sh_c(&self, cwd: &Path, line: &[u8]) -> Output {
        let line = OsString::from_vec(line.to_vec());
        self.sh(cwd, &["-c".as_ref(), line.as_os_str()])
    }

    /// Every call recorded so far: `[stub name, arg1, arg2, ...]`.
    pub fn calls(&self) -> Vec<Vec<Vec<u8>>> {
        let bytes = std::fs::read(&self.log).unwrap_or_default();
        let mut fields = bytes.split(|&b| b == 0);
        let mut calls = Vec::new();
        while let Some(name) = fields.next() {
            if name.is_empty() && fields.clone().next().is_none() {
                break; // the final terminator
            }
            let n: usize = std::str::from_utf8(fields.next().unwrap())
                .unwrap()
                .parse()
                .unwrap();
            let mut call = vec![name.to_vec()];
            for _ in 0..n {
                call.push(fields.next().unwrap().to_vec());
            }
            calls.push(call);
        }
        calls
    }

    /// Forgets the calls recorded so far.
    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A call as the tests write it: stub name and arguments.
pub fn call(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// Every file below `dir` (relative path -> contents; directories map to
/// `None`), to show that a refused command changed nothing; an empty map
/// when `dir` does not exist.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    if dir.exists() {
        coda_rs_tests::file_contents(dir)
    } else {
        BTreeMap::new()
    }
}

/// The names of the entries of `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `coda-rs reinit <args...> --state <state>`, in `root`.
pub fn reinit(root: &Path, state: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Output {
    coda_rs()
        .current_dir(root)
        .arg("reinit")
        .args(args)
        .arg("--state")
        .arg(state)
        .output()
        .unwrap()
}

/// `reinit init` in `root` with the lists `volume_list`/`VRList`, the
/// dumps in `dumps`, and `extra`.
pub fn reinit_init_from(
    root: &Path,
    volume_list: &str,
    state: &str,
    dumps: &str,
    extra: &[&str],
) -> Output {
    let mut args = vec![
        "init",
        "--volume-list",
        volume_list,
        "--vrlist",
        "VRList",
        "--dump-dir",
        dumps,
    ];
    args.extend_from_slice(extra);
    reinit(root, state, &args)
}

/// [`reinit_init_from`] with the VolumeList `VolumeList`.
pub fn reinit_init_lists(root: &Path, state: &str, dumps: &str, extra: &[&str]) -> Output {
    reinit_init_from(root, "VolumeList", state, dumps, extra)
}

/// The RVM locations and sizes of a made-up server (so that no RVM log is
/// read): `LOG` of 1M, `DATA` of 4M.
pub const RVM_FLAGS: [&str; 8] = [
    "--rvm-log",
    "LOG",
    "--rvm-log-size",
    "1M",
    "--rvm-data",
    "DATA",
    "--rvm-data-size",
    "4M",
];

/// [`reinit_init_lists`] with [`RVM_FLAGS`].
pub fn reinit_init_in(root: &Path, state: &str, dumps: &str, extra: &[&str]) -> Output {
    reinit_init_lists(root, state, dumps, &[&RVM_FLAGS[..], extra].concat())
}

/// [`reinit_init_in`] with the dumps in `dumps`.
pub fn reinit_init(root: &Path, state: &str, extra: &[&str]) -> Output {
    reinit_init_in(root, state, "dumps", extra)
}

/// Every step of the runbook in `state` as `(id, kind, command line)`,
/// from `reinit status --json`.
pub fn steps(state: &Path) -> Vec<(String, String, String)> {
    let out = reinit(Path::new("/"), state, &["status", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| {
            let field = |k: &str| st[k].as_str().unwrap().to_string();
            (field("id"), field("kind"), field("command"))
        })
        .collect()
}

/// Writes the lists of `vols` as `root/VolumeList` and `root/VRList`.
pub fn write_lists(root: &Path, vols: &[Vol]) {
    let (vl, vr) = lists(vols);
    std::fs::write(root.join("VolumeList"), vl).unwrap();
    std::fs::write(root.join("VRList"), vr).unwrap();
}

/// Asserts a one-line error on stderr that starts with `prefix`, names
/// what was expected and holds no raw control character.
pub fn assert_one_line_error(out: &Output, prefix: &str) {
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(prefix),
        "expected `{prefix}...`, got {err:?}"
    );
    assert!(err.contains("(expected "), "{err}");
    assert!(
        !err.trim_end_matches('\n')
            .contains(|c: char| c.is_control()),
        "raw control character in {err:?}"
    );
}
