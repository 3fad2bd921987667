//! The DynamoDB event store (feature `dynamodb`): the original `DynamoDbEventStore`'s table,
//! with an atomic optimistic append and gapless per-stream sequence numbers.
//!
//! # Tables
//! **The event table** (`{vendor}-{env}-event-store-v1` in the original bundle) holds exactly
//! what the original reads: one item per event, nothing else.
//!
//! | attribute | type | role |
//! |---|---|---|
//! | `__stream_id` | S | hash key: the stream id ([`StreamId::as_str`]) |
//! | `occurred_at` | N | range key: the event's microtime (16 digits) |
//! | `event_id` | S | hash key of the global secondary index `event_id_index` (projection `KEYS_ONLY`) |
//! | `__seq` | N | the event's sequence number in the stream (1, 2, 3, ...) |
//! | `__indexed` | BOOL | `true` when the event uses `gdbots:pbjx:mixin:indexed` |
//! | every field | ... | pbj's item marshaler ([`pbj::marshal::dynamodb::marshal`]), `_schema` first |
//!
//! A PHP or JS pbjx sharing the table therefore sees only events: its backward
//! `getStreamSlice`, its `pipeAllEvents` scan and every consumer of the table's DynamoDB stream
//! (one record per event) work unchanged.
//!
//! **The heads table** (default name: the event table's plus [`HEADS_TABLE_SUFFIX`], e.g.
//! `acme-prod-event-store-v1-heads`; [`DynamoDbEventStore::with_heads_table`] overrides it)
//! holds one item per stream: `{__stream_id: S (hash key), __seq: N, last_event_id: S,
//! last_etag: S}` (the sequence of the last append, and the stream's etag: the last appended
//! event still stored and its md5). [`EventStore::create_storage`] creates both tables (the
//! event table exactly as the original: hash `__stream_id`, range `occurred_at`, GSI
//! `event_id_index` on `event_id` with a `KEYS_ONLY` projection, stream `NEW_IMAGE`,
//! `PAY_PER_REQUEST`; the heads table `PAY_PER_REQUEST` without a stream) and waits until they
//! are `ACTIVE`; [`EventStore::describe_storage`] describes both. Tables written by the
//! original (no heads, no `__seq`) stay readable: their events have sequence `0` and the first
//! append through this store starts the head at sequence 0.
//!
//! # Atomic append
//! [`EventStore::put_events`] writes every event **and** the stream's head in one
//! `TransactWriteItems` (transactions span both tables):
//! - each event is a `Put` with `attribute_not_exists(__stream_id)`, so an event whose
//!   `occurred_at` is already in the stream is rejected ([`Error::AlreadyExists`]) instead of
//!   overwriting the stored one (the original's same-microsecond bug);
//! - the head is a `Put` into the heads table conditioned on the sequence the writer based its
//!   numbers on: `__seq = :base`, or `attribute_not_exists(__stream_id)` for base 0 (then a
//!   `ConditionCheck` also requires that no head item of the previous layout exists for the
//!   stream, see the migration below). Every append increments `__seq`, so the condition
//!   holding means no other append happened.
//!
//! Expectations: `NoStream` is base 0 and `Sequence(n)` is base `n`, both without a read;
//! `Any` and `Etag` read the head first (strongly consistent `GetItem`), check the etag and use
//! the head's sequence as the base. When the head condition fails, `NoStream`/`Sequence` fail
//! with [`Error::OptimisticCheckFailed`] (after a read of the head to report what it holds);
//! `Any` and `Etag` re-read and retry with the store's [`RetryPolicy`] (then
//! [`Error::Storage`] with [`Code::Aborted`]: contention). `TransactionCanceled` reasons are
//! mapped per item: the head's `ConditionalCheckFailed` is the optimistic check, an event's is
//! [`Error::AlreadyExists`].
//!
//! Each transaction carries a fresh `ClientRequestToken`, so the SDK's own re-sends of one
//! transaction (a lost response) are idempotent, while a repeated `put_events` call is a new
//! append and fails its expectation like on every other backend.
//!
//! # Deletes and the etag
//! [`EventStore::delete_event`] deletes every stream copy of the event. Where the deleted event
//! is its stream's etag, the same transaction moves the etag to the remaining event with the
//! highest `__seq` (found by reading the stream's keys backwards; the transaction checks that
//! event still exists) and is conditioned on the head not having moved meanwhile; elsewhere
//! the transaction checks that the etag is another event. Sequence numbers are never reused.
//!
//! # Migrating heads out of the event table
//! Versions before the heads table kept each head in the event table itself, as an item
//! `{__stream_id, occurred_at: 0, __head: true, __seq, last_event_id, last_etag}`.
//! [`DynamoDbEventStore::migrate_heads`] moves them: it scans the event table for items with
//! `occurred_at = 0` and moves each in one transaction (`Put` into the heads table if no head
//! is there, `Delete` from the event table if its `__seq` is unchanged). It is resumable
//! ([`DynamoDbEventStore::migrate_heads_page`] returns a checkpoint; re-running from the
//! start is also fine: moved heads are gone from the event table) and safe while this version
//! appends: an append or delete that meets a stream whose head is still in the event table
//! moves that head first (the same transaction), and the append's `ConditionCheck` keeps a
//! stream from getting a second head. Until then every read skips head items (key conditions
//! and scans start at `occurred_at` 1). Stop processes running an older version before
//! migrating: they would re-create heads in the event table.
//!
//! # Limits (chunking)
//! One append is one transaction, so it is all-or-nothing: at most [`MAX_EVENTS_PER_APPEND`]
//! (98) events (DynamoDB's 100 items per transaction, two of them the head and the check of
//! the previous layout's head slot) and about 4 MB in total. A larger append is rejected with
//! [`Error::InvalidArgument`] before anything is sent; split it into several appends with
//! `ExpectedState::Sequence` chaining if you need more. Two events with the same `occurred_at`
//! in one append are rejected with [`Error::AlreadyExists`], an `occurred_at` of 0 (the
//! previous layout's head slot) with [`Error::InvalidArgument`].
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
//! - [`EventStore::pipe_events`]: paged strongly consistent `Query` (100 per page).
//! - [`EventStore::pipe_all_events`]: parallel `Scan` with `TotalSegments` segments (default
//!   16) of which at most `concurrency` (default 4) run at once. A stream lives in one
//!   partition, so it is in exactly one segment, and DynamoDB returns a partition's items in
//!   range-key order: events come out ordered by `occurred_at` within each stream. A corrupt
//!   item is yielded as [`Error::Corrupt`] and the scan goes on; a failing (or panicking)
//!   segment yields its error and ends (the others go on).
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
//! SDK errors are classified by [`crate::aws::classify`]: throttling →
//! [`Error::Storage`] with [`Code::ResourceExhausted`]; network, timeouts and 5xx →
//! [`Code::Unavailable`]; validation → [`Code::InvalidArgument`]; a missing table →
//! [`Code::FailedPrecondition`]; anything else [`Code::Internal`]. The message names the
//! operation, the table and the AWS error code; the SDK error is the `source()`.

mod admin;
mod append;
mod convert;
mod delete;
mod expressions;
mod heads;
mod read;
mod scan;

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use pbj::marshal::dynamodb::{AttributeValue, Item};
use pbj::{Flavor, Message, Microtime, Registry};

use super::{
    Appended, BoxStream, EventStore, ExpectedState, SliceQuery, StoredEvent, StreamHead, StreamId,
    StreamSlice,
};
use crate::aws::RetryPolicy;
use crate::error::{Code, Error, Result};
pub use convert::{from_sdk_item, from_sdk_value, to_sdk_item, to_sdk_value};
pub use heads::{HeadMigration, HeadMigrationCheckpoint};

/// Hash key attribute: the stream id (in both tables).
pub const HASH_KEY_NAME: &str = "__stream_id";
/// Range key attribute of the event table: the event's `occurred_at`.
pub const RANGE_KEY_NAME: &str = "occurred_at";
/// Attribute set to `true` on events using `gdbots:pbjx:mixin:indexed`.
pub const INDEXED_KEY_NAME: &str = "__indexed";
/// The sequence number attribute (on events and on heads).
pub const SEQUENCE_KEY_NAME: &str = "__seq";
/// Marker attribute of the head items of the previous layout (in the event table).
pub const HEAD_KEY_NAME: &str = "__head";
/// The global secondary index on `event_id`.
pub const GSI_EVENT_ID_NAME: &str = "event_id_index";
/// Hash key of [`GSI_EVENT_ID_NAME`].
pub const GSI_EVENT_ID_HASH_KEY_NAME: &str = "event_id";
/// Appended to the event table's name to name the heads table by default.
pub const HEADS_TABLE_SUFFIX: &str = "-heads";
/// Most events one append can hold (one transaction of 100 items, two of them for the head).
pub const MAX_EVENTS_PER_APPEND: usize = 98;
/// Most bytes (approximately, as DynamoDB JSON) one append can hold.
pub const MAX_APPEND_BYTES: usize = 4_000_000;

const BACKEND: &str = "dynamodb";
/// Items per `Scan` page of [`DynamoDbEventStore::migrate_heads`].
const MIGRATION_PAGE_SIZE: u32 = 1000;

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

/// The DynamoDB event store. See the [module docs](self) for the tables, the atomic append
/// protocol, the head migration and the limits.
///
/// ```no_run
/// # async fn demo() -> pbjx::Result<()> {
/// use pbjx::event_store::EventStore;
/// use pbjx::event_store::dynamodb::DynamoDbEventStore;
///
/// let mut registry = pbjx::pbj::Registry::new();
/// pbjx::register(&mut registry); // plus the application's event types
/// let store = DynamoDbEventStore::from_env("acme-prod-event-store-v1", registry).await;
/// store.create_storage().await?; // the event table and acme-prod-event-store-v1-heads
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DynamoDbEventStore {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    client: Client,
    table: String,
    heads_table: String,
    registry: Arc<Registry>,
    flavor: Flavor,
    filter: EventFilter,
    total_segments: u32,
    concurrency: usize,
    item_hook: Option<ItemHook>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for DynamoDbEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoDbEventStore")
            .field("table", &self.inner.table)
            .field("heads_table", &self.inner.heads_table)
            .field("flavor", &self.inner.flavor)
            .field("filter", &self.inner.filter)
            .field("total_segments", &self.inner.total_segments)
            .field("concurrency", &self.inner.concurrency)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl DynamoDbEventStore {
    /// A store on the event table `table` (and the heads table `{table}-heads`); `registry`
    /// resolves the stored `_schema`s when reading.
    pub fn new(
        client: Client,
        table: impl Into<String>,
        registry: impl Into<Arc<Registry>>,
    ) -> Self {
        let table = table.into();
        Self {
            inner: Arc::new(Inner {
                client,
                heads_table: format!("{table}{HEADS_TABLE_SUFFIX}"),
                table,
                registry: registry.into(),
                flavor: Flavor::Js,
                filter: EventFilter::default(),
                total_segments: 16,
                concurrency: 4,
                item_hook: None,
                retry: RetryPolicy::default(),
            }),
        }
    }

    /// A store whose client comes from the environment ([`crate::aws::config_from_env`]:
    /// `AWS_REGION`, `AWS_ENDPOINT_URL`, credentials chain, ...).
    pub async fn from_env(table: impl Into<String>, registry: impl Into<Arc<Registry>>) -> Self {
        let config = crate::aws::config_from_env().await;
        Self::new(Client::new(&config), table, registry)
    }

    fn map_inner(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        f(Arc::make_mut(&mut self.inner));
        self
    }

    /// The heads table's name (default: the event table's name + [`HEADS_TABLE_SUFFIX`]).
    pub fn with_heads_table(self, heads_table: impl Into<String>) -> Self {
        let heads_table = heads_table.into();
        self.map_inner(|i| i.heads_table = heads_table)
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

    /// How lost races for a stream's head, transaction conflicts and unprocessed batch keys
    /// are retried (default [`RetryPolicy::default`]).
    pub fn with_retry(self, retry: RetryPolicy) -> Self {
        self.map_inner(|i| i.retry = retry)
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

    /// Decodes an item of the event table (as read by a query, a scan or a DynamoDB stream
    /// consumer such as the outbox) into the stored event ([`Error::Corrupt`] naming the
    /// stream and `occurred_at` when it is not an event item).
    pub fn decode_item(
        &self,
        item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
    ) -> Result<StoredEvent> {
        self.inner.decode(item)
    }

    /// The event table's name.
    pub fn table(&self) -> &str {
        &self.inner.table
    }

    /// The heads table's name.
    pub fn heads_table(&self) -> &str {
        &self.inner.heads_table
    }

    /// The DynamoDB client.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The head of a stream (strongly consistent read of the heads table, or of the previous
    /// layout's head item while it is not migrated; an empty head for an unknown stream).
    pub async fn stream_head(&self, stream: &StreamId) -> Result<StreamHead> {
        self.inner.load_head(stream).await
    }

    /// Moves every head item of the previous layout from the event table into the heads
    /// table (see the [module docs](self#migrating-heads-out-of-the-event-table)); returns how
    /// many were moved. Safe while this version appends; re-running it is harmless.
    pub async fn migrate_heads(&self) -> Result<HeadMigration> {
        let mut total = HeadMigration::default();
        let mut checkpoint = None;
        loop {
            let page = self
                .migrate_heads_page(checkpoint.as_ref(), MIGRATION_PAGE_SIZE)
                .await?;
            total.moved += page.moved;
            total.already_moved += page.already_moved;
            checkpoint = page.resume_at;
            if checkpoint.is_none() {
                return Ok(total);
            }
        }
    }

    /// One page of [`Self::migrate_heads`]: a `Scan` page of the event table reading at most
    /// `page_size` items (of any kind), starting after `from` (`None`: the beginning). The
    /// result's `resume_at` is the checkpoint to pass next (`None` after the last page);
    /// persist it to resume an interrupted migration where it stopped.
    ///
    /// ```no_run
    /// # async fn demo(store: pbjx::event_store::dynamodb::DynamoDbEventStore) -> pbjx::Result<()> {
    /// let mut checkpoint = None; // or the one saved by an interrupted run
    /// loop {
    ///     let page = store.migrate_heads_page(checkpoint.as_ref(), 1000).await?;
    ///     println!("moved {} heads", page.moved);
    ///     checkpoint = page.resume_at; // save it somewhere
    ///     if checkpoint.is_none() {
    ///         break;
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn migrate_heads_page(
        &self,
        from: Option<&HeadMigrationCheckpoint>,
        page_size: u32,
    ) -> Result<HeadMigration> {
        self.inner.migrate_heads_page(from, page_size).await
    }
}

/// An [`Error::Storage`] for an SDK error of `operation` on `table`.
fn aws_error<E>(table: &str, operation: &str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    crate::aws::storage_error(
        BACKEND,
        &format!("{operation} on DynamoDB table [{table}]"),
        err,
    )
}

fn internal(message: impl Into<String>) -> Error {
    Error::storage(BACKEND, Code::Internal, message)
}

fn corrupt(location: String, message: impl Into<String>) -> Error {
    Error::Corrupt {
        backend: BACKEND.to_owned(),
        location,
        message: message.into(),
    }
}

#[async_trait::async_trait]
impl EventStore for DynamoDbEventStore {
    fn name(&self) -> &str {
        BACKEND
    }

    /// Creates the event table and the heads table (each only if missing) and waits until
    /// both are `ACTIVE`.
    async fn create_storage(&self) -> Result<()> {
        self.inner.create_storage().await
    }

    /// Both tables: keys, index, billing, stream, approximate sizes.
    async fn describe_storage(&self) -> Result<String> {
        self.inner.describe_storage().await
    }

    async fn put_events(
        &self,
        stream: &StreamId,
        events: Vec<Arc<dyn Message>>,
        expected: ExpectedState,
    ) -> Result<Appended> {
        self.inner.put_events(stream, events, expected).await
    }

    async fn get_event(&self, event_id: &str) -> Result<StoredEvent> {
        self.inner.get_event(event_id).await
    }

    async fn get_events(&self, event_ids: &[String]) -> Result<Vec<StoredEvent>> {
        self.inner.get_events(event_ids).await
    }

    async fn delete_event(&self, event_id: &str) -> Result<()> {
        self.inner.delete_event(event_id).await
    }

    async fn get_stream_slice(&self, stream: &StreamId, query: SliceQuery) -> Result<StreamSlice> {
        self.inner.get_stream_slice(stream, query).await
    }

    fn pipe_events<'a>(
        &'a self,
        stream: &'a StreamId,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>> {
        scan::pipe_events(Arc::clone(&self.inner), stream.clone(), since, until)
    }

    fn pipe_all_events<'a>(
        &'a self,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>> {
        scan::pipe_all_events(Arc::clone(&self.inner), since, until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_attribute_names() {
        let attrs = shard_attributes("acme:article:1");
        let names: Vec<_> = attrs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["s16", "s32", "s64", "s128", "s256"]);
        let expected = crate::transport::determine_shard("acme:article:1", 256).to_string();
        assert_eq!(attrs[4].1, AttributeValue::N(expected));
    }
}
