//! [`SqliteEventStore`]: the shared conformance suite (in memory and on a file), durability
//! (reopen, crash between appends, a writer killed while appends are in flight), group commit,
//! two processes on one file, corrupt rows and the resumable `pipe_all_from`.
#![cfg(feature = "sqlite")]

use std::collections::BTreeMap;
use std::future::poll_fn;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::temp::TempDb;
use pbjx::Error;
use pbjx::event_store::{
    BoxStream, EventStore, ExpectedState, PositionedEvent, SliceQuery, SqliteEventStore,
    SqliteOptions, StreamId, Synchronous, event_id,
};
use pbjx::pbj::Registry;
use pbjx::testkit::event_store::{
    self as conformance, collect, collect_results, events_from, now_micros,
};

fn registry() -> Registry {
    let mut registry = Registry::new();
    pbjx::register(&mut registry);
    registry
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
    let db = TempDb::new("es-sqlite-conformance");
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

/// The optimistic race on its own (20 writers, 30 rounds: one winner each), with
/// `synchronous = FULL`, where the losers of a round usually share the winner's transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_race() {
    let db = TempDb::new("es-sqlite-race");
    let store = SqliteEventStore::open(&db.0, registry()).unwrap();
    let shared: Arc<dyn EventStore> = Arc::new(store.clone());
    conformance::check_concurrent_writers(shared, 20, 30).await;
    assert_eq!(store.writer_stats().appends, 30);
}

/// Garbage JSON written straight into a row: `get_event` gives `Corrupt`, `pipe_all_events`
/// yields one error item naming the stream and position and every other event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_rows() {
    let db = TempDb::new("es-sqlite-corrupt");
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
    let db = TempDb::new("es-sqlite-reopen");
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
    assert!(description.contains("events:         5"), "{description}");
    assert_eq!(store.last_position().await.unwrap(), 5);
}

/// `describe_storage` reports the sync level read back from the write connection
/// (`PRAGMA synchronous`: 2 = FULL, 1 = NORMAL), not the option it was given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_storage_reads_the_sync_level_back() {
    let db = TempDb::new("es-sqlite-describe");
    for (synchronous, read_back) in [
        (Synchronous::Full, "FULL (PRAGMA synchronous = 2)"),
        (Synchronous::Normal, "NORMAL (PRAGMA synchronous = 1)"),
    ] {
        let options = SqliteOptions {
            synchronous,
            ..SqliteOptions::default()
        };
        let store = SqliteEventStore::open_with(&db.0, registry(), options).unwrap();
        let description = store.describe_storage().await.unwrap();
        assert!(
            description.contains(&format!("synchronous:    {read_back}")),
            "{description}"
        );
    }
}

/// A store dropped without any close (its connection leaked, as in a crash) loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaked_connection_loses_nothing() {
    let db = TempDb::new("es-sqlite-leak");
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
    let db = TempDb::new("es-sqlite-crash");
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &crate::test_name(module_path!(), "crash_between_appends_loses_neither"),
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
    let db = TempDb::new("es-sqlite-checkpoint");
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

/// The store works without a tokio runtime too: reads run inline, an append is answered by
/// the writer thread to any executor (here a minimal one parking the thread).
#[test]
fn works_without_a_runtime() {
    let store = SqliteEventStore::open_in_memory(registry()).unwrap();
    let s = stream("acme:article:4");
    let appended =
        block_on(store.put_events(&s, events_from(now_micros(), 2), ExpectedState::NoStream))
            .unwrap();
    assert_eq!(appended.last_sequence, 2);
    let slice = block_on(store.get_stream_slice(&s, SliceQuery::default())).unwrap();
    assert_eq!(slice.events.len(), 2);
}

fn block_on<T>(fut: impl std::future::Future<Output = T>) -> T {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// Holds SQLite's write lock of `path` from another connection (as another process would)
/// until dropped, so that the store's appends queue up behind it.
struct WriteLock(rusqlite::Connection);

impl WriteLock {
    fn take(path: &std::path::Path) -> Self {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        Self(conn)
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("COMMIT");
    }
}

/// Group commit: appends queued while the write lock is taken are written together, each with
/// its own expectation: the failing ones (a stale sequence, the loser of two `NoStream`
/// appends to one stream, a duplicate `occurred_at`) fail alone, their neighbours are
/// committed, sequences stay gapless, and the appends share few commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commit_checks_each_expectation_alone() {
    let db = TempDb::new("es-sqlite-group");
    let store = SqliteEventStore::open(&db.0, registry()).unwrap();
    let at = now_micros();
    let plain: Vec<StreamId> = (0..12)
        .map(|i| stream(&format!("acme:group:{i}")))
        .collect();
    let (stale, contested, duplicate) = (
        stream("acme:group:stale"),
        stream("acme:group:contested"),
        stream("acme:group:duplicate"),
    );
    let lock = WriteLock::take(&db.0);
    let mut tasks = Vec::new();
    let spawn = |s: &StreamId, start: u64, expected: ExpectedState| {
        let store = store.clone();
        let s = s.clone();
        tokio::spawn(async move { store.put_events(&s, events_from(start, 3), expected).await })
    };
    for (i, s) in plain.iter().enumerate() {
        tasks.push((
            "plain",
            spawn(s, at + i as u64 * 10, ExpectedState::NoStream),
        ));
    }
    tasks.push(("stale", spawn(&stale, at, ExpectedState::Sequence(5))));
    tasks.push(("contested", spawn(&contested, at, ExpectedState::NoStream)));
    tasks.push((
        "contested",
        spawn(&contested, at + 100, ExpectedState::NoStream),
    ));
    tasks.push(("duplicate", spawn(&duplicate, at, ExpectedState::Any)));
    tasks.push(("duplicate", spawn(&duplicate, at + 1, ExpectedState::Any)));
    // Let every append reach the writer's queue, then release the lock.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(lock);
    let mut outcomes: BTreeMap<&str, Vec<pbjx::Result<_>>> = BTreeMap::new();
    for (kind, task) in tasks {
        outcomes.entry(kind).or_default().push(task.await.unwrap());
    }
    assert!(
        outcomes["plain"]
            .iter()
            .all(|r| matches!(r, Ok(a) if a.first_sequence == 1 && a.last_sequence == 3))
    );
    assert!(matches!(
        outcomes["stale"][0],
        Err(Error::OptimisticCheckFailed { .. })
    ));
    let oks = |kind: &str| outcomes[kind].iter().filter(|r| r.is_ok()).count();
    assert_eq!(oks("contested"), 1);
    assert!(
        outcomes["contested"]
            .iter()
            .any(|r| matches!(r, Err(Error::OptimisticCheckFailed { .. })))
    );
    assert_eq!(oks("duplicate"), 1);
    assert!(
        outcomes["duplicate"]
            .iter()
            .any(|r| matches!(r, Err(Error::AlreadyExists { .. })))
    );

    for s in plain.iter().chain([&contested, &duplicate]) {
        let slice = store
            .get_stream_slice(s, SliceQuery::default())
            .await
            .unwrap();
        let seqs: Vec<u64> = slice.events.iter().map(|e| e.sequence).collect();
        assert_eq!(seqs, [1, 2, 3], "{s}");
    }
    assert!(stream_ids(&store, &stale).await.is_empty());
    let stats = store.writer_stats();
    assert_eq!(stats.appends, 14);
    assert!(
        stats.commits < stats.appends,
        "queued appends share commits: {stats:?}"
    );
}

const CHILD_DB: &str = "PBJX_SQLITE_CHILD_DB";
const CHILD_ROLE: &str = "PBJX_SQLITE_CHILD_ROLE";
const CHILD_START: &str = "PBJX_SQLITE_CHILD_START";

/// This test binary again, running only `test` with the child's settings.
fn child(test: &str, db: &TempDb, role: &str, start: u64) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", &crate::test_name(module_path!(), test)])
        .args(["--nocapture", "--test-threads", "1"])
        .env(CHILD_DB, &db.0)
        .env(CHILD_ROLE, role)
        .env(CHILD_START, start.to_string())
        .stdout(Stdio::piped());
    command
}

/// The settings of a child process (`None` in the parent).
fn child_settings() -> Option<(PathBuf, String, u64)> {
    let db = std::env::var_os(CHILD_DB)?;
    let role = std::env::var(CHILD_ROLE).unwrap();
    let start = std::env::var(CHILD_START).unwrap().parse().unwrap();
    Some((PathBuf::from(db), role, start))
}

/// Prints one line of a child's report (the test harness may print on the same line first).
fn report(line: &str) {
    println!("\n{REPORT}{line}");
}

/// The words of a reported line (none for other lines).
fn reported(line: &str) -> Vec<&str> {
    line.strip_prefix(REPORT)
        .map_or_else(Vec::new, |l| l.split(' ').collect())
}

const REPORT: &str = "child: ";

const TWO_PROCESS_ROUNDS: u64 = 40;

/// Two OS processes append to one database file at once (the documented multi-process
/// case): on a contested stream both try every expectation `Sequence(r)` once, and exactly one
/// of them wins each; on a second stream both append with `Any` and get gapless, disjoint
/// sequence numbers.
#[test]
fn two_processes_append_to_one_file() {
    const TEST: &str = "two_processes_append_to_one_file";
    let (race, shared) = (stream("acme:processes:race"), stream("acme:processes:any"));
    if let Some((db, role, start)) = child_settings() {
        let offset = u64::from(role == "b");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = SqliteEventStore::open(&db, registry()).unwrap();
            let go = db.with_extension("go");
            while !go.exists() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            for r in 0..TWO_PROCESS_ROUNDS {
                let event = events_from(start + r * 10 + offset, 1);
                match store
                    .put_events(&race, event, ExpectedState::Sequence(r))
                    .await
                {
                    Ok(a) => report(&format!("won {r} {}", a.first_sequence)),
                    Err(Error::OptimisticCheckFailed { .. }) => report(&format!("lost {r}")),
                    Err(e) => panic!("round {r}: {e}"),
                }
                let event = events_from(start + 1_000_000 + r * 10 + offset, 1);
                let a = store
                    .put_events(&shared, event, ExpectedState::Any)
                    .await
                    .unwrap();
                report(&format!("any {}", a.first_sequence));
            }
        });
        return;
    }
    let db = TempDb::new("es-sqlite-processes");
    drop(SqliteEventStore::open(&db.0, registry()).unwrap());
    let start = now_micros();
    let children: Vec<_> = ["a", "b"]
        .map(|role| child(TEST, &db, role, start).spawn().unwrap())
        .into();
    let go = db.0.with_extension("go");
    std::fs::write(&go, b"go").unwrap();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .collect();
    let _ = std::fs::remove_file(go);
    let mut wins: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut any: Vec<u64> = Vec::new();
    for output in outputs {
        assert!(output.status.success(), "a child failed");
        for line in String::from_utf8(output.stdout).unwrap().lines() {
            match reported(line)[..] {
                ["won", r, seq] => wins
                    .entry(r.parse().unwrap())
                    .or_default()
                    .push(seq.parse().unwrap()),
                ["any", seq] => any.push(seq.parse().unwrap()),
                _ => {}
            }
        }
    }
    let expected: BTreeMap<u64, Vec<u64>> =
        (0..TWO_PROCESS_ROUNDS).map(|r| (r, vec![r + 1])).collect();
    assert_eq!(wins, expected, "exactly one winner per expectation");
    any.sort_unstable();
    assert_eq!(any, (1..=2 * TWO_PROCESS_ROUNDS).collect::<Vec<_>>());
    block_on(async {
        let store = SqliteEventStore::open(&db.0, registry()).unwrap();
        for (s, n) in [
            (&race, TWO_PROCESS_ROUNDS),
            (&shared, 2 * TWO_PROCESS_ROUNDS),
        ] {
            let slice = store
                .get_stream_slice(
                    s,
                    SliceQuery {
                        count: 1000,
                        ..SliceQuery::default()
                    },
                )
                .await
                .unwrap();
            let mut seqs: Vec<u64> = slice.events.iter().map(|e| e.sequence).collect();
            seqs.sort_unstable();
            assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "{s} is gapless");
        }
    });
}

const KILL_WRITERS: u64 = 8;
const KILL_AFTER_ACKS: usize = 150;

/// A process appending from 8 concurrent writers (`synchronous = FULL`) is killed (SIGKILL)
/// while appends are in flight; after reopening, every append it acknowledged is stored and
/// every stream is gapless.
#[test]
fn killed_writer_loses_no_acknowledged_append() {
    const TEST: &str = "killed_writer_loses_no_acknowledged_append";
    if let Some((db, _, start)) = child_settings() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        rt.block_on(async {
            let store = SqliteEventStore::open(&db, registry()).unwrap();
            let writers: Vec<tokio::task::JoinHandle<()>> = (0..KILL_WRITERS)
                .map(|w| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        let s = stream(&format!("acme:kill:{w}"));
                        let mut head = 0;
                        loop {
                            let events = events_from(start + w * 1_000_000_000 + head * 10, 3);
                            let a = store
                                .put_events(&s, events, ExpectedState::Sequence(head))
                                .await
                                .unwrap();
                            head = a.last_sequence;
                            report(&format!("ack {w} {head}"));
                        }
                    })
                })
                .collect();
            drop(writers); // they run until the parent kills this process
            std::future::pending::<()>().await;
        });
        return;
    }
    let db = TempDb::new("es-sqlite-kill");
    let mut process = child(TEST, &db, "writer", now_micros()).spawn().unwrap();
    let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
    let mut acked: BTreeMap<u64, u64> = BTreeMap::new();
    let mut count = 0;
    let record = |line: &str, acked: &mut BTreeMap<u64, u64>| {
        if let ["ack", w, seq] = reported(line)[..] {
            let seq: u64 = seq.parse().unwrap();
            let best = acked.entry(w.parse().unwrap()).or_default();
            *best = (*best).max(seq);
            true
        } else {
            false
        }
    };
    for line in lines.by_ref() {
        if record(&line.unwrap(), &mut acked) {
            count += 1;
            if count == KILL_AFTER_ACKS {
                break;
            }
        }
    }
    process.kill().unwrap(); // SIGKILL
    let status = process.wait().unwrap();
    assert!(!status.success(), "the child was killed");
    // acknowledgements written before the kill
    for line in lines {
        record(&line.unwrap(), &mut acked);
    }
    assert!(
        acked.len() > 1,
        "several writers were acknowledged: {acked:?}"
    );
    block_on(async {
        let store = SqliteEventStore::open(&db.0, registry()).unwrap();
        for (w, acked) in acked {
            let s = stream(&format!("acme:kill:{w}"));
            let slice = store
                .get_stream_slice(
                    &s,
                    SliceQuery {
                        count: 100_000,
                        ..SliceQuery::default()
                    },
                )
                .await
                .unwrap();
            let seqs: Vec<u64> = slice.events.iter().map(|e| e.sequence).collect();
            let stored = seqs.len() as u64;
            assert_eq!(seqs, (1..=stored).collect::<Vec<_>>(), "{s} is gapless");
            assert!(
                stored >= acked,
                "{s}: {acked} events acknowledged, {stored} stored"
            );
        }
    });
}

/// An append that fails after it started writing (its second event repeats an `occurred_at`
/// the stream already has) is taken out of its group: the transaction is written again
/// without it, its neighbours (queued before and after it) are committed, and its error names
/// the offending event.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commit_takes_out_an_append_that_failed_while_writing() {
    let db = TempDb::new("es-sqlite-takeout");
    let store = SqliteEventStore::open(&db.0, registry()).unwrap();
    let at = now_micros();
    let taken = [stream("acme:takeout:a"), stream("acme:takeout:b")];
    for s in &taken {
        store
            .put_events(s, events_from(at + 1, 1), ExpectedState::NoStream)
            .await
            .unwrap();
    }
    let lock = WriteLock::take(&db.0);
    let mut plain = Vec::new();
    let mut failing = Vec::new();
    for i in 0..6u64 {
        let (s, plain_store) = (stream(&format!("acme:takeout:plain-{i}")), store.clone());
        plain.push(tokio::spawn(async move {
            plain_store
                .put_events(&s, events_from(at, 20), ExpectedState::NoStream)
                .await
        }));
        if let Some(s) = taken.get(i as usize / 3).filter(|_| i % 3 == 1) {
            // events at `at` and `at + 1`: the second is a duplicate
            let (store, s, events) = (store.clone(), s.clone(), events_from(at, 2));
            let second = ids(&events)[1].clone();
            failing.push((
                second,
                tokio::spawn(async move {
                    store
                        .put_events(&s, events, ExpectedState::Sequence(1))
                        .await
                }),
            ));
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(lock);
    for task in plain {
        let appended = task.await.unwrap().unwrap();
        assert_eq!((appended.first_sequence, appended.last_sequence), (1, 20));
    }
    assert_eq!(failing.len(), 2);
    for (second, task) in failing {
        match task.await.unwrap() {
            Err(Error::AlreadyExists { what, .. }) => assert!(what.contains(&second), "{what}"),
            other => panic!("expected AlreadyExists, got {other:?}"),
        }
    }
    for s in &taken {
        let slice = store
            .get_stream_slice(s, SliceQuery::default())
            .await
            .unwrap();
        let seqs: Vec<u64> = slice.events.iter().map(|e| e.sequence).collect();
        assert_eq!(seqs, [1], "{s}");
    }
    assert_eq!(store.last_position().await.unwrap(), 2 + 6 * 20);
    assert_eq!(store.writer_stats().appends, 2 + 6);
}

/// A lone writer's appends are each committed alone and answered, whether the next one
/// reaches the writer while it still polls its queue after the last (at once) or after it has
/// gone to sleep (a pause far longer than the polling window).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lone_appends_are_answered_before_and_after_the_writer_sleeps() {
    let db = TempDb::new("es-sqlite-lone");
    let store = SqliteEventStore::open(&db.0, registry()).unwrap();
    let s = stream("acme:lone:1");
    let at = now_micros();
    for (i, pause) in [0, 0, 20, 0, 20, 20].into_iter().enumerate() {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let i = i as u64;
        let appended = store
            .put_events(
                &s,
                events_from(at + i * 10, 2),
                ExpectedState::Sequence(2 * i),
            )
            .await
            .unwrap();
        assert_eq!(
            (appended.first_sequence, appended.last_sequence),
            (2 * i + 1, 2 * i + 2)
        );
    }
    let stats = store.writer_stats();
    assert_eq!((stats.appends, stats.commits), (6, 6));
    assert_eq!(store.last_position().await.unwrap(), 12);
}

/// A file store's WAL is copied into the database file by the checkpointer thread, long
/// before the WAL reaches the size at which the writer would checkpoint itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_checkpointed_in_the_background() {
    let db = TempDb::new("es-sqlite-checkpoints");
    let store = SqliteEventStore::open(&db.0, registry()).unwrap();
    let s = stream("acme:checkpoints:1");
    let at = now_micros();
    let db_size = || std::fs::metadata(&db.0).unwrap().len();
    let before = db_size();
    // A few thousand WAL frames: past the checkpointer's chunk, far below the writer's limit.
    for i in 0..600u64 {
        store
            .put_events(
                &s,
                events_from(at + i * 10, 10),
                ExpectedState::Sequence(i * 10),
            )
            .await
            .unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while db_size() < before + (1 << 20) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        db_size() >= before + (1 << 20),
        "the database file holds the checkpointed pages: {before} -> {} bytes",
        db_size()
    );
    assert_eq!(store.last_position().await.unwrap(), 6_000);
}

/// A database written by version 1 of the schema (the per-stream index keyed by the stream id
/// text) is upgraded when opened: its events, sequences, etags and positions are kept (and a
/// deleted last position is not given again), a stream without a head gets one from its rows,
/// and appends go on from the heads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_database_is_upgraded_when_opened() {
    let db = TempDb::new("es-sqlite-v1");
    let events = events_from(now_micros(), 5);
    {
        let conn = rusqlite::Connection::open(&db.0).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE pbjx_events (
                 position    INTEGER PRIMARY KEY AUTOINCREMENT,
                 stream_id   TEXT    NOT NULL,
                 sequence    INTEGER NOT NULL,
                 occurred_at INTEGER NOT NULL,
                 event_id    TEXT    NOT NULL,
                 curie       TEXT    NOT NULL,
                 indexed     INTEGER NOT NULL,
                 json        TEXT    NOT NULL,
                 UNIQUE (stream_id, occurred_at)
             );
             CREATE INDEX pbjx_events_event_id ON pbjx_events (event_id);
             CREATE TABLE pbjx_streams (
                 stream_id     TEXT PRIMARY KEY,
                 sequence      INTEGER NOT NULL,
                 last_event_id TEXT
             ) WITHOUT ROWID;
             PRAGMA user_version = 1;",
        )
        .unwrap();
        // acme:old:1 gets events 1-3 and 5 (deleted below: sequence 4, position 5), acme:old:2
        // (no head row) event 4.
        for (i, event) in events.iter().enumerate() {
            let at = i64::try_from(
                pbjx::event_store::occurred_at(&**event)
                    .unwrap()
                    .as_micros(),
            )
            .unwrap();
            let (stream, sequence) = match i {
                3 => ("acme:old:2", 1),
                4 => ("acme:old:1", 4),
                _ => ("acme:old:1", i + 1),
            };
            conn.execute(
                "INSERT INTO pbjx_events (stream_id, sequence, occurred_at, event_id, curie, \
                 indexed, json) VALUES (?6, ?1, ?2, ?3, ?4, 0, ?5)",
                rusqlite::params![
                    sequence as i64,
                    at,
                    event_id(&**event).unwrap(),
                    event.schema().curie.to_string(),
                    event.to_json(),
                    stream
                ],
            )
            .unwrap();
        }
        // As version 1 left a deleted last event: the head keeps its sequence, the etag moves.
        conn.execute("DELETE FROM pbjx_events WHERE position = 5", [])
            .unwrap();
        conn.execute(
            "INSERT INTO pbjx_streams VALUES ('acme:old:1', 4, ?1)",
            [event_id(&*events[2]).unwrap()],
        )
        .unwrap();
    }

    let store = SqliteEventStore::open(&db.0, registry()).unwrap();
    let stream = StreamId::parse("acme:old:1").unwrap();
    let slice = store
        .get_stream_slice(&stream, SliceQuery::default())
        .await
        .unwrap();
    let json = |e: &Arc<dyn pbjx::pbj::Message>| e.to_json();
    assert_eq!(
        slice
            .events
            .iter()
            .map(|e| json(&e.event))
            .collect::<Vec<_>>(),
        events[..3].iter().map(json).collect::<Vec<_>>()
    );
    assert_eq!(
        slice.events.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    // The head came along: a stale expectation fails, the right one appends sequence 5.
    let next = events_from(now_micros() + 1_000, 1);
    let err = store
        .put_events(&stream, next.clone(), ExpectedState::Sequence(3))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::OptimisticCheckFailed { .. }),
        "{err:?}"
    );
    let appended = store
        .put_events(&stream, next, ExpectedState::Sequence(4))
        .await
        .unwrap();
    assert_eq!(appended.last_sequence, 5);
    // The stream without a head row got one: its next append is sequence 2.
    let headless = StreamId::parse("acme:old:2").unwrap();
    let appended = store
        .put_events(
            &headless,
            events_from(now_micros() + 2_000, 1),
            ExpectedState::Sequence(1),
        )
        .await
        .unwrap();
    assert_eq!(appended.last_sequence, 2);
    let all = collect_positioned(store.pipe_all_from(0)).await;
    assert_eq!(
        all.iter().map(|p| p.position).collect::<Vec<_>>(),
        [1, 2, 3, 4, 6, 7],
        "position 5 (deleted before the upgrade) is not given again"
    );
    assert!(
        store
            .describe_storage()
            .await
            .unwrap()
            .contains("schema version: 2")
    );
}
