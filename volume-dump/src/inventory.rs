//! What is on a backup tape (`coda-rs tape ls`): each tape file's block
//! size, and inside it the tar members with their sizes, the text of a
//! `TAPELABEL` member, or the header of a dump (spec §14).

use std::io::{self, Read, Write};

use serde::Serialize;

use crate::kind::{self, Kind};
use crate::restore::tape::{TapeDevice, TapeReader};
use crate::tar::TarStream;
use crate::text::utc;
use crate::view::HeaderView;
use crate::{DumpHeader, DumpReader};

/// The most bytes of a `TAPELABEL` member shown.
const MAX_LABEL: u64 = 4096;

/// What one tape file holds (`tape ls --json` lists these).
#[derive(Debug, Clone, Serialize)]
pub struct TapeFileView {
    /// The size of its records (read from a tape device; `None` for a
    /// tape file saved as a file).
    pub block_size: Option<usize>,
    /// The header of the dump it is, when it is one.
    pub dump: Option<HeaderView>,
    /// Its number on the tape, from 0.
    pub file_number: usize,
    /// The data is gzip-compressed (and was decoded to be listed).
    pub gzip: bool,
    /// What the data is (`volume_dump`, `tar`, `rvm_log`, `gzip`, …,
    /// `empty`, `unknown`).
    pub kind: Kind,
    /// A tar archive's members, in order.
    pub members: Vec<MemberView>,
}

/// A member of a tar tape file.
#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    /// The header of the dump a regular member holds.
    pub dump: Option<HeaderView>,
    /// A `TAPELABEL` member's text (its first 4 KiB).
    pub label: Option<String>,
    /// The member's name.
    pub name: String,
    /// A regular file (not a directory, link or special member).
    pub regular: bool,
    /// Data bytes.
    pub size: u64,
}

/// Calls `each` with every tape file of `dev` from its current position
/// to the end of data ([`read_tape_file`]), as soon as it is read.
/// `block_size` forces the read size (see [`TapeReader::new`]).
///
/// An empty tape file (two filemarks in a row: the end of the backup) or
/// the end of data (where `st` returns 0 once) ends the listing; a read
/// error (EIO) is an error, never taken for the end.
pub fn tape_files<T: TapeDevice>(
    dev: &mut T,
    block_size: Option<usize>,
    mut each: impl FnMut(&TapeFileView) -> io::Result<()>,
) -> io::Result<()> {
    for n in 0.. {
        let mut r = TapeReader::new(&mut *dev, block_size);
        let mut first = [0u8; 1];
        if r.read(&mut first)? == 0 {
            break;
        }
        let bs = r.block_size().unwrap_or(0);
        let view = read_tape_file(io::Cursor::new(first).chain(&mut r), n, Some(bs))?;
        each(&view)?;
        r.skip_to_filemark()?;
    }
    Ok(())
}

/// Writes the inventory of every tape file of `dev` ([`tape_files`]) as
/// text, one file after the other ([`write_tape_file`]).
pub fn list_tape<T: TapeDevice, W: Write>(
    dev: &mut T,
    block_size: Option<usize>,
    out: &mut W,
) -> io::Result<()> {
    tape_files(dev, block_size, |v| write_tape_file(out, v))
}

/// What one tape file (read from `r` to its end; number `file_number`, read with
/// records of `block_size`) holds: a tar archive's members (a
/// `TAPELABEL`'s text, a regular member's dump header), or a dump's
/// header, or what else it is. Gzip-compressed data is decoded on the
/// fly. [`Kind::Tar`] and [`Kind::VolumeDump`] are what tape files hold.
pub fn read_tape_file<R: Read>(
    r: R,
    file_number: usize,
    block_size: Option<usize>,
) -> io::Result<TapeFileView> {
    let sniffed = kind::decompress(Box::new(r))?;
    let mut view = TapeFileView {
        block_size,
        dump: None,
        file_number,
        gzip: sniffed.gzip,
        kind: sniffed.kind,
        members: Vec::new(),
    };
    let mut r = sniffed.reader;
    match sniffed.kind {
        Kind::Tar => {
            let mut tar = TarStream::new(r);
            while let Some(m) = tar.next_member()? {
                let base = m.name.rsplit('/').next().unwrap_or("");
                let regular = m.typeflag == b'0' || m.typeflag == 0;
                let mut member = MemberView {
                    dump: None,
                    label: None,
                    name: m.name.clone(),
                    regular,
                    size: m.size,
                };
                if base == "TAPELABEL" {
                    let mut text = Vec::new();
                    tar.data().take(MAX_LABEL).read_to_end(&mut text)?;
                    member.label = Some(String::from_utf8_lossy(&text).into_owned());
                } else if regular {
                    member.dump = dump_header(tar.data()).as_ref().map(HeaderView::from);
                }
                view.members.push(member);
            }
        }
        Kind::VolumeDump | Kind::Unknown => {
            view.dump = dump_header(&mut r).as_ref().map(HeaderView::from);
        }
        _ => {}
    }
    Ok(view)
}

/// Writes `v` as `tape ls` prints it: `file N: block size B` (`file N:`
/// for a saved file), `  (gzip-compressed)` if it was, then a tar's
/// members one line each (a `TAPELABEL`'s text below it, a regular
/// member's dump after it), or the dump, or what else it is (`(not a
/// dump: an RVM log)`, `(empty)`).
pub fn write_tape_file<W: Write>(out: &mut W, v: &TapeFileView) -> io::Result<()> {
    match v.block_size {
        Some(bs) => writeln!(out, "file {}: block size {bs}", v.file_number)?,
        None => writeln!(out, "file {}:", v.file_number)?,
    }
    if v.gzip {
        writeln!(out, "  (gzip-compressed)")?;
    }
    match v.kind {
        Kind::Tar => {
            for m in &v.members {
                write!(out, "  {}  {} bytes", m.name, m.size)?;
                if let Some(label) = &m.label {
                    writeln!(out, "  label:")?;
                    for line in label.lines() {
                        writeln!(out, "    {line}")?;
                    }
                } else if m.regular {
                    writeln!(out, "{}", dump_summary(m.dump.as_ref()))?;
                } else {
                    writeln!(out)?;
                }
            }
        }
        Kind::Empty => writeln!(out, "  (empty)")?,
        Kind::VolumeDump | Kind::Unknown => {
            writeln!(out, "  {}", dump_summary(v.dump.as_ref()).trim_start())?
        }
        other => writeln!(out, "  (not a dump: {})", other.describe())?,
    }
    Ok(())
}

/// The header of the dump `r` starts with, if it does.
fn dump_header<R: Read>(r: R) -> Option<DumpHeader> {
    DumpReader::new(r).ok().map(|d| d.header().clone())
}

/// `  dump of NAME (ID), full|incremental level N, backup DATE`, or
/// `  (not a dump)`.
fn dump_summary(h: Option<&HeaderView>) -> String {
    match h {
        Some(h) => format!(
            "  dump of {} ({}), {}, backup {}",
            h.volume_name,
            h.volume_id_hex,
            if h.incremental == 0 {
                "full".to_string()
            } else {
                format!("incremental level {}", h.incremental)
            },
            utc(h.backup_date)
        ),
        None => "  (not a dump)".to_string(),
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
