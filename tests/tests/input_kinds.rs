//! Input recognised before it is parsed (issue 16): a gzip-compressed
//! dump is read as if `zcat` had been put in front of it, streaming, in
//! bounded memory; a file of the wrong kind is named for what it is (an
//! RVM log given as a dump, a dump given as a log, a tar archive, xz or
//! zstd data), in one line, before anything is written.
//!
//! The gzip files are made by the system's `gzip`, the reference trees by
//! `zcat FILE | coda-rs dump restore -`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use coda_rs_tests::{coda_rs, coda_rs_path, golden, scratch, tree_state};

/// The restore journal, which names the source and so differs.
const JOURNAL: &str = ".coda-rs-restore.json";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// The ACL file a restore writes into a target that cannot hold ACLs;
/// its mtime is the time of the restore.
const ACLS: &str = "..CodaACLs.yaml";

/// The restored tree without the journal, the ACL file's content instead
/// of its state.
fn restore_state(dir: &Path) -> (std::collections::BTreeMap<PathBuf, String>, Option<Vec<u8>>) {
    let acls = dir.join(ACLS);
    (
        tree_state(dir, &[&dir.join(JOURNAL), &acls]),
        std::fs::read(&acls).ok(),
    )
}

#[test]
fn a_gzip_dump_restores_like_zcat_into_stdin() {
    let work = scratch();
    for name in [
        "native-full",
        "server-a-full",
        "harness-a-full",
        "server-b-full",
    ] {
        let dump = std::fs::read(golden("dump", &format!("{name}.dump"))).unwrap();
        // One gzip member, and two (the halves gzipped apart and joined,
        // as `cat a.gz b.gz` makes).
        let (a, b) = dump.split_at(dump.len() / 2);
        let two = [gzip(a), gzip(b)].concat();
        for (variant, gz) in [("one", gzip(&dump)), ("two", two)] {
            let file = work.path().join(format!("{name}.{variant}.dump.gz"));
            std::fs::write(&file, &gz).unwrap();
            let from_gz = work.path().join(format!("{name}.{variant}.gz-tree"));
            let out = coda_rs()
                .args(["dump", "restore", "--quiet"])
                .arg(&file)
                .arg("--into")
                .arg(&from_gz)
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name} {variant}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let from_pipe = work.path().join(format!("{name}.{variant}.pipe-tree"));
            let zcat = Command::new("zcat").arg(&file).output().unwrap();
            assert!(zcat.status.success());
            coda_rs()
                .args(["dump", "restore", "--quiet", "-", "--into"])
                .arg(&from_pipe)
                .write_stdin(zcat.stdout)
                .assert()
                .code(0);
            assert_eq!(
                restore_state(&from_gz),
                restore_state(&from_pipe),
                "{name} {variant}"
            );
        }
        // Read from a pipe too: `gzip -c | coda-rs dump restore -`.
        let from_stdin_gz = work.path().join(format!("{name}.stdin-gz-tree"));
        coda_rs()
            .args(["dump", "restore", "--quiet", "-", "--into"])
            .arg(&from_stdin_gz)
            .write_stdin(gzip(&dump))
            .assert()
            .code(0);
        let from_pipe = work.path().join(format!("{name}.one.pipe-tree"));
        assert_eq!(restore_state(&from_stdin_gz), restore_state(&from_pipe));
    }
}

#[test]
fn gzip_dumps_are_listed_and_verified_as_the_dump_is() {
    for name in ["native-full", "server-b-incr"] {
        let path = golden("dump", &format!("{name}.dump"));
        let dump = std::fs::read(&path).unwrap();
        for sub in [vec!["ls"], vec!["verify"], vec!["ls", "--json"]] {
            let plain = coda_rs()
                .arg("dump")
                .args(&sub)
                .arg("-")
                .write_stdin(dump.clone())
                .output()
                .unwrap();
            let gz = coda_rs()
                .arg("dump")
                .args(&sub)
                .arg("-")
                .write_stdin(gzip(&dump))
                .output()
                .unwrap();
            assert_eq!(plain.status.code(), gz.status.code(), "{name} {sub:?}");
            assert_eq!(plain.stdout, gz.stdout, "{name} {sub:?}");
        }
    }
}

/// Runs `args`, waits with `wait4` and returns the exit code and the
/// child's own peak resident set (KiB).
fn run_measured(args: &[&std::ffi::OsStr]) -> (i32, i64) {
    let child = Command::new(coda_rs_path())
        .args(args)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; pid is our child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid);
    std::mem::forget(child);
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}

#[test]
fn a_large_gzip_dump_restores_in_bounded_memory() {
    let work = scratch();
    let src = work.path().join("src");
    std::fs::create_dir(&src).unwrap();
    // 192 MiB of file data, which gzip makes small: a restore that held
    // the decoded stream would need all of it.
    let mut f = std::fs::File::create(src.join("big")).unwrap();
    let block = vec![0x5au8; 1 << 20];
    for _ in 0..192 {
        f.write_all(&block).unwrap();
    }
    drop(f);
    let dump = work.path().join("big.dump");
    coda_rs()
        .args(["dump", "create"])
        .arg(&src)
        .arg("-o")
        .arg(&dump)
        .args(["--volume-id", "1000102", "--volume-name", "big.backup"])
        .assert()
        .code(0);
    let gz = work.path().join("big.dump.gz");
    let st = Command::new("gzip").arg("-k").arg(&dump).status().unwrap();
    assert!(st.success());
    std::fs::remove_file(&dump).unwrap();
    let into = work.path().join("restored");
    let (code, rss_kib) = run_measured(&[
        "dump".as_ref(),
        "restore".as_ref(),
        "--quiet".as_ref(),
        gz.as_os_str(),
        "--into".as_ref(),
        into.as_os_str(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::metadata(into.join("big")).unwrap().len(),
        192 << 20
    );
    assert!(
        rss_kib < 96 * 1024,
        "peak RSS {rss_kib} KiB for a 192 MiB dump"
    );
}

/// `coda-rs ARGS` fails with exit 1 and one error line naming `path` and
/// containing every one of `says`; nothing appears in `untouched`.
fn refused(args: &[&std::ffi::OsStr], path: &Path, says: &[&str], untouched: &Path) {
    let out = coda_rs().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.starts_with(&format!("coda-rs: {}: ", path.display())),
        "{err}"
    );
    for s in says {
        assert!(err.contains(s), "{args:?}: {s:?} missing: {err}");
    }
    assert!(
        !untouched.exists(),
        "{args:?} created {}",
        untouched.display()
    );
}

#[test]
fn a_file_of_another_kind_given_as_a_dump_is_named() {
    let work = scratch();
    let into = work.path().join("t");
    let log = golden("rvm", "crash1.log.crash");
    let tar = golden("dump", "native-full.tar");
    let dump = std::fs::read(golden("dump", "native-full.dump")).unwrap();
    let xz = work.path().join("d.dump.xz");
    let out = Command::new("xz")
        .args(["-c"])
        .arg(golden("dump", "native-full.dump"))
        .output()
        .unwrap();
    std::fs::write(&xz, out.stdout).unwrap();
    let gz_log = work.path().join("log.gz");
    std::fs::write(&gz_log, gzip(&std::fs::read(&log).unwrap())).unwrap();
    // zstd's frame magic (RFC 8878 §3.1.1) in front of anything.
    let zst = work.path().join("d.dump.zst");
    std::fs::write(
        &zst,
        [&[0x28u8, 0xb5, 0x2f, 0xfd][..], &dump[..64]].concat(),
    )
    .unwrap();
    let cases: [(&Path, &[&str]); 5] = [
        (&log, &["an RVM log", "expected a volume dump"]),
        (&tar, &["a tar archive", "--tar-member"]),
        (&xz, &["xz-compressed", "xzcat"]),
        (&zst, &["zstd-compressed", "zstdcat"]),
        (&gz_log, &["an RVM log, gzip-compressed"]),
    ];
    for (path, says) in cases {
        for sub in [
            &["dump", "ls"][..],
            &["dump", "verify"],
            &["dump", "to-tar"],
        ] {
            let mut args: Vec<&std::ffi::OsStr> = sub.iter().map(|s| s.as_ref()).collect();
            args.push(path.as_os_str());
            refused(&args, path, says, &into);
        }
        let args: [&std::ffi::OsStr; 5] = [
            "dump".as_ref(),
            "restore".as_ref(),
            path.as_os_str(),
            "--into".as_ref(),
            into.as_os_str(),
        ];
        refused(&args, path, says, &into);
    }
}

#[test]
fn tape_ls_of_a_gzip_dump_lists_it_and_of_a_log_fails() {
    let work = scratch();
    let gz = work.path().join("x.dump.gz");
    std::fs::write(
        &gz,
        gzip(&std::fs::read(golden("dump", "native-full.dump")).unwrap()),
    )
    .unwrap();
    let out = coda_rs().args(["tape", "ls"]).arg(&gz).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(gzip-compressed)"), "{text}");
    // The volume name and id of native-full.readdump.txt.
    assert!(
        text.contains("dump of testvol.0.backup (01000002), full"),
        "{text}"
    );
    let log = golden("rvm", "crash1.log.crash");
    let out = coda_rs().args(["tape", "ls"]).arg(&log).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("an RVM log") && err.contains("expected a tape file"),
        "{err}"
    );
}
