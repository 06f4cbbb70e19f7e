//! A bounded pool of writer threads for small files; they share the
//! target (one [`beneath::Root`], its directory-fd cache included).

use std::io;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::plan::ObjectInfo;
use super::target::{Ctx, Source};
use super::RestoreError;

/// Jobs queued per worker: bounds the data held in memory to about
/// `workers × QUEUE_PER_WORKER × SMALL_FILE_LIMIT` in the worst case.
const QUEUE_PER_WORKER: usize = 4;

pub(crate) struct Pool {
    tx: Option<SyncSender<(ObjectInfo, Vec<u8>)>>,
    handles: Vec<JoinHandle<()>>,
    state: Arc<PoolState>,
}

#[derive(Default)]
struct PoolState {
    pending: Mutex<u64>,
    idle: Condvar,
    error: Mutex<Option<RestoreError>>,
}

impl Pool {
    pub(crate) fn new(ctx: Arc<Ctx>, workers: usize) -> Pool {
        let (tx, rx) = sync_channel::<(ObjectInfo, Vec<u8>)>(workers * QUEUE_PER_WORKER);
        let rx = Arc::new(Mutex::new(rx));
        let state = Arc::new(PoolState::default());
        let handles = (0..workers)
            .map(|_| {
                let (rx, state, ctx) = (rx.clone(), state.clone(), ctx.clone());
                std::thread::spawn(move || loop {
                    let job = rx.lock().expect("pool lock").recv();
                    let Ok((obj, data)) = job else { return };
                    let failed = state.error.lock().expect("pool lock").is_some();
                    if !failed {
                        let r = ctx.write_object::<io::Empty>(&obj, Source::Bytes(&data));
                        if let Err(e) = r {
                            state.error.lock().expect("pool lock").get_or_insert(e);
                        }
                    }
                    let mut n = state.pending.lock().expect("pool lock");
                    *n -= 1;
                    if *n == 0 {
                        state.idle.notify_all();
                    }
                })
            })
            .collect();
        Pool {
            tx: Some(tx),
            handles,
            state,
        }
    }

    pub(crate) fn submit(&self, obj: ObjectInfo, data: Vec<u8>) -> Result<(), RestoreError> {
        if let Some(e) = self.state.error.lock().expect("pool lock").take() {
            return Err(e);
        }
        *self.state.pending.lock().expect("pool lock") += 1;
        self.tx
            .as_ref()
            .expect("pool is open")
            .send((obj, data))
            .expect("writer threads outlive the pool");
        Ok(())
    }

    /// Waits until every submitted object is written; the first error.
    pub(crate) fn drain(&self) -> Result<(), RestoreError> {
        let mut n = self.state.pending.lock().expect("pool lock");
        while *n > 0 {
            n = self.state.idle.wait(n).expect("pool lock");
        }
        drop(n);
        match self.state.error.lock().expect("pool lock").take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub(crate) fn shutdown(mut self) {
        self.tx = None;
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.tx = None;
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}
