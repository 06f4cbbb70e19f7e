//! One JSON schema style (issue 16; README "JSON output"): every reporting
//! command run with `--json` on golden inputs prints one document whose
//! keys are snake_case, whose hex ids are numbers with a `<key>_hex` twin
//! (and only those), whose `_utc` dates have their number, and which
//! spells each noun one way across commands. Values are checked against
//! the golden files and their README.

use std::collections::BTreeMap;
use std::path::Path;

use coda_rs_tests::{coda_rs, golden, read_golden, scratch};
use serde_json::Value;

/// Keys naming ids Coda prints in hex: each must be a number (or an array
/// of numbers) with its `_hex` twin.
const HEX_IDS: &[&str] = &[
    "volume_id",
    "parent_id",
    "group_id",
    "clone_id",
    "backup_id",
    "replica_volume_ids",
];

/// Spellings the schema does not use, with the one it uses instead.
const NOT_SPELLED: &[(&str, &str)] = &[
    ("dirs", "directories"),
    ("vid", "volume_id"),
    ("volid", "volume_id"),
    ("rec_num", "record_number"),
    ("range_num", "range_number"),
    ("rec_length", "record_length"),
    ("head", "log_head"),
    ("tail", "log_tail"),
    ("store_host", "store_host_id"),
    ("store_unique", "store_uniquifier"),
    ("struct_id", "(not shown: a constant)"),
    ("chk_sum", "checksum"),
    ("first_rec_num", "first_record_number"),
    ("next_rec_num", "truncation.next_record_number"),
    ("status_init", "created"),
    ("update_cnt", "update_count"),
];

/// One problem per line, naming the command and the key's path.
fn check_rules(cmd: &str, v: &Value, at: &str, problems: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let here = format!("{at}.{k}");
                let snake = !k.is_empty()
                    && k.starts_with(|c: char| c.is_ascii_lowercase())
                    && k.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && !k.contains("__")
                    && !k.ends_with('_');
                if !snake {
                    problems.push(format!("{cmd}: {here}: key is not snake_case"));
                }
                if let Some((_, instead)) = NOT_SPELLED.iter().find(|(bad, _)| bad == k) {
                    problems.push(format!("{cmd}: {here}: spelled {instead} elsewhere"));
                }
                // A step's `id` ("13.2.1") and a volume's name are text; a
                // bare number there would be an id without its noun.
                if (k == "volume" || k == "id") && x.is_number() {
                    problems.push(format!("{cmd}: {here}: a volume id is volume_id"));
                }
                if let Some(base) = k.strip_suffix("_hex") {
                    match m.get(base) {
                        Some(n) if hex_of(n).as_ref() == Some(x) => {}
                        Some(n) => problems.push(format!(
                            "{cmd}: {here}: {x} is not the 8-digit hex of {base} = {n}"
                        )),
                        None => problems.push(format!("{cmd}: {here}: no numeric twin {base}")),
                    }
                }
                if HEX_IDS.contains(&k.as_str()) {
                    if hex_of(x).is_none() {
                        problems.push(format!("{cmd}: {here}: an id must be a number, not {x}"));
                    }
                    if !m.contains_key(&format!("{k}_hex")) {
                        problems.push(format!("{cmd}: {here}: no {k}_hex twin"));
                    }
                }
                // A date's text: `<key>_utc` beside the number `<key>`, or
                // `utc` inside an RVM time `{"sec", "usec", "utc"}`.
                let base = if k == "utc" {
                    Some("sec")
                } else {
                    k.strip_suffix("_utc")
                };
                if let Some(base) = base {
                    match m.get(base) {
                        Some(n) if n.is_number() || n.is_null() => {}
                        _ => problems.push(format!("{cmd}: {here}: no time {base} beside it")),
                    }
                    let ok = match x {
                        Value::Null => true,
                        Value::String(s) => is_utc_text(s),
                        _ => false,
                    };
                    if !ok {
                        problems.push(format!("{cmd}: {here}: {x} is not YYYY-MM-DD HH:MM:SS"));
                    }
                }
                check_rules(cmd, x, &here, problems);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                check_rules(cmd, x, &format!("{at}[{i}]"), problems);
            }
        }
        _ => {}
    }
}

/// The `_hex` twin a number (or array of numbers) must have.
fn hex_of(n: &Value) -> Option<Value> {
    match n {
        Value::Number(_) => Some(Value::String(format!("{:08x}", n.as_u64()?))),
        Value::Array(a) => a
            .iter()
            .map(hex_of)
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        _ => None,
    }
}

/// `human::utc`'s one style: `YYYY-MM-DD HH:MM:SS`.
fn is_utc_text(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// Every key of `v` with the kind of value it holds, at any depth, for the
/// across-commands check: the same key never means a number in one
/// document and text in another.
fn key_kinds(
    v: &Value,
    out: &mut BTreeMap<String, &'static str>,
    cmd: &str,
    bad: &mut Vec<String>,
) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let kind = match x {
                    Value::Number(_) => "number",
                    Value::String(_) => "string",
                    Value::Bool(_) => "bool",
                    _ => "",
                };
                if !kind.is_empty() {
                    if let Some(prev) = out.insert(k.clone(), kind) {
                        if prev != kind {
                            bad.push(format!("{cmd}: {k} is a {kind} here, a {prev} elsewhere"));
                        }
                    }
                }
                key_kinds(x, out, cmd, bad);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| key_kinds(x, out, cmd, bad)),
        _ => {}
    }
}

/// Runs `coda-rs ARGS` in `dir`; it must exit `code` and print exactly one
/// JSON document.
fn json_of(dir: &Path, args: &[&str], code: i32) -> Value {
    let out = coda_rs().current_dir(dir).args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // from_str refuses anything after the first document.
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

/// A golden file copied into `dir` (gunzipped when it ends in .gz).
fn put(dir: &Path, golden_name: (&str, &str), as_name: &str) {
    let bytes = read_golden(golden_name.0, golden_name.1);
    std::fs::write(dir.join(as_name), bytes).unwrap();
}

/// The value after `label` in an rvmutl status text.
fn status_field(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in\n{text}"))
        .trim()
        .to_string()
}

#[test]
fn every_reporting_command_speaks_one_schema() {
    let tmp = scratch();
    let d = tmp.path();
    let g = |group: &str, name: &str| golden(group, name).display().to_string();
    let a_full = g("dump", "harness-a-full.dump");
    let server_a = g("dump", "server-a-full.dump");
    let b_incr = g("dump", "server-b-incr.dump");
    put(d, ("rvm", "crash1.log.crash"), "crash.log");
    put(d, ("rvm", "crash1.data.crash.gz"), "crash.data");
    put(d, ("dump", "VolumeList.sample"), "VolumeList");
    put(d, ("dump", "VRList.sample"), "VRList");
    std::fs::create_dir(d.join("dumps")).unwrap();
    let rdsinit_a = g("rvm", "rdsinit_A.log");

    let mut docs: Vec<(String, Value)> = Vec::new();
    let mut run = |args: &[&str], code: i32| -> Value {
        let v = json_of(d, args, code);
        docs.push((args[..2].join(" "), v.clone()));
        v
    };

    // rvm
    let status = run(&["rvm", "status", "--json", &rdsinit_a], 0);
    let want = String::from_utf8(read_golden("rvm", "rdsinit_A.log.status.txt")).unwrap();
    for (key, label) in [
        ("log_head", "log head offset:"),
        ("log_tail", "log tail offset:"),
        ("space_used", "space used by records:"),
        ("total_log_size", "total log size:"),
        ("first_record_number", "first record number:"),
        ("last_record_number", "last record number:"),
    ] {
        assert_eq!(status[key].to_string(), status_field(&want, label), "{key}");
    }
    assert_eq!(status["status_area_size"], 2560, "spec §3.1");
    run(&["rvm", "show", "--json", "crash.log"], 0);
    let rec = run(
        &[
            "rvm",
            "recover",
            "--dry-run",
            "--json",
            "crash.log",
            "--data",
            "crash.data",
        ],
        0,
    );
    // A dry run claims no state it did not reach; the truncation it would
    // write is the one of crash1.log.after.status.txt.
    assert!(rec.get("log_empty").is_none(), "{rec}");
    let after = String::from_utf8(read_golden("rvm", "crash1.log.after.status.txt")).unwrap();
    assert_eq!(
        rec["truncation"]["log_head"].to_string(),
        status_field(&after, "log head offset:")
    );
    assert_eq!(
        rec["truncation"]["log_tail"].to_string(),
        status_field(&after, "log tail offset:")
    );
    assert_eq!(
        (rec["truncation"]["next_record_number"].as_u64().unwrap() - 1).to_string(),
        status_field(&after, "last record number:")
    );
    let log = run(&["rvm", "init-log", "--json", "-q", "new.log", "1M"], 0);
    assert_eq!(log["record_area_size"], 1 << 20);
    assert_eq!(
        log["total_log_size"],
        2560 + (1 << 20),
        "spec §3.1: status area first"
    );
    let data = run(
        &[
            "rvm",
            "init-data",
            "--json",
            "-q",
            "new.log",
            "new.data",
            "2097152",
            "0x50000000",
            "983040",
            "1048576",
            "80",
            "64",
            "--sparse",
        ],
        0,
    );
    assert_eq!(data["heap_address"], 0x5000_0000u32);
    assert_eq!(data["heap_address_hex"], "50000000");
    run(
        &[
            "rvm",
            "init",
            "--json",
            "-q",
            "--log",
            "i.log",
            "--log-size",
            "1M",
            "--data",
            "i.data",
            "--data-size",
            "4M",
            "--sparse",
        ],
        0,
    );

    // dump: README (state A): 01000102 golden.backup, 4 dirs, 81 small
    // vnodes, backupDate 1700006000, volume data as listed there.
    let ls = run(&["dump", "ls", "--json", "--tree", &a_full], 0);
    let h = &ls["header"];
    assert_eq!(h["volume_id"], 0x0100_0102u32);
    assert_eq!(h["volume_id_hex"], "01000102");
    assert_eq!(h["parent_id_hex"], "01000101");
    assert_eq!(h["volume_name"], "golden.backup");
    assert_eq!(h["backup_date"], 1_700_006_000u32);
    assert_eq!(h["backup_date_utc"], "2023-11-14 23:53:20");
    let v = &ls["volume"];
    assert_eq!(v["volume_id_hex"], "01000102");
    assert_eq!(
        (v["file_count"].as_u64(), v["disk_used"].as_u64()),
        (Some(81), Some(351))
    );
    assert_eq!(v["creation_date_utc"], "2023-11-14 22:13:20");
    assert_eq!(v["expiration_date_utc"], Value::Null, "0 is never");
    let vnodes: Vec<u64> = ls["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["vnode_count"].as_u64().unwrap())
        .collect();
    assert_eq!(vnodes, [4, 81]);
    let ver = run(&["dump", "verify", "--json", &a_full], 0);
    assert_eq!(
        (
            ver["vnodes"]["large"].as_u64(),
            ver["vnodes"]["small"].as_u64()
        ),
        (Some(4), Some(81))
    );
    let restored = run(&["dump", "restore", "--json", &a_full, "--into", "tree"], 0);
    assert_eq!(restored["directories"], 4);
    assert_eq!(
        (
            restored["symlinks"].as_u64(),
            restored["hard_links"].as_u64()
        ),
        (Some(2), Some(1))
    );
    run(
        &[
            "dump",
            "verify",
            "--json",
            &a_full,
            "--against",
            "tree",
            "--acls",
            "yaml",
        ],
        0,
    );
    let tar = run(
        &["dump", "to-tar", "--json", "-q", &a_full, "-o", "a.tar"],
        0,
    );
    assert_eq!(tar["tar_bytes"], 356_864, "README: harness-a-full.tar");
    assert_eq!(tar["directories"], 4);
    // server-a-full + server-b-incr = state B: 4 dirs, 82 small vnodes, the
    // full dump's id 01000110, as many bytes as merged-a+b.dump.
    let merged = run(
        &["dump", "merge", "--json", "m.dump", &server_a, &b_incr],
        0,
    );
    assert_eq!(merged["header"]["volume_id_hex"], "01000110");
    assert_eq!(
        (
            merged["vnodes"]["large"].as_u64(),
            merged["vnodes"]["small"].as_u64()
        ),
        (Some(4), Some(82))
    );
    assert_eq!(merged["bytes"], 293_355);
    let created = run(
        &[
            "dump",
            "create",
            "--json",
            "tree",
            "-o",
            "c.dump",
            "--volume-id",
            "1000102",
            "--volume-name",
            "golden.backup",
        ],
        0,
    );
    assert_eq!(created["volume_id"], 0x0100_0102u32);
    assert_eq!(
        (
            created["vnodes"]["large"].as_u64(),
            created["vnodes"]["small"].as_u64()
        ),
        (Some(4), Some(81))
    );
    run(
        &[
            "dump",
            "create",
            "--json",
            "tree",
            "-o",
            "i.dump",
            "--incremental-from",
            "c.dump",
        ],
        0,
    );
    let copied = run(&["copy", "--json", "tree", "copy"], 0);
    assert_eq!(copied["directories"], restored["directories"]);
    // The restored tree holds the dump's files and the ..CodaACLs.yaml the
    // restore writes for the ACLs (README: Volume dumps).
    assert_eq!(
        copied["files"].as_u64(),
        restored["files"].as_u64().map(|n| n + 1)
    );

    // tape: a dump saved as a tape file (README: server-a-full is 01000110).
    let tape = run(&["tape", "ls", "--json", &server_a], 0);
    assert_eq!(tape[0]["kind"], "volume_dump");
    assert_eq!(tape[0]["dump"]["volume_id_hex"], "01000110");

    // plan: partial-reinit.output.sample's create_rep line.
    let lists = ["--volume-list", "VolumeList", "--vrlist", "VRList"];
    let rec = run(
        &[&["plan", "recreate", "--json"][..], &lists[..]].concat(),
        0,
    );
    assert_eq!(rec["create_rep"][0]["group_id_hex"], "7f000000");
    assert_eq!(rec["create_rep"][0]["volume_id"], 0x0100_0001u32);
    run(
        &[
            &["plan", "dumplists", "--json", "--tape-size", "1G"][..],
            &lists[..],
        ]
        .concat(),
        0,
    );

    // reinit
    // A made-up server's RVM, so that no log is read.
    let rvm = "--rvm-log LOG --rvm-log-size 1M --rvm-data DATA --rvm-data-size 4M";
    let mut init = vec!["reinit", "init", "--json", "--state", "state"];
    init.extend(["--dump-dir", "dumps"]);
    init.extend(lists);
    init.extend(rvm.split(' '));

    let mut runbook = run(&init, 0);
    let mut status = run(&["reinit", "status", "--json", "--state", "state"], 0);
    // The same runbook, its state directory named as each command had it.
    for doc in [&mut runbook, &mut status] {
        let dir = doc["state_dir"].take();
        assert!(dir.as_str().unwrap().ends_with("state"), "{dir}");
    }
    assert_eq!(runbook, status, "init --json is the fresh runbook's status");
    let next = run(&["reinit", "next", "--json", "--state", "state"], 0);
    assert_eq!(next, status["steps"][0]);
    let drill = run(&["drill", "--json"], 0);
    assert_eq!(drill["ok"], true);

    let mut problems = Vec::new();
    let mut kinds = BTreeMap::new();
    for (cmd, v) in &docs {
        check_rules(cmd, v, "", &mut problems);
        key_kinds(v, &mut kinds, cmd, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The rules themselves: a document breaking each one is caught.
#[test]
fn the_checker_catches_each_rule() {
    let bad = serde_json::json!({
        "dirs": 1,
        "camelCase": 1,
        "volume_id": "01000002",
        "group_id": 2,
        "parent_id": 3, "parent_id_hex": "3",
        "orphan_hex": "00000001",
        "created_utc": "yesterday",
        "written": {"usec": 1, "utc": "2023-11-14 22:13:20"},
        "volume": 5,
    });
    let mut problems = Vec::new();
    check_rules("t", &bad, "", &mut problems);
    let text = problems.join("\n");
    for want in [
        ".dirs: spelled directories",
        ".camelCase: key is not snake_case",
        ".volume_id: an id must be a number",
        ".volume_id: no volume_id_hex twin",
        ".group_id: no group_id_hex twin",
        ".parent_id_hex: \"3\" is not the 8-digit hex",
        ".orphan_hex: no numeric twin orphan",
        ".created_utc: no time created",
        ".created_utc: \"yesterday\" is not",
        ".volume: a volume id is volume_id",
        ".written.utc: no time sec",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    let good = serde_json::json!({
        "volume_id": 16_777_218, "volume_id_hex": "01000002",
        "replica_volume_ids": [1], "replica_volume_ids_hex": ["00000001"],
        "backup_date": 0, "backup_date_utc": null,
        "created": {"sec": 1_700_000_000, "usec": 5, "utc": "2023-11-14 22:13:20"},
    });
    let mut problems = Vec::new();
    check_rules("t", &good, "", &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
}
