//! `coda-rs dump create` on the tree GNU tar extracts from the real
//! codadump2tar output `harness-a-full.tar`.

use std::collections::BTreeMap;
use std::path::Path;

use coda_rs_tests::{coda_rs, golden, is_root, read_golden, scratch, tree_manifest, Kind};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn extract(dir: &Path) {
    let mut tar = std::process::Command::new("tar");
    tar.arg("-xpf")
        .arg(golden("dump", "harness-a-full.tar"))
        .arg("-C")
        .arg(dir);
    if is_root() {
        tar.arg("--numeric-owner");
    }
    assert!(tar.status().expect("run GNU tar").success());
}

/// SHA-256 of `data`, in hex.
fn hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The drill's manifest of the tree at `root` (its `..CodaACLs.yaml` left
/// out), every path named with `name` as the first component, each object
/// in the terms of `dump ls --json --tree`.
fn listed_terms(root: &Path, name: &str) -> BTreeMap<String, Value> {
    let hexed = |b: &[u8; 32]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut out = BTreeMap::new();
    for (path, m) in tree_manifest(root).iter() {
        let mut e = serde_json::json!({
            "mode": format!("{:o}", m.mode),
            "owner": m.owner,
            "mtime": m.mtime,
        });
        match m.kind {
            Kind::Dir => e["type"] = "dir".into(),
            Kind::Symlink => {
                e["type"] = "symlink".into();
                e["size"] = m.size.into();
                e["sha256"] = hexed(m.sha256.as_ref().unwrap()).into();
                let target = m.target.as_deref().unwrap();
                e["target"] = String::from_utf8_lossy(target).into_owned().into();
            }
            _ => {
                e["type"] = "file".into();
                e["size"] = m.size.into();
                e["sha256"] = hexed(m.sha256.as_ref().unwrap()).into();
                e["links"] = m.links.into();
            }
        }
        let full = if path.is_empty() {
            name.to_string()
        } else {
            format!("{name}/{}", String::from_utf8_lossy(path))
        };
        out.insert(full, e);
    }
    out
}

#[test]
fn create_from_the_extracted_golden_tar_verifies_and_lists_that_tree() {
    let dir = scratch();
    extract(dir.path());
    let tree = dir.path().join("golden.backup");
    let dump = dir.path().join("created.dump");
    coda_rs()
        .args(["dump", "create"])
        .arg(&tree)
        .arg("-o")
        .arg(&dump)
        .args([
            "--volume-id",
            "1000102",
            "--volume-name",
            "golden.backup",
            "--date",
            "1700006000",
        ])
        .assert()
        .success();

    // What volutil restore would say.
    let out = coda_rs()
        .args(["dump", "verify", "--restore-checks", "--json"])
        .arg(&dump)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "{v}");
    assert_eq!(v["errors"], 0, "{v}");

    // The listed tree is the extracted tree.
    let out = coda_rs()
        .args(["dump", "ls", "--json", "--tree"])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success());
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = listed_terms(&tree, "golden.backup");
    let mut got = BTreeMap::new();
    for e in listed["tree"].as_array().unwrap() {
        got.insert(e["path"].as_str().unwrap().to_string(), e.clone());
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (path, w) in &want {
        let g = &got[path];
        for (k, wv) in w.as_object().unwrap() {
            assert_eq!(&g[k], wv, "{path}: {k}");
        }
    }
    // The truncated names codadump2tar wrote are kept as extracted.
    assert!(got
        .keys()
        .any(|p| p.ends_with("-this-component-is-longer-than-one-h~~~")));

    // Hard links in one directory share a vnode.
    let a = &got["golden.backup/README.txt"];
    let b = &got["golden.backup/README-hardlink.txt"];
    assert_eq!(
        (&a["vnode"], &a["unique"], &a["links"]),
        (&b["vnode"], &b["unique"], &Value::from(2))
    );

    // ACLs come back from ..CodaACLs.yaml exactly as the state-A manifest has them.
    let manifest: Value =
        serde_json::from_slice(&read_golden("dump", "state-a.manifest.json")).unwrap();
    for m in manifest
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "dir")
    {
        let path = m["path"].as_str().unwrap();
        assert_eq!(got[path]["acl"], m["acl"], "{path}");
    }
}

#[test]
fn create_is_deterministic_and_never_overwrites_without_force() {
    let dir = scratch();
    extract(dir.path());
    let tree = dir.path().join("golden.backup");
    let run = |out: &Path, extra: &[&str]| {
        coda_rs()
            .args(["dump", "create"])
            .arg(&tree)
            .arg("-o")
            .arg(out)
            .args([
                "--volume-id",
                "0x1000102",
                "--volume-name",
                "golden.backup",
                "--date",
                "1700006000",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let one = dir.path().join("one.dump");
    let two = dir.path().join("two.dump");
    assert!(run(&one, &[]).status.success());
    assert!(run(&two, &[]).status.success());
    assert!(std::fs::read(&one).unwrap() == std::fs::read(&two).unwrap());
    assert_eq!(run(&one, &[]).status.code(), Some(3));
    assert!(run(&one, &["--force"]).status.success());

    // To stdout as well: the same bytes.
    let out = coda_rs()
        .args(["dump", "create"])
        .arg(&tree)
        .args([
            "-o",
            "-",
            "--volume-id",
            "1000102",
            "--volume-name",
            "golden.backup",
            "--date",
            "1700006000",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout == std::fs::read(&one).unwrap());
}

#[test]
fn create_refuses_an_output_inside_the_tree() {
    let dir = scratch();
    std::fs::write(dir.path().join("a.txt"), b"a\n").unwrap();
    let out = dir.path().join("inside.dump");
    coda_rs()
        .args(["dump", "create"])
        .arg(dir.path())
        .arg("-o")
        .arg(&out)
        .args(["--volume-id", "1", "--volume-name", "t.backup"])
        .assert()
        .code(2);
    assert!(!out.exists());
}

/// Without an ACL file the root gets the new-volume default (spec §7.3)
/// and subdirectories inherit it; a special file is left out with a warning.
#[test]
fn create_without_an_acl_file_uses_the_default_acl() {
    let dir = scratch();
    let tree = dir.path().join("t");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("sub/f"), b"hello\n").unwrap();
    std::os::unix::fs::symlink("sub/f", tree.join("l")).unwrap();
    let out = dir.path().join("t.dump");
    coda_rs()
        .args(["dump", "create"])
        .arg(&tree)
        .arg("-o")
        .arg(&out)
        .args([
            "--volume-id",
            "7f",
            "--volume-name",
            "t.backup",
            "--date",
            "1700000000",
        ])
        .assert()
        .success();
    let res = coda_rs()
        .args(["dump", "ls", "--json", "--tree"])
        .arg(&out)
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&res.stdout).unwrap();
    assert_eq!(j["header"]["volume_id"], 0x7f);
    let tree: BTreeMap<String, Value> = j["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap().to_string(), e.clone()))
        .collect();
    let acl = "1\n0\nSystem:Administrators\t127\n";
    assert_eq!(tree["t.backup"]["acl"], acl);
    assert_eq!(tree["t.backup/sub"]["acl"], acl);
    assert_eq!(tree["t.backup/sub/f"]["sha256"], hex(b"hello\n"));
    assert_eq!(tree["t.backup/l"]["target"], "sub/f");
    assert!(!tree.contains_key("t.backup/fifo"));
    coda_rs()
        .args(["dump", "verify", "--restore-checks"])
        .arg(&out)
        .assert()
        .success();
}
