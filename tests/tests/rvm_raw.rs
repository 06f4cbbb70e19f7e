//! Raw partitions through loop devices (spec §3.1, §10; golden/rvm/README.md
//! "Raw partition" variants): `init-log` and `init-data` on block devices
//! reproduce `rawlog_init_1M.img` and `rawdata_after_rdsinit.img`.
//!
//! These tests need root and `losetup`. Without them they fail, unless
//! `CODA_RS_NO_LOOP=1` is set, in which case they print a loud SKIPPED.

mod rvm_support;

use std::path::Path;

use coda_rs_tests::{coda_rs, read_golden, scratch};
use rvm_support::{assert_same, loop_unavailable, Loop, Mask};

fn image(path: &Path, len: usize, byte: u8) {
    std::fs::write(path, vec![byte; len]).unwrap();
}

#[test]
fn raw_log_and_data_match_goldens() {
    let dir = scratch();
    let log_img = dir.path().join("log.img");
    let data_img = dir.path().join("data.img");
    image(&log_img, 2 << 20, 0xAA);
    image(&data_img, 4 << 20, 0x55);
    let (Some(log), Some(data)) = (Loop::attach(&log_img), Loop::attach(&data_img)) else {
        return loop_unavailable("raw_log_and_data_match_goldens");
    };

    // The 0xAA device is "in use": refused without --force, untouched.
    let out = coda_rs()
        .args(["rvm", "init-log"])
        .arg(&log.dev)
        .arg("1M")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("first MiB is not all zero"));
    assert!(std::fs::read(&log_img).unwrap().iter().all(|&b| b == 0xAA));

    coda_rs()
        .args(["rvm", "init-log", "--force"])
        .arg(&log.dev)
        .arg("1M")
        .assert()
        .success();
    let got = std::fs::read(&log_img).unwrap();
    let want = read_golden("rvm", "rawlog_init_1M.img.gz");
    assert_same(
        "raw init-log",
        &got,
        &want,
        Mask::default().init_status(8192),
    );

    // rdsinit on the two devices.
    coda_rs()
        .args(["rvm", "init-data", "--force"])
        .arg(&log.dev)
        .arg(&data.dev)
        .args(["2097152", "0x50000000", "983040", "1048576", "80", "64"])
        .assert()
        .success();
    let got = std::fs::read(&data_img).unwrap();
    let want = read_golden("rvm", "rawdata_after_rdsinit.img.gz");
    assert_same("raw init-data data", &got, &want, &Mask::default());

    // The log: same records at 10752 with the data path "/dev/loopN".
    let got = std::fs::read(&log_img).unwrap();
    let want = read_golden("rvm", "rawlog_after_rdsinit.img.gz");
    let p = data.dev.as_os_str().len();
    assert_eq!(
        p,
        "/dev/loop1".len(),
        "the golden's data path has 10 bytes; got {}",
        data.dev.display()
    );
    let mut mask = Mask::default();
    mask.rdsinit_status(8192);
    let seg_len = 80 + (p + 1).div_ceil(8) * 8;
    let (r1, r2) = (10752, 10752 + seg_len + 56);
    let r3 = r2 + 4304 + 56;
    let r4 = r3 + seg_len + 56;
    for r in [r1, r3] {
        mask.record(r, seg_len);
        mask.add(r + 72..r + 80); // name pointer
        mask.add(r + 80..r + 80 + p); // the device name
    }
    mask.record(r2, 4304)
        .add(r2 + 48..r2 + 80)
        .add(r2 + 112..r2 + 128)
        .add(r2 + 176..r2 + 184);
    let lens = [112 + 1544, 112 + 32, 112 + 8];
    mask.record(r4, 96 + lens.iter().sum::<usize>())
        .add(r4 + 48..r4 + 80);
    let mut h = r4 + 96;
    for l in lens {
        mask.add(h + 16..h + 32);
        h += l;
    }
    assert_same("raw init-data log", &got, &want, &mask);
    assert_eq!(
        &got[r1 + 80..r1 + 80 + p],
        data.dev.as_os_str().as_encoded_bytes()
    );
}

#[test]
fn device_too_small_is_refused_before_writing() {
    let dir = scratch();
    let img = dir.path().join("small.img");
    image(&img, 1 << 20, 0);
    let Some(dev) = Loop::attach(&img) else {
        return loop_unavailable("device_too_small_is_refused_before_writing");
    };
    let out = coda_rs()
        .args(["rvm", "init-log"])
        .arg(&dev.dev)
        .arg("2M")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("the device holds only 1048576 bytes"), "{err}");
    assert!(err.contains("at least 2107904 bytes"), "{err}");
    let out = coda_rs()
        .args(["rvm", "init-data"])
        .arg(dir.path().join("nolog"))
        .arg(&dev.dev)
        .args(["33554432", "0x50000000", "32440320", "1048576", "80", "64"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the device holds only 1048576 bytes"));
    drop(dev);
    assert!(std::fs::read(&img).unwrap().iter().all(|&b| b == 0));
}
