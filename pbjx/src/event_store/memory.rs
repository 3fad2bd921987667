//! [`InMemoryEventStore`]: a complete, non-durable event store engine (tests, local tools).

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::task::{Context, Poll};

use pbj::{Message, Microtime};

use super::{
    Appended, BoxStream, EventStore, ExpectedState, SliceQuery, StoredEvent, StreamHead, StreamId,
    StreamSlice, check_events, event_id, occurred_at,
};
use crate::error::{Error, Result};
use crate::lifecycle::BoxFuture;

/// How many events a pipe reads under one lock acquisition.
const PIPE_PAGE: usize = 256;

/// An event store in memory with the full semantics of the durable backends: the optimistic
/// check and the write happen under one lock (atomic), sequences are gapless per stream, a
/// duplicate `occurred_at` in a stream is [`Error::AlreadyExists`] (nothing of the batch is
/// written), `get_events` is one lock acquisition, `delete_event` removes the event from every
/// stream holding it.
///
/// Events are kept (shared, frozen) sorted by `occurred_at` within each stream; an event
/// older than the stream's newest is inserted at its place (its sequence number still is the
/// next one: sequences follow append order, slices follow `occurred_at`). `pipe_all_events`
/// walks the streams in creation order, each by `occurred_at`, reading pages under short
/// read locks (writers are never blocked for the whole pipe). Nothing is durable.
///
/// ```
/// use std::sync::Arc;
/// use pbjx::event_store::{EventStore, ExpectedState, InMemoryEventStore, SliceQuery, StreamId};
/// use pbjx::pbj::Message;
/// use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = InMemoryEventStore::new();
/// let stream = StreamId::parse("acme:article:123")?;
/// let mut event = HealthCheckedV1::new();
/// event.freeze();
/// let appended = store.put_events(&stream, vec![Arc::new(event)], ExpectedState::NoStream).await?;
/// assert_eq!(appended.last_sequence, 1);
/// let slice = store.get_stream_slice(&stream, SliceQuery::default()).await?;
/// assert_eq!(slice.events.len(), 1);
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
#[derive(Default)]
pub struct InMemoryEventStore {
    state: RwLock<State>,
}

impl std::fmt::Debug for InMemoryEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.read();
        f.debug_struct("InMemoryEventStore")
            .field("streams", &state.streams.len())
            .field("events", &state.event_count)
            .finish()
    }
}

#[derive(Default)]
struct State {
    index: HashMap<StreamId, usize>,
    streams: Vec<Stream>,
    /// event id -> the streams holding it.
    by_id: HashMap<String, Locations>,
    event_count: usize,
}

struct Stream {
    id: StreamId,
    /// Sorted by `at` (unique).
    events: Vec<Entry>,
    head: u64,
    last: Option<Arc<dyn Message>>,
}

#[derive(Clone)]
struct Entry {
    at: Microtime,
    sequence: u64,
    event: Arc<dyn Message>,
}

/// Where one event is: its `occurred_at` and the streams holding it (almost always one: no
/// allocation for it).
struct Locations {
    at: Microtime,
    first: usize,
    more: Vec<usize>,
}

impl Locations {
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.first).chain(self.more.iter().copied())
    }
}

impl Stream {
    fn head(&self) -> StreamHead {
        StreamHead {
            sequence: self.head,
            last_event_id: self.last.as_deref().and_then(event_id).map(str::to_owned),
        }
    }

    fn position(&self, at: Microtime) -> std::result::Result<usize, usize> {
        self.events.binary_search_by(|e| e.at.cmp(&at))
    }

    /// Index of the event `id` (expected at `at`; two different events sharing an id are
    /// found by a scan).
    fn locate(&self, at: Microtime, id: &str) -> Option<usize> {
        match self.position(at) {
            Ok(p) if event_id(&*self.events[p].event) == Some(id) => Some(p),
            _ => self
                .events
                .iter()
                .position(|e| event_id(&*e.event) == Some(id)),
        }
    }

    fn stored(&self, entry: &Entry) -> StoredEvent {
        StoredEvent {
            stream_id: self.id.clone(),
            sequence: entry.sequence,
            event: entry.event.clone(),
        }
    }

    /// Up to `count` events after `since` (exclusive), oldest first; and whether more exist.
    fn forward(&self, since: Option<Microtime>, count: usize) -> (&[Entry], bool) {
        let start = since.map_or(0, |s| self.events.partition_point(|e| e.at <= s));
        let end = start.saturating_add(count).min(self.events.len());
        (&self.events[start..end], end < self.events.len())
    }
}

impl InMemoryEventStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Removes every stream and event.
    pub fn clear(&self) {
        *self.write() = State::default();
    }

    /// Number of events stored (an event in two streams counts twice).
    pub fn len(&self) -> usize {
        self.read().event_count
    }

    /// Whether no event is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of streams ever written (streams emptied by deletes are kept).
    pub fn stream_count(&self) -> usize {
        self.read().streams.len()
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // The state is never left half-updated by a panic (all checks run before any write).
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn put(
        &self,
        stream: &StreamId,
        events: Vec<Arc<dyn Message>>,
        expected: &ExpectedState,
    ) -> Result<Appended> {
        check_events(&events)?;
        let mut batch = Vec::with_capacity(events.len());
        for event in events {
            // check_events guarantees both fields
            let (Some(at), Some(id)) = (occurred_at(&*event), event_id(&*event)) else {
                return Err(Error::InvalidArgument {
                    message: "events need an event_id and an occurred_at".into(),
                });
            };
            let id = id.to_owned();
            batch.push((at, id, event));
        }
        // Is the batch strictly increasing? Then one comparison with the stream's newest
        // event rules out every duplicate.
        let increasing = batch.windows(2).all(|w| w[0].0 < w[1].0);
        if !increasing {
            let mut times: Vec<Microtime> = batch.iter().map(|b| b.0).collect();
            times.sort_unstable();
            if let Some(w) = times.windows(2).find(|w| w[0] == w[1]) {
                return Err(Error::AlreadyExists {
                    stream: stream.to_string(),
                    what: format!("two events of the batch at occurred_at {}", w[0]),
                });
            }
        }

        let mut state = self.write();
        let state = &mut *state;
        let existing = state.index.get(stream).copied();
        let head = existing.map_or_else(StreamHead::default, |i| state.streams[i].head());
        if !head.satisfies(expected) {
            return Err(head.mismatch(stream, expected));
        }
        if batch.is_empty() {
            return Ok(Appended {
                first_sequence: head.sequence + 1,
                last_sequence: head.sequence,
            });
        }
        let appends_at_end = match existing {
            None => true,
            Some(i) => {
                let s = &state.streams[i];
                let newest = s.events.last().map(|e| e.at);
                if increasing && newest.is_none_or(|n| n < batch[0].0) {
                    true
                } else {
                    if let Some((at, ..)) = batch.iter().find(|b| s.position(b.0).is_ok()) {
                        return Err(Error::AlreadyExists {
                            stream: stream.to_string(),
                            what: format!("an event at occurred_at {at}"),
                        });
                    }
                    false
                }
            }
        };

        // Everything is checked: write.
        let index = match existing {
            Some(i) => i,
            None => {
                let i = state.streams.len();
                state.streams.push(Stream {
                    id: stream.clone(),
                    events: Vec::new(),
                    head: 0,
                    last: None,
                });
                state.index.insert(stream.clone(), i);
                i
            }
        };
        let s = &mut state.streams[index];
        let first_sequence = s.head + 1;
        let count = batch.len();
        s.events.reserve(count);
        state.by_id.reserve(count);
        for (n, (at, id, event)) in batch.into_iter().enumerate() {
            let entry = Entry {
                at,
                sequence: first_sequence + n as u64,
                event,
            };
            if n + 1 == count {
                s.last = Some(entry.event.clone());
            }
            if appends_at_end {
                s.events.push(entry);
            } else {
                match s.position(at) {
                    Ok(_) => unreachable_duplicate(),
                    Err(p) => s.events.insert(p, entry),
                }
            }
            match state.by_id.entry(id) {
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let l = o.get_mut();
                    if !l.iter().any(|x| x == index) {
                        l.more.push(index);
                    }
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(Locations {
                        at,
                        first: index,
                        more: Vec::new(),
                    });
                }
            }
        }
        s.head += count as u64;
        state.event_count += count;
        Ok(Appended {
            first_sequence,
            last_sequence: s.head,
        })
    }

    fn find(state: &State, id: &str) -> Option<StoredEvent> {
        let locations = state.by_id.get(id)?;
        locations.iter().find_map(|i| {
            let s = &state.streams[i];
            s.locate(locations.at, id).map(|p| s.stored(&s.events[p]))
        })
    }

    fn slice(&self, stream: &StreamId, query: SliceQuery) -> StreamSlice {
        let count = query.count.max(1);
        let state = self.read();
        let mut slice = StreamSlice {
            stream_id: stream.clone(),
            events: Vec::new(),
            forward: query.forward,
            consistent: true,
            has_more: false,
        };
        let Some(s) = state.index.get(stream).map(|i| &state.streams[*i]) else {
            return slice;
        };
        if query.forward {
            let (entries, more) = s.forward(query.since, count);
            slice.events = entries.iter().map(|e| s.stored(e)).collect();
            slice.has_more = more;
        } else {
            let end = query.since.map_or(s.events.len(), |since| {
                s.events.partition_point(|e| e.at < since)
            });
            let start = end.saturating_sub(count);
            slice.events = s.events[start..end]
                .iter()
                .rev()
                .map(|e| s.stored(e))
                .collect();
            slice.has_more = start > 0;
        }
        slice
    }
}

/// Duplicates were ruled out under the same lock before any write.
#[cold]
fn unreachable_duplicate() {
    debug_assert!(false, "duplicate occurred_at after the check");
}

/// A pipe over one stream (`stream = Some`) or over every stream (`None`).
struct Pipe<'a> {
    store: &'a InMemoryEventStore,
    /// The stream being read: its index, or `None` until resolved.
    only: Option<StreamId>,
    stream_index: usize,
    cursor: Option<Microtime>,
    since: Option<Microtime>,
    until: Option<Microtime>,
    buffer: VecDeque<StoredEvent>,
    done: bool,
}

impl Pipe<'_> {
    fn fill(&mut self) {
        while self.buffer.is_empty() && !self.done {
            let state = self.store.read();
            let s = match &self.only {
                Some(id) => match state.index.get(id) {
                    Some(i) => &state.streams[*i],
                    None => {
                        self.done = true;
                        return;
                    }
                },
                None => match state.streams.get(self.stream_index) {
                    Some(s) => s,
                    None => {
                        self.done = true;
                        return;
                    }
                },
            };
            let (entries, more) = s.forward(self.cursor, PIPE_PAGE);
            let mut reached_until = false;
            for e in entries {
                if self.until.is_some_and(|u| e.at >= u) {
                    reached_until = true;
                    break;
                }
                self.buffer.push_back(s.stored(e));
            }
            if let Some(e) = entries.last() {
                self.cursor = Some(e.at);
            }
            if reached_until || !more {
                if self.only.is_some() {
                    self.done = true;
                } else {
                    self.stream_index += 1;
                    self.cursor = self.since;
                }
            }
        }
    }
}

impl futures_core::Stream for Pipe<'_> {
    type Item = Result<StoredEvent>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.fill();
        Poll::Ready(self.buffer.pop_front().map(Ok))
    }
}

impl EventStore for InMemoryEventStore {
    fn name(&self) -> &str {
        "in_memory"
    }

    fn create_storage(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn describe_storage(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(async move {
            let state = self.read();
            Ok(format!(
                "InMemoryEventStore: {} streams, {} events ({} distinct event ids)",
                state.streams.len(),
                state.event_count,
                state.by_id.len()
            ))
        })
    }

    fn put_events<'a>(
        &'a self,
        stream: &'a StreamId,
        events: Vec<Arc<dyn Message>>,
        expected: ExpectedState,
    ) -> BoxFuture<'a, Result<Appended>> {
        Box::pin(async move { self.put(stream, events, &expected) })
    }

    fn get_event<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Result<StoredEvent>> {
        Box::pin(async move {
            Self::find(&self.read(), event_id).ok_or_else(|| Error::EventNotFound {
                event_id: event_id.to_owned(),
            })
        })
    }

    fn get_events<'a>(
        &'a self,
        event_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>>> {
        Box::pin(async move {
            let state = self.read();
            Ok(event_ids
                .iter()
                .filter_map(|id| Self::find(&state, id))
                .collect())
        })
    }

    fn delete_event<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut state = self.write();
            let state = &mut *state;
            let Some(locations) = state.by_id.remove(event_id) else {
                return Ok(());
            };
            for i in locations.iter() {
                let s = &mut state.streams[i];
                while let Some(p) = s.locate(locations.at, event_id) {
                    s.events.remove(p);
                    state.event_count -= 1;
                }
            }
            Ok(())
        })
    }

    fn get_stream_slice<'a>(
        &'a self,
        stream: &'a StreamId,
        query: SliceQuery,
    ) -> BoxFuture<'a, Result<StreamSlice>> {
        Box::pin(async move { Ok(self.slice(stream, query)) })
    }

    fn pipe_events<'a>(
        &'a self,
        stream: &'a StreamId,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>> {
        Box::pin(Pipe {
            store: self,
            only: Some(stream.clone()),
            stream_index: 0,
            cursor: since,
            since,
            until,
            buffer: VecDeque::new(),
            done: false,
        })
    }

    fn pipe_all_events<'a>(
        &'a self,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>> {
        Box::pin(Pipe {
            store: self,
            only: None,
            stream_index: 0,
            cursor: since,
            since,
            until,
            buffer: VecDeque::new(),
            done: false,
        })
    }
}
