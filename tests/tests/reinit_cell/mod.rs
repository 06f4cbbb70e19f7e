//! `reinit init` for a whole cell (issue 14): a two-server BigVolumeList
//! gives one runbook whose every step names its host; each replicated
//! volume is recreated on each replica's server, restored once from the
//! replica dump with the latest backup date (ties: the first replica in
//! the VRList) and the other replicas' dumps compared with it; the root
//! volume comes first and `coda_root.tmp` is created and mounted.
//!
//! Every expected command line below is written out by hand from the
//! lists (spec §15.2-§15.4, the manual's chapter 13 and `pioctl.md` §6.3).

use std::path::Path;

use coda_rs_tests::{read_golden, tree_state};
use serde_json::Value;

use crate::plan_support::{coda_rs, reinit, reinit_init_from, scratch, RVM_FLAGS};

/// srv1 lists proj first (the root is not first in the lists), users on
/// a second partition, a backup clone and a non-replicated volume.
pub(crate) const BIG_VOLUME_LIST: &str = "\
P/vicepa Hsrv1 T5adf280 F4b8959c
P/vicepb Hsrv1 T5adf280 F4b8959c
Wproj.0 I1000002 H1 P/vicepa m0 M0 U10 W1000002 C6b07c902 D6b07c902 B6b07c9a0 A0
Wusers.0 I1000003 H1 P/vicepb m0 M0 U10 W1000003 C6b07c902 D6b07c902 B6b07c950 A0
Bproj.0.backup I1000004 H1 P/vicepa m0 M0 U10 W1000002 C6b07c902 D6b07c902 B0 A0
Wcoda_root.0 I1000001 H1 P/vicepa m0 M0 U2 W1000001 C6b07c902 D6b07c902 B6b07c903 A0
Nscratch I1000005 H1 P/vicepa m0 M0 U2 W1000005 C6b07c902 D6b07c902 B0 A0
P/vicepa Hsrv2 T5adf280 F4b8959c
Wcoda_root.1 I2000001 H2 P/vicepa m0 M0 U2 W2000001 C6b07c902 D6b07c902 B6b07c903 A0
Wproj.1 I2000002 H2 P/vicepa m0 M0 U10 W2000002 C6b07c902 D6b07c902 B6b07c903 A0
Wusers.1 I2000003 H2 P/vicepa m0 M0 U10 W2000003 C6b07c902 D6b07c902 B6b07c950 A0
";

/// proj and users list srv2's replica first: proj.0 (srv1) still wins by
/// its later backup date, users is a tie that srv2's replica wins.
pub(crate) const VRLIST: &str = "\
coda_root 7f000001 2 01000001 02000001 0 0 0 0 0 0
proj 7f000002 2 02000002 01000002 0 0 0 0 0 0
users 7f000003 2 02000003 01000003 0 0 0 0 0 0
";

struct Cell {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
}

impl Cell {
    fn new(list: &str, vrlist: &str) -> Cell {
        let dir = scratch();
        let root = dir.path().to_path_buf();
        std::fs::write(root.join("BigVolumeList"), list).unwrap();
        std::fs::write(root.join("VRList"), vrlist).unwrap();
        // The root's chosen dump is there (golden, no mount link `tmp`).
        std::fs::create_dir_all(root.join("dumps/srv1")).unwrap();
        std::fs::write(
            root.join("dumps/srv1/7f000001.01000001"),
            read_golden("dump", "native-full.dump"),
        )
        .unwrap();
        Cell { _dir: dir, root }
    }

    fn init(&self, state: &str, extra: &[&str]) -> std::process::Output {
        self.init_into(state, "inited", extra)
    }

    fn init_into(&self, state: &str, inited: &str, extra: &[&str]) -> std::process::Output {
        let dirs = [
            "--inited-dir",
            inited,
            "--coda-dir",
            "coda",
            "--client",
            "cl1",
        ];
        let args = [&RVM_FLAGS[..], &dirs[..], extra].concat();
        reinit_init_from(&self.root, "BigVolumeList", state, "dumps", &args)
    }

    fn status(&self, state: &str) -> Value {
        let out = reinit(&self.root, self.root.join(state), &["status", "--json"]);
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Every step as (id, host, command).
    fn steps(&self, state: &str) -> Vec<(String, String, String)> {
        self.status(state)["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let host = s["host"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a step without a host: {s}"));
                (
                    s["id"].as_str().unwrap().to_string(),
                    host.to_string(),
                    s["command"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

/// Position of the one step running `command` on `host`.
fn position(steps: &[(String, String, String)], host: &str, command: &str) -> usize {
    let found: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, (_, h, c))| h == host && c == command)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "`{command}` on {host}: {found:?} in {steps:#?}"
    );
    found[0]
}

#[test]
fn a_two_server_list_gives_one_cell_runbook() {
    let cell = Cell::new(BIG_VOLUME_LIST, VRLIST);
    let out = cell.init("state", &[]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("runbook for the cell (srv1, srv2) in "),
        "{text}"
    );
    let steps = cell.steps("state");
    let r = cell.root.display().to_string();
    let at = |host: &str, command: &str| position(&steps, host, command);

    // 13.1: each replica dumped on its own server, checked on the client.
    for (host, group, id) in [
        ("srv1", "7f000001", "1000001"),
        ("srv2", "7f000001", "2000001"),
        ("srv1", "7f000002", "1000002"),
        ("srv2", "7f000002", "2000002"),
        ("srv1", "7f000003", "1000003"),
        ("srv2", "7f000003", "2000003"),
    ] {
        let dump = format!("{r}/dumps/{host}/{group}.0{id}");
        at(host, &format!("volutil dump {id} {dump}"));
        at("cl1", &format!("coda-rs dump verify {dump}"));
    }
    // 13.2 on each server.
    for host in ["srv1", "srv2"] {
        at(host, "volutil shutdown");
        at(
            host,
            &format!("coda-rs rvm init --log {r}/LOG --log-size 1M --data {r}/DATA --data-size 4M"),
        );
        at(host, "startserver");
    }
    // 13.3: every create_rep line once, on its replica's server; the root's
    // first, then coda_root.tmp (on the first server), then the others.
    let root_reps = [
        at(
            "srv1",
            "volutil create_rep /vicepa coda_root.0 7f000001 1000001",
        ),
        at(
            "srv2",
            "volutil create_rep /vicepa coda_root.1 7f000001 2000001",
        ),
    ];
    let tmp = at(
        "srv1",
        "createvol_rep coda_root.tmp srv1/vicepa srv2/vicepa",
    );
    let other_reps = [
        at("srv2", "volutil create_rep /vicepa proj.1 7f000002 2000002"),
        at("srv1", "volutil create_rep /vicepa proj.0 7f000002 1000002"),
        at(
            "srv2",
            "volutil create_rep /vicepa users.1 7f000003 2000003",
        ),
        at(
            "srv1",
            "volutil create_rep /vicepb users.0 7f000003 1000003",
        ),
    ];
    let creates = steps
        .iter()
        .filter(|(_, _, c)| c.starts_with("volutil create_rep "))
        .count();
    assert_eq!(creates, 6, "{steps:#?}");
    let bldvldb = at("srv1", "bldvldb.sh");
    for o in other_reps {
        assert!(root_reps.iter().all(|&r| r < o) && tmp < o, "{steps:#?}");
        assert!(o < bldvldb);
    }

    // 13.4: the root straight into the cell's root, then its tmp mount;
    // 13.6: one restore per replicated volume, from the chosen replica,
    // straight into its mount.
    let root_restore = at(
        "cl1",
        &format!("coda-rs dump restore {r}/dumps/srv1/7f000001.01000001 --into {r}/coda"),
    );
    at(
        "cl1",
        &format!("coda-rs dump verify {r}/dumps/srv1/7f000001.01000001 --against {r}/coda"),
    );
    at(
        "cl1",
        &format!("coda-rs dump verify {r}/dumps/srv2/7f000001.02000001 --against {r}/coda"),
    );
    let mount_tmp = at(
        "cl1",
        &format!("coda-rs cfs mkmount {r}/coda/tmp coda_root.tmp"),
    );
    // proj: srv1's replica has the later backup date; users: a tie, won
    // by the first replica in the VRList (srv2's).
    let proj = at(
        "cl1",
        &format!("coda-rs dump restore {r}/dumps/srv1/7f000002.01000002 --into {r}/inited/proj"),
    );
    let users = at(
        "cl1",
        &format!("coda-rs dump restore {r}/dumps/srv2/7f000003.02000003 --into {r}/inited/users"),
    );
    at(
        "cl1",
        &format!("coda-rs dump verify {r}/dumps/srv2/7f000002.02000002 --against {r}/inited/proj"),
    );
    at(
        "cl1",
        &format!("coda-rs dump verify {r}/dumps/srv1/7f000003.01000003 --against {r}/inited/users"),
    );
    assert!(bldvldb < root_restore && root_restore < mount_tmp);
    assert!(mount_tmp < proj && mount_tmp < users);
    let restores = steps
        .iter()
        .filter(|(_, _, c)| c.contains(" dump restore "))
        .count();
    assert_eq!(restores, 3, "{steps:#?}");
    // 13.5-13.7 once per replicated volume, by its replicated name.
    for v in ["proj", "users"] {
        at("cl1", &format!("coda-rs cfs mkmount {r}/inited/{v} {v}"));
        at("cl1", &format!("coda-rs cfs rmmount {r}/inited/{v}"));
    }
    at(
        "cl1",
        &format!("coda-rs dump verify {r}/dumps/srv1/7f000002.01000002 --against {r}/inited/proj"),
    );
    at("cl1", "coda-rs cfs flushcache --yes");
    at("cl1", &format!("rmdir {r}/inited"));
    assert!(
        !steps.iter().any(|(_, _, c)| c.contains(" copy ")),
        "{steps:#?}"
    );
    // No replica name is mounted, backup clones and the non-replicated
    // volume are left out and reported.
    assert!(!steps.iter().any(|(_, _, c)| (c.contains(" mkmount ")
        && (c.ends_with(".0") || c.ends_with(".1")))
        || c.contains(".backup")
        || c.contains("scratch")));
    let status = cell.status("state");
    let not: Vec<&str> = status["not_recreated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(not.len(), 2, "{not:?}");
    assert!(not[0].starts_with("proj.0.backup (1000004): "), "{not:?}");
    assert!(not[1].starts_with("scratch (1000005): "), "{not:?}");
}

/// (name, done, total) of `status[key]`.
fn groups(status: &Value, key: &str) -> Vec<(String, u64, u64)> {
    status[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_string(),
                g["done"].as_u64().unwrap(),
                g["total"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn status_shows_progress_per_server_and_per_volume() {
    let cell = Cell::new(BIG_VOLUME_LIST, VRLIST);
    assert!(cell.init("state", &[]).status.success());
    let state = cell.root.join("state");
    // 13.1.1 (client), 13.1.2 (srv1's dump of coda_root.0), 13.1.3 (its
    // check, on the client).
    let out = reinit(&cell.root, &state, &["done", "13.1.1", "13.1.2", "13.1.3"]);
    assert!(out.status.success(), "{out:?}");
    let status = cell.status("state");
    // Hosts in the order of their first step. srv1: three dumps, RVM (3),
    // four create_reps (coda_root.0, coda_root.tmp, proj.0, users.0) and
    // bldvldb.sh = 11; srv2: three dumps, RVM, three create_reps = 9.
    let hosts = groups(&status, "hosts");
    let total: u64 = hosts.iter().map(|h| h.2).sum();
    assert_eq!(total, status["total"].as_u64().unwrap());
    assert_eq!(hosts[0].0, "cl1");
    assert_eq!(hosts[0].1, 2);
    assert_eq!(&hosts[1..], [("srv1".into(), 1, 11), ("srv2".into(), 0, 9)]);
    // Volumes: coda_root: 4 dump steps, 2 create_reps, restore, verify,
    // compare = 9; coda_root.tmp: createvol_rep and its mount = 2; proj
    // and users: 4 dump steps, 2 create_reps, mount, restore, compare,
    // verify, unmount = 11.
    let volumes = groups(&status, "volumes");
    assert_eq!(
        volumes,
        [
            ("coda_root".into(), 2, 9),
            ("proj".into(), 0, 11),
            ("users".into(), 0, 11),
            ("coda_root.tmp".into(), 0, 2),
        ]
    );
    assert_eq!(status["hosts"][1]["next"], "13.1.4");
    let out = reinit(&cell.root, &state, &["status"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\nby host:\n"), "{text}");
    // srv2's first step comes after srv1's three dumps and their checks.
    assert!(
        text.contains("\n  srv2  0 of 9 done; next: 13.1.8\n"),
        "{text}"
    );
    assert!(text.contains("\nby volume:\n"), "{text}");
}

#[test]
fn the_root_volume_comes_from_the_flag_or_the_vice_db() {
    let cell = Cell::new(BIG_VOLUME_LIST, VRLIST);
    let vice = cell.root.join("vice");
    std::fs::create_dir_all(vice.join("db")).unwrap();
    std::fs::write(vice.join("db/ROOTVOLUME"), "users\n").unwrap();
    let vice_arg = vice.display().to_string();
    let r = cell.root.display().to_string();
    // (state, flags, root, its replicas' servers in VRList order)
    for (state, extra, root, servers) in [
        (
            "s1",
            vec!["--vice", vice_arg.as_str()],
            "users",
            "srv2/vicepa srv1/vicepb",
        ),
        (
            "s2",
            vec!["--vice", vice_arg.as_str(), "--root-volume", "proj"],
            "proj",
            "srv2/vicepa srv1/vicepa",
        ),
        (
            "s3",
            vec!["--root-volume", "proj"],
            "proj",
            "srv2/vicepa srv1/vicepa",
        ),
    ] {
        let out = cell.init(state, &extra);
        assert!(out.status.success(), "{out:?}");
        let steps = cell.steps(state);
        let first_create = steps
            .iter()
            .find(|(_, _, c)| c.contains("create_rep"))
            .unwrap();
        assert!(
            first_create.2.contains(&format!(" {root}.")),
            "{root}: {first_create:?}"
        );
        let first_restore = steps
            .iter()
            .find(|(_, _, c)| c.contains(" dump restore "))
            .unwrap();
        assert!(
            first_restore.2.ends_with(&format!("--into {r}/coda")),
            "{first_restore:?}"
        );
        position(
            &steps,
            "srv1",
            &format!("createvol_rep {root}.tmp {servers}"),
        );
        position(
            &steps,
            "cl1",
            &format!("coda-rs cfs mkmount {r}/coda/tmp {root}.tmp"),
        );
        // The root is restored only into the cell's root.
        assert!(!steps
            .iter()
            .any(|(_, _, c)| c.contains(&format!("--into {r}/inited/{root}"))));
    }
    // A root name that cannot be a volume name: nothing is written.
    for bad in ["../x", "a b", "-x", ""] {
        let out = cell.init("bad", &[&format!("--root-volume={bad}")]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("coda-rs: --root-volume: "), "{err}");
        assert!(!cell.root.join("bad").exists());
    }
    std::fs::write(vice.join("db/ROOTVOLUME"), "bad/name\n").unwrap();
    let out = cell.init("bad", &["--vice", &vice_arg]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(!cell.root.join("bad").exists());
}

#[test]
fn a_listed_tmp_volume_is_recreated_not_created() {
    let list = format!(
        "{BIG_VOLUME_LIST}Wcoda_root.tmp.0 I2000009 H2 P/vicepa m0 M0 U2 W2000009 C6b07c902 D6b07c902 B6b07c903 A0\n"
    );
    let vrlist = format!("{VRLIST}coda_root.tmp 7f000009 1 02000009 0 0 0 0 0 0 0\n");
    let cell = Cell::new(&list, &vrlist);
    assert!(cell.init("state", &[]).status.success());
    let steps = cell.steps("state");
    assert!(
        !steps.iter().any(|(_, _, c)| c.starts_with("createvol_rep")),
        "{steps:#?}"
    );
    let creates: Vec<&str> = steps
        .iter()
        .filter(|(_, _, c)| c.contains("create_rep"))
        .map(|(_, _, c)| c.as_str())
        .collect();
    assert_eq!(
        creates[..3],
        [
            "volutil create_rep /vicepa coda_root.0 7f000001 1000001",
            "volutil create_rep /vicepa coda_root.1 7f000001 2000001",
            "volutil create_rep /vicepa coda_root.tmp.0 7f000009 2000009",
        ]
    );
}

#[test]
fn bad_host_arguments_are_usage_errors() {
    let cell = Cell::new(BIG_VOLUME_LIST, VRLIST);
    for (flag, bad) in [("--client", "a b"), ("--scm", "x;y"), ("--client", "")] {
        let out = cell.init("bad", &[flag, bad]);
        assert_eq!(out.status.code(), Some(2), "{flag} {bad:?}: {out:?}");
        assert!(!cell.root.join("bad").exists());
    }
    let out = cell.init("state", &["--scm", "srv2"]);
    assert!(out.status.success(), "{out:?}");
    let steps = cell.steps("state");
    position(&steps, "srv2", "bldvldb.sh");
}

#[test]
fn staging_gives_the_same_tree_as_restoring_straight_into_the_volume() {
    let cell = Cell::new(BIG_VOLUME_LIST, VRLIST);
    let r = cell.root.display().to_string();
    // proj's chosen dump (srv1's) and the other replica's, identical.
    for host in ["srv1", "srv2"] {
        let id = if host == "srv1" {
            "01000002"
        } else {
            "02000002"
        };
        std::fs::create_dir_all(cell.root.join("dumps").join(host)).unwrap();
        std::fs::write(
            cell.root.join(format!("dumps/{host}/7f000002.{id}")),
            read_golden("dump", "server-a-full.dump"),
        )
        .unwrap();
    }
    assert!(cell.init_into("direct", "inited", &[]).status.success());
    let out = cell.init_into("staged", "inited2", &["--staging", "stage"]);
    assert!(out.status.success(), "{out:?}");
    let staged = cell.steps("staged");
    let at = |command: &str| position(&staged, "cl1", command);
    // The two-step path: restore into the staging directory, compare the
    // other replica there, copy, verify in the volume, remove both.
    let restore = at(&format!(
        "coda-rs dump restore {r}/dumps/srv1/7f000002.01000002 --into {r}/stage/proj"
    ));
    at(&format!(
        "coda-rs dump verify {r}/dumps/srv2/7f000002.02000002 --against {r}/stage/proj"
    ));
    let copy = at(&format!(
        "coda-rs copy --resume {r}/stage/proj {r}/inited2/proj"
    ));
    let verify = at(&format!(
        "coda-rs dump verify {r}/dumps/srv1/7f000002.01000002 --against {r}/inited2/proj"
    ));
    at(&format!("rm -rf {r}/stage && rmdir {r}/inited2"));
    assert!(restore < copy && copy < verify);
    // Carry out proj's restore, compare, copy and verify steps of both
    // runbooks into plain directories (no venus here; the paths hold no
    // character that needs quoting).
    for state in ["direct", "staged"] {
        for (_, _, command) in cell.steps(state) {
            let words: Vec<&str> = command.split(' ').collect();
            // The mount directory, and a plain directory where venus would
            // make the mount point of the new, empty volume.
            if words.starts_with(&["mkdir", "-p"]) {
                std::fs::create_dir_all(words[2]).unwrap();
            }
            if command.starts_with("coda-rs cfs mkmount ") && words[4] == "proj" {
                std::fs::create_dir(words[3]).unwrap();
            }
            let ours = command.contains("/proj")
                && (command.starts_with("coda-rs dump restore ")
                    || command.starts_with("coda-rs dump verify ")
                    || command.starts_with("coda-rs copy "));
            if !ours {
                continue;
            }
            let out = coda_rs()
                .current_dir(&cell.root)
                .args(&words[1..])
                .output()
                .unwrap();
            assert!(out.status.success(), "{command}: {out:?}");
        }
    }
    let state = |dir: &str| volume_tree(&cell.root.join(dir));
    let direct = state("inited/proj");
    assert!(direct.len() > 80, "{direct:?}");
    assert_eq!(state("inited2/proj"), direct);
}

/// What a restored volume's tree holds ([`tree_state`]), the mtime of the
/// ACL file restore writes itself (stamped when written) aside.
pub(crate) fn volume_tree(dir: &Path) -> std::collections::BTreeMap<std::path::PathBuf, String> {
    let mut m = tree_state(dir, &[]);
    let own = "..CodaACLs.yaml";
    let v = m.get_mut(Path::new(own)).unwrap_or_else(|| panic!("{own}"));
    let words: Vec<&str> = v.split(' ').collect();
    let i = words.iter().position(|w| *w == "mtime").unwrap();
    *v = [&words[..i], &words[i + 2..]].concat().join(" ");
    m
}

#[test]
fn a_one_server_runbook_puts_the_root_volume_first_too() {
    let cell = Cell::new(BIG_VOLUME_LIST, VRLIST);
    let r = cell.root.display().to_string();
    // srv1 lists proj.0 and users.0 before coda_root.0.
    for (state, extra, root) in [
        ("s1", vec!["--server", "srv1"], "coda_root.0"),
        (
            "s2",
            vec!["--server", "srv1", "--root-volume", "users"],
            "users.0",
        ),
    ] {
        let out = cell.init(state, &extra);
        assert!(out.status.success(), "{out:?}");
        let steps = cell.steps(state);
        let first = |prefix: &str| {
            steps
                .iter()
                .find(|(_, _, c)| c.starts_with(prefix))
                .unwrap_or_else(|| panic!("{prefix}: {steps:#?}"))
                .2
                .clone()
        };
        let (part, group, id) = match root {
            "coda_root.0" => ("/vicepa", "7f000001", "1000001"),
            _ => ("/vicepb", "7f000003", "1000003"),
        };
        assert_eq!(
            first("volutil create_rep "),
            format!("volutil create_rep {part} {root} {group} {id}")
        );
        assert_eq!(
            first("coda-rs dump restore "),
            format!("coda-rs dump restore {r}/dumps/{group}.0{id} --into {r}/inited/{root}")
        );
        assert_eq!(
            first("coda-rs cfs mkmount "),
            format!("coda-rs cfs mkmount {r}/inited/{root} {root}")
        );
        // The others keep the order of the list.
        let creates: Vec<&str> = steps
            .iter()
            .filter(|(_, _, c)| c.starts_with("volutil create_rep "))
            .map(|(_, _, c)| c.as_str())
            .collect();
        assert_eq!(creates.len(), 3, "{creates:?}");
        let proj = creates.iter().position(|c| c.contains(" proj.0 ")).unwrap();
        if root == "coda_root.0" {
            assert_eq!(proj, 1, "{creates:?}");
        } else {
            assert_eq!(
                creates[1],
                "volutil create_rep /vicepa proj.0 7f000002 1000002"
            );
            assert_eq!(
                creates[2],
                "volutil create_rep /vicepa coda_root.0 7f000001 1000001"
            );
        }
    }
}
