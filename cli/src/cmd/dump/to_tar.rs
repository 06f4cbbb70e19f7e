//! `coda-rs dump to-tar`: a dump as a tar archive, byte-compatible with
//! `codadump2tar` (spec §11).

use std::ffi::OsString;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use volume_dump::source::Source;
use volume_dump::tar::{write_tar, TarOptions, TarSummary, MAX_HASH_POWER};
use volume_dump::view::TarView;
use volume_dump::{DumpReader, ReadOptions};

use crate::cmd::print_json;
use crate::exit;
use crate::interrupt;
use crate::output;
use crate::progress;

/// Output buffer for headers and small files. File data arrives in the
/// reader's 256 KiB chunks, which are larger and so bypass this buffer
/// (one copy less).
const OUT_BUF: usize = 128 * 1024;

/// `coda-rs dump to-tar`.
#[derive(Args)]
pub struct ToTarArgs {
    /// The dump file, or `-` for stdin.
    pub dump: PathBuf,
    /// The tar file to write, or `-` for stdout (the default). A file is
    /// written under a temporary name and renamed when complete.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Keep names longer than the tar fields and symlink targets over 99
    /// bytes whole, in PAX extended headers (codadump2tar cuts them).
    #[arg(long)]
    pub pax: bool,
    /// Name of the root directory (codadump2tar -rn); default: the volume
    /// name.
    #[arg(long, value_name = "NAME")]
    pub root_name: Option<OsString>,
    /// Hash bits of codadump2tar's object table (-hp); only changes the
    /// order of hard-link records.
    #[arg(long, default_value_t = 12, value_name = "BITS",
          value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_HASH_POWER)))]
    pub hash_power: u32,
    /// Modification time of the ..CodaACLs.yaml member (Unix seconds);
    /// default: now, as codadump2tar does. Fix it for reproducible output.
    #[arg(long, value_name = "SECONDS")]
    pub acl_mtime: Option<u32>,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
    /// Accept fields in any order.
    #[arg(long)]
    pub lenient: bool,
    /// Print the summary as JSON on stdout (needs -o FILE).
    #[arg(long)]
    pub json: bool,
    /// The whole dump is read and converted, the tar dropped.
    #[command(flatten)]
    pub dry: crate::cmd::DryRun,
}

/// Runs `coda-rs dump to-tar`.
pub fn run(a: ToTarArgs) -> Result<ExitCode> {
    let to_file = a.output.as_deref().filter(|p| *p != Path::new("-"));
    if to_file.is_none() && !a.dry.dry_run {
        if a.json {
            return Err(exit::usage(
                "--json: the summary needs stdout; write the tar with -o FILE",
            ));
        }
        crate::output::binary_stdout("a tar archive")?;
    }
    if let Some(out) = to_file {
        check_output(out, a.force)?;
    }
    let subject = a.dump.display().to_string();
    exit::input_file(&a.dump, super::DUMP_FILE)?;
    let input = Source::file(&a.dump).open().context(subject.clone())?;
    let meter = progress::meter(progress::file_total(&a.dump));
    let input = progress::Counting::new(input, &meter);
    interrupt::install();
    let input = interrupt::Checked::new(input);
    let start = Instant::now();
    let mut reader = DumpReader::with_options(input, ReadOptions { lenient: a.lenient })
        .context(subject.clone())?;
    let opts = TarOptions {
        root_name: a.root_name.map(|n| n.as_bytes().to_vec()),
        pax: a.pax,
        hash_power: a.hash_power,
        acl_mtime: a.acl_mtime.unwrap_or_else(super::now),
    };
    let summary = match to_file {
        _ if a.dry.dry_run => {
            write_tar(&mut reader, &mut io::sink(), &opts).context(subject.clone())?
        }
        Some(out) => to_tar_file(&mut reader, out, &opts, a.force, &subject)?,
        None => {
            interrupt::left("the tar written to stdout is incomplete");
            let mut w = BufWriter::with_capacity(OUT_BUF, io::stdout().lock());
            let s = write_tar(&mut reader, &mut w, &opts).context(subject.clone())?;
            w.flush().context("stdout")?;
            s
        }
    };
    meter.finish();
    let secs = start.elapsed().as_secs_f64();
    let target = to_file.map_or_else(|| "stdout".to_string(), |p| p.display().to_string());
    let view = TarView::new(&summary, &subject, &target, secs);
    if a.json {
        print_json(&mut io::stdout().lock(), &view)?;
    }
    let dry = if a.dry.dry_run {
        "; dry run: nothing written"
    } else {
        ""
    };
    crate::verbosity::summary(format_args!("{}{dry}", view.line()));
    Ok(ExitCode::SUCCESS)
}

/// Refuses an existing OUT without `--force`, and anything but a regular
/// file even with it.
fn check_output(out: &Path, force: bool) -> Result<()> {
    match fs::symlink_metadata(out) {
        Ok(m) if !m.file_type().is_file() => Err(exit::refused(format!(
            "{}: exists and is not a regular file; not replacing it",
            out.display()
        ))),
        Ok(_) if !force => Err(exit::refused(format!(
            "{}: exists; use --force to replace it",
            out.display()
        ))),
        _ => Ok(()),
    }
}

/// Writes the tar to a new file that appears as `out` only when complete
/// and durable ([`crate::output`]); on any error nothing is left.
fn to_tar_file<R: io::Read>(
    reader: &mut DumpReader<R>,
    out: &Path,
    opts: &TarOptions,
    force: bool,
    subject: &str,
) -> Result<TarSummary> {
    let mut file = output::create(out, force)?;
    let summary = {
        let mut w = BufWriter::with_capacity(OUT_BUF, &mut file);
        let s = write_tar(reader, &mut w, opts).context(subject.to_string())?;
        w.flush().with_context(|| out.display().to_string())?;
        s
    };
    output::commit(file, out, "exists; use --force to replace it")?;
    Ok(summary)
}
