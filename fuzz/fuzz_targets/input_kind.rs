//! Fuzz target: input recognised before it is parsed (issue 16):
//! `volume_dump::kind` (sniffing, gzip decoded on the fly) and the
//! [`Source`] path every dump reader opens a file through.
//!
//! Input: any bytes (a dump, a tar, an RVM log or segment, gzip of any of
//! them, a truncated or corrupt gzip stream, a gzip bomb). What must hold:
//! * no panic, no allocation beyond the allocator's bound, whatever the
//!   decoded size (a bomb is read through a fixed buffer, and only so far);
//! * `sniff` looks at the first [`SNIFF_LEN`] bytes only;
//! * what is not gzip comes back byte for byte;
//! * gzip data is told by the kind of what it decodes to;
//! * `Source::open` refuses exactly the kinds that are not a dump (nor
//!   unknown, left to the parser) with an InvalidData error saying
//!   `this is KIND (expected a volume dump`, and otherwise yields the
//!   (decoded) stream from its first byte.

#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use volume_dump::kind::{decompress, sniff, Kind, SNIFF_LEN};
use volume_dump::source::Source;

/// Most decoded bytes read from one input (a bomb decodes to far more):
/// enough to cover the decoder, little enough to keep runs fast.
const MAX_DECODED: u64 = 8 << 20;
/// The read buffer: decoded data never goes anywhere larger.
const BUF: usize = 64 * 1024;

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    let head = &data[..data.len().min(SNIFF_LEN)];
    let kind = sniff(data);
    assert_eq!(kind, sniff(head), "sniff looked past {SNIFF_LEN} bytes");

    // Kind::Gzip is decoded while its first bytes are told: a stream that
    // fails that early (truncated, corrupt) is an error, nothing else is.
    let seen = match decompress(Box::new(data)) {
        Ok(seen) => seen,
        Err(e) => {
            assert_eq!(kind, Kind::Gzip, "{e}");
            let dir = write_scratch(data);
            let opened = Source::file(dir.path().join("input")).open();
            assert!(opened.is_err(), "a gzip stream that fails to decode opened");
            return;
        }
    };
    assert_eq!(seen.gzip, kind == Kind::Gzip);
    let (told, gzip) = (seen.kind, seen.gzip);
    let (decoded_head, _) = read_bounded(seen.reader, SNIFF_LEN as u64);
    if gzip {
        // What it decodes to (as far as it decodes) is what is told.
        if let Ok(head) = &decoded_head {
            assert_eq!(told, sniff(head));
        }
    } else {
        assert_eq!(told, kind);
        assert_eq!(decoded_head.expect("a slice reads"), head);
    }
    // The whole decoded stream, through a fixed buffer: a bomb stops at
    // the bound, a truncated or corrupt stream with an error.
    if let Ok(again) = decompress(Box::new(data)) {
        let (_, n) = read_bounded(again.reader, MAX_DECODED);
        if !gzip {
            assert_eq!(n, data.len() as u64);
        }
    }

    // Through a file, as `dump ls FILE` and the others open it.
    let dir = write_scratch(data);
    match Source::file(dir.path().join("input")).open() {
        Ok(r) => {
            assert!(
                matches!(told, Kind::VolumeDump | Kind::Unknown | Kind::Empty),
                "{:?} opened as a dump",
                told
            );
            let (got, _) = read_bounded(r, SNIFF_LEN as u64);
            if let (false, Ok(got)) = (gzip, got) {
                assert_eq!(got, head, "the stream does not start at its first byte");
            }
        }
        Err(e) => {
            let msg = e.to_string();
            if e.kind() == io::ErrorKind::InvalidData && msg.starts_with("this is ") {
                assert!(
                    !matches!(told, Kind::VolumeDump | Kind::Unknown | Kind::Empty),
                    "a {:?} refused: {msg}",
                    told
                );
                assert!(msg.contains("(expected a volume dump"), "{msg}");
            } else {
                // Only the gzip decoder fails otherwise (truncated data).
                assert!(gzip, "{:?}: {msg}", told);
            }
        }
    }
});

/// A scratch directory holding `data` as the file `input`.
fn write_scratch(data: &[u8]) -> tempfile::TempDir {
    let dir = coda_rs_fuzz::scratch_dir();
    std::fs::write(dir.path().join("input"), data).expect("the scratch file is written");
    dir
}

/// Reads `r` through a fixed buffer until `limit` bytes, its end or an
/// error; returns the first [`SNIFF_LEN`] bytes (or the error) and how
/// many bytes were read.
fn read_bounded(mut r: impl Read, limit: u64) -> (io::Result<Vec<u8>>, u64) {
    let mut buf = vec![0u8; BUF];
    let mut head = Vec::new();
    let mut n = 0u64;
    while n < limit {
        let want = (limit - n).min(BUF as u64) as usize;
        match r.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(k) => {
                let keep = (SNIFF_LEN - head.len()).min(k);
                head.extend_from_slice(&buf[..keep]);
                n += k as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (Err(e), n),
        }
    }
    (Ok(head), n)
}
