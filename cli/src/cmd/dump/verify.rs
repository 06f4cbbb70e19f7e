//! `coda-rs dump verify`: a dump checked completely (spec §9.3), as the
//! server's restore would check it (§9.1), or against a restored tree.

use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use anyhow::{Context, Result};
use cfs_ioctl::mountpoint::{coda_target, on_coda};
use clap::Args;
use volume_dump::restore::{leftover_journal_files, verify_against, AgainstOptions};
use volume_dump::source::Source;
use volume_dump::venus_acl::VenusAclReader;
use volume_dump::verify::acls::AclCheck;
use volume_dump::verify::{verify, Severity, VerifyOptions};
use volume_dump::view::{write_against, write_verify, AgainstView, FatalView, VerifyView};
use volume_dump::ReadOptions;

use super::restore::AclsArg;
use super::{in_stream, read_incrementals};
use crate::cmd::print_json;
use crate::exit;
use crate::progress;

/// `coda-rs dump verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The dump file, or `-` for stdin.
    pub dump: PathBuf,
    /// With --against: incremental dumps applied on top, oldest first.
    pub incrementals: Vec<PathBuf>,
    /// Compare the directory tree DIR (a restore) with the dump chain and
    /// list every difference.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// With --against: where the tree's directory ACLs are read (each
    /// changed, missing or extra entry is a difference).
    #[arg(long, value_enum, default_value = "auto", requires = "against")]
    pub acls: AclsArg,
    /// Also apply the rules of the server's `volutil restore` (spec §9.1),
    /// and warn about each directory of 3 or more pages (the real 64-bit
    /// server restore stores it so that the server aborts at its next
    /// start).
    #[arg(long)]
    pub restore_checks: bool,
    /// Accept fields in any order.
    #[arg(long)]
    pub lenient: bool,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `coda-rs dump verify`: exit 0 without errors (warnings allowed),
/// 1 with errors or differences.
pub fn run(a: VerifyArgs) -> Result<ExitCode> {
    if let Some(dir) = &a.against {
        return against(&a, dir);
    }
    if !a.incrementals.is_empty() {
        return Err(exit::usage(
            "dump verify: incremental dumps are only taken with --against DIR",
        ));
    }
    let subject = a.dump.display().to_string();
    exit::input_file(&a.dump, super::DUMP_FILE)?;
    let input = Source::file(&a.dump).open().context(subject.clone())?;
    let meter = progress::meter(progress::file_total(&a.dump));
    let input = progress::Counting::new(input, &meter);
    let opts = VerifyOptions {
        read: ReadOptions { lenient: a.lenient },
        restore_checks: a.restore_checks,
    };
    let mut out = io::stdout().lock();
    let rep = verify(input, opts);
    meter.finish();
    let rep = match rep {
        Ok(rep) => rep,
        Err(e) => {
            if a.json {
                print_json(&mut out, &FatalView::from(&e))?;
            }
            return Err(anyhow::Error::new(e).context(subject));
        }
    };
    if a.json {
        print_json(&mut out, &VerifyView::from(&rep))?;
    } else {
        write_verify(&mut out, &subject, &rep)?;
    }
    Ok(exit_status(rep.count(Severity::Error) == 0))
}

/// `dump verify --against DIR`.
fn against(a: &VerifyArgs, dir: &Path) -> Result<ExitCode> {
    let subject = a.dump.display().to_string();
    let incs = read_incrementals(&a.incrementals, &a.dump, a.lenient)?;
    if !dir.is_dir() {
        return Err(exit::usage(format!("{}: not a directory", dir.display())));
    }
    exit::input_file(&a.dump, super::DUMP_FILE)?;
    let input = Source::file(&a.dump).open().context(subject.clone())?;
    let meter = progress::meter(progress::file_total(&a.dump));
    let input = progress::Counting::new(input, &meter);
    let acls = match a.acls {
        AclsArg::Auto if on_coda(dir) => venus_acl_reader(dir)?,
        AclsArg::Coda => venus_acl_reader(dir)?,
        AclsArg::Auto | AclsArg::Yaml => AclCheck::Yaml,
        AclsArg::Skip => AclCheck::Skip,
    };
    let opts = AgainstOptions {
        read: ReadOptions { lenient: a.lenient },
        acls,
        coda: a.acls == AclsArg::Coda || coda_target(dir),
        ..AgainstOptions::default()
    };
    let diffs = verify_against(BufReader::with_capacity(1 << 20, input), &incs, dir, &opts);
    meter.finish();
    let diffs = diffs.map_err(|e| in_stream(e, &subject))?;
    // A leftover journal is the restore's, not the volume's: a note.
    let note = "a restore journal: that restore did not finish (dump restore --resume \
                continues it); not a difference";
    let journals = leftover_journal_files(dir);
    let mut out = io::stdout().lock();
    if a.json {
        let mut view = AgainstView::from(&diffs[..]);
        view.notes = journals
            .iter()
            .map(|p| format!("{}: {note}", p.display()))
            .collect();
        print_json(&mut out, &view)?;
    } else {
        for p in &journals {
            eprintln!("coda-rs: {}: note: {note}", p.display());
        }
        write_against(&mut out, dir, &subject, &diffs)?;
    }
    Ok(exit_status(diffs.is_empty()))
}

fn exit_status(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    }
}

/// ACLs read through venus (the getacl pioctl) at the discovered mount.
fn venus_acl_reader(dir: &Path) -> Result<AclCheck> {
    let reader =
        VenusAclReader::new(super::venus()?, dir).with_context(|| dir.display().to_string())?;
    Ok(AclCheck::Get(Rc::new(reader)))
}
