//! Replies the fuzzer (`fuzz/fuzz_targets/pioctl_reply.rs`) found, kept in
//! `tests/fuzz/`, and variants of each class: each must be refused with a
//! [`Error::BadReply`] naming the offset, never panic.

use std::path::Path;

use cfs_ioctl::{Acl, Error, Opcode};

fn fuzz_input(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The offset of a getacl reply's `BadReply`.
fn bad_acl_offset(reply: &[u8]) -> usize {
    match Acl::parse(reply) {
        Err(Error::BadReply { op, offset, .. }) => {
            assert_eq!(op, Opcode::GETAL);
            offset
        }
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(reply)),
    }
}

/// fuzz pioctl_reply crash-4df57ea4: entry counts whose sum overflows
/// (`2` and `2^64 - 1`) panicked adding them.
#[test]
fn acl_counts_whose_sum_overflows() {
    let reply = fuzz_input("getacl-4df57ea4-count-overflow");
    assert_eq!(bad_acl_offset(&reply), 2, "the negative count's line");
    let max = usize::MAX.to_string();
    for (p, m) in [
        (max.as_str(), "1"),
        ("1", max.as_str()),
        (max.as_str(), max.as_str()),
    ] {
        let reply = format!("{p}\n{m}\njan\t9\n\0");
        assert_eq!(bad_acl_offset(reply.as_bytes()), p.len() + 1, "{reply:?}");
    }
}

/// Counts that do not overflow but announce more entries than the text
/// can hold are refused at the same place; a count that fits is read.
#[test]
fn acl_counts_larger_than_the_text() {
    assert_eq!(bad_acl_offset(b"1000\n0\njan\t9\n"), 5);
    assert_eq!(bad_acl_offset(b"0\n14\njan\t9\n"), 2);
    let acl = Acl::parse(b"1\n0\njan\t9\n\0").unwrap();
    assert_eq!(acl.positive.len(), 1);
}
