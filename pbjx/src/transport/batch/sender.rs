//! [`BatchSender`]: the queue, the linger and the retries of the stream transports.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::limits::plan_by_size;
use super::{OutboundRecord, RecordApi, RecordFailure, RecordLimits};
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

/// The default linger of [`BatchOptions`]: 10 ms.
pub const DEFAULT_LINGER: Duration = Duration::from_millis(10);

/// How a [`BatchSender`] groups and retries records.
///
/// ```
/// use std::time::Duration;
/// use pbjx::RetryPolicy;
/// use pbjx::transport::batch::BatchOptions;
///
/// let options = BatchOptions::default()
///     .with_linger(Duration::from_millis(5))
///     .with_retry(RetryPolicy::default().with_max_attempts(8));
/// assert_eq!(options.linger(), Some(Duration::from_millis(5)));
/// assert_eq!(BatchOptions::immediate().linger(), None);
/// ```
#[derive(Debug, Clone)]
pub struct BatchOptions {
    linger: Option<Duration>,
    retry: RetryPolicy,
    queue_capacity: usize,
    max_in_flight: usize,
}

impl Default for BatchOptions {
    /// [`DEFAULT_LINGER`], the default [`RetryPolicy`], a queue of 10,000 records, 4 calls in
    /// flight.
    fn default() -> Self {
        Self {
            linger: Some(DEFAULT_LINGER),
            retry: RetryPolicy::default(),
            queue_capacity: 10_000,
            max_in_flight: 4,
        }
    }
}

impl BatchOptions {
    /// Immediate mode: every send makes its own call in the caller's task (no queue, no
    /// background task); retries as usual.
    pub fn immediate() -> Self {
        Self {
            linger: None,
            ..Self::default()
        }
    }

    /// How long the first queued record waits for others to share its call (a full call goes
    /// at once). `Duration::ZERO` still batches what is queued at that moment.
    pub fn with_linger(mut self, linger: Duration) -> Self {
        self.linger = Some(linger);
        self
    }

    /// The retry policy for refused records and transiently failed calls.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Records waiting for a call (at least 1); sends wait for room when it is full.
    pub fn with_queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity.max(1);
        self
    }

    /// Calls running at once (at least 1).
    pub fn with_max_in_flight(mut self, calls: usize) -> Self {
        self.max_in_flight = calls.max(1);
        self
    }

    /// The linger (`None`: immediate mode).
    pub fn linger(&self) -> Option<Duration> {
        self.linger
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }
}

/// A record waiting for its call, and the sender waiting for its result.
struct Pending {
    channel: String,
    record: OutboundRecord,
    reply: oneshot::Sender<Result<()>>,
}

struct State {
    /// `None` once shut down.
    sender: Option<mpsc::Sender<Pending>>,
    receiver: Option<mpsc::Receiver<Pending>>,
    worker: Option<JoinHandle<()>>,
}

/// What the worker needs: no queue sender, so dropping every [`BatchSender`] handle closes
/// the queue and lets the worker drain it and end.
struct Core {
    api: Arc<dyn RecordApi>,
    limits: RecordLimits,
    options: BatchOptions,
}

struct Inner {
    core: Arc<Core>,
    state: Mutex<State>,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Sends records through a [`RecordApi`] in batches (see the [module docs](super) for the
/// semantics). A cheap handle (`Clone`).
///
/// ```
/// use std::sync::Arc;
/// use pbjx::transport::batch::{BatchOptions, BatchSender, CallOutcome, OutboundRecord, RecordApi, RecordLimits};
///
/// struct Accept;
/// #[pbjx::async_trait]
/// impl RecordApi for Accept {
///     fn service(&self) -> &str { "accept" }
///     async fn put_records(&self, _: &str, records: &[OutboundRecord]) -> CallOutcome {
///         Ok(vec![None; records.len()])
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let sender = BatchSender::new(Arc::new(Accept), RecordLimits::KINESIS, BatchOptions::default());
/// let record = OutboundRecord { partition_key: Some("1".into()), data: b"{}".to_vec(), message_ref: "a:b:c:d:1".into() };
/// sender.send("stream", record).await?;
/// sender.shutdown().await;
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct BatchSender {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for BatchSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchSender")
            .field("service", &self.inner.core.api.service())
            .field("limits", &self.inner.core.limits)
            .field("options", &self.inner.core.options)
            .finish_non_exhaustive()
    }
}

impl BatchSender {
    /// A sender through `api` with its service's `limits`.
    pub fn new(api: Arc<dyn RecordApi>, limits: RecordLimits, options: BatchOptions) -> Self {
        let (sender, receiver) = mpsc::channel(options.queue_capacity);
        Self {
            inner: Arc::new(Inner {
                core: Arc::new(Core {
                    api,
                    limits,
                    options,
                }),
                state: Mutex::new(State {
                    sender: Some(sender),
                    receiver: Some(receiver),
                    worker: None,
                }),
            }),
        }
    }

    /// The options.
    pub fn options(&self) -> &BatchOptions {
        &self.inner.core.options
    }

    /// Sends one record to `channel` and waits until the service took it (or refused it for
    /// good).
    pub async fn send(&self, channel: &str, record: OutboundRecord) -> Result<()> {
        let service = self.inner.core.api.service();
        self.inner.core.limits.check(service, &record)?;
        if self.inner.core.options.linger.is_none() {
            if self.inner.state().sender.is_none() {
                return Err(shut_down(service));
            }
            let mut results = deliver(&self.inner.core, channel, vec![record]).await;
            return results.pop().unwrap_or(Ok(()));
        }
        let queue = self.queue()?;
        let (reply, result) = oneshot::channel();
        let pending = Pending {
            channel: channel.to_owned(),
            record,
            reply,
        };
        let queued = queue.send(pending).await;
        // Hold no sender while waiting: shutdown closes the queue by dropping the last one.
        drop(queue);
        if queued.is_err() {
            return Err(shut_down(service));
        }
        result.await.unwrap_or_else(|_| {
            Err(Error::transport(
                service,
                "the batch worker ended before the record was sent",
            ))
        })
    }

    /// Stops accepting records, sends everything queued and waits for every call in flight.
    /// Later sends fail with [`Error::Transport`]. Calling it again does nothing.
    pub async fn shutdown(&self) {
        let worker = {
            let mut state = self.inner.state();
            state.sender = None;
            state.receiver = None;
            state.worker.take()
        };
        if let Some(worker) = worker
            && let Err(e) = worker.await
        {
            tracing::error!(target: "pbjx.transport", service = self.inner.core.api.service(), error = %e, "batch worker ended abnormally");
        }
    }

    /// The queue, spawning the worker on the first call.
    fn queue(&self) -> Result<mpsc::Sender<Pending>> {
        let service = self.inner.core.api.service();
        let mut state = self.inner.state();
        let Some(sender) = state.sender.clone() else {
            return Err(shut_down(service));
        };
        if let Some(receiver) = state.receiver.take() {
            let runtime = tokio::runtime::Handle::try_current().map_err(|e| {
                Error::transport(service, "the transport needs a tokio runtime").with_source(e)
            });
            let runtime = match runtime {
                Ok(runtime) => runtime,
                Err(e) => {
                    state.receiver = Some(receiver);
                    return Err(e);
                }
            };
            state.worker = Some(runtime.spawn(work(self.inner.core.clone(), receiver)));
        }
        Ok(sender)
    }
}

fn shut_down(service: &str) -> Error {
    Error::transport(service, "the transport is shut down")
}

/// The worker: collects records for up to the linger (or until a call is full), splits them
/// into calls per channel and runs up to `max_in_flight` calls at once. Ends when the queue is
/// closed and empty, after every call finished.
async fn work(inner: Arc<Core>, mut receiver: mpsc::Receiver<Pending>) {
    let linger = inner.options.linger.unwrap_or_default();
    let slots = inner.options.max_in_flight;
    let in_flight = Arc::new(Semaphore::new(slots));
    while let Some(first) = receiver.recv().await {
        let deadline = tokio::time::Instant::now() + linger;
        let mut queued = vec![first];
        while queued.len() < inner.limits.max_records {
            match tokio::time::timeout_at(deadline, receiver.recv()).await {
                Ok(Some(pending)) => queued.push(pending),
                Ok(None) | Err(_) => break,
            }
        }
        // Take whatever else is already waiting, up to a full call, without waiting.
        while queued.len() < inner.limits.max_records {
            match receiver.try_recv() {
                Ok(pending) => queued.push(pending),
                Err(_) => break,
            }
        }
        for (channel, group) in by_channel(queued) {
            let calls = plan_by_size(group.iter().map(|p| p.record.size()), &inner.limits);
            let mut group = group.into_iter();
            for call in calls {
                let chunk: Vec<Pending> = group.by_ref().take(call.len()).collect();
                let Ok(permit) = in_flight.clone().acquire_owned().await else {
                    break;
                };
                let inner = inner.clone();
                let channel = channel.clone();
                tokio::spawn(async move {
                    let (records, replies): (Vec<_>, Vec<_>) =
                        chunk.into_iter().map(|p| (p.record, p.reply)).unzip();
                    let results = deliver(&inner, &channel, records).await;
                    for (reply, result) in replies.into_iter().zip(results) {
                        // A sender that went away no longer waits for its result.
                        let _ = reply.send(result);
                    }
                    drop(permit);
                });
            }
        }
    }
    // Queue closed and drained: wait for the calls still running.
    let slots = u32::try_from(slots).unwrap_or(u32::MAX);
    let _all = in_flight.acquire_many(slots).await;
}

/// Groups records by channel, keeping their order within a channel.
fn by_channel(queued: Vec<Pending>) -> Vec<(String, Vec<Pending>)> {
    let mut groups: Vec<(String, Vec<Pending>)> = Vec::new();
    for pending in queued {
        match groups.iter_mut().find(|(c, _)| *c == pending.channel) {
            Some((_, group)) => group.push(pending),
            None => groups.push((pending.channel.clone(), vec![pending])),
        }
    }
    groups
}

/// What the last attempt said about a record that is still not delivered.
enum LastError {
    Record(RecordFailure),
    Call(Error),
}

/// Puts `records` (one call's worth) into `channel`, retrying refused records and transient
/// call failures; returns one result per record, in order.
async fn deliver(inner: &Core, channel: &str, records: Vec<OutboundRecord>) -> Vec<Result<()>> {
    let api = &*inner.api;
    let retry = &inner.options.retry;
    let mut results: Vec<Option<Result<()>>> = vec![None; records.len()];
    let mut last: Vec<Option<LastError>> = records.iter().map(|_| None).collect();
    // Indexes of the records still to deliver.
    let mut open: Vec<usize> = (0..records.len()).collect();
    let mut attempt = 0;
    while !open.is_empty() {
        attempt += 1;
        let outcome = if open.len() == records.len() {
            api.put_records(channel, &records).await
        } else {
            let subset: Vec<OutboundRecord> = open.iter().map(|&i| records[i].clone()).collect();
            api.put_records(channel, &subset).await
        };
        match outcome {
            Ok(per_record) if per_record.len() == open.len() => {
                let mut still = Vec::new();
                for (&i, failure) in open.iter().zip(per_record) {
                    match failure {
                        None => results[i] = Some(Ok(())),
                        Some(failure) => {
                            last[i] = Some(LastError::Record(failure));
                            still.push(i);
                        }
                    }
                }
                open = still;
            }
            Ok(per_record) => {
                let error = Error::transport(
                    api.service(),
                    format!(
                        "the response to a call with {} records to [{channel}] had {} results",
                        open.len(),
                        per_record.len()
                    ),
                );
                for &i in &open {
                    last[i] = Some(LastError::Call(error.clone()));
                }
            }
            Err(call) => {
                let retryable = call.retryable;
                for &i in &open {
                    last[i] = Some(LastError::Call(call.error.clone()));
                }
                if !retryable {
                    break;
                }
            }
        }
        if open.is_empty() || !retry.should_retry(attempt) {
            break;
        }
        tracing::debug!(target: "pbjx.transport", service = api.service(), channel, attempt, records = open.len(), "retrying records");
        retry.backoff(attempt).await;
    }
    for &i in &open {
        let record = &records[i];
        let error = match last[i].take() {
            Some(LastError::Record(failure)) => Error::transport(
                api.service(),
                format!(
                    "message [{}] was not accepted by [{channel}] after {attempt} attempts: {failure}",
                    record.message_ref
                ),
            ),
            Some(LastError::Call(error)) => Error::transport(
                api.service(),
                format!(
                    "message [{}] could not be sent to [{channel}] after {attempt} attempts: {error}",
                    record.message_ref
                ),
            )
            .with_source(error),
            None => Error::transport(
                api.service(),
                format!("message [{}] was not sent to [{channel}]", record.message_ref),
            ),
        };
        tracing::error!(target: "pbjx.transport", service = api.service(), channel, message_ref = %record.message_ref, error = %error, "record not delivered");
        results[i] = Some(Err(error));
    }
    results
        .into_iter()
        .zip(&records)
        .map(|(result, record)| {
            result.unwrap_or_else(|| {
                Err(Error::transport(
                    api.service(),
                    format!(
                        "message [{}] was not sent to [{channel}]",
                        record.message_ref
                    ),
                ))
            })
        })
        .collect()
}
