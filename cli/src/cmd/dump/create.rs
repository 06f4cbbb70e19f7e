//! `coda-rs dump create`: a full dump of a directory tree (spec §8).

use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use volume_dump::create::{create_dump, CreateOptions};
use volume_dump::volume_type;

use crate::exit;
use crate::output;

/// `coda-rs dump create`.
#[derive(Args)]
pub struct CreateArgs {
    /// The directory tree to dump (its root becomes the volume root).
    pub dir: PathBuf,
    /// Output file, or `-` for stdout.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Volume id (hexadecimal).
    #[arg(long, value_parser = parse_hex_id)]
    pub volume_id: u32,
    /// Volume name (at most 31 bytes), e.g. `golden.backup`.
    #[arg(long)]
    pub volume_name: String,
    /// Read-write parent volume id (hexadecimal); default: the volume id.
    #[arg(long, value_parser = parse_hex_id)]
    pub parent_id: Option<u32>,
    /// Server partition recorded in the volume data.
    #[arg(long, default_value = "/vicepa")]
    pub partition: String,
    /// Mark the dump as a read-only clone instead of a backup clone.
    #[arg(long)]
    pub read_only: bool,
    /// Dump date (Unix seconds); default: now.
    #[arg(long)]
    pub date: Option<u32>,
    /// Overwrite OUT if it exists.
    #[arg(long)]
    pub force: bool,
}

fn parse_hex_id(s: &str) -> std::result::Result<u32, String> {
    let t = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u32::from_str_radix(t, 16).map_err(|_| format!("`{s}` is not a hexadecimal volume id"))
}

/// Runs `coda-rs dump create`.
pub fn run(a: CreateArgs) -> Result<ExitCode> {
    if a.volume_name.is_empty() || a.volume_name.len() > 31 {
        return Err(exit::usage("--volume-name must be 1 to 31 bytes"));
    }
    if a.volume_id == 0 {
        return Err(exit::usage("--volume-id must not be 0"));
    }
    let date = a.date.unwrap_or_else(super::now);
    let mut opts = CreateOptions::new(a.volume_id, a.volume_name.as_bytes(), date);
    opts.parent_id = a.parent_id;
    opts.partition = a.partition.into_bytes();
    if a.read_only {
        opts.volume_type = volume_type::READ_ONLY;
    }
    let report = if a.output == Path::new("-") {
        let stdout = io::stdout();
        let (_, report) = create_dump(&a.dir, &opts, stdout.lock())?;
        report
    } else {
        if !a.force && a.output.symlink_metadata().is_ok() {
            return Err(exit::refused(format!(
                "{}: exists (use --force to overwrite)",
                a.output.display()
            )));
        }
        let dir = match a.output.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if let (Ok(out_dir), Ok(tree)) = (dir.canonicalize(), a.dir.canonicalize()) {
            if out_dir.starts_with(&tree) {
                return Err(exit::usage(format!(
                    "{}: the output must not be inside the tree being dumped ({})",
                    a.output.display(),
                    a.dir.display()
                )));
            }
        }
        let mut out = output::create(&a.output, a.force)?;
        let (w, report) = create_dump(&a.dir, &opts, BufWriter::new(&mut out))?;
        w.into_inner()
            .map_err(|e| anyhow::Error::new(e.into_error()))
            .with_context(|| a.output.display().to_string())?;
        output::commit(out, &a.output, "exists (use --force to overwrite)")?;
        report
    };
    for w in &report.warnings {
        eprintln!("coda-rs: warning: {w}");
    }
    eprintln!(
        "{}: full dump of {} ({:08x}): {} directories, {} files/symlinks, {} bytes",
        a.output.display(),
        a.volume_name,
        a.volume_id,
        report.directories,
        report.files,
        report.bytes
    );
    Ok(ExitCode::SUCCESS)
}
