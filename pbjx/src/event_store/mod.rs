//! The event store: append-only streams of events with optimistic concurrency.
//!
//! # Semantics every backend keeps (checked by `pbjx::testkit::event_store`, feature `testkit`)
//!
//! - **Order.** Events are ordered within a stream by `occurred_at` (the original's microtime
//!   order); slices and pipes follow it, `since`/`until` are exclusive bounds on it.
//! - **Sequences.** Every appended event also gets a gapless per-stream sequence number (1, 2,
//!   3, ... in append order; an event older than the stream's newest still gets the next
//!   number). A deleted event leaves a hole: numbers are never reused.
//! - **Atomic appends.** The optimistic check and the write are one atomic operation:
//!   concurrent writers with the same expectation -> exactly one wins, the others get
//!   [`crate::Error::OptimisticCheckFailed`]; an append never half-applies; an event whose
//!   `occurred_at` is already in the stream is rejected with [`crate::Error::AlreadyExists`].
//! - **Every call is a new append.** Repeating an append that succeeded (same events, same
//!   expectation) is not recognised as a retry: with `NoStream` / `Sequence(n)` it fails with
//!   `OptimisticCheckFailed` (the stream moved), with `Any` / a fresh etag with
//!   `AlreadyExists` (its events are stored). Backends with request tokens use them only for
//!   their own transparent re-sends of one call.
//! - **Etag.** A stream's etag is the id of its *last appended event that is still stored*
//!   (the highest sequence number left); [`ExpectedState::Etag`] accepts that id or its md5
//!   hex. Deleting that event moves the etag to the event with the next lower sequence number
//!   (atomically with the delete); deleting every event leaves the stream without an etag
//!   (every `Etag` expectation fails) while its sequence stays.
//! - **`pipe_all_events`** yields every event of every stream exactly once, each stream's
//!   events in `occurred_at` order; streams may interleave and come in no particular order.
//!
//! Backends: [`InMemoryEventStore`] (tests, tools), `SqliteEventStore` (embedded, durable;
//! feature `sqlite`), `dynamodb::DynamoDbEventStore` (feature `dynamodb`), and the
//! [`TwoPhaseCommitEventStore`] decorator.

mod memory;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;
mod stream_id;
mod two_phase;

#[cfg(feature = "dynamodb")]
pub mod dynamodb;

pub use futures_core::stream::BoxStream;
pub use memory::InMemoryEventStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{PositionedEvent, SqliteEventStore, SqliteOptions, Synchronous, WriterStats};
pub use stream_id::{STREAM_ID_MAX_LEN, StreamId};
pub use two_phase::TwoPhaseCommitEventStore;

use std::fmt;
use std::sync::Arc;

use pbj::{Message, Microtime};

use crate::error::{Code, Error, Result};

/// What the writer expects the stream to look like; checked atomically with the append.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ExpectedState {
    /// No expectation.
    #[default]
    Any,
    /// The stream must be empty (no event yet).
    NoStream,
    /// The stream's last sequence number must be exactly this (0 = empty).
    Sequence(u64),
    /// The original's etag: the stream's last event id, or the md5 hex of it.
    Etag(String),
}

impl fmt::Display for ExpectedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedState::Any => f.write_str("any"),
            ExpectedState::NoStream => f.write_str("no stream"),
            ExpectedState::Sequence(n) => write!(f, "sequence {n}"),
            ExpectedState::Etag(e) => write!(f, "etag {e}"),
        }
    }
}

/// The state of a stream's head, as the optimistic check sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamHead {
    /// Last sequence number (0 when the stream is empty).
    pub sequence: u64,
    /// Id of the last appended event (`None` when the stream is empty).
    pub last_event_id: Option<String>,
}

impl StreamHead {
    /// Whether `expected` holds for this head.
    pub fn satisfies(&self, expected: &ExpectedState) -> bool {
        match expected {
            ExpectedState::Any => true,
            ExpectedState::NoStream => self.sequence == 0,
            ExpectedState::Sequence(n) => self.sequence == *n,
            ExpectedState::Etag(etag) => self
                .last_event_id
                .as_deref()
                .is_some_and(|id| etag == id || *etag == md5_hex(id)),
        }
    }

    /// The error for a failed expectation.
    pub fn mismatch(&self, stream: &StreamId, expected: &ExpectedState) -> Error {
        Error::OptimisticCheckFailed {
            stream: stream.to_string(),
            expected: expected.to_string(),
            actual: match (self.sequence, &self.last_event_id) {
                (0, _) => "no stream".to_owned(),
                (n, None) => format!("sequence {n} (no event left)"),
                (n, Some(id)) => format!("sequence {n} (last event {id})"),
            },
        }
    }
}

/// The sequence numbers `count` events appended after `base` get (checked: a stream
/// cannot pass `u64::MAX`).
pub(crate) fn sequences(
    backend: &str,
    stream: &StreamId,
    base: u64,
    count: usize,
) -> Result<Appended> {
    let first = base.checked_add(1);
    let last = u64::try_from(count).ok().and_then(|n| base.checked_add(n));
    match (first, last) {
        (Some(first_sequence), Some(last_sequence)) => Ok(Appended {
            first_sequence,
            last_sequence,
        }),
        _ => Err(Error::storage(
            backend,
            Code::OutOfRange,
            format!(
                "stream [{stream}]: {count} more events after sequence {base} overflow the sequence numbers"
            ),
        )),
    }
}

/// The md5 hex digest of `s` (the original's etag form of an event id).
pub(crate) use pbj::etag::md5_hex;

/// One event as stored in a stream.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The stream it was read from.
    pub stream_id: StreamId,
    /// Its sequence number in that stream (1, 2, 3, ...).
    pub sequence: u64,
    /// The (frozen) event.
    pub event: Arc<dyn Message>,
}

impl StoredEvent {
    /// The event's `occurred_at`.
    pub fn occurred_at(&self) -> Option<Microtime> {
        occurred_at(&*self.event)
    }
}

/// The `occurred_at` of an event.
pub fn occurred_at(event: &dyn Message) -> Option<Microtime> {
    match event.data().get_single("occurred_at") {
        Some(pbj::Value::Microtime(m)) => Some(*m),
        _ => None,
    }
}

/// The `event_id` of an event (as a string).
pub fn event_id(event: &dyn Message) -> Option<&str> {
    event
        .data()
        .get_single("event_id")
        .and_then(pbj::Value::as_str)
}

/// The outcome of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Sequence number of the first appended event.
    pub first_sequence: u64,
    /// Sequence number of the last appended event (the stream's new head).
    pub last_sequence: u64,
}

/// Which part of a stream to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceQuery {
    /// Exclusive bound on `occurred_at`: events after it (forward) or before it (backward);
    /// `None` starts at the beginning (forward) or the end (backward).
    pub since: Option<Microtime>,
    /// Maximum number of events (at least 1).
    pub count: usize,
    /// Oldest first (`true`) or newest first.
    pub forward: bool,
    /// Ask the backend for a strongly consistent read where it has a choice.
    pub consistent: bool,
}

impl Default for SliceQuery {
    fn default() -> Self {
        Self {
            since: None,
            count: 25,
            forward: true,
            consistent: false,
        }
    }
}

/// Part of a stream.
#[derive(Debug, Clone)]
pub struct StreamSlice {
    /// The stream.
    pub stream_id: StreamId,
    /// The events, in the query's order.
    pub events: Vec<StoredEvent>,
    /// Whether the slice is oldest first.
    pub forward: bool,
    /// Whether the read was strongly consistent.
    pub consistent: bool,
    /// Whether more events exist beyond this slice (known without an extra round trip).
    pub has_more: bool,
}

impl StreamSlice {
    /// `occurred_at` of the last event in list order (the oldest for backward slices).
    pub fn last_occurred_at(&self) -> Option<Microtime> {
        self.events.last().and_then(StoredEvent::occurred_at)
    }
}

/// Stores and replays events by stream; the [module docs](self) state the semantics every
/// backend keeps. Object safe (`Arc<dyn EventStore>`); implementors write `async fn`s under
/// `#[async_trait::async_trait]`.
///
/// ```
/// use std::sync::Arc;
/// use pbjx::event_store::{EventStore, ExpectedState, InMemoryEventStore, SliceQuery, StreamId};
/// use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
/// use pbjx::pbj::Message;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
/// let stream = StreamId::parse("acme:article:1")?;
/// let mut event = HealthCheckedV1::new();
/// event.freeze();
/// store.put_events(&stream, vec![Arc::new(event)], ExpectedState::NoStream).await?;
/// let slice = store.get_stream_slice(&stream, SliceQuery::default()).await?;
/// assert_eq!(slice.events[0].sequence, 1);
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
#[async_trait::async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// A short backend name for logs and errors, e.g. `sqlite`.
    fn name(&self) -> &str;

    /// Creates the storage (tables, indexes) if it does not exist.
    async fn create_storage(&self) -> Result<()>;

    /// Describes the storage (for operators).
    async fn describe_storage(&self) -> Result<String>;

    /// Called by [`crate::PbjxBuilder::build`] with the exchange this store was configured on
    /// (default: nothing). Decorators that need the exchange (e.g.
    /// [`TwoPhaseCommitEventStore`]) keep a [`crate::WeakPbjx`] (no reference cycle).
    fn attach(&self, pbjx: &crate::Pbjx) {
        let _ = pbjx;
    }

    /// Appends frozen events to a stream if `expected` holds, atomically; returns the
    /// sequence numbers given to them. Use [`crate::Pbjx::put_events`] to run the lifecycle
    /// on unfrozen events first.
    ///
    /// Errors (nothing of the batch is written in every case): [`check_events`] errors
    /// (`WrongMessageKind`, `InvalidArgument` for unfrozen events or missing fields),
    /// [`Error::OptimisticCheckFailed`], [`Error::AlreadyExists`] (an `occurred_at` already in
    /// the stream or twice in the batch), [`Error::Storage`]. An empty batch writes nothing but
    /// still checks `expected` and returns `Appended { first_sequence: head + 1,
    /// last_sequence: head }`. Repeating a call is a new append (see the module docs).
    async fn put_events(
        &self,
        stream: &StreamId,
        events: Vec<Arc<dyn Message>>,
        expected: ExpectedState,
    ) -> Result<Appended>;

    /// One event by its `event_id` ([`Error::EventNotFound`] when missing).
    async fn get_event(&self, event_id: &str) -> Result<StoredEvent>;

    /// Several events by id in one round trip where the backend allows; missing ids are
    /// skipped; the order follows `event_ids`.
    async fn get_events(&self, event_ids: &[String]) -> Result<Vec<StoredEvent>>;

    /// Deletes an event from every stream holding it (no error when missing). The sequence
    /// numbers stay; where the event was its stream's etag, the etag moves to the remaining
    /// event with the highest sequence number, in the same atomic step.
    async fn delete_event(&self, event_id: &str) -> Result<()>;

    /// Reads part of a stream; an unknown stream gives an empty slice.
    async fn get_stream_slice(&self, stream: &StreamId, query: SliceQuery) -> Result<StreamSlice>;

    /// Every event of a stream with `since < occurred_at < until`, in `occurred_at` order.
    fn pipe_events<'a>(
        &'a self,
        stream: &'a StreamId,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>>;

    /// Every event of every stream with `since < occurred_at < until`, each exactly once,
    /// each stream's events in `occurred_at` order (streams may interleave). A corrupt stored
    /// event is yielded as an error item and the stream goes on; a failure that stops the
    /// backend from reading on is yielded as a last error item (never a silent end).
    fn pipe_all_events<'a>(
        &'a self,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>>;
}

/// Checks that every event uses the event mixin ([`Error::WrongMessageKind`]), is frozen and
/// has an `event_id` and an `occurred_at` ([`Error::InvalidArgument`]). Every backend calls it
/// before writing anything.
///
/// Stores require frozen events (they never copy or mutate them): freeze them yourself, or use
/// [`crate::Pbjx::put_events`], which runs the lifecycle on unfrozen events and freezes them.
pub fn check_events(events: &[Arc<dyn Message>]) -> Result<()> {
    for event in events {
        check_event(&**event)?;
    }
    Ok(())
}

/// [`check_events`] for one event; returns its `occurred_at` and `event_id`.
pub fn check_event(event: &dyn Message) -> Result<(Microtime, &str)> {
    let schema = event.schema();
    if !schema.has_mixin(crate::mixins::EVENT) {
        return Err(Error::WrongMessageKind {
            operation: "put_events",
            mixin: crate::mixins::EVENT,
            schema: schema.id.to_owned(),
        });
    }
    if !event.is_frozen() {
        return Err(Error::InvalidArgument {
            message: format!(
                "event [{}] must be frozen to be stored (Pbjx::put_events freezes events)",
                schema.id
            ),
        });
    }
    match (occurred_at(event), event_id(event)) {
        (Some(at), Some(id)) => Ok((at, id)),
        _ => Err(Error::InvalidArgument {
            message: format!(
                "event [{}] needs an event_id and an occurred_at to be stored",
                schema.id
            ),
        }),
    }
}
