//! Event-store outboxes: every appended event is published, in order per stream, across a
//! restart. SQLite (global position) always; DynamoDB (the table's DynamoDB stream, on the AWS
//! emulator, needs `AWS_ENDPOINT_URL`) with the feature `outbox-dynamodb`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pbjx::Pbjx;
use pbjx::consumer::outbox::OutboxOptions;
use pbjx::consumer::outbox::sqlite::SqliteOutbox;
use pbjx::consumer::{
    CancellationToken, CheckpointStore, Consumer, ConsumerReport, SqliteCheckpointStore,
};
use pbjx::event_store::{EventStore, ExpectedState, SqliteEventStore, StreamId};
use pbjx::pbj::{Message, Microtime};
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;

type Published = Arc<Mutex<Vec<String>>>;

/// An exchange whose health-checked subscriber records each event's `msg`
/// (`{stream}#{index}`): what the outbox published.
fn publisher(published: &Published) -> Pbjx {
    let published = published.clone();
    Pbjx::builder()
        .subscribe(move |event: Arc<HealthCheckedV1>, _pbjx| {
            let published = published.clone();
            async move {
                published
                    .lock()
                    .unwrap()
                    .push(event.msg().unwrap_or_default().to_owned());
                Ok(())
            }
        })
        .build()
        .unwrap()
}

fn event(stream: usize, index: usize) -> Arc<dyn Message> {
    let micros = 1_700_000_000_000_000u64 + (index as u64) * 1_000 + stream as u64;
    let mut e = HealthCheckedV1::new()
        .with_occurred_at(Microtime::new(micros / 1_000_000, (micros % 1_000_000) as u32).unwrap())
        .unwrap()
        .with_msg(format!("s{stream}#{index:03}"))
        .unwrap();
    e.freeze();
    Arc::new(e)
}

/// Appends events `range` to streams 0..streams, interleaved, a few per append.
async fn append(
    store: &dyn EventStore,
    streams: usize,
    range: std::ops::Range<usize>,
) -> Vec<String> {
    let mut appended = Vec::new();
    for chunk_start in range.clone().step_by(3) {
        for s in 0..streams {
            let stream = StreamId::parse(&format!("acme:article:{s}")).unwrap();
            let events: Vec<Arc<dyn Message>> = (chunk_start..(chunk_start + 3).min(range.end))
                .map(|i| event(s, i))
                .collect();
            appended.extend(
                (chunk_start..(chunk_start + 3).min(range.end)).map(|i| format!("s{s}#{i:03}")),
            );
            store
                .put_events(&stream, events, ExpectedState::Any)
                .await
                .unwrap();
        }
    }
    appended
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs `outbox` in a task until `cancel` is cancelled (an uncancelled token: until aborted).
fn spawn_run(
    outbox: &Arc<impl Consumer>,
    cancel: &CancellationToken,
) -> tokio::task::JoinHandle<pbjx::Result<ConsumerReport>> {
    let (outbox, cancel) = (outbox.clone(), cancel.clone());
    tokio::spawn(async move { outbox.run(cancel).await })
}

/// Waits until every appended event was published (at least once).
async fn wait_for_every_event(published: &Published, appended: &[String]) {
    wait_for("every event", || {
        published
            .lock()
            .unwrap()
            .iter()
            .collect::<BTreeSet<_>>()
            .len()
            == appended.len()
    })
    .await;
}

/// Every appended event published, and per stream in append order (duplicates from a crash
/// repeat a suffix of what was published, so order is checked on first appearances).
fn check(published: &[String], appended: &[String]) {
    let distinct: BTreeSet<&String> = published.iter().collect();
    assert_eq!(
        distinct,
        appended.iter().collect::<BTreeSet<_>>(),
        "every appended event published"
    );
    let mut per_stream: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for msg in published {
        if seen.insert(msg) {
            let (stream, index) = msg.split_once('#').unwrap();
            per_stream.entry(stream).or_default().push(index);
        }
    }
    for (stream, indexes) in per_stream {
        let mut sorted = indexes.clone();
        sorted.sort_unstable();
        assert_eq!(indexes, sorted, "stream {stream} published out of order");
    }
}

fn options() -> OutboxOptions {
    OutboxOptions::new("articles")
        .with_batch_size(7)
        .with_lease_ttl(Duration::from_millis(500))
        .with_idle_wait(Duration::from_millis(10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_outbox_publishes_everything_in_order_across_restarts() {
    let dir = crate::temp::TempDir::new("outbox");
    std::fs::create_dir_all(&dir.0).unwrap();
    let store = SqliteEventStore::open(dir.0.join("events.db"), pbjx::registry()).unwrap();
    store.create_storage().await.unwrap();
    let checkpoints = SqliteCheckpointStore::open(dir.0.join("checkpoints.db")).unwrap();
    checkpoints.create_storage().await.unwrap();
    let checkpoints: Arc<dyn CheckpointStore> = Arc::new(checkpoints);
    let published: Published = Arc::default();
    let mut appended = append(&store, 4, 0..30).await;

    // First run: stopped gracefully part-way.
    let outbox = Arc::new(SqliteOutbox::new(
        store.clone(),
        publisher(&published),
        checkpoints.clone(),
        options(),
    ));
    let cancel = CancellationToken::new();
    let running = spawn_run(&outbox, &cancel);
    wait_for("40 events", || published.lock().unwrap().len() >= 40).await;
    cancel.cancel();
    running.await.unwrap().unwrap();
    let after_first = published.lock().unwrap().len();
    assert!(after_first < 120);

    // Second run, killed (aborted) part-way while more events are appended.
    appended.extend(append(&store, 4, 30..45).await);
    let outbox = Arc::new(SqliteOutbox::new(
        store.clone(),
        publisher(&published),
        checkpoints.clone(),
        options(),
    ));
    let running = spawn_run(&outbox, &CancellationToken::new());
    wait_for("100 events", || published.lock().unwrap().len() >= 100).await;
    running.abort();
    let _ = running.await;

    // Third run resumes from the checkpoint after the dead owner's lease expired.
    let outbox = Arc::new(SqliteOutbox::new(
        store.clone(),
        publisher(&published),
        checkpoints.clone(),
        options(),
    ));
    let cancel = CancellationToken::new();
    let running = spawn_run(&outbox, &cancel);
    wait_for_every_event(&published, &appended).await;
    cancel.cancel();
    running.await.unwrap().unwrap();
    let published = published.lock().unwrap().clone();
    check(&published, &appended);
    // The graceful stop lost and repeated nothing; the crash repeats at most one batch.
    assert!(
        published.len() - appended.len() <= 7,
        "{} duplicates",
        published.len() - appended.len()
    );
}

#[cfg(feature = "outbox-dynamodb")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_outbox_publishes_everything_in_order_across_a_restart() {
    use pbjx::consumer::DynamoDbCheckpointStore;
    use pbjx::consumer::outbox::dynamodb::DynamoDbOutbox;
    use pbjx::event_store::dynamodb::DynamoDbEventStore;

    let config = pbjx::testkit::dynamodb::emulator_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let streams = aws_sdk_dynamodbstreams::Client::new(&config);
    let suffix = format!("{:012x}", fastrand::u64(..) >> 16);
    let store = DynamoDbEventStore::new(
        dynamodb.clone(),
        format!("pbjx-outbox-{suffix}"),
        pbjx::registry(),
    );
    store.create_storage().await.unwrap();
    let checkpoints = DynamoDbCheckpointStore::new(dynamodb, format!("pbjx-outbox-cp-{suffix}"));
    checkpoints.create_storage().await.unwrap();
    let checkpoints: Arc<dyn CheckpointStore> = Arc::new(checkpoints);
    let published: Published = Arc::default();
    let mut appended = append(&store, 3, 0..12).await;

    let outbox = Arc::new(DynamoDbOutbox::new(
        store.clone(),
        streams.clone(),
        publisher(&published),
        checkpoints.clone(),
        options(),
    ));
    let cancel = CancellationToken::new();
    let running = spawn_run(&outbox, &cancel);
    wait_for("20 events", || published.lock().unwrap().len() >= 20).await;
    cancel.cancel();
    let first = running.await.unwrap().unwrap();
    assert!(first.checkpoints > 0);

    // Appended while no outbox runs; a new outbox resumes from the checkpoint.
    appended.extend(append(&store, 3, 12..20).await);
    let outbox = Arc::new(DynamoDbOutbox::new(
        store.clone(),
        streams,
        publisher(&published),
        checkpoints.clone(),
        options(),
    ));
    let cancel = CancellationToken::new();
    let running = spawn_run(&outbox, &cancel);
    wait_for_every_event(&published, &appended).await;
    // Nothing more arrives (no duplicates after a graceful stop).
    tokio::time::sleep(Duration::from_millis(200)).await;
    cancel.cancel();
    running.await.unwrap().unwrap();
    let published = published.lock().unwrap().clone();
    check(&published, &appended);
    assert_eq!(
        published.len(),
        appended.len(),
        "a graceful restart repeats nothing"
    );
}
