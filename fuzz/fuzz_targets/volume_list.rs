//! `VolumeList` / `BigVolumeList` / `<host>.list` (spec §15.2), read from a
//! broken server's files: parse, the queries the planners make, and the
//! writer.
//!
//! What must hold: no panic; an error names the file and one of its
//! lines; parse → write → parse gives the same list.

#![no_main]

use coda_rs_fuzz::assert_names_a_line;
use libfuzzer_sys::fuzz_target;
use recovery_plan::volume_list::VolumeList;

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let list = match VolumeList::parse(data, "VolumeList") {
        Ok(list) => list,
        Err(e) => return assert_names_a_line(&e, data, "VolumeList"),
    };
    for v in list.volumes() {
        let _ = (v.used_bytes(), v.is_backup_clone(), v.is_restored());
    }
    for host in list.hosts() {
        let only = list.only_host(&host);
        assert!(only.lines.len() <= list.lines.len());
    }
    let text = list.to_text();
    let again = VolumeList::parse(text.as_bytes(), "written")
        .unwrap_or_else(|e| panic!("written VolumeList does not read back: {e}\n{text}"));
    let strip = |l: &VolumeList| {
        // Line numbers move when empty lines are dropped; compare the rest.
        let mut l = l.clone();
        for line in &mut l.lines {
            match line {
                recovery_plan::volume_list::Line::Partition(p) => p.line = 0,
                recovery_plan::volume_list::Line::Volume(v) => v.line = 0,
            }
        }
        l
    };
    assert_eq!(
        strip(&again),
        strip(&list),
        "VolumeList round trip changed it"
    );
});
