//! How much a command says (cli-conventions.md, Output): `-q/--quiet`
//! and `-v/--verbose`, global flags that every command takes in the same
//! place with the same meaning, and the one setting the commands consult.
//!
//! * normal: progress on a terminal's stderr, the one-line summary on
//!   stderr, results on stdout;
//! * `-q`: no progress and no summary; stdout carries only what was asked
//!   for (listings, scripts, `--json`); warnings and errors still go to
//!   stderr;
//! * `-v`: as normal, plus a detail line on stderr for each step, file or
//!   decision ([`detail!`](crate::detail)).

use std::sync::atomic::{AtomicU8, Ordering};

use clap::Args;

/// The global flags (flattened into the top-level arguments).
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct VerbosityArgs {
    /// No progress and no summary line; only requested output (listings,
    /// --json) on stdout, warnings and errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Also print a detail line on stderr for each step, file or decision.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// How much to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `-q`.
    Quiet,
    /// Neither flag.
    Normal,
    /// `-v`.
    Verbose,
}

const QUIET: u8 = 0;
const NORMAL: u8 = 1;
const VERBOSE: u8 = 2;

static LEVEL: AtomicU8 = AtomicU8::new(NORMAL);

impl VerbosityArgs {
    /// The level the flags ask for; both at once (wherever each was
    /// given: clap checks conflicts of global flags only where both sit on
    /// the same level) is a usage error.
    pub fn level(self) -> anyhow::Result<Level> {
        Ok(match (self.quiet, self.verbose) {
            (true, true) => {
                return Err(crate::exit::usage(
                    "--quiet: cannot be used with --verbose (expected one of -q, -v)",
                ))
            }
            (true, false) => Level::Quiet,
            (false, true) => Level::Verbose,
            (false, false) => Level::Normal,
        })
    }
}

/// Sets the level for the rest of the process (once, from `main`).
pub fn set(level: Level) {
    let v = match level {
        Level::Quiet => QUIET,
        Level::Normal => NORMAL,
        Level::Verbose => VERBOSE,
    };
    LEVEL.store(v, Ordering::Relaxed);
}

/// `-q`: no progress, no summary.
pub fn quiet() -> bool {
    LEVEL.load(Ordering::Relaxed) == QUIET
}

/// `-v`: detail lines too.
pub fn verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) == VERBOSE
}

/// Prints a summary line on stderr, unless `-q`.
pub fn summary(line: impl std::fmt::Display) {
    if !quiet() {
        eprintln!("{line}");
    }
}

/// With `-v`, prints `coda-rs: ` and the formatted text on stderr.
#[macro_export]
macro_rules! detail {
    ($($arg:tt)*) => {
        if $crate::verbosity::verbose() {
            eprintln!("coda-rs: {}", format_args!($($arg)*));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_flag_one_level_and_not_both() {
        let l = |quiet, verbose| VerbosityArgs { quiet, verbose }.level().ok();
        assert_eq!(l(false, false), Some(Level::Normal));
        assert_eq!(l(true, false), Some(Level::Quiet));
        assert_eq!(l(false, true), Some(Level::Verbose));
        assert_eq!(l(true, true), None);
    }
}
