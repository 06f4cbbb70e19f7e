//! `coda-rs completions SHELL` and `coda-rs man`: shell completion scripts
//! and a roff manual page, both generated from the clap definitions so
//! they never drift from the real arguments.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use clap_complete::Shell;

use crate::exit;

/// Arguments of `coda-rs completions`.
#[derive(Args)]
#[command(after_help = "Examples:\n  \
    coda-rs completions bash > /etc/bash_completion.d/coda-rs\n  \
    coda-rs completions zsh > ~/.zfunc/_coda-rs\n  \
    coda-rs completions fish > ~/.config/fish/completions/coda-rs.fish")]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Arguments of `coda-rs man`.
#[derive(Args)]
#[command(after_help = "Examples:\n  \
    coda-rs man > /usr/local/share/man/man1/coda-rs.1\n  \
    coda-rs man | man -l -")]
pub struct ManArgs {}

/// Writes the completion script for `args.shell` to stdout.
pub fn completions(args: CompletionsArgs, mut cmd: clap::Command) -> anyhow::Result<ExitCode> {
    let name = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, name, &mut out);
    std::io::stdout().lock().write_all(&out)?;
    Ok(ExitCode::from(exit::SUCCESS))
}

/// Writes the manual page (roff, section 1) to stdout: the top-level page
/// followed by a section per subcommand.
pub fn man(_args: ManArgs, cmd: clap::Command) -> anyhow::Result<ExitCode> {
    let mut cmd = cmd;
    cmd.build();
    let mut out = Vec::new();
    let page = clap_mangen::Man::new(cmd.clone());
    page.render_title(&mut out)?;
    page.render_name_section(&mut out)?;
    page.render_synopsis_section(&mut out)?;
    page.render_description_section(&mut out)?;
    page.render_options_section(&mut out)?;
    page.render_subcommands_section(&mut out)?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        render_subcommand(&mut out, cmd.get_name(), sub)?;
    }
    page.render_extra_section(&mut out)?;
    page.render_version_section(&mut out)?;
    page.render_authors_section(&mut out)?;
    std::io::stdout().lock().write_all(&out)?;
    Ok(ExitCode::from(exit::SUCCESS))
}

/// One `.SH` section per subcommand (and nested subcommand), with its
/// synopsis, description and options.
fn render_subcommand(out: &mut Vec<u8>, prefix: &str, sub: &clap::Command) -> std::io::Result<()> {
    let full = format!("{prefix} {}", sub.get_name());
    writeln!(out, ".SH \"{}\"", full.to_uppercase())?;
    let sub_man = clap_mangen::Man::new(sub.clone().bin_name(full.clone()));
    // The section renderers write their own `.SH` headings; they become
    // `.SS` subsections under the subcommand's heading.
    let mut part = Vec::new();
    sub_man.render_synopsis_section(&mut part)?;
    sub_man.render_description_section(&mut part)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        sub_man.render_options_section(&mut part)?;
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
    for s in sub.get_subcommands().filter(|s| s.get_name() != "help") {
        render_subcommand(out, &full, s)?;
    }
    Ok(())
}
