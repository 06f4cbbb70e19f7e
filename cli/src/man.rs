//! `coda-rs man`: manual pages (roff, section 1) generated from the clap
//! definitions: `coda-rs(1)`, the whole reference on one page, and one
//! page per command (`coda-rs-dump-restore(1)`), each with its examples,
//! the exit status and a SEE ALSO naming only pages this command writes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use beneath::{AtomicOptions, Root};
use clap::{Args, Command};
use roff::{bold, roman, Inline, Roff};

use crate::{exit, help};

/// Arguments of `coda-rs man`.
#[derive(Args)]
#[command(after_help = "Examples:
  coda-rs man | man -l -
  coda-rs man dump restore | man -l -
  coda-rs man --dir /usr/local/share/man/man1

Without --dir the page of COMMAND goes to stdout (without COMMAND: coda-rs(1),
which also holds every command's reference). With --dir every page is written
into DIR: coda-rs.1, coda-rs-rvm.1, coda-rs-rvm-init.1, ...; a page that is
already there is replaced only with --force.")]
pub struct ManArgs {
    /// The command whose page to print, e.g. `dump restore` [default: the
    /// top level, coda-rs(1)].
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    command: Vec<String>,
    /// Write every page into DIR (created if missing) instead of printing
    /// one.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Replace pages that already exist in DIR.
    #[arg(long, requires = "dir")]
    force: bool,
}

/// Prints one page, or writes them all into `--dir`.
pub fn run(args: ManArgs, mut cli: Command) -> anyhow::Result<ExitCode> {
    cli.build();
    match &args.dir {
        None => {
            let (cmd, parent) = find(&cli, &args.command)?;
            let bytes = page(&cli, cmd, parent)?;
            std::io::stdout().lock().write_all(&bytes)?;
        }
        Some(dir) => write_all(&cli, dir, args.force)?,
    }
    Ok(ExitCode::from(exit::SUCCESS))
}

/// The command `coda-rs WORDS...` (names or aliases) and its parent.
fn find<'c>(
    cli: &'c Command,
    words: &[String],
) -> anyhow::Result<(&'c Command, Option<&'c Command>)> {
    let (mut cmd, mut parent) = (cli, None);
    for word in words {
        let Some(sub) = subcommands(cmd)
            .find(|s| s.get_name() == word || s.get_all_aliases().any(|a| a == word))
        else {
            let names: Vec<&str> = subcommands(cmd).map(Command::get_name).collect();
            return Err(exit::usage(format!(
                "man: {}: no such command (expected one of: {})",
                words.join(" "),
                names.join(", ")
            )));
        };
        parent = Some(cmd);
        cmd = sub;
    }
    Ok((cmd, parent))
}

/// Writes the page of every command into `dir`, beneath its fd.
fn write_all(cli: &Command, dir: &std::path::Path, force: bool) -> anyhow::Result<()> {
    let subject = dir.display().to_string();
    std::fs::create_dir_all(dir).with_context(|| subject.clone())?;
    let top = Root::open(dir)?.top();
    let mut pages = Vec::new();
    collect(cli, None, &mut pages);
    if !force {
        for (cmd, _) in &pages {
            let name = format!("{}.1", display_name(cmd));
            if top.kind(&name)?.is_some() {
                return Err(exit::refused(format!(
                    "{subject}/{name}: the page exists (use --force to replace it); nothing written"
                )));
            }
        }
    }
    for (cmd, parent) in pages {
        let name = format!("{}.1", display_name(cmd));
        let bytes = page(cli, cmd, parent)?;
        let opts = AtomicOptions {
            mode: 0o644,
            durable: false,
            replace: force,
        };
        let mut file = top.create_atomic(&name, opts)?;
        file.write_all(&bytes)
            .with_context(|| format!("{subject}/{name}"))?;
        match file.commit() {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(exit::refused(format!(
                    "{subject}/{name}: the page exists (use --force to replace it)"
                )))
            }
            r => r?,
        }
        println!("{subject}/{name}");
    }
    Ok(())
}

/// Every command below `cmd` (itself first) with its parent.
fn collect<'c>(
    cmd: &'c Command,
    parent: Option<&'c Command>,
    out: &mut Vec<(&'c Command, Option<&'c Command>)>,
) {
    out.push((cmd, parent));
    for sub in subcommands(cmd) {
        collect(sub, Some(cmd), out);
    }
}

/// The subcommands that get pages (not clap's `help`).
fn subcommands(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands()
        .filter(|s| s.get_name() != "help" && !s.is_hide_set())
}

/// The page name of a built command: `coda-rs-dump-restore`.
fn display_name(cmd: &Command) -> &str {
    cmd.get_display_name().unwrap_or_else(|| cmd.get_name())
}

/// The page of `cmd`, a command of `cli` (`parent` is the one above it).
/// The top level's page, coda-rs(1), also holds every command's reference.
fn page(cli: &Command, cmd: &Command, parent: Option<&Command>) -> anyhow::Result<Vec<u8>> {
    let top = parent.is_none();
    let version = env!("CARGO_PKG_VERSION");
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("coda-rs {version}"))
        .manual("coda-rs manual");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    let after_text = cmd
        .get_after_help()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let after = AfterHelp::split(&after_text);
    let mut roff = Roff::new();
    if subcommands(cmd).next().is_some() {
        roff.control("SH", ["COMMANDS"]);
        for sub in subcommands(cmd) {
            roff.control("TP", []);
            roff.text(page_ref(sub));
            if let Some(about) = sub.get_about() {
                roff.text([roman(about.to_string())]);
            }
        }
    }
    out.extend_from_slice(roff.to_roff().as_bytes());
    if top {
        for sub in subcommands(cli) {
            reference(&mut out, sub)?;
        }
    }
    let mut roff = Roff::new();
    if !after.examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        roff.control("nf", []);
        roff.control("RS", ["4"]);
        for line in &after.examples {
            roff.text([roman(*line)]);
        }
        roff.control("RE", []);
        roff.control("fi", []);
    }
    if !after.notes.is_empty() {
        roff.control("SH", ["NOTES"]);
        paragraphs(&mut roff, &after.notes);
    }
    roff.control("SH", ["EXIT STATUS"]);
    if !top {
        // The top level's own exit status text is the table below.
        paragraphs(&mut roff, &after.exit_status);
    }
    for (code, meaning) in help::EXIT_CODES {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(meaning)]);
    }
    roff.control("SH", ["SEE ALSO"]);
    let mut see: Vec<&Command> = Vec::new();
    if let Some(p) = parent {
        if p.get_name() != cli.get_name() {
            see.push(cli);
        }
        see.push(p);
    }
    see.extend(subcommands(cmd));
    let mut line = Vec::new();
    for (i, c) in see.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.extend(page_ref(c));
    }
    roff.text(line);
    roff.control("SH", ["VERSION"]);
    roff.text([roman(format!("v{version}"))]);
    out.extend_from_slice(roff.to_roff().as_bytes());
    Ok(out)
}

/// `coda-rs-dump-restore(1)`: the name in bold, the section after it.
fn page_ref(cmd: &Command) -> Vec<Inline> {
    vec![bold(display_name(cmd)), roman("(1)")]
}

/// Text lines as paragraphs: a blank line starts a new one.
fn paragraphs(roff: &mut Roff, lines: &[&str]) {
    roff.control("PP", []);
    for line in lines {
        if line.trim().is_empty() {
            roff.control("PP", []);
        } else {
            roff.text([roman(line.trim())]);
        }
    }
}

/// A command's text after its options, sorted into the page's sections:
/// the paragraph starting `Example:`/`Examples:`, the paragraphs starting
/// `Exit status`, and the rest.
#[derive(Default)]
struct AfterHelp<'t> {
    examples: Vec<&'t str>,
    exit_status: Vec<&'t str>,
    notes: Vec<&'t str>,
}

impl<'t> AfterHelp<'t> {
    fn split(text: &'t str) -> AfterHelp<'t> {
        let mut parts = AfterHelp::default();
        for para in text.split("\n\n") {
            let mut lines = para.lines();
            let first = lines.next().unwrap_or("");
            let into = if first == "Example:" || first == "Examples:" {
                parts
                    .examples
                    .extend(lines.map(|l| l.strip_prefix("  ").unwrap_or(l)));
                continue;
            } else if first.starts_with("Exit status") {
                &mut parts.exit_status
            } else {
                &mut parts.notes
            };
            if !into.is_empty() {
                into.push("");
            }
            into.extend(para.lines());
        }
        parts
    }
}

/// The top-level page's reference part for `sub` and, below it, every
/// command under it: one `.SH` heading each, the command's own sections
/// as `.SS` subsections.
fn reference(out: &mut Vec<u8>, sub: &Command) -> std::io::Result<()> {
    let full = sub.get_bin_name().unwrap_or_else(|| sub.get_name());
    writeln!(out, ".SH \"{}\"", full.to_uppercase())?;
    let man = clap_mangen::Man::new(sub.clone());
    let mut part = Vec::new();
    man.render_synopsis_section(&mut part)?;
    man.render_description_section(&mut part)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut part)?;
    }
    for line in part.split_inclusive(|&b| b == b'\n') {
        match line.strip_prefix(b".SH ") {
            Some(rest) => {
                out.extend_from_slice(b".SS ");
                out.extend_from_slice(rest);
            }
            None => out.extend_from_slice(line),
        }
    }
    for s in subcommands(sub) {
        reference(out, s)?;
    }
    Ok(())
}
