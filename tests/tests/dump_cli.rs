//! `coda-rs dump ls | verify | merge` on the golden dumps, checked against
//! the real tools' output (`*.readdump.txt`, `codamergedump` results).

use coda_rs_tests::{coda_rs, golden, read_golden, scratch};
use serde_json::Value;

const DUMPS: &[&str] = &[
    "harness-a-full",
    "harness-b-full",
    "harness-badinode",
    "merged-a+b",
    "native-full",
    "native-incr",
    "native-merged",
    "server-a-full",
    "server-b-full",
    "server-b-incr-smallonly",
    "server-b-incr",
    "server-badinode-redump",
];

fn ls_json(name: &str) -> Value {
    let out = coda_rs()
        .args(["dump", "ls", "--json"])
        .arg(golden("dump", &format!("{name}.dump")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What `codareaddump` printed about one index entry.
#[derive(Debug, Default, PartialEq)]
struct Listed {
    offset: u64,
    vnode: u64,
    deleted: bool,
    fields: Vec<(String, String)>,
}

/// The facts of a `*.readdump.txt`: header/volume lines and, per index,
/// the listed vnodes.
struct Readdump {
    lines: Vec<(String, String)>,
    indexes: Vec<(u64, u64, Vec<Listed>)>,
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s, 16).unwrap()
}

fn parse_readdump(text: &str) -> Readdump {
    let mut rd = Readdump {
        lines: Vec::new(),
        indexes: Vec::new(),
    };
    let mut current: Option<Listed> = None;
    let flush = |rd: &mut Readdump, cur: &mut Option<Listed>| {
        if let Some(l) = cur.take() {
            rd.indexes.last_mut().unwrap().2.push(l);
        }
    };
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("There are ") {
            flush(&mut rd, &mut current);
            let w: Vec<&str> = rest.split_whitespace().collect();
            rd.indexes
                .push((w[0].parse().unwrap(), w[3].parse().unwrap(), Vec::new()));
        } else if let Some(rest) = t.strip_prefix("Vnode ") {
            flush(&mut rd, &mut current);
            let w: Vec<&str> = rest.split_whitespace().collect();
            current = Some(Listed {
                vnode: hex(w[0]),
                offset: w[w.iter().position(|x| *x == "offset").unwrap() + 1]
                    .parse()
                    .unwrap(),
                deleted: t.ends_with("was deleted."),
                fields: Vec::new(),
            });
        } else if t.starts_with("dump>") {
            flush(&mut rd, &mut current);
        } else if let Some(l) = current.as_mut() {
            if let Some((k, v)) = t.split_once(" = ") {
                l.fields.push((k.to_string(), v.to_string()));
            } else if t.starts_with("{[") {
                l.fields.push(("vv".into(), t.to_string()));
            }
        } else if let Some((k, v)) = t.split_once(" = ") {
            rd.lines.push((k.to_string(), v.to_string()));
        } else {
            rd.lines.push((t.to_string(), String::new()));
        }
    }
    rd
}

fn vv_text(vv: &Value) -> String {
    let sites: Vec<String> = vv["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    format!(
        "{{[ {} ] [ {:x}.{:x} ] [ {} ]",
        sites.join(" "),
        vv["store_host_id"].as_u64().unwrap(),
        vv["store_uniquifier"].as_u64().unwrap(),
        vv["flags"]
    )
}

#[test]
fn ls_json_agrees_with_codareaddump() {
    for name in DUMPS {
        let j = ls_json(name);
        let rd = parse_readdump(
            &String::from_utf8(read_golden("dump", &format!("{name}.readdump.txt"))).unwrap(),
        );
        let h = &j["header"];
        let v = &j["volume"];
        let kind = if h["incremental"] == 0 {
            "Full"
        } else {
            "Incremental"
        };
        let line = |k: &str| {
            rd.lines
                .iter()
                .find(|(key, _)| key == k)
                .unwrap_or_else(|| panic!("{name}: no `{k}` line"))
                .1
                .clone()
        };
        assert_eq!(
            line(&format!("{kind} Dump Version")),
            h["version"].to_string(),
            "{name}"
        );
        assert_eq!(
            line("VolId"),
            format!(
                "{:08x}, name = {}",
                h["volume_id"].as_u64().unwrap(),
                h["volume_name"].as_str().unwrap()
            ),
            "{name}"
        );
        assert!(
            line("Parent").starts_with(&format!("{:08x},", h["parent_id"].as_u64().unwrap())),
            "{name}"
        );
        let stamps = rd
            .lines
            .iter()
            .find(|(k, _)| k.starts_with("Ordering references"))
            .unwrap();
        assert_eq!(
            stamps.0,
            format!(
                "Ordering references: Oldest {}, Latest {}",
                h["oldest"], h["latest"]
            ),
            "{name}"
        );
        assert_eq!(
            line("id"),
            format!("{:08x}", v["volume_id"].as_u64().unwrap()),
            "{name}"
        );
        // The hex twins are codareaddump's text of the same ids.
        assert_eq!(
            v["volume_id_hex"].as_str(),
            Some(line("id").as_str()),
            "{name}"
        );
        assert_eq!(
            h["volume_id_hex"].as_str(),
            line("VolId").split(',').next(),
            "{name}"
        );
        assert_eq!(
            h["parent_id_hex"].as_str(),
            line("Parent").split(',').next(),
            "{name}"
        );
        for (rk, jk) in [
            ("partition", "partition"),
            ("name", "name"),
            ("inService", "in_service"),
            ("maxquota", "max_quota"),
            ("minquota", "min_quota"),
            ("maxfiles", "max_files"),
            ("acctNum", "account_number"),
            ("owner", "owner"),
            ("filecount", "file_count"),
            ("linkcount", "link_count"),
            ("diskused", "disk_used"),
            ("dayUse", "day_use"),
            ("dayUseDate", "day_use_date"),
            ("creationDate", "creation_date"),
            ("accessDate", "access_date"),
            ("updateDate", "update_date"),
            ("expirationDate", "expiration_date"),
            ("backupDate", "backup_date"),
        ] {
            let want = match &v[jk] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            // The volume-data `name` line comes after the header's `VolId
            // ..., name` line, which uses another separator.
            let got = rd
                .lines
                .iter()
                .rev()
                .find(|(k, _)| k == rk)
                .unwrap()
                .1
                .clone();
            assert_eq!(got, want, "{name}: {rk}");
        }

        let indexes = j["indexes"].as_array().unwrap();
        assert_eq!(indexes.len(), 2, "{name}");
        assert_eq!(rd.indexes.len(), 2, "{name}");
        for (ji, (count, slots, listed)) in indexes.iter().zip(&rd.indexes) {
            assert_eq!(ji["vnode_count"].as_u64().unwrap(), *count, "{name}");
            assert_eq!(ji["slots"].as_u64().unwrap(), *slots, "{name}");
            let ours: Vec<&Value> = ji["entries"].as_array().unwrap().iter().collect();
            // codareaddump stops at D_BADINODE (spec §9.2); everywhere else
            // it lists every record.
            if *name == "harness-badinode" {
                assert!(listed.len() <= ours.len(), "{name}");
            } else {
                assert_eq!(listed.len(), ours.len(), "{name}");
            }
            for (l, e) in listed.iter().zip(ours) {
                assert_eq!(e["offset"].as_u64().unwrap(), l.offset, "{name}");
                assert_eq!(e["vnode"].as_u64().unwrap(), l.vnode, "{name}");
                assert_eq!(e["record"] == "removed", l.deleted, "{name} @{}", l.offset);
                if l.deleted {
                    continue;
                }
                let f = |k: &str| l.fields.iter().find(|(key, _)| key == k).unwrap().1.clone();
                assert_eq!(
                    f("type"),
                    e["vnode_type"].to_string(),
                    "{name} @{}",
                    l.offset
                );
                assert_eq!(
                    f("mode"),
                    e["mode"].as_str().unwrap(),
                    "{name} @{}",
                    l.offset
                );
                assert_eq!(f("links"), e["links"].to_string(), "{name} @{}", l.offset);
                assert_eq!(f("length"), e["length"].to_string(), "{name} @{}", l.offset);
                assert_eq!(
                    hex(&f("unique")),
                    e["unique"].as_u64().unwrap(),
                    "{name} @{}",
                    l.offset
                );
                assert_eq!(
                    f("version"),
                    e["data_version"].to_string(),
                    "{name} @{}",
                    l.offset
                );
                assert_eq!(
                    f("vv"),
                    vv_text(&e["version_vector"]),
                    "{name} @{}",
                    l.offset
                );
                assert_eq!(f("modtime"), e["mtime"].to_string(), "{name} @{}", l.offset);
                assert_eq!(f("author"), e["author"].to_string(), "{name} @{}", l.offset);
                assert_eq!(f("owner"), e["owner"].to_string(), "{name} @{}", l.offset);
                assert_eq!(
                    f("parent"),
                    format!(
                        "{:08x}.{:08x}",
                        e["parent_vnode"].as_u64().unwrap(),
                        e["parent_unique"].as_u64().unwrap()
                    ),
                    "{name} @{}",
                    l.offset
                );
            }
        }
    }
}

#[test]
fn ls_reads_stdin_and_prints_every_record() {
    let out = coda_rs()
        .args(["dump", "ls", "-"])
        .write_stdin(read_golden("dump", "server-b-incr.dump"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("incremental (level 1)"), "{text}");
    assert!(text.contains("6991  5.3 removed"), "{text}");
    assert!(text.contains("end of dump at 8246"), "{text}");
}

#[test]
fn verify_accepts_every_golden_dump_and_restore_checks_refuse_incrementals() {
    for name in DUMPS {
        let path = golden("dump", &format!("{name}.dump"));
        coda_rs()
            .args(["dump", "verify"])
            .arg(&path)
            .assert()
            .success();
        let incremental = name.contains("incr");
        let out = coda_rs()
            .args(["dump", "verify", "--restore-checks", "--json"])
            .arg(&path)
            .output()
            .unwrap();
        let j: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            out.status.code(),
            Some(if incremental { 1 } else { 0 }),
            "{name}: {j}"
        );
        assert_eq!(j["ok"], !incremental, "{name}");
    }
}

#[test]
fn verify_of_a_truncated_dump_names_the_offset() {
    let bytes = read_golden("dump", "server-a-full.dump");
    let out = coda_rs()
        .args(["dump", "verify", "-"])
        .write_stdin(&bytes[..5000])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("coda-rs: -: byte offset 5000: "), "{err}");
    assert!(err.contains("stream ends early"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn merge_from_a_pipe_equals_real_codamergedump() {
    let dir = scratch();
    for (full, incr, want) in [
        (
            "server-a-full.dump",
            "server-b-incr.dump",
            "merged-a+b.dump",
        ),
        ("native-full.dump", "native-incr.dump", "native-merged.dump"),
    ] {
        let out = dir.path().join(want);
        coda_rs()
            .args(["dump", "merge"])
            .arg(&out)
            .arg("-")
            .arg(golden("dump", incr))
            .write_stdin(read_golden("dump", full))
            .assert()
            .success();
        assert!(
            std::fs::read(&out).unwrap() == read_golden("dump", want),
            "{want}"
        );
        // From files as well.
        let out2 = dir.path().join(format!("files-{want}"));
        coda_rs()
            .args(["dump", "merge"])
            .arg(&out2)
            .arg(golden("dump", full))
            .arg(golden("dump", incr))
            .assert()
            .success();
        assert!(
            std::fs::read(&out2).unwrap() == read_golden("dump", want),
            "{want}"
        );
    }
}

#[test]
fn merge_never_overwrites_and_leaves_nothing_on_failure() {
    let dir = scratch();
    let out = dir.path().join("exists.dump");
    std::fs::write(&out, b"precious").unwrap();
    coda_rs()
        .args(["dump", "merge"])
        .arg(&out)
        .arg(golden("dump", "native-full.dump"))
        .arg(golden("dump", "native-incr.dump"))
        .assert()
        .code(3);
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");

    // A chain that does not fit: exit 1, a clear reason, no OUT.
    let out = dir.path().join("bad.dump");
    let res = coda_rs()
        .args(["dump", "merge"])
        .arg(&out)
        .arg(golden("dump", "native-full.dump"))
        .arg(golden("dump", "server-b-incr.dump"))
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&res.stderr).contains("belongs to read-write volume"));
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temporary files left behind"
    );
}

fn sorted(mut v: Vec<Value>) -> Vec<Value> {
    v.sort_by_key(|e| (e["path"].as_str().unwrap().to_string(), e["vnode"].as_u64()));
    v
}

#[test]
fn ls_tree_agrees_with_the_state_manifests() {
    for (dump, manifest) in [
        ("harness-a-full", "state-a.manifest.json"),
        ("server-a-full", "state-a.manifest.json"),
        ("harness-b-full", "state-b.manifest.json"),
        ("server-b-full", "state-b.manifest.json"),
        ("merged-a+b", "state-b.manifest.json"),
    ] {
        let out = coda_rs()
            .args(["dump", "ls", "--json", "--tree"])
            .arg(golden("dump", &format!("{dump}.dump")))
            .output()
            .unwrap();
        assert!(out.status.success(), "{dump}");
        let j: Value = serde_json::from_slice(&out.stdout).unwrap();
        let ours = sorted(j["tree"].as_array().unwrap().clone());
        let want: Value = serde_json::from_slice(&read_golden("dump", manifest)).unwrap();
        let want = sorted(want.as_array().unwrap().clone());
        assert_eq!(ours.len(), want.len(), "{dump}");
        for (o, w) in ours.iter().zip(&want) {
            assert_eq!(o, w, "{dump}");
        }
    }
}

/// Spec §10: merging a `-i -N` incremental leaves the deleted directory
/// 5.3 in the large index, an orphan no directory refers to. (`merge`
/// refuses to write such a result unless `--force`: issue 15,
/// tests/merge_check.rs.)
#[test]
fn verify_reports_the_orphan_left_by_a_smallonly_merge() {
    let dir = scratch();
    let out = dir.path().join("m.dump");
    coda_rs()
        .args(["dump", "merge", "--force"])
        .arg(&out)
        .arg(golden("dump", "server-a-full.dump"))
        .arg(golden("dump", "server-b-incr-smallonly.dump"))
        .assert()
        .success();
    let res = coda_rs()
        .args(["dump", "verify"])
        .arg(&out)
        .output()
        .unwrap();
    // The orphan still lists the file deleted with it: a dangling entry.
    assert_eq!(res.status.code(), Some(1));
    let text = String::from_utf8(res.stdout).unwrap();
    assert!(
        text.contains("warning: vnode 0x5.0x3 is in no directory"),
        "{text}"
    );
    assert!(
        text.contains(
            "error: directory 0x5.0x3 has an entry for 0x10.0xc, which is not in the dump"
        ),
        "{text}"
    );
}

#[test]
fn verify_finds_damaged_directory_pages() {
    let mut bytes = read_golden("dump", "native-full.dump");
    // Page tag of the root's only page (spec §16: page bytes start at 474).
    bytes[474 + 3] ^= 0xff;
    let res = coda_rs()
        .args(["dump", "verify", "-"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(1));
    let text = String::from_utf8(res.stdout).unwrap();
    assert!(text.contains("directory 0x1.0x1"), "{text}");
}
