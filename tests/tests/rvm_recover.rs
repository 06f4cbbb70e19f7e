//! `coda-rs rvm recover` on the golden crash vectors (golden/rvm/README.md
//! (c); spec §6, §9): data byte-identical with the real `rvmutl recover`,
//! status fields equal to `log.after`, quirk Q1 reproduced and rescued,
//! quirk Q2 refused cleanly and recovered with `--data`, crash safety.

use crate::rvm_support;

use std::path::{Path, PathBuf};

use coda_rs_tests::{coda_rs, read_golden, scratch};
use rvm::StatusBlock;
use rvm_support::{assert_same, Mask};

/// (case, log.crash golden, data.crash golden, data.after golden, log.after golden)
const CASES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "crash1",
        "crash1.log.crash",
        "crash1.data.crash.gz",
        "crash1.data.after.gz",
        "crash1.log.after",
    ),
    (
        "crashwrap",
        "crashwrap.log.crash",
        "crashwrap.data.crash",
        "crashwrap.data.after",
        "crashwrap.log.after",
    ),
    (
        "crashwrap2",
        "crashwrap2.log.crash",
        "crashwrap2.data.crash",
        "crashwrap2.data.after",
        "crashwrap2.log.after",
    ),
    (
        "crashwrapcut",
        "crashwrapcut.log.crash",
        "crashwrap.data.crash",
        "crashwrapcut.data.after",
        "crashwrapcut.log.after",
    ),
    (
        "crashbig4",
        "crashbig4.log.crash.gz",
        "crashbig4.data.crash.gz",
        "crashbig4.data.after.gz",
        "crashbig4.log.after.gz",
    ),
    (
        "crashbig24",
        "crashbig24.log.crash.gz",
        "crashbig24.data.crash.gz",
        "crashbig24.data.after.gz",
        "crashbig24.log.after.gz",
    ),
];

fn put(dir: &Path, golden: &str, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, read_golden("rvm", golden)).unwrap();
    p
}

fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = coda_rs()
        .arg("rvm")
        .arg("recover")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn status(log: &[u8]) -> StatusBlock {
    StatusBlock::decode(&log[..2560]).expect("valid status block")
}

/// Every status field except the run-dependent ones of spec §9.2 (times,
/// checksum) must equal the real tool's; trunc_state may be 0 or 520.
fn assert_status_like(case: &str, got: &StatusBlock, want: &StatusBlock) {
    assert!(
        matches!(got.trunc_state, 0 | 520),
        "{case}: trunc_state {}",
        got.trunc_state
    );
    let mut g = got.clone();
    let mut w = want.clone();
    for s in [&mut g, &mut w] {
        s.chk_sum = 0;
        s.status_write = Default::default();
        s.last_trunc = Default::default();
        s.prev_trunc = Default::default();
        s.tot_truncation_time = Default::default();
        s.last_truncation_time = 0;
        s.last_tree_build_time = 0;
        s.last_tree_apply_time = 0;
        s.trunc_state = 0;
    }
    assert_eq!(g, w, "{case}: status differs from the real tool's");
    assert_eq!(
        got.prev_trunc, got.last_trunc,
        "{case}: prev_trunc = last_trunc"
    );
}

#[test]
fn recover_reproduces_rvmutl_on_every_crash_golden() {
    let dir = scratch();
    for &(case, log_g, data_g, data_after, log_after) in CASES {
        let log = put(dir.path(), log_g, &format!("{case}.log"));
        let data = put(dir.path(), data_g, &format!("{case}.data"));
        let (code, out, err) = run(&[log.as_os_str(), "--data".as_ref(), data.as_os_str()]);
        assert_eq!(code, 0, "{case}: {out}{err}");
        let want = read_golden("rvm", data_after);
        assert_same(
            &format!("{case} data"),
            &std::fs::read(&data).unwrap(),
            &want,
            &Mask::default(),
        );
        let got_log = std::fs::read(&log).unwrap();
        let want_log = read_golden("rvm", log_after);
        // Outside the status area the log is untouched (README (c)).
        assert_same(
            &format!("{case} records"),
            &got_log,
            &want_log,
            Mask::default().add(0..2560),
        );
        assert_status_like(case, &status(&got_log), &status(&want_log));
        if case == "crashbig4" {
            assert!(
                err.contains("record #6") && err.contains("Q1") && err.contains("--rescue"),
                "{err}"
            );
        }
        if case == "crashwrapcut" {
            assert!(err.contains("record #23") && err.contains("split"), "{err}");
        }
    }
}

#[test]
fn rescue_applies_the_transaction_real_rvm_drops() {
    let dir = scratch();
    let log = put(dir.path(), "crashbig4.log.crash.gz", "log");
    let data = put(dir.path(), "crashbig4.data.crash.gz", "data");
    let logged = read_golden("rvm", "crashbig4.log.crash.gz");
    let (code, out, err) = run(&[
        log.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
        "--rescue".as_ref(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("rescued record #6"), "{err}");
    // README (c): one range of 261657 bytes at statics + 11 = file 987147;
    // spec §6.4: its data block starts at 9704, skew 3.
    let got = std::fs::read(&data).unwrap();
    assert_eq!(
        &got[987_147..987_147 + 261_657],
        &logged[9707..9707 + 261_657]
    );
    let before = read_golden("rvm", "crashbig4.data.crash.gz");
    assert_eq!(&got[..987_147], &before[..987_147]);
    assert_eq!(&got[987_147 + 261_657..], &before[987_147 + 261_657..]);
    let s = status(&std::fs::read(&log).unwrap());
    // The writer's tail: record #6 ends at 9496 + 261872 + 56.
    assert_eq!(
        (s.log_head, s.log_tail, s.next_rec_num),
        (271_424, 271_424, 7)
    );
    assert!(s.log_empty);
}

#[test]
fn q2_log_is_refused_untouched_and_recovered_with_data() {
    let dir = scratch();
    for golden in ["crashnoseg.log.crash", "crashnoseg.log.after"] {
        let log = put(dir.path(), golden, "log");
        let data = put(dir.path(), "crashnoseg.data.crash", "data");
        let (code, out, err) = run(&[log.as_os_str()]);
        assert_eq!(code, 1, "{golden}: {out}{err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("record #27") && err.contains("Q2") && err.contains("--data"),
            "{err}"
        );
        assert!(err.contains("Nothing was written"), "{err}");
        assert_eq!(
            std::fs::read(&log).unwrap(),
            read_golden("rvm", golden),
            "{golden}: log untouched"
        );

        let (code, out, err) = run(&[log.as_os_str(), "--data".as_ref(), data.as_os_str()]);
        assert_eq!(code, 0, "{golden}: {out}{err}");
        // data.crash plus record #27's single range (showall: range header
        // at log offset 7232, segment offset 163049, length 3066, skew 1).
        let logged = read_golden("rvm", "crashnoseg.log.crash");
        let mut want = read_golden("rvm", "crashnoseg.data.crash");
        want[163_049..163_049 + 3066]
            .copy_from_slice(&logged[7232 + 112 + 1..7232 + 112 + 1 + 3066]);
        assert_same(
            golden,
            &std::fs::read(&data).unwrap(),
            &want,
            &Mask::default(),
        );
        let s = status(&std::fs::read(&log).unwrap());
        assert_eq!(
            (
                s.log_head,
                s.log_tail,
                s.prev_log_head,
                s.prev_log_tail,
                s.log_empty,
                s.next_rec_num
            ),
            (10_472, 10_472, 0, 0, true, 28),
            "{golden}"
        );
    }
}

#[test]
fn dry_run_writes_nothing() {
    let dir = scratch();
    let log = put(dir.path(), "crash1.log.crash", "log");
    let data = put(dir.path(), "crash1.data.crash.gz", "data");
    let (code, out, err) = run(&[
        log.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
        "--dry-run".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["applied"], serde_json::json!([6, 7, 8, 9]));
    assert_eq!(j["log_tail"], 32_136);
    assert_eq!(j["dry_run"], true);
    // A dry run reports what it would do, not a state it did not reach:
    // no log_empty claim; the truncation a real run writes is the one of
    // crash1.log.after.status.txt (head = tail = 32136, last record 9).
    assert!(j.get("log_empty").is_none(), "{j}");
    assert_eq!(j["truncation"]["log_head"], 32_136);
    assert_eq!(j["truncation"]["log_tail"], 32_136);
    assert_eq!(j["truncation"]["next_record_number"], 10);
    assert_eq!(
        j["segments"][0]["bytes_changed"], 20_156,
        "README (c): 20156 data bytes change"
    );
    assert_eq!(
        std::fs::read(&log).unwrap(),
        read_golden("rvm", "crash1.log.crash")
    );
    assert_eq!(
        std::fs::read(&data).unwrap(),
        read_golden("rvm", "crash1.data.crash.gz")
    );
}

#[test]
fn a_recover_interrupted_anywhere_is_finished_by_a_rerun() {
    let dir = scratch();
    for (case, point) in [
        ("crash1", "epoch-switch"),
        ("crash1", "apply"),
        ("crashwrap", "epoch-switch"),
        ("crashwrap", "apply"),
    ] {
        let (lg, dg, da, la) = if case == "crash1" {
            (
                "crash1.log.crash",
                "crash1.data.crash.gz",
                "crash1.data.after.gz",
                "crash1.log.after",
            )
        } else {
            (
                "crashwrap.log.crash",
                "crashwrap.data.crash",
                "crashwrap.data.after",
                "crashwrap.log.after",
            )
        };
        let log = put(dir.path(), lg, "log");
        let data = put(dir.path(), dg, "data");
        let (code, _, err) = run(&[
            log.as_os_str(),
            "--data".as_ref(),
            data.as_os_str(),
            "--test-abort-after".as_ref(),
            point.as_ref(),
        ]);
        assert_eq!(code, 1, "{case}/{point}: {err}");
        let mid = status(&std::fs::read(&log).unwrap());
        assert_ne!(mid.prev_log_head, 0, "{case}/{point}: left mid-truncation");
        let (code, _, err) = run(&[log.as_os_str(), "--data".as_ref(), data.as_os_str()]);
        assert_eq!(code, 0, "{case}/{point}: rerun: {err}");
        assert_same(
            case,
            &std::fs::read(&data).unwrap(),
            &read_golden("rvm", da),
            &Mask::default(),
        );
        let got = status(&std::fs::read(&log).unwrap());
        let want = status(&read_golden("rvm", la));
        assert_eq!(
            (
                got.log_head,
                got.log_tail,
                got.prev_log_head,
                got.log_empty,
                got.next_rec_num
            ),
            (
                want.log_head,
                want.log_tail,
                want.prev_log_head,
                want.log_empty,
                want.next_rec_num
            ),
            "{case}/{point}"
        );
    }
}

#[test]
fn a_freshly_formatted_pair_recovers_as_a_no_op() {
    let dir = scratch();
    let log = dir.path().join("LOG");
    let data = dir.path().join("DATA");
    coda_rs()
        .args(["rvm", "init", "--log"])
        .arg(&log)
        .args(["--log-size", "1M", "--data"])
        .arg(&data)
        .args(["--data-size", "32M", "--sparse"])
        .assert()
        .success();
    let before_data = std::fs::read(&data).unwrap();
    let before = status(&std::fs::read(&log).unwrap());
    let (code, out, err) = run(&[log.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing to apply"), "{out}");
    assert_eq!(std::fs::read(&data).unwrap(), before_data);
    let after = status(&std::fs::read(&log).unwrap());
    assert_eq!(
        (
            after.log_head,
            after.log_tail,
            after.next_rec_num,
            after.log_empty,
            after.tot_recovery
        ),
        (
            before.log_head,
            before.log_tail,
            before.next_rec_num,
            true,
            0
        )
    );
    // status agrees with recover: still empty at the same place.
    let text = String::from_utf8(
        coda_rs()
            .args(["rvm", "status"])
            .arg(&log)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(text.contains("log empty:              true"), "{text}");
}

#[test]
fn map_redirects_the_recorded_path_and_a_missing_segment_is_refused() {
    let dir = scratch();
    let log = put(dir.path(), "crash1.log.crash", "log");
    let data = put(dir.path(), "crash1.data.crash.gz", "data");
    // Without a redirect the recorded path is used; make sure it is absent.
    let recorded = Path::new("/tmp/rvmgold/crash1/data");
    if !recorded.exists() {
        let (code, _, err) = run(&[log.as_os_str()]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("/tmp/rvmgold/crash1/data") && err.contains("does not exist"),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&log).unwrap(),
            read_golden("rvm", "crash1.log.crash"),
            "log untouched"
        );
    }
    let map = format!("/tmp/rvmgold/crash1/data={}", data.display());
    let (code, out, err) = run(&[log.as_os_str(), "--map".as_ref(), map.as_ref()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("recorded as /tmp/rvmgold/crash1/data"),
        "{out}"
    );
    assert_same(
        "crash1 via --map",
        &std::fs::read(&data).unwrap(),
        &read_golden("rvm", "crash1.data.after.gz"),
        &Mask::default(),
    );
    let (code, _, err) = run(&[log.as_os_str(), "--map".as_ref(), "no-equals-sign".as_ref()]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn raw_images_show_and_recover_with_raw_offsets() {
    // rawlog_after_rdsinit: status at 8192, empty after rdsinit (README (b)).
    let dir = scratch();
    let img = put(dir.path(), "rawlog_after_rdsinit.img.gz", "raw.img");
    let out = coda_rs()
        .args(["rvm", "show", "--raw"])
        .arg(&img)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "  Log is empty\n");
    let (code, out, err) = run(&[img.as_os_str(), "--raw".as_ref()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("head = tail = 17488"), "{out}");
    let got = std::fs::read(&img).unwrap();
    let want = read_golden("rvm", "rawlog_after_rdsinit.img.gz");
    // Only the status block at 8192 was rewritten.
    assert_same(
        "raw recover",
        &got,
        &want,
        Mask::default().add(8192..8192 + 2560),
    );
    let s = StatusBlock::decode(&got[8192..8192 + 2560]).unwrap();
    assert_eq!(
        (s.log_start, s.log_head, s.log_tail, s.next_rec_num),
        (10_752, 17_488, 17_488, 5)
    );
}
