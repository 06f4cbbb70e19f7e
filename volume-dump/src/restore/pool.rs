//! The writer threads for small files. They share the target (one
//! [`beneath::Root`], its directory-fd cache included) and work so that
//! they do not fight the kernel or each other:
//!
//! - objects are handed over in **batches** (up to [`BATCH_OBJECTS`]
//!   objects or [`BATCH_BYTES`] of data in one buffer): one channel
//!   message, so at most one wake-up, per batch rather than per file;
//! - each parent directory is **owned by one writer at a time**: while a
//!   writer has objects of a directory queued or in hand, every further
//!   object of that directory goes to the same writer, so two writers never
//!   create entries in one directory at once (the kernel would make them
//!   spin on the directory's lock); an idle directory goes to the writer
//!   with the least work queued;
//! - memory is bounded: batches being filled hold at most [`OPEN_BYTES`],
//!   batches handed over at most [`IN_FLIGHT_BYTES`] (the reader waits),
//!   whatever the dump's size and the number of writers.
//!
//! - a large file whose data can be copied by the kernel out of the dump
//!   file ([`Pool::submit_range`]) goes to the least busy writer at once,
//!   whatever its directory: its entry is little work beside its data, and
//!   the writers copy several such files at a time while the stream is
//!   read on.
//!
//! A checkpoint ([`Pool::mark`], [`Pool::reached`]) names a point of the
//! stream; it is reached when every object handed over before it is
//! written, without stopping the writers.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::plan::{ObjectInfo, Payload};
use super::target::{Ctx, Source};
use super::RestoreError;
use crate::reader::DataRange;

/// Objects per batch.
pub(crate) const BATCH_OBJECTS: usize = 64;
/// Data bytes per batch (a single larger object makes a batch of its own).
pub(crate) const BATCH_BYTES: usize = 1 << 20;
/// Data held in batches still being filled, over all writers.
pub(crate) const OPEN_BYTES: usize = 4 << 20;
/// Bytes handed over and not yet written, over all writers.
pub(crate) const IN_FLIGHT_BYTES: u64 = 16 << 20;
/// What one object costs in the budget besides its data (its name and
/// metadata), so that batches of empty files are bounded too.
const OBJECT_CHARGE: u64 = 512;

/// Where the data of an object in a batch is.
enum Held {
    /// `data[start..end]` of the batch.
    Bytes(usize, usize),
    /// In the dump file, copied by the kernel.
    Range(DataRange),
}

/// Objects for one writer, their data in one buffer (or in the dump file).
#[derive(Default)]
struct Batch {
    objects: Vec<(ObjectInfo, Held)>,
    data: Vec<u8>,
    /// Bytes of the objects whose data stays in the dump file.
    ranged: u64,
}

impl Batch {
    /// What the batch holds in memory.
    fn charge(&self) -> u64 {
        self.data.len() as u64 + OBJECT_CHARGE * self.objects.len() as u64
    }

    /// What the batch gives its writer to do.
    fn work(&self) -> u64 {
        self.charge() + self.ranged
    }
}

/// What the reader and the writers share.
struct Shared {
    /// Charge of the batches handed over and not yet written.
    in_flight: Mutex<u64>,
    /// Signalled whenever a batch is written.
    written: Condvar,
    /// The first error of any writer.
    error: Mutex<Option<RestoreError>>,
    failed: AtomicBool,
    /// Per writer: batches written.
    done: Vec<AtomicU64>,
    /// Per writer: work handed over and not yet done.
    load: Vec<AtomicU64>,
}

impl Shared {
    fn lock_flight(&self) -> MutexGuard<'_, u64> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fail(&self, e: RestoreError) {
        self.error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(e);
        self.failed.store(true, Ordering::Release);
    }

    fn take_error(&self) -> Option<RestoreError> {
        if !self.failed.load(Ordering::Acquire) {
            return None;
        }
        self.error.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// A point of the stream: how many batches each writer had been handed.
#[derive(Debug, Clone)]
pub(crate) struct Mark(Vec<u64>);

/// The writer threads and the batches being filled for them.
pub(crate) struct Pool {
    ctx: Arc<Ctx>,
    senders: Vec<Sender<Batch>>,
    handles: Vec<JoinHandle<()>>,
    shared: Arc<Shared>,
    /// Per writer: the batch being filled.
    open: Vec<Batch>,
    open_bytes: usize,
    /// Per writer: batches handed over.
    sent: Vec<u64>,
    /// Per directory: its writer and the number of that writer's batch
    /// holding its latest object.
    owner: HashMap<PathBuf, (usize, u64)>,
}

impl Pool {
    pub(crate) fn new(ctx: Arc<Ctx>, workers: usize) -> Pool {
        let workers = workers.max(1);
        let shared = Arc::new(Shared {
            in_flight: Mutex::new(0),
            written: Condvar::new(),
            error: Mutex::new(None),
            failed: AtomicBool::new(false),
            done: (0..workers).map(|_| AtomicU64::new(0)).collect(),
            load: (0..workers).map(|_| AtomicU64::new(0)).collect(),
        });
        let mut senders = Vec::with_capacity(workers);
        let mut handles = Vec::with_capacity(workers);
        for w in 0..workers {
            let (tx, rx) = channel::<Batch>();
            let (shared, ctx) = (shared.clone(), ctx.clone());
            senders.push(tx);
            handles.push(std::thread::spawn(move || {
                while let Ok(batch) = rx.recv() {
                    if !shared.failed.load(Ordering::Acquire) {
                        for (obj, held) in &batch.objects {
                            let src = match held {
                                Held::Bytes(start, end) => {
                                    Source::<io::Empty>::Bytes(&batch.data[*start..*end])
                                }
                                Held::Range(r) => Source::Range(*r),
                            };
                            if let Err(e) = ctx.write_object(obj, src) {
                                shared.fail(e);
                                break;
                            }
                        }
                    }
                    let (charge, work) = (batch.charge(), batch.work());
                    drop(batch);
                    shared.load[w].fetch_sub(work, Ordering::Relaxed);
                    shared.done[w].fetch_add(1, Ordering::Release);
                    *shared.lock_flight() -= charge;
                    shared.written.notify_all();
                }
            }));
        }
        Pool {
            ctx,
            senders,
            handles,
            shared,
            open: (0..workers).map(|_| Batch::default()).collect(),
            open_bytes: 0,
            sent: vec![0; workers],
            owner: HashMap::new(),
        }
    }

    /// The writer for an object in directory `dir`: its owner while that
    /// owner has work of it, else the least busy writer.
    fn writer_for(&mut self, dir: &Path) -> usize {
        if let Some(&(w, batch)) = self.owner.get(dir) {
            if self.shared.done[w].load(Ordering::Acquire) < batch {
                return w;
            }
        }
        let w = self.least_busy();
        match self.owner.get_mut(dir) {
            Some(o) => o.0 = w,
            None => {
                self.owner.insert(dir.to_path_buf(), (w, 0));
            }
        }
        w
    }

    /// The writer with the least work handed over or queued.
    fn least_busy(&self) -> usize {
        let busy = |w: usize| self.shared.load[w].load(Ordering::Relaxed) + self.open[w].work();
        (0..self.open.len()).min_by_key(|&w| busy(w)).unwrap_or(0)
    }

    /// Hands `obj`, whose data is `range` of the dump file, to the least
    /// busy writer at once (see the module doc).
    pub(crate) fn submit_range(
        &mut self,
        obj: ObjectInfo,
        range: DataRange,
    ) -> Result<(), RestoreError> {
        if let Some(e) = self.shared.take_error() {
            return Err(e);
        }
        let w = self.least_busy();
        let batch = &mut self.open[w];
        batch.objects.push((obj, Held::Range(range)));
        batch.ranged += range.len;
        self.flush(w)
    }

    /// Writes `obj`, a file too large for a batch: a writer copies it out
    /// of the dump file when the kernel can ([`Pool::submit_range`]),
    /// else this thread writes it with large writes while the writers
    /// work on what is queued.
    pub(crate) fn write_large<R: Read>(
        &mut self,
        obj: &ObjectInfo,
        mut data: Payload<'_, R>,
    ) -> Result<(), RestoreError> {
        let range = match (&mut data, &self.ctx.direct) {
            (Payload::Stream(r, _), Some(direct)) => {
                r.take_data_range(direct).map_err(RestoreError::Dump)?
            }
            _ => None,
        };
        match range {
            Some(range) => self.submit_range(obj.clone(), range),
            None => {
                self.flush_all()?;
                self.ctx.write_object(obj, Source::Big(data))
            }
        }
    }

    /// Queues `obj`; `fill` appends its data to the buffer it is given.
    pub(crate) fn submit(
        &mut self,
        obj: ObjectInfo,
        fill: impl FnOnce(&mut Vec<u8>) -> Result<(), RestoreError>,
    ) -> Result<(), RestoreError> {
        if let Some(e) = self.shared.take_error() {
            return Err(e);
        }
        let dir = obj.paths[0].parent().unwrap_or(Path::new(""));
        let w = self.writer_for(dir);
        if let Some(o) = self.owner.get_mut(dir) {
            o.1 = self.sent[w] + 1;
        }
        let batch = &mut self.open[w];
        let start = batch.data.len();
        if let Err(e) = fill(&mut batch.data) {
            // The object is not queued; neither are its bytes.
            batch.data.truncate(start);
            return Err(e);
        }
        let end = batch.data.len();
        batch.objects.push((obj, Held::Bytes(start, end)));
        self.open_bytes += end - start;
        if batch.objects.len() >= BATCH_OBJECTS || batch.data.len() >= BATCH_BYTES {
            self.flush(w)?;
        }
        if self.open_bytes > OPEN_BYTES {
            self.flush_all()?;
        }
        Ok(())
    }

    /// Hands writer `w` its batch, waiting while the budget is spent.
    fn flush(&mut self, w: usize) -> Result<(), RestoreError> {
        if self.open[w].objects.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.open[w]);
        let (charge, work) = (batch.charge(), batch.work());
        self.open_bytes -= batch.data.len();
        {
            let mut flight = self.shared.lock_flight();
            while *flight > 0 && *flight + charge > IN_FLIGHT_BYTES {
                flight = self
                    .shared
                    .written
                    .wait(flight)
                    .unwrap_or_else(|p| p.into_inner());
            }
            *flight += charge;
        }
        self.shared.load[w].fetch_add(work, Ordering::Relaxed);
        self.sent[w] += 1;
        self.senders[w]
            .send(batch)
            .expect("writer threads outlive the pool");
        match self.shared.take_error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Hands every writer its batch (before the reader works on its own).
    pub(crate) fn flush_all(&mut self) -> Result<(), RestoreError> {
        for w in 0..self.open.len() {
            self.flush(w)?;
        }
        Ok(())
    }

    /// The current point of the stream (batches being filled are handed
    /// over first).
    pub(crate) fn mark(&mut self) -> Result<Mark, RestoreError> {
        self.flush_all()?;
        Ok(Mark(self.sent.clone()))
    }

    /// Whether the writers are past `mark` (written, or skipped after a
    /// failure).
    fn reached(&self, mark: &Mark) -> bool {
        mark.0
            .iter()
            .zip(&self.shared.done)
            .all(|(&m, d)| d.load(Ordering::Acquire) >= m)
    }

    /// Whether everything handed over before `mark` is written (no writer
    /// failed).
    pub(crate) fn written(&self, mark: &Mark) -> bool {
        // A failing writer records the failure before it counts the batch
        // as done, so a reached mark with no failure seen is written.
        self.reached(mark) && !self.shared.failed.load(Ordering::Acquire)
    }

    /// Waits until everything handed over before `mark` is written; the
    /// first error of any writer.
    pub(crate) fn wait_for(&self, mark: &Mark) -> Result<(), RestoreError> {
        let mut flight = self.shared.lock_flight();
        while !self.reached(mark) {
            flight = self
                .shared
                .written
                .wait(flight)
                .unwrap_or_else(|p| p.into_inner());
        }
        drop(flight);
        match self.shared.take_error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Hands over every object and waits until all are written; the first
    /// error.
    pub(crate) fn drain(&mut self) -> Result<(), RestoreError> {
        let mark = self.mark()?;
        self.wait_for(&mark)
    }

    pub(crate) fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.senders.clear();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.stop();
    }
}
