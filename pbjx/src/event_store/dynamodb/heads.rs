//! Stream heads: the heads table, the head items of the previous layout (in the event table,
//! at `occurred_at = 0`) and their migration.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue as SdkValue, Delete, Put, TransactWriteItem};

use super::{
    BACKEND, HASH_KEY_NAME, HEAD_KEY_NAME, Inner, RANGE_KEY_NAME, SEQUENCE_KEY_NAME, aws_error,
    corrupt, internal,
};
use crate::error::{Code, Error, Result};
use crate::event_store::{StreamHead, StreamId, md5_hex};

/// The head attribute holding the etag's event id.
pub(super) const LAST_EVENT_ID: &str = "last_event_id";
/// The head attribute holding the md5 of [`LAST_EVENT_ID`].
pub(super) const LAST_ETAG: &str = "last_etag";

/// An item of the SDK.
pub(super) type SdkItem = HashMap<String, SdkValue>;

/// Where a stream's head is.
#[derive(Debug)]
enum Found {
    /// In the heads table.
    HeadsTable(StreamHead),
    /// In the event table (previous layout, not migrated yet): the item.
    EventTable(SdkItem),
    /// Nowhere: the stream has no head (empty, or written by the original).
    Missing,
}

/// A checkpoint of [`super::DynamoDbEventStore::migrate_heads_page`]: the key of the last
/// event table item the scan read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadMigrationCheckpoint {
    /// `__stream_id` of the last item read.
    pub stream_id: String,
    /// `occurred_at` (the number as DynamoDB returned it) of the last item read.
    pub occurred_at: String,
}

/// What a head migration (or one page of it) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadMigration {
    /// Heads moved into the heads table.
    pub moved: u64,
    /// Heads found by the scan but moved meanwhile by an append or delete of this version.
    pub already_moved: u64,
    /// Where to go on (`None`: the scan is complete).
    pub resume_at: Option<HeadMigrationCheckpoint>,
}

impl Inner {
    /// The key of a stream's head in the heads table.
    pub(super) fn head_key(stream: &StreamId) -> SdkItem {
        HashMap::from([(
            HASH_KEY_NAME.to_owned(),
            SdkValue::S(stream.as_str().to_owned()),
        )])
    }

    /// The key of a stream's head item of the previous layout (in the event table).
    pub(super) fn legacy_head_key(stream: &StreamId) -> SdkItem {
        HashMap::from([
            (
                HASH_KEY_NAME.to_owned(),
                SdkValue::S(stream.as_str().to_owned()),
            ),
            (RANGE_KEY_NAME.to_owned(), SdkValue::N("0".to_owned())),
        ])
    }

    /// A head item for the heads table.
    pub(super) fn head_item(stream: &StreamId, sequence: u64, last: Option<&str>) -> SdkItem {
        let mut item = Self::head_key(stream);
        item.insert(
            SEQUENCE_KEY_NAME.to_owned(),
            SdkValue::N(sequence.to_string()),
        );
        if let Some(id) = last {
            item.insert(LAST_EVENT_ID.to_owned(), SdkValue::S(id.to_owned()));
            item.insert(LAST_ETAG.to_owned(), SdkValue::S(md5_hex(id)));
        }
        item
    }

    fn parse_head(stream: &StreamId, item: &SdkItem) -> Result<StreamHead> {
        let sequence = match item.get(SEQUENCE_KEY_NAME) {
            Some(SdkValue::N(n)) => n.parse::<u64>().map_err(|_| {
                corrupt(
                    format!("head of stream [{stream}]"),
                    format!("{SEQUENCE_KEY_NAME} [{n}] is not a sequence number"),
                )
            })?,
            _ => 0,
        };
        let last_event_id = match item.get(LAST_EVENT_ID) {
            Some(SdkValue::S(s)) => Some(s.clone()),
            _ => None,
        };
        Ok(StreamHead {
            sequence,
            last_event_id,
        })
    }

    async fn get(&self, table: &str, key: SdkItem, what: &str) -> Result<Option<SdkItem>> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws_error(table, &format!("GetItem ({what})"), e))?;
        Ok(out.item)
    }

    /// The stream's head in the heads table, if there is one.
    async fn head_in_heads_table(&self, stream: &StreamId) -> Result<Option<StreamHead>> {
        let item = self
            .get(&self.heads_table, Self::head_key(stream), "stream head")
            .await?;
        item.map(|item| Self::parse_head(stream, &item)).transpose()
    }

    /// Where the stream's head is (strongly consistent reads: the heads table, then the
    /// previous layout's slot; when both miss, the heads table once more, as a migration may
    /// have moved the head between the two reads: a head only ever moves into the heads
    /// table, atomically).
    async fn find_head(&self, stream: &StreamId) -> Result<Found> {
        if let Some(head) = self.head_in_heads_table(stream).await? {
            return Ok(Found::HeadsTable(head));
        }
        if let Some(item) = self.legacy_head(stream).await? {
            return Ok(Found::EventTable(item));
        }
        Ok(match self.head_in_heads_table(stream).await? {
            Some(head) => Found::HeadsTable(head),
            None => Found::Missing,
        })
    }

    /// The stream's head, wherever it is (an empty head for an unknown stream).
    pub(super) async fn load_head(&self, stream: &StreamId) -> Result<StreamHead> {
        match self.find_head(stream).await? {
            Found::HeadsTable(head) => Ok(head),
            Found::EventTable(item) => Self::parse_head(stream, &item),
            Found::Missing => Ok(StreamHead::default()),
        }
    }

    /// The stream's head item of the previous layout (an item at `occurred_at = 0` marked
    /// `__head`).
    async fn legacy_head(&self, stream: &StreamId) -> Result<Option<SdkItem>> {
        let item = self
            .get(
                &self.table,
                Self::legacy_head_key(stream),
                "head item of the previous layout",
            )
            .await?;
        Ok(item.filter(|i| i.contains_key(HEAD_KEY_NAME)))
    }

    /// The stream's head, in the heads table: a head still in the event table is moved first.
    pub(super) async fn current_head(&self, stream: &StreamId) -> Result<StreamHead> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let legacy = match self.find_head(stream).await? {
                Found::HeadsTable(head) => return Ok(head),
                Found::Missing => return Ok(StreamHead::default()),
                Found::EventTable(item) => item,
            };
            if self.move_head(stream, &legacy).await? {
                continue;
            }
            // moved or changed by someone else meanwhile: look again
            if !self.retry.should_retry(attempt) {
                return Err(self.contention(stream, "moving its head out of the event table"));
            }
            self.retry.backoff(attempt).await;
        }
    }

    /// The error of an operation that kept losing races on a stream.
    pub(super) fn contention(&self, stream: &StreamId, what: &str) -> Error {
        Error::storage(
            BACKEND,
            Code::Aborted,
            format!(
                "stream [{stream}] in DynamoDB table [{}]: {what} lost the race for the stream head {} times (contention); nothing was written",
                self.table,
                self.retry.max_attempts()
            ),
        )
    }

    /// Moves one head item of the previous layout (as read: `legacy`) into the heads table, in
    /// one transaction: `Put` if the stream has no head there, `Delete` if the item's `__seq`
    /// is unchanged. Returns whether this call moved it (`false`: it was moved or changed
    /// meanwhile).
    pub(super) async fn move_head(&self, stream: &StreamId, legacy: &SdkItem) -> Result<bool> {
        let head = Self::parse_head(stream, legacy)?;
        let seq = SdkValue::N(head.sequence.to_string());
        let put = Put::builder()
            .table_name(&self.heads_table)
            .set_item(Some(Self::head_item(
                stream,
                head.sequence,
                head.last_event_id.as_deref(),
            )))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", HASH_KEY_NAME)
            .build()
            .map_err(|e| internal(format!("cannot build a Put: {e}")))?;
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::legacy_head_key(stream)))
            .expression_attribute_names("#seq", SEQUENCE_KEY_NAME);
        delete = match legacy.get(SEQUENCE_KEY_NAME) {
            Some(_) => delete
                .condition_expression("#seq = :seq")
                .expression_attribute_values(":seq", seq),
            None => delete
                .condition_expression("attribute_exists(#h) AND attribute_not_exists(#seq)")
                .expression_attribute_names("#h", HEAD_KEY_NAME),
        };
        let delete = delete
            .build()
            .map_err(|e| internal(format!("cannot build a Delete: {e}")))?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().delete(delete).build(),
        ];
        let err = match self.transact(items).await {
            Ok(()) => return Ok(true),
            Err(err) => err,
        };
        let reasons = cancellation_reasons(&err);
        if reasons.is_empty() {
            return Err(aws_error(
                &self.heads_table,
                &format!("TransactWriteItems (moving the head of stream [{stream}])"),
                err,
            ));
        }
        if condition_failed(&reasons, 0) && condition_failed(&reasons, 1) {
            return Ok(false);
        }
        if condition_failed(&reasons, 0) {
            // A head in both tables: a writer of the previous version created one in the
            // event table after this stream's head was moved.
            return Err(Error::storage(
                BACKEND,
                Code::FailedPrecondition,
                format!(
                    "stream [{stream}] has a head in the heads table [{}] and one in the event table [{}]: a writer of the previous version is still running; stop it, then delete the event table's item (occurred_at 0) of this stream",
                    self.heads_table, self.table
                ),
            ));
        }
        Ok(false)
    }

    pub(super) async fn migrate_heads_page(
        &self,
        from: Option<&HeadMigrationCheckpoint>,
        page_size: u32,
    ) -> Result<HeadMigration> {
        let start = from.map(|c| {
            HashMap::from([
                (HASH_KEY_NAME.to_owned(), SdkValue::S(c.stream_id.clone())),
                (
                    RANGE_KEY_NAME.to_owned(),
                    SdkValue::N(c.occurred_at.clone()),
                ),
            ])
        });
        let out = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("#r = :zero AND attribute_exists(#h)")
            .expression_attribute_names("#r", RANGE_KEY_NAME)
            .expression_attribute_names("#h", HEAD_KEY_NAME)
            .expression_attribute_values(":zero", SdkValue::N("0".to_owned()))
            .consistent_read(true)
            .limit(i32::try_from(page_size.max(1)).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| aws_error(&self.table, "Scan (head items to migrate)", e))?;
        let mut page = HeadMigration::default();
        for item in out.items() {
            let Some(SdkValue::S(raw)) = item.get(HASH_KEY_NAME) else {
                continue;
            };
            let stream = StreamId::parse(raw).map_err(|e| {
                corrupt(
                    format!("head item of stream [{raw}]"),
                    format!("bad {HASH_KEY_NAME}: {e}"),
                )
            })?;
            if self.migrate_one(&stream, item).await? {
                page.moved += 1;
            } else {
                page.already_moved += 1;
            }
        }
        page.resume_at = out.last_evaluated_key().and_then(|key| {
            match (key.get(HASH_KEY_NAME), key.get(RANGE_KEY_NAME)) {
                (Some(SdkValue::S(s)), Some(SdkValue::N(n))) => Some(HeadMigrationCheckpoint {
                    stream_id: s.clone(),
                    occurred_at: n.clone(),
                }),
                _ => None,
            }
        });
        Ok(page)
    }

    /// Moves the stream's head found by the migration scan (`scanned`, possibly stale).
    async fn migrate_one(&self, stream: &StreamId, scanned: &SdkItem) -> Result<bool> {
        let mut legacy = scanned.clone();
        let mut attempt = 0;
        loop {
            attempt += 1;
            if self.move_head(stream, &legacy).await? {
                return Ok(true);
            }
            // Moved by an append meanwhile, or changed: look again.
            match self.legacy_head(stream).await? {
                None => return Ok(false),
                Some(item) => legacy = item,
            }
            if !self.retry.should_retry(attempt) {
                return Err(self.contention(stream, "the head migration"));
            }
            self.retry.backoff(attempt).await;
        }
    }
}

/// An SDK error of `TransactWriteItems`.
pub(super) type TransactError =
    aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, super::HttpResponse>;

impl Inner {
    /// Runs one `TransactWriteItems` with a fresh `ClientRequestToken`: the SDK's re-sends of
    /// this transaction (a lost response) are idempotent, a repeated call is a new one.
    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> std::result::Result<(), TransactError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(pbj::well_known::identifier::generate_uuid())
            .send()
            .await
            .map(|_| ())
    }
}

/// The cancellation reason codes of a `TransactionCanceledException` (empty for any other
/// error).
pub(super) fn cancellation_reasons(err: &TransactError) -> Vec<Option<String>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => e
            .cancellation_reasons()
            .iter()
            .map(|r| r.code().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the transaction item at `index` failed its condition.
pub(super) fn condition_failed(reasons: &[Option<String>], index: usize) -> bool {
    matches!(reasons.get(index), Some(Some(code)) if code == "ConditionalCheckFailed")
}

/// Whether any item of the transaction conflicted with another transaction.
pub(super) fn conflicted(reasons: &[Option<String>]) -> bool {
    reasons
        .iter()
        .any(|r| matches!(r.as_deref(), Some("TransactionConflict")))
}
