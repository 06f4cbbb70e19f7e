//! `dump verify DUMP [INCR...] --against DIR`: zero differences on a
//! correct restore; an altered byte, a missing file and a wrong mode are
//! each reported, with exit status 1.

use crate::restore_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use coda_rs_tests::{coda_rs, scratch};
use restore_support::golden_dump;

fn restore(into: &Path) {
    coda_rs()
        .args(["dump", "restore", "--into"])
        .arg(into)
        .arg(golden_dump("server-a-full.dump"))
        .arg(golden_dump("server-b-incr.dump"))
        .assert()
        .success();
}

fn verify(into: &Path) -> (i32, String) {
    let out = coda_rs()
        .args(["dump", "verify"])
        .arg(golden_dump("server-a-full.dump"))
        .arg(golden_dump("server-b-incr.dump"))
        .arg("--against")
        .arg(into)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_correct_restore_has_no_differences() {
    let t = scratch();
    let into = t.path().join("x");
    restore(&into);
    let (code, out) = verify(&into);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(": 0 differences"), "{out}");
    // The merged dump describes the same tree.
    coda_rs()
        .args(["dump", "verify"])
        .arg(golden_dump("merged-a+b.dump"))
        .arg("--against")
        .arg(&into)
        .assert()
        .success();
    // The full dump A alone does not.
    coda_rs()
        .args(["dump", "verify"])
        .arg(golden_dump("server-a-full.dump"))
        .arg("--against")
        .arg(&into)
        .assert()
        .code(1);
}

#[test]
fn altered_byte_missing_file_and_wrong_mode_are_reported() {
    let t = scratch();
    let into = t.path().join("x");
    restore(&into);
    // An altered byte, same size and mtime.
    let big = into.join("big.bin");
    let mtime = fs::metadata(&big).unwrap().modified().unwrap();
    let mut data = fs::read(&big).unwrap();
    data[1234] ^= 0x40;
    fs::write(&big, &data).unwrap();
    fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    // A missing file (its directory keeps its mtime).
    let subdir = into.join("subdir");
    let dir_mtime = fs::metadata(&subdir).unwrap().modified().unwrap();
    fs::remove_file(subdir.join("nested.txt")).unwrap();
    fs::File::open(&subdir)
        .unwrap()
        .set_modified(dir_mtime)
        .unwrap();
    // A wrong mode.
    fs::set_permissions(into.join("café.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    let (code, out) = verify(&into);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("big.bin: content differs at byte 1234"),
        "{out}"
    );
    assert!(out.contains("subdir/nested.txt: missing file"), "{out}");
    assert!(out.contains("café.txt: mode 600, expected 644"), "{out}");
    assert!(out.contains(": 3 differences"), "{out}");
}

#[test]
fn extra_files_are_reported_but_not_our_own() {
    let t = scratch();
    let into = t.path().join("x");
    restore(&into);
    assert!(into.join("..CodaACLs.yaml").is_file());
    let subdir = into.join("subdir");
    let dir_mtime = fs::metadata(&subdir).unwrap().modified().unwrap();
    fs::write(subdir.join("stray"), b"x").unwrap();
    fs::File::open(&subdir)
        .unwrap()
        .set_modified(dir_mtime)
        .unwrap();
    let (code, out) = verify(&into);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("subdir/stray: not in the dump"), "{out}");
    assert!(out.contains(": 1 differences"), "{out}");
}
