//! The tree manifest shared by the drill and the tests
//! (`drill::manifest`, `coda_rs_tests::tree_manifest`) pinned against the
//! golden manifests (`shared/golden/dump/state-*.manifest.json`, read by
//! hand in `coda_rs_tests::golden_manifest`): a restored golden dump
//! snapshots to exactly the golden manifest, values stated in the golden
//! README are there, and each kind of change to the tree is seen.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use coda_rs_tests::{
    coda_rs, golden, golden_manifest, is_root, read_golden, scratch, tree_manifest, Kind, Manifest,
};

fn restore(dumps: &[&str], into: &Path) {
    let mut cmd = coda_rs();
    cmd.args(["dump", "restore"]);
    for d in dumps {
        cmd.arg(golden("dump", d));
    }
    cmd.arg("--into").arg(into).assert().success();
}

/// The manifest of `dir`, owners cleared unless run as root (only root
/// can give the files their owners); likewise `want`.
fn comparable(dir: &Path, mut want: Manifest) -> (Manifest, Manifest) {
    let mut got = tree_manifest(dir);
    if !is_root() {
        got.clear_owners();
        want.clear_owners();
    }
    (got, want)
}

#[test]
fn restored_golden_dumps_snapshot_to_the_golden_manifests() {
    let cases: [(&[&str], &str); 4] = [
        (&["server-a-full.dump"], "state-a.manifest.json"),
        (&["server-b-full.dump"], "state-b.manifest.json"),
        (&["merged-a+b.dump"], "state-b.manifest.json"),
        (
            &["server-a-full.dump", "server-b-incr.dump"],
            "state-b.manifest.json",
        ),
    ];
    for (dumps, name) in cases {
        let t = scratch();
        let into = t.path().join("r");
        restore(dumps, &into);
        let want = golden_manifest(name);
        // Every entry of the JSON is in the manifest.
        let listed: Vec<serde_json::Value> =
            serde_json::from_slice(&read_golden("dump", name)).unwrap();
        assert_eq!(want.len(), listed.len(), "{name}");
        let (got, want) = comparable(&into, want);
        assert_eq!(want.differences(&got), Vec::<String>::new(), "{dumps:?}");
        assert!(got == want, "{dumps:?}: manifests differ");
    }
}

#[test]
fn the_golden_readme_values_are_in_the_manifest() {
    // State A as the golden README's table states it.
    let a = golden_manifest("state-a.manifest.json");
    let root = a.get(b"").unwrap();
    assert_eq!(
        (root.kind, root.mode, root.owner, root.mtime),
        (Kind::Dir, 0o755, 0, 1_700_000_100)
    );
    let nested = a.get(b"subdir/nested.txt").unwrap();
    assert_eq!(
        (nested.kind, nested.size, nested.mode, nested.mtime),
        (Kind::File, 1234, 0o644, 1_700_001_006)
    );
    let run = a.get(b"run.sh").unwrap();
    assert_eq!((run.mode, run.owner, run.size), (0o755, 0, 21));
    let link = a.get(b"link-to-readme").unwrap();
    assert_eq!(link.kind, Kind::Symlink);
    assert_eq!(link.target.as_deref(), Some(&b"README.txt"[..]));
    // README.txt and README-hardlink.txt: one vnode, links 2.
    let (r, h) = (
        a.get(b"README.txt").unwrap(),
        a.get(b"README-hardlink.txt").unwrap(),
    );
    assert_eq!((r.links, h.links, r.size), (2, 2, 300));
    assert_eq!(h.same_as, None);
    assert_eq!(r.same_as.as_deref(), Some(&b"README-hardlink.txt"[..]));
    assert_eq!(
        a.iter()
            .filter(|(p, _)| p.starts_with(b"manyfiles/file-with-longish-name-"))
            .count(),
        70
    );
}

/// Each change to a restored state-A tree, the path the difference must
/// name, and a word the difference line must hold.
#[test]
fn every_kind_of_change_is_a_difference() {
    type Change = fn(&Path);
    let cases: [(&str, Change, &str, &str); 9] = [
        (
            "one byte flipped, size and mtime kept",
            |d| {
                let p = d.join("big.bin");
                let mut b = fs::read(&p).unwrap();
                b[100_000] ^= 1;
                let mtime = fs::metadata(&p).unwrap().modified().unwrap();
                fs::write(&p, b).unwrap();
                fs::File::options()
                    .write(true)
                    .open(&p)
                    .unwrap()
                    .set_modified(mtime)
                    .unwrap();
            },
            "big.bin",
            "content differs",
        ),
        (
            "mode changed",
            |d| fs::set_permissions(d.join("café.txt"), fs::Permissions::from_mode(0o600)).unwrap(),
            "café.txt",
            "mode 600",
        ),
        (
            "mtime changed",
            |d| {
                fs::File::options()
                    .write(true)
                    .open(d.join("subdir/nested.txt"))
                    .unwrap()
                    .set_modified(std::time::UNIX_EPOCH)
                    .unwrap()
            },
            "subdir/nested.txt",
            "mtime 0",
        ),
        (
            "hard link broken into a copy",
            |d| {
                let p = d.join("README-hardlink.txt");
                let b = fs::read(&p).unwrap();
                fs::remove_file(&p).unwrap();
                fs::write(&p, b).unwrap();
            },
            "README",
            "links",
        ),
        (
            "file added",
            |d| fs::write(d.join("subdir/extra"), b"x").unwrap(),
            "subdir/extra",
            "not expected",
        ),
        (
            "file removed",
            |d| fs::remove_file(d.join("empty")).unwrap(),
            "empty",
            "missing",
        ),
        (
            "symlink retargeted",
            |d| {
                let p = d.join("link-to-readme");
                fs::remove_file(&p).unwrap();
                std::os::unix::fs::symlink("README.TXT", &p).unwrap();
            },
            "link-to-readme",
            "content differs",
        ),
        (
            "file replaced by a directory",
            |d| {
                fs::remove_file(d.join("empty")).unwrap();
                fs::create_dir(d.join("empty")).unwrap();
            },
            "empty",
            "Dir",
        ),
        (
            "a restore's own file name below the root is data",
            |d| fs::write(d.join("subdir/..CodaACLs.yaml"), b"").unwrap(),
            "subdir/..CodaACLs.yaml",
            "not expected",
        ),
    ];
    let t = scratch();
    let into = t.path().join("a");
    restore(&["server-a-full.dump"], &into);
    let mut modes = Vec::new();
    for (what, change, path, word) in cases {
        let d = t.path().join(format!("case-{}", modes.len()));
        modes.push(what);
        let cp = std::process::Command::new("cp")
            .args(["-a", "--"])
            .arg(&into)
            .arg(&d)
            .status()
            .unwrap();
        assert!(cp.success());
        let (got, want) = comparable(&d, golden_manifest("state-a.manifest.json"));
        assert_eq!(want.differences(&got), Vec::<String>::new(), "{what}: copy");
        change(&d);
        let (got, want) = comparable(&d, want);
        let diffs = want.differences(&got);
        assert!(
            diffs
                .iter()
                .any(|l| l.starts_with(path) && l.contains(word)),
            "{what}: {diffs:?}"
        );
        assert!(got != want, "{what}: manifests equal");
    }
    // The restore's own files in the root are not part of the tree (the
    // root's mtime put back after writing one).
    let mtime = fs::metadata(&into).unwrap().modified().unwrap();
    fs::write(into.join(".coda-rs-restore.json"), b"{}").unwrap();
    fs::File::open(&into).unwrap().set_modified(mtime).unwrap();
    let (got, want) = comparable(&into, golden_manifest("state-a.manifest.json"));
    assert_eq!(want.differences(&got), Vec::<String>::new());
    assert!(got == want, "manifests differ");
}
