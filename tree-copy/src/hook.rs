//! A test-only hook: called at the points where a source object could be
//! swapped behind the copier's back, so that a test can do exactly that
//! and show the copy never follows or trusts the swapped object.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Where the copier calls the [`TestHook`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookPoint {
    /// The walk listed the object; it is about to be opened (a directory
    /// by the walk, a file or symlink by the copy).
    BeforeOpen,
    /// A file's data was copied; its status is about to be compared with
    /// the one it had when it was opened.
    AfterData,
}

impl HookPoint {
    /// A one-word name (`open`, `copied`).
    pub fn name(self) -> &'static str {
        match self {
            HookPoint::BeforeOpen => "open",
            HookPoint::AfterData => "copied",
        }
    }
}

/// What a [`TestHook`] calls.
pub type HookFn = dyn Fn(HookPoint, &Path) + Send + Sync;

/// The callback, given the point and the source path. It may block.
#[derive(Clone)]
pub struct TestHook(pub Arc<HookFn>);

impl TestHook {
    /// A hook calling `f`.
    pub fn new(f: impl Fn(HookPoint, &Path) + Send + Sync + 'static) -> TestHook {
        TestHook(Arc::new(f))
    }

    /// Calls the hook.
    pub fn call(&self, point: HookPoint, path: &Path) {
        (self.0)(point, path)
    }
}

impl fmt::Debug for TestHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TestHook")
    }
}

/// Test hook: pause at the race points of source paths ending with
/// this... (see [`TestHook::from_env`]).
pub const ENV_RACE_SUFFIX: &str = "CODA_RS_TEST_RACE_SUFFIX";
/// ...and report each pause in this directory.
pub const ENV_RACE_DIR: &str = "CODA_RS_TEST_RACE_DIR";

impl TestHook {
    /// The hook that lets a test of the binary swap a source object at
    /// the exact moment the copier is about to trust it, when the
    /// environment asks for one: for a source path ending with
    /// `$CODA_RS_TEST_RACE_SUFFIX`, one thread at a time appends
    /// `<point> <path>` to `$CODA_RS_TEST_RACE_DIR/hits`, then reads the
    /// FIFO `$CODA_RS_TEST_RACE_DIR/resume` to its end (the test opens and
    /// closes it once it has done its swap) before going on.
    pub fn from_env() -> Option<TestHook> {
        use std::io::Write;
        use std::os::unix::ffi::OsStrExt;
        let suffix = std::env::var_os(ENV_RACE_SUFFIX).filter(|s| !s.is_empty())?;
        let dir = std::path::PathBuf::from(std::env::var_os(ENV_RACE_DIR)?);
        let one_at_a_time = std::sync::Mutex::new(());
        Some(TestHook::new(move |point, path| {
            if !path.as_os_str().as_bytes().ends_with(suffix.as_bytes()) {
                return;
            }
            let _turn = one_at_a_time.lock().unwrap_or_else(|e| e.into_inner());
            let line = format!("{} {}\n", point.name(), path.display());
            let hits = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(dir.join("hits"));
            if let Ok(mut f) = hits {
                let _ = f.write_all(line.as_bytes());
            }
            if let Ok(mut f) = std::fs::File::open(dir.join("resume")) {
                let _ = std::io::copy(&mut f, &mut std::io::sink());
            }
        }))
    }
}
