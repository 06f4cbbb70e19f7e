//! `coda-rs dump to-tar` (spec §11): golden outputs through the binary,
//! stdin/stdout, failures that leave no OUT, refusals, and `--pax` archives
//! checked by extracting them with GNU tar.

use std::fs;
use std::path::Path;

use coda_rs_tests::{coda_rs, golden, names, read_golden, scratch};

const BLOCK: usize = 512;

/// Offset of the `..CodaACLs.yaml` header (the last member).
fn acl_header_offset(tar: &[u8]) -> usize {
    let mut at = tar.len() - 2 * BLOCK;
    loop {
        at -= BLOCK;
        if tar[at..].starts_with(b"..CodaACLs.yaml\0") {
            return at;
        }
    }
}

/// Equal except the ACL header's mtime and checksum (spec §11.6).
fn assert_same_tar(ours: &[u8], golden: &[u8], what: &str) {
    assert_eq!(ours.len(), golden.len(), "{what}: length");
    let h = acl_header_offset(golden);
    for (i, (a, b)) in ours.iter().zip(golden).enumerate() {
        if !(h + 136..h + 156).contains(&i) {
            assert_eq!(a, b, "{what}: first difference at byte {i}");
        }
    }
}

#[test]
fn writes_the_golden_tars() {
    let dir = scratch();
    for name in ["harness-a-full", "server-b-incr", "server-b-incr-smallonly"] {
        let out = dir.path().join(format!("{name}.tar"));
        coda_rs()
            .args(["dump", "to-tar"])
            .arg(golden("dump", &format!("{name}.dump")))
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let ours = fs::read(&out).unwrap();
        assert_same_tar(&ours, &read_golden("dump", &format!("{name}.tar")), name);
    }
    // With the time of the real run the whole file is identical.
    let out = dir.path().join("native.tar");
    coda_rs()
        .args(["dump", "to-tar", "--acl-mtime", "1795672326", "-q"])
        .arg(golden("dump", "native-full.dump"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stderr("");
    assert!(fs::read(&out).unwrap() == read_golden("dump", "native-full.tar"));
}

#[test]
fn reads_stdin_and_writes_stdout() {
    let dump = read_golden("dump", "server-a-full.dump");
    let out = coda_rs()
        .args(["dump", "to-tar", "-", "-o", "-"])
        .write_stdin(dump.clone())
        .assert()
        .success();
    let stdout = &out.get_output().stdout;
    assert_same_tar(stdout, &read_golden("dump", "server-a-full.tar"), "stdin");
    // Without -o the tar goes to stdout too.
    let out = coda_rs()
        .args(["dump", "to-tar", "-q", "-"])
        .write_stdin(dump)
        .assert()
        .success();
    assert_same_tar(
        &out.get_output().stdout,
        &read_golden("dump", "server-a-full.tar"),
        "stdout",
    );
}

#[test]
fn bad_inode_dumps_fail_and_leave_no_output() {
    for (name, what) in [
        ("harness-badinode", "D_BADINODE"),
        ("server-badinode-redump", "Size mismatch"),
    ] {
        let dir = scratch();
        let out = dir.path().join("out.tar");
        let assert = coda_rs()
            .args(["dump", "to-tar"])
            .arg(golden("dump", &format!("{name}.dump")))
            .arg("-o")
            .arg(&out)
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(stderr.starts_with("coda-rs: "), "{name}: {stderr}");
        assert!(stderr.contains(what), "{name}: {stderr}");
        assert!(stderr.contains("vnode 0x2.0x2"), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(!out.exists(), "{name}: partial OUT left behind");
        assert!(names(dir.path()).is_empty(), "{name}: temporary file left");
    }
}

#[test]
fn refuses_to_replace_an_existing_output_without_force() {
    let dir = scratch();
    let out = dir.path().join("keep.tar");
    fs::write(&out, b"precious").unwrap();
    coda_rs()
        .args(["dump", "to-tar"])
        .arg(golden("dump", "native-full.dump"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(3);
    assert_eq!(fs::read(&out).unwrap(), b"precious");
    coda_rs()
        .args(["dump", "to-tar", "--force", "-q"])
        .arg(golden("dump", "native-full.dump"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(fs::read(&out).unwrap().len(), 2560);
    // A directory is never replaced.
    coda_rs()
        .args(["dump", "to-tar", "--force"])
        .arg(golden("dump", "native-full.dump"))
        .arg("-o")
        .arg(dir.path())
        .assert()
        .code(3);
    assert_eq!(names(dir.path()), vec!["keep.tar"]);
}

#[test]
fn json_summary_and_usage_errors() {
    let dir = scratch();
    let out = dir.path().join("a.tar");
    let assert = coda_rs()
        .args(["dump", "to-tar", "--json", "-q"])
        .arg(golden("dump", "harness-a-full.dump"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(doc["directories"], 4);
    assert_eq!(doc["symlinks"], 2);
    assert_eq!(doc["hard_links"], 1);
    assert_eq!(doc["tar_bytes"], 356_864);
    // --json needs stdout free; -hp is limited to 30 bits.
    coda_rs()
        .args(["dump", "to-tar", "--json", "-"])
        .assert()
        .code(2);
    coda_rs()
        .args(["dump", "to-tar", "--hash-power", "31", "-"])
        .assert()
        .code(2);
    let help = coda_rs()
        .args(["dump", "to-tar", "--help"])
        .assert()
        .success();
    let help = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    assert!(
        help.contains("Examples:") && help.contains("--pax"),
        "{help}"
    );
}

/// Extracts `tar` with GNU tar into a fresh directory.
fn extract(tar: &Path) -> tempfile::TempDir {
    let dir = scratch();
    let status = std::process::Command::new("tar")
        .arg("-xf")
        .arg(tar)
        .arg("-C")
        .arg(dir.path())
        .status()
        .expect("run GNU tar");
    assert!(status.success(), "tar -xf {}", tar.display());
    dir
}

#[test]
fn pax_keeps_long_names_and_symlink_targets() {
    let dir = scratch();
    let plain = dir.path().join("plain.tar");
    let pax = dir.path().join("pax.tar");
    for (out, extra) in [(&plain, None), (&pax, Some("--pax"))] {
        let mut cmd = coda_rs();
        cmd.args(["dump", "to-tar", "-q"]);
        if let Some(e) = extra {
            cmd.arg(e);
        }
        cmd.arg(golden("dump", "harness-a-full.dump"))
            .arg("-o")
            .arg(out)
            .assert()
            .success();
    }
    // Names and targets from the README / state-a manifest.
    let long_name = format!(
        "{}-this-component-is-longer-than-one-hundred-bytes-{}",
        "n".repeat(60),
        "x".repeat(10)
    );
    assert_eq!(long_name.len(), 119);
    let target = format!("/coda/{}", "t".repeat(114));

    let x = extract(&pax);
    let root = x.path().join("golden.backup");
    assert_eq!(
        fs::read(root.join("subdir").join(&long_name))
            .unwrap()
            .len(),
        10
    );
    assert_eq!(
        fs::read_link(root.join("longlink"))
            .unwrap()
            .to_str()
            .unwrap(),
        target
    );
    assert_eq!(
        fs::read_link(root.join("link-to-readme"))
            .unwrap()
            .to_str()
            .unwrap(),
        "README.txt"
    );
    assert_eq!(fs::read(root.join("big.bin")).unwrap().len(), 200_000);

    // Without --pax the tar is codadump2tar's: the name and the target are
    // cut (spec §11.2, README).
    let x = extract(&plain);
    let root = x.path().join("golden.backup");
    let cut = format!("{}~~~", &long_name[..96]);
    assert!(root.join("subdir").join(&cut).is_file());
    assert!(!root.join("subdir").join(&long_name).exists());
    assert_eq!(
        fs::read_link(root.join("longlink"))
            .unwrap()
            .to_str()
            .unwrap(),
        &target[..99]
    );

    // The PAX archive holds the same ustar records plus the extended
    // headers: it is longer by exactly their blocks (header + data block).
    let plain_len = fs::metadata(&plain).unwrap().len();
    let pax_len = fs::metadata(&pax).unwrap().len();
    assert_eq!(pax_len, plain_len + 2 * 2 * BLOCK as u64);
}
