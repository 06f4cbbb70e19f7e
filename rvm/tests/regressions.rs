//! Inputs the fuzzer (`fuzz/fuzz_targets/rvm_log.rs`) found; each must be
//! handled without panicking.

use rvm::epoch::Epoch;
use rvm::reader::{locate_tail, ChecksumRule, LogView};
use rvm::record::{EndMarker, RangeHeader, RecordHeader, TransHeader, END_ID, RANGE_ID, TRANS_ID};
use rvm::status::StatusBlock;
use rvm::Timeval;

/// fuzz crash-4c4635db: a range whose `length` is near 2^64 made the
/// data-block size computation overflow in `show` and the epoch walk.
#[test]
fn range_length_near_u64_max() {
    let t = Timeval::new(1_700_000_000, 0);
    let mut log = vec![0xffu8; 8192];
    let s = StatusBlock::fresh(2560, 8192 - 2560, t);
    log[..2560].copy_from_slice(&s.encode());
    let h = RecordHeader {
        struct_id: TRANS_ID,
        rec_length: 96 + 120,
        timestamp: t.plus_usec(5),
        rec_num: 1,
    };
    TransHeader {
        header: h,
        num_ranges: 1,
        uname: t,
        commit_stamp: t,
        n_coalesced: 0,
        flags: 0x7c,
    }
    .write(&mut log, 2560);
    RangeHeader {
        header: RecordHeader {
            struct_id: RANGE_ID,
            rec_length: 120,
            ..h
        },
        sub_rec_len: 96,
        range_num: 1,
        length: u64::MAX - 2,
        offset: 5,
        offset_high: 0,
        vmaddr: 5,
        chk_sum: 0,
        seg_code: 1,
        is_split: false,
    }
    .write(&mut log, 2656);
    EndMarker {
        header: RecordHeader {
            struct_id: END_ID,
            ..h
        },
        rec_type: TRANS_ID,
        sub_rec_len: 120,
    }
    .write(&mut log, 2776);
    let v = LogView::new(&log, 2560, 8192);
    let mut st = s.clone();
    st.log_empty = false;
    let _ = rvm::show::show_all_text(&st, &v);
    assert!(
        Epoch::read(&v, 2560, 2832).is_err(),
        "the damaged range is rejected"
    );
    let mut st = s;
    locate_tail(&mut st, &v, t.plus_usec(100), ChecksumRule::Rvm);
    assert_eq!(st.log_tail, 2560, "the damaged transaction is not accepted");
}

/// fuzz crash-415f984d (found by the CI fuzz run): a transaction whose
/// `rec_length` is near 2^64 made `show all` overflow computing the end
/// marker's offset. Replays the fuzz target's calls on the saved input.
#[test]
fn show_with_record_length_near_u64_max() {
    let data: &[u8] = include_bytes!("fuzz-crashes/rvm_log-crash-415f984d.bin");
    let disk = StatusBlock::decode_unchecked(&data[..2560]);
    let num_bytes = (data.len() as u64) & !511;
    let view = LogView::new(data, 2560, num_bytes);
    let mut s = disk.clone();
    s.log_start = 2560;
    let now = Timeval::new(i64::MAX / 2, 0);
    for rule in [ChecksumRule::Rvm, ChecksumRule::Writer] {
        let mut t = s.clone();
        let scan = locate_tail(&mut t, &view, now, rule);
        let epoch = Epoch::read(&view, t.log_head, t.log_tail).ok();
        let text = rvm::show::show_all_text(&t, &view);
        assert!(!text.is_empty());
        let _ = rvm::show::show_json(&t, &view, &scan, epoch.as_ref());
    }
}

/// fuzz crash-56b9ee5d (found by the CI fuzz run): a status block whose
/// total flush time holds counts near 2^63 made the fold of the current
/// statistics into the totals (`clear`, called by `locate_tail`)
/// overflow. The sums wrap like the C `long` fields they mirror.
#[test]
fn status_times_near_i64_max_fold_without_overflow() {
    let t = Timeval::new(1_700_000_000, 0);
    let mut st = StatusBlock::fresh(2560, 8192 - 2560, t);
    st.tot_flush_time = Timeval::new(i64::MAX, i64::MAX);
    st.clear(8192);
    assert!(st.log_empty, "the log is marked empty");
    assert!(
        (0..1_000_000).contains(&st.tot_flush_time.usec),
        "microseconds stay normalised: {:?}",
        st.tot_flush_time
    );
    assert_eq!(
        Timeval::new(i64::MAX, 0).micros_since(Timeval::new(i64::MIN, 0)),
        (-1_000_000i64),
        "differences wrap instead of panicking"
    );
}
