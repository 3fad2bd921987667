//! Event-store outboxes: publishers that read committed events from an event store and
//! publish them ([`crate::Pbjx::publish_frozen`], i.e. through the exchange's transport, e.g.
//! Kinesis), checkpointed in a [`CheckpointStore`](super::CheckpointStore), so that
//! "appended" implies "published" without the window of
//! [`crate::event_store::TwoPhaseCommitEventStore`] (a crash between append and publish).
//!
//! - **Per-stream order**: events are published one after the other in the store's commit
//!   order (the SQLite store's global position; the DynamoDB table's stream, where all events
//!   of one stream share a partition key and so a shard lineage, read parent first).
//! - **At-least-once**: the checkpoint moves after each batch; a crash re-publishes at most
//!   the batch in flight.
//! - **Never skips a publishable event**: a publish that fails (a transport error after its
//!   own retries) is retried with backoff until it succeeds or the outbox is cancelled; only
//!   records that are not events at all (corrupt rows, non-events) are counted as poison,
//!   logged and skipped.
//! - **One publisher at a time** per group: the lease of the source (`global` for SQLite,
//!   each shard for DynamoDB) is held in the checkpoint store.

#[cfg(feature = "outbox-dynamodb")]
pub mod dynamodb;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use pbj::Message;

use super::{CancellationToken, Counters, Delivery};
use crate::error::Error;
use crate::exchange::Pbjx;
use crate::retry::RetryPolicy;

/// How an outbox reads and publishes.
///
/// ```
/// use std::time::Duration;
/// use pbjx::consumer::outbox::OutboxOptions;
/// let options = OutboxOptions::new("blog-events").with_batch_size(200);
/// assert_eq!(options.group(), "blog-events");
/// ```
#[derive(Debug, Clone)]
pub struct OutboxOptions {
    group: String,
    owner: Option<String>,
    batch_size: usize,
    lease_ttl: Duration,
    idle_wait: Duration,
    retry: RetryPolicy,
}

impl OutboxOptions {
    /// Options for the consumer group `group` (its checkpoints and leases): batches of 100
    /// events, 10 s leases, 250 ms pauses when idle, failed publishes retried with backoff of
    /// up to 5 s (without a limit).
    pub fn new(group: impl Into<String>) -> Self {
        Self {
            group: group.into(),
            owner: None,
            batch_size: 100,
            lease_ttl: Duration::from_secs(10),
            idle_wait: Duration::from_millis(250),
            retry: RetryPolicy::default()
                .with_base_delay(Duration::from_millis(50))
                .with_max_delay(Duration::from_secs(5)),
        }
    }

    /// The owner id of the leases (default: random).
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// Events per batch (the checkpoint interval; at least 1).
    pub fn with_batch_size(mut self, events: usize) -> Self {
        self.batch_size = events.max(1);
        self
    }

    /// How long a lease lasts without renewal.
    pub fn with_lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// The pause when there is nothing new.
    pub fn with_idle_wait(mut self, wait: Duration) -> Self {
        self.idle_wait = wait;
        self
    }

    /// The backoff between attempts at publishing one event (its attempt limit is ignored:
    /// an outbox never gives up on an event).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The consumer group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// Events per batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
}

/// Publishes one committed event, retrying until it is published (`true`) or the outbox is
/// cancelled (`false`: not published, do not checkpoint it). An event the exchange refuses
/// for good (not an event) is counted as poison and skipped (`true`).
#[cfg_attr(not(any(feature = "sqlite", feature = "kinesis")), allow(dead_code))]
pub(crate) async fn publish(
    pbjx: &Pbjx,
    event: Arc<dyn Message>,
    retry: &RetryPolicy,
    counters: &Counters,
    cancel: &CancellationToken,
    location: &str,
) -> bool {
    let mut attempt = 0u32;
    loop {
        attempt = attempt.saturating_add(1);
        match pbjx.publish_frozen(event.clone()).await {
            Ok(()) => {
                counters.count(&Delivery::Handled);
                return true;
            }
            Err(e @ Error::WrongMessageKind { .. }) => {
                tracing::error!(target: "pbjx.consumer.outbox", location, error = %e, "not an event; skipped");
                counters.count(&Delivery::Poison(e));
                return true;
            }
            Err(e) => {
                let wait = retry.delay(attempt.min(32));
                tracing::warn!(target: "pbjx.consumer.outbox", location, attempt, code = %e.code(), error = %e, retry_in = ?wait, "publish failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = cancel.cancelled() => return false,
                }
            }
        }
    }
}
