//! `coda-rs drill`: parses, runs the `drill` library and prints its
//! report.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::exit;

/// How much sample data the drill works on.
#[derive(Clone, Copy, ValueEnum)]
pub enum Size {
    /// About 250 files and 6 MiB: seconds, even in a debug build.
    Small,
    /// About 2,500 files and 60 MiB.
    Medium,
}

/// Arguments of `coda-rs drill`.
#[derive(Args)]
#[command(after_help = "Examples:\n  \
    coda-rs drill\n  \
    coda-rs drill --size medium --dir /var/tmp/drill\n  \
    coda-rs drill --json > drill-report.json\n\n\
    Steps: generate, full-dump, change, incremental-dump, rvm-init, restore, copy, verify.\n\
    Exit status 0 only if every verification passes.")]
pub struct DrillArgs {
    /// Work in DIR (created; must be empty) and keep the results there.
    /// Default: a temporary directory, removed after a pass and kept after
    /// a failure.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Amount of sample data.
    #[arg(long, value_enum, default_value = "small")]
    pub size: Size,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `coda-rs drill`.
pub fn run(args: DrillArgs) -> anyhow::Result<ExitCode> {
    let opts = drill::Options {
        dir: args.dir,
        size: match args.size {
            Size::Small => drill::Size::Small,
            Size::Medium => drill::Size::Medium,
        },
        corrupt: std::env::var_os(drill::ENV_CORRUPT).is_some(),
    };
    let report = drill::run(&opts, &mut |s| {
        if !args.json && !crate::verbosity::quiet() {
            eprintln!("drill: {} done in {:.3} s", s.name, s.seconds);
        }
    })?;
    let mut out = std::io::stdout().lock();
    if args.json {
        super::print_json(&mut out, &report)?;
    } else {
        report.write_text(&mut out)?;
    }
    if report.kept {
        eprintln!(
            "coda-rs: drill failed; its files are kept in {}",
            report.dir
        );
    }
    Ok(ExitCode::from(if report.ok {
        exit::SUCCESS
    } else {
        exit::FAILURE
    }))
}
