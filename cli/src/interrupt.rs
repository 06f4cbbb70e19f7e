//! Ctrl-C (SIGINT) and SIGTERM: long work stops cleanly instead of dying.
//!
//! [`install`] makes the first signal only set a flag; a second one ends
//! the process at once (the default action), for a read that never
//! returns. Work that checks the flag ([`flag`], or a stream read through
//! [`Checked`]) stops with an error, so that every temporary output
//! ([`beneath::AtomicFile`]) is removed as it is dropped and a restore
//! saves its journal. [`finish`] then prints one line, with the
//! shell-quoted command that continues the work where there is one
//! ([`resumable`]), or what was left where something was ([`left`]),
//! and gives the exit code 128 + the signal's number
//! (130 for SIGINT, 143 for SIGTERM), as shells report a process that a
//! signal ended.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use signal_hook::consts::{SIGINT, SIGTERM};

/// Test hook: after this many bytes went through a [`Checked`] reader or
/// writer, print `coda-rs: test: paused` and wait for a signal.
const ENV_PAUSE_AFTER_BYTES: &str = "CODA_RS_TEST_PAUSE_AFTER_BYTES";

struct State {
    stop: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
    /// The command line that continues the work, once the command said so.
    resume: Mutex<Option<Vec<u8>>>,
    /// What the stopped work left, once the command said so.
    left: Mutex<Option<String>>,
}

static STATE: OnceLock<State> = OnceLock::new();

fn state() -> &'static State {
    STATE.get_or_init(|| State {
        stop: Arc::new(AtomicBool::new(false)),
        signal: Arc::new(AtomicUsize::new(0)),
        resume: Mutex::new(None),
        left: Mutex::new(None),
    })
}

/// Catches SIGINT and SIGTERM (see the module documentation). Without
/// the handlers (they could not be installed) the signals keep their
/// default action.
pub fn install() {
    let s = state();
    for sig in [SIGINT, SIGTERM] {
        // A second signal, once the flag is set, ends the process.
        let _ = signal_hook::flag::register_conditional_default(sig, s.stop.clone());
        let _ = signal_hook::flag::register_usize(sig, s.signal.clone(), sig as usize);
        let _ = signal_hook::flag::register(sig, s.stop.clone());
    }
}

/// The flag the signals set, for libraries that check it.
pub fn flag() -> Arc<AtomicBool> {
    state().stop.clone()
}

/// The same flag, borrowed for the whole process (for options that are
/// `Copy`, such as the RVM formatters').
pub fn stop_flag() -> &'static AtomicBool {
    &state().stop
}

/// Whether a signal asked the work to stop.
pub fn requested() -> bool {
    state().stop.load(Ordering::Relaxed)
}

/// The work can be continued: by this command line with `flag` added (if
/// it is not there already).
pub fn resumable(flag: &str) {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    if !args.iter().any(|a| a == flag) {
        args.push(flag.into());
    }
    *state().resume.lock().unwrap_or_else(|e| e.into_inner()) = Some(quoted(&args));
}

/// The stopped work left something that is not simply nothing, and
/// cannot be continued: `what` says what (e.g. `/vice/LOG holds no valid
/// RVM log now`); the line then ends with the command to run again.
pub fn left(what: impl Into<String>) {
    *state().left.lock().unwrap_or_else(|e| e.into_inner()) = Some(what.into());
}

/// `args` quoted for a shell, separated by spaces.
fn quoted(args: &[OsString]) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        line.extend(recovery_plan::shell::shell_quote_bytes(a.as_bytes()));
    }
    line
}

/// After a signal: prints what happened (and the command to continue)
/// and gives the exit code; `None` when no signal came.
pub fn finish() -> Option<ExitCode> {
    if !requested() {
        return None;
    }
    let s = state();
    let sig = s.signal.load(Ordering::Relaxed) as i32;
    let name = if sig == SIGTERM { "SIGTERM" } else { "SIGINT" };
    let mut line = format!("coda-rs: interrupted by {name}").into_bytes();
    let resume = s.resume.lock().unwrap_or_else(|e| e.into_inner()).take();
    let left = s.left.lock().unwrap_or_else(|e| e.into_inner()).take();
    match (resume, left) {
        (Some(cmd), _) => {
            line.extend_from_slice(b"; to continue: ");
            line.extend_from_slice(&cmd);
        }
        (None, Some(what)) => {
            line.extend_from_slice(format!("; {what}; to start again: ").as_bytes());
            let args: Vec<OsString> = std::env::args_os().collect();
            line.extend_from_slice(&quoted(&args));
        }
        (None, None) => line.extend_from_slice(b"; nothing was written (run the command again)"),
    }
    line.push(b'\n');
    let _ = io::stderr().write_all(&line);
    Some(ExitCode::from(128 + sig.clamp(1, 127) as u8))
}

/// A reader (or writer) that fails (an error saying so) once a signal
/// asked to stop: the library reading (writing) it stops at its next read
/// (write).
pub struct Checked<R> {
    inner: R,
    /// Bytes read or written so far.
    read: u64,
    pause_after: Option<u64>,
}

impl<R> Checked<R> {
    /// Checks the flag before each read (write) of `inner`.
    pub fn new(inner: R) -> Self {
        Checked {
            inner,
            read: 0,
            pause_after: pause_after_bytes(),
        }
    }
}

impl<R> Checked<R> {
    /// Before each read or write: the pause hook, then the flag.
    fn check(&mut self) -> io::Result<()> {
        if self.pause_after.is_some_and(|n| self.read >= n) {
            self.pause_after = None;
            pause();
        }
        if requested() {
            return Err(io::Error::other("interrupted"));
        }
        Ok(())
    }
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.check()?;
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// A writer checked the same way: the library writing to it stops at its
/// next write.
impl<W: Write> Write for Checked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check()?;
        let n = self.inner.write(buf)?;
        self.read += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Test hook: the bytes after which work pauses for a signal
/// (`CODA_RS_TEST_PAUSE_AFTER_BYTES`), when set.
pub fn pause_after_bytes() -> Option<u64> {
    std::env::var(ENV_PAUSE_AFTER_BYTES)
        .ok()
        .and_then(|s| s.parse().ok())
}

/// Test hook: says so on stderr, then waits until a signal came.
pub fn pause() {
    eprintln!("coda-rs: test: paused");
    while !requested() {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
