//! Exit codes and error printing shared by every subcommand
//! (`shared/spec/cli-conventions.md`).
//!
//! A command returns its error as it came (`?`, context if useful, never
//! `anyhow!("{e}")`): [`finish`] prints the whole chain on one line and
//! picks the exit code from the first error in the chain that has a class,
//! in [`code`], the one place where classes become exit codes. Library
//! errors know their class (`rvm::Error::class`,
//! `recovery_plan::Error::class`, `volume_dump::Error::class`,
//! `volume_dump::restore::RestoreError::class`, `tree_copy::Error::class`,
//! `drill::Error::class`, one `ErrorClass` type); errors the CLI makes
//! itself are [`Coded`] ([`usage`], [`refused`]); [`as_usage`] gives
//! a library error the usage class where the command's argument was what
//! was wrong.

use std::fmt;
use std::io::Write;
use std::path::Path;
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

/// A library error that the command reports with another exit code (see
/// [`as_usage`]); its text and its chain are the error's own.
#[derive(Debug)]
struct Reclassed {
    code: u8,
    error: anyhow::Error,
}

impl fmt::Display for Reclassed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.error, f)
    }
}

impl std::error::Error for Reclassed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// `error` reported as a usage error (exit 2), with its text and chain:
/// for a failure whose cause is the command's argument (e.g. a malformed
/// list given to `reinit init`, which has done nothing yet). A refusal
/// stays a refusal.
pub fn as_usage(error: impl Into<anyhow::Error>) -> anyhow::Error {
    let error = error.into();
    if code(&error) == REFUSED {
        return error;
    }
    Reclassed { code: USAGE, error }.into()
}

/// Checks an input file named on the command line before it is opened:
/// a missing path, a path through a non-directory, or a directory where
/// a file (or device) is expected is a usage error (exit 2, nothing was
/// done), the same in every group: `PATH: what (expected WHAT)`, the
/// system's text once. `-` (stdin) passes.
pub fn input_file(path: &Path, expected: &str) -> anyhow::Result<()> {
    if path == Path::new("-") {
        return Ok(());
    }
    let what = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => "is a directory",
        Ok(_) => return Ok(()),
        // The system's texts for ENOENT and ENOTDIR.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "No such file or directory",
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => "Not a directory",
        // Anything else (no permission, an I/O error) is for the open
        // that follows to report.
        Err(_) => return Ok(()),
    };
    Err(usage(format!(
        "{}: {what} (expected {expected})",
        path.display()
    )))
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
    let _ = writeln!(std::io::stderr(), "coda-rs: {}", line(&err));
    ExitCode::from(code(&err))
}

/// The error and its causes on one line, outermost first. A cause whose
/// text its error already ends with (an error that prints its source and
/// also returns it as its source) is printed once.
fn line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for (i, cause) in err.chain().enumerate() {
        let text = cause.to_string();
        if i > 0 {
            if line.ends_with(&text) {
                continue;
            }
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// The exit code of a failed command: that of the outermost error in the
/// chain that carries a class, else [`FAILURE`].
fn code(err: &anyhow::Error) -> u8 {
    let of_class = |class| match class {
        rvm::ErrorClass::Usage => USAGE,
        rvm::ErrorClass::Refused => REFUSED,
        rvm::ErrorClass::Failure => FAILURE,
    };
    for cause in err.chain() {
        if let Some(c) = cause.downcast_ref::<Coded>() {
            return c.code;
        }
        if let Some(c) = cause.downcast_ref::<Reclassed>() {
            return c.code;
        }
        if let Some(e) = cause.downcast_ref::<rvm::Error>() {
            return of_class(e.class());
        }
        if let Some(e) = cause.downcast_ref::<recovery_plan::Error>() {
            return of_class(e.class());
        }
        if let Some(e) = cause.downcast_ref::<volume_dump::Error>() {
            return of_class(e.class());
        }
        if let Some(e) = cause.downcast_ref::<volume_dump::restore::RestoreError>() {
            return of_class(e.class());
        }
        if let Some(e) = cause.downcast_ref::<tree_copy::Error>() {
            return of_class(e.class());
        }
        if let Some(e) = cause.downcast_ref::<drill::Error>() {
            return of_class(e.class());
        }
    }
    FAILURE
}

/// Prints a clap parse error (or help/version) and returns exit code 2 for
/// real usage errors, 0 for `--help`/`--version`.
pub fn clap_error(e: clap::Error) -> ExitCode {
    if let Some(line) = value_error_line(&e) {
        let _ = writeln!(std::io::stderr(), "coda-rs: {line}");
        return ExitCode::from(USAGE);
    }
    let _ = e.print();
    if e.use_stderr() {
        ExitCode::from(USAGE)
    } else {
        ExitCode::from(SUCCESS)
    }
}

/// A value our own parser refused (a size, a volume id), as one line
/// `FLAG: what (expected …)` like every other error; `None` for clap's
/// other errors (unknown flags, missing arguments), which clap prints with
/// its usage hint.
fn value_error_line(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::ValueValidation {
        return None;
    }
    let source = std::error::Error::source(e)?;
    let arg = match e.get(ContextKind::InvalidArg)? {
        ContextValue::String(s) => s.clone(),
        _ => return None,
    };
    // `--block-size <BYTES>` is named `--block-size`; a positional
    // `<SIZE>` is named `SIZE`.
    let name = match arg.split_once(' ') {
        Some((flag, _)) if flag.starts_with('-') => flag.to_string(),
        _ => arg.trim_matches(|c| c == '<' || c == '>').to_string(),
    };
    Some(format!("{name}: {source}"))
}

// What the binary does with each library's errors is tested through it:
// tests/tests/exit_codes.rs and cli_mistakes.rs.
#[cfg(test)]
mod tests {
    use super::*;

    fn rvm_io() -> rvm::Error {
        // An I/O error as the rvm crate makes it.
        let err = std::fs::File::open("/nonexistent/coda-rs-exit-test").unwrap_err();
        rvm::Error::Io {
            path: "/vice/LOG".into(),
            context: "cannot open".into(),
            source: err,
        }
    }

    #[test]
    fn as_usage_keeps_text_and_chain_but_not_over_a_refusal() {
        let e = as_usage(anyhow::Error::from(rvm_io()));
        assert_eq!(code(&e), USAGE);
        assert_eq!(
            line(&e),
            "/vice/LOG: cannot open: No such file or directory (os error 2)"
        );
        let refused = rvm::Error::InUse {
            path: "/dev/sdb1".into(),
            what: "is mounted on /srv".into(),
        };
        assert_eq!(code(&as_usage(refused)), REFUSED);
    }

    #[test]
    fn an_error_that_prints_its_source_is_printed_once() {
        #[derive(Debug)]
        struct Prints(std::io::Error);
        impl fmt::Display for Prints {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "/mnt/ro: creating the directory: {}", self.0)
            }
        }
        impl std::error::Error for Prints {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let erofs = std::io::Error::from_raw_os_error(30);
        let e = anyhow::Error::from(Prints(erofs)).context("dump restore");
        assert_eq!(
            line(&e),
            "dump restore: /mnt/ro: creating the directory: \
             Read-only file system (os error 30)"
        );
    }
}
