//! The tar reader of `dump restore --tar-member` and `tape ls`
//! ([`TarStream`]) on damaged copies of the golden `native-full.tar`
//! (`codadump2tar`): a header at byte 0 (the root directory), the
//! `testvol.0.backup/..CodaACLs.yaml` header at byte 512, its 81 bytes of
//! data at 1024, padding to 1536, two zero blocks. Every error names the
//! byte offset; nothing damaged reads as a clean end.

use std::io::{self, Read};

use coda_rs_tests::read_golden;
use volume_dump::tar::TarStream;

const ACL_MEMBER: &str = "testvol.0.backup/..CodaACLs.yaml";

fn golden_tar() -> Vec<u8> {
    read_golden("dump", "native-full.tar")
}

/// Walks `tar` reading every member's data; the error that stops it.
fn walk_error(tar: &[u8]) -> io::Error {
    let mut t = TarStream::new(tar);
    loop {
        match t.next_member() {
            Ok(Some(_)) => {
                if let Err(e) = t.data().read_to_end(&mut Vec::new()) {
                    return e;
                }
            }
            Ok(None) => panic!("the damaged archive read as complete"),
            Err(e) => return e,
        }
    }
}

/// Walks `tar` skipping the members' data (as `tape ls` does for
/// directories); the error that stops it.
fn skip_error(tar: &[u8]) -> io::Error {
    let mut t = TarStream::new(tar);
    loop {
        match t.next_member() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the damaged archive read as complete"),
            Err(e) => return e,
        }
    }
}

/// Sets the header checksum of the block at `at` after a change.
fn fix_checksum(tar: &mut [u8], at: usize) {
    let h = &mut tar[at..at + 512];
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&c| u32::from(c)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

#[test]
fn the_golden_archive_reads_to_its_end() {
    let tar = golden_tar();
    let mut t = TarStream::new(&tar[..]);
    let root = t.next_member().unwrap().unwrap();
    assert_eq!(
        (root.name.as_str(), root.size, root.typeflag),
        ("testvol.0.backup", 0, b'5')
    );
    let acl = t.next_member().unwrap().unwrap();
    assert_eq!((acl.name.as_str(), acl.size), (ACL_MEMBER, 81));
    let mut text = Vec::new();
    t.data().read_to_end(&mut text).unwrap();
    assert_eq!(text, &tar[1024..1105]);
    assert!(t.next_member().unwrap().is_none());
    // Without the end blocks the archive still ends at a header boundary.
    let mut t = TarStream::new(&tar[..1536]);
    assert!(t.next_member().unwrap().is_some());
    assert!(t.next_member().unwrap().is_some());
    assert!(t.next_member().unwrap().is_none());
}

#[test]
fn cut_inside_member_data_names_the_member_and_offsets() {
    let tar = golden_tar();
    for cut in [1024, 1025, 1100, 1104] {
        let e = walk_error(&tar[..cut]);
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let want = format!(
            "tar archive ends at byte {cut} inside member \"{ACL_MEMBER}\" (header at byte 512; \
             expected {} more bytes of data)",
            1105 - cut
        );
        assert_eq!(e.to_string(), want);
    }
}

#[test]
fn cut_inside_skipped_data_or_padding_is_not_a_clean_end() {
    let tar = golden_tar();
    for cut in [1024, 1100, 1105, 1300, 1535] {
        let e = skip_error(&tar[..cut]);
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let want = format!(
            "tar archive ends at byte {cut} inside member \"{ACL_MEMBER}\" (header at byte 512; \
             expected {} more bytes of data and padding)",
            1536 - cut
        );
        assert_eq!(e.to_string(), want);
    }
}

#[test]
fn cut_header_names_its_offset() {
    let tar = golden_tar();
    for (cut, at) in [(1, 0), (511, 0), (513, 512), (700, 512), (1023, 512)] {
        let e = skip_error(&tar[..cut]);
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let n = cut - at;
        assert_eq!(
            e.to_string(),
            format!("tar header at byte {at} cut after {n} bytes (expected 512)")
        );
    }
}

#[test]
fn damaged_header_bytes_fail_the_checksum() {
    let tar = golden_tar();
    // A byte of the name, of the size field, of the prefix; the checksum
    // field itself.
    for at in [512 + 3, 512 + 130, 512 + 345 + 2, 512 + 150] {
        let mut bad = tar.clone();
        bad[at] ^= 0x01;
        let e = skip_error(&bad);
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let msg = e.to_string();
        assert!(
            msg.starts_with("tar header at byte 512: checksum field "),
            "{msg}"
        );
        assert!(msg.ends_with(" does not match the header's bytes"), "{msg}");
    }
}

#[test]
fn a_block_that_is_no_header_names_its_offset() {
    let tar = golden_tar();
    for fill in [b'x', 0xff] {
        let mut bad = tar.clone();
        bad[512..1024].fill(fill);
        let e = skip_error(&bad);
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            e.to_string(),
            "not a tar header at byte 512 (expected the ustar magic at byte 769)"
        );
    }
}

#[test]
fn a_size_field_that_is_not_octal_names_its_offset() {
    let tar = golden_tar();
    for size in [
        &b"0000000012x\0"[..],
        b"00000000128\0",
        b"\x80\0\0\0\0\0\0\0\0\0\0\x51",
    ] {
        let mut bad = tar.clone();
        bad[512 + 124..512 + 136].copy_from_slice(size);
        fix_checksum(&mut bad, 512);
        let e = skip_error(&bad);
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let msg = e.to_string();
        assert!(
            msg.starts_with("tar header at byte 512: size field "),
            "{msg}"
        );
        assert!(msg.ends_with(" (expected octal digits)"), "{msg}");
    }
}

#[test]
fn a_checksum_summed_over_signed_bytes_is_accepted() {
    // Old tar writers summed the header as signed chars; a name byte
    // above 0x7f tells the two sums apart.
    let mut tar = golden_tar();
    tar[512] = 0xe9;
    let h = &mut tar[512..1024];
    h[148..156].fill(b' ');
    let signed: i64 = h.iter().map(|&c| i64::from(c as i8)).sum();
    h[148..156].copy_from_slice(format!("{signed:06o}\0 ").as_bytes());
    let mut t = TarStream::new(&tar[..]);
    t.next_member().unwrap().unwrap();
    let m = t.next_member().unwrap().unwrap();
    assert_eq!(m.size, 81);
}
