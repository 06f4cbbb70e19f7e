//! The first page of an RVM data segment (spec §7.1), as `rvm recover`
//! checks it before applying a log to the segment, and the signatures
//! `rvm init` looks for before overwriting a target.
//!
//! What must hold: no panic on any page (short ones included); a header
//! that decodes has at most `MAX_REGIONS` regions, and decode → encode →
//! decode gives the same header; `check_real` accepts exactly the headers
//! that decode with every region inside the segment's length, and its
//! refusal is one line.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rvm::segment::{check_real, SegmentHeader, MAX_REGIONS, PAGE_SIZE};

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let _ = rvm::contents::foreign(data);
    let decoded = SegmentHeader::decode(data);
    let whole = data.len() as u64 & !511;
    for len in [0, PAGE_SIZE, whole, 1 << 20, !511] {
        match check_real(data, len) {
            Ok(h) => {
                assert_eq!(Some(&h), decoded.as_ref());
                assert!(h.regions.iter().all(|r| r.offset + r.length <= len));
            }
            Err(e) => assert!(!e.is_empty() && !e.contains('\n'), "refusal: {e:?}"),
        }
    }
    let Some(h) = decoded else {
        return;
    };
    assert!(h.regions.len() <= MAX_REGIONS);
    let page = h.encode();
    assert_eq!(page.len() as u64, PAGE_SIZE);
    assert_eq!(
        SegmentHeader::decode(&page).as_ref(),
        Some(&h),
        "segment header round trip"
    );
});
