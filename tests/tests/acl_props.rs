//! ACL text form (spec §7.3): print/parse round trips and arbitrary bytes
//! (errors, never panics; whatever parses prints back unchanged).

use proptest::collection::vec;
use proptest::prelude::*;
use volume_dump::acl::{Acl, AclEntry, Rights, MAX_NAME_LEN};

fn entry() -> impl Strategy<Value = AclEntry> {
    // Names: bytes without whitespace or NUL (what `%s` can carry),
    // 1..=64 bytes, sometimes up to the cap.
    let byte = any::<u8>().prop_map(|c| {
        if c == 0 || c.is_ascii_whitespace() || c == 0x0b {
            b'_'
        } else {
            c
        }
    });
    let name = prop_oneof![
        8 => vec(byte.clone(), 1..=64),
        1 => vec(byte, MAX_NAME_LEN..=MAX_NAME_LEN),
    ];
    (name, any::<u32>()).prop_map(|(name, r)| AclEntry::new(name, Rights(r)))
}

fn acl() -> impl Strategy<Value = Acl> {
    (vec(entry(), 0..24), vec(entry(), 0..8))
        .prop_map(|(positive, negative)| Acl { positive, negative })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn print_then_parse_gives_the_same_acl(a in acl()) {
        let text = a.to_text();
        prop_assert_eq!(Acl::parse(&text).unwrap(), a.clone());
        // The field form carries a NUL; it is accepted too.
        let mut with_nul = text.clone();
        with_nul.push(0);
        prop_assert_eq!(Acl::parse(&with_nul).unwrap(), a);
    }

    #[test]
    fn arbitrary_text_parses_only_in_canonical_form(
        text in prop_oneof![
            vec(any::<u8>(), 0..64),
            vec(prop_oneof![Just(b'1'), Just(b'0'), Just(b'\n'), Just(b'\t'), Just(b'a')], 0..40),
        ]
    ) {
        if let Ok(a) = Acl::parse(&text) {
            let canonical = text.strip_suffix(&[0]).unwrap_or(&text);
            prop_assert_eq!(a.to_text(), canonical.to_vec());
        }
    }

    #[test]
    fn truncated_texts_are_errors(a in acl(), cut in any::<prop::sample::Index>()) {
        let text = a.to_text();
        let at = cut.index(text.len());
        // Every strict prefix is incomplete (the text ends in '\n' and the
        // counts announce exactly the entries that follow).
        prop_assert!(Acl::parse(&text[..at]).is_err());
    }
}
