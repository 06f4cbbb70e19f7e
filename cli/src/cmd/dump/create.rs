//! `coda-rs dump create`: a full dump of a directory tree, or with
//! `--incremental-from` its level-N incremental relative to a full dump
//! (spec §8).

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use volume_dump::create::{create_dump, CreateOptions};
use volume_dump::incremental::{write_incremental_from, IncrementalOptions};
use volume_dump::view::{CreateView, IncrementalView};
use volume_dump::volume_type;

use crate::cmd::DryRun;
use crate::exit;
use crate::interrupt;
use crate::output;
use crate::verbosity;

/// `coda-rs dump create`.
#[derive(Args)]
pub struct CreateArgs {
    /// The directory tree to dump (its root becomes the volume root).
    pub dir: PathBuf,
    /// Output file, or `-` for stdout.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Volume id (hexadecimal).
    #[arg(long, value_parser = parse_hex_id, required_unless_present = "incremental_from")]
    pub volume_id: Option<u32>,
    /// Volume name (at most 31 bytes), e.g. `golden.backup`.
    #[arg(long, required_unless_present = "incremental_from")]
    pub volume_name: Option<String>,
    /// Read-write parent volume id (hexadecimal); default: the volume id.
    #[arg(long, value_parser = parse_hex_id)]
    pub parent_id: Option<u32>,
    /// Server partition recorded in the volume data.
    #[arg(long, default_value = "/vicepa")]
    pub partition: String,
    /// Mark the dump as a read-only clone instead of a backup clone.
    #[arg(long)]
    pub read_only: bool,
    /// Write the incremental dump of DIR relative to this full dump of
    /// the same volume (a file): only new and changed objects, and a
    /// removal record for each object of BASE that is gone. Volume id,
    /// name, parent and volume data come from BASE.
    #[arg(
        long,
        value_name = "BASE",
        conflicts_with_all = ["volume_id", "volume_name", "parent_id", "partition", "read_only"]
    )]
    pub incremental_from: Option<PathBuf>,
    /// Dump level of the incremental (header `i`, 1 or more; default 1).
    /// Only with --incremental-from.
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub level: Option<u32>,
    /// Dump date (Unix seconds); default: now.
    #[arg(long)]
    pub date: Option<u32>,
    /// Overwrite OUT if it exists.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub dry: DryRun,
    /// Print the summary as one JSON document on stdout (needs -o FILE).
    #[arg(long)]
    pub json: bool,
}

fn parse_hex_id(s: &str) -> std::result::Result<u32, String> {
    let t = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u32::from_str_radix(t, 16).map_err(|_| format!("`{s}` is not a hexadecimal volume id"))
}

/// Runs `coda-rs dump create`. A dry run makes every check and reads the
/// whole tree as the real run does, encoding the dump into nothing, and
/// reports what OUT would hold. Ctrl-C (SIGINT, SIGTERM) stops at the next
/// write: a file OUT never appears (its temporary is removed); a dump on
/// stdout stops short, and the signal's line says so.
pub fn run(a: CreateArgs) -> Result<ExitCode> {
    let date = a.date.unwrap_or_else(super::now);
    if a.json && a.output == Path::new("-") {
        return Err(exit::usage(
            "--json: the summary needs stdout; write the dump with -o FILE",
        ));
    }
    let out_name = a.output.display().to_string();
    let (would, done) = if a.dry.dry_run {
        ("dry run: would write ", "; nothing written")
    } else {
        ("", "")
    };
    if let Some(base) = &a.incremental_from {
        let opts = IncrementalOptions {
            level: a.level.unwrap_or(1),
            date,
        };
        let context = format!(
            "{}: incremental dump relative to {}",
            a.dir.display(),
            base.display()
        );
        let mut report = None;
        write_output(&a, |out| {
            let (_, r) = write_incremental_from(base, &a.dir, &opts, out)
                .with_context(|| context.clone())?;
            report = Some(r);
            Ok(())
        })?;
        let r = report.expect("write_output runs the writer or fails");
        for w in &r.warnings {
            eprintln!("coda-rs: warning: {w}");
        }
        if a.json {
            let base = base.display().to_string();
            let view = IncrementalView::new(&r, &base, opts.level, &out_name);
            crate::cmd::print_json(&mut io::stdout().lock(), &view)?;
            return Ok(ExitCode::SUCCESS);
        }
        verbosity::summary(format_args!(
            "{out_name}: {would}level {} incremental relative to {}: {} directories and {} \
             files/symlinks sent, {} unchanged left out, {} removed, {} bytes{done}",
            opts.level,
            base.display(),
            r.sent[0],
            r.sent[1],
            r.unchanged[0] + r.unchanged[1],
            r.removed[0] + r.removed[1],
            r.bytes
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if a.level.is_some() {
        return Err(exit::usage("--level needs --incremental-from BASE"));
    }
    let (Some(volume_id), Some(volume_name)) = (a.volume_id, a.volume_name.as_deref()) else {
        return Err(exit::usage(
            "--volume-id and --volume-name are needed for a full dump",
        ));
    };
    if volume_name.is_empty() || volume_name.len() > 31 {
        return Err(exit::usage("--volume-name must be 1 to 31 bytes"));
    }
    if volume_id == 0 {
        return Err(exit::usage("--volume-id must not be 0"));
    }
    let mut opts = CreateOptions::new(volume_id, volume_name.as_bytes(), date);
    opts.parent_id = a.parent_id;
    opts.partition = a.partition.clone().into_bytes();
    if a.read_only {
        opts.volume_type = volume_type::READ_ONLY;
    }
    let mut report = None;
    write_output(&a, |out| {
        let (_, r) = create_dump(&a.dir, &opts, out)?;
        report = Some(r);
        Ok(())
    })?;
    let report = report.expect("write_output runs the writer or fails");
    for w in &report.warnings {
        eprintln!("coda-rs: warning: {w}");
    }
    if a.json {
        let view = CreateView::new(&report, &out_name, volume_id, volume_name);
        crate::cmd::print_json(&mut io::stdout().lock(), &view)?;
        return Ok(ExitCode::SUCCESS);
    }
    verbosity::summary(format_args!(
        "{out_name}: {would}full dump of {volume_name} ({volume_id:08x}): {} directories, {} \
         files/symlinks, {} bytes{done}",
        report.directories, report.files, report.bytes
    ));
    Ok(ExitCode::SUCCESS)
}

/// Runs `write` on OUT: stdout, or a new file (refused if it exists,
/// unless --force; never inside DIR) that appears only once complete; in
/// a dry run, after the same checks, on nothing.
fn write_output(a: &CreateArgs, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let to_stdout = a.output == Path::new("-");
    if to_stdout && !a.dry.dry_run {
        crate::output::binary_stdout("a volume dump")?;
    }
    if !to_stdout {
        check_output(a)?;
    }
    interrupt::install();
    if a.dry.dry_run {
        crate::detail!(
            "{}: dry run: the dump is encoded and dropped",
            a.output.display()
        );
        return write(&mut interrupt::Checked::new(io::sink()));
    }
    if to_stdout {
        interrupt::left("the dump written to stdout is incomplete");
        let stdout = io::stdout();
        let mut lock = interrupt::Checked::new(stdout.lock());
        write(&mut lock)?;
        return lock.flush().context("stdout");
    }
    crate::detail!(
        "{}: written under a temporary name beside it, renamed when complete",
        a.output.display()
    );
    let mut out = output::create(&a.output, a.force)?;
    let mut w = BufWriter::new(interrupt::Checked::new(&mut out));
    write(&mut w)?;
    w.into_inner()
        .map_err(|e| anyhow::Error::new(e.into_error()))
        .with_context(|| a.output.display().to_string())?;
    output::commit(out, &a.output, "exists (use --force to overwrite)")
}

/// OUT as a file: refused if it exists (unless --force) or lies inside
/// the tree being dumped.
fn check_output(a: &CreateArgs) -> Result<()> {
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
    Ok(())
}
