//! The RVM data segment's header page (spec §7.1), as `rvm recover`
//! reads it from a data segment before applying a log to it.
//!
//! What must hold: no panic on any page (short ones included); a header
//! that decodes has at most `MAX_REGIONS` regions, and decode → encode →
//! decode gives the same header.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rvm::segment::{SegmentHeader, MAX_REGIONS, PAGE_SIZE};

fuzz_target!(|data: &[u8]| {
    let Some(h) = SegmentHeader::decode(data) else {
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
