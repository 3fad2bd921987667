//! The conformance suite for [`EventStore`] backends.
//!
//! Every backend runs the same checks:
//!
//! ```ignore
//! // pbjx/tests/integration/event_store_<backend>.rs
//! use std::sync::Arc;
//! use pbjx::event_store::EventStore;
//! use pbjx::testkit::event_store as conformance;
//!
//! #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
//! async fn conformance() {
//!     let store: Arc<dyn EventStore> = Arc::new(MyStore::new(/* ... */));
//!     conformance::run_all(store).await;
//! }
//! ```
//!
//! The checks panic (with the backend's name) on the first violation, like `assert!`. Each one
//! uses fresh, unique stream ids (vendor `conformance`), so one store instance (one database,
//! one table) can be shared by every check and by repeated runs. The individual `check_*`
//! functions are public too, to run them as separate tests or to skip one a backend cannot
//! support yet. [`check_corrupt_records`] needs a backend-specific way to corrupt a stored
//! record and is therefore not part of [`run_all`].
//!
//! Semantics the suite pins down (the [`crate::event_store`] module docs state them):
//! - events are ordered within a stream by `occurred_at`; `since` and `until` are exclusive;
//! - `put_events` gives gapless per-stream sequence numbers 1, 2, 3, ... and returns them;
//! - an empty batch writes nothing but still checks `expected`; it returns
//!   `Appended { first_sequence: head + 1, last_sequence: head }`;
//! - the store only accepts frozen events (see [`crate::event_store::check_events`]): it never
//!   mutates or copies them; [`crate::Pbjx::put_events`] runs the lifecycle and freezes;
//! - a failed check ([`Error::OptimisticCheckFailed`]), a duplicate `occurred_at`
//!   ([`Error::AlreadyExists`]) or a bad event writes nothing from the batch;
//! - repeating an append is a new append, never a silent success;
//! - the etag is the last appended event still stored: deleting it moves the etag back;
//! - `has_more` is true iff more events exist beyond the slice in its direction;
//! - `pipe_all_events` yields every event exactly once, each stream in `occurred_at` order
//!   (streams may interleave);
//! - concurrent writers with one expectation: exactly one wins (raced on a multi-thread
//!   runtime).

use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pbj::{Message, Microtime};

use futures_core::future::BoxFuture;

use crate::error::{Error, Result};
use crate::event_store::{
    Appended, BoxStream, EventStore, ExpectedState, SliceQuery, StoredEvent, StreamId, StreamSlice,
    event_id, md5_hex,
};
use crate::schemas::gdbots::pbjx::command::CheckHealthV1;
use crate::schemas::gdbots::pbjx::event::{EventExecutionFailedV1, HealthCheckedV1};

/// Runs every check of the suite (except [`check_corrupt_records`]) against `store`.
///
/// Needs a multi-thread tokio runtime (`#[tokio::test(flavor = "multi_thread")]`) so that
/// [`check_concurrent_writers`] really races.
pub async fn run_all(store: Arc<dyn EventStore>) {
    check_storage(&*store).await;
    check_stream_ids();
    check_append_and_slice(&*store).await;
    check_unknown_stream(&*store).await;
    check_has_more(&*store).await;
    check_sequences(&*store).await;
    check_empty_batch(&*store).await;
    check_expected_state(&*store).await;
    check_duplicate_occurred_at(&*store).await;
    check_bad_events(&*store).await;
    check_get_events(&*store).await;
    check_delete_event(&*store).await;
    check_etag_after_delete(&*store).await;
    check_repeated_append(&*store).await;
    check_sequence_overflow(&*store).await;
    check_pipe_events(&*store).await;
    check_pipe_all_events(&*store).await;
    check_out_of_order_occurred_at(&*store).await;
    check_php_get_stream_slice(&*store).await;
    check_php_get_event(&*store).await;
    check_php_put_events(&*store).await;
    check_php_pipe_events(&*store).await;
    check_php_pipe_all_events(&*store).await;
    check_concurrent_writers(store.clone(), 20, 10).await;
}

// ---------------------------------------------------------------------------------------------
// helpers

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh stream id `conformance:{topic}:{unique}` (unique per process and run).
pub fn fresh_stream(topic: &str) -> StreamId {
    StreamId::parse(&fresh_stream_string(topic)).expect("conformance stream ids are valid")
}

fn fresh_stream_string(topic: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "conformance:{topic}:{}-{n}",
        pbj::well_known::identifier::generate_uuid()
    )
}

/// A microtime from microseconds since the epoch.
pub fn micros(total: u64) -> Microtime {
    let usec = u32::try_from(total % 1_000_000).expect("below one million");
    Microtime::new(total / 1_000_000, usec).expect("usec is below one million")
}

/// The current time in microseconds since the epoch.
pub fn now_micros() -> u64 {
    u64::try_from(Microtime::now().as_micros()).expect("microseconds fit in u64")
}

/// A frozen `HealthCheckedV1` with this `occurred_at` and `msg` (and a fresh `event_id`).
pub fn event_at(at: u64, msg: &str) -> Arc<dyn Message> {
    let mut event = HealthCheckedV1::new()
        .with_occurred_at(micros(at))
        .and_then(|e| e.with_msg(msg))
        .expect("valid health-checked event");
    event.freeze();
    Arc::new(event)
}

/// `n` frozen events `iter0..iter{n-1}`, one microsecond apart from `start`.
pub fn events_from(start: u64, n: usize) -> Vec<Arc<dyn Message>> {
    (0..n)
        .map(|i| event_at(start + i as u64, &format!("iter{i}")))
        .collect()
}

fn id_of(event: &dyn Message) -> String {
    event_id(event).expect("events have an event_id").to_owned()
}

fn msg_of(stored: &StoredEvent) -> String {
    stored
        .event
        .data()
        .get_single("msg")
        .and_then(pbj::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn ids(events: &[StoredEvent]) -> Vec<String> {
    events.iter().map(|e| id_of(&*e.event)).collect()
}

fn ids_of(events: &[Arc<dyn Message>]) -> Vec<String> {
    events.iter().map(|e| id_of(&**e)).collect()
}

/// Collects a stream of events, panicking on an error item.
pub async fn collect(mut stream: BoxStream<'_, Result<StoredEvent>>) -> Vec<StoredEvent> {
    let mut out = Vec::new();
    while let Some(item) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        out.push(item.expect("no error items in the stream"));
    }
    out
}

/// Collects a stream of results (errors included).
pub async fn collect_results(
    mut stream: BoxStream<'_, Result<StoredEvent>>,
) -> Vec<Result<StoredEvent>> {
    let mut out = Vec::new();
    while let Some(item) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        out.push(item);
    }
    out
}

async fn put(
    store: &dyn EventStore,
    stream: &StreamId,
    events: &[Arc<dyn Message>],
    expected: ExpectedState,
) -> Result<Appended> {
    store.put_events(stream, events.to_vec(), expected).await
}

/// Largest append the suite makes when it only sets up data (DynamoDB's atomic limit is 99).
const SETUP_BATCH: usize = 50;

/// Appends `events` in consecutive batches of [`SETUP_BATCH`] (setup only: not atomic).
async fn setup(
    store: &dyn EventStore,
    stream: &StreamId,
    events: &[Arc<dyn Message>],
) -> Result<Appended> {
    let mut first = None;
    let mut last = None;
    for chunk in events.chunks(SETUP_BATCH) {
        let appended = put(store, stream, chunk, ExpectedState::Any).await?;
        first.get_or_insert(appended.first_sequence);
        last = Some(appended.last_sequence);
    }
    match (first, last) {
        (Some(first_sequence), Some(last_sequence)) => Ok(Appended {
            first_sequence,
            last_sequence,
        }),
        _ => put(store, stream, &[], ExpectedState::Any).await,
    }
}

async fn slice(
    store: &dyn EventStore,
    stream: &StreamId,
    since: Option<u64>,
    count: usize,
    forward: bool,
) -> StreamSlice {
    store
        .get_stream_slice(
            stream,
            SliceQuery {
                since: since.map(micros),
                count,
                forward,
                consistent: true,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("[{}] get_stream_slice failed: {e}", store.name()))
}

async fn all_ids(store: &dyn EventStore, stream: &StreamId) -> Vec<String> {
    ids(&slice(store, stream, None, 10_000, true).await.events)
}

// ---------------------------------------------------------------------------------------------
// checks

/// `create_storage` is idempotent and `describe_storage` says something.
pub async fn check_storage(store: &dyn EventStore) {
    let name = store.name().to_owned();
    assert!(!name.is_empty(), "a backend has a name");
    store
        .create_storage()
        .await
        .unwrap_or_else(|e| panic!("[{name}] create_storage failed: {e}"));
    store
        .create_storage()
        .await
        .unwrap_or_else(|e| panic!("[{name}] create_storage is not idempotent: {e}"));
    let text = store
        .describe_storage()
        .await
        .unwrap_or_else(|e| panic!("[{name}] describe_storage failed: {e}"));
    assert!(!text.is_empty(), "[{name}] describe_storage is empty");
}

/// Invalid stream ids are rejected by [`StreamId::parse`] with `InvalidArgument`.
pub fn check_stream_ids() {
    for bad in [
        "",
        "test::what",
        ":test",
        "john@doe.com",
        "Acme:topic",
        "acme",
        "a:b:c:d:e",
        "some:test%20",
    ] {
        assert!(
            matches!(StreamId::parse(bad), Err(Error::InvalidArgument { .. })),
            "[{bad}] is not a valid stream id"
        );
    }
    assert!(StreamId::parse(&fresh_stream_string("ok")).is_ok());
}

/// Append + slice round trip: forward, backward, `since` exclusive, `count`.
pub async fn check_append_and_slice(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("slice");
    let start = now_micros();
    let events = events_from(start, 10);
    let appended = put(store, &stream, &events, ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    assert_eq!(
        appended,
        Appended {
            first_sequence: 1,
            last_sequence: 10
        },
        "[{name}] sequences of the first append"
    );
    let want = ids_of(&events);

    let forward = slice(store, &stream, None, 25, true).await;
    assert_eq!(ids(&forward.events), want, "[{name}] forward slice");
    assert!(
        forward.forward && !forward.has_more,
        "[{name}] forward flags"
    );
    assert_eq!(forward.stream_id, stream);
    for (i, e) in forward.events.iter().enumerate() {
        assert_eq!(e.stream_id, stream, "[{name}] stored stream id");
        assert_eq!(e.sequence, i as u64 + 1, "[{name}] stored sequence");
        assert_eq!(e.occurred_at(), Some(micros(start + i as u64)));
        assert_eq!(msg_of(e), format!("iter{i}"), "[{name}] payload");
        assert_eq!(
            e.event.to_json(),
            events[i].to_json(),
            "[{name}] event round trip"
        );
        assert!(e.event.is_frozen(), "[{name}] stored events are frozen");
    }
    assert_eq!(forward.last_occurred_at(), Some(micros(start + 9)));

    let backward = slice(store, &stream, None, 25, false).await;
    let mut rev = want.clone();
    rev.reverse();
    assert_eq!(ids(&backward.events), rev, "[{name}] backward slice");
    assert!(!backward.forward && !backward.has_more);
    assert_eq!(backward.last_occurred_at(), Some(micros(start)));

    // since is exclusive in both directions
    let after = slice(store, &stream, Some(start + 4), 25, true).await;
    assert_eq!(ids(&after.events), want[5..], "[{name}] forward since");
    let before = slice(store, &stream, Some(start + 4), 25, false).await;
    let mut rev4: Vec<String> = want[..4].to_vec();
    rev4.reverse();
    assert_eq!(ids(&before.events), rev4, "[{name}] backward since");

    // count
    let three = slice(store, &stream, Some(start + 1), 3, true).await;
    assert_eq!(ids(&three.events), want[2..5], "[{name}] forward count");
    let three = slice(store, &stream, Some(start + 8), 3, false).await;
    assert_eq!(
        ids(&three.events),
        vec![want[7].clone(), want[6].clone(), want[5].clone()],
        "[{name}] backward count"
    );

    // past the ends
    assert!(
        slice(store, &stream, Some(start + 9), 5, true)
            .await
            .events
            .is_empty()
    );
    assert!(
        slice(store, &stream, Some(start), 5, false)
            .await
            .events
            .is_empty()
    );
}

/// An unknown stream gives an empty slice (both directions), not an error.
pub async fn check_unknown_stream(store: &dyn EventStore) {
    let stream = fresh_stream("unknown");
    for forward in [true, false] {
        let s = slice(store, &stream, None, 10, forward).await;
        assert!(s.events.is_empty() && !s.has_more, "[{}]", store.name());
        assert_eq!(s.stream_id, stream);
        assert_eq!(s.forward, forward);
    }
    let piped = collect(store.pipe_events(&stream, None, None)).await;
    assert!(piped.is_empty());
}

/// `has_more` is true iff more events exist beyond the slice (no extra empty round trip).
pub async fn check_has_more(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("has-more");
    let start = now_micros();
    put(store, &stream, &events_from(start, 5), ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    let cases: [(Option<u64>, usize, bool, usize, bool); 12] = [
        (None, 5, true, 5, false),
        (None, 6, true, 5, false),
        (None, 4, true, 4, true),
        (None, 1, true, 1, true),
        (Some(start), 4, true, 4, false),
        (Some(start), 3, true, 3, true),
        (None, 5, false, 5, false),
        (None, 4, false, 4, true),
        (Some(start + 4), 4, false, 4, false),
        (Some(start + 4), 3, false, 3, true),
        (Some(start + 3), 1, true, 1, false),
        (Some(start + 1), 1, false, 1, false),
    ];
    for (since, count, forward, len, has_more) in cases {
        let s = slice(store, &stream, since, count, forward).await;
        assert_eq!(
            (s.events.len(), s.has_more),
            (len, has_more),
            "[{name}] since {since:?} count {count} forward {forward}"
        );
    }
}

/// Sequence numbers are gapless 1..n across appends, returned by `put_events` and on read.
pub async fn check_sequences(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("sequence");
    let start = now_micros();
    let mut next = 1;
    for (batch, size) in [1usize, 3, 2, 5].into_iter().enumerate() {
        let events = events_from(start + batch as u64 * 100, size);
        let appended = put(store, &stream, &events, ExpectedState::Any)
            .await
            .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
        assert_eq!(
            appended,
            Appended {
                first_sequence: next,
                last_sequence: next + size as u64 - 1
            },
            "[{name}] batch {batch}"
        );
        next += size as u64;
    }
    let all = slice(store, &stream, None, 100, true).await.events;
    let seqs: Vec<u64> = all.iter().map(|e| e.sequence).collect();
    assert_eq!(
        seqs,
        (1..=11).collect::<Vec<_>>(),
        "[{name}] gapless on read"
    );
    let back = slice(store, &stream, None, 100, false).await.events;
    let seqs: Vec<u64> = back.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, (1..=11).rev().collect::<Vec<_>>());
    // the sequence continues on a different stream independently
    let other = fresh_stream("sequence");
    let appended = put(store, &other, &events_from(start, 2), ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    assert_eq!(appended.first_sequence, 1, "[{name}] per-stream sequence");
}

/// An empty batch writes nothing, still checks `expected`, and reports the head.
pub async fn check_empty_batch(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("empty");
    let r = put(store, &stream, &[], ExpectedState::NoStream)
        .await
        .unwrap_or_else(|e| panic!("[{name}] empty batch on an empty stream: {e}"));
    assert_eq!(
        r,
        Appended {
            first_sequence: 1,
            last_sequence: 0
        }
    );
    put(
        store,
        &stream,
        &events_from(now_micros(), 2),
        ExpectedState::Any,
    )
    .await
    .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    let r = put(store, &stream, &[], ExpectedState::Sequence(2))
        .await
        .unwrap_or_else(|e| panic!("[{name}] empty batch at the head: {e}"));
    assert_eq!(
        r,
        Appended {
            first_sequence: 3,
            last_sequence: 2
        }
    );
    let err = put(store, &stream, &[], ExpectedState::Sequence(1))
        .await
        .expect_err("stale expectation on an empty batch");
    assert!(
        matches!(err, Error::OptimisticCheckFailed { .. }),
        "[{name}] {err}"
    );
    assert_eq!(all_ids(store, &stream).await.len(), 2);
}

/// `ExpectedState` Any / NoStream / Sequence / Etag (event id or its md5): pass and fail;
/// a failure is `OptimisticCheckFailed` with the actual state, and nothing is written.
pub async fn check_expected_state(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("expected");
    let start = now_micros();
    let fails = |r: Result<Appended>, what: &str| match r {
        Err(Error::OptimisticCheckFailed {
            stream: s,
            expected,
            actual,
        }) => {
            assert_eq!(
                s,
                stream.to_string(),
                "[{name}] {what}: error names the stream"
            );
            assert!(!expected.is_empty() && !actual.is_empty());
            actual
        }
        other => panic!("[{name}] {what}: expected OptimisticCheckFailed, got {other:?}"),
    };

    // empty stream: Sequence(1), Etag fail; NoStream, Sequence(0) pass
    let a = events_from(start, 1);
    let actual = fails(
        put(store, &stream, &a, ExpectedState::Sequence(1)).await,
        "Sequence(1) on empty",
    );
    assert!(
        actual.contains("no stream") || actual.contains('0'),
        "[{name}] actual state of an empty stream: {actual}"
    );
    fails(
        put(store, &stream, &a, ExpectedState::Etag("nope".into())).await,
        "Etag on empty",
    );
    assert!(
        all_ids(store, &stream).await.is_empty(),
        "[{name}] nothing written"
    );
    put(store, &stream, &a, ExpectedState::NoStream)
        .await
        .unwrap_or_else(|e| panic!("[{name}] NoStream on empty: {e}"));

    // NoStream now fails
    let b = events_from(start + 10, 2);
    fails(
        put(store, &stream, &b, ExpectedState::NoStream).await,
        "NoStream on non-empty",
    );
    // Sequence: stale and ahead fail, exact passes
    fails(
        put(store, &stream, &b, ExpectedState::Sequence(0)).await,
        "Sequence(0) on non-empty",
    );
    let actual = fails(
        put(store, &stream, &b, ExpectedState::Sequence(7)).await,
        "Sequence(7)",
    );
    assert!(
        actual.contains('1'),
        "[{name}] actual state names the head: {actual}"
    );
    assert_eq!(
        all_ids(store, &stream).await.len(),
        1,
        "[{name}] nothing written"
    );
    put(store, &stream, &b, ExpectedState::Sequence(1))
        .await
        .unwrap_or_else(|e| panic!("[{name}] exact sequence: {e}"));

    // Etag: the last event id, or its md5
    let last = id_of(&*b[1]);
    let c = events_from(start + 20, 1);
    fails(
        put(store, &stream, &c, ExpectedState::Etag(id_of(&*b[0]))).await,
        "Etag of an older event",
    );
    fails(
        put(
            store,
            &stream,
            &c,
            ExpectedState::Etag(md5_hex(id_of(&*a[0]))),
        )
        .await,
        "md5 etag of an older event",
    );
    put(store, &stream, &c, ExpectedState::Etag(last.clone()))
        .await
        .unwrap_or_else(|e| panic!("[{name}] etag = last event id: {e}"));
    let d = events_from(start + 30, 1);
    fails(
        put(store, &stream, &d, ExpectedState::Etag(last)).await,
        "stale etag",
    );
    put(
        store,
        &stream,
        &d,
        ExpectedState::Etag(md5_hex(id_of(&*c[0]))),
    )
    .await
    .unwrap_or_else(|e| panic!("[{name}] etag = md5 of last event id: {e}"));
    let e = events_from(start + 40, 1);
    let r = put(store, &stream, &e, ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] Any: {e}"));
    assert_eq!(r.last_sequence, 6);
    let mut want = ids_of(&a);
    want.extend(ids_of(&b));
    want.extend(ids_of(&c));
    want.extend(ids_of(&d));
    want.extend(ids_of(&e));
    assert_eq!(all_ids(store, &stream).await, want, "[{name}] final stream");
}

/// A duplicate `occurred_at` (already in the stream, or twice in one batch) is rejected with
/// `AlreadyExists` and no event of the batch is written.
pub async fn check_duplicate_occurred_at(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("duplicate");
    let start = now_micros();
    let first = events_from(start, 3);
    put(store, &stream, &first, ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));

    // the 3rd event of the batch has the same microsecond as an existing event
    let batch = vec![
        event_at(start + 10, "new0"),
        event_at(start + 11, "new1"),
        event_at(start + 1, "dup"),
        event_at(start + 12, "new3"),
    ];
    let err = put(store, &stream, &batch, ExpectedState::Any)
        .await
        .expect_err("duplicate occurred_at");
    assert!(
        matches!(&err, Error::AlreadyExists { stream: s, .. } if *s == stream.to_string()),
        "[{name}] expected AlreadyExists, got {err:?}"
    );
    assert_eq!(
        all_ids(store, &stream).await,
        ids_of(&first),
        "[{name}] nothing of the batch is written"
    );

    // same microsecond twice inside one batch
    let batch = vec![
        event_at(start + 20, "a"),
        event_at(start + 21, "b"),
        event_at(start + 20, "c"),
    ];
    let err = put(store, &stream, &batch, ExpectedState::Sequence(3))
        .await
        .expect_err("duplicate inside the batch");
    assert!(
        matches!(err, Error::AlreadyExists { .. }),
        "[{name}] expected AlreadyExists, got {err:?}"
    );
    assert_eq!(all_ids(store, &stream).await, ids_of(&first));

    // the very same event again
    let err = put(store, &stream, &first[2..], ExpectedState::Any)
        .await
        .expect_err("same event twice");
    assert!(
        matches!(err, Error::AlreadyExists { .. }),
        "[{name}] {err:?}"
    );

    // the head is unchanged: the next exact append gets sequence 4
    let r = put(
        store,
        &stream,
        &events_from(start + 30, 1),
        ExpectedState::Sequence(3),
    )
    .await
    .unwrap_or_else(|e| panic!("[{name}] append after rejected batches: {e}"));
    assert_eq!(r.first_sequence, 4, "[{name}] no sequence was consumed");

    // the same event may be appended to another stream
    let other = fresh_stream("duplicate");
    put(store, &other, &first[..1], ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] same event in a second stream: {e}"));
}

/// Events that are not `gdbots:pbjx:mixin:event` (`WrongMessageKind`) and unfrozen events
/// (`InvalidArgument`) give typed errors and nothing of the batch is written.
pub async fn check_bad_events(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("bad");
    let start = now_micros();

    let mut command = CheckHealthV1::new();
    command.freeze();
    let batch = vec![event_at(start, "ok"), Arc::new(command) as Arc<dyn Message>];
    let err = put(store, &stream, &batch, ExpectedState::Any)
        .await
        .expect_err("a command is not an event");
    assert!(
        matches!(err, Error::WrongMessageKind { .. }),
        "[{name}] expected WrongMessageKind, got {err:?}"
    );

    let unfrozen = HealthCheckedV1::new()
        .with_occurred_at(micros(start + 1))
        .expect("valid");
    let batch = vec![
        event_at(start, "ok"),
        Arc::new(unfrozen) as Arc<dyn Message>,
    ];
    let err = put(store, &stream, &batch, ExpectedState::Any)
        .await
        .expect_err("unfrozen events are rejected");
    assert!(
        matches!(err, Error::InvalidArgument { .. }),
        "[{name}] expected InvalidArgument, got {err:?}"
    );

    assert!(
        all_ids(store, &stream).await.is_empty(),
        "[{name}] nothing written"
    );
    // the stream is still empty for the optimistic check
    put(
        store,
        &stream,
        &events_from(start, 1),
        ExpectedState::NoStream,
    )
    .await
    .unwrap_or_else(|e| panic!("[{name}] stream untouched by bad batches: {e}"));
}

/// `get_event` / `get_events`: round trip, batched, order of ids, missing ids skipped; another
/// event type (the indexed `EventExecutionFailedV1`) round-trips too.
pub async fn check_get_events(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("get");
    let start = now_micros();
    let mut failed = EventExecutionFailedV1::new()
        .with_occurred_at(micros(start + 50))
        .expect("valid");
    failed.freeze();
    let mut events = events_from(start, 5);
    events.push(Arc::new(failed));
    setup(store, &stream, &events)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    for (i, event) in events.iter().enumerate() {
        let id = id_of(&**event);
        let got = store
            .get_event(&id)
            .await
            .unwrap_or_else(|e| panic!("[{name}] get_event({id}) failed: {e}"));
        assert_eq!(
            got.event.to_json(),
            event.to_json(),
            "[{name}] get_event round trip"
        );
        assert_eq!(got.event.schema().id, event.schema().id);
        assert_eq!(got.stream_id, stream);
        assert_eq!(got.sequence, i as u64 + 1);
    }
    let missing = pbj::well_known::identifier::generate_time_uuid();
    let err = store.get_event(&missing).await.expect_err("missing event");
    assert!(
        matches!(&err, Error::EventNotFound { event_id } if *event_id == missing),
        "[{name}] expected EventNotFound, got {err:?}"
    );

    let want = vec![
        id_of(&*events[3]),
        missing.clone(),
        id_of(&*events[0]),
        id_of(&*events[5]),
        id_of(&*events[1]),
    ];
    let got = store
        .get_events(&want)
        .await
        .unwrap_or_else(|e| panic!("[{name}] get_events failed: {e}"));
    let expect: Vec<String> = want.iter().filter(|id| **id != missing).cloned().collect();
    assert_eq!(
        ids(&got),
        expect,
        "[{name}] get_events order, missing skipped"
    );
    assert!(store.get_events(&[]).await.expect("empty").is_empty());
    // more ids than one batch of most backends (DynamoDB: 100)
    let stream2 = fresh_stream("get");
    let many = events_from(start, 150);
    setup(store, &stream2, &many)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    let mut want: Vec<String> = ids_of(&many);
    want.reverse();
    let got = store
        .get_events(&want)
        .await
        .unwrap_or_else(|e| panic!("[{name}] get_events(150) failed: {e}"));
    assert_eq!(ids(&got), want, "[{name}] get_events of 150 ids");
}

/// `delete_event` removes an event from every stream holding it; deleting a missing event is
/// not an error.
pub async fn check_delete_event(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let one = fresh_stream("delete");
    let two = fresh_stream("delete");
    let start = now_micros();
    let events = events_from(start, 3);
    put(store, &one, &events, ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    put(store, &two, &events[1..2], ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    let id = id_of(&*events[1]);
    store
        .delete_event(&id)
        .await
        .unwrap_or_else(|e| panic!("[{name}] delete_event failed: {e}"));
    let err = store.get_event(&id).await.expect_err("deleted");
    assert!(
        matches!(err, Error::EventNotFound { .. }),
        "[{name}] expected EventNotFound, got {err:?}"
    );
    assert_eq!(
        all_ids(store, &one).await,
        vec![id_of(&*events[0]), id_of(&*events[2])],
        "[{name}] removed from the first stream"
    );
    assert!(
        all_ids(store, &two).await.is_empty(),
        "[{name}] removed from the second stream"
    );
    assert!(
        store
            .get_events(std::slice::from_ref(&id))
            .await
            .expect("get_events")
            .is_empty()
    );
    store
        .delete_event(&id)
        .await
        .unwrap_or_else(|e| panic!("[{name}] deleting twice: {e}"));
    store
        .delete_event(&pbj::well_known::identifier::generate_time_uuid())
        .await
        .unwrap_or_else(|e| panic!("[{name}] deleting a missing event: {e}"));
    // the stream goes on after a delete
    put(store, &one, &events_from(start + 10, 1), ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] append after delete: {e}"));
    assert_eq!(all_ids(store, &one).await.len(), 3);
}

/// The etag is the id of the last appended event still stored: deleting an older event
/// leaves it; deleting the newest moves it to the event with the next lower sequence number
/// (by id or md5); deleting every event leaves no etag, and the sequence numbers stay.
pub async fn check_etag_after_delete(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("etag");
    let start = now_micros();
    let events = events_from(start, 3);
    let [a, b, c] = [0, 1, 2].map(|i| id_of(&*events[i]));
    put(store, &stream, &events, ExpectedState::NoStream)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    let holds = |etag: &str| put(store, &stream, &[], ExpectedState::Etag(etag.to_owned()));
    let fails = |r: Result<Appended>, what: &str| {
        assert!(
            matches!(r, Err(Error::OptimisticCheckFailed { .. })),
            "[{name}] {what}: expected OptimisticCheckFailed, got {r:?}"
        );
    };

    // an older event: the etag stays
    store.delete_event(&a).await.expect("delete_event");
    holds(&c)
        .await
        .unwrap_or_else(|e| panic!("[{name}] etag after deleting an older event: {e}"));

    // the newest event: the etag moves to the previous one
    store.delete_event(&c).await.expect("delete_event");
    fails(holds(&c).await, "etag of the deleted newest event");
    holds(&b)
        .await
        .unwrap_or_else(|e| panic!("[{name}] etag moves to the previous event: {e}"));
    holds(&md5_hex(&b))
        .await
        .unwrap_or_else(|e| panic!("[{name}] md5 etag of the previous event: {e}"));

    // nothing left: no etag, the sequence stays
    store.delete_event(&b).await.expect("delete_event");
    fails(holds(&b).await, "etag of an emptied stream");
    fails(
        put(store, &stream, &[], ExpectedState::NoStream).await,
        "NoStream on an emptied stream",
    );
    let next = events_from(start + 10, 1);
    let appended = put(store, &stream, &next, ExpectedState::Sequence(3))
        .await
        .unwrap_or_else(|e| panic!("[{name}] append after deleting everything: {e}"));
    assert_eq!(
        appended.first_sequence, 4,
        "[{name}] sequences are never reused"
    );
    holds(&id_of(&*next[0]))
        .await
        .unwrap_or_else(|e| panic!("[{name}] etag of the new event: {e}"));
}

/// Repeating an append that succeeded is a new append: with `NoStream` or `Sequence(n)` it
/// fails with `OptimisticCheckFailed`, with `Any` with `AlreadyExists`; nothing is written
/// twice.
pub async fn check_repeated_append(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("repeat");
    let start = now_micros();
    let first = events_from(start, 2);
    let second = events_from(start + 10, 2);
    for (events, expected) in [
        (&first, ExpectedState::NoStream),
        (&second, ExpectedState::Sequence(2)),
    ] {
        put(store, &stream, events, expected.clone())
            .await
            .unwrap_or_else(|e| panic!("[{name}] put_events with {expected}: {e}"));
        let again = put(store, &stream, events, expected.clone()).await;
        assert!(
            matches!(again, Err(Error::OptimisticCheckFailed { .. })),
            "[{name}] the same append with {expected} again: expected OptimisticCheckFailed, got {again:?}"
        );
    }
    let again = put(store, &stream, &second, ExpectedState::Any).await;
    assert!(
        matches!(again, Err(Error::AlreadyExists { .. })),
        "[{name}] the same append with Any again: expected AlreadyExists, got {again:?}"
    );
    let mut want = ids_of(&first);
    want.extend(ids_of(&second));
    assert_eq!(all_ids(store, &stream).await, want, "[{name}] stored once");
}

/// `Sequence(u64::MAX)` (and other expectations near the end of the number range) never
/// overflow: they fail with `OptimisticCheckFailed` and write nothing.
pub async fn check_sequence_overflow(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("overflow");
    let start = now_micros();
    for n in [u64::MAX, u64::MAX - 1] {
        let r = put(
            store,
            &stream,
            &events_from(start, 2),
            ExpectedState::Sequence(n),
        )
        .await;
        assert!(
            matches!(r, Err(Error::OptimisticCheckFailed { .. })),
            "[{name}] Sequence({n}) on an empty stream: expected OptimisticCheckFailed, got {r:?}"
        );
    }
    put(
        store,
        &stream,
        &events_from(start, 1),
        ExpectedState::NoStream,
    )
    .await
    .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    let r = put(
        store,
        &stream,
        &events_from(start + 10, 1),
        ExpectedState::Sequence(u64::MAX),
    )
    .await;
    assert!(
        matches!(r, Err(Error::OptimisticCheckFailed { .. })),
        "[{name}] Sequence(u64::MAX): expected OptimisticCheckFailed, got {r:?}"
    );
    let r = put(store, &stream, &[], ExpectedState::Sequence(u64::MAX)).await;
    assert!(
        matches!(r, Err(Error::OptimisticCheckFailed { .. })),
        "[{name}] empty batch with Sequence(u64::MAX): got {r:?}"
    );
    assert_eq!(
        all_ids(store, &stream).await.len(),
        1,
        "[{name}] nothing written"
    );
}

/// `pipe_events`: every event in order; `since` and `until` exclusive.
pub async fn check_pipe_events(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("pipe");
    let start = now_micros();
    let events = events_from(start, 250);
    setup(store, &stream, &events)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    let want = ids_of(&events);
    let all = collect(store.pipe_events(&stream, None, None)).await;
    assert_eq!(ids(&all), want, "[{name}] pipe_events");
    let seqs: Vec<u64> = all.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, (1..=250).collect::<Vec<_>>());
    let part =
        collect(store.pipe_events(&stream, Some(micros(start + 10)), Some(micros(start + 200))))
            .await;
    assert_eq!(ids(&part), want[11..200], "[{name}] since/until exclusive");
    let none =
        collect(store.pipe_events(&stream, Some(micros(start + 10)), Some(micros(start + 11))))
            .await;
    assert!(none.is_empty(), "[{name}] empty range");
}

/// `pipe_all_events`: every event of every stream exactly once, ordered within each stream,
/// with `since`/`until` exclusive. Other events of a shared store are ignored.
pub async fn check_pipe_all_events(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let start = now_micros();
    let streams: Vec<StreamId> = (0..4).map(|_| fresh_stream("pipe-all")).collect();
    let mut want: Vec<Vec<String>> = Vec::new();
    for (i, stream) in streams.iter().enumerate() {
        // interleaved times across streams
        let events: Vec<Arc<dyn Message>> = (0..30)
            .map(|j| event_at(start + j * 10 + i as u64, &format!("iter{j}")))
            .collect();
        // two appends per stream, alternating streams
        put(store, stream, &events[..15], ExpectedState::Any)
            .await
            .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
        want.push(ids_of(&events));
    }
    for (i, stream) in streams.iter().enumerate() {
        let ids = &want[i];
        let events: Vec<Arc<dyn Message>> = (15..30)
            .map(|j| event_at(start + j * 10 + i as u64, &format!("iter{j}")))
            .collect();
        put(store, stream, &events, ExpectedState::Any)
            .await
            .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
        want[i] = ids[..15].iter().cloned().chain(ids_of(&events)).collect();
    }
    let got = group_by_stream(&streams, collect(store.pipe_all_events(None, None)).await);
    assert_eq!(
        got, want,
        "[{name}] pipe_all_events: exactly once, in order per stream"
    );

    // since/until exclusive: j in 5..=24 -> occurred_at in (start + 49, start + 250)
    let got = group_by_stream(
        &streams,
        collect(store.pipe_all_events(Some(micros(start + 49)), Some(micros(start + 243)))).await,
    );
    for (i, ids) in got.iter().enumerate() {
        // stream i has times start + j*10 + i: > start+49 -> j >= 5; < start+243 -> j*10+i < 243
        let hi = (0..30).filter(|j| j * 10 + i < 243).count();
        assert_eq!(
            *ids,
            want[i][5..hi],
            "[{name}] pipe_all_events since/until, stream {i}"
        );
    }
}

/// Events appended out of `occurred_at` order: slices, `pipe_events` and `pipe_all_events`
/// all give `occurred_at` order, while the sequence numbers follow the appends.
pub async fn check_out_of_order_occurred_at(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let start = now_micros();
    let streams = [fresh_stream("out-of-order"), fresh_stream("out-of-order")];
    // appended as t+30, then t+10 and t+50, then t+20 (one stream offset by 1 microsecond)
    let appends = [[30].as_slice(), &[10, 50], &[20]];
    let mut by_time: Vec<Vec<(u64, String, u64)>> = vec![Vec::new(); streams.len()];
    for (i, stream) in streams.iter().enumerate() {
        let mut sequence = 0;
        for offsets in appends {
            let events: Vec<Arc<dyn Message>> = offsets
                .iter()
                .map(|t| event_at(start + t + i as u64, &format!("t{t}")))
                .collect();
            put(store, stream, &events, ExpectedState::Any)
                .await
                .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
            for (t, e) in offsets.iter().zip(&events) {
                sequence += 1;
                by_time[i].push((*t, id_of(&**e), sequence));
            }
        }
        by_time[i].sort();
    }
    let want: Vec<Vec<String>> = by_time
        .iter()
        .map(|v| v.iter().map(|(_, id, _)| id.clone()).collect())
        .collect();
    let want_seqs: Vec<u64> = by_time[0].iter().map(|(.., s)| *s).collect();
    assert_eq!(want_seqs, [2, 4, 1, 3]);

    let forward = slice(store, &streams[0], None, 10, true).await.events;
    assert_eq!(
        ids(&forward),
        want[0],
        "[{name}] slice in occurred_at order"
    );
    let seqs: Vec<u64> = forward.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, want_seqs, "[{name}] sequences follow the appends");
    let piped = collect(store.pipe_events(&streams[0], None, None)).await;
    assert_eq!(
        ids(&piped),
        want[0],
        "[{name}] pipe_events in occurred_at order"
    );
    let all = collect(store.pipe_all_events(None, None)).await;
    assert_eq!(
        group_by_stream(&streams, all),
        want,
        "[{name}] pipe_all_events: each stream in occurred_at order"
    );
}

fn group_by_stream(streams: &[StreamId], events: Vec<StoredEvent>) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); streams.len()];
    for e in events {
        if let Some(i) = streams.iter().position(|s| *s == e.stream_id) {
            out[i].push(id_of(&*e.event));
        }
    }
    out
}

/// pbjx-php `InMemoryEventStoreTest::testGetStreamSlice`: a past and a future event.
pub async fn check_php_get_stream_slice(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("test");
    let past = event_at(1_489_129_155_504_330, "past");
    let future = event_at(2_489_129_155_504_330, "future");
    put(store, &stream, &[past, future], ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    let now = Some(now_micros());
    assert_eq!(slice(store, &stream, now, 25, true).await.events.len(), 1);
    assert_eq!(slice(store, &stream, now, 25, false).await.events.len(), 1);
    assert_eq!(
        slice(store, &stream, Some(0), 25, true).await.events.len(),
        2
    );
    assert_eq!(slice(store, &stream, None, 25, true).await.events.len(), 2);
}

/// pbjx-php `testGetEvent`, `testGetEvent2` and `testDeleteEvent`.
pub async fn check_php_get_event(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("test");
    let start = now_micros();
    let events = events_from(start, 2);
    put(store, &stream, &events, ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    for event in &events {
        let got = store.get_event(&id_of(&**event)).await.expect("get_event");
        assert_eq!(
            got.event.to_json(),
            event.to_json(),
            "[{name}] testGetEvent"
        );
    }
    let got = store
        .get_events(&ids_of(&events))
        .await
        .expect("get_events");
    assert_eq!(ids(&got), ids_of(&events), "[{name}] testGetEvent2");
    let id = id_of(&*events[0]);
    store.delete_event(&id).await.expect("delete_event");
    assert!(
        matches!(store.get_event(&id).await, Err(Error::EventNotFound { .. })),
        "[{name}] testDeleteEvent"
    );
}

/// pbjx-php `testPutEvents`: 10 events; the default slice returns them in order; walking
/// forward and backward with count 1 visits each once.
pub async fn check_php_put_events(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let stream = fresh_stream("test");
    let start = now_micros();
    let events = events_from(start, 10);
    put(store, &stream, &events, ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    let want = ids_of(&events);
    let default = store
        .get_stream_slice(&stream, SliceQuery::default())
        .await
        .expect("slice");
    assert_eq!(ids(&default.events), want, "[{name}] default slice");

    for forward in [true, false] {
        let mut since = if forward { Some(start - 1) } else { None };
        let mut walked = Vec::new();
        loop {
            let s = slice(store, &stream, since, 1, forward).await;
            assert!(s.events.len() <= 1);
            walked.extend(ids(&s.events));
            if !s.has_more {
                break;
            }
            since = s
                .last_occurred_at()
                .map(|m| u64::try_from(m.as_micros()).expect("fits"));
            assert!(walked.len() <= 10, "[{name}] the walk terminates");
        }
        let mut expect = want.clone();
        if !forward {
            expect.reverse();
        }
        assert_eq!(
            walked, expect,
            "[{name}] walk forward={forward} with count 1"
        );
    }
}

/// pbjx-php `testPipeEvents`: 100 events on one stream, all piped.
pub async fn check_php_pipe_events(store: &dyn EventStore) {
    let stream = fresh_stream("test.pipe");
    let events = events_from(now_micros(), 100);
    setup(store, &stream, &events).await.expect("put_events");
    let got = collect(store.pipe_events(&stream, None, None)).await;
    assert_eq!(
        ids(&got),
        ids_of(&events),
        "[{}] testPipeEvents",
        store.name()
    );
}

/// pbjx-php `testPipeAllEvents`: 10 streams x 100 events; every pair yielded, in order
/// `iter0..iter99` within each stream.
pub async fn check_php_pipe_all_events(store: &dyn EventStore) {
    let name = store.name().to_owned();
    let start = now_micros();
    let streams: Vec<StreamId> = (0..10).map(|_| fresh_stream("test.pipe-all")).collect();
    for stream in &streams {
        setup(store, stream, &events_from(start, 100))
            .await
            .expect("put_events");
    }
    let mut per_stream: Vec<Vec<String>> = vec![Vec::new(); streams.len()];
    for e in collect(store.pipe_all_events(None, None)).await {
        if let Some(i) = streams.iter().position(|s| *s == e.stream_id) {
            per_stream[i].push(msg_of(&e));
        }
    }
    let want: Vec<String> = (0..100).map(|i| format!("iter{i}")).collect();
    for got in per_stream {
        assert_eq!(got, want, "[{name}] testPipeAllEvents");
    }
}

/// `writers` concurrent writers append one event each to one stream with
/// `expected = Sequence(n)`, for `rounds` rounds: exactly one wins each round, the others get
/// `OptimisticCheckFailed`, and the final stream is gapless `1..=rounds`.
///
/// Panics unless it runs on a multi-thread tokio runtime: on a current-thread runtime a
/// backend without await points between its check and its write never interleaves writers,
/// and the check would pass whatever the backend does.
pub async fn check_concurrent_writers(store: Arc<dyn EventStore>, writers: usize, rounds: u64) {
    let name = store.name().to_owned();
    assert_eq!(
        tokio::runtime::Handle::current().runtime_flavor(),
        tokio::runtime::RuntimeFlavor::MultiThread,
        "[{name}] the writer race needs a multi-thread runtime (#[tokio::test(flavor = \"multi_thread\")])"
    );
    let stream = fresh_stream("race");
    let start = now_micros();
    let mut winners = Vec::new();
    for round in 0..rounds {
        let barrier = Arc::new(tokio::sync::Barrier::new(writers));
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let store = store.clone();
                let stream = stream.clone();
                let barrier = barrier.clone();
                // distinct occurred_at per writer so only the check decides
                let event = event_at(start + round * 1000 + w as u64, &format!("r{round}w{w}"));
                tokio::spawn(async move {
                    barrier.wait().await;
                    let id = id_of(&*event);
                    let r = store
                        .put_events(&stream, vec![event], ExpectedState::Sequence(round))
                        .await;
                    (id, r)
                })
            })
            .collect();
        let mut wins = Vec::new();
        for task in tasks {
            let (id, r) = task.await.expect("writer task");
            match r {
                Ok(appended) => {
                    assert_eq!(
                        appended,
                        Appended {
                            first_sequence: round + 1,
                            last_sequence: round + 1
                        },
                        "[{name}] winner's sequence"
                    );
                    wins.push(id);
                }
                Err(Error::OptimisticCheckFailed { .. }) => {}
                Err(e) => panic!("[{name}] a losing writer must get OptimisticCheckFailed: {e:?}"),
            }
        }
        assert_eq!(
            wins.len(),
            1,
            "[{name}] exactly one winner in round {round}"
        );
        winners.extend(wins);
    }
    let all = slice(&*store, &stream, None, 10_000, true).await.events;
    assert_eq!(ids(&all), winners, "[{name}] only the winners are stored");
    let seqs: Vec<u64> = all.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, (1..=rounds).collect::<Vec<_>>(), "[{name}] gapless");
}

/// Corrupt stored records give typed errors and never stop `pipe_all_events`.
///
/// `corrupt(stream, event_id)` must damage the stored record of that event in that stream so
/// that it cannot be read back as a message (backend-specific: overwrite the payload with
/// garbage). Then: `get_event` gives [`Error::Corrupt`]; `pipe_all_events` yields one
/// `Err(Error::Corrupt)` item for it and still yields every other event of the stream.
pub async fn check_corrupt_records<F>(store: &dyn EventStore, corrupt: F)
where
    F: FnOnce(StreamId, String) -> BoxFuture<'static, ()>,
{
    let name = store.name().to_owned();
    let stream = fresh_stream("corrupt");
    let events = events_from(now_micros(), 5);
    put(store, &stream, &events, ExpectedState::Any)
        .await
        .unwrap_or_else(|e| panic!("[{name}] put_events failed: {e}"));
    let bad = id_of(&*events[2]);
    corrupt(stream.clone(), bad.clone()).await;
    let err = store.get_event(&bad).await.expect_err("corrupt record");
    assert!(
        matches!(err, Error::Corrupt { .. }),
        "[{name}] get_event of a corrupt record: expected Corrupt, got {err:?}"
    );
    let mut good = Vec::new();
    let mut corrupt_items = 0;
    for item in collect_results(store.pipe_all_events(None, None)).await {
        match item {
            Ok(e) if e.stream_id == stream => good.push(id_of(&*e.event)),
            Ok(_) => {}
            Err(Error::Corrupt { .. }) => corrupt_items += 1,
            Err(e) => panic!("[{name}] unexpected error item: {e:?}"),
        }
    }
    assert!(
        corrupt_items >= 1,
        "[{name}] the corrupt record is reported"
    );
    let want: Vec<String> = ids_of(&events)
        .into_iter()
        .filter(|id| *id != bad)
        .collect();
    assert_eq!(good, want, "[{name}] the other events are still piped");
}
