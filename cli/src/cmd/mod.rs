//! The command groups, one module each: clap definitions, calls into the
//! libraries, printing.

pub mod cfs;
pub mod copy;
pub mod drill;
pub mod dump;
pub mod plan;
pub mod reinit;
pub mod rvm;
pub mod tape;

use std::io::Write;

/// Writes `doc` as one pretty-printed JSON document and a newline.
pub fn print_json(out: &mut impl Write, doc: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc)?;
    writeln!(out)?;
    Ok(())
}

/// A `--block-size` (or other byte count) value: the workspace's one size
/// grammar ([`human::parse_size`]), its refusals with what was expected.
pub fn size_arg(text: &str) -> Result<usize, SizeArgError> {
    let bytes = human::parse_size(text).map_err(SizeArgError)?;
    usize::try_from(bytes).map_err(|_| {
        SizeArgError(human::SizeError::TooLarge {
            text: text.to_string(),
        })
    })
}

/// Why [`size_arg`] refused a value: the grammar's reason and what it
/// expects, as every other size's error line has them.
#[derive(Debug)]
pub struct SizeArgError(human::SizeError);

impl std::fmt::Display for SizeArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (expected {})", self.0, human::SIZE_EXPECTED)
    }
}

impl std::error::Error for SizeArgError {}

/// `-n/--dry-run`, the same on every command that writes: every check and
/// every read is made, what would be written is reported, nothing is.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct DryRun {
    /// Make every check and read, print what would be written, write
    /// nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,
}
