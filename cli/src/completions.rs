//! `coda-rs completions SHELL`: a shell completion script generated from
//! the clap definitions (the `manual` crate), so it never drifts from the
//! real arguments.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use clap_complete::Shell;

use crate::exit;

/// Arguments of `coda-rs completions`.
#[derive(Args)]
#[command(after_help = "Examples:\n  \
    coda-rs completions bash > /etc/bash_completion.d/coda-rs\n  \
    coda-rs completions zsh > /usr/local/share/zsh/site-functions/_coda-rs\n  \
    coda-rs completions fish > ~/.config/fish/completions/coda-rs.fish")]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the completion script for `args.shell` to stdout.
pub fn completions(args: CompletionsArgs, mut cmd: clap::Command) -> anyhow::Result<ExitCode> {
    let out = manual::completions(args.shell, &mut cmd);
    std::io::stdout().lock().write_all(&out)?;
    Ok(ExitCode::from(exit::SUCCESS))
}
