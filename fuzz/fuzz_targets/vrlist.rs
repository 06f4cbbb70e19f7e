//! `VRList` (spec §15.3), the replicated-volume list copied from a broken
//! server: parse, lookups, and the writer.
//!
//! What must hold: no panic; an error names the file and one of its
//! lines; parse → write → parse gives the same groups.

#![no_main]

use coda_rs_fuzz::assert_names_a_line;
use libfuzzer_sys::fuzz_target;
use recovery_plan::vrlist::{VrList, REPLICA_SLOTS};

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let list = match VrList::parse(data, "VRList") {
        Ok(list) => list,
        Err(e) => return assert_names_a_line(&e, data, "VRList"),
    };
    for g in &list.groups {
        assert!(!g.replicas.is_empty() && g.replicas.len() <= REPLICA_SLOTS);
        for &id in &g.replicas {
            assert!(list
                .groups_with_replica(id)
                .iter()
                .any(|h| h.group_id == g.group_id));
        }
    }
    let text = list.to_text();
    let again = VrList::parse(text.as_bytes(), "written")
        .unwrap_or_else(|e| panic!("written VRList does not read back: {e}\n{text}"));
    let strip = |l: &VrList| {
        let mut l = l.clone();
        for g in &mut l.groups {
            g.line = 0;
        }
        l
    };
    assert_eq!(strip(&again), strip(&list), "VRList round trip changed it");
});
