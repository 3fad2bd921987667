//! The DynamoDB event store (feature `dynamodb`): the original `DynamoDbEventStore` with an
//! atomic optimistic append and gapless per-stream sequence numbers.
//!
//! # Table layout
//! One table (`{vendor}-{env}-event-store-v1` in the original bundle):
//!
//! | attribute | type | role |
//! |---|---|---|
//! | `__stream_id` | S | hash key: the stream id ([`StreamId::as_str`]) |
//! | `occurred_at` | N | range key: the event's microtime (16 digits); `0` for the stream's head item |
//! | `event_id` | S | hash key of the global secondary index `event_id_index` (projection `KEYS_ONLY`) |
//! | `__seq` | N | the event's sequence number in the stream (1, 2, 3, ...) |
//! | `__indexed` | BOOL | `true` when the event uses `gdbots:pbjx:mixin:indexed` |
//! | every field | ... | pbj's item marshaler ([`pbj::marshal::dynamodb::marshal`]), `_schema` first |
//!
//! [`DynamoDbEventStore::create_storage`] creates exactly the original's table (hash
//! `__stream_id`, range `occurred_at`, GSI `event_id_index` on `event_id` with a `KEYS_ONLY`
//! projection, stream `NEW_IMAGE`, `PAY_PER_REQUEST`) and waits until it is `ACTIVE`. Nothing
//! else is needed for atomicity: each stream has one extra **head item** in the same partition,
//! `{__stream_id: stream, occurred_at: 0, __head: true, __seq: N, last_event_id: S,
//! last_etag: S}` (no `event_id`, so it never appears in the index). Every read skips it
//! (key conditions start above `0`, scans filter `occurred_at > 0`). Tables written by the
//! original (no head item, no `__seq`) stay readable: their events have sequence `0` and the
//! first append through this store starts the head at sequence 0.
//!
//! # Atomic append
//! [`EventStore::put_events`] writes every event **and** the head in one `TransactWriteItems`:
//! - each event is a `Put` with `attribute_not_exists(__stream_id)`, so an event whose
//!   `occurred_at` is already in the stream is rejected ([`Error::AlreadyExists`]) instead of
//!   overwriting the stored one (the original's same-microsecond bug);
//! - the head is a `Put` conditioned on the sequence the writer based its numbers on:
//!   `__seq = :base` (or `attribute_not_exists(__stream_id) OR __seq = :base` for base 0).
//!   Every append increments `__seq`, so the condition holding means no other append happened.
//!
//! Expectations: `NoStream` is base 0 and `Sequence(n)` is base `n`, both without a read;
//! `Any` and `Etag` read the head first (strongly consistent `GetItem`), check the etag (the last
//! event id or its md5, both stored on the head) and use the head's sequence as the base. When
//! the head condition fails, `NoStream`/`Sequence` fail with
//! [`Error::OptimisticCheckFailed`] (after a read of the head to report what it holds); `Any`
//! and `Etag` re-read and retry (up to [`MAX_APPEND_ATTEMPTS`] times, then
//! [`Error::Storage`] with [`Code::Aborted`]: contention). `TransactionCanceled`
//! reasons are mapped per item: the head's `ConditionalCheckFailed` is the optimistic check, an
//! event's is [`Error::AlreadyExists`].
//!
//! Each transaction carries a `ClientRequestToken` (md5 of stream, the event ids, expectation
//! and base sequence), so the SDK's own retries of a transaction whose response got lost are
//! idempotent within DynamoDB's 10 minute window.
//!
//! # Limits (chunking)
//! One append is one transaction, so it is all-or-nothing: at most [`MAX_EVENTS_PER_APPEND`]
//! (99) events (DynamoDB's 100 items per transaction, one of them the head) and about 4 MB in
//! total. A larger append is rejected with [`Error::InvalidArgument`] before anything is sent;
//! split it into several appends with `ExpectedState::Sequence` chaining if you need more.
//! Two events with the same `occurred_at` in one append are rejected with
//! [`Error::AlreadyExists`], an `occurred_at` of 0 (the head's slot) with
//! [`Error::InvalidArgument`].
//!
//! # Reads
//! - [`EventStore::get_stream_slice`]: `Query` on the stream with an exclusive `occurred_at`
//!   bound, `ScanIndexForward`, `ConsistentRead` as asked and `Limit count + 1` (the extra item
//!   tells `has_more` without another round trip). With a filter ([`EventFilter`]) pages are
//!   read until `count + 1` events matched, so filters never break `count` or `has_more`.
//! - [`EventStore::get_event`]: `Query` on `event_id_index` (eventually consistent, as every GSI:
//!   an event written a moment ago can be missing), then a strongly consistent `GetItem` (skipped
//!   when the index projects the whole item, e.g. a table created with projection `ALL`).
//! - [`EventStore::get_events`]: the index lookups run concurrently (bounded), then one
//!   `BatchGetItem` per 100 keys, retrying unprocessed keys.
//! - [`EventStore::delete_event`]: deletes every stream copy of the event (every index hit). The
//!   stream's head keeps its sequence: sequences stay unique, a deleted event leaves a hole.
//! - [`EventStore::pipe_events`]: paged strongly consistent `Query` (100 per page).
//! - [`EventStore::pipe_all_events`]: parallel `Scan` with `TotalSegments` segments (default
//!   16) of which at most `concurrency` (default 4) run at once. A stream lives in one
//!   partition, so it is in exactly one segment, and DynamoDB returns a partition's items in
//!   range-key order: events come out ordered within each stream. A corrupt item is yielded as
//!   [`Error::Corrupt`] and the scan goes on; a failing segment yields its error and ends (the
//!   others go on).
//!
//! # The original's context filters
//! The trait has no context argument, so the original's context keys are options of
//! [`DynamoDbEventStore`]: [`EventFilter`] (`reindexing` → `attribute_exists(__indexed)`,
//! `curie` → `contains(_schema, curie)`, `s16`..`s256` → `sN = value`) applies to slices and
//! pipes; `total_segments`/`concurrency` are [`DynamoDbEventStore::with_scan`]; the original's
//! `beforePutItem` hook is [`DynamoDbEventStore::with_item_hook`] (see [`shard_attributes`]);
//! `table_name` is one store per table.
//!
//! # Errors
//! Throttling (`ProvisionedThroughputExceeded`, `Throttling`, `RequestLimitExceeded`) →
//! [`Error::Storage`] with [`Code::ResourceExhausted`]; network, timeouts and 5xx →
//! [`Code::Unavailable`]; validation → [`Code::InvalidArgument`]; a missing table →
//! [`Code::FailedPrecondition`]; anything else [`Code::Internal`]. The message names the
//! operation, the table and the AWS error code.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as SdkValue, BillingMode, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put,
    ScalarAttributeType, StreamSpecification, StreamViewType, TableStatus, TransactWriteItem,
};
use pbj::marshal::dynamodb::{self as marshal, AttributeValue, Item};
use pbj::{Flavor, Message, Microtime, Registry};
use tokio::sync::mpsc;

use super::{
    Appended, BoxStream, EventStore, ExpectedState, SliceQuery, StoredEvent, StreamHead, StreamId,
    StreamSlice, check_events, event_id, occurred_at,
};
use crate::error::{Code, Error, Result};
use crate::lifecycle::BoxFuture;

mod convert;
mod errors;
mod expressions;
mod task_stream;

pub use convert::*;
use errors::*;
use expressions::*;
use task_stream::*;

/// Hash key attribute: the stream id.
pub const HASH_KEY_NAME: &str = "__stream_id";
/// Range key attribute: the event's `occurred_at` (0 for the head item).
pub const RANGE_KEY_NAME: &str = "occurred_at";
/// Attribute set to `true` on events using `gdbots:pbjx:mixin:indexed`.
pub const INDEXED_KEY_NAME: &str = "__indexed";
/// The sequence number attribute (on events and on the head item).
pub const SEQUENCE_KEY_NAME: &str = "__seq";
/// Marker attribute of head items.
pub const HEAD_KEY_NAME: &str = "__head";
/// The global secondary index on `event_id`.
pub const GSI_EVENT_ID_NAME: &str = "event_id_index";
/// Hash key of [`GSI_EVENT_ID_NAME`].
pub const GSI_EVENT_ID_HASH_KEY_NAME: &str = "event_id";
/// Most events one append can hold (one transaction of 100 items, one of them the head).
pub const MAX_EVENTS_PER_APPEND: usize = 99;
/// Most bytes (approximately, as DynamoDB JSON) one append can hold.
pub const MAX_APPEND_BYTES: usize = 4_000_000;
/// How often an `Any`/`Etag` append re-reads the head and retries after losing a race.
pub const MAX_APPEND_ATTEMPTS: u32 = 16;

const HEAD_LAST_EVENT_ID: &str = "last_event_id";
const HEAD_LAST_ETAG: &str = "last_etag";
const BACKEND: &str = "dynamodb";
const PIPE_PAGE_SIZE: i32 = 100;
const BATCH_GET_MAX: usize = 100;
const LOOKUP_CONCURRENCY: usize = 8;
const MAX_BATCH_ATTEMPTS: u32 = 8;
const CREATE_TIMEOUT: Duration = Duration::from_secs(300);
const CHANNEL_CAPACITY: usize = 256;

/// A shard attribute of the original (`s16`, `s32`, `s64`, `s128`, `s256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShardAttribute {
    /// `s16`
    S16,
    /// `s32`
    S32,
    /// `s64`
    S64,
    /// `s128`
    S128,
    /// `s256`
    S256,
}

impl ShardAttribute {
    /// Every shard attribute.
    pub const ALL: [ShardAttribute; 5] = [Self::S16, Self::S32, Self::S64, Self::S128, Self::S256];

    /// The attribute name, e.g. `s16`.
    pub fn name(self) -> &'static str {
        match self {
            Self::S16 => "s16",
            Self::S32 => "s32",
            Self::S64 => "s64",
            Self::S128 => "s128",
            Self::S256 => "s256",
        }
    }

    /// The number of shards, e.g. 16.
    pub fn shards(self) -> u16 {
        match self {
            Self::S16 => 16,
            Self::S32 => 32,
            Self::S64 => 64,
            Self::S128 => 128,
            Self::S256 => 256,
        }
    }
}

/// The original's `s16`..`s256` attributes for `key` ([`crate::transport::determine_shard`]),
/// e.g. for an item hook: `item.extend(shard_attributes(stream.as_str()))`.
pub fn shard_attributes(key: &str) -> Vec<(String, AttributeValue)> {
    ShardAttribute::ALL
        .iter()
        .map(|s| {
            let shard = crate::transport::determine_shard(key, s.shards());
            (s.name().to_owned(), AttributeValue::N(shard.to_string()))
        })
        .collect()
}

/// The original's read filters (its `reindexing`, `curie` and `s16`..`s256` context keys),
/// applied by slices and pipes as a DynamoDB `FilterExpression`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events using `gdbots:pbjx:mixin:indexed` (`attribute_exists(__indexed)`).
    pub reindexing: bool,
    /// Only events whose `_schema` contains this curie (a trailing `*` is trimmed).
    pub curie: Option<String>,
    /// Only events whose shard attribute has this value.
    pub shard: Option<(ShardAttribute, u16)>,
}

impl EventFilter {
    /// Whether the filter lets everything through.
    pub fn is_empty(&self) -> bool {
        !self.reindexing && self.curie.is_none() && self.shard.is_none()
    }
}

/// Called on every event item before it is written (the original's `beforePutItem`): add a
/// TTL, shard attributes, ... The key, `__seq` and `__indexed` attributes are set afterwards.
pub type ItemHook = Arc<dyn Fn(&mut Item, &StreamId, &dyn Message) + Send + Sync>;

/// The DynamoDB event store. See the [module docs](self) for the table layout, the atomic
/// append protocol and the limits.
#[derive(Clone)]
pub struct DynamoDbEventStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    table: String,
    registry: Registry,
    flavor: Flavor,
    filter: EventFilter,
    total_segments: u32,
    concurrency: usize,
    item_hook: Option<ItemHook>,
}

impl std::fmt::Debug for DynamoDbEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoDbEventStore")
            .field("table", &self.inner.table)
            .field("flavor", &self.inner.flavor)
            .field("filter", &self.inner.filter)
            .field("total_segments", &self.inner.total_segments)
            .field("concurrency", &self.inner.concurrency)
            .finish_non_exhaustive()
    }
}

impl DynamoDbEventStore {
    /// A store on `table`; `registry` resolves the stored `_schema`s when reading.
    pub fn new(client: Client, table: impl Into<String>, registry: Registry) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                table: table.into(),
                registry,
                flavor: Flavor::Js,
                filter: EventFilter::default(),
                total_segments: 16,
                concurrency: 4,
                item_hook: None,
            }),
        }
    }

    /// A store whose client comes from the environment
    /// (`aws_config::load_defaults(BehaviorVersion::latest())`: `AWS_REGION`,
    /// `AWS_ENDPOINT_URL`, credentials chain, ...).
    pub async fn from_env(table: impl Into<String>, registry: Registry) -> Self {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::new(Client::new(&config), table, registry)
    }

    fn map_inner(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => f(inner),
            None => {
                let old = &self.inner;
                let mut inner = Inner {
                    client: old.client.clone(),
                    table: old.table.clone(),
                    registry: old.registry.clone(),
                    flavor: old.flavor,
                    filter: old.filter.clone(),
                    total_segments: old.total_segments,
                    concurrency: old.concurrency,
                    item_hook: old.item_hook.clone(),
                };
                f(&mut inner);
                self.inner = Arc::new(inner);
            }
        }
        self
    }

    /// The marshaling flavour for writes (default [`Flavor::Js`], lossless; [`Flavor::Php`]
    /// writes `"0"` strings as `NULL` like the PHP original). Reads accept both.
    pub fn with_flavor(self, flavor: Flavor) -> Self {
        self.map_inner(|i| i.flavor = flavor)
    }

    /// Read filter for slices and pipes (the original's context filters).
    pub fn with_filter(self, filter: EventFilter) -> Self {
        self.map_inner(|i| i.filter = filter)
    }

    /// Parallel scan settings of [`EventStore::pipe_all_events`]: `total_segments` (clamped
    /// to 1..=64, default 16) and how many segments run at once (clamped to 1..=100,
    /// default 4).
    pub fn with_scan(self, total_segments: u32, concurrency: usize) -> Self {
        self.map_inner(|i| {
            i.total_segments = total_segments.clamp(1, 64);
            i.concurrency = concurrency.clamp(1, 100);
        })
    }

    /// A hook called on every event item before it is written (the original's
    /// `beforePutItem`).
    pub fn with_item_hook(
        self,
        hook: impl Fn(&mut Item, &StreamId, &dyn Message) + Send + Sync + 'static,
    ) -> Self {
        let hook: ItemHook = Arc::new(hook);
        self.map_inner(|i| i.item_hook = Some(hook))
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.inner.table
    }

    /// The DynamoDB client.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The head of a stream (strongly consistent read; empty head for an unknown stream).
    pub async fn stream_head(&self, stream: &StreamId) -> Result<StreamHead> {
        self.inner.read_head(stream).await
    }
}

// ---------------------------------------------------------------------------------------------
// the store

impl Inner {
    fn head_key(&self, stream: &StreamId) -> HashMap<String, SdkValue> {
        HashMap::from([
            (
                HASH_KEY_NAME.to_owned(),
                SdkValue::S(stream.as_str().to_owned()),
            ),
            (RANGE_KEY_NAME.to_owned(), SdkValue::N("0".to_owned())),
        ])
    }

    async fn read_head(&self, stream: &StreamId) -> Result<StreamHead> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(self.head_key(stream)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws_error(&self.table, "GetItem (stream head)", e))?;
        let Some(item) = out.item() else {
            return Ok(StreamHead::default());
        };
        let sequence = match item.get(SEQUENCE_KEY_NAME) {
            Some(SdkValue::N(n)) => n.parse::<u64>().map_err(|_| {
                corrupt(
                    format!("head of stream [{stream}]"),
                    format!("{SEQUENCE_KEY_NAME} [{n}] is not a sequence number"),
                )
            })?,
            _ => 0,
        };
        let last_event_id = match item.get(HEAD_LAST_EVENT_ID) {
            Some(SdkValue::S(s)) => Some(s.clone()),
            _ => None,
        };
        Ok(StreamHead {
            sequence,
            last_event_id,
        })
    }

    /// Marshals the events into their items (plus size accounting).
    fn event_items(
        &self,
        stream: &StreamId,
        events: &[Arc<dyn Message>],
    ) -> Result<Vec<(String, Item)>> {
        let mut seen = HashSet::with_capacity(events.len());
        let mut bytes = 0usize;
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            let at = occurred_at(&**event).ok_or_else(|| Error::InvalidArgument {
                message: "an event needs an occurred_at to be stored".to_owned(),
            })?;
            let id = event_id(&**event).unwrap_or_default().to_owned();
            if at.as_micros() == 0 {
                return Err(Error::InvalidArgument {
                    message: format!(
                        "event [{id}] has occurred_at 0, which the DynamoDB event store reserves for the stream head"
                    ),
                });
            }
            if !seen.insert(at) {
                return Err(Error::AlreadyExists {
                    stream: stream.to_string(),
                    what: format!("two events with occurred_at [{at}] in one append"),
                });
            }
            let mut item = marshal::marshal(event.data(), self.flavor);
            if let Some(hook) = &self.item_hook {
                hook(&mut item, stream, &**event);
            }
            item.retain(|(k, _)| {
                k != HASH_KEY_NAME
                    && k != SEQUENCE_KEY_NAME
                    && k != INDEXED_KEY_NAME
                    && k != HEAD_KEY_NAME
            });
            item.push((
                HASH_KEY_NAME.to_owned(),
                AttributeValue::S(stream.as_str().to_owned()),
            ));
            if event.schema().has_mixin(crate::mixins::INDEXED) {
                item.push((INDEXED_KEY_NAME.to_owned(), AttributeValue::Bool(true)));
            }
            bytes += marshal::item_to_json(&item).len();
            out.push((id, item));
        }
        if bytes > MAX_APPEND_BYTES {
            return Err(Error::InvalidArgument {
                message: format!(
                    "an append to the DynamoDB event store is one transaction of at most ~4 MB; these {} events take ~{bytes} bytes: split them",
                    events.len()
                ),
            });
        }
        Ok(out)
    }

    async fn put_events(
        &self,
        stream: &StreamId,
        events: Vec<Arc<dyn Message>>,
        expected: ExpectedState,
    ) -> Result<Appended> {
        check_events(&events)?;
        if events.len() > MAX_EVENTS_PER_APPEND {
            return Err(Error::InvalidArgument {
                message: format!(
                    "an append to the DynamoDB event store is one transaction of at most {MAX_EVENTS_PER_APPEND} events (got {}): split it",
                    events.len()
                ),
            });
        }
        if events.is_empty() {
            let head = self.read_head(stream).await?;
            if !head.satisfies(&expected) {
                return Err(head.mismatch(stream, &expected));
            }
            return Ok(Appended {
                first_sequence: head.sequence + 1,
                last_sequence: head.sequence,
            });
        }
        let items = self.event_items(stream, &events)?;
        let count = items.len() as u64;
        // the idempotency token covers every event id (the first one alone could collide
        // with a different batch starting with the same event)
        let ids_key = items
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let last_id = items.last().map(|(id, _)| id.clone()).unwrap_or_default();
        let last_etag = md5_hex(&last_id);

        let mut attempt = 0u32;
        loop {
            attempt += 1;
            // The base sequence the new events follow.
            let base = match &expected {
                ExpectedState::NoStream => 0,
                ExpectedState::Sequence(n) => *n,
                ExpectedState::Any | ExpectedState::Etag(_) => {
                    let head = self.read_head(stream).await?;
                    if !head.satisfies(&expected) {
                        return Err(head.mismatch(stream, &expected));
                    }
                    head.sequence
                }
            };
            let mut transact = Vec::with_capacity(items.len() + 1);
            for (i, (_, item)) in items.iter().enumerate() {
                let mut item = to_sdk_item(item.clone());
                item.insert(
                    SEQUENCE_KEY_NAME.to_owned(),
                    SdkValue::N((base + 1 + i as u64).to_string()),
                );
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(#pk)")
                    .expression_attribute_names("#pk", HASH_KEY_NAME)
                    .build()
                    .map_err(|e| internal(format!("cannot build a Put: {e}")))?;
                transact.push(TransactWriteItem::builder().put(put).build());
            }
            let mut head = self.head_key(stream);
            head.insert(HEAD_KEY_NAME.to_owned(), SdkValue::Bool(true));
            head.insert(
                SEQUENCE_KEY_NAME.to_owned(),
                SdkValue::N((base + count).to_string()),
            );
            head.insert(HEAD_LAST_EVENT_ID.to_owned(), SdkValue::S(last_id.clone()));
            head.insert(HEAD_LAST_ETAG.to_owned(), SdkValue::S(last_etag.clone()));
            let condition = if base == 0 {
                "attribute_not_exists(#pk) OR #seq = :base"
            } else {
                "#seq = :base"
            };
            let mut head_put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(head))
                .condition_expression(condition);
            if base == 0 {
                head_put = head_put.expression_attribute_names("#pk", HASH_KEY_NAME);
            }
            let head_put = head_put
                .expression_attribute_names("#seq", SEQUENCE_KEY_NAME)
                .expression_attribute_values(":base", SdkValue::N(base.to_string()))
                .build()
                .map_err(|e| internal(format!("cannot build a Put: {e}")))?;
            transact.push(TransactWriteItem::builder().put(head_put).build());

            let token = md5_hex(&format!("{stream}\n{ids_key}\n{expected}\n{base}"));
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(transact))
                .client_request_token(token)
                .send()
                .await;
            let err = match result {
                Ok(_) => {
                    return Ok(Appended {
                        first_sequence: base + 1,
                        last_sequence: base + count,
                    });
                }
                Err(err) => err,
            };
            let reasons: Option<Vec<Option<String>>> = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(e)) => Some(
                    e.cancellation_reasons()
                        .iter()
                        .map(|r| r.code().map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            };
            let Some(reasons) = reasons else {
                return Err(aws_error(&self.table, "TransactWriteItems", err));
            };
            let failed = |r: Option<&Option<String>>| matches!(r, Some(Some(code)) if code == "ConditionalCheckFailed");
            if failed(reasons.get(items.len())) {
                // The head moved (or is not what was expected).
                let retry = matches!(expected, ExpectedState::Any | ExpectedState::Etag(_));
                if retry && attempt < MAX_APPEND_ATTEMPTS {
                    backoff(attempt).await;
                    continue;
                }
                let head = self.read_head(stream).await?;
                if retry && head.satisfies(&expected) {
                    return Err(Error::storage(
                        BACKEND,
                        Code::Aborted,
                        format!(
                            "append to stream [{stream}] in DynamoDB table [{}] lost the race for the stream head {attempt} times (contention); nothing was written",
                            self.table
                        ),
                    ));
                }
                return Err(head.mismatch(stream, &expected));
            }
            if let Some(i) = (0..items.len()).find(|i| failed(reasons.get(*i))) {
                let at = events
                    .get(i)
                    .and_then(|e| occurred_at(&**e))
                    .map(|m| m.to_string())
                    .unwrap_or_default();
                return Err(Error::AlreadyExists {
                    stream: stream.to_string(),
                    what: format!("an event with occurred_at [{at}]"),
                });
            }
            if reasons
                .iter()
                .any(|r| matches!(r.as_deref(), Some("TransactionConflict")))
                && attempt < MAX_APPEND_ATTEMPTS
            {
                backoff(attempt).await;
                continue;
            }
            return Err(aws_error(&self.table, "TransactWriteItems", err));
        }
    }

    fn decode(&self, item: &HashMap<String, SdkValue>) -> Result<StoredEvent> {
        let stream_raw = match item.get(HASH_KEY_NAME) {
            Some(SdkValue::S(s)) => s.as_str(),
            _ => "",
        };
        let at = match item.get(RANGE_KEY_NAME) {
            Some(SdkValue::N(n)) => n.as_str(),
            _ => "",
        };
        let location = format!("stream [{stream_raw}] occurred_at [{at}]");
        let stream_id = StreamId::parse(stream_raw)
            .map_err(|e| corrupt(location.clone(), format!("bad {HASH_KEY_NAME}: {e}")))?;
        let sequence = match item.get(SEQUENCE_KEY_NAME) {
            Some(SdkValue::N(n)) => n
                .parse::<u64>()
                .map_err(|_| corrupt(location.clone(), format!("bad {SEQUENCE_KEY_NAME} [{n}]")))?,
            Some(_) => {
                return Err(corrupt(
                    location,
                    format!("{SEQUENCE_KEY_NAME} is not a number"),
                ));
            }
            None => 0,
        };
        let pbj_item = from_sdk_item(item).map_err(|e| corrupt(location.clone(), e))?;
        let mut message = marshal::unmarshal(&pbj_item, &self.registry)
            .map_err(|e| corrupt(location, e.to_string()))?;
        message.freeze();
        Ok(StoredEvent {
            stream_id,
            sequence,
            event: Arc::from(message),
        })
    }

    async fn get_stream_slice(&self, stream: &StreamId, query: SliceQuery) -> Result<StreamSlice> {
        let count = query.count.max(1);
        let mut slice = StreamSlice {
            stream_id: stream.clone(),
            events: Vec::new(),
            forward: query.forward,
            consistent: query.consistent,
            has_more: false,
        };
        let bounds = if query.forward {
            range_bounds(query.since, None)
        } else {
            range_bounds(None, query.since)
        };
        let Some((lo, hi)) = bounds else {
            return Ok(slice);
        };
        let mut expr = Expr::default();
        expr.name("#pk", HASH_KEY_NAME);
        expr.name("#r", RANGE_KEY_NAME);
        expr.value(":pk", SdkValue::S(stream.as_str().to_owned()));
        expr.value(":lo", micros_n(lo));
        expr.value(":hi", micros_n(hi));
        expr.apply_filter(&self.filter);
        let filtered = !expr.filters.is_empty();
        let wanted = count.saturating_add(1);
        let mut start_key = None;
        loop {
            let remaining = wanted - slice.events.len();
            let limit = if filtered {
                remaining.max(PIPE_PAGE_SIZE as usize)
            } else {
                remaining
            };
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND #r BETWEEN :lo AND :hi")
                .set_filter_expression(expr.filter_expression())
                .set_expression_attribute_names(expr.names())
                .set_expression_attribute_values(expr.values())
                .scan_index_forward(query.forward)
                .consistent_read(query.consistent)
                .limit(i32::try_from(limit).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start_key.take())
                .send()
                .await
                .map_err(|e| aws_error(&self.table, "Query (stream slice)", e))?;
            for item in out.items() {
                if slice.events.len() == wanted {
                    break;
                }
                slice.events.push(self.decode(item)?);
            }
            start_key = out.last_evaluated_key().cloned();
            if slice.events.len() >= wanted || start_key.is_none() {
                break;
            }
        }
        if slice.events.len() > count {
            slice.events.truncate(count);
            slice.has_more = true;
        }
        Ok(slice)
    }

    /// Keys (stream, occurred_at) of every stored copy of an event, and the full items when
    /// the index projects them.
    async fn lookup(&self, event_id: &str, all: bool) -> Result<Vec<HashMap<String, SdkValue>>> {
        let mut found = Vec::new();
        let mut start_key = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI_EVENT_ID_NAME)
                .key_condition_expression("#id = :id")
                .expression_attribute_names("#id", GSI_EVENT_ID_HASH_KEY_NAME)
                .expression_attribute_values(":id", SdkValue::S(event_id.to_owned()))
                .set_exclusive_start_key(start_key.take());
            if !all {
                request = request.limit(1);
            }
            let out = request
                .send()
                .await
                .map_err(|e| aws_error(&self.table, "Query (event_id_index)", e))?;
            found.extend(out.items().iter().cloned());
            start_key = out.last_evaluated_key().cloned();
            if !all || start_key.is_none() {
                return Ok(found);
            }
        }
    }

    fn primary_key(item: &HashMap<String, SdkValue>) -> Option<HashMap<String, SdkValue>> {
        let pk = item.get(HASH_KEY_NAME)?.clone();
        let rk = item.get(RANGE_KEY_NAME)?.clone();
        Some(HashMap::from([
            (HASH_KEY_NAME.to_owned(), pk),
            (RANGE_KEY_NAME.to_owned(), rk),
        ]))
    }

    async fn get_event(&self, event_id: &str) -> Result<StoredEvent> {
        let not_found = || Error::EventNotFound {
            event_id: event_id.to_owned(),
        };
        let hits = self.lookup(event_id, false).await?;
        let Some(hit) = hits.into_iter().next() else {
            return Err(not_found());
        };
        if hit.contains_key("_schema") {
            return self.decode(&hit);
        }
        let key = Self::primary_key(&hit).ok_or_else(not_found)?;
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws_error(&self.table, "GetItem", e))?;
        match out.item() {
            Some(item) => self.decode(item),
            None => Err(not_found()),
        }
    }

    async fn get_events(self: &Arc<Self>, event_ids: &[String]) -> Result<Vec<StoredEvent>> {
        // 1. index lookups, bounded concurrency
        let mut unique: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for id in event_ids {
            if seen.insert(id.as_str()) {
                unique.push(id.clone());
            }
        }
        let mut hits: HashMap<String, HashMap<String, SdkValue>> = HashMap::new();
        let mut pending = unique.into_iter();
        let mut set = tokio::task::JoinSet::new();
        loop {
            while set.len() < LOOKUP_CONCURRENCY {
                let Some(id) = pending.next() else { break };
                let inner = Arc::clone(self);
                set.spawn(async move {
                    let found = inner.lookup(&id, false).await;
                    (id, found)
                });
            }
            let Some(joined) = set.join_next().await else {
                break;
            };
            let (id, found) = joined.map_err(|e| internal(format!("lookup task failed: {e}")))?;
            if let Some(hit) = found?.into_iter().next() {
                hits.insert(id, hit);
            }
        }
        // 2. BatchGetItem for the hits that are only keys
        let mut by_key: HashMap<(String, String), HashMap<String, SdkValue>> = HashMap::new();
        let key_of = |item: &HashMap<String, SdkValue>| -> Option<(String, String)> {
            match (item.get(HASH_KEY_NAME), item.get(RANGE_KEY_NAME)) {
                (Some(SdkValue::S(s)), Some(SdkValue::N(n))) => Some((s.clone(), n.clone())),
                _ => None,
            }
        };
        let keys: Vec<HashMap<String, SdkValue>> = hits
            .values()
            .filter(|hit| !hit.contains_key("_schema"))
            .filter_map(Self::primary_key)
            .collect();
        for chunk in keys.chunks(BATCH_GET_MAX) {
            let mut request_keys = chunk.to_vec();
            let mut attempt = 0u32;
            while !request_keys.is_empty() {
                attempt += 1;
                let keys_and_attributes = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut request_keys)))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| internal(format!("cannot build a BatchGetItem: {e}")))?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys_and_attributes)
                    .send()
                    .await
                    .map_err(|e| aws_error(&self.table, "BatchGetItem", e))?;
                if let Some(items) = out.responses().and_then(|r| r.get(&self.table)) {
                    for item in items {
                        if let Some(key) = key_of(item) {
                            by_key.insert(key, item.clone());
                        }
                    }
                }
                if let Some(unprocessed) = out.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                    request_keys = unprocessed.keys().to_vec();
                }
                if !request_keys.is_empty() {
                    if attempt >= MAX_BATCH_ATTEMPTS {
                        return Err(Error::storage(
                            BACKEND,
                            Code::ResourceExhausted,
                            format!(
                                "BatchGetItem on DynamoDB table [{}] left {} keys unprocessed after {attempt} attempts",
                                self.table,
                                request_keys.len()
                            ),
                        ));
                    }
                    backoff(attempt).await;
                }
            }
        }
        // 3. in the order asked
        let mut out = Vec::with_capacity(event_ids.len());
        for id in event_ids {
            let Some(hit) = hits.get(id) else { continue };
            let item = if hit.contains_key("_schema") {
                Some(hit)
            } else {
                key_of(hit).and_then(|k| by_key.get(&k))
            };
            if let Some(item) = item {
                out.push(self.decode(item)?);
            }
        }
        Ok(out)
    }

    async fn delete_event(&self, event_id: &str) -> Result<()> {
        for hit in self.lookup(event_id, true).await? {
            let Some(key) = Self::primary_key(&hit) else {
                continue;
            };
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key))
                .send()
                .await
                .map_err(|e| aws_error(&self.table, "DeleteItem", e))?;
        }
        Ok(())
    }

    async fn describe_table(
        &self,
    ) -> std::result::Result<
        Option<aws_sdk_dynamodb::types::TableDescription>,
        SdkError<
            aws_sdk_dynamodb::operation::describe_table::DescribeTableError,
            aws_sdk_dynamodb::config::http::HttpResponse,
        >,
    > {
        match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(out) => Ok(out.table().cloned()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn create_storage(&self) -> Result<()> {
        let described = self
            .describe_table()
            .await
            .map_err(|e| aws_error(&self.table, "DescribeTable", e))?;
        if described.is_none() {
            let build = |e: aws_sdk_dynamodb::error::BuildError| {
                internal(format!("cannot build a CreateTable request: {e}"))
            };
            let attr = |name: &str, t: ScalarAttributeType| {
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(t)
                    .build()
                    .map_err(build)
            };
            let key = |name: &str, t: KeyType| {
                KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(t)
                    .build()
                    .map_err(build)
            };
            let gsi = GlobalSecondaryIndex::builder()
                .index_name(GSI_EVENT_ID_NAME)
                .key_schema(key(GSI_EVENT_ID_HASH_KEY_NAME, KeyType::Hash)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .map_err(build)?;
            let stream_spec = StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .map_err(build)?;
            let created = self
                .client
                .create_table()
                .table_name(&self.table)
                .attribute_definitions(attr(HASH_KEY_NAME, ScalarAttributeType::S)?)
                .attribute_definitions(attr(RANGE_KEY_NAME, ScalarAttributeType::N)?)
                .attribute_definitions(attr(GSI_EVENT_ID_HASH_KEY_NAME, ScalarAttributeType::S)?)
                .key_schema(key(HASH_KEY_NAME, KeyType::Hash)?)
                .key_schema(key(RANGE_KEY_NAME, KeyType::Range)?)
                .global_secondary_indexes(gsi)
                .stream_specification(stream_spec)
                .billing_mode(BillingMode::PayPerRequest)
                .send()
                .await;
            if let Err(e) = created {
                // Someone else created it meanwhile: wait for it like for ours.
                if !e
                    .as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception())
                {
                    return Err(aws_error(&self.table, "CreateTable", e));
                }
            }
        }
        let started = std::time::Instant::now();
        loop {
            let table = self
                .describe_table()
                .await
                .map_err(|e| aws_error(&self.table, "DescribeTable", e))?;
            let active = table.as_ref().is_some_and(|t| {
                t.table_status() == Some(&TableStatus::Active)
                    && t.global_secondary_indexes().iter().all(|g| {
                        g.index_status()
                            .is_none_or(|s| *s == aws_sdk_dynamodb::types::IndexStatus::Active)
                    })
            });
            if active {
                return Ok(());
            }
            if started.elapsed() > CREATE_TIMEOUT {
                return Err(Error::storage(
                    BACKEND,
                    Code::DeadlineExceeded,
                    format!(
                        "DynamoDB table [{}] is not ACTIVE after {} s",
                        self.table,
                        CREATE_TIMEOUT.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn describe_storage(&self) -> Result<String> {
        let table = self
            .describe_table()
            .await
            .map_err(|e| aws_error(&self.table, "DescribeTable", e))?;
        let Some(t) = table else {
            return Ok(format!(
                "DynamoDB event store: table [{}] does not exist (run create_storage)",
                self.table
            ));
        };
        let mut out = String::new();
        let _ = writeln!(out, "DynamoDB event store");
        let _ = writeln!(out, "table: {}", self.table);
        let _ = writeln!(out, "arn: {}", t.table_arn().unwrap_or("-"));
        let _ = writeln!(
            out,
            "status: {}",
            t.table_status().map_or("-", |s| s.as_str())
        );
        let keys: Vec<String> = t
            .key_schema()
            .iter()
            .map(|k| format!("{} ({})", k.attribute_name(), k.key_type().as_str()))
            .collect();
        let _ = writeln!(out, "keys: {}", keys.join(", "));
        for g in t.global_secondary_indexes() {
            let _ = writeln!(
                out,
                "index: {} on {} ({}, {})",
                g.index_name().unwrap_or("-"),
                g.key_schema()
                    .iter()
                    .map(|k| k.attribute_name())
                    .collect::<Vec<_>>()
                    .join(", "),
                g.projection()
                    .and_then(|p| p.projection_type())
                    .map_or("-", |p| p.as_str()),
                g.index_status().map_or("-", |s| s.as_str()),
            );
        }
        let _ = writeln!(
            out,
            "billing: {}",
            t.billing_mode_summary()
                .and_then(|b| b.billing_mode())
                .map_or("PROVISIONED", |b| b.as_str())
        );
        let _ = writeln!(
            out,
            "stream: {} ({})",
            t.latest_stream_arn().unwrap_or("disabled"),
            t.stream_specification()
                .and_then(|s| s.stream_view_type())
                .map_or("-", |v| v.as_str())
        );
        let _ = writeln!(out, "items (approximate): {}", t.item_count().unwrap_or(0));
        let _ = write!(
            out,
            "bytes (approximate): {}",
            t.table_size_bytes().unwrap_or(0)
        );
        Ok(out)
    }

    /// Sends every event of `stream` in the range to `tx`, page by page.
    async fn pipe_stream(
        &self,
        stream: StreamId,
        since: Option<Microtime>,
        until: Option<Microtime>,
        tx: mpsc::Sender<Result<StoredEvent>>,
    ) {
        let Some((lo, hi)) = range_bounds(since, until) else {
            return;
        };
        let mut expr = Expr::default();
        expr.name("#pk", HASH_KEY_NAME);
        expr.name("#r", RANGE_KEY_NAME);
        expr.value(":pk", SdkValue::S(stream.as_str().to_owned()));
        expr.value(":lo", micros_n(lo));
        expr.value(":hi", micros_n(hi));
        expr.apply_filter(&self.filter);
        let expr = &expr;
        let stream = &stream;
        self.forward_pages(tx, |start_key| async move {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND #r BETWEEN :lo AND :hi")
                .set_filter_expression(expr.filter_expression())
                .set_expression_attribute_names(expr.names())
                .set_expression_attribute_values(expr.values())
                .scan_index_forward(true)
                .consistent_read(true)
                .limit(PIPE_PAGE_SIZE)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|e| {
                    aws_error(&self.table, &format!("Query (pipe events of {stream})"), e)
                })?;
            Ok((out.items, out.last_evaluated_key))
        })
        .await;
    }

    /// Fetches pages with `fetch` (given the previous page's last key) and sends every decoded
    /// item to `tx` until the last page, an error (sent as an item) or a closed receiver.
    async fn forward_pages<F, Fut>(&self, tx: mpsc::Sender<Result<StoredEvent>>, mut fetch: F)
    where
        F: FnMut(Option<HashMap<String, SdkValue>>) -> Fut,
        Fut: std::future::Future<
                Output = Result<(
                    Option<Vec<HashMap<String, SdkValue>>>,
                    Option<HashMap<String, SdkValue>>,
                )>,
            >,
    {
        let mut start_key = None;
        loop {
            let (items, last_key) = match fetch(start_key.take()).await {
                Ok(page) => page,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            for item in items.unwrap_or_default() {
                if tx.send(self.decode(&item)).await.is_err() {
                    return;
                }
            }
            start_key = last_key;
            if start_key.is_none() {
                return;
            }
        }
    }

    /// Sends every event of one scan segment in the range to `tx`.
    async fn scan_segment(
        &self,
        segment: u32,
        since: Option<Microtime>,
        until: Option<Microtime>,
        tx: mpsc::Sender<Result<StoredEvent>>,
    ) {
        let Some((lo, hi)) = range_bounds(since, until) else {
            return;
        };
        let mut expr = Expr::default();
        expr.name("#r", RANGE_KEY_NAME);
        expr.value(":lo", micros_n(lo));
        expr.value(":hi", micros_n(hi));
        expr.filters.push("#r BETWEEN :lo AND :hi".to_owned());
        expr.apply_filter(&self.filter);
        let expr = &expr;
        self.forward_pages(tx, |start_key| async move {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .segment(i32::try_from(segment).unwrap_or(0))
                .total_segments(i32::try_from(self.total_segments).unwrap_or(1))
                .set_filter_expression(expr.filter_expression())
                .set_expression_attribute_names(expr.names())
                .set_expression_attribute_values(expr.values())
                .consistent_read(true)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|e| {
                    let operation = format!("Scan (segment {segment}/{})", self.total_segments);
                    aws_error(&self.table, &operation, e)
                })?;
            Ok((out.items, out.last_evaluated_key))
        })
        .await;
    }
}

fn md5_hex(s: &str) -> String {
    use md5::Digest;
    md5::Md5::digest(s.as_bytes())
        .iter()
        .fold(String::with_capacity(32), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// Sleeps a little longer on every attempt, with some jitter.
async fn backoff(attempt: u32) {
    let base = 10u64.saturating_mul(u64::from(attempt.min(8)));
    let jitter = u64::from(Microtime::now().usec() % 10);
    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
}

// ---------------------------------------------------------------------------------------------
// trait

impl EventStore for DynamoDbEventStore {
    fn name(&self) -> &str {
        BACKEND
    }

    fn create_storage(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.inner.create_storage())
    }

    fn describe_storage(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(self.inner.describe_storage())
    }

    fn put_events<'a>(
        &'a self,
        stream: &'a StreamId,
        events: Vec<Arc<dyn Message>>,
        expected: ExpectedState,
    ) -> BoxFuture<'a, Result<Appended>> {
        Box::pin(self.inner.put_events(stream, events, expected))
    }

    fn get_event<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Result<StoredEvent>> {
        Box::pin(self.inner.get_event(event_id))
    }

    fn get_events<'a>(
        &'a self,
        event_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>>> {
        Box::pin(self.inner.get_events(event_ids))
    }

    fn delete_event<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.inner.delete_event(event_id))
    }

    fn get_stream_slice<'a>(
        &'a self,
        stream: &'a StreamId,
        query: SliceQuery,
    ) -> BoxFuture<'a, Result<StreamSlice>> {
        Box::pin(self.inner.get_stream_slice(stream, query))
    }

    fn pipe_events<'a>(
        &'a self,
        stream: &'a StreamId,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>> {
        let inner = Arc::clone(&self.inner);
        let stream = stream.clone();
        Box::pin(TaskStream::new(Box::new(move |tx| {
            Box::pin(async move { inner.pipe_stream(stream, since, until, tx).await })
        })))
    }

    fn pipe_all_events<'a>(
        &'a self,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>> {
        let inner = Arc::clone(&self.inner);
        Box::pin(TaskStream::new(Box::new(move |tx| {
            Box::pin(async move {
                let mut segments: VecDeque<u32> = (0..inner.total_segments).collect();
                let mut set = tokio::task::JoinSet::new();
                loop {
                    while set.len() < inner.concurrency {
                        let Some(segment) = segments.pop_front() else {
                            break;
                        };
                        let inner = Arc::clone(&inner);
                        let tx = tx.clone();
                        set.spawn(async move {
                            inner.scan_segment(segment, since, until, tx).await;
                        });
                    }
                    if set.join_next().await.is_none() {
                        return;
                    }
                }
            })
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_round_trip_through_the_sdk() {
        let item: Item = vec![
            (
                "_schema".into(),
                AttributeValue::S("pbj:a:b:c:d:1-0-0".into()),
            ),
            ("b".into(), AttributeValue::B(vec![0, 1, 255])),
            ("bool".into(), AttributeValue::Bool(true)),
            ("bs".into(), AttributeValue::Bs(vec![vec![1], vec![2, 3]])),
            (
                "l".into(),
                AttributeValue::L(vec![AttributeValue::N("1.5".into()), AttributeValue::Null]),
            ),
            (
                "m".into(),
                AttributeValue::M(vec![("k".into(), AttributeValue::S("v".into()))]),
            ),
            ("n".into(), AttributeValue::N("1422122017734617".into())),
            (
                "ns".into(),
                AttributeValue::Ns(vec!["1".into(), "2".into()]),
            ),
            ("null".into(), AttributeValue::Null),
            (
                "ss".into(),
                AttributeValue::Ss(vec!["x".into(), "y".into()]),
            ),
        ];
        let sdk = to_sdk_item(item.clone());
        assert_eq!(sdk.get("null"), Some(&SdkValue::Null(true)));
        assert_eq!(from_sdk_item(&sdk), Ok(item));
    }

    #[test]
    fn exclusive_ranges() {
        let m = |x: u64| Microtime::new(x / 1_000_000, (x % 1_000_000) as u32).unwrap();
        assert_eq!(range_bounds(None, None), Some((1, 9_999_999_999_999_999)));
        assert_eq!(range_bounds(Some(m(10)), Some(m(20))), Some((11, 19)));
        assert_eq!(range_bounds(Some(m(10)), Some(m(11))), None);
        assert_eq!(range_bounds(None, Some(m(1))), None);
        assert_eq!(
            range_bounds(Some(m(0)), None),
            Some((1, 9_999_999_999_999_999))
        );
    }

    #[test]
    fn shard_attribute_names() {
        let attrs = shard_attributes("acme:article:1");
        let names: Vec<_> = attrs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["s16", "s32", "s64", "s128", "s256"]);
        let expected = crate::transport::determine_shard("acme:article:1", 256).to_string();
        assert_eq!(attrs[4].1, AttributeValue::N(expected));
    }
}
