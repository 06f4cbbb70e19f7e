//! Exit codes and error printing shared by every subcommand
//! (`shared/spec/cli-conventions.md`).

use std::fmt;
use std::io::Write;
use std::process::ExitCode;

/// Success.
pub const SUCCESS: u8 = 0;
/// The operation failed, or verify/copy found differences.
pub const FAILURE: u8 = 1;
/// Bad arguments; nothing was done.
pub const USAGE: u8 = 2;
/// Refused for safety (target holds data, no `--force`/`--yes`).
pub const REFUSED: u8 = 3;

/// An error that carries its own exit code. Wrap it in `anyhow::Error`
/// (`return Err(Refused(..).into())`) and [`finish`] picks the code.
#[derive(Debug)]
pub struct Coded {
    /// Exit code for the process.
    pub code: u8,
    /// One line: `<subject>: <what went wrong>[ (expected ...)]`.
    pub message: String,
}

impl fmt::Display for Coded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Coded {}

/// A refusal for safety (exit 3).
pub fn refused(message: impl Into<String>) -> anyhow::Error {
    Coded {
        code: REFUSED,
        message: message.into(),
    }
    .into()
}

/// A usage error found after parsing (exit 2).
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    Coded {
        code: USAGE,
        message: message.into(),
    }
    .into()
}

/// Prints a failed command's error as one `coda-rs: ...` line and maps it
/// to the exit code; a broken pipe on stdout is not an error.
pub fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    let err = match result {
        Ok(code) => return code,
        Err(e) => e,
    };
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        if io.kind() == std::io::ErrorKind::BrokenPipe {
            return ExitCode::from(SUCCESS);
        }
    }
    let code = err.downcast_ref::<Coded>().map_or(FAILURE, |c| c.code);
    let mut line = String::new();
    for (i, cause) in err.chain().enumerate() {
        if i > 0 {
            line.push_str(": ");
        }
        line.push_str(&cause.to_string());
    }
    let _ = writeln!(std::io::stderr(), "coda-rs: {line}");
    ExitCode::from(code)
}

/// Prints a clap parse error (or help/version) and returns exit code 2 for
/// real usage errors, 0 for `--help`/`--version`.
pub fn clap_error(e: clap::Error) -> ExitCode {
    let _ = e.print();
    if e.use_stderr() {
        ExitCode::from(USAGE)
    } else {
        ExitCode::from(SUCCESS)
    }
}
