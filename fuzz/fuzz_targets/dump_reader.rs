//! Fuzz target: a whole dump stream through the reader (strict and
//! lenient), `verify`, and, when the strict reader accepts it, the writer:
//! anything the strict reader accepts must be written back byte for byte.

#![no_main]

use libfuzzer_sys::fuzz_target;
use volume_dump::verify::{verify, VerifyOptions};
use volume_dump::{Dump, ReadOptions};

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    for lenient in [false, true] {
        let opts = ReadOptions { lenient };
        let _ = verify(
            data,
            VerifyOptions {
                read: opts,
                restore_checks: true,
            },
        );
        if let Ok(dump) = Dump::read(data, opts) {
            let out = dump.write(Vec::new()).expect("a dump that was read can be written");
            if !lenient {
                assert!(
                    data.starts_with(&out),
                    "strictly read dump does not round-trip"
                );
            }
        }
    }
});
