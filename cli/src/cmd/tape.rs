//! `coda-rs tape`: what is on a backup tape (tape files, tar members, dump
//! headers, the label's text).

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::exit;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use volume_dump::inventory::{read_tape_file, tape_files, write_tape_file};
use volume_dump::kind::{self, Kind};
use volume_dump::restore::tape::DeviceTape;
use volume_dump::source::is_char_device;

/// Subcommands of `coda-rs tape`.
#[derive(Subcommand)]
pub enum TapeCommand {
    /// List the tape files of a tape (or one tape file saved as a FILE):
    /// tar members with sizes, the TAPELABEL's text, dump headers.
    #[command(after_help = "Examples:\n  \
        coda-rs tape ls /dev/nst0\n  \
        coda-rs tape ls --block-size 10240 /dev/nst0\n  \
        coda-rs tape ls backup-file1.tar\n  \
        coda-rs tape ls --json /dev/nst0\n\n\
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
    #[arg(long, value_name = "BYTES", value_parser = crate::cmd::size_arg)]
    pub block_size: Option<usize>,
    /// List the tape files as one JSON document (an array) on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs one `coda-rs tape` subcommand.
pub fn run(cmd: TapeCommand) -> Result<ExitCode> {
    match cmd {
        TapeCommand::Ls(a) => ls(a),
    }
}

fn ls(a: LsArgs) -> Result<ExitCode> {
    let subject = a.source.display().to_string();
    exit::input_file(&a.source, "a tape device or a file holding a tape file")?;
    let mut out = io::stdout().lock();
    let mut files = Vec::new();
    if is_char_device(&a.source) {
        let mut dev = DeviceTape::open(&a.source).context(subject.clone())?;
        tape_files(&mut dev, a.block_size, |v| {
            if a.json {
                files.push(v.clone());
                Ok(())
            } else {
                write_tape_file(&mut out, v)
            }
        })
        .context(subject)?;
    } else {
        let f = File::open(&a.source).context(subject.clone())?;
        let view = read_tape_file(BufReader::new(f), 0, None).context(subject.clone())?;
        if !a.json {
            write_tape_file(&mut out, &view)?;
        }
        let kind = view.kind;
        files.push(view);
        if !matches!(kind, Kind::Tar | Kind::VolumeDump) {
            out.flush()?;
            // Named as every dump reader names it: ", gzip-compressed"
            // when the file was (describe told the content's kind).
            let mut head = [0u8; 2];
            let gz = File::open(&a.source)
                .and_then(|mut f| io::Read::read_exact(&mut f, &mut head))
                .is_ok_and(|()| kind::sniff(&head) == Kind::Gzip);
            return Err(anyhow::anyhow!(
                "{subject}: this is {}{} (expected a tape file: a tar archive or a volume dump)",
                kind.describe(),
                if gz { ", gzip-compressed" } else { "" }
            ));
        }
    }
    if a.json {
        crate::cmd::print_json(&mut out, &files)?;
    }
    Ok(ExitCode::SUCCESS)
}
