//! ACLs (spec §7.3) against the golden data: every directory ACL of every
//! golden dump parses and prints back byte for byte, matches the state
//! manifests, and lists the same names and rights as the real
//! `codadump2tar`'s `..CodaACLs.yaml`.

use crate::dirpage_support;

use std::collections::BTreeMap;

use coda_rs_tests::read_golden;
use dirpage_support::{directories, DUMPS};
use volume_dump::acl::{Acl, Rights};

fn dump(name: &str) -> Vec<u8> {
    read_golden("dump", &format!("{name}.dump"))
}

#[test]
fn every_golden_acl_round_trips() {
    let mut seen = 0;
    for name in DUMPS {
        for d in directories(&dump(name)) {
            let acl =
                Acl::parse(&d.acl).unwrap_or_else(|e| panic!("{name} vnode {}: {e}", d.vnode));
            assert_eq!(acl.to_text(), d.acl, "{name} vnode {}", d.vnode);
            seen += 1;
        }
    }
    assert!(seen >= 30);
}

#[test]
fn acls_match_the_manifests() {
    // The README's ACLs: root and deeper/manyfiles +AnyUser 9
    // +Administrators 127; subdir also +admin 31 and -AnyUser 8.
    let subdir = Acl::parse(
        b"3\n1\nSystem:AnyUser\t9\nSystem:Administrators\t127\nadmin\t31\nSystem:AnyUser\t8\n",
    )
    .unwrap();
    assert_eq!(subdir.positive.len(), 3);
    assert_eq!(subdir.negative[0].name, b"System:AnyUser");
    assert_eq!(subdir.negative[0].rights, Rights::LOOKUP);
    assert_eq!(subdir.positive[1].rights, Rights::ALL);

    for (dump_name, manifest) in [
        ("harness-a-full", "state-a.manifest.json"),
        ("server-b-full", "state-b.manifest.json"),
    ] {
        let m: serde_json::Value = serde_json::from_slice(&read_golden("dump", manifest)).unwrap();
        let expected: BTreeMap<(u64, u64), Acl> = m
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["type"] == "dir")
            .map(|o| {
                let fid = (o["vnode"].as_u64().unwrap(), o["unique"].as_u64().unwrap());
                (
                    fid,
                    Acl::parse(o["acl"].as_str().unwrap().as_bytes()).unwrap(),
                )
            })
            .collect();
        let found: BTreeMap<(u64, u64), Acl> = directories(&dump(dump_name))
            .iter()
            .map(|d| {
                let fid = (u64::from(d.vnode), u64::from(d.unique));
                (fid, Acl::parse(&d.acl).unwrap())
            })
            .collect();
        assert_eq!(found, expected, "{dump_name}");
    }
}

/// The (path, [(name, rights)]) items of a codadump2tar ACL YAML member.
fn yaml_items(yaml: &str) -> Vec<(String, Vec<(String, String)>)> {
    let unquote = |s: &str| -> String {
        let s = s.trim();
        assert!(s.starts_with('"') && s.ends_with('"'), "{s}");
        s[1..s.len() - 1].to_string()
    };
    let mut items: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut lines = yaml.lines();
    assert_eq!(lines.next(), Some("acls:"));
    while let Some(line) = lines.next() {
        if let Some(p) = line.strip_prefix("- path: ") {
            items.push((unquote(p), Vec::new()));
            assert_eq!(lines.next(), Some("  acl:"));
        } else if let Some(n) = line.strip_prefix("  - name: ") {
            let r = lines.next().unwrap().strip_prefix("    rights: ").unwrap();
            items.last_mut().unwrap().1.push((unquote(n), unquote(r)));
        } else {
            panic!("unexpected YAML line {line:?}");
        }
    }
    items
}

/// The `..CodaACLs.yaml` data of a golden tar.
fn tar_acl_yaml(tar: &[u8]) -> String {
    let mut at = tar.len() - 1024;
    loop {
        at -= 512;
        if tar[at..].starts_with(b"..CodaACLs.yaml\0") {
            let size = std::str::from_utf8(&tar[at + 124..at + 135]).unwrap();
            let size = usize::from_str_radix(size, 8).unwrap();
            return String::from_utf8(tar[at + 512..at + 512 + size].to_vec()).unwrap();
        }
    }
}

#[test]
fn acls_agree_with_codadump2tar_yaml() {
    for name in [
        "native-full",
        "harness-a-full",
        "server-b-full",
        "server-b-incr",
        "server-b-incr-smallonly",
    ] {
        let items = yaml_items(&tar_acl_yaml(&read_golden("dump", &format!("{name}.tar"))));
        let dirs = directories(&dump(name));
        // One item per directory, in large-index order.
        assert_eq!(items.len(), dirs.len(), "{name}");
        for ((_, yaml), d) in items.iter().zip(&dirs) {
            let acl = Acl::parse(&d.acl).unwrap();
            let ours: Vec<(String, String)> = acl
                .positive
                .iter()
                .map(|e| (e, ""))
                .chain(acl.negative.iter().map(|e| (e, "-")))
                .map(|(e, sign)| {
                    let name = String::from_utf8(e.name.clone()).unwrap();
                    (name, format!("{sign}{}", e.rights.letters()))
                })
                .collect();
            assert_eq!(&ours, yaml, "{name} vnode {}", d.vnode);
        }
    }
}
