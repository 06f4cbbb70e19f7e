//! Manual pages (roff, section 1) and shell completion scripts generated
//! from a clap command tree, so neither drifts from the real arguments.
//!
//! [`Manual::page`] renders one command's page: title, name, synopsis,
//! description, options, its subcommands, its examples and notes (from
//! the command's `after_help`, see [`AfterHelp`]), the exit status and a
//! SEE ALSO naming only pages [`pages`] lists. The top level's
//! page also holds every command's reference. [`completions`] writes a
//! completion script ([`clap_complete`], with a fix for binary names with
//! a hyphen).

use std::io::Write;

use clap::Command;
use roff::{bold, roman, Inline, Roff};

mod completions;

pub use completions::completions;

/// The parts of every page that do not come from the clap definitions.
#[derive(Debug, Clone, Copy)]
pub struct Manual<'a> {
    /// The version in the page footer and VERSION section.
    pub version: &'a str,
    /// The EXIT STATUS table every page ends with: code, meaning.
    pub exit_codes: &'a [(u8, &'a str)],
}

/// `WORDS...` named no command: the words and the names that were
/// possible where they went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoSuchCommand {
    /// The words as given, joined by spaces.
    pub words: String,
    /// The subcommands of the last command that was found.
    pub expected: Vec<String>,
}

impl std::fmt::Display for NoSuchCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: no such command (expected one of: {})",
            self.words,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for NoSuchCommand {}

/// The command `BIN WORDS...` of the built tree `cli` (names or aliases)
/// and its parent (`None`: the top level).
pub fn find<'c>(
    cli: &'c Command,
    words: &[String],
) -> Result<(&'c Command, Option<&'c Command>), NoSuchCommand> {
    let (mut cmd, mut parent) = (cli, None);
    for word in words {
        let Some(sub) = subcommands(cmd)
            .find(|s| s.get_name() == word || s.get_all_aliases().any(|a| a == word))
        else {
            return Err(NoSuchCommand {
                words: words.join(" "),
                expected: subcommands(cmd).map(|c| c.get_name().to_string()).collect(),
            });
        };
        parent = Some(cmd);
        cmd = sub;
    }
    Ok((cmd, parent))
}

/// Every command of the built tree `cli` that gets a page (itself first)
/// with its parent.
pub fn pages(cli: &Command) -> Vec<(&Command, Option<&Command>)> {
    let mut pages = Vec::new();
    collect(cli, None, &mut pages);
    pages
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

/// The page name of a built command: `coda-rs-dump-restore`; its file
/// is this and `.1`.
pub fn page_name(cmd: &Command) -> &str {
    cmd.get_display_name().unwrap_or_else(|| cmd.get_name())
}

impl Manual<'_> {
    /// The page of `cmd`, a command of the built tree `cli` (`parent` is
    /// the one above it, as [`find`] and [`pages`] give them).
    pub fn page(
        &self,
        cli: &Command,
        cmd: &Command,
        parent: Option<&Command>,
    ) -> std::io::Result<Vec<u8>> {
        let top = parent.is_none();
        let version = self.version;
        let man = clap_mangen::Man::new(cmd.clone())
            .source(format!("{} {version}", cli.get_name()))
            .manual(format!("{} manual", cli.get_name()));
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
        for (code, meaning) in self.exit_codes {
            roff.control("TP", []);
            roff.text([bold(code.to_string())]);
            roff.text([roman(*meaning)]);
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
}

/// `coda-rs-dump-restore(1)`: the page name in bold, the section after it.
fn page_ref(cmd: &Command) -> Vec<Inline> {
    vec![bold(page_name(cmd)), roman("(1)")]
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
pub struct AfterHelp<'t> {
    /// The example lines, without their two-space indent.
    pub examples: Vec<&'t str>,
    /// The paragraphs that say what the exit status means.
    pub exit_status: Vec<&'t str>,
    /// Everything else, paragraphs separated by an empty line.
    pub notes: Vec<&'t str>,
}

impl<'t> AfterHelp<'t> {
    /// Sorts `text` (paragraphs separated by a blank line).
    pub fn split(text: &'t str) -> AfterHelp<'t> {
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
