//! Directory pages (spec §12) from untrusted bytes: listing, the salvager
//! checks and re-creating the listed entries must never panic or hang.
//!
//! Seeds: the golden directory pages, written to `fuzz/corpus/dir_page/` by
//! `cargo test -p coda-rs-tests --test dirpage_golden -- --ignored`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use volume_dump::dirpage::{DirBuilder, DirPages, BLOBS_PER_PAGE, MAX_PAGES, PAGE_SIZE};

fuzz_target!(|data: &[u8]| {
    // Use the largest whole number of pages the input holds (at least one).
    let pages = (data.len() / PAGE_SIZE).clamp(1, MAX_PAGES);
    let mut buf = data[..data.len().min(pages * PAGE_SIZE)].to_vec();
    buf.resize(pages * PAGE_SIZE, 0);
    let Ok(dir) = DirPages::new(&buf) else {
        return;
    };
    let checked = dir.check();
    let mut entries = Vec::new();
    for e in dir.entries() {
        match e {
            Ok(e) => entries.push(e),
            Err(_) => break,
        }
    }
    // Every blob is visited at most once.
    assert!(entries.len() <= pages * BLOBS_PER_PAGE);
    if checked.is_ok() {
        // A valid directory lists names the builder accepts, and
        // re-creating them gives a valid directory with the same entries.
        entries.sort_by_key(|e| e.blob);
        let mut rebuilt = DirBuilder::empty();
        for e in &entries {
            if rebuilt.create(e.name, e.vnode, e.unique).is_err() {
                // Names containing '/' are valid on disk but refused by the
                // builder; nothing more to compare then.
                return;
            }
        }
        rebuilt.pages().check().expect("rebuilt directory is valid");
        assert_eq!(rebuilt.pages().entries().count(), entries.len());
    }
});
