//! [`DynamoDbOutbox`]: publishes the events of the DynamoDB event table's stream (feature
//! `outbox-dynamodb`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue as TableValue;
use aws_sdk_dynamodbstreams::Client as StreamsClient;
use aws_sdk_dynamodbstreams::types::{
    AttributeValue as StreamValue, OperationType, ShardIteratorType,
};

use super::{OutboxOptions, publish};
use crate::aws::{storage_error, transport_error};
use crate::consumer::shards::{ShardInfo, candidates, sequence_at_least};
use crate::consumer::{
    CancellationToken, CheckpointStore, Consumer, ConsumerReport, Counters, Delivery, now_millis,
    random_owner,
};
use crate::error::{Code, Error, Result};
use crate::event_store::dynamodb::{DynamoDbEventStore, RANGE_KEY_NAME};
use crate::exchange::Pbjx;

/// The checkpoint of a shard read to its end.
const SHARD_END: &str = "SHARD_END";

/// How often the stream's shards are listed again.
const SHARD_REFRESH: Duration = Duration::from_secs(5);

/// Publishes every event written to a [`DynamoDbEventStore`]'s table, read from the table's
/// DynamoDB stream (`INSERT` records of event items; the table is created with a `NEW_IMAGE`
/// stream), shard by shard with parents first, checkpointed per shard (see the
/// [outbox docs](super)). Several outbox processes of one group share the shards through
/// leases.
///
/// ```no_run
/// use std::sync::Arc;
/// use pbjx::Pbjx;
/// use pbjx::consumer::{CancellationToken, Consumer, DynamoDbCheckpointStore};
/// use pbjx::consumer::outbox::{OutboxOptions, dynamodb::DynamoDbOutbox};
/// use pbjx::event_store::dynamodb::DynamoDbEventStore;
///
/// # async fn demo(store: DynamoDbEventStore, pbjx: Pbjx) -> pbjx::Result<()> {
/// let config = pbjx::aws::config_from_env().await;
/// let streams = aws_sdk_dynamodbstreams::Client::new(&config);
/// let checkpoints = DynamoDbCheckpointStore::new(aws_sdk_dynamodb::Client::new(&config), "acme-outbox");
/// let outbox = DynamoDbOutbox::new(store, streams, pbjx, Arc::new(checkpoints), OutboxOptions::new("acme-events"));
/// outbox.run(CancellationToken::new()).await?;
/// # Ok(()) }
/// ```
pub struct DynamoDbOutbox {
    store: DynamoDbEventStore,
    streams: StreamsClient,
    pbjx: Pbjx,
    checkpoints: Arc<dyn CheckpointStore>,
    options: OutboxOptions,
    owner: String,
    counters: Counters,
}

impl std::fmt::Debug for DynamoDbOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoDbOutbox")
            .field("table", &self.store.table())
            .field("options", &self.options)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

/// A shard this outbox holds.
struct ShardState {
    iterator: Option<String>,
    last_sequence: Option<String>,
    ending: Option<String>,
    renewed: Instant,
}

enum Polled {
    Records,
    Empty,
    Done,
}

impl DynamoDbOutbox {
    /// An outbox of `store`'s table, reading its stream with `streams`, publishing through
    /// `pbjx`, checkpointed in `checkpoints`.
    pub fn new(
        store: DynamoDbEventStore,
        streams: StreamsClient,
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
            streams,
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

    /// The ARN of the table's stream.
    async fn stream_arn(&self) -> Result<String> {
        let table = self.store.table();
        let described = self
            .store
            .client()
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| storage_error("dynamodb", &format!("DescribeTable [{table}]"), e))?;
        described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::storage(
                    "dynamodb",
                    Code::FailedPrecondition,
                    format!("the event table [{table}] has no stream"),
                )
            })
    }

    async fn shards(&self, arn: &str) -> Result<Vec<ShardInfo>> {
        let mut shards = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let out = self
                .streams
                .describe_stream()
                .stream_arn(arn)
                .set_exclusive_start_shard_id(start.clone())
                .send()
                .await
                .map_err(|e| {
                    transport_error("dynamodb-streams", &format!("DescribeStream [{arn}]"), e)
                })?;
            let Some(description) = out.stream_description() else {
                return Ok(shards);
            };
            for shard in description.shards() {
                shards.push(ShardInfo {
                    id: shard.shard_id().unwrap_or_default().to_owned(),
                    parents: shard
                        .parent_shard_id()
                        .map(str::to_owned)
                        .into_iter()
                        .collect(),
                    ending_sequence: shard
                        .sequence_number_range()
                        .and_then(|r| r.ending_sequence_number())
                        .map(str::to_owned),
                });
            }
            match description.last_evaluated_shard_id() {
                Some(last) if !last.is_empty() => start = Some(last.to_owned()),
                _ => return Ok(shards),
            }
        }
    }

    async fn refresh(&self, arn: &str, owned: &mut BTreeMap<String, ShardState>) {
        let group = self.options.group.as_str();
        let (shards, leases) = match (self.shards(arn).await, self.checkpoints.leases(group).await)
        {
            (Ok(shards), Ok(leases)) => (shards, leases),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(target: "pbjx.consumer.outbox", group, error = %e, "cannot list shards or leases; will retry");
                return;
            }
        };
        for shard in &shards {
            if let Some(state) = owned.get_mut(&shard.id) {
                state.ending.clone_from(&shard.ending_sequence);
            }
        }
        let held: HashSet<String> = owned.keys().cloned().collect();
        for id in candidates(
            &shards,
            &leases,
            &self.owner,
            &held,
            usize::MAX,
            now_millis(),
        ) {
            let ending = shards
                .iter()
                .find(|s| s.id == id)
                .and_then(|s| s.ending_sequence.clone());
            match self
                .checkpoints
                .acquire(group, &id, &self.owner, self.options.lease_ttl)
                .await
            {
                Ok(Some(lease)) if !lease.finished => {
                    owned.insert(
                        id,
                        ShardState {
                            iterator: None,
                            last_sequence: lease.checkpoint,
                            ending,
                            renewed: Instant::now(),
                        },
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(target: "pbjx.consumer.outbox", group, shard = %id, error = %e, "cannot take a lease; will retry");
                }
            }
        }
    }

    async fn poll(
        &self,
        arn: &str,
        shard: &str,
        state: &mut ShardState,
        cancel: &CancellationToken,
    ) -> Polled {
        let group = self.options.group.as_str();
        let ttl = self.options.lease_ttl;
        if state.iterator.is_none() {
            let request = self
                .streams
                .get_shard_iterator()
                .stream_arn(arn)
                .shard_id(shard);
            let request = match &state.last_sequence {
                Some(sequence) => request
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(sequence),
                None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            };
            match request.send().await {
                Ok(out) => state.iterator = out.shard_iterator().map(str::to_owned),
                Err(e) => {
                    tracing::warn!(target: "pbjx.consumer.outbox", shard, error = %transport_error("dynamodb-streams", "GetShardIterator", e), "will retry");
                    return Polled::Empty;
                }
            }
            if state.iterator.is_none() {
                return self.finish(shard, state).await;
            }
        }
        let iterator = state.iterator.clone().unwrap_or_default();
        let limit = i32::try_from(self.options.batch_size.min(1000)).unwrap_or(1000);
        let out = match self
            .streams
            .get_records()
            .shard_iterator(iterator)
            .limit(limit)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                if crate::aws::error_code(&e) == Some("ExpiredIteratorException") {
                    state.iterator = None;
                } else {
                    tracing::warn!(target: "pbjx.consumer.outbox", shard, error = %transport_error("dynamodb-streams", "GetRecords", e), "will retry");
                }
                return Polled::Empty;
            }
        };
        let mut progressed = None;
        for record in out.records() {
            let Some(sequence) = record.dynamodb().and_then(|d| d.sequence_number()) else {
                continue;
            };
            let location = format!("{}/{shard}/{sequence}", self.store.table());
            if record.event_name() == Some(&OperationType::Insert) {
                let image = record.dynamodb().and_then(|d| d.new_image());
                if let Some(image) = image.filter(|i| is_event_item(i)) {
                    match table_item(image).and_then(|item| self.store.decode_item(&item)) {
                        Ok(stored) => {
                            if !publish(
                                &self.pbjx,
                                stored.event,
                                &self.options.retry,
                                &self.counters,
                                cancel,
                                &location,
                            )
                            .await
                            {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::error!(target: "pbjx.consumer.outbox", location, error = %e, "record skipped");
                            self.counters.count(&Delivery::Poison(e));
                        }
                    }
                }
            }
            progressed = Some(sequence.to_owned());
        }
        if let Some(sequence) = &progressed {
            state.last_sequence = Some(sequence.clone());
        }
        let stopped_early = progressed.as_deref()
            != out
                .records()
                .last()
                .and_then(|r| r.dynamodb())
                .and_then(|d| d.sequence_number());
        if stopped_early {
            // Cancelled mid-batch: checkpoint what was published, re-read the rest later.
            state.iterator = None;
        } else {
            state.iterator = out.next_shard_iterator().map(str::to_owned);
        }
        let at_end = match (&state.ending, &state.last_sequence) {
            (Some(end), Some(last)) => sequence_at_least(last, end),
            _ => false,
        };
        if !stopped_early && (state.iterator.is_none() || at_end) {
            return self.finish(shard, state).await;
        }
        match progressed {
            Some(sequence) => {
                match self
                    .checkpoints
                    .checkpoint(group, shard, &self.owner, &sequence, false, ttl)
                    .await
                {
                    Ok(true) => {
                        self.counters.checkpointed();
                        state.renewed = Instant::now();
                        Polled::Records
                    }
                    Ok(false) => Polled::Done,
                    Err(e) => {
                        tracing::warn!(target: "pbjx.consumer.outbox", shard, error = %e, "checkpoint failed; the next one covers this batch");
                        Polled::Records
                    }
                }
            }
            None => {
                if state.renewed.elapsed() > ttl / 3 {
                    match self
                        .checkpoints
                        .acquire(group, shard, &self.owner, ttl)
                        .await
                    {
                        Ok(Some(_)) => state.renewed = Instant::now(),
                        Ok(None) => return Polled::Done,
                        Err(e) => {
                            tracing::warn!(target: "pbjx.consumer.outbox", shard, error = %e, "cannot renew a lease")
                        }
                    }
                }
                Polled::Empty
            }
        }
    }

    async fn finish(&self, shard: &str, state: &mut ShardState) -> Polled {
        let group = self.options.group.as_str();
        match self
            .checkpoints
            .checkpoint(
                group,
                shard,
                &self.owner,
                SHARD_END,
                true,
                self.options.lease_ttl,
            )
            .await
        {
            Ok(_) => Polled::Done,
            Err(e) => {
                tracing::warn!(target: "pbjx.consumer.outbox", shard, error = %e, "cannot record the end of a shard; will retry");
                state.iterator = None;
                Polled::Empty
            }
        }
    }
}

/// Whether a stream image is an event item (not a head item of the previous layout, which
/// has `occurred_at = 0`).
fn is_event_item(image: &HashMap<String, StreamValue>) -> bool {
    match image.get(RANGE_KEY_NAME) {
        Some(StreamValue::N(n)) => n != "0",
        _ => false,
    }
}

/// A stream image as a table item.
fn table_item(image: &HashMap<String, StreamValue>) -> Result<HashMap<String, TableValue>> {
    image
        .iter()
        .map(|(k, v)| Ok((k.clone(), table_value(v)?)))
        .collect()
}

fn table_value(value: &StreamValue) -> Result<TableValue> {
    use aws_sdk_dynamodb::primitives::Blob;
    Ok(match value {
        StreamValue::S(s) => TableValue::S(s.clone()),
        StreamValue::N(n) => TableValue::N(n.clone()),
        StreamValue::B(b) => TableValue::B(Blob::new(b.as_ref().to_vec())),
        StreamValue::Bool(b) => TableValue::Bool(*b),
        StreamValue::Null(n) => TableValue::Null(*n),
        StreamValue::Ss(v) => TableValue::Ss(v.clone()),
        StreamValue::Ns(v) => TableValue::Ns(v.clone()),
        StreamValue::Bs(v) => {
            TableValue::Bs(v.iter().map(|b| Blob::new(b.as_ref().to_vec())).collect())
        }
        StreamValue::L(items) => {
            TableValue::L(items.iter().map(table_value).collect::<Result<_>>()?)
        }
        StreamValue::M(map) => TableValue::M(table_item(map)?),
        other => {
            return Err(Error::Corrupt {
                backend: "dynamodb".into(),
                location: "stream record".into(),
                message: format!("unknown attribute type {other:?}"),
            });
        }
    })
}

#[async_trait::async_trait]
impl Consumer for DynamoDbOutbox {
    fn name(&self) -> &str {
        "outbox_dynamodb"
    }

    async fn run(&self, cancel: CancellationToken) -> Result<ConsumerReport> {
        let arn = self.stream_arn().await?;
        let mut owned: BTreeMap<String, ShardState> = BTreeMap::new();
        let mut next_refresh = Instant::now();
        while !cancel.is_cancelled() {
            if Instant::now() >= next_refresh {
                self.refresh(&arn, &mut owned).await;
                next_refresh = Instant::now() + SHARD_REFRESH.min(self.options.lease_ttl / 2);
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
                match self.poll(&arn, &shard, state, &cancel).await {
                    Polled::Records => busy = true,
                    Polled::Empty => {}
                    Polled::Done => {
                        owned.remove(&shard);
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
            if let Err(e) = self
                .checkpoints
                .release(&self.options.group, shard, &self.owner)
                .await
            {
                tracing::warn!(target: "pbjx.consumer.outbox", shard, error = %e, "cannot release a lease; it expires on its own");
            }
        }
        Ok(self.counters.report())
    }
}
