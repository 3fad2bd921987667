//! The Kinesis consumer (feature `kinesis`): reads every shard of a stream with
//! `GetShardIterator` / `GetRecords`, following resharding, and hands the envelopes to the
//! exchange (see the [consumer module docs](super) for the semantics).

mod shards;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::ShardIteratorType;

use super::deliver::{Delivery, deliver_envelope};
use super::{
    CheckpointStore, Consumer, ConsumerReport, Counters, DeadLetter, DeadLetterSink, now_millis,
    random_owner,
};
use crate::aws::{classify, error_code, transport_error};
use crate::consumer::CancellationToken;
use crate::error::Result;
use crate::exchange::Pbjx;

/// The checkpoint of a shard read to its end.
pub const SHARD_END: &str = "SHARD_END";

/// How a [`KinesisConsumer`] reads.
///
/// ```
/// use std::time::Duration;
/// use pbjx::consumer::kinesis::KinesisConsumerOptions;
/// let options = KinesisConsumerOptions::default()
///     .with_group("billing/orders")
///     .with_batch_size(200)
///     .with_lease_ttl(Duration::from_secs(30));
/// assert_eq!(options.batch_size(), 200);
/// ```
#[derive(Debug, Clone)]
pub struct KinesisConsumerOptions {
    group: Option<String>,
    owner: Option<String>,
    batch_size: i32,
    lease_ttl: Duration,
    idle_wait: Duration,
    shard_refresh: Duration,
    max_shards: usize,
    start_at_latest: bool,
}

impl Default for KinesisConsumerOptions {
    /// Group = the stream name, a random owner id, batches of 100 records, 10 s leases, 250 ms
    /// between polls of idle shards, shards listed every 5 s, no shard limit, new groups start
    /// at the oldest record (`TRIM_HORIZON`).
    fn default() -> Self {
        Self {
            group: None,
            owner: None,
            batch_size: 100,
            lease_ttl: Duration::from_secs(10),
            idle_wait: Duration::from_millis(250),
            shard_refresh: Duration::from_secs(5),
            max_shards: usize::MAX,
            start_at_latest: false,
        }
    }
}

impl KinesisConsumerOptions {
    /// The consumer group (the key of its leases and checkpoints; default: the stream name).
    /// Consumers of one group share the shards; each group reads every record.
    pub fn with_group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// The owner id written into leases (default: random per consumer).
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// Records per `GetRecords` call (1 to 10,000): the checkpoint interval, so also the bound
    /// of records handled twice per shard after a crash.
    pub fn with_batch_size(mut self, records: i32) -> Self {
        self.batch_size = records.clamp(1, 10_000);
        self
    }

    /// How long a lease lasts without renewal (renewed by every checkpoint and every third of
    /// it while idle); a dead consumer's shards are taken over after it.
    pub fn with_lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// The pause when no shard had records.
    pub fn with_idle_wait(mut self, wait: Duration) -> Self {
        self.idle_wait = wait;
        self
    }

    /// How often shards and leases are looked at again (new shards, expired leases).
    pub fn with_shard_refresh(mut self, every: Duration) -> Self {
        self.shard_refresh = every;
        self
    }

    /// The most shards this consumer holds at once.
    pub fn with_max_shards(mut self, shards: usize) -> Self {
        self.max_shards = shards.max(1);
        self
    }

    /// Start shards without a checkpoint at the newest record (`LATEST`) instead of the oldest.
    pub fn with_start_at_latest(mut self, latest: bool) -> Self {
        self.start_at_latest = latest;
        self
    }

    /// Records per `GetRecords` call.
    pub fn batch_size(&self) -> i32 {
        self.batch_size
    }
}

/// A shard this consumer holds.
struct ShardState {
    iterator: Option<String>,
    /// The last sequence number of the shard once it is closed (from `ListShards`).
    ending: Option<String>,
    last_sequence: Option<String>,
    renewed: Instant,
}

/// What one poll of a shard did.
enum Polled {
    Records,
    Empty,
    /// The lease went to another owner.
    Lost,
    /// The shard is closed and read to its end.
    Finished,
}

/// Reads a Kinesis stream and hands every command and event to an exchange
/// ([`crate::Pbjx::receive_command`] / [`crate::Pbjx::receive_event`]); see the
/// [consumer module docs](super) for the guarantees.
///
/// ```no_run
/// use std::sync::Arc;
/// use pbjx::Pbjx;
/// use pbjx::consumer::{CancellationToken, Consumer, SqliteCheckpointStore, CheckpointStore};
/// use pbjx::consumer::kinesis::{KinesisConsumer, KinesisConsumerOptions};
///
/// # async fn demo(pbjx: Pbjx) -> pbjx::Result<()> {
/// let client = aws_sdk_kinesis::Client::new(&pbjx::aws::config_from_env().await);
/// let checkpoints = SqliteCheckpointStore::open("checkpoints.db")?;
/// checkpoints.create_storage().await?;
/// let consumer = KinesisConsumer::new(client, "commands", pbjx, Arc::new(checkpoints),
///     KinesisConsumerOptions::default().with_group("billing/commands"));
/// let cancel = CancellationToken::new();
/// // Cancel it from a signal handler; `run` then finishes its batch and checkpoints.
/// let report = consumer.run(cancel.clone()).await?;
/// println!("handled {} messages", report.handled);
/// # Ok(()) }
/// ```
pub struct KinesisConsumer {
    client: Client,
    stream: String,
    pbjx: Pbjx,
    store: Arc<dyn CheckpointStore>,
    dead_letters: Option<Arc<dyn DeadLetterSink>>,
    options: KinesisConsumerOptions,
    group: String,
    owner: String,
    counters: Counters,
}

impl std::fmt::Debug for KinesisConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KinesisConsumer")
            .field("stream", &self.stream)
            .field("group", &self.group)
            .field("owner", &self.owner)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl KinesisConsumer {
    /// A consumer of `stream` handing messages to `pbjx`, with leases and checkpoints in
    /// `store`.
    pub fn new(
        client: Client,
        stream: impl Into<String>,
        pbjx: Pbjx,
        store: Arc<dyn CheckpointStore>,
        options: KinesisConsumerOptions,
    ) -> Self {
        let stream = stream.into();
        let group = options.group.clone().unwrap_or_else(|| stream.clone());
        let owner = options
            .owner
            .clone()
            .unwrap_or_else(|| random_owner("kinesis"));
        Self {
            client,
            stream,
            pbjx,
            store,
            dead_letters: None,
            options,
            group,
            owner,
            counters: Counters::default(),
        }
    }

    /// Writes skipped records (poison, failed handlers) to `sink`.
    pub fn with_dead_letters(mut self, sink: Arc<dyn DeadLetterSink>) -> Self {
        self.dead_letters = Some(sink);
        self
    }

    /// The owner id of this consumer's leases.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The consumer group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// What the consumer did so far (also while it runs).
    pub fn report(&self) -> ConsumerReport {
        self.counters.report()
    }

    /// Takes the leases of the shards this consumer should read now.
    async fn refresh(&self, owned: &mut BTreeMap<String, ShardState>) {
        let shards = match shards::list_shards(&self.client, &self.stream).await {
            Ok(shards) => shards,
            Err(e) => {
                tracing::warn!(target: "pbjx.consumer.kinesis", stream = %self.stream, error = %e, "cannot list shards; will retry");
                return;
            }
        };
        let leases = match self.store.leases(&self.group).await {
            Ok(leases) => leases,
            Err(e) => {
                tracing::warn!(target: "pbjx.consumer.kinesis", group = %self.group, error = %e, "cannot read leases; will retry");
                return;
            }
        };
        for shard in &shards {
            if let Some(state) = owned.get_mut(&shard.id) {
                state.ending.clone_from(&shard.ending_sequence);
            }
        }
        let held: HashSet<String> = owned.keys().cloned().collect();
        let picked = crate::consumer::shards::candidates(
            &shards,
            &leases,
            &self.owner,
            &held,
            self.options.max_shards,
            now_millis(),
        );
        for shard in picked {
            let ending = shards
                .iter()
                .find(|s| s.id == shard)
                .and_then(|s| s.ending_sequence.clone());
            match self
                .store
                .acquire(&self.group, &shard, &self.owner, self.options.lease_ttl)
                .await
            {
                Ok(Some(lease)) if !lease.finished => {
                    tracing::info!(target: "pbjx.consumer.kinesis", stream = %self.stream, shard = %shard, owner = %self.owner, checkpoint = ?lease.checkpoint, "took the lease of a shard");
                    owned.insert(
                        shard,
                        ShardState {
                            iterator: None,
                            ending,
                            last_sequence: lease.checkpoint,
                            renewed: Instant::now(),
                        },
                    );
                }
                Ok(Some(_)) => {
                    let _ = self.store.release(&self.group, &shard, &self.owner).await;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(target: "pbjx.consumer.kinesis", shard = %shard, error = %e, "cannot take a lease; will retry");
                }
            }
        }
    }

    /// A shard iterator for a shard: after its checkpoint, or at the start position.
    async fn iterator(&self, shard: &str, state: &ShardState) -> Result<Option<String>> {
        let request = self
            .client
            .get_shard_iterator()
            .stream_name(&self.stream)
            .shard_id(shard);
        let request = match &state.last_sequence {
            Some(sequence) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(sequence),
            None if self.options.start_at_latest => {
                request.shard_iterator_type(ShardIteratorType::Latest)
            }
            None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        let out = request.send().await.map_err(|e| {
            transport_error(
                "kinesis",
                &format!("GetShardIterator of [{}/{shard}]", self.stream),
                e,
            )
        })?;
        Ok(out.shard_iterator().map(str::to_owned))
    }

    /// Reads and handles one batch of a shard, then checkpoints it.
    async fn poll(&self, shard: &str, state: &mut ShardState) -> Polled {
        if state.iterator.is_none() {
            match self.iterator(shard, state).await {
                Ok(Some(iterator)) => state.iterator = Some(iterator),
                Ok(None) => return self.finish(shard, state).await,
                Err(e) => {
                    tracing::warn!(target: "pbjx.consumer.kinesis", error = %e, "cannot get a shard iterator; will retry");
                    return Polled::Empty;
                }
            }
        }
        let iterator = state.iterator.clone().unwrap_or_default();
        let out = match self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(self.options.batch_size)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                if error_code(&e) == Some("ExpiredIteratorException") {
                    state.iterator = None;
                } else {
                    let retryable = classify(&e).is_retryable();
                    tracing::warn!(target: "pbjx.consumer.kinesis", stream = %self.stream, shard, retryable, error = %crate::aws::transport_error("kinesis", "GetRecords", e), "cannot read a shard; will retry");
                }
                return Polled::Empty;
            }
        };
        let source = format!("{}/{shard}", self.stream);
        for record in out.records() {
            let sequence = record.sequence_number();
            let data = record.data().as_ref();
            let delivery = deliver_envelope(&self.pbjx, data).await;
            self.counters.count(&delivery);
            if let Delivery::Poison(error) | Delivery::Failed(error) = delivery {
                self.skip(&source, sequence, data, error).await;
            }
            state.last_sequence = Some(sequence.to_owned());
        }
        state.iterator = out.next_shard_iterator().map(str::to_owned);
        // The end of a closed shard: no next iterator, or (for services that keep handing
        // out iterators of closed shards) its ending sequence number reached, or nothing
        // left to read in it.
        let at_end = match (&state.ending, &state.last_sequence) {
            (Some(end), Some(last)) => crate::consumer::shards::sequence_at_least(last, end),
            (Some(_), None) => out.records().is_empty() && out.millis_behind_latest() == Some(0),
            (None, _) => false,
        };
        if state.iterator.is_none() || at_end {
            return self.finish(shard, state).await;
        }
        if out.records().is_empty() {
            if state.renewed.elapsed() > self.options.lease_ttl / 3 {
                match self
                    .store
                    .acquire(&self.group, shard, &self.owner, self.options.lease_ttl)
                    .await
                {
                    Ok(Some(_)) => state.renewed = Instant::now(),
                    Ok(None) => return Polled::Lost,
                    Err(e) => {
                        tracing::warn!(target: "pbjx.consumer.kinesis", shard, error = %e, "cannot renew a lease; will retry");
                    }
                }
            }
            return Polled::Empty;
        }
        let sequence = state.last_sequence.clone().unwrap_or_default();
        if self.save(shard, &sequence, false).await == Some(false) {
            return Polled::Lost;
        }
        state.renewed = Instant::now();
        Polled::Records
    }

    /// Records the end of a closed shard (its children can start).
    async fn finish(&self, shard: &str, state: &mut ShardState) -> Polled {
        tracing::info!(target: "pbjx.consumer.kinesis", stream = %self.stream, shard, last = ?state.last_sequence, "shard read to its end");
        match self.save(shard, SHARD_END, true).await {
            Some(false) => Polled::Lost,
            Some(true) => Polled::Finished,
            // Not recorded: read the end again on the next poll.
            None => {
                state.iterator = None;
                Polled::Empty
            }
        }
    }

    /// Writes a checkpoint: `Some(false)` when the lease is lost, `None` when the store failed.
    async fn save(&self, shard: &str, checkpoint: &str, finished: bool) -> Option<bool> {
        match self
            .store
            .checkpoint(
                &self.group,
                shard,
                &self.owner,
                checkpoint,
                finished,
                self.options.lease_ttl,
            )
            .await
        {
            Ok(true) => {
                self.counters.checkpointed();
                Some(true)
            }
            Ok(false) => {
                tracing::warn!(target: "pbjx.consumer.kinesis", stream = %self.stream, shard, owner = %self.owner, "lease lost to another consumer; leaving the shard");
                Some(false)
            }
            Err(e) => {
                tracing::warn!(target: "pbjx.consumer.kinesis", stream = %self.stream, shard, error = %e, "checkpoint failed; the next one covers this batch");
                None
            }
        }
    }

    /// Logs and dead-letters a record that was not handled.
    async fn skip(&self, source: &str, sequence: &str, data: &[u8], error: crate::Error) {
        tracing::error!(target: "pbjx.consumer.kinesis", source, sequence, error = %error, "record skipped");
        if let Some(sink) = &self.dead_letters {
            let letter = DeadLetter {
                source: source.to_owned(),
                sequence: sequence.to_owned(),
                data: data.to_vec(),
                error,
            };
            if let Err(e) = sink.put(letter).await {
                tracing::error!(target: "pbjx.consumer.kinesis", source, sequence, error = %e, "dead-letter sink failed");
            }
        }
    }
}

#[async_trait::async_trait]
impl Consumer for KinesisConsumer {
    fn name(&self) -> &str {
        "kinesis"
    }

    async fn run(&self, cancel: CancellationToken) -> Result<ConsumerReport> {
        let mut owned: BTreeMap<String, ShardState> = BTreeMap::new();
        let mut next_refresh = Instant::now();
        while !cancel.is_cancelled() {
            if Instant::now() >= next_refresh {
                self.refresh(&mut owned).await;
                next_refresh = Instant::now() + self.options.shard_refresh;
            }
            let mut busy = false;
            let shards: Vec<String> = owned.keys().cloned().collect();
            for shard in shards {
                if cancel.is_cancelled() {
                    break;
                }
                let Some(state) = owned.get_mut(&shard) else {
                    continue;
                };
                match self.poll(&shard, state).await {
                    Polled::Records => busy = true,
                    Polled::Empty => {}
                    Polled::Lost => {
                        owned.remove(&shard);
                    }
                    Polled::Finished => {
                        owned.remove(&shard);
                        // Its children may start now.
                        next_refresh = Instant::now();
                    }
                }
            }
            if !busy {
                tokio::select! {
                    () = tokio::time::sleep(self.options.idle_wait) => {}
                    () = cancel.cancelled() => {}
                }
            }
        }
        for shard in owned.keys() {
            if let Err(e) = self.store.release(&self.group, shard, &self.owner).await {
                tracing::warn!(target: "pbjx.consumer.kinesis", shard, error = %e, "cannot release a lease; it expires on its own");
            }
        }
        Ok(self.counters.report())
    }
}
