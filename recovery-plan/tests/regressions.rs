//! Inputs the fuzz targets (`fuzz/fuzz_targets/`) found, kept in
//! `tests/fuzz/`: each must be refused with an error naming its file,
//! never panic, and leave the state directory as it was.

use std::path::{Path, PathBuf};

use recovery_plan::journal::{How, StateDir, StepRecord, StepState, JOURNAL_FILE};
use recovery_plan::recreate::RecreatePlan;
use recovery_plan::runbook::{Runbook, Settings};
use recovery_plan::Error;

fn fuzz_input(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A state directory in `dir` whose runbook was created at `created` (no
/// volumes), holding `journal` as its journal.
fn state_with_journal(dir: &Path, created: u64, journal: &[u8]) -> StateDir {
    let p = |s: &str| PathBuf::from(s);
    let settings = Settings {
        server: None,
        state_dir: dir.to_path_buf(),
        volume_list: dir.join("VolumeList"),
        vrlist: dir.join("VRList"),
        tape_size: "20G".into(),
        dumplist_dir: p("/vice/backup"),
        dump_dir: p("/backup/dumps"),
        rvm_log: p("/dev/sdb1"),
        rvm_log_size: "20M".into(),
        rvm_data: p("/dev/sdb2"),
        rvm_data_size: "256M".into(),
        restore_dir: p("/coda/tmp/restore"),
        inited_dir: p("/coda/tmp/inited"),
        reformat_rvm: false,
        client: None,
        staging: true,
    };
    let runbook = Runbook::build(settings, &RecreatePlan::default(), created).unwrap();
    let state = StateDir::new(dir);
    state.create(&runbook, b"", b"").unwrap();
    std::fs::write(state.file(JOURNAL_FILE), journal).unwrap();
    state
}

/// fuzz reinit_journal crash-8404d6e3: a journal whose sequence is
/// 2^64 - 1 overflowed when the next update incremented it. The update is
/// now refused, naming the journal, which stays as it was.
#[test]
fn journal_sequence_at_its_maximum_is_not_incremented() {
    let dir = tempfile::tempdir().unwrap();
    let journal = fuzz_input("journal-8404d6e3-sequence-max.json");
    let state = state_with_journal(dir.path(), 1_700_000_000, &journal);
    let (runbook, opened) = state.open().unwrap();
    assert_eq!(opened.sequence, u64::MAX);
    let id = runbook.steps[0].id.clone();
    match state.record(&id, record_done()) {
        Err(Error::State { path, what }) => {
            assert_eq!(path, state.file(JOURNAL_FILE));
            assert!(
                what.contains("18446744073709551615 cannot be incremented"),
                "{what}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(state.file(JOURNAL_FILE)).unwrap(), journal);
    // One below the maximum still updates.
    let below = String::from_utf8(journal.clone())
        .unwrap()
        .replace("18446744073709551615", "18446744073709551614");
    std::fs::write(state.file(JOURNAL_FILE), &below).unwrap();
    let j = state.record(&id, record_done()).unwrap();
    assert_eq!(j.sequence, u64::MAX);
}

/// The record of `reinit done`.
fn record_done() -> StepRecord {
    StepRecord {
        state: StepState::Done,
        how: How::Marked,
        started: None,
        finished: Some(1_700_000_060),
        exit_code: None,
        pid: None,
    }
}
