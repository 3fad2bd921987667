//! [`TwoPhaseCommitEventStore`]: publish events after they are appended.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use pbj::{Message, Microtime};

use super::{
    Appended, BoxStream, EventStore, ExpectedState, SliceQuery, StoredEvent, StreamId, StreamSlice,
    event_id,
};
use crate::error::{Error, Result};
use crate::exchange::{Pbjx, WeakPbjx};

/// A decorator that delegates everything to `S` and, after a successful `put_events`,
/// publishes each appended event in order through the [`Pbjx`] it is attached to.
///
/// **Wiring**: configure it on the builder like any store; [`crate::PbjxBuilder::build`] calls
/// [`EventStore::attach`], which keeps a [`WeakPbjx`] (no `Arc` cycle between the exchange and
/// its store). A store used outside a builder is attached with
/// [`TwoPhaseCommitEventStore::attach_to`].
///
/// **Failures**: the append is the commit point and is never undone. If the exchange is gone
/// (or was never attached) or publishing some events fails, the remaining events are still
/// published and `put_events` returns [`Error::NotPublished`] with the sequence numbers of the
/// append and the `(event_id, error)` of each event not published; the caller decides whether
/// to re-publish them (they are in the store). Subscriber failures do not count: the exchange
/// turns them into `event-execution-failed` events. For guaranteed delivery, publish from a
/// separate reader of the store instead (an outbox).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use pbjx::Pbjx;
/// use pbjx::event_store::{ExpectedState, InMemoryEventStore, StreamId, TwoPhaseCommitEventStore};
/// use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let seen = Arc::new(AtomicUsize::new(0));
/// let counter = seen.clone();
/// let pbjx = Pbjx::builder()
///     .event_store(TwoPhaseCommitEventStore::new(InMemoryEventStore::new()))
///     .subscribe(move |_e: Arc<HealthCheckedV1>, _p| {
///         let counter = counter.clone();
///         async move {
///             counter.fetch_add(1, Ordering::SeqCst);
///             Ok(())
///         }
///     })
///     .build()?;
/// let stream = StreamId::parse("acme:health")?;
/// pbjx.put_events(&stream, vec![Box::new(HealthCheckedV1::new())], ExpectedState::Any).await?;
/// assert_eq!(seen.load(Ordering::SeqCst), 1);
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
pub struct TwoPhaseCommitEventStore<S> {
    next: S,
    pbjx: OnceLock<WeakPbjx>,
    disabled: AtomicBool,
}

impl<S: std::fmt::Debug> std::fmt::Debug for TwoPhaseCommitEventStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoPhaseCommitEventStore")
            .field("next", &self.next)
            .field("attached", &self.pbjx.get().is_some())
            .field("disabled", &self.disabled.load(Ordering::Relaxed))
            .finish()
    }
}

impl<S: EventStore> TwoPhaseCommitEventStore<S> {
    /// Decorates `next` (publishing enabled).
    pub fn new(next: S) -> Self {
        Self {
            next,
            pbjx: OnceLock::new(),
            disabled: AtomicBool::new(false),
        }
    }

    /// Publishes through `pbjx` (only the first attachment counts).
    pub fn attach_to(&self, pbjx: &Pbjx) {
        let _ = self.pbjx.set(pbjx.downgrade());
    }

    /// Turns publishing off (imports, replays) or back on.
    pub fn set_disabled(&self, disabled: bool) {
        self.disabled.store(disabled, Ordering::Relaxed);
    }

    /// Whether publishing is off.
    pub fn is_disabled(&self) -> bool {
        self.disabled.load(Ordering::Relaxed)
    }

    /// The decorated store.
    pub fn inner(&self) -> &S {
        &self.next
    }

    async fn publish_all(
        &self,
        stream: &StreamId,
        events: Vec<Arc<dyn Message>>,
        appended: Appended,
    ) -> Result<Appended> {
        let pbjx = self.pbjx.get().and_then(WeakPbjx::upgrade);
        let mut failures = Vec::new();
        for event in events {
            let id = event_id(&*event).unwrap_or_default().to_owned();
            let result = match &pbjx {
                Some(pbjx) => pbjx.publish_frozen(event).await,
                None => Err(Error::NotConfigured { service: "Pbjx" }),
            };
            if let Err(e) = result {
                tracing::error!(stream = %stream, event_id = %id, error = %e, "event appended but not published");
                failures.push((id, e));
            }
        }
        if failures.is_empty() {
            Ok(appended)
        } else {
            Err(Error::NotPublished {
                stream: stream.to_string(),
                appended,
                failures,
            })
        }
    }
}

#[async_trait::async_trait]
impl<S: EventStore> EventStore for TwoPhaseCommitEventStore<S> {
    fn name(&self) -> &str {
        self.next.name()
    }

    fn attach(&self, pbjx: &Pbjx) {
        self.attach_to(pbjx);
        self.next.attach(pbjx);
    }

    async fn create_storage(&self) -> Result<()> {
        self.next.create_storage().await
    }

    async fn describe_storage(&self) -> Result<String> {
        self.next.describe_storage().await
    }

    async fn put_events(
        &self,
        stream: &StreamId,
        events: Vec<Arc<dyn Message>>,
        expected: ExpectedState,
    ) -> Result<Appended> {
        if self.is_disabled() {
            return self.next.put_events(stream, events, expected).await;
        }
        // Arc clones: the events are shared, not copied.
        let appended = self
            .next
            .put_events(stream, events.clone(), expected)
            .await?;
        self.publish_all(stream, events, appended).await
    }

    async fn get_event(&self, event_id: &str) -> Result<StoredEvent> {
        self.next.get_event(event_id).await
    }

    async fn get_events(&self, event_ids: &[String]) -> Result<Vec<StoredEvent>> {
        self.next.get_events(event_ids).await
    }

    async fn delete_event(&self, event_id: &str) -> Result<()> {
        self.next.delete_event(event_id).await
    }

    async fn get_stream_slice(&self, stream: &StreamId, query: SliceQuery) -> Result<StreamSlice> {
        self.next.get_stream_slice(stream, query).await
    }

    fn pipe_events<'a>(
        &'a self,
        stream: &'a StreamId,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>> {
        self.next.pipe_events(stream, since, until)
    }

    fn pipe_all_events<'a>(
        &'a self,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>> {
        self.next.pipe_all_events(since, until)
    }
}
