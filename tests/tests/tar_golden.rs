//! `write_tar` against the real `codadump2tar` outputs (spec §11): every
//! golden tar is reproduced byte for byte, except the `..CodaACLs.yaml`
//! header's mtime and checksum (the time of the run); the two bad-inode
//! dumps fail where the real tool failed, after the same 1024 bytes.

use coda_rs_tests::read_golden;
use volume_dump::tar::{checksum_ok, write_tar, TarOptions, BLOCK};
use volume_dump::DumpReader;

const CONVERTIBLE: &[&str] = &[
    "native-full",
    "native-incr",
    "native-merged",
    "harness-a-full",
    "harness-b-full",
    "server-a-full",
    "server-b-full",
    "server-b-incr",
    "server-b-incr-smallonly",
    "merged-a+b",
];

fn convert(
    name: &str,
    opts: &TarOptions,
) -> (Vec<u8>, volume_dump::Result<volume_dump::tar::TarSummary>) {
    let dump = read_golden("dump", &format!("{name}.dump"));
    let mut reader = DumpReader::new(dump.as_slice()).expect("golden dump header");
    let mut out = Vec::new();
    let r = write_tar(&mut reader, &mut out, opts);
    (out, r)
}

/// Offset of the `..CodaACLs.yaml` header in a tar ending with that
/// member and two zero blocks.
fn acl_header_offset(tar: &[u8]) -> usize {
    let mut at = tar.len() - 2 * BLOCK;
    loop {
        at -= BLOCK;
        if tar[at..].starts_with(b"..CodaACLs.yaml\0") {
            return at;
        }
    }
}

#[test]
fn golden_tars_are_reproduced() {
    for name in CONVERTIBLE {
        let golden = read_golden("dump", &format!("{name}.tar"));
        let (ours, r) = convert(name, &TarOptions::default());
        let summary = r.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(summary.tar_bytes, ours.len() as u64);
        assert_eq!(ours.len(), golden.len(), "{name}: length");
        let h = acl_header_offset(&golden);
        assert_eq!(acl_header_offset(&ours), h, "{name}");
        let block: &[u8; BLOCK] = ours[h..h + BLOCK].try_into().unwrap();
        assert!(checksum_ok(block), "{name}: our ACL header checksum");
        let gblock: &[u8; BLOCK] = golden[h..h + BLOCK].try_into().unwrap();
        assert!(checksum_ok(gblock), "{name}: golden ACL header checksum");
        // Everything but mtime (136..148) and checksum (148..156) of that
        // header is identical.
        for (i, (a, b)) in ours.iter().zip(&golden).enumerate() {
            if (h + 136..h + 156).contains(&i) {
                continue;
            }
            assert_eq!(a, b, "{name}: first difference at tar byte {i}");
        }
    }
}

#[test]
fn acl_member_mtime_is_the_given_time() {
    let opts = TarOptions {
        acl_mtime: 1_795_672_326,
        ..TarOptions::default()
    };
    // native-full.tar was made at 1795672326 (octal 15301744406): with
    // that time the whole tar is identical.
    let (ours, r) = convert("native-full", &opts);
    r.unwrap();
    assert!(ours == read_golden("dump", "native-full.tar"));
}

#[test]
fn bad_inode_dumps_fail_where_codadump2tar_failed() {
    for (name, what) in [
        ("harness-badinode", "D_BADINODE"),
        ("server-badinode-redump", "D_FILEDATA of 0 bytes"),
    ] {
        let (ours, r) = convert(name, &TarOptions::default());
        let err = r.unwrap_err().to_string();
        assert!(err.contains(what), "{name}: {err}");
        assert!(err.contains("vnode 0x2.0x2"), "{name}: {err}");
        // The real tool's truncated output: root directory + `f1` header.
        let golden = read_golden("dump", &format!("{name}.tar"));
        assert_eq!(golden.len(), 1024);
        assert!(ours == golden, "{name}: partial output differs");
    }
}

#[test]
fn summary_counts_match_the_golden_tree() {
    // State A (README): 4 directories, 78 files, 2 symlinks, one extra
    // name (README-hardlink.txt), 81 small vnodes.
    let (_, r) = convert("harness-a-full", &TarOptions::default());
    let s = r.unwrap();
    assert_eq!(s.directories, 4);
    assert_eq!(s.files + s.symlinks, 81);
    assert_eq!(s.symlinks, 2);
    assert_eq!(s.hard_links, 1);
    assert_eq!(s.unnamed, 0);
    // server-b-incr: the incremental's lost+found objects (spec §11.2).
    let (_, r) = convert("server-b-incr", &TarOptions::default());
    assert!(r.unwrap().unnamed > 0);
}
