//! Large files leave the dump by the kernel where they can (issue 12):
//! out of a dump file with `copy_file_range` by the writer threads while
//! the stream seeks on, out of a pipe with `splice`, out of a standard
//! input redirected from a file whose dump starts mid-file. Every way, with
//! one writer or many and with `--sync`, the restored files hold the bytes
//! of the tree the dump was made from; a dump file cut inside a large
//! file's data fails naming where the stream ends.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use coda_rs_tests::{coda_rs, coda_rs_path, file_contents, scratch};

const MIB: usize = 1 << 20;

/// `len` bytes that differ from file to file (`seed`) and along the file.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The source tree: large files (just over the writers' 1 MiB limit and
/// well over it) in the root and two levels down, small files between
/// them, a second name of a large file.
fn source_tree(root: &Path) {
    let e = root.join("d/e");
    fs::create_dir_all(&e).unwrap();
    fs::write(root.join("big0"), pattern(1, MIB + 1)).unwrap();
    for i in 0..40 {
        fs::write(
            root.join(format!("d/small{i}")),
            pattern(100 + i, 97 * i as usize),
        )
        .unwrap();
    }
    fs::write(root.join("d/big1"), pattern(2, 3 * MIB + 77)).unwrap();
    fs::write(e.join("big2"), pattern(3, 5 * MIB)).unwrap();
    fs::hard_link(e.join("big2"), e.join("big2-link")).unwrap();
    fs::write(e.join("tail"), b"last").unwrap();
}

/// The dump of the source tree, and the tree's files.
fn dump_of_tree(dir: &Path) -> (PathBuf, BTreeMap<PathBuf, Option<Vec<u8>>>) {
    let src = dir.join("src");
    source_tree(&src);
    let dump = dir.join("vol.dump");
    coda_rs()
        .args(["dump", "create"])
        .arg(&src)
        .arg("-o")
        .arg(&dump)
        .args(["--volume-id", "1000102", "--volume-name", "direct.backup"])
        .assert()
        .success();
    (dump, file_contents(&src))
}

/// The files restored into `into`, the ACL file left out.
fn restored(into: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut got = file_contents(into);
    got.remove(Path::new("..CodaACLs.yaml"));
    got
}

/// Runs `coda-rs dump restore ARGS --into INTO` with `stdin`; its output.
fn restore(args: &[&str], into: &Path, stdin: Stdio) -> std::process::Output {
    Command::new(coda_rs_path())
        .args(["dump", "restore", "--quiet"])
        .args(args)
        .arg("--into")
        .arg(into)
        .stdin(stdin)
        .output()
        .unwrap()
}

fn assert_ok(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn large_files_come_out_whole_every_way() {
    let t = scratch();
    let (dump, want) = dump_of_tree(t.path());
    let d = dump.to_str().unwrap();
    for (what, args) in [
        ("a dump file", vec![d]),
        ("a dump file, one writer", vec![d, "--workers", "1"]),
        ("a dump file, --sync", vec![d, "--sync"]),
    ] {
        let into = t.path().join(what.replace([' ', ','], "_"));
        assert_ok(&restore(&args, &into, Stdio::null()), what);
        assert!(
            restored(&into) == want,
            "{what}: files differ from the source"
        );
    }

    // A pipe from another process.
    let into = t.path().join("pipe");
    let mut cat = Command::new("cat")
        .arg(&dump)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = restore(&["-"], &into, Stdio::from(cat.stdout.take().unwrap()));
    assert!(cat.wait().unwrap().success());
    assert_ok(&out, "a pipe");
    assert!(
        restored(&into) == want,
        "a pipe: files differ from the source"
    );

    // Standard input redirected from a file that holds other bytes first:
    // the dump starts at the descriptor's offset, not at byte 0.
    let padded = t.path().join("padded");
    let mut f = File::create(&padded).unwrap();
    f.write_all(&pattern(9, 12_345)).unwrap();
    f.write_all(&fs::read(&dump).unwrap()).unwrap();
    drop(f);
    let mut f = File::open(&padded).unwrap();
    f.seek(SeekFrom::Start(12_345)).unwrap();
    let into = t.path().join("offset");
    assert_ok(
        &restore(&["-"], &into, Stdio::from(f)),
        "stdin at an offset",
    );
    assert!(
        restored(&into) == want,
        "stdin at an offset: files differ from the source"
    );
}

#[test]
fn a_dump_file_cut_in_large_data_fails_naming_its_end() {
    let t = scratch();
    let (dump, _) = dump_of_tree(t.path());
    let bytes = fs::read(&dump).unwrap();
    // The first bytes of d/big1 (unique to it), then 1 MiB into its data.
    let head = pattern(2, 64);
    let start = bytes
        .windows(head.len())
        .position(|w| w == head.as_slice())
        .expect("d/big1's data is in the dump");
    let cut = start + MIB;
    let short = t.path().join("short.dump");
    fs::write(&short, &bytes[..cut]).unwrap();
    let mut cat = Command::new("cat")
        .arg(&short)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let piped = restore(
        &["-"],
        &t.path().join("pipe"),
        Stdio::from(cat.stdout.take().unwrap()),
    );
    assert!(cat.wait().unwrap().success());
    let s = short.to_str().unwrap();
    let from_file = restore(&[s], &t.path().join("file"), Stdio::null());
    for (what, out) in [("a file", from_file), ("a pipe", piped)] {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        assert!(
            err.contains(&format!("byte offset {cut}")) && err.contains("stream ends early"),
            "{what}: {err}"
        );
    }
}
