//! Consumers: processes that read messages from a stream and hand them to this process's
//! exchange ([`crate::Pbjx::receive_command`] / [`crate::Pbjx::receive_event`]), the other end
//! of the stream transports.
//!
//! # Semantics every consumer keeps
//! - **At-least-once**: a record is checkpointed only after it was handled, so a consumer
//!   that dies re-reads at most what came after its last checkpoint (one batch per shard:
//!   the checkpoint interval). Handlers must tolerate duplicates.
//! - **Order**: records of one shard (one partition key) are handled one after the other, in
//!   the shard's order; a parent shard is finished before its children after a reshard.
//! - **Leases**: a consumer handles a shard only while it holds the shard's lease in the
//!   [`CheckpointStore`]; several consumer processes of one group share the shards (each takes
//!   free or expired leases, up to a fair share), and a shard whose owner died is taken over
//!   once its lease expired.
//! - **Poison records** (not an envelope, unknown schema, invalid message, a request) are
//!   counted, logged with their shard and sequence number, written to the [`DeadLetterSink`]
//!   if one is set, and skipped: they never stop the consumer. A message whose handler fails
//!   is counted as failed, logged and dead-lettered the same way (it is not retried).
//! - **Shutdown**: cancelling the [`CancellationToken`] given to [`Consumer::run`] lets the
//!   batch in flight finish, checkpoints it, releases the leases and returns the report.
//!   Killing the process instead loses nothing: the next owner resumes from the checkpoint.

pub mod checkpoint;
mod deliver;
#[cfg(feature = "kinesis")]
pub mod kinesis;
pub mod outbox;
#[cfg(any(feature = "kinesis", feature = "outbox-dynamodb"))]
mod shards;

#[cfg(feature = "dynamodb")]
pub use checkpoint::dynamodb::DynamoDbCheckpointStore;
#[cfg(feature = "sqlite")]
pub use checkpoint::sqlite::SqliteCheckpointStore;
pub use checkpoint::{CheckpointStore, Lease, MemoryCheckpointStore};
pub use deliver::{Delivery, deliver_envelope};
pub use tokio_util::sync::CancellationToken;

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// A long-running reader of a stream; see the [module docs](self) for the semantics.
#[async_trait::async_trait]
pub trait Consumer: Send + Sync + 'static {
    /// The consumer's name, e.g. `kinesis`.
    fn name(&self) -> &str;
    /// Runs until `cancel` is cancelled (then finishes the batch in flight, checkpoints and
    /// releases its leases) and returns what it did. Errors of the stream or the checkpoint
    /// store are logged and retried, never returned; `Err` means the consumer could not start.
    async fn run(&self, cancel: CancellationToken) -> Result<ConsumerReport>;
}

/// What a consumer did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsumerReport {
    /// Messages handled without error.
    pub handled: u64,
    /// Messages whose handler failed (logged and dead-lettered, not retried).
    pub failed: u64,
    /// Records that are not a message this consumer can handle (skipped).
    pub poison: u64,
    /// Checkpoints written.
    pub checkpoints: u64,
}

/// The counters behind a [`ConsumerReport`], shared with the consumer's tasks.
#[cfg_attr(not(any(feature = "sqlite", feature = "kinesis")), allow(dead_code))]
#[derive(Debug, Default)]
pub(crate) struct Counters {
    handled: AtomicU64,
    failed: AtomicU64,
    poison: AtomicU64,
    checkpoints: AtomicU64,
}

#[cfg_attr(not(any(feature = "sqlite", feature = "kinesis")), allow(dead_code))]
impl Counters {
    pub(crate) fn count(&self, delivery: &Delivery) {
        let counter = match delivery {
            Delivery::Handled => &self.handled,
            Delivery::Failed(_) => &self.failed,
            Delivery::Poison(_) => &self.poison,
        };
        counter.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn checkpointed(&self) {
        self.checkpoints.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn report(&self) -> ConsumerReport {
        ConsumerReport {
            handled: self.handled.load(Ordering::Acquire),
            failed: self.failed.load(Ordering::Acquire),
            poison: self.poison.load(Ordering::Acquire),
            checkpoints: self.checkpoints.load(Ordering::Acquire),
        }
    }
}

/// A record a consumer skipped: where it was, its bytes and why.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// The stream and shard, e.g. `orders/shardId-000000000001`.
    pub source: String,
    /// The record's sequence number (or global position).
    pub sequence: String,
    /// The record's bytes.
    pub data: Vec<u8>,
    /// Why it was skipped.
    pub error: Error,
}

/// Where a consumer writes the records it skips (optional). A failing sink is logged; the
/// record is skipped anyway.
///
/// `tokio::sync::mpsc::UnboundedSender<DeadLetter>` is a sink:
///
/// ```
/// use pbjx::consumer::{DeadLetter, DeadLetterSink};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (sink, mut letters) = tokio::sync::mpsc::unbounded_channel::<DeadLetter>();
/// let letter = DeadLetter {
///     source: "orders/shardId-000000000000".into(),
///     sequence: "49".into(),
///     data: b"not json".to_vec(),
///     error: pbjx::Error::InvalidArgument { message: "not an envelope".into() },
/// };
/// sink.put(letter).await?;
/// assert_eq!(letters.recv().await.unwrap().sequence, "49");
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
#[async_trait::async_trait]
pub trait DeadLetterSink: Send + Sync + 'static {
    /// Stores one skipped record.
    async fn put(&self, letter: DeadLetter) -> Result<()>;
}

#[async_trait::async_trait]
impl DeadLetterSink for tokio::sync::mpsc::UnboundedSender<DeadLetter> {
    async fn put(&self, letter: DeadLetter) -> Result<()> {
        self.send(letter)
            .map_err(|_| Error::transport("dead-letter", "the dead-letter receiver is gone"))
    }
}

/// A random owner id for a consumer process (leases name it).
#[cfg_attr(not(any(feature = "sqlite", feature = "kinesis")), allow(dead_code))]
pub(crate) fn random_owner(prefix: &str) -> String {
    format!("{prefix}-{:016x}", fastrand::u64(..))
}

/// Milliseconds since the Unix epoch (lease clocks).
pub(crate) fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
