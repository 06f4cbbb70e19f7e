//! `--replace-rvm` (issue 11 item 5): `rvm init-log`, `init-data` and
//! `init` re-format a target only if it is all zero or already holds the
//! RVM structure being made (a valid log status block for a log, a valid
//! segment header for data); anything else is refused with exit 3, one line
//! naming the target and what it holds, and left byte-identical. `--force`
//! still overwrites anything; the two flags are distinct.

mod rvm_support;

use std::path::{Path, PathBuf};

use coda_rs_tests::{read_golden, scratch};
use rvm_support::{
    assert_refused, assert_same, golden_copy, loop_unavailable, mkfs_ext4, run_coda, FileState,
    Loop, Mask,
};

/// rdsinit case B of golden/rvm/README.md (b).
const RDS_B: [&str; 6] = ["1048576", "0x20000000", "524288", "262144", "100", "40"];

fn init_log(log: &Path, flags: &[&str]) -> (i32, String, String) {
    let mut args = vec!["rvm", "init-log", log.to_str().unwrap(), "1M"];
    args.extend(flags);
    run_coda(args)
}

fn init_data(log: &Path, data: &Path, flags: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "rvm",
        "init-data",
        log.to_str().unwrap(),
        data.to_str().unwrap(),
    ];
    args.extend(RDS_B);
    args.extend(flags);
    run_coda(args)
}

fn init(log: &Path, data: &Path, flags: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "rvm",
        "init",
        "--log",
        log.to_str().unwrap(),
        "--log-size",
        "1M",
        "--data",
        data.to_str().unwrap(),
        "--data-size",
        "4M",
    ];
    args.extend(flags);
    run_coda(args)
}

fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A sparse all-zero file of `len` bytes.
fn zeros(dir: &Path, name: &str, len: u64) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().set_len(len).unwrap();
    p
}

/// The log equals rvmutl's `i LOG 1M` outside the init stamps.
fn assert_fresh_1m_log(what: &str, log: &Path) {
    assert_same(
        what,
        &std::fs::read(log).unwrap(),
        &read_golden("rvm", "log_init_1M.log"),
        Mask::default().init_status(0),
    );
}

/// The data segment equals rdsinit B's.
fn assert_rdsinit_b(what: &str, data: &Path) {
    assert!(
        std::fs::read(data).unwrap() == read_golden("rvm", "rdsinit_B.data"),
        "{what}: data differs from golden rdsinit_B.data"
    );
}

/// Non-RVM contents, each with the words the refusal must use.
fn foreign(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut one_byte = vec![0u8; 3 << 20];
    one_byte[3_000_000] = 1;
    let ext4 = zeros(dir, "ext4.img", 16 << 20);
    mkfs_ext4(&ext4);
    vec![
        (
            put(dir, "notes.txt", b"user data\n"),
            "holds data that is not RVM (first nonzero byte at offset 0)".into(),
        ),
        (
            put(dir, "one-byte", &one_byte),
            "holds data that is not RVM (first nonzero byte at offset 3000000)".into(),
        ),
        (
            {
                let mut x = vec![0u8; 8192];
                x[..4].copy_from_slice(b"XFSB");
                put(dir, "xfs.img", &x)
            },
            "XFS filesystem".into(),
        ),
        (ext4, "ext4 filesystem".into()),
    ]
}

#[test]
fn replace_rvm_accepts_zeros_and_rvm_structures() {
    let dir = scratch();
    let d = dir.path();
    // Logs: missing, empty, all-zero, an existing valid log (file layout).
    let targets = [
        d.join("missing.log"),
        put(d, "empty.log", b""),
        zeros(d, "zero.log", 5 << 20),
        golden_copy(d, "log_init_64K.log", "old.log"),
        golden_copy(d, "crash1.log.crash", "pending.log"),
    ];
    for log in &targets {
        let (code, _, err) = init_log(log, &["--replace-rvm"]);
        assert_eq!(code, 0, "{}: {err}", log.display());
        assert_fresh_1m_log(&log.display().to_string(), log);
    }
    // Data: missing, all-zero, an existing segment (another layout).
    let log = &targets[0];
    for data in [
        d.join("missing.data"),
        zeros(d, "zero.data", 8 << 20),
        golden_copy(d, "rdsinit_C.data", "old.data"),
        golden_copy(d, "crash1.data.crash.gz", "crash.data"),
    ] {
        let (code, _, err) = init_data(log, &data, &["--replace-rvm"]);
        assert_eq!(code, 0, "{}: {err}", data.display());
        assert_rdsinit_b(&data.display().to_string(), &data);
    }
    // init: both at once over an old pair.
    let l = golden_copy(d, "rdsinit_A.log", "pair.log");
    let data = golden_copy(d, "rdsinit_A.data.gz", "pair.data");
    let (code, out, err) = init(&l, &data, &["--replace-rvm"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("rvm_data_length=4194304"), "{out}");
    rvm::StatusBlock::decode(&std::fs::read(&l).unwrap()[..2560]).expect("a valid log");
}

#[test]
fn replace_rvm_refuses_other_data_untouched() {
    let dir = scratch();
    let d = dir.path();
    let log = golden_copy(d, "log_init_64K.log", "LOG");
    let seg = golden_copy(d, "rdsinit_B.data", "SEG");
    let mut cases = foreign(d);
    cases.push((
        seg.clone(),
        "RVM data segment header, not an RVM log".into(),
    ));
    for (target, why) in &cases {
        let name = target.display().to_string();
        let before = FileState::of(target);
        let got = init_log(target, &["--replace-rvm"]);
        assert_refused(&name, &got, 3, &[&name, why, "--replace-rvm"]);
        assert!(FileState::of(target) == before, "{name}: changed");
        // init checks both targets before writing either.
        let fresh = d.join("fresh.data");
        let got = init(target, &fresh, &["--replace-rvm"]);
        assert_refused(&name, &got, 3, &[&name, why]);
        assert!(FileState::of(target) == before, "{name}: changed by init");
        assert!(!fresh.exists(), "{name}: init created its data");
    }
    // As data: the same contents, and a log where data should go.
    let mut cases = foreign(d);
    cases.push((log.clone(), "valid RVM log, not an RVM data segment".into()));
    let log2 = golden_copy(d, "log_init_64K.log", "LOG2");
    for (target, why) in &cases {
        let name = target.display().to_string();
        let before = (FileState::of(target), FileState::of(&log2));
        let got = init_data(&log2, target, &["--replace-rvm"]);
        assert_refused(&name, &got, 3, &[&name, why]);
        let got = init(&log2, target, &["--replace-rvm"]);
        assert_refused(&name, &got, 3, &[&name, why]);
        assert!(
            (FileState::of(target), FileState::of(&log2)) == before,
            "{name}: a target changed"
        );
    }
}

#[test]
fn force_still_overwrites_and_the_flags_are_distinct() {
    let dir = scratch();
    let d = dir.path();
    let log = golden_copy(d, "log_init_64K.log", "LOG");
    for (target, _) in foreign(d) {
        let (code, _, err) = init_log(&target, &["--force"]);
        assert_eq!(code, 0, "{}: {err}", target.display());
        assert_fresh_1m_log("--force", &target);
    }
    for (target, _) in foreign(d) {
        let (code, _, err) = init_data(&log, &target, &["--force"]);
        assert_eq!(code, 0, "{}: {err}", target.display());
        assert_rdsinit_b("--force", &target);
    }
    let notes = put(d, "notes", b"keep\n");
    let before = FileState::of(&notes);
    for cmd in [
        init_log(&notes, &["--force", "--replace-rvm"]),
        init_data(&log, &notes, &["--force", "--replace-rvm"]),
        init(&notes, &d.join("x"), &["--force", "--replace-rvm"]),
    ] {
        assert_eq!(cmd.0, 2, "both flags: a usage error: {}", cmd.2);
    }
    assert!(FileState::of(&notes) == before);
    for sub in ["init-log", "init-data", "init"] {
        let (code, out, _) = run_coda(["rvm", sub, "--help"]);
        assert_eq!(code, 0);
        assert!(
            out.contains("--replace-rvm") && out.contains("--force") && out.contains("in use"),
            "{sub} --help documents both flags: {out}"
        );
    }
}

#[test]
fn replace_rvm_on_block_devices() {
    let dir = scratch();
    let d = dir.path();
    let img = zeros(d, "dev.img", 8 << 20);
    let Some(dev) = Loop::attach(&img) else {
        return loop_unavailable("replace_rvm_on_block_devices");
    };
    // An all-zero device, then the raw log just made on it.
    for round in ["zero device", "existing raw log"] {
        let (code, _, err) = init_log(&dev.dev, &["--replace-rvm"]);
        assert_eq!(code, 0, "{round}: {err}");
        // The golden's first 8192 bytes are its image's 0xAA (untouched).
        let end = 8192 + 2560 + (1 << 20);
        let got = std::fs::read(&img).unwrap();
        assert_same(
            round,
            &got[8192..end],
            &read_golden("rvm", "rawlog_init_1M.img.gz")[8192..end],
            Mask::default().init_status(0),
        );
    }
    // The raw log is not a data segment.
    let log = golden_copy(d, "log_init_64K.log", "LOG");
    let got = init_data(&log, &dev.dev, &["--replace-rvm"]);
    assert_refused(
        "log as data",
        &got,
        3,
        &["valid RVM log, not an RVM data segment"],
    );
    // Zero it (through the device, whose cache would otherwise go stale),
    // then data twice: zero device, existing segment.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&dev.dev)
            .unwrap();
        f.write_all(&vec![0u8; 8 << 20]).unwrap();
        f.sync_all().unwrap();
    }
    for round in ["zero device", "existing segment"] {
        let (code, _, err) = init_data(&log, &dev.dev, &["--replace-rvm"]);
        assert_eq!(code, 0, "{round}: {err}");
        let got = std::fs::read(&img).unwrap();
        assert!(
            got[..1 << 20] == read_golden("rvm", "rdsinit_B.data")[..],
            "{round}: segment differs from rdsinit B"
        );
    }
    // An ext4 filesystem (not mounted) is not RVM; its bytes stay.
    mkfs_ext4(&dev.dev);
    let before = std::fs::read(&img).unwrap();
    for got in [
        init_log(&dev.dev, &["--replace-rvm"]),
        init_data(&log, &dev.dev, &["--replace-rvm"]),
    ] {
        assert_refused(
            "ext4 device",
            &got,
            3,
            &["ext4 filesystem", "--replace-rvm"],
        );
    }
    assert!(
        std::fs::read(&img).unwrap() == before,
        "ext4 device changed"
    );
}

#[test]
fn log_and_data_must_be_different_files() {
    let dir = scratch();
    let d = dir.path();
    let log = golden_copy(d, "log_init_64K.log", "LOG");
    let hard = d.join("hard");
    std::fs::hard_link(&log, &hard).unwrap();
    let sym = d.join("sym");
    std::os::unix::fs::symlink(&log, &sym).unwrap();
    let before = FileState::of(&log);
    for other in [&log, &hard, &sym] {
        for flags in [&[][..], &["--force"], &["--replace-rvm"]] {
            let name = format!("{} {flags:?}", other.display());
            let got = init(&log, other, flags);
            assert_refused(&name, &got, 2, &["--log and --data name the same file"]);
            let got = init_data(&log, other, flags);
            assert_refused(&name, &got, 2, &["is the log", "itself"]);
            assert!(FileState::of(&log) == before, "{name}: log changed");
        }
    }
}
