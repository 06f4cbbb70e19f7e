//! `dump to-tar` of a hostile dump (spec §11): the name table, the cut
//! paths, hard links, symlinks, the ACL member, on whatever the dump
//! reader lets through (strict and lenient), with and without PAX headers.
//!
//! Input: a dump stream (the golden dumps are seeds). What must hold: no
//! panic; what was written when the conversion succeeds is a tar archive
//! the tape reader walks to its end, with the counts the summary gives and
//! its `..CodaACLs.yaml` member readable; the output is never larger than
//! the summary says; and no member name is absolute, has an empty or `..`
//! component, or lies below a symlink member (an extractor less careful
//! than GNU tar would write outside its target).

#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use volume_dump::acl::yaml::parse_acl_yaml;
use volume_dump::acl::ACL_FILE;
use volume_dump::tar::TarStream;
use volume_dump::tar::{write_tar, TarOptions};
use volume_dump::{DumpReader, ReadOptions};

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    for (lenient, pax) in [(false, false), (true, false), (false, true)] {
        let Ok(mut reader) = DumpReader::with_options(data, ReadOptions { lenient }) else {
            return;
        };
        let opts = TarOptions {
            pax,
            ..TarOptions::default()
        };
        let mut out = Vec::new();
        let Ok(summary) = write_tar(&mut reader, &mut out, &opts) else {
            continue;
        };
        assert_eq!(summary.tar_bytes, out.len() as u64);
        check_archive(
            &out,
            summary.directories
                + summary.files
                + summary.symlinks
                + summary.hard_links
                + summary.pax_headers,
        );
    }
});

/// Walks the archive; it must end cleanly and hold `records` records plus
/// the ACL member.
fn check_archive(tar: &[u8], records: u64) {
    let mut t = TarStream::new(tar);
    let mut seen = 0u64;
    let mut acl = None;
    let mut symlinks: Vec<String> = Vec::new();
    loop {
        match t.next_member() {
            Ok(Some(m)) => {
                seen += 1;
                if m.typeflag != b'x' {
                    assert_safe_name(&m.name, &symlinks);
                }
                if m.typeflag == b'2' {
                    symlinks.push(m.name.clone());
                }
                let mut body = Vec::new();
                t.data()
                    .read_to_end(&mut body)
                    .expect("member data present");
                assert_eq!(body.len() as u64, m.size);
                if m.name.as_bytes().ends_with(ACL_FILE.as_bytes()) {
                    acl = Some(body);
                }
            }
            Ok(None) => break,
            Err(e) => panic!("written archive does not read back: {e}"),
        }
    }
    assert_eq!(seen, records + 1, "record count differs from the summary");
    let acl = acl.expect("the ACL member");
    let _ = parse_acl_yaml(&acl);
}

/// A member name an extractor can create beneath its target.
fn assert_safe_name(name: &str, symlinks: &[String]) {
    assert!(!name.starts_with('/'), "absolute member name {name:?}");
    assert!(
        name.split('/').all(|c| !c.is_empty() && c != ".."),
        "member name {name:?} has an empty or `..` component"
    );
    for s in symlinks {
        assert!(
            !name
                .strip_prefix(s.as_str())
                .is_some_and(|r| r.starts_with('/')),
            "member {name:?} lies below the symlink member {s:?}"
        );
    }
}
