//! The restore journal `.coda-rs-restore.json` that `dump restore --resume`
//! reads back from the target (which anyone with access to the target may
//! have changed): JSON parsing and what the restore does with it.
//!
//! Input: the journal's bytes. The dump is a small volume made once with
//! `dump create` (files, a hard link, a symlink, a subdirectory); seeds
//! are journals of that dump in each phase. Each input restores into a
//! fresh target holding that journal. What must hold: no panic; nothing is
//! created outside the target; an error is one line; a restore that
//! succeeds removes its journal, and a second `--resume` is refused.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use coda_rs_fuzz::{names_in, scratch_dir};
use libfuzzer_sys::fuzz_target;
use volume_dump::create::{create_dump, CreateOptions};
use volume_dump::restore::{restore_chain, RestoreOptions, JOURNAL_NAME};

/// Volume id, name and date of the dump (the seeds' journals name them).
const VOLUME_ID: u32 = 0x0100_0002;
const VOLUME_NAME: &[u8] = b"fuzzvol";
const DATE: u32 = 1_700_000_000;

fn dump() -> &'static [u8] {
    static DUMP: OnceLock<Vec<u8>> = OnceLock::new();
    DUMP.get_or_init(|| {
        let tree = scratch_dir();
        let t = tree.path();
        std::fs::create_dir(t.join("sub")).unwrap();
        std::fs::write(t.join("a"), vec![b'a'; 5000]).unwrap();
        std::fs::write(t.join("sub/b"), b"bee\n").unwrap();
        std::fs::write(t.join("e"), b"").unwrap();
        std::fs::hard_link(t.join("a"), t.join("sub/a2")).unwrap();
        std::os::unix::fs::symlink("a", t.join("l")).unwrap();
        let opts = CreateOptions::new(VOLUME_ID, VOLUME_NAME, DATE);
        create_dump(t, &opts, Vec::new()).expect("dump create").0
    })
}

fn restore(into: &Path) -> Result<volume_dump::restore::RestoreSummary, String> {
    let opts = RestoreOptions {
        resume: true,
        workers: 1,
        ..RestoreOptions::default()
    };
    restore_chain(dump(), &[], into, &opts, &mut |_| {}).map_err(|e| e.to_string())
}

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let scratch = scratch_dir();
    let into = scratch.path().join("into");
    std::fs::create_dir(&into).unwrap();
    std::fs::write(into.join(JOURNAL_NAME), data).unwrap();
    let first = restore(&into);
    assert_eq!(
        names_in(scratch.path()),
        ["into"],
        "created outside the target"
    );
    match first {
        Err(e) => assert!(!e.contains('\n'), "error of several lines: {e}"),
        Ok(first) => {
            // A finished restore removes its journal, so a second resume
            // has nothing to resume from: refused, nothing done. (A
            // journal that said `complete` was alone in the target: once
            // it is gone, the target is empty and restored afresh.)
            assert!(
                !into.join(JOURNAL_NAME).exists(),
                "a finished restore left its journal"
            );
            let again = restore(&into);
            if first.already_complete {
                assert!(again.is_ok(), "restore into the emptied target: {again:?}");
            } else {
                assert!(
                    matches!(&again, Err(e) if e.contains("holds no restore journal")),
                    "second resume: {again:?}"
                );
            }
        }
    }
});
