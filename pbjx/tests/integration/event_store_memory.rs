//! The shared conformance suite against [`InMemoryEventStore`].

use std::sync::Arc;

use pbjx::event_store::{EventStore, InMemoryEventStore};
use pbjx::testkit::event_store as conformance;

/// Every check of the suite, on one shared store (as the durable backends run it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_suite() {
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    conformance::run_all(store).await;
}

/// The 20-writer race on its own, on a multi-thread runtime: the writers run on four worker
/// threads and contend for the store's lock for real.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_race_on_worker_threads() {
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    conformance::check_concurrent_writers(store, 20, 50).await;
}

/// The race refuses to run where it cannot race: on a current-thread runtime the in-memory
/// store's writers never interleave, so the check would prove nothing.
#[tokio::test]
#[should_panic(expected = "multi-thread runtime")]
async fn concurrent_writers_refuse_a_current_thread_runtime() {
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    conformance::check_concurrent_writers(store, 20, 10).await;
}
