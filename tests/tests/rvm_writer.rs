//! The log writer (spec §5.7) against the reader and `coda-rs rvm recover`:
//! whatever committed transactions are appended — across wraps, with the
//! status block lagging as after a crash — recovery applies exactly them,
//! in order (the model is the test's own list of writes).

use coda_rs_tests::{coda_rs, scratch};
use proptest::prelude::*;
use rvm::heap::HeapParams;
use rvm::record::NewValues;
use rvm::writer::LogWriter;
use std::os::unix::ffi::OsStrExt;

const DATALEN: u64 = 1 << 20;

fn params() -> HeapParams {
    HeapParams {
        datalen: DATALEN,
        saddr: 0x5000_0000,
        heaplen: 524_288,
        staticlen: 262_144,
        nlists: 80,
        chunk: 64,
    }
}

fn write_and_recover(
    txns: &[(u64, Vec<u8>, bool)],
    status_at_end: bool,
) -> Result<(), TestCaseError> {
    let dir = scratch();
    let log = dir.path().join("log");
    let data = dir.path().join("data");
    rvm::init_log(
        &log,
        64 << 10,
        Default::default(),
        rvm::Timeval::now(),
        &mut |_, _| {},
    )
    .unwrap();
    rvm::init_data(&log, &data, &params(), Default::default(), &mut |_, _| {}).unwrap();
    let mut model = std::fs::read(&data).unwrap();
    let mut w = LogWriter::open(&log).unwrap();
    w.log_seg(1, data.as_os_str().as_bytes(), DATALEN).unwrap();
    for (offset, bytes, flush) in txns {
        let r = NewValues {
            offset: *offset,
            vmaddr: 0x5000_0000 - 4096 + offset,
            seg_code: 1,
            data: bytes,
        };
        w.transaction(&[r], *flush).unwrap();
        model[*offset as usize..*offset as usize + bytes.len()].copy_from_slice(bytes);
    }
    if status_at_end {
        w.write_status().unwrap();
    } else {
        w.flush().unwrap();
    }
    drop(w);
    let st = coda_rs()
        .args(["rvm", "status"])
        .arg(&log)
        .output()
        .unwrap();
    prop_assert_eq!(st.status.code(), Some(0));
    let text = String::from_utf8(st.stdout).unwrap();
    prop_assert!(
        txns.is_empty() || text.contains("log empty:             false"),
        "{}",
        text
    );
    let out = coda_rs()
        .args(["rvm", "recover"])
        .arg(&log)
        .output()
        .unwrap();
    prop_assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    prop_assert!(
        std::fs::read(&data).unwrap() == model,
        "recovered data differs from the writes"
    );
    let s = rvm::StatusBlock::decode(&std::fs::read(&log).unwrap()[..2560]).unwrap();
    prop_assert!(s.log_empty && s.log_head == s.log_tail);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn recover_applies_exactly_the_written_transactions(
        txns in proptest::collection::vec(
            (4096u64..(4096 + 524_288 + 262_144 - 1200), proptest::collection::vec(any::<u8>(), 1..1200), any::<bool>()),
            0..45,
        ),
        status_at_end in any::<bool>(),
    ) {
        write_and_recover(&txns, status_at_end)?;
    }
}

#[test]
fn writes_past_the_end_wrap_and_still_recover() {
    // 40 transactions of ~1.2 KiB cannot fit between 9312 and the end of a
    // 64 KiB log without wrapping (a truncation in between moves the head).
    let dir = scratch();
    let log = dir.path().join("log");
    let data = dir.path().join("data");
    rvm::init_log(
        &log,
        64 << 10,
        Default::default(),
        rvm::Timeval::now(),
        &mut |_, _| {},
    )
    .unwrap();
    rvm::init_data(&log, &data, &params(), Default::default(), &mut |_, _| {}).unwrap();
    let mut model = std::fs::read(&data).unwrap();
    for round in 0..2u8 {
        let mut w = LogWriter::open(&log).unwrap();
        w.log_seg(1, data.as_os_str().as_bytes(), DATALEN).unwrap();
        for i in 0..40u64 {
            let bytes = vec![round * 40 + i as u8; 1100];
            let offset = 4096 + 3 + i * 1500;
            w.transaction(
                &[NewValues {
                    offset,
                    vmaddr: 0x5000_0003 + i * 1500,
                    seg_code: 1,
                    data: &bytes,
                }],
                true,
            )
            .unwrap();
            model[offset as usize..offset as usize + 1100].copy_from_slice(&bytes);
        }
        w.flush().unwrap();
        drop(w);
        let out = coda_rs()
            .args(["rvm", "recover"])
            .arg(&log)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(std::fs::read(&data).unwrap(), model, "round {round}");
    }
    let s = rvm::StatusBlock::decode(&std::fs::read(&log).unwrap()[..2560]).unwrap();
    assert!(s.tot_wrap >= 1, "the log wrapped at least once");
}
