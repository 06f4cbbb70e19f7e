//! `rvm recover` of a hostile log onto a hostile data segment (spec §9):
//! the epoch walk, the real-segment check, the range checks, and the
//! writes they guard.
//!
//! Input: the log's length (4 bytes, little-endian), the log file, then
//! the data segment (`.ci/fuzz` seeds the golden crash pairs this way).
//! Both are written to a scratch directory; recovery is redirected to the
//! scratch segment (`--data`) and runs as `nobody` ([`Unprivileged`]).
//! What must hold: no panic; `--dry-run` changes neither file; an error is
//! one line; nothing but the two files is written; after a recovery that
//! succeeds, a second one applies nothing and leaves the segment as it is.

#![no_main]

use std::path::Path;

use coda_rs_fuzz::{names_in, scratch_dir, Unprivileged};
use libfuzzer_sys::fuzz_target;
use rvm::recover::{recover, RecoverOptions};

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let len = (u32::from_le_bytes(*len) as usize).min(rest.len());
    let (log, segment) = rest.split_at(len);
    // Everything, the scratch files included, as nobody (dropped last).
    let _nobody = Unprivileged::enter();
    let scratch = scratch_dir();
    let (log_path, seg_path) = (scratch.path().join("log"), scratch.path().join("data"));
    std::fs::write(&log_path, log).unwrap();
    std::fs::write(&seg_path, segment).unwrap();
    let opts = |dry_run| RecoverOptions {
        data: Some(seg_path.clone()),
        dry_run,
        ..RecoverOptions::default()
    };
    let run = |o: RecoverOptions| recover(&log_path, &o).map_err(|e| e.to_string());
    let unchanged = |what: &str, path: &Path, bytes: &[u8]| {
        assert!(std::fs::read(path).unwrap() == bytes, "{what} changed");
    };

    let dry = run(opts(true));
    unchanged("the log (dry run)", &log_path, log);
    unchanged("the segment (dry run)", &seg_path, segment);
    let first = run(opts(false));
    assert_eq!(
        names_in(scratch.path()),
        ["data", "log"],
        "wrote beside the files"
    );
    match (&dry, &first) {
        (_, Err(e)) | (Err(e), _) => assert!(!e.contains('\n'), "error of several lines: {e}"),
        _ => {}
    }
    if first.is_ok() {
        let seg_after = std::fs::read(&seg_path).unwrap();
        let second = run(opts(false)).unwrap_or_else(|e| panic!("second recover: {e}"));
        assert!(
            second.applied.is_empty(),
            "second recover applied {:?}",
            second.applied
        );
        unchanged("the segment (second recover)", &seg_path, &seg_after);
    }
});
