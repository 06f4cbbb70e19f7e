//! `dump verify --against DIR` compares directory ACLs: the
//! `..CodaACLs.yaml` a restore wrote is parsed (not compared as bytes), and
//! every changed, missing or extra entry is one difference naming its
//! directory (exit 1); an untouched restore, or one whose entries were only
//! reordered, has 0 differences.

use crate::restore_support;

use std::fs;
use std::path::Path;

use coda_rs_tests::{coda_rs, scratch};
use restore_support::golden_dump;

const ACL_FILE: &str = "..CodaACLs.yaml";

/// `server-a-full.dump` restored into `into` (ACLs in the YAML file).
fn restore(into: &Path) {
    coda_rs()
        .args(["dump", "restore", "--quiet", "--acls", "yaml", "--into"])
        .arg(into)
        .arg(golden_dump("server-a-full.dump"))
        .assert()
        .success();
}

fn verify(into: &Path, extra: &[&str]) -> (i32, String) {
    let out = coda_rs()
        .args(["dump", "verify"])
        .arg(golden_dump("server-a-full.dump"))
        .arg("--against")
        .arg(into)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Replaces `from` (which must occur exactly once) in the ACL file.
fn edit(into: &Path, from: &str, to: &str) {
    let p = into.join(ACL_FILE);
    let text = fs::read_to_string(&p).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from:?} in {text}");
    fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

/// The `./subdir` item as the real codadump2tar writes it
/// (`server-a-full.tar`, spec §11.5).
const SUBDIR_ITEM: &str = "- path: \"./subdir\"\n  acl:\n  \
    - name: \"System:AnyUser\"\n    rights: \"rl\"\n  \
    - name: \"System:Administrators\"\n    rights: \"rlidwka\"\n  \
    - name: \"admin\"\n    rights: \"rlidw\"\n  \
    - name: \"System:AnyUser\"\n    rights: \"-l\"\n";

fn restored() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = scratch();
    let into = t.path().join("x");
    restore(&into);
    let text = fs::read_to_string(into.join(ACL_FILE)).unwrap();
    assert!(text.contains(SUBDIR_ITEM), "{text}");
    (t, into)
}

#[test]
fn an_untouched_restore_has_no_acl_differences() {
    let (_t, into) = restored();
    let (code, out) = verify(&into, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(": 0 differences"), "{out}");
}

#[test]
fn reordered_entries_are_no_difference() {
    let (_t, into) = restored();
    let reordered = "- path: \"./subdir\"\n  acl:\n  \
        - name: \"admin\"\n    rights: \"rlidw\"\n  \
        - name: \"System:Administrators\"\n    rights: \"rlidwka\"\n  \
        - name: \"System:AnyUser\"\n    rights: \"rl\"\n  \
        - name: \"System:AnyUser\"\n    rights: \"-l\"\n";
    edit(&into, SUBDIR_ITEM, reordered);
    // And the directory items in another order: ./subdir last.
    let text = fs::read_to_string(into.join(ACL_FILE)).unwrap();
    let moved = text.replacen(reordered, "", 1) + reordered;
    fs::write(into.join(ACL_FILE), moved).unwrap();
    let (code, out) = verify(&into, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(": 0 differences"), "{out}");
}

#[test]
fn a_changed_entry_is_reported_with_its_directory() {
    let cases = [
        // (from, to, expected difference line)
        (
            "  - name: \"admin\"\n    rights: \"rlidw\"",
            "  - name: \"admin\"\n    rights: \"rl\"",
            ": subdir: ACL entry \"admin\": rights rl (9), expected rlidw (31)",
        ),
        (
            "    rights: \"-l\"",
            "    rights: \"-rlidwka\"",
            ": subdir: negative ACL entry \"System:AnyUser\": rights rlidwka (127), expected l (8)",
        ),
        (
            "- path: \"./manyfiles\"\n  acl:\n  - name: \"System:AnyUser\"\n    rights: \"rl\"",
            "- path: \"./manyfiles\"\n  acl:\n  - name: \"System:AnyUser\"\n    rights: \"\"",
            ": manyfiles: ACL entry \"System:AnyUser\": rights  (0), expected rl (9)",
        ),
    ];
    for (from, to, want) in cases {
        let (_t, into) = restored();
        edit(&into, from, to);
        let (code, out) = verify(&into, &[]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains(want), "{want:?} not in {out}");
        assert!(out.contains(": 1 differences"), "{out}");
    }
}

#[test]
fn a_missing_entry_is_reported_with_its_directory() {
    let (_t, into) = restored();
    edit(&into, "  - name: \"admin\"\n    rights: \"rlidw\"\n", "");
    let (code, out) = verify(&into, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(": subdir: ACL entry \"admin\" with rights rlidw (31) missing"),
        "{out}"
    );
    assert!(out.contains(": 1 differences"), "{out}");

    // A negative entry, and a whole directory's item.
    let (_t, into) = restored();
    edit(
        &into,
        "  - name: \"System:AnyUser\"\n    rights: \"-l\"\n",
        "",
    );
    let (code, out) = verify(&into, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(": subdir: negative ACL entry \"System:AnyUser\" with rights l (8) missing"),
        "{out}"
    );
    let (_t, into) = restored();
    edit(&into, SUBDIR_ITEM, "");
    let (code, out) = verify(&into, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(": subdir: no ACL in ..CodaACLs.yaml (the dump's has 4 entries)"),
        "{out}"
    );
}

#[test]
fn an_extra_entry_is_reported_with_its_directory() {
    let (_t, into) = restored();
    // The root's item ends where ./subdir's begins.
    edit(
        &into,
        "- path: \"./subdir\"\n",
        "  - name: \"intruder\"\n    rights: \"rlidwka\"\n- path: \"./subdir\"\n",
    );
    let (code, out) = verify(&into, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(": .: ACL entry \"intruder\" with rights rlidwka (127) not in the dump"),
        "{out}"
    );
    assert!(out.contains(": 1 differences"), "{out}");

    // An extra negative entry, and an item for a directory the dump lacks.
    let (_t, into) = restored();
    edit(
        &into,
        "    rights: \"-l\"\n",
        "    rights: \"-l\"\n  - name: \"admin\"\n    rights: \"-w\"\n",
    );
    let text = fs::read_to_string(into.join(ACL_FILE)).unwrap();
    fs::write(
        into.join(ACL_FILE),
        text + "- path: \"./nowhere\"\n  acl:\n  - name: \"admin\"\n    rights: \"rl\"\n",
    )
    .unwrap();
    let (code, out) = verify(&into, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(": subdir: negative ACL entry \"admin\" with rights w (2) not in the dump"),
        "{out}"
    );
    assert!(
        out.contains(": nowhere: ACL in ..CodaACLs.yaml that the dump does not hold"),
        "{out}"
    );
    assert!(out.contains(": 2 differences"), "{out}");
}

#[test]
fn a_missing_or_broken_acl_file_is_a_difference() {
    let (_t, into) = restored();
    fs::remove_file(into.join(ACL_FILE)).unwrap();
    let (code, out) = verify(&into, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(": ..CodaACLs.yaml: missing (the dump holds 4 directory ACLs)"),
        "{out}"
    );

    let (_t, into) = restored();
    edit(&into, "    rights: \"rlidw\"", "    rights: \"rlidwz\"");
    let (code, out) = verify(&into, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(": subdir: ACL in ..CodaACLs.yaml cannot be parsed:"),
        "{out}"
    );

    let (_t, into) = restored();
    fs::write(into.join(ACL_FILE), "not yaml at all\n").unwrap();
    let (code, out) = verify(&into, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(": ..CodaACLs.yaml: does not start with `acls:`"),
        "{out}"
    );
}

#[test]
fn acls_skip_compares_no_acls_and_needs_against() {
    let (_t, into) = restored();
    // Without the file (the root keeps its mtime).
    let mtime = fs::metadata(&into).unwrap().modified().unwrap();
    fs::remove_file(into.join(ACL_FILE)).unwrap();
    fs::File::open(&into).unwrap().set_modified(mtime).unwrap();
    let (code, out) = verify(&into, &["--acls", "skip"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = verify(&into, &["--acls", "yaml"]);
    assert_eq!(code, 1, "{out}");
    // --acls only means something with --against.
    coda_rs()
        .args(["dump", "verify", "--acls", "yaml"])
        .arg(golden_dump("server-a-full.dump"))
        .assert()
        .code(2);
}

#[test]
fn a_restore_of_a_chain_compares_the_merged_acls() {
    // server-b-incr changes the root and subdir (and removes deeper):
    // the ACL file of the chain's restore matches the chain, not A alone.
    let t = scratch();
    let into = t.path().join("x");
    coda_rs()
        .args(["dump", "restore", "--quiet", "--into"])
        .arg(&into)
        .arg(golden_dump("server-a-full.dump"))
        .arg(golden_dump("server-b-incr.dump"))
        .assert()
        .success();
    let text = fs::read_to_string(into.join(ACL_FILE)).unwrap();
    assert!(!text.contains("./subdir/deeper"), "{text}");
    assert!(text.contains("- path: \"./newdir\""), "{text}");
    let out = coda_rs()
        .args(["dump", "verify"])
        .arg(golden_dump("server-a-full.dump"))
        .arg(golden_dump("server-b-incr.dump"))
        .arg("--against")
        .arg(&into)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    edit(
        &into,
        "- path: \"./newdir\"\n  acl:\n",
        "- path: \"./newdir\"\n  acl:\n  - name: \"admin\"\n    rights: \"a\"\n",
    );
    let out = coda_rs()
        .args(["dump", "verify"])
        .arg(golden_dump("server-a-full.dump"))
        .arg(golden_dump("server-b-incr.dump"))
        .arg("--against")
        .arg(&into)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(": newdir: ACL entry \"admin\" with rights a (64) not in the dump"),
        "{text}"
    );
}
