//! What is on a backup tape (`coda-rs tape ls`): each tape file's block
//! size, and inside it the tar members with their sizes, the text of a
//! `TAPELABEL` member, or the header of a dump (spec §14).

use std::io::{self, Read, Write};

use super::{TapeDevice, TapeReader};
use crate::kind::{self, Kind};
use crate::tar::TarStream;
use crate::text::{lossy, utc};
use crate::DumpReader;

/// The most bytes of a `TAPELABEL` member shown.
const MAX_LABEL: u64 = 4096;

/// Writes the inventory of every tape file of `dev` from its current
/// position to the end of data: `file N: block size B`, then what the file
/// holds ([`describe`]). `block_size` forces the read size (see
/// [`TapeReader::new`]).
///
/// An empty tape file (two filemarks in a row: the end of the backup) or
/// the end of data (where `st` returns 0 once) ends the listing; a read
/// error (EIO) is an error, never taken for the end.
pub fn list_tape<T: TapeDevice, W: Write>(
    dev: &mut T,
    block_size: Option<usize>,
    out: &mut W,
) -> io::Result<()> {
    for n in 0.. {
        let mut r = TapeReader::new(&mut *dev, block_size);
        let mut first = [0u8; 1];
        if r.read(&mut first)? == 0 {
            break;
        }
        let bs = r.block_size().unwrap_or(0);
        writeln!(out, "file {n}: block size {bs}")?;
        describe(io::Cursor::new(first).chain(&mut r), out)?;
        r.skip_to_filemark()?;
    }
    Ok(())
}

/// Writes what one tape file (read from `r` to its end) holds: a tar
/// archive's members, one line each (a `TAPELABEL`'s text below it, a
/// regular member's dump header after it); or a dump's header; or what
/// else it is (`(not a dump: an RVM log)`), `(empty)`. Gzip-compressed
/// data is decoded on the fly and listed with `(gzip-compressed)` first.
/// Returns what the data is: [`Kind::Tar`] and [`Kind::VolumeDump`] are
/// what tape files hold.
pub fn describe<R: Read, W: Write>(r: R, out: &mut W) -> io::Result<Kind> {
    let sniffed = kind::decompress(Box::new(r))?;
    if sniffed.gzip {
        writeln!(out, "  (gzip-compressed)")?;
    }
    let mut r = sniffed.reader;
    match sniffed.kind {
        Kind::Tar => {
            let mut tar = TarStream::new(r);
            while let Some(m) = tar.next_member()? {
                let base = m.name.rsplit('/').next().unwrap_or("");
                write!(out, "  {}  {} bytes", m.name, m.size)?;
                if base == "TAPELABEL" {
                    let mut text = Vec::new();
                    tar.data().take(MAX_LABEL).read_to_end(&mut text)?;
                    writeln!(out, "  label:")?;
                    for line in String::from_utf8_lossy(&text).lines() {
                        writeln!(out, "    {line}")?;
                    }
                } else if m.typeflag == b'0' || m.typeflag == 0 {
                    writeln!(out, "{}", dump_summary(tar.data()))?;
                } else {
                    writeln!(out)?;
                }
            }
        }
        Kind::Empty => writeln!(out, "  (empty)")?,
        Kind::VolumeDump | Kind::Unknown => {
            writeln!(out, "  {}", dump_summary(&mut r).trim_start())?
        }
        other => writeln!(out, "  (not a dump: {})", other.describe())?,
    }
    Ok(sniffed.kind)
}

/// `  dump of NAME (ID), full|incremental level N, backup DATE`, or
/// `  (not a dump)`.
fn dump_summary<R: Read>(r: R) -> String {
    match DumpReader::new(r) {
        Ok(d) => {
            let h = d.header();
            format!(
                "  dump of {} ({:08x}), {}, backup {}",
                lossy(&h.volume_name),
                h.volume_id,
                if h.is_full() {
                    "full".to_string()
                } else {
                    format!("incremental level {}", h.incremental)
                },
                utc(h.backup_date)
            )
        }
        Err(_) => "  (not a dump)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::list_tape;
    use crate::restore::tape::TapeEmulator;

    /// A ustar archive of `members` made by the system's `tar`.
    fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new("tar");
        cmd.args(["--format=ustar", "-cf", "-", "-C"])
            .arg(dir.path());
        for (name, data) in members {
            std::fs::write(dir.path().join(name), data).unwrap();
            cmd.arg(name);
        }
        cmd.output().unwrap().stdout
    }

    #[test]
    fn lists_every_tape_file_of_an_emulated_tape() {
        let dump = crate::field::tests::golden("server-a-full.dump");
        let label = tar_of(&[("TAPELABEL", b"tape 7\nweekly\n")]);
        let dumps = tar_of(&[("golden.backup.full", &dump)]);
        let mut tape = TapeEmulator::new();
        tape.push_file(&label, 10240)
            .push_file(&dumps, 65536)
            .push_file(&dump, 512)
            .push_file(&label, 10240);
        let mut out = Vec::new();
        list_tape(&mut tape, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let want = "file 0: block size 10240\n  TAPELABEL  14 bytes  label:\n    tape 7\n    weekly\n\
                    file 1: block size 65536\n  golden.backup.full  297911 bytes  dump of golden.backup (01000110), full, backup ";
        assert!(text.starts_with(want), "{text}");
        assert!(
            text.contains("file 2: block size 512\n  dump of golden.backup (01000110), full"),
            "{text}"
        );
        assert!(
            text.contains("file 3: block size 10240\n  TAPELABEL"),
            "{text}"
        );
        assert!(!text.contains("file 4"), "{text}");
    }

    /// A drive in fixed-block mode: the listing gives the drive's block
    /// size, and a tape file it cannot read in that mode is an error, not
    /// the end of the tape (st reports both end of data and such a record
    /// with EIO, but end of data with a read of 0 first).
    #[test]
    fn fixed_block_mode_sizes_and_read_errors() {
        let label = tar_of(&[("TAPELABEL", b"tape 7\n")]);
        for drive in [512, 1024, 10240] {
            let mut tape = TapeEmulator::new();
            tape.push_file(&label, drive)
                .push_file(&label, drive)
                .set_fixed_block_size(Some(drive));
            let mut out = Vec::new();
            list_tape(&mut tape, None, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            let one = format!("block size {drive}\n  TAPELABEL  7 bytes  label:\n    tape 7\n");
            assert_eq!(text, format!("file 0: {one}file 1: {one}"));

            let mut tape = TapeEmulator::new();
            tape.push_file(&label, drive)
                .push_file(&label, drive / 2)
                .push_file(&label, drive)
                .set_fixed_block_size(Some(drive));
            let mut out = Vec::new();
            let err = list_tape(&mut tape, None, &mut out).unwrap_err();
            let text = String::from_utf8(out).unwrap();
            assert_eq!(text, format!("file 0: {one}"));
            assert!(
                format!("{err:#}").contains(&format!(
                    "tape read error at record 1 (byte 0): Input/output error (os error 5) \
                     (the drive is in fixed-block mode with {drive}-byte blocks"
                )),
                "{err:#}"
            );
        }
    }
}
