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
