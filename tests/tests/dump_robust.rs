//! Damaged dumps give an error, never a panic or a hang (issue 4).

use std::io::Read;

use coda_rs_tests::read_golden;
use volume_dump::verify::{verify, VerifyOptions};
use volume_dump::{Dump, Error, ReadOptions};

/// Every proper prefix of a valid dump is a truncated stream: the reader
/// must say so at exactly the prefix's end.
fn assert_every_prefix_is_truncated(bytes: &[u8], upto: usize) {
    for n in 0..upto.min(bytes.len()) {
        match Dump::read(&bytes[..n], ReadOptions::default()) {
            Err(Error::Truncated { offset, .. }) => {
                assert_eq!(offset, n as u64, "prefix of {n} bytes: wrong offset")
            }
            Err(e) => panic!("prefix of {n} bytes: expected a truncation error, got: {e}"),
            Ok(_) => panic!("prefix of {n} bytes read as a complete dump"),
        }
    }
}

#[test]
fn every_truncation_of_native_full_is_an_error() {
    let bytes = read_golden("dump", "native-full.dump");
    assert_every_prefix_is_truncated(&bytes, bytes.len());
}

#[test]
fn every_truncation_in_the_first_64k_of_server_a_full_is_an_error() {
    let bytes = read_golden("dump", "server-a-full.dump");
    assert_every_prefix_is_truncated(&bytes, 64 * 1024);
}

/// Offsets of every record and field tag byte of native-full.dump, from
/// the worked example of spec §16.
fn native_full_tag_offsets() -> Vec<usize> {
    let mut t = vec![0, 9, 14, 19, 41, 46, 51, 60];
    // Volume data (§16): i v n P s + u t p, then g c b q m x d f, l,
    // a o C A U E B, O M W D Z V.
    t.extend([61, 66, 71, 93, 106, 108, 110, 115, 117]);
    t.extend((122..=157).step_by(5));
    t.push(162);
    t.extend((165..=195).step_by(5));
    t.extend([200, 206, 212, 245, 250, 255]);
    // The volume VV's 11 field tags and its D_ENDVV.
    t.extend((256..=306).step_by(5));
    t.push(311);
    // Large index header, the root vnode and its fields.
    t.extend([312, 313, 318, 323, 332, 334, 337, 340, 345, 350]);
    t.extend((351..=401).step_by(5));
    t.extend([406, 407, 412, 417, 422, 427, 432, 468, 473]);
    // Small index header and the end marker.
    t.extend([2522, 2523, 2528, 2533]);
    t
}

#[test]
fn the_tag_offsets_of_the_worked_example_hold_tags() {
    let bytes = read_golden("dump", "native-full.dump");
    for off in native_full_tag_offsets() {
        let b = bytes[off];
        assert!(
            b <= 20 || b == b'P' || b.is_ascii_graphic(),
            "offset {off}: {b:#x}"
        );
    }
    assert_eq!(bytes[473], b'P');
    assert_eq!(bytes[2533], 8);
}

/// Every other value of each record and field tag byte: an error, or a
/// stream that still verifies and reads back to exactly these bytes.
#[test]
fn every_other_tag_value_of_native_full_is_an_error_or_still_valid() {
    let bytes = read_golden("dump", "native-full.dump");
    let mut strict_accepted = 0;
    for off in native_full_tag_offsets() {
        for value in 0..=255u8 {
            if value == bytes[off] {
                continue;
            }
            let mut damaged = bytes.clone();
            damaged[off] = value;
            for lenient in [false, true] {
                let opts = VerifyOptions {
                    read: ReadOptions { lenient },
                    restore_checks: true,
                };
                if verify(&damaged[..], opts).is_ok() {
                    let d = Dump::read(&damaged[..], ReadOptions { lenient }).unwrap_or_else(|e| {
                        panic!("offset {off} value {value:#x}: verify ok but read fails: {e}")
                    });
                    if !lenient {
                        let again = d.write(Vec::new()).unwrap();
                        assert!(
                            again == damaged,
                            "offset {off} value {value:#x}: accepted but not canonical"
                        );
                    }
                    if !lenient {
                        strict_accepted += 1;
                    }
                }
            }
        }
    }
    // The strict reader pins every tag to its canonical place, so no
    // damaged tag passes it; the lenient one accepts fields in any order,
    // so swapping one int32 field tag for another is legitimately valid.
    assert_eq!(
        strict_accepted, 0,
        "damaged tags accepted by the strict reader"
    );
}

/// A reader that returns short reads of pseudo-random sizes, like a pipe
/// or a tape drive.
struct ShortReads<'a> {
    data: &'a [u8],
    state: u32,
}

impl Read for ShortReads<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.state = self.state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let want = 1 + (self.state >> 16) as usize % 700;
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn short_reads_give_the_same_dump() {
    for name in [
        "server-a-full.dump",
        "server-b-incr.dump",
        "harness-badinode.dump",
    ] {
        let bytes = read_golden("dump", name);
        let whole = Dump::read(&bytes[..], ReadOptions::default()).unwrap();
        let pieces = Dump::read(
            ShortReads {
                data: &bytes,
                state: 7,
            },
            ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(whole, pieces, "{name}");
    }
}

/// Lengths are untrusted: a huge file size on a short stream must not
/// allocate or hang, just report the truncation.
#[test]
fn a_lying_file_size_is_a_truncation_not_an_allocation() {
    let mut bytes = read_golden("dump", "harness-badinode.dump");
    // Find 4.3's D_FILEDATA (`0C 00000006 hello\n`) and claim 4 GiB - 1.
    let at = bytes
        .windows(11)
        .position(|w| w == &b"\x0c\x00\x00\x00\x06hello\n"[..])
        .unwrap();
    bytes[at + 1..at + 5].copy_from_slice(&u32::MAX.to_be_bytes());
    match Dump::read(&bytes[..], ReadOptions::default()) {
        Err(Error::Truncated { offset, .. }) => assert_eq!(offset, bytes.len() as u64),
        other => panic!("expected truncation, got {other:?}"),
    }
}

/// Fields out of canonical order: the strict reader names the field it
/// wanted; the lenient one reads the same values, and writing gives the
/// canonical bytes back.
#[test]
fn reordered_fields_are_strict_errors_and_lenient_successes() {
    let bytes = read_golden("dump", "native-full.dump");
    let mut swapped = bytes.clone();
    // Header `v` (offset 9, 5 bytes) and `p` (offset 14, 5 bytes), spec §16.
    swapped[9..19].copy_from_slice(&[&bytes[14..19], &bytes[9..14]].concat());
    // Root vnode `t` (332, 2 bytes) and `b` (334, 3 bytes).
    swapped[332..337].copy_from_slice(&[&bytes[334..337], &bytes[332..334]].concat());
    match Dump::read(&swapped[..], ReadOptions::default()) {
        Err(Error::Format {
            offset, expected, ..
        }) => {
            assert_eq!(offset, 9);
            assert_eq!(expected, "field 'v' (0x76)");
        }
        other => panic!("expected a format error, got {other:?}"),
    }
    let lenient = Dump::read(&swapped[..], ReadOptions { lenient: true }).unwrap();
    let strict = Dump::read(&bytes[..], ReadOptions::default()).unwrap();
    assert_eq!(lenient, strict);
    assert!(lenient.write(Vec::new()).unwrap() == bytes);
}

/// An unknown field tag cannot be skipped (no length): an error in both
/// modes (spec §1).
#[test]
fn an_unknown_field_tag_is_an_error_even_when_lenient() {
    let mut bytes = read_golden("dump", "native-full.dump");
    bytes[14] = b'z';
    for lenient in [false, true] {
        let err = Dump::read(&bytes[..], ReadOptions { lenient })
            .unwrap_err()
            .to_string();
        assert_eq!(
            err.split(" (expected").next().unwrap(),
            "byte offset 14: dump header: unknown field tag 'z' (0x7a)"
        );
    }
}

/// A full dump whose index holds fewer records than its count says.
#[test]
fn a_full_dump_must_hold_as_many_vnodes_as_its_index_says() {
    let mut bytes = read_golden("dump", "native-full.dump");
    // Large index `v` (offset 314..318, spec §16): 1 -> 2.
    bytes[317] = 2;
    let err = Dump::read(&bytes[..], ReadOptions::default()).unwrap_err();
    assert_eq!(err.offset(), Some(2522));
    assert!(
        err.to_string().contains("ends after 1 vnode records"),
        "{err}"
    );
}
