//! Directory pages (spec §12) from untrusted bytes: listing, the salvager
//! checks and re-creating the listed entries must never panic or hang.
//!
//! Input: raw page bytes, or a whole dump stream (the seeds `.ci/fuzz`
//! gives every `dir_*` target), from which the first directory's pages are
//! taken. More seeds: `cargo test -p coda-rs-tests --test dirpage --
//! --ignored` writes every golden directory's pages to
//! `fuzz/corpus/dir_page/`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use volume_dump::dirpage::{DirBuilder, DirPages, BLOBS_PER_PAGE, MAX_PAGES, PAGE_SIZE};

/// The first byte and begin magic of a dump (spec §4).
const DUMP_START: [u8; 5] = [0x01, 0xb3, 0xa1, 0x13, 0x22];
/// A page mark followed by the page tag 1234 (spec §7.2, §12.1).
const PAGE_START: [u8; 5] = [b'P', 0, 0, 0x04, 0xd2];

/// The pages of the first directory of a dump: 2048-byte pages, each
/// introduced by `'P'` and the page tag.
fn pages_in_dump(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(mut at) = data.windows(5).position(|w| w == PAGE_START) else {
        return out;
    };
    while out.len() < MAX_PAGES * PAGE_SIZE
        && data.get(at..at + 5) == Some(&PAGE_START[..])
        && at + 1 + PAGE_SIZE <= data.len()
    {
        out.extend_from_slice(&data[at + 1..at + 1 + PAGE_SIZE]);
        at += 1 + PAGE_SIZE;
    }
    out
}

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let extracted;
    let data = if data.starts_with(&DUMP_START) {
        extracted = pages_in_dump(data);
        &extracted[..]
    } else {
        data
    };
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
    // The checked listing (the one place names leave the format) never
    // hands out a name a file system or tar could misread, and it lists
    // exactly the entries of a directory whose chains can be followed.
    let me = entries
        .iter()
        .find(|e| e.name == b".")
        .map_or((1, 1), |e| (e.vnode, e.unique));
    let listing = dir.listing(me, None);
    if let Ok(l) = &listing {
        let mut names = std::collections::HashSet::new();
        for e in &l.entries {
            assert!(!e.name.is_empty() && !e.name.contains(&b'/') && !e.name.contains(&0));
            assert!(e.name != b"." && e.name != b"..");
            assert!(names.insert(e.name), "a name listed twice");
        }
        let standard = usize::from(l.dot.is_some()) + usize::from(l.dotdot.is_some());
        assert_eq!(l.entries.len() + standard, entries.len());
    }
    if checked.is_ok() && listing.is_ok() {
        // A valid directory with checked names lists names the builder
        // accepts, and re-creating them gives a valid directory with the
        // same entries.
        entries.sort_by_key(|e| e.blob);
        let mut rebuilt = DirBuilder::empty();
        for e in &entries {
            rebuilt
                .create(e.name, e.vnode, e.unique)
                .expect("the builder accepts every checked name");
        }
        rebuilt.pages().check().expect("rebuilt directory is valid");
        assert_eq!(rebuilt.pages().entries().count(), entries.len());
    }
});
