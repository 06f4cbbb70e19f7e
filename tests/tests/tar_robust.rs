//! `write_tar` on damaged and unusual dumps: errors, never panics or hangs
//! (truncations, byte damage, directory cycles), `root_name`, and PAX
//! headers for names the ustar fields cannot hold.

use crate::hostile_support;

use coda_rs_tests::{coda_rs, read_golden, scratch};
use hostile_support::{build, dir, e, file, one_line_error, symlink, ROOT};
use proptest::collection::vec;
use proptest::prelude::*;
use volume_dump::dirpage::DirBuilder;
use volume_dump::tar::{write_tar, TarOptions, BLOCK};
use volume_dump::{Data, Dump, DumpReader, IndexEntry, ReadOptions};

/// Converts `bytes`; `None` if the header or volume data do not read.
fn convert(bytes: &[u8], opts: &TarOptions) -> Option<(Vec<u8>, volume_dump::Result<()>)> {
    let mut r = DumpReader::new(bytes).ok()?;
    let mut out = Vec::new();
    let res = write_tar(&mut r, &mut out, opts).map(|_| ());
    Some((out, res))
}

#[test]
fn every_truncation_of_native_full_is_an_error() {
    let dump = read_golden("dump", "native-full.dump");
    for cut in 0..dump.len() {
        if let Some((_, res)) = convert(&dump[..cut], &TarOptions::default()) {
            assert!(res.is_err(), "truncated at {cut} converted");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn damaged_dumps_never_panic(
        which in 0usize..2,
        damage in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        pax in any::<bool>(),
    ) {
        let name = ["native-full", "server-b-incr"][which];
        let mut dump = read_golden("dump", &format!("{name}.dump"));
        for (at, byte) in damage {
            let i = at.index(dump.len());
            dump[i] = byte;
        }
        let opts = TarOptions { pax, ..TarOptions::default() };
        if let Some((out, res)) = convert(&dump, &opts) {
            if res.is_ok() {
                prop_assert_eq!(out.len() % BLOCK, 0);
            }
        }
    }
}

/// native-full with `extra` directories added to the large index.
fn with_directories(extra: Vec<(u32, u32, Vec<u8>)>) -> Vec<u8> {
    let mut dump = Dump::read(
        &read_golden("dump", "native-full.dump")[..],
        ReadOptions::default(),
    )
    .unwrap();
    let IndexEntry::Vnode(root, _) = dump.large.entries[0].clone() else {
        panic!("root vnode");
    };
    for (vnode, unique, pages) in extra {
        let mut v = root.clone();
        v.vnode = vnode;
        v.unique = unique;
        v.length = pages.len() as u32;
        dump.large
            .entries
            .push(IndexEntry::Vnode(v, Data::DirPages(pages)));
    }
    dump.large.header.vnode_count = dump.large.entries.len() as u32;
    dump.write(Vec::new()).unwrap()
}

#[test]
fn directory_cycles_are_errors() {
    // 3.2 holds `b` -> 5.3 and 5.3 holds `a` -> 3.2; neither is reachable
    // from the root, and each one's only name is inside the other.
    let mut a = DirBuilder::new((3, 2), (5, 3));
    a.create(b"b", 5, 3).unwrap();
    let mut b = DirBuilder::new((5, 3), (3, 2));
    b.create(b"a", 3, 2).unwrap();
    let dump = with_directories(vec![(3, 2, a.into_bytes()), (5, 3, b.into_bytes())]);
    let (_, res) = convert(&dump, &TarOptions::default()).unwrap();
    let err = res.unwrap_err().to_string();
    assert!(err.contains("cycle"), "{err}");
}

#[test]
fn root_name_replaces_the_volume_name() {
    let dump = read_golden("dump", "native-full.dump");
    let opts = TarOptions {
        root_name: Some(b"restored-root".to_vec()),
        ..TarOptions::default()
    };
    let (out, res) = convert(&dump, &opts).unwrap();
    res.unwrap();
    assert!(out.starts_with(b"restored-root\0"));
    // ..CodaACLs.yaml carries the root name as its prefix (offset 345).
    let acl = &out[BLOCK..2 * BLOCK];
    assert!(acl.starts_with(b"..CodaACLs.yaml\0"));
    assert!(acl[345..].starts_with(b"restored-root\0"));
}

#[test]
fn pax_headers_carry_names_the_ustar_fields_cut() {
    // A 200-byte non-UTF-8 directory name under the root.
    let long: Vec<u8> = (0..200)
        .map(|i| if i % 2 == 0 { 0xff } else { b'd' })
        .collect();
    let mut root = DirBuilder::new((1, 1), (1, 1));
    root.create(&long, 3, 2).unwrap();
    let sub = DirBuilder::new((3, 2), (1, 1));
    let mut dump = Dump::read(
        &with_directories(vec![(3, 2, sub.into_bytes())])[..],
        ReadOptions::default(),
    )
    .unwrap();
    if let IndexEntry::Vnode(v, data) = &mut dump.large.entries[0] {
        *data = Data::DirPages(root.into_bytes());
        v.length = 2048;
    }
    let bytes = dump.write(Vec::new()).unwrap();

    let (plain, res) = convert(&bytes, &TarOptions::default()).unwrap();
    res.unwrap();
    let (pax, res) = convert(
        &bytes,
        &TarOptions {
            pax: true,
            ..TarOptions::default()
        },
    )
    .unwrap();
    res.unwrap();
    // One extended header (header block + one data block) was added.
    assert_eq!(pax.len(), plain.len() + 2 * BLOCK);
    let x = pax
        .chunks(BLOCK)
        .position(|b| b[156] == b'x')
        .expect("a PAX header");
    let data = &pax[(x + 1) * BLOCK..(x + 2) * BLOCK];
    let mut path = b"testvol.0.backup/".to_vec();
    path.extend_from_slice(&long);
    // "<len> path=<path>\n": 4 + 3 bytes besides the path, and the three
    // digits of the length itself.
    let mut rec = format!("{} path=", path.len() + 7 + 3).into_bytes();
    rec.extend_from_slice(&path);
    rec.push(b'\n');
    assert!(data.starts_with(b"21 hdrcharset=BINARY\n"));
    assert_eq!(&data[21..21 + rec.len()], rec.as_slice());
    // The ustar record itself is the same as without --pax.
    let plain_dir = plain.chunks(BLOCK).nth(1).unwrap();
    assert_eq!(pax.chunks(BLOCK).nth(x + 2).unwrap(), plain_dir);
    // ...whose name is cut to 96 bytes + `~~~` (spec §11.2).
    assert_eq!(&plain_dir[..96], &long[..96]);
    assert_eq!(&plain_dir[96..100], b"~~~\0");
}

/// A dump with one file (`data`, 4 bytes) and one symlink, with a length
/// field replaced: (what, offset of the 4 bytes, value).
fn with_huge_lengths() -> Vec<(&'static str, Vec<u8>, u64)> {
    let b = build(
        &[dir(ROOT, ROOT, vec![e(b"f", (2, 2)), e(b"s", (4, 2))])],
        &[
            file((2, 2), ROOT, b"data"),
            symlink((4, 2), ROOT, b"target"),
        ],
    );
    let find = |pat: &[u8]| {
        b.bytes
            .windows(pat.len())
            .position(|w| w == pat)
            .expect("pattern in the built dump")
    };
    let mut out = Vec::new();
    // File length `L` and D_FILEDATA both near 4 GiB: the header is
    // written, the data copy meets the end of the stream.
    let mut both = b.bytes.clone();
    for pat in [&b"L\x00\x00\x00\x04v"[..], &b"\x0c\x00\x00\x00\x04data"[..]] {
        let at = find(pat) + 1;
        both[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    }
    out.push(("file length and data", both, 0));
    for (what, pat, skip, value) in [
        // D_FILEDATA of the file and its `L` (spec §7.2: the data size
        // comes from D_FILEDATA; codadump2tar wants both equal).
        ("file data", &b"\x0c\x00\x00\x00\x04data"[..], 1, u32::MAX),
        (
            "symlink data",
            &b"\x0c\x00\x00\x00\x06target"[..],
            1,
            u32::MAX - 15,
        ),
        // The root's ACL string (`X`, spec §7.3) and page count (§7.2).
        ("ACL length", &b"X\x00\x00\x00\x1f1\n"[..], 1, u32::MAX),
        ("page count", &b"\x0b\x00\x00\x00\x01P"[..], 1, u32::MAX),
    ] {
        let at = find(pat) + skip;
        let mut bytes = b.bytes.clone();
        bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
        out.push((what, bytes, at as u64));
    }
    out
}

/// Length fields near 2^32 fail fast with an offset, in to-tar (library
/// and command), ls and verify: nothing is allocated from them.
#[test]
fn lengths_near_four_gib_fail_fast_with_an_offset() {
    for (what, bytes, at) in with_huge_lengths() {
        let (_, res) = convert(&bytes, &TarOptions::default()).unwrap_or_else(|| {
            panic!("{what}: header and volume data read");
        });
        let err = res.unwrap_err();
        let offset = err.offset().unwrap();
        // The vnode record, the field, or the end of the stream.
        assert!(offset <= bytes.len() as u64, "{what}: {err}");
        assert!(offset + 200 >= at, "{what}: {err}");
        let t = scratch();
        let dump = t.path().join("huge.dump");
        std::fs::write(&dump, &bytes).unwrap();
        for args in [
            &["dump", "to-tar", "-o", "x.tar"][..],
            &["dump", "ls", "--tree"][..],
            &["dump", "verify"][..],
        ] {
            let res = coda_rs()
                .current_dir(t.path())
                .args(args)
                .arg(&dump)
                .output()
                .unwrap();
            assert_eq!(res.status.code(), Some(1), "{what}: {args:?}");
            let line = one_line_error(&res.stderr);
            assert!(line.contains("byte offset "), "{what}: {args:?}: {line}");
        }
        assert!(!t.path().join("x.tar").exists(), "{what}");
    }
}
