//! A directory's ACL text (the dump's `'X'` field, spec §7.3) through
//! [`Acl::parse`], and the `..CodaACLs.yaml` item `codadump2tar` makes of
//! it (spec §11.5) through the YAML reader.
//!
//! What must hold: no panic; an error names an offset inside the text;
//! the strict parser accepts only the server's exact layout, so a parsed
//! ACL prints back to the input (one trailing NUL aside) and parses to
//! itself; and text → YAML item → YAML reader gives the ACL back (rights
//! as the letters can carry them: the seven `rlidwka` bits).

#![no_main]

use libfuzzer_sys::fuzz_target;
use volume_dump::acl::{Acl, Rights};
use volume_dump::acl::yaml::{directory_item, parse_acl_yaml};

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    // The YAML writer scans any text the way codadump2tar's sscanf does.
    let mut item = b"acls:\n".to_vec();
    let scanned = directory_item(b"./d", data, &mut item);

    let acl = match Acl::parse(data) {
        Ok(acl) => acl,
        Err(e) => {
            assert!(
                e.offset <= data.len(),
                "error offset {} past {}",
                e.offset,
                data.len()
            );
            return;
        }
    };
    let text = acl.to_text();
    assert_eq!(
        &text[..],
        data.strip_suffix(&[0]).unwrap_or(data),
        "not the server's layout"
    );
    assert_eq!(
        Acl::parse(&text).as_ref(),
        Ok(&acl),
        "printed ACL parses differently"
    );

    assert!(scanned, "the YAML writer refused a valid ACL");
    let yaml = parse_acl_yaml(&item).expect("the YAML of a valid ACL reads back");
    let back = yaml.get(&b"./d"[..]).expect("the directory's item");
    let mut want = acl.clone();
    for e in want.positive.iter_mut().chain(want.negative.iter_mut()) {
        e.rights = Rights(e.rights.0 & Rights::ALL.0);
    }
    assert_eq!(
        Acl::parse(back).as_ref(),
        Ok(&want),
        "YAML round trip changed the ACL"
    );
});
