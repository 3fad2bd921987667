//! The shared conformance suite against [`InMemoryEventStore`].

use std::sync::Arc;

use pbjx::event_store::{EventStore, InMemoryEventStore, conformance};

/// Every check of the suite, on one shared store (as the durable backends run it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_suite() {
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    conformance::run_all(store).await;
}

/// The race on a current-thread runtime too (interleaved writers).
#[tokio::test]
async fn concurrent_writers_current_thread() {
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    conformance::check_concurrent_writers(store, 20, 10).await;
}
