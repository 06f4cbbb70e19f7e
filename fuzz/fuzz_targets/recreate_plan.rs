//! What the planners make of a VolumeList and a VRList copied from a
//! broken server: the `create_rep` script (`plan recreate`), the dump
//! selection and tape packing (`plan dumplists`), the reinit runbook.
//!
//! Input: the VolumeList, a NUL, the VRList (without a NUL: an empty
//! VRList). What must hold: no panic, and every replica the
//! plan recreates is a volume line of the list and a replica of exactly
//! one group.

#![no_main]

use coda_rs_fuzz::{runbook_settings, split_nul};
use libfuzzer_sys::fuzz_target;
use recovery_plan::pack::{first_fit_decreasing, select};
use recovery_plan::recreate::RecreatePlan;
use recovery_plan::runbook::Runbook;
use recovery_plan::volume_list::VolumeList;
use recovery_plan::vrlist::VrList;

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let (vl, vr) = split_nul(data);
    let (Ok(volumes), Ok(vrlist)) = (
        VolumeList::parse(vl, "VolumeList"),
        VrList::parse(vr.unwrap_or_default(), "VRList"),
    ) else {
        return;
    };
    let plan = RecreatePlan::new(&volumes, &vrlist);
    assert_eq!(
        plan.create.len() + plan.not_recreated.len(),
        volumes.volumes().count()
    );
    for c in &plan.create {
        assert!(volumes
            .volumes()
            .any(|v| v.id == c.volume_id && v.name == c.name));
        assert_eq!(vrlist.groups_with_replica(c.volume_id).len(), 1);
    }
    let _ = plan.script();
    if let Ok(sel) = select(&volumes, &vrlist) {
        let total: u64 = sel.units.iter().map(|u| u.bytes).sum();
        for tape in [1u64, 1 << 20, 1 << 40] {
            if let Ok(tapes) = first_fit_decreasing(sel.units.clone(), tape) {
                assert!(tapes.iter().all(|t| t.bytes <= tape));
                assert_eq!(tapes.iter().map(|t| t.bytes).sum::<u64>(), total);
            }
        }
    }
    let runbook =
        Runbook::build(runbook_settings(), &plan, 0).expect("the fixed settings are valid");
    for s in &runbook.steps {
        let _ = s.to_string();
    }
});
