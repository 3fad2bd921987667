//! The event store: append-only streams of events with optimistic concurrency.
//!
//! Events are ordered within a stream by `occurred_at` (the original's microtime order), and
//! every backend also gives each appended event a gapless per-stream sequence number (1, 2,
//! 3, ...). The optimistic check and the write are one atomic operation in every backend:
//! concurrent writers with the same expectation -> exactly one wins, the others get
//! [`crate::Error::OptimisticCheckFailed`]; an append never half-applies; an event whose
//! `occurred_at` is already in the stream is rejected with [`crate::Error::AlreadyExists`].

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod memory;
#[cfg(feature = "sqlite")]
mod sqlite;
mod stream_id;
mod two_phase;

#[cfg(feature = "dynamodb")]
pub mod dynamodb;

pub use memory::InMemoryEventStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{PositionedEvent, SqliteEventStore, SqliteOptions, Synchronous};
pub use stream_id::{STREAM_ID_MAX_LEN, StreamId};
pub use two_phase::TwoPhaseCommitEventStore;

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;

use pbj::{Message, Microtime};

use crate::error::{Error, Result};
use crate::lifecycle::BoxFuture;

/// A boxed, sendable async stream (`futures_core::Stream`).
pub type BoxStream<'a, T> = Pin<Box<dyn futures_core::Stream<Item = T> + Send + 'a>>;

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
            ExpectedState::Etag(etag) => self.last_event_id.as_deref().is_some_and(|id| {
                use md5::Digest;
                let digest = md5::Md5::digest(id.as_bytes());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                etag == id || *etag == hex
            }),
        }
    }

    /// The error for a failed expectation.
    pub fn mismatch(&self, stream: &StreamId, expected: &ExpectedState) -> Error {
        Error::OptimisticCheckFailed {
            stream: stream.to_string(),
            expected: expected.to_string(),
            actual: match &self.last_event_id {
                None => "no stream".to_owned(),
                Some(id) => format!("sequence {} (last event {id})", self.sequence),
            },
        }
    }
}

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

/// Stores and replays events by stream. Backends: [`InMemoryEventStore`] (tests),
/// SQLite (embedded, durable; feature `sqlite`), DynamoDB (feature `dynamodb`).
pub trait EventStore: Send + Sync + 'static {
    /// A short backend name for logs and errors, e.g. `sqlite`.
    fn name(&self) -> &str;

    /// Creates the storage (tables, indexes) if it does not exist.
    fn create_storage(&self) -> BoxFuture<'_, Result<()>>;

    /// Describes the storage (for operators).
    fn describe_storage(&self) -> BoxFuture<'_, Result<String>>;

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
    /// last_sequence: head }`.
    fn put_events<'a>(
        &'a self,
        stream: &'a StreamId,
        events: Vec<Arc<dyn Message>>,
        expected: ExpectedState,
    ) -> BoxFuture<'a, Result<Appended>>;

    /// One event by its `event_id` ([`Error::EventNotFound`] when missing).
    fn get_event<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Result<StoredEvent>>;

    /// Several events by id in one round trip where the backend allows; missing ids are
    /// skipped; the order follows `event_ids`.
    fn get_events<'a>(&'a self, event_ids: &'a [String])
    -> BoxFuture<'a, Result<Vec<StoredEvent>>>;

    /// Deletes an event from every stream holding it (no error when missing).
    fn delete_event<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Result<()>>;

    /// Reads part of a stream; an unknown stream gives an empty slice.
    fn get_stream_slice<'a>(
        &'a self,
        stream: &'a StreamId,
        query: SliceQuery,
    ) -> BoxFuture<'a, Result<StreamSlice>>;

    /// Every event of a stream with `since < occurred_at < until`, oldest first.
    fn pipe_events<'a>(
        &'a self,
        stream: &'a StreamId,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>>;

    /// Every event of every stream with `since < occurred_at < until`, each exactly once,
    /// ordered within each stream. A corrupt stored event is yielded as an error item and the
    /// stream goes on.
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
