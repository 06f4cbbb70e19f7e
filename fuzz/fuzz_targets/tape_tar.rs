//! Tape files and the tar archives on them (spec §14), read as
//! `coda-rs tape ls` and `dump restore --tape --tar-member` read them:
//! [`TapeReader`] over a [`TapeEmulator`], then [`TarStream`] member by
//! member (the `TAPELABEL` text, the dump header of each member).
//!
//! Input: the bytes of one tape file (a tar archive, a raw dump, anything).
//! The input length picks the drive's record size, so the golden `.tar`
//! files are seeds as they are. What must hold:
//! * no panic, no allocation beyond the record size cap;
//! * the tape reader returns exactly the bytes written to the tape, in
//!   order, whatever the record size and starting buffer (no record lost);
//! * with a forced block size smaller than a record it fails, never
//!   returns short data silently;
//! * a member's data is never longer than its header's size, and is
//!   exactly that size unless reading failed;
//! * every error of the tar reader names a byte offset of the archive.

#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use volume_dump::restore::tape::{TapeEmulator, TapeReader};
use volume_dump::tar::{is_tar_header, TarStream};
use volume_dump::DumpReader;

/// Record sizes drives use (and odd ones): 512-byte blocks, GNU tar's
/// default 10240, a 64 KiB variable block, 1 KiB, then 1 and 3 bytes
/// (only for inputs up to [`TINY_RECORDS_UP_TO`] bytes: a record is an
/// allocation of the emulator).
const RECORD_SIZES: [usize; 6] = [512, 10240, 65536, 1024, 1, 3];
/// Longest input cut into records of 1 or 3 bytes.
const TINY_RECORDS_UP_TO: usize = 64 * 1024;
/// Most members walked per archive (each costs at least 512 bytes, so
/// this only bounds archives of empty members).
const MAX_MEMBERS: usize = 4096;
/// Most entries of a member's dump walked (coverage of the data path, not
/// of the dump reader: `dump_reader` fuzzes that).
const MAX_ENTRIES: usize = 64;

coda_rs_fuzz::bounded_allocations!();

fuzz_target!(|data: &[u8]| {
    // Spread input lengths (tar archives are multiples of 512) over the sizes.
    let pick = (data.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
    let n = if data.len() <= TINY_RECORDS_UP_TO {
        6
    } else {
        4
    };
    let record = RECORD_SIZES[(pick % n) as usize];
    let tape = || {
        let mut t = TapeEmulator::new();
        t.push_file(data, record);
        t
    };

    // Detecting the block size from a small first buffer: grown after
    // ENOMEM and MTBSR, and nothing lost.
    let mut r = TapeReader::with_initial_size(tape(), 512);
    let mut read_back = Vec::new();
    r.read_to_end(&mut read_back)
        .expect("an emulated tape reads to its filemark");
    assert_eq!(read_back, data, "tape reader lost or changed bytes");
    if !data.is_empty() {
        assert_eq!(r.block_size(), Some(record.min(data.len())));
    }

    // A forced block size: a larger record is an error, never short data.
    let forced = 512;
    let mut r = TapeReader::new(tape(), Some(forced));
    let mut out = Vec::new();
    match r.read_to_end(&mut out) {
        Ok(_) => {
            assert!(record <= forced || data.len() <= forced);
            assert_eq!(out, data);
        }
        Err(e) => {
            assert!(
                record > forced,
                "forced read failed on fitting records: {e}"
            );
            assert!(data.starts_with(&out));
        }
    }

    // What `tape ls` describes: a tar archive, member by member, or a dump.
    let mut r = TapeReader::new(tape(), None);
    let mut head = [0u8; 512];
    let n = read_full(&mut r, &mut head);
    if is_tar_header(&head[..n]) {
        let mut tar = TarStream::new(io::Cursor::new(&head[..n]).chain(&mut r));
        walk_members(&mut tar);
    } else {
        let _ = DumpReader::new(io::Cursor::new(&head[..n]).chain(&mut r));
    }

    // What `dump restore --tar-member NAME` does: find, then read the dump.
    let mut tar = TarStream::new(data);
    if let Ok(m) = tar.find("native-full.dump") {
        let read = drain_dump(tar.data());
        assert!(read <= m.size);
    }
});

/// Walks every member like `tape ls`, checking each member's data length.
fn walk_members<R: Read>(tar: &mut TarStream<R>) {
    for _ in 0..MAX_MEMBERS {
        let m = match tar.next_member() {
            Ok(Some(m)) => m,
            Ok(None) => return,
            Err(e) => return assert_names_an_offset(&e),
        };
        let base = m.name.rsplit('/').next().unwrap_or("");
        if base == "TAPELABEL" {
            let mut text = Vec::new();
            let _ = tar.data().take(4096).read_to_end(&mut text);
            assert!(text.len() as u64 <= m.size.min(4096));
        } else if m.typeflag == b'0' || m.typeflag == 0 {
            let read = drain_dump(tar.data());
            assert!(
                read <= m.size,
                "read {read} bytes of a {}-byte member",
                m.size
            );
        }
        // Whatever was not read is skipped by the next call; the member's
        // data must read back to exactly its size (or fail).
        let mut rest = Vec::new();
        if let Err(e) = tar.data().read_to_end(&mut rest) {
            return assert_names_an_offset(&e);
        }
    }
}

/// A tar reader error says where: `... byte N ...`.
fn assert_names_an_offset(e: &io::Error) {
    let msg = e.to_string();
    assert!(msg.contains(" byte "), "tar error without an offset: {msg}");
}

/// Reads a dump header and a few entries from `r`; returns how many
/// bytes were consumed from `r`.
fn drain_dump<R: Read>(r: R) -> u64 {
    let mut counted = Counted { inner: r, n: 0 };
    if let Ok(mut d) = DumpReader::new(&mut counted) {
        for _ in 0..MAX_ENTRIES {
            match d.next_entry() {
                Ok(Some(_)) => {
                    if d.copy_data(&mut io::sink()).is_err() {
                        break;
                    }
                }
                Ok(None) | Err(_) => break,
            }
        }
    }
    counted.n
}

struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}
