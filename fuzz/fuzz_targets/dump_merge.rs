//! `dump merge` of hostile dumps (spec §10): an incremental applied to a
//! full dump, both untrusted.
//!
//! Input: the full dump's length (4 bytes, little-endian), the full dump,
//! then the incremental (`.ci/fuzz` seeds the golden full/incremental
//! pairs this way). What must hold: no panic; a merge that succeeds
//! writes the number of bytes it reports, and a dump the strict reader
//! reads back, with the header the report gives.

#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use volume_dump::merge::{merge, MergeOptions};
use volume_dump::{Dump, ReadOptions};

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let len = (u32::from_le_bytes(*len) as usize).min(rest.len());
    let (full, incr) = rest.split_at(len);
    let Ok(incr) = Dump::read(incr, ReadOptions::default()) else {
        return;
    };
    for check_stamps in [true, false] {
        let opts = MergeOptions {
            check_stamps,
            ..MergeOptions::default()
        };
        let mut out = Cursor::new(Vec::new());
        let Ok(report) = merge(full, std::slice::from_ref(&incr), &mut out, opts) else {
            continue;
        };
        let merged = out.into_inner();
        assert_eq!(report.bytes, merged.len() as u64);
        let back = Dump::read(&merged[..], ReadOptions::default())
            .unwrap_or_else(|e| panic!("a merged dump does not read back: {e}"));
        assert_eq!(back.header, report.header);
    }
});
