//! [`InMemoryEventStore`]: a complete, non-durable event store engine (tests, local tools).

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::task::{Context, Poll};

use pbj::{Message, Microtime};

use super::{
    Appended, BoxStream, EventStore, ExpectedState, SliceQuery, StoredEvent, StreamHead, StreamId,
    StreamSlice, check_event, event_id, sequences,
};
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;

/// The backend name used in errors and logs.
const BACKEND: &str = "in_memory";

/// How many events a pipe reads under one lock acquisition.
const PIPE_PAGE: usize = 256;

/// An event store in memory with the full semantics of the durable backends: the optimistic
/// check and the write happen under one lock (atomic), sequences are gapless per stream, a
/// duplicate `occurred_at` in a stream is [`Error::AlreadyExists`] (nothing of the batch is
/// written), `get_events` is one lock acquisition, `delete_event` removes the event from every
/// stream holding it (and moves the etag back when it removes the last appended event).
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
    by_id: FxHashMap<Box<str>, Locations>,
    event_count: usize,
}

struct Stream {
    id: StreamId,
    /// Sorted by `at` (unique).
    events: Vec<Entry>,
    head: u64,
    /// The stored event with the highest sequence number (the etag).
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
        let mut batch = Vec::with_capacity(events.len());
        for event in events {
            let (at, _) = check_event(&*event)?;
            batch.push((at, event));
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
        let appended = sequences(BACKEND, stream, head.sequence, batch.len())?;
        if batch.is_empty() {
            return Ok(appended);
        }
        let entries: Vec<Entry> = batch
            .into_iter()
            .zip(appended.first_sequence..)
            .map(|((at, event), sequence)| Entry {
                at,
                sequence,
                event,
            })
            .collect();
        // The stream's events afterwards: the batch appended when it is in order and newer
        // than the stream's newest event (the usual case), else both merged; either way
        // computed before anything changes, so a duplicate fails the whole batch.
        let old = existing.map_or(&[][..], |i| &state.streams[i].events[..]);
        let in_order = increasing && old.last().is_none_or(|newest| newest.at < entries[0].at);
        let merged = if in_order {
            None
        } else {
            Some(merge(stream, old, &entries)?)
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
        let count = entries.len();
        state.by_id.reserve(count);
        for entry in &entries {
            let id: Box<str> = Box::from(event_id(&*entry.event).unwrap_or_default());
            match state.by_id.entry(id) {
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let l = o.get_mut();
                    if !l.iter().any(|x| x == index) {
                        l.more.push(index);
                    }
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(Locations {
                        at: entry.at,
                        first: index,
                        more: Vec::new(),
                    });
                }
            }
        }
        let s = &mut state.streams[index];
        s.last = entries.last().map(|e| e.event.clone());
        match merged {
            Some(merged) => s.events = merged,
            None => s.events.extend(entries),
        }
        s.head = appended.last_sequence;
        state.event_count += count;
        Ok(appended)
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

/// The stream's `events` and the `batch` merged into one list in `occurred_at` order
/// ([`Error::AlreadyExists`] when an `occurred_at` is in both, or twice in the batch).
fn merge(stream: &StreamId, events: &[Entry], batch: &[Entry]) -> Result<Vec<Entry>> {
    let mut batch = batch.to_vec();
    batch.sort_by_key(|e| e.at);
    let mut out: Vec<Entry> = Vec::with_capacity(events.len() + batch.len());
    let mut events = events.iter().cloned().peekable();
    let mut batch = batch.into_iter().peekable();
    loop {
        let take_event = match (events.peek(), batch.peek()) {
            (Some(e), Some(b)) => e.at < b.at,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return Ok(out),
        };
        let next = if take_event {
            events.next()
        } else {
            batch.next()
        };
        if let Some(entry) = next {
            if out.last().is_some_and(|prev| prev.at == entry.at) {
                return Err(Error::AlreadyExists {
                    stream: stream.to_string(),
                    what: format!("an event at occurred_at {}", entry.at),
                });
            }
            out.push(entry);
        }
    }
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

#[async_trait::async_trait]
impl EventStore for InMemoryEventStore {
    fn name(&self) -> &str {
        BACKEND
    }

    async fn create_storage(&self) -> Result<()> {
        Ok(())
    }

    async fn describe_storage(&self) -> Result<String> {
        let state = self.read();
        Ok(format!(
            "InMemoryEventStore: {} streams, {} events ({} distinct event ids)",
            state.streams.len(),
            state.event_count,
            state.by_id.len()
        ))
    }

    async fn put_events(
        &self,
        stream: &StreamId,
        events: Vec<Arc<dyn Message>>,
        expected: ExpectedState,
    ) -> Result<Appended> {
        self.put(stream, events, &expected)
    }

    async fn get_event(&self, event_id: &str) -> Result<StoredEvent> {
        Self::find(&self.read(), event_id).ok_or_else(|| Error::EventNotFound {
            event_id: event_id.to_owned(),
        })
    }

    async fn get_events(&self, event_ids: &[String]) -> Result<Vec<StoredEvent>> {
        let state = self.read();
        Ok(event_ids
            .iter()
            .filter_map(|id| Self::find(&state, id))
            .collect())
    }

    async fn delete_event(&self, event_id: &str) -> Result<()> {
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
            if s.last.as_deref().and_then(super::event_id) == Some(event_id) {
                s.last = s
                    .events
                    .iter()
                    .max_by_key(|e| e.sequence)
                    .map(|e| e.event.clone());
            }
        }
        Ok(())
    }

    async fn get_stream_slice(&self, stream: &StreamId, query: SliceQuery) -> Result<StreamSlice> {
        Ok(self.slice(stream, query))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemas::gdbots::pbjx::event::HealthCheckedV1;

    fn entry(at: u64, sequence: u64) -> Entry {
        let mut event = HealthCheckedV1::new();
        event.freeze();
        Entry {
            at: Microtime::new(at, 0).expect("valid microtime"),
            sequence,
            event: Arc::new(event),
        }
    }

    fn times(entries: &[Entry]) -> Vec<u64> {
        entries.iter().map(|e| e.at.sec()).collect()
    }

    #[test]
    fn merge_keeps_occurred_at_order() {
        let stream = StreamId::parse("acme:merge").expect("valid");
        let events = [entry(10, 1), entry(30, 2)];
        let merged = merge(&stream, &events, &[entry(40, 4), entry(20, 3), entry(5, 5)])
            .expect("no duplicate");
        assert_eq!(times(&merged), [5, 10, 20, 30, 40]);
    }

    /// The former insertion path silently skipped an entry whose `occurred_at` was taken
    /// (in release builds); the merge rejects the batch instead, before anything changes.
    #[test]
    fn merge_rejects_a_duplicate_instead_of_dropping_it() {
        let stream = StreamId::parse("acme:merge").expect("valid");
        let events = [entry(10, 1), entry(30, 2)];
        for batch in [
            vec![entry(20, 3), entry(30, 4)],
            vec![entry(20, 3), entry(20, 4)],
        ] {
            let result = merge(&stream, &events, &batch).map(|merged| times(&merged));
            assert!(
                matches!(result, Err(Error::AlreadyExists { .. })),
                "{result:?}"
            );
        }
    }
}
