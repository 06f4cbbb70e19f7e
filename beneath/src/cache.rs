//! A bounded cache of directory fds, keyed by the path relative to the
//! target, shared between threads. The least recently used fd is dropped
//! when the cache is full; a [`crate::Dir`] handed out keeps its fd open
//! until it is dropped, so eviction never closes an fd in use.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The default number of directory fds kept open (the usual soft limit on
/// open files is 1024).
pub const DEFAULT_CAPACITY: usize = 256;

pub(crate) struct DirCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    map: HashMap<PathBuf, (Arc<OwnedFd>, u64)>,
    tick: u64,
}

impl DirCache {
    pub(crate) fn new(capacity: usize) -> Self {
        DirCache {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the map consistent (every
        // operation is one insert or remove): keep using it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn get(&self, rel: &Path) -> Option<Arc<OwnedFd>> {
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        g.map.get_mut(rel).map(|(fd, used)| {
            *used = tick;
            fd.clone()
        })
    }

    pub(crate) fn insert(&self, rel: &Path, fd: Arc<OwnedFd>) {
        if self.capacity == 0 {
            return;
        }
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        if !g.map.contains_key(rel) && g.map.len() >= self.capacity {
            let oldest = g
                .map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                g.map.remove(&k);
            }
        }
        g.map.insert(rel.to_path_buf(), (fd, tick));
    }

    /// Forgets `rel` and everything beneath it (it was removed or renamed).
    pub(crate) fn forget(&self, rel: &Path) {
        self.lock().map.retain(|k, _| !k.starts_with(rel));
    }

    /// How many fds the cache holds.
    pub(crate) fn len(&self) -> usize {
        self.lock().map.len()
    }
}
