//! Restoring from tape, through the tape emulator (the real `st` driver is
//! tape_qemu.rs): record sizes 512, 10240, 65536, 262144 and variable,
//! records larger than the read buffer (ENOMEM consumes the record: MTBSR
//! and re-read, never past the drive's 1 MiB limit), fixed-block mode,
//! block limits, tape file positioning (MTFSF), filemarks, end of data,
//! tar-wrapped dumps.

mod restore_support;

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use coda_rs_tests::{coda_rs, scratch};
use restore_support::{golden_dump, manifest_differences};
use volume_dump::restore::tape::{next_read_size, TapeDevice, TapeEmulator, TapeReader};
use volume_dump::restore::{restore_chain, RestoreOptions};
use volume_dump::tar::TarStream;
use volume_dump::{Dump, ReadOptions};

fn bytes(name: &str) -> Vec<u8> {
    fs::read(golden_dump(name)).unwrap()
}

fn incr() -> Dump {
    Dump::read(&bytes("server-b-incr.dump")[..], ReadOptions::default()).unwrap()
}

/// A ustar archive of `members` made by the system's `tar`.
fn tar_of(dir: &Path, members: &[(&str, &[u8])]) -> Vec<u8> {
    let src = dir.join("tar-src");
    fs::create_dir_all(&src).unwrap();
    let mut cmd = std::process::Command::new("tar");
    cmd.args(["--format=ustar", "-b", "20", "-cf", "-", "-C"])
        .arg(&src);
    for (name, data) in members {
        fs::write(src.join(name), data).unwrap();
        cmd.arg(name);
    }
    let out = cmd.output().expect("run tar");
    assert!(out.status.success());
    out.stdout
}

/// Label tar, then the full dump A raw, then a tar holding incremental B.
fn backup_tape(dir: &Path, cut: impl Fn(&mut TapeEmulator, &[u8])) -> TapeEmulator {
    let label = tar_of(
        dir,
        &[(
            "TAPELABEL",
            b"coda backup 2026-11-26\nvolumes: golden.backup\n",
        )],
    );
    let incr_tar = tar_of(dir, &[("golden.backup.incr", &bytes("server-b-incr.dump"))]);
    let mut t = TapeEmulator::new();
    cut(&mut t, &label);
    cut(&mut t, &bytes("server-a-full.dump"));
    cut(&mut t, &incr_tar);
    cut(&mut t, &label);
    t
}

fn restore_from(reader: impl Read, into: &Path) {
    restore_chain(
        reader,
        &[incr()],
        into,
        &RestoreOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        manifest_differences(into, "state-b.manifest.json"),
        Vec::<String>::new()
    );
}

#[test]
fn fixed_block_sizes() {
    for block in [512, 10240, 65536, 262144] {
        let t = scratch();
        let mut tape = backup_tape(t.path(), |e, d| {
            e.push_file(d, block);
        });
        let r = TapeReader::at_file(&mut tape, 1, None).unwrap();
        restore_from(r, &t.path().join("x"));
        assert_eq!(tape.enomem_reads, 0, "block {block}");
    }
}

#[test]
fn variable_block_sizes() {
    let t = scratch();
    let sizes = [512, 100_000, 10240, 3, 65536, 777, 262144, 1];
    let mut tape = backup_tape(t.path(), |e, d| {
        e.push_file_sizes(d, sizes.iter().copied().cycle().take(10_000));
    });
    let r = TapeReader::at_file(&mut tape, 1, None).unwrap();
    restore_from(r, &t.path().join("x"));
}

#[test]
fn records_larger_than_the_buffer_are_reread_not_lost() {
    let t = scratch();
    let mut tape = backup_tape(t.path(), |e, d| {
        e.push_file(d, 65536);
    });
    tape.forward_files(1).unwrap();
    let mut r = TapeReader::with_initial_size(&mut tape, 512);
    let mut got = Vec::new();
    r.read_to_end(&mut got).unwrap();
    assert_eq!(r.block_size(), Some(65536));
    drop(r);
    assert_eq!(got, bytes("server-a-full.dump"));
    assert!(tape.enomem_reads >= 1);
    assert_eq!(tape.back_spaces, tape.enomem_reads);
}

#[test]
fn forced_block_size_too_small_is_an_error() {
    let t = scratch();
    let mut tape = backup_tape(t.path(), |e, d| {
        e.push_file(d, 10240);
    });
    let mut r = TapeReader::at_file(&mut tape, 1, Some(512)).unwrap();
    let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
    assert!(err.to_string().contains("--block-size"), "{err}");
}

#[test]
fn emulator_enomem_consumes_the_record() {
    let mut t = TapeEmulator::new();
    t.push_file(&[1u8; 1024], 512);
    let mut small = [0u8; 100];
    let e = t.read_record(&mut small).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(12));
    let mut buf = [0u8; 512];
    assert_eq!(t.read_record(&mut buf).unwrap(), 512); // the second record
    assert_eq!(t.read_record(&mut buf).unwrap(), 0); // filemark
                                                     // End of data, as st reports it (tape_qemu.rs): 0 once, then EIO.
    assert_eq!(t.read_record(&mut buf).unwrap(), 0);
    assert_eq!(t.read_record(&mut buf).unwrap_err().raw_os_error(), Some(5));
    assert_eq!(t.read_record(&mut buf).unwrap_err().raw_os_error(), Some(5));
}

/// st in fixed-block mode returns as many whole blocks as fit in one read:
/// the block size is the drive's, not the length of the first read.
#[test]
fn fixed_block_mode_block_size_is_the_drives() {
    let full = bytes("server-a-full.dump");
    let other = bytes("server-b-full.dump");
    for block in [512, 1024, 10240] {
        let mut tape = TapeEmulator::new();
        tape.push_file(&full[..full.len() / block * block], block)
            .push_file(&other[..other.len() / block * block], block)
            .set_fixed_block_size(Some(block));
        let mut r = TapeReader::new(&mut tape, None);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert_eq!(r.block_size(), Some(block));
        assert!(r.records() < (got.len() / block) as u64, "block {block}");
        assert_eq!(got, &full[..full.len() / block * block]);
        let mut r = TapeReader::new(&mut tape, Some(3 * block));
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert_eq!(r.block_size(), Some(block));
        assert_eq!(got, &other[..other.len() / block * block]);
    }
}

/// A fixed-mode drive cannot read records of another size (st: EIO,
/// "Incorrect block size"): the error says so and how to fix it.
#[test]
fn fixed_block_mode_on_other_records_names_the_mode() {
    for (drive, records) in [(512, 10240), (10240, 512), (1024, 65536)] {
        let mut tape = TapeEmulator::new();
        tape.push_file(&bytes("server-a-full.dump"), records)
            .set_fixed_block_size(Some(drive));
        let mut r = TapeReader::new(&mut tape, None);
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("tape read error at record 1 (byte 0): ")
                && text.contains(&format!("fixed-block mode with {drive}-byte blocks"))
                && text.contains("mt setblk 0"),
            "{text}"
        );
    }
}

/// st refuses a variable-mode read larger than the drive's maximum block
/// (scsi_debug: 1 MiB) with EINVAL: after ENOMEM the buffer grows to
/// exactly 1 MiB, not past it, so every record the drive can hold is read.
#[test]
fn enomem_growth_stops_at_one_mib() {
    let full = bytes("server-a-full.dump");
    let mut data = Vec::new();
    while data.len() < 3 << 20 {
        data.extend_from_slice(&full);
    }
    for sizes in [
        vec![1 << 20],
        vec![600_000, 1 << 20, 700_000],
        vec![524_289],
    ] {
        for initial in [512, 1000, 4096, 300_000] {
            let mut tape = TapeEmulator::new();
            tape.push_file_sizes(&data, sizes.iter().copied().cycle().take(100))
                .set_block_limits(512, 1 << 20);
            let mut r = TapeReader::with_initial_size(&mut tape, initial);
            let mut got = Vec::new();
            r.read_to_end(&mut got).unwrap();
            assert_eq!(r.block_size(), Some(sizes[0]));
            drop(r);
            assert_eq!(got, data, "sizes {sizes:?} initial {initial}");
            assert!(tape.enomem_reads >= 1);
            assert_eq!(tape.back_spaces, tape.enomem_reads);
        }
    }
    assert_eq!(
        std::iter::successors(Some(512), |&n| (n < 1 << 24).then(|| next_read_size(n)))
            .collect::<Vec<_>>(),
        [512, 2048, 8192, 32768, 131072, 524288, 1048576, 2097152, 4194304, 8388608, 16777216]
    );
}

/// A read the drive refuses (EINVAL, outside its block limits) is an error
/// naming the read size.
#[test]
fn read_outside_the_block_limits_is_named() {
    for (min, max, forced) in [
        (512, 1 << 20, 100),
        (512, 1 << 20, 2 << 20),
        (1, 65536, 65537),
    ] {
        let mut tape = TapeEmulator::new();
        tape.push_file(&bytes("server-a-full.dump"), 512)
            .set_block_limits(min, max);
        let mut r = TapeReader::new(&mut tape, Some(forced));
        let text = io::copy(&mut r, &mut io::sink()).unwrap_err().to_string();
        assert!(
            text.contains(&format!("the drive refused a {forced}-byte read")),
            "{text}"
        );
    }
}

#[test]
fn reading_stops_at_the_filemark() {
    let t = scratch();
    let mut tape = backup_tape(t.path(), |e, d| {
        e.push_file(d, 10240);
    });
    let mut r = TapeReader::at_file(&mut tape, 1, None).unwrap();
    let mut got = Vec::new();
    r.read_to_end(&mut got).unwrap();
    assert_eq!(got, bytes("server-a-full.dump"));
    // The next tape file follows: the tar with the incremental.
    let mut r = TapeReader::new(&mut tape, None);
    let mut tar = TarStream::new(&mut r);
    let m = tar.find("golden.backup.incr").unwrap();
    assert_eq!(m.size, bytes("server-b-incr.dump").len() as u64);
    let mut inc = Vec::new();
    tar.data().read_to_end(&mut inc).unwrap();
    assert_eq!(inc, bytes("server-b-incr.dump"));
}

#[test]
fn dump_inside_a_tar_on_tape() {
    let t = scratch();
    let full_tar = tar_of(
        t.path(),
        &[("golden.backup.full", &bytes("server-a-full.dump"))],
    );
    let mut tape = TapeEmulator::new();
    tape.push_file(b"not a tar", 512)
        .push_file(&full_tar, 10240);
    let r = TapeReader::at_file(&mut tape, 1, None).unwrap();
    let mut tar = TarStream::new(r);
    tar.find("golden.backup.full").unwrap();
    restore_from(tar.data(), &t.path().join("x"));
}

#[test]
fn cli_tar_member_from_a_file_and_from_stdin() {
    let t = scratch();
    let tar = tar_of(
        t.path(),
        &[
            ("TAPELABEL", b"label\n"),
            ("golden.backup.full", &bytes("server-a-full.dump")),
        ],
    );
    let file = t.path().join("backup.tar");
    fs::write(&file, &tar).unwrap();
    let into = t.path().join("x");
    coda_rs()
        .args([
            "dump",
            "restore",
            "--tar-member",
            "golden.backup.full",
            "--into",
        ])
        .arg(&into)
        .arg(&file)
        .arg(golden_dump("server-b-incr.dump"))
        .assert()
        .success();
    assert_eq!(
        manifest_differences(&into, "state-b.manifest.json"),
        Vec::<String>::new()
    );
    let into = t.path().join("y");
    coda_rs()
        .args([
            "dump",
            "restore",
            "--tar-member",
            "golden.backup.full",
            "--into",
        ])
        .arg(&into)
        .arg("-")
        .pipe_stdin(&file)
        .unwrap()
        .assert()
        .success();
    assert_eq!(
        manifest_differences(&into, "state-a.manifest.json"),
        Vec::<String>::new()
    );
    coda_rs()
        .args(["dump", "restore", "--tar-member", "nosuch", "--into"])
        .arg(t.path().join("z"))
        .arg(&file)
        .assert()
        .code(1);
}

#[test]
fn cli_tape_ls_of_a_tar_file() {
    let t = scratch();
    let tar = tar_of(
        t.path(),
        &[
            ("TAPELABEL", b"coda backup 2026-11-26\n"),
            ("golden.backup.full", &bytes("server-a-full.dump")),
        ],
    );
    let file = t.path().join("backup.tar");
    fs::write(&file, &tar).unwrap();
    let out = coda_rs().args(["tape", "ls"]).arg(&file).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("TAPELABEL  23 bytes  label:"), "{text}");
    assert!(text.contains("    coda backup 2026-11-26"), "{text}");
    assert!(
        text.contains("golden.backup.full  297911 bytes  dump of golden.backup (01000110), full"),
        "{text}"
    );
}

#[test]
fn cli_tape_options() {
    let t = scratch();
    // A regular file read as a tape: records of the forced block size.
    let into = t.path().join("x");
    coda_rs()
        .args([
            "dump",
            "restore",
            "--tape",
            "--block-size",
            "10240",
            "--into",
        ])
        .arg(&into)
        .arg(golden_dump("server-a-full.dump"))
        .assert()
        .success();
    assert_eq!(
        manifest_differences(&into, "state-a.manifest.json"),
        Vec::<String>::new()
    );
    // Positioning needs a drive: MTFSF on a plain file fails clearly.
    let out = coda_rs()
        .args(["dump", "restore", "--tape", "--tape-file", "1", "--into"])
        .arg(t.path().join("y"))
        .arg(golden_dump("server-a-full.dump"))
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("MTFSF"), "{err}");
    // Tape options without a tape are a usage error.
    coda_rs()
        .args(["dump", "restore", "--tape-file", "1", "--into"])
        .arg(t.path().join("z"))
        .arg(golden_dump("server-a-full.dump"))
        .assert()
        .code(2);
}
