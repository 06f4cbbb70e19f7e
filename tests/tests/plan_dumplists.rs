//! `coda-rs plan dumplists`: packing respects the tape size, every volume
//! appears exactly once, replicas are counted, and the files parse back
//! (spec `dump-format.md` §15.1-§15.3, procedure 13.1).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::plan_support;

use plan_support::{coda_rs, plan, scratch};
use recovery_plan::dumplist::Dumplist;

/// A tiny deterministic generator (no dependence on our own code).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// What a test server farm holds, and what the plan must contain.
struct Farm {
    /// Per host: the VolumeList text.
    lists: Vec<(String, String)>,
    vrlist: String,
    /// Expected dumplist entries: id -> (name, bytes).
    expected: BTreeMap<u32, (String, u64)>,
}

fn volume_line(kind: char, name: &str, id: u32, used_kb: u64, parent: u32) -> String {
    format!("{kind}{name} I{id:x} H1 P/vicepa m0 M0 U{used_kb:x} W{parent:x} C6b07c902 D6b07c902 B0 A0\n")
}

fn farm(seed: u64, groups: u32, singles: u32, max_kb: u64) -> Farm {
    let hosts = ["alpha", "beta", "gamma"];
    let mut rng = Lcg(seed);
    let mut lines: Vec<String> = hosts
        .iter()
        .map(|h| format!("P/vicepa H{h} T5adf280 F4b8959c\n"))
        .collect();
    let mut vrlist = String::new();
    let mut expected = BTreeMap::new();
    let mut next_vol = [0x1000001u32, 0x2000001, 0x3000001];
    for g in 0..groups {
        let gid = 0x7f000000 + g;
        let name = format!("proj{g}");
        let n = 1 + rng.next(3) as usize;
        let first = rng.next(3) as usize;
        let mut ids = Vec::new();
        let mut total = 0;
        for r in 0..n {
            let h = (first + r) % 3;
            let id = next_vol[h];
            next_vol[h] += 2;
            let kb = rng.next(max_kb) + 1;
            total += kb * 1024;
            lines[h].push_str(&volume_line('W', &format!("{name}.{r}"), id, kb, id));
            // Every replica has a backup clone next to it.
            lines[h].push_str(&volume_line(
                'B',
                &format!("{name}.{r}.backup"),
                id + 1,
                kb,
                id,
            ));
            ids.push(id);
        }
        let mut slots: Vec<String> = ids.iter().map(|id| format!("{id:08x}")).collect();
        slots.resize(8, "0".to_string());
        vrlist.push_str(&format!("{name} {gid:x} {n} {}\n", slots.join(" ")));
        expected.insert(gid, (name, total));
    }
    for s in 0..singles {
        let h = rng.next(3) as usize;
        let id = 0x4000001 + 2 * s;
        let kb = rng.next(max_kb) + 1;
        let name = format!("local{s}");
        lines[h].push_str(&volume_line('N', &name, id, kb, id));
        expected.insert(id, (name, kb * 1024));
    }
    lines[1].push_str(&volume_line('B', "old.restored", 0x5000001, 77, 0x5000001));
    Farm {
        lists: hosts.iter().map(|h| h.to_string()).zip(lines).collect(),
        vrlist,
        expected,
    }
}

fn write_farm(dir: &Path, farm: &Farm) -> (Vec<PathBuf>, PathBuf, PathBuf) {
    let mut per_host = Vec::new();
    let mut big = String::new();
    for (host, text) in &farm.lists {
        let p = dir.join(format!("{host}.list"));
        std::fs::write(&p, text).unwrap();
        per_host.push(p);
        big.push_str(text);
    }
    let big_path = dir.join("BigVolumeList");
    std::fs::write(&big_path, big).unwrap();
    let vr = dir.join("VRList");
    std::fs::write(&vr, &farm.vrlist).unwrap();
    (per_host, big_path, vr)
}

/// Reads every dumplist in `dir` (sorted by name).
fn read_dumplists(dir: &Path) -> Vec<(String, Dumplist)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, Dumplist::read(&p).expect("dumplist parses back"))
        })
        .collect()
}

fn check_plan(farm: &Farm, out_dir: &Path, tape: u64, schedule: &str) -> usize {
    let lists = read_dumplists(out_dir);
    assert!(!lists.is_empty());
    let mut seen = BTreeSet::new();
    for (i, (name, list)) in lists.iter().enumerate() {
        assert_eq!(name, &format!("dumplist.{:02}", i + 1));
        let mut bytes = 0;
        for e in &list.entries {
            let (vol_name, size) = farm
                .expected
                .get(&e.volume_id)
                .unwrap_or_else(|| panic!("{name}: unexpected volume {:x}", e.volume_id));
            assert!(seen.insert(e.volume_id), "{:x} planned twice", e.volume_id);
            assert_eq!(&e.comment, vol_name);
            assert_eq!(e.schedule.as_str(), schedule);
            bytes += size;
        }
        assert!(bytes <= tape, "{name}: {bytes} bytes on a {tape}-byte tape");
    }
    let all: BTreeSet<u32> = farm.expected.keys().copied().collect();
    assert_eq!(seen, all, "every volume exactly once");
    lists.len()
}

#[test]
fn big_volume_list_packs_within_tape_size() {
    let dir = scratch();
    let f = farm(7, 40, 12, 900);
    let (_, big, vr) = write_farm(dir.path(), &f);
    let out_dir = dir.path().join("out");
    let tape = 3 << 20;
    let out = plan("dumplists", &big, &vr)
        .args(["--tape-size", "3M", "--schedule", "FIIIIII", "-o"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let tapes = check_plan(&f, &out_dir, tape, "FIIIIII");
    // The total needs at least this many tapes; first-fit decreasing on
    // these sizes stays close to it.
    let total: u64 = f.expected.values().map(|(_, b)| b).sum();
    assert!(tapes as u64 >= total.div_ceil(tape));
    assert!(
        tapes as u64 <= total.div_ceil(tape) * 3 / 2 + 1,
        "{tapes} tapes for {total} bytes"
    );
    // Summary: one row per tape plus header and total.
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), tapes + 2, "{stdout}");
    assert!(stdout.lines().next().unwrap().contains("fill"));
}

#[test]
fn per_server_lists_give_the_same_plan_as_big_volume_list() {
    let dir = scratch();
    let f = farm(11, 25, 5, 2000);
    let (per_host, big, vr) = write_farm(dir.path(), &f);
    let run = |lists: &[PathBuf], out: &Path| {
        let mut cmd = coda_rs();
        cmd.args(["plan", "dumplists"]);
        for l in lists {
            cmd.arg("--volume-list").arg(l);
        }
        let o = cmd
            .arg("--vrlist")
            .arg(&vr)
            .args(["--tape-size", "4.5M", "--schedule", "FIIIIII", "-o"])
            .arg(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
    };
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    run(&per_host, &a);
    run(std::slice::from_ref(&big), &b);
    check_plan(&f, &a, 4 * 1024 * 1024 + 512 * 1024, "FIIIIII");
    let la = read_dumplists(&a);
    let lb = read_dumplists(&b);
    assert_eq!(la, lb);
}

#[test]
fn replicas_are_counted_and_kept_together() {
    // Three replicas of 700 KiB each: 2100 KiB together. Each alone fits a
    // 2 MiB tape, the volume does not: an error that names it.
    let dir = scratch();
    let mut vl = String::from("P/vicepa Ha T1 F1\n");
    for (i, id) in [0x1000001u32, 0x2000001, 0x3000001].iter().enumerate() {
        vl.push_str(&volume_line('W', &format!("big.{i}"), *id, 700, *id));
    }
    vl.push_str(&volume_line('W', "small.0", 0x1000003, 100, 0x1000003));
    let vr = "big 7f000010 3 01000001 02000001 03000001 0 0 0 0 0\nsmall 7f000011 1 01000003 0 0 0 0 0 0 0\n";
    std::fs::write(dir.path().join("VolumeList"), &vl).unwrap();
    std::fs::write(dir.path().join("VRList"), vr).unwrap();
    let base = |tape: &str| {
        let mut c = plan("dumplists", "VolumeList", "VRList");
        c.current_dir(dir.path()).args(["--tape-size", tape]);
        c
    };
    let out = base("2M").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("volume big (7f000010)"), "{err}");
    assert!(err.contains("2150400 bytes"), "{err}");

    let out = base("2.1M").args(["--json"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tapes = doc["tapes"].as_array().unwrap();
    assert_eq!(tapes.len(), 2, "{doc}");
    let big = &tapes[0]["volumes"][0];
    assert_eq!(big["volume_id"], 0x7f00_0010);
    assert_eq!(big["volume_id_hex"], "7f000010");
    assert_eq!(big["bytes"], 3 * 700 * 1024);
    assert_eq!(big["counted"].as_array().unwrap().len(), 3);
    assert_eq!(tapes[1]["volumes"][0]["name"], "small");
}

#[test]
fn existing_dumplists_are_refused_without_force() {
    let dir = scratch();
    let f = farm(3, 4, 1, 100);
    let (_, big, vr) = write_farm(dir.path(), &f);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(out_dir.join("dumplist.07"), "precious\n").unwrap();
    let cmd = |force: bool| {
        let mut c = plan("dumplists", &big, &vr);
        c.args(["--tape-size", "1G", "-o"]).arg(&out_dir);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    let out = cmd(false);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(
        std::fs::read(out_dir.join("dumplist.07")).unwrap(),
        b"precious\n"
    );
    let out = cmd(true);
    assert!(out.status.success(), "{out:?}");
    assert!(!out_dir.join("dumplist.07").exists());
    assert_eq!(check_plan(&f, &out_dir, 1 << 30, "F"), 1);
}

#[test]
fn bad_arguments_are_usage_errors() {
    let dir = scratch();
    let f = farm(5, 2, 0, 10);
    let (_, big, vr) = write_farm(dir.path(), &f);
    for (size, schedule) in [("1.5X", "F"), ("0", "F"), ("1G", "FXI"), ("1G", "")] {
        let out = plan("dumplists", &big, &vr)
            .args(["--tape-size", size, "--schedule", schedule])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{size} {schedule}: {out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("coda-rs: "), "{err}");
    }
}
