//! The state directory of `coda-rs reinit` (`runbook.json`,
//! `journal.json`), read back by `reinit status/next/run/done` after a
//! crash, a kill, or someone's editing: JSON parsing and the checks that
//! tie the journal to its runbook, then the queries and an update.
//!
//! Input: the journal's bytes, or a runbook, a NUL, and a journal (a
//! runbook built from a small VolumeList and VRList otherwise; the seeds
//! are journals of it). What must hold: no panic; an error names a file of
//! the state directory on one line; a state directory that opens can be
//! updated (unless its sequence is at the maximum: then the journal is left
//! as it was), and then opens with the step recorded and the sequence one
//! higher.

#![no_main]

use std::sync::OnceLock;

use coda_rs_fuzz::{runbook_settings, scratch_dir, split_nul};
use libfuzzer_sys::fuzz_target;
use recovery_plan::journal::{
    format_utc, How, StateDir, StepRecord, StepState, JOURNAL_FILE, RUNBOOK_FILE,
};
use recovery_plan::recreate::RecreatePlan;
use recovery_plan::runbook::Runbook;
use recovery_plan::volume_list::VolumeList;
use recovery_plan::vrlist::VrList;
use recovery_plan::Error;

/// Creation time of the built runbook (the seeds' journals name it).
const CREATED: u64 = 1_700_000_000;

fn runbook_json() -> &'static [u8] {
    static RUNBOOK: OnceLock<Vec<u8>> = OnceLock::new();
    RUNBOOK.get_or_init(|| {
        let vl = VolumeList::parse(
            b"P/vicepa Hsrv1 T100 F80\n\
              Wusers:jan.0 I1000003 H1 P/vicepa m0 M0 U15f W1000003 C0 D0 B0 A0\n\
              Btestvol.0.backup I1000002 H1 P/vicepa m0 M0 U2 W1000001 C0 D0 B0 A0\n",
            "VolumeList",
        )
        .unwrap();
        let vr = VrList::parse(b"users:jan 7f000002 1 01000003 0 0 0 0 0 0 0\n", "VRList").unwrap();
        let rb = Runbook::build(runbook_settings(), &RecreatePlan::new(&vl, &vr), CREATED)
            .expect("the built-in lists make a runbook");
        serde_json::to_vec_pretty(&rb).unwrap()
    })
}

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let (runbook, journal) = match split_nul(data) {
        (journal, None) => (runbook_json(), journal),
        (runbook, Some(journal)) => (runbook, journal),
    };
    let scratch = scratch_dir();
    let state = StateDir::new(scratch.path());
    std::fs::write(state.file(RUNBOOK_FILE), runbook).unwrap();
    std::fs::write(state.file(JOURNAL_FILE), journal).unwrap();
    let (rb, j) = match state.open() {
        Ok(opened) => opened,
        Err(e) => return assert_names_a_state_file(&e, &state),
    };
    assert!(j.done_count(&rb) <= rb.steps.len());
    let next = j.next(&rb).map(|s| s.id.clone());
    for s in &rb.steps {
        let _ = (
            j.state(&s.id).name(),
            s.to_string(),
            j.unfinished_before(&rb, &s.id),
        );
    }
    let _ = j.unfinished_before(&rb, "no such step");
    for r in j.steps.values() {
        for t in [r.started, r.finished].into_iter().flatten() {
            assert!(!format_utc(t).is_empty());
        }
    }
    let Some(id) = next else {
        return;
    };
    let record = StepRecord {
        state: StepState::Done,
        how: How::Marked,
        started: None,
        finished: Some(CREATED + 60),
        exit_code: None,
        pid: None,
    };
    let updated = match state.record(&id, record.clone()) {
        Ok(updated) => updated,
        Err(e) => {
            // Only a journal no tool could have written (its sequence at
            // the maximum) is refused; it is left as it was.
            assert_eq!(j.sequence, u64::MAX, "update refused: {e}");
            assert_names_a_state_file(&e, &state);
            assert_eq!(std::fs::read(state.file(JOURNAL_FILE)).unwrap(), journal);
            return;
        }
    };
    assert_eq!(updated.sequence, j.sequence + 1);
    let (_, reread) = state.open().expect("an updated state directory opens");
    assert_eq!(reread, updated);
    assert_eq!(reread.steps.get(&id), Some(&record));
});

/// A state error names the runbook or the journal of this directory and
/// fits on one line.
fn assert_names_a_state_file(e: &Error, state: &StateDir) {
    match e {
        Error::State { path, .. } => {
            assert!(
                *path == state.file(RUNBOOK_FILE) || *path == state.file(JOURNAL_FILE),
                "error names {}: {e}",
                path.display()
            );
        }
        other => panic!("a state file error without its file: {other}"),
    }
    assert!(!e.to_string().contains('\n'), "error of several lines: {e}");
}
