//! `coda-rs dump ls`: a dump as codareaddump lists it, or as JSON, with
//! the tree it holds (`--tree`).

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::exit;
use anyhow::{Context, Result};
use clap::Args;
use volume_dump::manifest::ManifestBuilder;
use volume_dump::readdump::{write_entry, write_header, write_manifest};
use volume_dump::source::Source;
use volume_dump::view::LsView;
use volume_dump::{DumpReader, Entry, ReadOptions, VnodeClass};

/// `coda-rs dump ls`.
#[derive(Args)]
pub struct LsArgs {
    /// The dump file, or `-` for stdin.
    pub dump: PathBuf,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also list the reconstructed tree: every path from the directory
    /// pages, with type, mode, owner, mtime, size, sha256, symlink target
    /// and directory ACL.
    #[arg(long)]
    pub tree: bool,
    /// Accept fields in any order.
    #[arg(long)]
    pub lenient: bool,
}

/// Runs `coda-rs dump ls`.
pub fn run(a: LsArgs) -> Result<ExitCode> {
    let subject = a.dump.display().to_string();
    exit::input_file(&a.dump, super::DUMP_FILE)?;
    let input = Source::file(&a.dump).open().context(subject.clone())?;
    let opts = ReadOptions { lenient: a.lenient };
    let mut r = DumpReader::with_options(input, opts).context(subject.clone())?;
    let mut out = BufWriter::new(io::stdout().lock());
    let mut doc = LsView::new(r.header(), r.volume());
    if !a.json {
        write_header(&mut out, r.header(), r.volume())?;
    }
    let mut class = VnodeClass::Large;
    let mut tree = a.tree.then(|| ManifestBuilder::new(&r.volume().name));
    let warn = |t: &mut ManifestBuilder| {
        for w in t.take_warnings() {
            eprintln!("coda-rs: warning: {subject}: {w}");
        }
    };
    while let Some(entry) = r.next_entry().context(subject.clone())? {
        if let Some(t) = tree.as_mut() {
            t.visit(&entry, &mut r).context(subject.clone())?;
            warn(t);
        }
        if let Entry::Index { class: c, .. } = &entry {
            class = *c;
        }
        if a.json {
            doc.push(&entry);
        } else {
            write_entry(&mut out, &entry, class)?;
        }
    }
    doc.tree = tree.as_mut().map(|t| {
        let list = t.finish();
        warn(t);
        list
    });
    if a.json {
        crate::cmd::print_json(&mut out, &doc)?;
    } else if let Some(t) = &doc.tree {
        write_manifest(&mut out, t)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
