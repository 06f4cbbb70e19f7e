//! The `..CodaACLs.yaml` file of a tree (spec §11.5), as `dump create` and
//! `dump incremental` read it from a directory the user wrote.
//!
//! What must hold: no panic; an error names a line of the file; every ACL
//! text the reader returns is one the dump format holds (the strict
//! [`Acl::parse`] accepts it), so a hostile YAML file can never put a
//! malformed or injected `'X'` field into a dump; and reader → YAML writer
//! → reader gives the same ACLs.

#![no_main]

use libfuzzer_sys::fuzz_target;
use volume_dump::acl::Acl;
use volume_dump::acl::yaml::{directory_item, parse_acl_yaml};

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let acls = match parse_acl_yaml(data) {
        Ok(acls) => acls,
        Err(e) => {
            let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
            let n: usize = e
                .strip_prefix("line ")
                .and_then(|r| r.split(':').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("error without a line number: {e}"));
            assert!((1..=lines + 1).contains(&n), "line {n} of {lines}: {e}");
            return;
        }
    };
    let mut paths: Vec<&Vec<u8>> = acls.keys().collect();
    paths.sort();
    let mut yaml = b"acls:\n".to_vec();
    for path in paths {
        let text = &acls[path];
        if let Err(e) = Acl::parse(text) {
            panic!(
                "the YAML reader made an ACL text the dump cannot hold ({e}): {:?}",
                String::from_utf8_lossy(text)
            );
        }
        assert!(directory_item(path, text, &mut yaml));
    }
    let again = parse_acl_yaml(&yaml).expect("written YAML reads back");
    assert_eq!(again, acls, "YAML round trip changed the ACLs");
});
