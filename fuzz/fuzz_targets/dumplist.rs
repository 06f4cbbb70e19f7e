//! `dumplist` files (spec §15.1) as Coda's backup program reads them:
//! parse, the schedule lookups, and the writer.
//!
//! What must hold: no panic; an error names the file and one of its
//! lines; a list that was read can be written, and reads back the same.

#![no_main]

use coda_rs_fuzz::assert_names_a_line;
use libfuzzer_sys::fuzz_target;
use recovery_plan::dumplist::Dumplist;

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let list = match Dumplist::parse(data, "dumplist") {
        Ok(list) => list,
        Err(e) => return assert_names_a_line(&e, data, "dumplist"),
    };
    for e in &list.entries {
        for t in [i64::MIN, -1, 0, 1_700_000_000, i64::MAX] {
            assert!(e.schedule.level_on(t) <= 9);
        }
    }
    let text = list
        .to_text()
        .unwrap_or_else(|e| panic!("a dumplist that was read cannot be written: {e}"));
    let again = Dumplist::parse(text.as_bytes(), "written")
        .unwrap_or_else(|e| panic!("written dumplist does not read back: {e}\n{text}"));
    assert_eq!(again, list, "dumplist round trip changed it");
});
