//! Reindexing from an event store into the embedded search: every indexed event once, one
//! stream only, a failed batch retried in chunks, and a stopped run resumed from its cursor.
#![cfg(feature = "search-tantivy")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pbjx::event_store::{EventStore, ExpectedState, InMemoryEventStore, StreamId};
use pbjx::pbj::Message;
use pbjx::search::reindex::{ReindexOptions, ReindexScope, reindex};
use pbjx::search::tantivy::TantivyEventSearch;
use pbjx::search::{EventSearch, SearchContext};
use pbjx::testkit::FaultyEventSearch;
use pbjx::testkit::search::{self as conformance, Ask};
use pbjx::{Code, Error};

/// The data set in three streams (by index mod 3), each in time order.
async fn store_with_dataset() -> (InMemoryEventStore, Vec<conformance::Row>) {
    let store = InMemoryEventStore::new();
    let rows = conformance::dataset();
    for s in 0..3 {
        let stream = StreamId::parse(&format!("acme:jobs:{s}")).unwrap();
        let events: Vec<Arc<dyn Message>> = rows
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 == s)
            .map(|(_, r)| r.event.clone())
            .collect();
        store
            .put_events(&stream, events, ExpectedState::NoStream)
            .await
            .unwrap();
    }
    (store, rows)
}

/// Wraps a search: fails every `index_events` call with more than `max_batch` events, and
/// every call after `fail_after` successful ones. The counter counts the calls that were not
/// too large.
fn faulty_search(
    inner: TantivyEventSearch,
    max_batch: usize,
    fail_after: usize,
) -> (FaultyEventSearch<TantivyEventSearch>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let search = FaultyEventSearch::new(inner, move |events| {
        if events.len() > max_batch {
            return Some(Error::search(
                "faulty",
                "x",
                Code::ResourceExhausted,
                "batch too large",
            ));
        }
        (counted.fetch_add(1, Ordering::SeqCst) >= fail_after)
            .then(|| Error::search("faulty", "x", Code::Unavailable, "down"))
    });
    (search, calls)
}

fn options() -> ReindexOptions {
    ReindexOptions::default()
        .with_batch_size(100)
        .with_retry_pause(Duration::from_millis(1))
}

async fn total(search: &dyn EventSearch, q: &str) -> i64 {
    conformance::find(search, &SearchContext::default(), &Ask::q(q))
        .await
        .unwrap()
        .total
}

#[tokio::test]
async fn every_indexed_event_is_indexed_once_and_others_skipped() {
    let (store, rows) = store_with_dataset().await;
    let search = TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap();
    let report = reindex(&store, &search, &ReindexScope::All, &options(), None)
        .await
        .unwrap();
    // health-checked (every tenth) does not use the indexed mixin.
    assert_eq!((report.indexed, report.skipped), (900, 100));
    assert_eq!(report.cursor.read, 1_000);
    assert_eq!(report.batches, 10);
    assert_eq!(total(&search, "").await, 900);
    let disk = conformance::expected(&rows, |r| !r.health && r.words.contains(&"disk"), true);
    assert_eq!(total(&search, "disk").await as usize, disk.len());
}

#[tokio::test]
async fn one_stream_only() {
    let (store, _) = store_with_dataset().await;
    let search = TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap();
    let scope = ReindexScope::Stream(StreamId::parse("acme:jobs:1").unwrap());
    let report = reindex(&store, &search, &scope, &options(), None)
        .await
        .unwrap();
    // Indexes 1, 4, 7, ...: 333 events, of which those divisible by 10 are health checks.
    let health = (0..1_000).filter(|i| i % 3 == 1 && i % 10 == 0).count() as u64;
    assert_eq!(report.indexed + report.skipped, 333);
    assert_eq!(report.skipped, health);
    assert_eq!(total(&search, "").await as u64, report.indexed);
}

#[tokio::test]
async fn a_failed_batch_is_retried_in_chunks_of_a_tenth() {
    let (store, _) = store_with_dataset().await;
    let (faulty, _) = faulty_search(
        TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap(),
        10,
        usize::MAX,
    );
    let report = reindex(&store, &faulty, &ReindexScope::All, &options(), None)
        .await
        .unwrap();
    assert_eq!(report.indexed, 900);
    assert_eq!(report.retried_batches, 10);
    assert_eq!(total(&faulty, "").await, 900);
}

#[tokio::test]
async fn a_stopped_run_resumes_from_its_cursor() {
    let (store, _) = store_with_dataset().await;
    let search = TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap();
    let (faulty, _) = faulty_search(search.clone(), usize::MAX, 4);
    let stopped = reindex(&store, &faulty, &ReindexScope::All, &options(), None)
        .await
        .unwrap_err();
    assert_eq!(stopped.error.code(), Code::Unavailable);
    assert_eq!(stopped.report.batches, 4);
    assert_eq!(stopped.report.cursor.read, 400);
    assert_eq!(total(&search, "").await as u64, stopped.report.indexed);

    let (counting, calls) = faulty_search(search.clone(), usize::MAX, usize::MAX);
    let resumed = reindex(
        &store,
        &counting,
        &ReindexScope::All,
        &options(),
        Some(stopped.report.cursor.clone()),
    )
    .await
    .unwrap();
    assert_eq!(resumed.cursor.read, 1_000);
    assert_eq!(stopped.report.indexed + resumed.indexed, 900);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        6,
        "only the remaining batches"
    );
    assert_eq!(total(&search, "").await, 900);

    // One stream: resumes after the last occurred_at.
    let stream = ReindexScope::Stream(StreamId::parse("acme:jobs:2").unwrap());
    let fresh = TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap();
    let (faulty, _) = faulty_search(fresh.clone(), usize::MAX, 1);
    let stopped = reindex(&store, &faulty, &stream, &options(), None)
        .await
        .unwrap_err();
    assert!(stopped.report.cursor.last_occurred_at.is_some());
    let resumed = reindex(
        &store,
        &fresh,
        &stream,
        &options(),
        Some(stopped.report.cursor),
    )
    .await
    .unwrap();
    assert_eq!(
        stopped.report.indexed + resumed.indexed,
        total(&fresh, "").await as u64
    );
    assert_eq!(
        stopped.report.indexed + stopped.report.skipped + resumed.indexed + resumed.skipped,
        333
    );
}
