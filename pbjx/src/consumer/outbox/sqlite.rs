//! [`SqliteOutbox`]: publishes the SQLite event store's events in global-position order.

use std::sync::Arc;

use super::{OutboxOptions, publish};
use crate::consumer::{
    CancellationToken, CheckpointStore, Consumer, ConsumerReport, Counters, Delivery, random_owner,
};
use crate::error::Result;
use crate::event_store::{PositionedEvent, SqliteEventStore};
use crate::exchange::Pbjx;

/// The one source of a SQLite outbox: the store's global position.
pub const GLOBAL: &str = "global";

/// Publishes every event appended to a [`SqliteEventStore`], in global-position order (so in
/// order per stream), checkpointing the position (see the [outbox docs](super)).
///
/// ```
/// use std::sync::Arc;
/// use pbjx::Pbjx;
/// use pbjx::consumer::{CancellationToken, CheckpointStore, Consumer, MemoryCheckpointStore};
/// use pbjx::consumer::outbox::{OutboxOptions, sqlite::SqliteOutbox};
/// use pbjx::event_store::{EventStore, ExpectedState, SqliteEventStore, StreamId};
/// use pbjx::pbj::Message;
/// use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
///
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// let store = SqliteEventStore::open_in_memory(pbjx::registry())?;
/// store.create_storage().await?;
/// let mut event = HealthCheckedV1::new();
/// event.freeze();
/// store.put_events(&StreamId::parse("acme:article:1")?, vec![Arc::new(event)], ExpectedState::Any).await?;
///
/// let published = Arc::new(std::sync::atomic::AtomicU64::new(0));
/// let count = published.clone();
/// let pbjx = Pbjx::builder() // in production: a Kinesis transport
///     .subscribe(move |_e: Arc<HealthCheckedV1>, _pbjx| {
///         count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
///         async { Ok(()) }
///     })
///     .build()?;
/// let outbox = Arc::new(SqliteOutbox::new(store, pbjx, Arc::new(MemoryCheckpointStore::default()),
///     OutboxOptions::new("articles")));
/// let cancel = CancellationToken::new();
/// let running = tokio::spawn({ let (o, c) = (outbox.clone(), cancel.clone()); async move { o.run(c).await } });
/// while outbox.report().handled < 1 { tokio::time::sleep(std::time::Duration::from_millis(5)).await; }
/// cancel.cancel();
/// running.await.unwrap()?;
/// assert_eq!(published.load(std::sync::atomic::Ordering::SeqCst), 1);
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
pub struct SqliteOutbox {
    store: SqliteEventStore,
    pbjx: Pbjx,
    checkpoints: Arc<dyn CheckpointStore>,
    options: OutboxOptions,
    owner: String,
    counters: Counters,
}

impl std::fmt::Debug for SqliteOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteOutbox")
            .field("options", &self.options)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl SqliteOutbox {
    /// An outbox of `store` publishing through `pbjx`, checkpointed in `checkpoints`.
    pub fn new(
        store: SqliteEventStore,
        pbjx: Pbjx,
        checkpoints: Arc<dyn CheckpointStore>,
        options: OutboxOptions,
    ) -> Self {
        let owner = options
            .owner
            .clone()
            .unwrap_or_else(|| random_owner("outbox"));
        Self {
            store,
            pbjx,
            checkpoints,
            options,
            owner,
            counters: Counters::default(),
        }
    }

    /// What the outbox did so far: `handled` = events published.
    pub fn report(&self) -> ConsumerReport {
        self.counters.report()
    }

    /// Up to a batch of events after `position`.
    async fn batch(&self, position: u64) -> Result<Vec<PositionedEvent>> {
        let mut stream = self.store.pipe_all_from(position);
        let mut batch = Vec::new();
        while batch.len() < self.options.batch_size {
            let next = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await;
            match next {
                Some(item) => batch.push(item?),
                None => break,
            }
        }
        Ok(batch)
    }

    async fn idle(&self, cancel: &CancellationToken) {
        tokio::select! {
            () = tokio::time::sleep(self.options.idle_wait) => {}
            () = cancel.cancelled() => {}
        }
    }
}

#[async_trait::async_trait]
impl Consumer for SqliteOutbox {
    fn name(&self) -> &str {
        "outbox_sqlite"
    }

    async fn run(&self, cancel: CancellationToken) -> Result<ConsumerReport> {
        let group = self.options.group.as_str();
        let ttl = self.options.lease_ttl;
        let mut held = false;
        while !cancel.is_cancelled() {
            let lease = match self
                .checkpoints
                .acquire(group, GLOBAL, &self.owner, ttl)
                .await
            {
                Ok(Some(lease)) => lease,
                Ok(None) => {
                    held = false;
                    self.idle(&cancel).await;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(target: "pbjx.consumer.outbox", group, error = %e, "cannot take the lease; will retry");
                    self.idle(&cancel).await;
                    continue;
                }
            };
            held = true;
            let start = lease
                .checkpoint
                .as_deref()
                .and_then(|c| c.parse::<u64>().ok())
                .unwrap_or(0);
            let batch = match self.batch(start).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(target: "pbjx.consumer.outbox", group, error = %e, "cannot read the event store; will retry");
                    self.idle(&cancel).await;
                    continue;
                }
            };
            if batch.is_empty() {
                self.idle(&cancel).await;
                continue;
            }
            let mut done = None;
            for item in batch {
                let location = format!("position {}", item.position);
                match item.event {
                    Ok(stored) => {
                        let published = publish(
                            &self.pbjx,
                            stored.event,
                            &self.options.retry,
                            &self.counters,
                            &cancel,
                            &location,
                        )
                        .await;
                        if !published {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::error!(target: "pbjx.consumer.outbox", group, location, error = %e, "corrupt row skipped");
                        self.counters.count(&Delivery::Poison(e));
                    }
                }
                done = Some(item.position);
            }
            if let Some(position) = done {
                match self
                    .checkpoints
                    .checkpoint(
                        group,
                        GLOBAL,
                        &self.owner,
                        &position.to_string(),
                        false,
                        ttl,
                    )
                    .await
                {
                    Ok(true) => self.counters.checkpointed(),
                    Ok(false) => {
                        tracing::warn!(target: "pbjx.consumer.outbox", group, "lease lost; another outbox publishes now");
                        held = false;
                    }
                    Err(e) => {
                        tracing::warn!(target: "pbjx.consumer.outbox", group, error = %e, "checkpoint failed; the batch will be published again");
                    }
                }
            }
        }
        if held && let Err(e) = self.checkpoints.release(group, GLOBAL, &self.owner).await {
            tracing::warn!(target: "pbjx.consumer.outbox", group, error = %e, "cannot release the lease; it expires on its own");
        }
        Ok(self.counters.report())
    }
}
