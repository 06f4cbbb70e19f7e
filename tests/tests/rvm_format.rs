//! `coda-rs rvm init-log` and `init-data` reproduce the real `rvmutl i` and
//! `rdsinit -f` byte for byte outside the run-dependent bytes the golden
//! README lists (golden/rvm/README.md (a), (b); spec §3.2, §4.3, §8.3.1).

use crate::rvm_support;

use coda_rs_tests::{coda_rs, read_golden, scratch};
use rvm_support::{assert_same, golden_copy, u64_at, Mask};

#[test]
fn init_log_matches_rvmutl_goldens() {
    let dir = scratch();
    for (golden, size) in [
        ("log_init_64K.log", "64K"),
        ("log_init_1M.log", "1M"),
        ("log_init_20M.log.gz", "20M"),
    ] {
        let want = read_golden("rvm", golden);
        let path = dir.path().join(size);
        coda_rs()
            .arg("rvm")
            .arg("init-log")
            .arg(&path)
            .arg(size)
            .assert()
            .success();
        let got = std::fs::read(&path).unwrap();
        assert_same(golden, &got, &want, Mask::default().init_status(0));
        // The masked stamps obey spec §4.3: write = init + 1 µs, trunc = init.
        let (sec, usec) = (u64_at(&got, 512), u64_at(&got, 520));
        let write = (u64_at(&got, 528), u64_at(&got, 536));
        assert!(
            write == (sec, usec + 1) || write == (sec + 1, 0),
            "{golden}: status_write"
        );
        assert_eq!(
            (u64_at(&got, 544), u64_at(&got, 552)),
            (sec, usec),
            "{golden}: last_trunc"
        );
        assert_eq!(
            (u64_at(&got, 560), u64_at(&got, 568)),
            (sec, usec),
            "{golden}: prev_trunc"
        );
        rvm::StatusBlock::decode(&got[..2560]).expect("checksum and versions valid");
    }
}

/// The rdsinit cases of golden/rvm/README.md (b): parameters and the
/// header length (264 + 16·nlists) that places record #4's ranges.
const RDSINIT: [(&str, [&str; 6], usize); 4] = [
    (
        "A",
        ["2097152", "0x50000000", "983040", "1048576", "80", "64"],
        1544,
    ),
    (
        "B",
        ["1048576", "0x20000000", "524288", "262144", "100", "40"],
        1864,
    ),
    (
        "C",
        ["1048576", "0x50000000", "524288", "262144", "80", "48"],
        1544,
    ),
    (
        "D",
        ["33554432", "0x50000000", "32440320", "1048576", "80", "64"],
        1544,
    ),
];

/// Run-dependent bytes of the four records rdsinit writes at `start` for a
/// data path of `p` bytes (spec §5, §8.3.1): record and end-marker stamps,
/// transaction unames and commit stamps, range stamps, record #2's vmaddr,
/// the log_seg name pointers.
fn rdsinit_record_mask(mask: &mut Mask, start: usize, p: usize, hdr_len: usize) {
    let seg_len = 80 + (p + 1).div_ceil(8) * 8;
    let r1 = start;
    let r2 = r1 + seg_len + 56;
    let r2_len = 96 + 112 + 4096;
    let r3 = r2 + r2_len + 56;
    let r4 = r3 + seg_len + 56;
    let r4_ranges = [112 + hdr_len.div_ceil(8) * 8, 112 + 32, 112 + 8];
    let r4_len = 96 + r4_ranges.iter().sum::<usize>();
    for r in [r1, r3] {
        mask.record(r, seg_len);
        mask.add(r + 72..r + 80); // name pointer
    }
    mask.record(r2, r2_len);
    mask.add(r2 + 48..r2 + 80); // uname, commit stamp
    mask.add(r2 + 96 + 16..r2 + 96 + 32); // range stamp
    mask.add(r2 + 96 + 80..r2 + 96 + 88); // vmaddr of the header page
    mask.record(r4, r4_len);
    mask.add(r4 + 48..r4 + 80);
    let mut h = r4 + 96;
    for len in r4_ranges {
        mask.add(h + 16..h + 32);
        h += len;
    }
}

#[test]
fn init_data_matches_rdsinit_goldens() {
    // The absolute data path is stored in the log, so the data file lives
    // at the golden's recorded path; the cases run one after another in
    // this single test function.
    let dir = scratch();
    for (case, params, hdr_len) in RDSINIT {
        let gold_dir = std::path::PathBuf::from(format!("/tmp/rvmgold/rds{case}"));
        std::fs::create_dir_all(&gold_dir).unwrap();
        let data = gold_dir.join("data");
        let _ = std::fs::remove_file(&data);
        let gz = if case == "D" { ".gz" } else { "" };
        let before = format!("rdsinit_{case}.log.before{gz}");
        let after = format!("rdsinit_{case}.log{gz}");
        let data_gz = if case == "A" || case == "D" {
            ".gz"
        } else {
            ""
        };
        let data_golden = format!("rdsinit_{case}.data{data_gz}");
        let log = golden_copy(dir.path(), &before, &format!("{case}.log"));
        coda_rs()
            .args(["rvm", "init-data"])
            .arg(&log)
            .arg(&data)
            .args(params)
            .assert()
            .success();
        let got = std::fs::read(&data).unwrap();
        let want = read_golden("rvm", &data_golden);
        assert_same(
            &format!("rdsinit {case} data"),
            &got,
            &want,
            &Mask::default(),
        );

        let got = std::fs::read(&log).unwrap();
        let want = read_golden("rvm", &after);
        let mut mask = Mask::default();
        mask.rdsinit_status(0);
        rdsinit_record_mask(&mut mask, 2560, data.as_os_str().len(), hdr_len);
        assert_same(&format!("rdsinit {case} log"), &got, &want, &mask);
        rvm::StatusBlock::decode(&got[..2560]).expect("valid status block");
        std::fs::remove_file(&data).unwrap();
    }
}

#[test]
fn init_prints_server_conf_and_makes_a_loadable_pair() {
    let dir = scratch();
    let log = dir.path().join("LOG");
    let data = dir.path().join("DATA");
    let out = coda_rs()
        .args(["rvm", "init", "--log"])
        .arg(&log)
        .args(["--log-size", "1M", "--data"])
        .arg(&data)
        .args(["--data-size", "32M", "--sparse"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("rvm_log={}\n", log.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("rvm_data={}\n", data.display())),
        "{text}"
    );
    assert!(text.contains("rvm_data_length=33554432\n"), "{text}");
    // vice-setup-rvm's 32M recipe is golden D: same data image.
    let want = read_golden("rvm", "rdsinit_D.data.gz");
    assert_same(
        "init 32M data",
        &std::fs::read(&data).unwrap(),
        &want,
        &Mask::default(),
    );
    assert_eq!(std::fs::metadata(&log).unwrap().len(), 1_051_136);
}

#[test]
fn quiet_silences_the_summary_and_default_prints_one_line() {
    let dir = scratch();
    let out = coda_rs()
        .args(["rvm", "init-log", "--quiet"])
        .arg(dir.path().join("a"))
        .arg("64K")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty() && out.stdout.is_empty());
    let out = coda_rs()
        .args(["rvm", "init-log"])
        .arg(dir.path().join("b"))
        .arg("64K")
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("RVM log formatted") && err.contains("68096 bytes in all"),
        "{err}"
    );
}
