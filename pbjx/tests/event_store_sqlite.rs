//! [`SqliteEventStore`]: the shared conformance suite (in memory and on a file), durability
//! (reopen, crash between appends), corrupt rows and the resumable `pipe_all_from`.
#![cfg(feature = "sqlite")]

use std::future::poll_fn;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pbjx::Error;
use pbjx::event_store::conformance::{self, collect, collect_results, events_from, now_micros};
use pbjx::event_store::{
    BoxStream, EventStore, ExpectedState, PositionedEvent, SliceQuery, SqliteEventStore,
    SqliteOptions, StreamId, Synchronous, event_id,
};
use pbjx::pbj::Registry;

fn registry() -> Registry {
    let mut registry = Registry::new();
    pbjx::register(&mut registry);
    registry
}

/// A fresh database path in the temp dir (with its `-wal` / `-shm` companions removed on drop).
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "pbjx-es-sqlite-{name}-{}-{n}.db",
            std::process::id()
        ));
        let db = Self(path);
        db.remove();
        db
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.remove();
    }
}

fn stream(s: &str) -> StreamId {
    StreamId::parse(s).unwrap()
}

fn ids(events: &[Arc<dyn pbjx::pbj::Message>]) -> Vec<String> {
    events
        .iter()
        .map(|e| event_id(&**e).unwrap().to_owned())
        .collect()
}

async fn stream_ids(store: &SqliteEventStore, stream: &StreamId) -> Vec<String> {
    let slice = store
        .get_stream_slice(
            stream,
            SliceQuery {
                count: 10_000,
                ..SliceQuery::default()
            },
        )
        .await
        .unwrap();
    slice
        .events
        .iter()
        .map(|e| event_id(&*e.event).unwrap().to_owned())
        .collect()
}

async fn collect_positioned(
    mut stream: BoxStream<'static, pbjx::Result<PositionedEvent>>,
) -> Vec<PositionedEvent> {
    let mut out = Vec::new();
    while let Some(item) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        out.push(item.unwrap());
    }
    out
}

/// The shared suite on a file database (pooled read connections, WAL).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_suite_file() {
    let db = TempDb::new("conformance");
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(&db.0, registry()).unwrap());
    conformance::run_all(store.clone()).await;
    // A second run on the same database (fresh stream ids, existing tables).
    conformance::run_all(store).await;
}

/// The shared suite on an in-memory database, with `synchronous = NORMAL` options irrelevant.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_suite_in_memory() {
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::open_in_memory(registry()).unwrap());
    conformance::run_all(store).await;
}

/// The optimistic race on a current-thread runtime (20 writers, 10 rounds: one winner each).
#[tokio::test]
async fn concurrent_writers_current_thread() {
    let db = TempDb::new("race");
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(&db.0, registry()).unwrap());
    conformance::check_concurrent_writers(store, 20, 10).await;
}

/// Garbage JSON written straight into a row: `get_event` gives `Corrupt`, `pipe_all_events`
/// yields one error item naming the stream and position and every other event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_rows() {
    let db = TempDb::new("corrupt");
    let store = SqliteEventStore::open(&db.0, registry()).unwrap();
    let path = db.0.clone();
    conformance::check_corrupt_records(&store, move |stream, event_id| {
        Box::pin(async move {
            let conn = rusqlite::Connection::open(&path).unwrap();
            let n = conn
                .execute(
                    "UPDATE pbjx_events SET json = '{\"_schema\": garbage' \
                     WHERE stream_id = ?1 AND event_id = ?2",
                    [stream.as_str(), event_id.as_str()],
                )
                .unwrap();
            assert_eq!(n, 1);
        })
    })
    .await;
    let errors: Vec<Error> = collect_results(store.pipe_all_events(None, None))
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    assert_eq!(errors.len(), 1);
    match &errors[0] {
        Error::Corrupt { location, .. } => {
            assert!(location.contains("conformance:corrupt:"), "{location}");
            assert!(location.contains("position [3]"), "{location}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    // The checkpoint API reports the same row with its position and goes on.
    let all = collect_positioned(store.pipe_all_from(0)).await;
    assert_eq!(all.len(), 5);
    assert_eq!(
        all.iter().map(|p| p.event.is_ok()).collect::<Vec<_>>(),
        [true, true, false, true, true]
    );
    assert_eq!(all[2].position, 3);
}

/// Appends survive closing and reopening the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_reopen() {
    let db = TempDb::new("reopen");
    let s = stream("acme:article:1");
    let first = events_from(now_micros(), 3);
    let second = events_from(now_micros() + 1_000, 2);
    {
        let store = SqliteEventStore::open(&db.0, registry()).unwrap();
        store
            .put_events(&s, first.clone(), ExpectedState::NoStream)
            .await
            .unwrap();
    }
    {
        let store = SqliteEventStore::open(&db.0, registry()).unwrap();
        assert_eq!(stream_ids(&store, &s).await, ids(&first));
        let appended = store
            .put_events(&s, second.clone(), ExpectedState::Sequence(3))
            .await
            .unwrap();
        assert_eq!((appended.first_sequence, appended.last_sequence), (4, 5));
    }
    let store = SqliteEventStore::open(&db.0, registry()).unwrap();
    let mut want = ids(&first);
    want.extend(ids(&second));
    assert_eq!(stream_ids(&store, &s).await, want);
    let description = store.describe_storage().await.unwrap();
    assert!(description.contains("journal mode:   wal"), "{description}");
    assert!(
        description.contains("synchronous:    FULL"),
        "{description}"
    );
    assert!(description.contains("events:         5"), "{description}");
    assert_eq!(store.last_position().await.unwrap(), 5);
}

/// A store dropped without any close (its connection leaked, as in a crash) loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaked_connection_loses_nothing() {
    let db = TempDb::new("leak");
    let s = stream("acme:article:2");
    let a = events_from(now_micros(), 1);
    let b = events_from(now_micros() + 10, 1);
    let store = SqliteEventStore::open_with(
        &db.0,
        registry(),
        SqliteOptions {
            synchronous: Synchronous::Normal,
            ..SqliteOptions::default()
        },
    )
    .unwrap();
    store
        .put_events(&s, a.clone(), ExpectedState::Any)
        .await
        .unwrap();
    store
        .put_events(&s, b.clone(), ExpectedState::Any)
        .await
        .unwrap();
    std::mem::forget(store);
    let reopened = SqliteEventStore::open(&db.0, registry()).unwrap();
    let mut want = ids(&a);
    want.extend(ids(&b));
    assert_eq!(stream_ids(&reopened, &s).await, want);
}

const CRASH_ENV: &str = "PBJX_SQLITE_CRASH_CHILD_DB";

/// "A crash between two appends loses neither": a child process appends twice and aborts
/// (no destructors, no close, no checkpoint); the parent reopens the database and finds both.
#[test]
fn crash_between_appends_loses_neither() {
    if let Ok(path) = std::env::var(CRASH_ENV) {
        // The child.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = SqliteEventStore::open(&path, registry()).unwrap();
            let s = stream("acme:crash:1");
            let at = now_micros();
            for (i, events) in [events_from(at, 2), events_from(at + 100, 3)]
                .into_iter()
                .enumerate()
            {
                store
                    .put_events(&s, events, ExpectedState::Any)
                    .await
                    .unwrap();
                println!("appended {i}");
            }
            // Crash with the store (its connections, the WAL) still open.
            std::process::abort();
        });
    }
    let db = TempDb::new("crash");
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_between_appends_loses_neither",
            "--nocapture",
        ])
        .env(CRASH_ENV, &db.0)
        .output()
        .unwrap();
    assert!(!output.status.success(), "the child aborts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("appended 1"), "{stdout}");
    assert!(
        std::fs::metadata(format!("{}-wal", db.0.display())).is_ok(),
        "the WAL was left behind, not checkpointed"
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = SqliteEventStore::open(&db.0, registry()).unwrap();
        let slice = store
            .get_stream_slice(&stream("acme:crash:1"), SliceQuery::default())
            .await
            .unwrap();
        let seqs: Vec<u64> = slice.events.iter().map(|e| e.sequence).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
    });
}

/// `pipe_all_from(position)` resumes after a checkpoint, in global append order, across
/// pages and a reopen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipe_all_from_resumes_at_a_checkpoint() {
    let db = TempDb::new("checkpoint");
    let options = SqliteOptions {
        page_size: 3,
        ..SqliteOptions::default()
    };
    let store = SqliteEventStore::open_with(&db.0, registry(), options.clone()).unwrap();
    let (a, b) = (stream("acme:a:1"), stream("acme:b:1"));
    let at = now_micros();
    let mut appended = Vec::new();
    for i in 0..4u64 {
        let s = if i % 2 == 0 { &a } else { &b };
        let events = events_from(at + i * 10, 2);
        appended.extend(ids(&events));
        store
            .put_events(s, events, ExpectedState::Any)
            .await
            .unwrap();
    }
    let all = collect_positioned(store.pipe_all_from(0)).await;
    assert_eq!(
        all.iter().map(|p| p.position).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
    let got: Vec<String> = all
        .iter()
        .map(|p| {
            event_id(&*p.event.as_ref().unwrap().event)
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(got, appended);
    // A consumer checkpointed position 5 and restarts.
    drop(store);
    let store = SqliteEventStore::open_with(&db.0, registry(), options).unwrap();
    let rest = collect_positioned(store.pipe_all_from(5)).await;
    assert_eq!(
        rest.iter().map(|p| p.position).collect::<Vec<_>>(),
        [6, 7, 8]
    );
    assert!(collect_positioned(store.pipe_all_from(8)).await.is_empty());
    assert_eq!(store.last_position().await.unwrap(), 8);
    // Positions are never reused, even after deleting the newest event.
    store.delete_event(&appended[7]).await.unwrap();
    let more = events_from(at + 1_000, 1);
    store
        .put_events(&a, more, ExpectedState::Any)
        .await
        .unwrap();
    assert_eq!(store.last_position().await.unwrap(), 9);
    // pipe_all_events is the same order, without positions.
    let piped = collect(store.pipe_all_events(None, None)).await;
    assert_eq!(piped.len(), 8);
}

/// Deleting an event keeps the head's sequence (never reused) and moves its etag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_keeps_sequences() {
    let store = SqliteEventStore::open_in_memory(registry()).unwrap();
    let s = stream("acme:article:3");
    let events = events_from(now_micros(), 3);
    let all = ids(&events);
    store
        .put_events(&s, events, ExpectedState::Any)
        .await
        .unwrap();
    store.delete_event(&all[2]).await.unwrap();
    assert!(
        store
            .put_events(&s, vec![], ExpectedState::Etag(all[1].clone()))
            .await
            .is_ok()
    );
    let next = events_from(now_micros() + 100, 1);
    let appended = store
        .put_events(&s, next, ExpectedState::Sequence(3))
        .await
        .unwrap();
    assert_eq!(appended.first_sequence, 4);
}

/// The store works without a tokio runtime too (the database work then runs inline).
#[test]
fn works_without_a_runtime() {
    let store = SqliteEventStore::open_in_memory(registry()).unwrap();
    let s = stream("acme:article:4");
    let fut = store.put_events(&s, events_from(now_micros(), 2), ExpectedState::NoStream);
    let appended = poll_once(fut).unwrap();
    assert_eq!(appended.last_sequence, 2);
}

fn poll_once<T>(fut: impl std::future::Future<Output = T>) -> T {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the future should complete at once"),
    }
}
