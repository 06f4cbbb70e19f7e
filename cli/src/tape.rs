//! `coda-rs tape`: what is on a backup tape (tape files, tar members, dump
//! headers, the label's text).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use volume_dump::restore::tape::{is_tar_header, DeviceTape, TapeDevice, TapeReader, TarStream};
use volume_dump::DumpReader;

/// Subcommands of `coda-rs tape`.
#[derive(Subcommand)]
pub enum TapeCommand {
    /// List the tape files of a tape (or one tape file saved as a FILE):
    /// tar members with sizes, the TAPELABEL's text, dump headers.
    #[command(after_help = "Examples:\n  \
        coda-rs tape ls /dev/nst0\n  \
        coda-rs tape ls --block-size 10240 /dev/nst0\n  \
        coda-rs tape ls backup-file1.tar\n\n\
        Use the non-rewinding device (nst). A device is read from its current\n\
        position to the end of data; records are read whole whatever their size.")]
    Ls(LsArgs),
}

/// `coda-rs tape ls`.
#[derive(Args)]
pub struct LsArgs {
    /// A tape device, or a file holding one tape file.
    pub source: PathBuf,
    /// Read records of exactly this many bytes (default: detect).
    #[arg(long)]
    pub block_size: Option<usize>,
}

/// Runs one `coda-rs tape` subcommand.
pub fn run(cmd: TapeCommand) -> Result<ExitCode> {
    match cmd {
        TapeCommand::Ls(a) => ls(a),
    }
}

/// True when `path` is a character device (a tape drive).
pub fn is_char_device(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

fn ls(a: LsArgs) -> Result<ExitCode> {
    let subject = a.source.display().to_string();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if is_char_device(&a.source) {
        let mut dev = DeviceTape::open(&a.source).with_context(|| subject.clone())?;
        list_tape(&mut dev, a.block_size, &mut out).with_context(|| subject.clone())?;
    } else {
        let f = File::open(&a.source).with_context(|| subject.clone())?;
        writeln!(out, "file 0:")?;
        describe(io::BufReader::new(f), &mut out).with_context(|| subject.clone())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Lists every tape file from the current position to the end of data.
pub fn list_tape<T: TapeDevice, W: Write>(
    dev: &mut T,
    block_size: Option<usize>,
    out: &mut W,
) -> Result<()> {
    for n in 0.. {
        let mut r = TapeReader::new(&mut *dev, block_size);
        let mut first = [0u8; 1];
        // An empty tape file: two filemarks in a row (the end of the
        // backup), or end of data, where `st` returns 0 once. A read error
        // (EIO) is an error, never taken for the end.
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

/// Describes one tape file's contents.
fn describe<R: Read, W: Write>(mut r: R, out: &mut W) -> Result<()> {
    let mut head = vec![0u8; 512];
    let mut n = 0;
    while n < head.len() {
        let k = r.read(&mut head[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    head.truncate(n);
    if is_tar_header(&head) {
        let mut tar = TarStream::new(io::Cursor::new(head).chain(r));
        while let Some(m) = tar.next_member()? {
            let base = m.name.rsplit('/').next().unwrap_or("").to_string();
            write!(out, "  {}  {} bytes", m.name, m.size)?;
            if base == "TAPELABEL" {
                let mut text = Vec::new();
                tar.data().take(4096).read_to_end(&mut text)?;
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
        return Ok(());
    }
    let len = head.len();
    writeln!(
        out,
        "  {}",
        dump_summary(io::Cursor::new(head).chain(r)).trim_start()
    )?;
    if len == 0 {
        writeln!(out, "  (empty)")?;
    }
    Ok(())
}

fn dump_summary<R: Read>(r: R) -> String {
    match DumpReader::new(r) {
        Ok(d) => {
            let h = d.header();
            format!(
                "  dump of {} ({:08x}), {}, backup {}",
                String::from_utf8_lossy(&h.volume_name),
                h.volume_id,
                if h.is_full() {
                    "full".to_string()
                } else {
                    format!("incremental level {}", h.incremental)
                },
                crate::dump::utc(h.backup_date)
            )
        }
        Err(_) => "  (not a dump)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use volume_dump::restore::tape::TapeEmulator;

    use super::list_tape;

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
        let golden = std::env::var_os("CODA_RS_GOLDEN").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden"),
            std::path::PathBuf::from,
        );
        let dump = std::fs::read(golden.join("dump/server-a-full.dump")).unwrap();
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
