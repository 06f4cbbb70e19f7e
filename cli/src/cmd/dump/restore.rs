//! `coda-rs dump restore`: a dump chain restored into a directory tree,
//! resumably (spec §11.7).

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use anyhow::{Context, Result};
use cfs_ioctl::mountpoint::{coda_target, on_coda};
use clap::Args;
use volume_dump::restore::{restore_chain, AclMode, OnCoda, Progress, RestoreOptions};
use volume_dump::source::{is_char_device, Source, TapeOptions};
use volume_dump::venus_acl::VenusAcls;
use volume_dump::view::RestoreView;
use volume_dump::ReadOptions;

use super::{in_stream, read_incrementals};
use crate::cmd::print_json;
use crate::exit;
use crate::interrupt;
use crate::progress;

/// Test hook: the restore kills itself (SIGKILL) after this many objects.
const ENV_ABORT_AFTER: &str = "CODA_RS_TEST_ABORT_AFTER_VNODES";
/// Test hook: the restore waits for a signal after this many objects
/// ([`interrupt::pause`]).
const ENV_PAUSE_AFTER: &str = "CODA_RS_TEST_PAUSE_AFTER_VNODES";

/// Where `dump restore` puts directory ACLs and `dump verify --against`
/// reads them back.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AclsArg {
    /// `coda` when DIR is on a Coda mount, else `yaml`.
    Auto,
    /// Each directory's ACL through venus: the setacl pioctl (restore), the
    /// getacl pioctl (verify). DIR must be on a Coda mount.
    Coda,
    /// `..CodaACLs.yaml` in the target directory.
    Yaml,
    /// Do not restore (or compare) ACLs.
    Skip,
}

/// `coda-rs dump restore`.
#[derive(Args)]
pub struct RestoreArgs {
    /// The full dump: a file, `-` for stdin, or a tape device.
    pub source: PathBuf,
    /// Incremental dumps, oldest first (files).
    pub incrementals: Vec<PathBuf>,
    /// SOURCE is a tape drive (automatic for character devices): read it
    /// record by record up to the filemark.
    #[arg(long)]
    pub tape: bool,
    /// Space forward over N filemarks (MTFSF) before reading (tape only).
    #[arg(long, value_name = "N")]
    pub tape_file: Option<u32>,
    /// Read tape records of exactly this many bytes (default: detect).
    #[arg(long, value_name = "BYTES", value_parser = crate::cmd::size_arg)]
    pub block_size: Option<usize>,
    /// SOURCE is a tar archive: restore the dump in its member NAME (whole
    /// name or last component).
    #[arg(long, value_name = "NAME")]
    pub tar_member: Option<String>,
    /// The directory that becomes the volume's root.
    #[arg(long, value_name = "DIR")]
    pub into: PathBuf,
    /// Continue an interrupted restore from the journal in DIR.
    #[arg(long)]
    pub resume: bool,
    /// Restore into a non-empty DIR, replacing what has the same names.
    #[arg(long)]
    pub force: bool,
    /// Where directory ACLs go.
    #[arg(long, value_enum, default_value = "auto")]
    pub acls: AclsArg,
    /// Writer threads for small files.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// Flush the file system before each journal update (survives power loss).
    #[arg(long)]
    pub sync: bool,
    /// Objects between journal updates.
    #[arg(long, default_value_t = 2048, hide = true)]
    pub journal_every: u64,
    /// Seconds between journal updates (also at the next object after).
    #[arg(long, default_value_t = 5, hide = true)]
    pub journal_seconds: u64,
    /// Skip the check of the incrementals' ordering stamps (spec §8.3).
    #[arg(long)]
    pub no_stamp_check: bool,
    /// Accept fields in any order.
    #[arg(long)]
    pub lenient: bool,
    /// The summary as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// The target is checked and the whole chain read; nothing is created.
    #[command(flatten)]
    pub dry: crate::cmd::DryRun,
}

impl RestoreArgs {
    /// The full dump's source; a usage error for tape options without a
    /// tape.
    fn source(&self) -> Result<Source> {
        let is_tape = self.tape || is_char_device(&self.source);
        if !is_tape && (self.tape_file.is_some() || self.block_size.is_some()) {
            return Err(exit::usage(
                "--tape-file and --block-size need a tape (--tape or a character device)",
            ));
        }
        Ok(Source {
            path: self.source.clone(),
            tape: is_tape.then_some(TapeOptions {
                file: self.tape_file.unwrap_or(0),
                block_size: self.block_size,
            }),
            tar_member: self.tar_member.clone(),
        })
    }

    fn options(&self) -> Result<RestoreOptions> {
        // A Coda target gets venus's rules up front (mount links through
        // mkmount, hard links inside one directory, owners best effort).
        let coda = (self.acls == AclsArg::Coda || coda_target(&self.into))
            .then(|| -> Result<OnCoda> { Ok(OnCoda(Rc::new(VenusAcls::new(super::venus()?)))) })
            .transpose()?;
        Ok(RestoreOptions {
            read: ReadOptions {
                lenient: self.lenient,
            },
            check_stamps: !self.no_stamp_check,
            force: self.force,
            resume: self.resume,
            acls: match self.acls {
                AclsArg::Auto if on_coda(&self.into) => venus_acls()?,
                AclsArg::Coda => venus_acls()?,
                AclsArg::Auto | AclsArg::Yaml => AclMode::Yaml,
                AclsArg::Skip => AclMode::Skip,
            },
            coda,
            workers: usize::from(self.workers),
            journal_every: self.journal_every.max(1),
            journal_interval: std::time::Duration::from_secs(self.journal_seconds),
            sync: self.sync,
            stop: Some(interrupt::flag()),
            abort_after_objects: std::env::var(ENV_ABORT_AFTER)
                .ok()
                .and_then(|s| s.parse().ok()),
            dry_run: self.dry.dry_run,
            ..RestoreOptions::default()
        })
    }
}

/// Runs `coda-rs dump restore`.
pub fn run(a: RestoreArgs) -> Result<ExitCode> {
    let subject = a.source.display().to_string();
    exit::input_file(&a.source, super::DUMP_FILE)?;
    let incs = read_incrementals(&a.incrementals, &a.source, a.lenient)?;
    let source = a.source()?;
    let total = if source.tape.is_some() || source.tar_member.is_some() {
        None
    } else {
        progress::file_total(&a.source)
    };
    let (input, direct) = source.open_direct().context(subject.clone())?;
    let opts = RestoreOptions {
        direct,
        ..a.options()?
    };
    crate::detail!(
        "{}: restoring {subject} and {} incremental(s), ACLs {}, {} writer thread(s)",
        a.into.display(),
        incs.len(),
        match opts.acls {
            AclMode::Yaml => "into ..CodaACLs.yaml",
            AclMode::Skip => "not restored",
            AclMode::Set(_) => "set through venus",
        },
        opts.workers
    );
    interrupt::install();
    if !a.dry.dry_run {
        interrupt::resumable("--resume");
    }
    let input = interrupt::Checked::new(input);
    let mut pause_after: Option<u64> = std::env::var(ENV_PAUSE_AFTER)
        .ok()
        .and_then(|s| s.parse().ok());
    let meter = progress::meter(total);
    let start = Instant::now();
    let mut on_progress = |p: &Progress| {
        meter.show(p.stream_bytes, || format!("{} objects", p.objects));
        if pause_after.is_some_and(|n| p.objects >= n) {
            pause_after = None;
            interrupt::pause();
        }
    };
    // The reader buffers (1 MiB reads); no second buffer in between.
    let result = restore_chain(input, &incs, &a.into, &opts, &mut on_progress);
    meter.finish();
    let s = result.map_err(|e| in_stream(e, &subject))?;
    let view = RestoreView::new(&s, &a.into, start.elapsed().as_secs_f64());
    for w in &s.warnings {
        eprintln!("coda-rs: {}: warning: {w}", a.into.display());
    }
    if a.json {
        print_json(&mut io::stdout().lock(), &view)?;
    } else if a.dry.dry_run {
        crate::verbosity::summary(format_args!(
            "{}: dry run: would restore {} directories, {} files, {} symlinks, {} hard links, \
             {} bytes{}; nothing written",
            a.into.display(),
            s.directories,
            s.files,
            s.symlinks,
            s.hard_links,
            s.bytes,
            if s.resumed_objects > 0 {
                format!(" ({} objects already done)", s.resumed_objects)
            } else {
                String::new()
            }
        ));
    } else {
        crate::verbosity::summary(view.line());
    }
    Ok(ExitCode::SUCCESS)
}

/// ACLs set through venus (the setacl pioctl) at the discovered mount.
fn venus_acls() -> Result<AclMode> {
    Ok(AclMode::Set(Rc::new(VenusAcls::new(super::venus()?))))
}
