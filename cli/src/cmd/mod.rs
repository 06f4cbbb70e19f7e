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
