//! [`LocalTransport`]: commands and events handled in the background by worker tasks of this
//! process, behind a bounded queue.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use pbj::Message;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Transport;
use crate::Pbjx;
use crate::error::{Error, Result};
use crate::panic::catch_unwind;

/// The transport name, `local`.
pub const LOCAL_TRANSPORT: &str = "local";

/// Default queue capacity of [`LocalTransport::default`].
pub const DEFAULT_CAPACITY: usize = 1024;

/// Default number of workers of [`LocalTransport::default`].
pub const DEFAULT_WORKERS: usize = 4;

#[derive(Clone, Copy)]
enum Kind {
    Command,
    Event,
}

/// A queued message, with the exchange that handles it.
///
/// Each job carries a clone of the [`Pbjx`] (one `Arc` increment): the workers own no `Pbjx`,
/// so nothing forms a cycle. While jobs are queued, the `Pbjx` they hold keeps the transport
/// (and so the queue) alive; once the queue is empty and the last `Pbjx` is dropped, the
/// sender is dropped too and the workers end on their own.
struct Job {
    kind: Kind,
    message: Arc<dyn Message>,
    pbjx: Pbjx,
}

struct State {
    /// `None` once shutdown started.
    sender: Option<mpsc::Sender<Job>>,
    /// The receiver until the workers are spawned (on the first send).
    receiver: Option<mpsc::Receiver<Job>>,
    workers: Vec<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    worker_count: usize,
    processed: AtomicU64,
    failed: AtomicU64,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing can panic while the lock is held; recover from poisoning anyway.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn report(&self) -> LocalReport {
        LocalReport {
            processed: self.processed.load(Ordering::Acquire),
            failed: self.failed.load(Ordering::Acquire),
        }
    }
}

/// Counters of a [`LocalTransport`]: messages handled successfully and messages whose
/// handling failed (an error or a panic, each also logged with `tracing`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalReport {
    /// Commands and events handled without error.
    pub processed: u64,
    /// Commands and events whose handling returned an error or panicked.
    pub failed: u64,
}

/// A background transport inside this process: [`Pbjx::send`] and [`Pbjx::publish`] enqueue the
/// message on a bounded queue and return; `workers` tasks take messages off the queue and call
/// [`Pbjx::receive_command`] / [`Pbjx::receive_event`]. Requests are handled inline (like the
/// original's Kinesis and Firehose transports).
///
/// - **Backpressure**: when the queue is full, sending waits for room; nothing is dropped.
/// - **Failures** in the background (handler errors, panics, missing handlers) are logged on
///   the `tracing` target `pbjx.transport.local` and counted in [`LocalReport::failed`]; a
///   panic never kills a worker.
/// - **Shutdown**: [`LocalTransport::shutdown`] stops accepting (later sends fail with
///   [`Error::Transport`]), drains every queued message, waits for the workers and returns the
///   counters. Handlers that send while the queue drains get that error too.
///
/// The workers are spawned on the tokio runtime of the first send. `LocalTransport` is a cheap
/// handle (`Clone`): keep one to call `shutdown` after giving a clone to the builder.
///
/// Do not let every worker block on sending into a full queue from inside a handler (with a
/// small queue and handlers that fan out commands): the queue would never drain. Size the
/// queue for the fan-out or publish from outside the workers.
///
/// ```
/// use std::sync::Arc;
/// use pbjx::Pbjx;
/// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
/// use pbjx::transport::LocalTransport;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let local = LocalTransport::new(100, 2);
/// let pbjx = Pbjx::builder()
///     .transport(local.clone())
///     .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async { Ok(()) })
///     .build()?;
/// pbjx.send(CheckHealthV1::new()).await?; // queued
/// let report = local.shutdown().await;     // drained
/// assert_eq!((report.processed, report.failed), (1, 0));
/// assert!(pbjx.send(CheckHealthV1::new()).await.is_err());
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct LocalTransport {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LocalTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTransport")
            .field("workers", &self.shared.worker_count)
            .field("report", &self.shared.report())
            .finish_non_exhaustive()
    }
}

impl Default for LocalTransport {
    /// [`DEFAULT_CAPACITY`] and [`DEFAULT_WORKERS`].
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY, DEFAULT_WORKERS)
    }
}

impl LocalTransport {
    /// A transport with a queue of `capacity` messages and `workers` worker tasks (both at
    /// least 1).
    pub fn new(capacity: usize, workers: usize) -> Self {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let state = State {
            sender: Some(sender),
            receiver: Some(receiver),
            workers: Vec::new(),
        };
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                worker_count: workers.max(1),
                processed: AtomicU64::new(0),
                failed: AtomicU64::new(0),
            }),
        }
    }

    /// The counters so far.
    pub fn report(&self) -> LocalReport {
        self.shared.report()
    }

    /// Whether [`Self::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        self.shared.state().sender.is_none()
    }

    /// Stops accepting messages, handles everything already queued (including sends that
    /// were waiting for room), waits for the workers and returns the counters. Calling it again
    /// returns the counters. Do not call it from a handler running on this transport (it
    /// would wait for itself).
    pub async fn shutdown(&self) -> LocalReport {
        let workers = {
            let mut state = self.shared.state();
            state.sender = None;
            state.receiver = None;
            std::mem::take(&mut state.workers)
        };
        for worker in workers {
            if let Err(e) = worker.await {
                tracing::error!(target: "pbjx.transport.local", error = %e, "local transport worker ended abnormally");
            }
        }
        self.shared.report()
    }

    /// A sender for one message, spawning the workers on the first call.
    fn sender(&self) -> Result<mpsc::Sender<Job>> {
        let mut state = self.shared.state();
        let Some(sender) = state.sender.clone() else {
            return Err(Error::transport(
                LOCAL_TRANSPORT,
                "the transport is shut down".to_owned(),
            ));
        };
        if let Some(receiver) = state.receiver.take() {
            let runtime = match tokio::runtime::Handle::try_current() {
                Ok(runtime) => runtime,
                Err(e) => {
                    state.receiver = Some(receiver);
                    return Err(Error::transport(
                        LOCAL_TRANSPORT,
                        "the transport needs a tokio runtime",
                    )
                    .with_source(e));
                }
            };
            let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
            for _ in 0..self.shared.worker_count {
                state
                    .workers
                    .push(runtime.spawn(work(receiver.clone(), self.shared.clone())));
            }
        }
        Ok(sender)
    }

    async fn enqueue(&self, kind: Kind, message: Arc<dyn Message>, pbjx: &Pbjx) -> Result<()> {
        let sender = self.sender()?;
        sender
            .send(Job {
                kind,
                message,
                pbjx: pbjx.clone(),
            })
            .await
            .map_err(|_| {
                Error::transport(
                    LOCAL_TRANSPORT,
                    "the transport's workers are gone".to_owned(),
                )
            })
    }
}

/// A worker: takes jobs until the queue is closed (every sender dropped) and empty.
async fn work(receiver: Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>, shared: Arc<Shared>) {
    loop {
        let job = receiver.lock().await.recv().await;
        let Some(Job {
            kind,
            message,
            pbjx,
        }) = job
        else {
            break;
        };
        let result = match kind {
            Kind::Command => catch_unwind(pbjx.receive_command(message.clone())).await,
            Kind::Event => catch_unwind(pbjx.receive_event(message.clone())).await,
        };
        // Drop the exchange before waiting for the next job, so the queue can close.
        drop(pbjx);
        match result {
            Ok(()) => {
                shared.processed.fetch_add(1, Ordering::AcqRel);
            }
            Err(error) => {
                shared.failed.fetch_add(1, Ordering::AcqRel);
                let message_ref = message.generate_message_ref(None);
                tracing::error!(
                    target: "pbjx.transport.local",
                    error = %error,
                    message_ref = %message_ref,
                    kind = match kind { Kind::Command => "command", Kind::Event => "event" },
                    "message could not be handled in the background"
                );
            }
        }
    }
}

#[async_trait::async_trait]
impl Transport for LocalTransport {
    fn name(&self) -> &str {
        LOCAL_TRANSPORT
    }

    async fn send_command(&self, pbjx: &Pbjx, command: Arc<dyn Message>) -> Result<()> {
        self.enqueue(Kind::Command, command, pbjx).await
    }

    async fn send_event(&self, pbjx: &Pbjx, event: Arc<dyn Message>) -> Result<()> {
        self.enqueue(Kind::Event, event, pbjx).await
    }

    async fn send_request(
        &self,
        pbjx: &Pbjx,
        request: Arc<dyn Message>,
    ) -> Result<Box<dyn Message>> {
        Ok(pbjx.receive_request(request).await)
    }
}
