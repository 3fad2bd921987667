//! Deletes: every stream copy of an event, each with its stream's etag kept right in the same
//! transaction.

use aws_sdk_dynamodb::types::{
    AttributeValue as SdkValue, ConditionCheck, Delete, TransactWriteItem, Update,
};

use super::expressions::{Expr, range_bounds};
use super::heads::{LAST_ETAG, LAST_EVENT_ID, SdkItem, cancellation_reasons};
use super::{
    GSI_EVENT_ID_HASH_KEY_NAME, HASH_KEY_NAME, Inner, SEQUENCE_KEY_NAME, aws_error, internal,
};
use crate::error::Result;
use crate::event_store::{StreamId, md5_hex};

/// The event that becomes a stream's etag: its key and id.
struct Replacement {
    key: SdkItem,
    event_id: String,
}

impl Inner {
    pub(super) async fn delete_event(&self, event_id: &str) -> Result<()> {
        for hit in self.lookup(event_id, true).await? {
            let Some(key) = Self::primary_key(&hit) else {
                continue;
            };
            let stream = match key.get(HASH_KEY_NAME) {
                Some(SdkValue::S(s)) => StreamId::parse(s).ok(),
                _ => None,
            };
            match stream {
                Some(stream) => self.delete_copy(&stream, key, event_id).await?,
                // Not a stream this store writes: no head to keep right.
                None => {
                    self.client
                        .delete_item()
                        .table_name(&self.table)
                        .set_key(Some(key))
                        .send()
                        .await
                        .map_err(|e| aws_error(&self.table, "DeleteItem", e))?;
                }
            }
        }
        Ok(())
    }

    /// Deletes the copy of `event_id` at `key` in `stream`: with the head moved to the
    /// previous event when the copy is the stream's etag, else checking that it is not.
    async fn delete_copy(&self, stream: &StreamId, key: SdkItem, event_id: &str) -> Result<()> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| {
            internal(format!("cannot build a TransactWriteItems request: {e}"))
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let head = self.current_head(stream).await?;
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key.clone()))
                .build()
                .map_err(build)?;
            let mut transact = vec![TransactWriteItem::builder().delete(delete).build()];
            if head.last_event_id.as_deref() == Some(event_id) {
                let replacement = self.replacement(stream, event_id).await?;
                let update = Update::builder()
                    .table_name(&self.heads_table)
                    .set_key(Some(Self::head_key(stream)))
                    .condition_expression("#seq = :seq AND #last = :id")
                    .expression_attribute_names("#seq", SEQUENCE_KEY_NAME)
                    .expression_attribute_names("#last", LAST_EVENT_ID)
                    .expression_attribute_names("#etag", LAST_ETAG)
                    .expression_attribute_values(":seq", SdkValue::N(head.sequence.to_string()))
                    .expression_attribute_values(":id", SdkValue::S(event_id.to_owned()));
                let update = match &replacement {
                    Some(r) => update
                        .update_expression("SET #last = :new, #etag = :new_etag")
                        .expression_attribute_values(":new", SdkValue::S(r.event_id.clone()))
                        .expression_attribute_values(
                            ":new_etag",
                            SdkValue::S(md5_hex(&r.event_id)),
                        ),
                    None => update.update_expression("REMOVE #last, #etag"),
                };
                transact.push(
                    TransactWriteItem::builder()
                        .update(update.build().map_err(build)?)
                        .build(),
                );
                if let Some(r) = replacement {
                    let check = ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(r.key))
                        .condition_expression("attribute_exists(#pk)")
                        .expression_attribute_names("#pk", HASH_KEY_NAME)
                        .build()
                        .map_err(build)?;
                    transact.push(TransactWriteItem::builder().condition_check(check).build());
                }
            } else {
                let check = ConditionCheck::builder()
                    .table_name(&self.heads_table)
                    .set_key(Some(Self::head_key(stream)))
                    .condition_expression("attribute_not_exists(#last) OR #last <> :id")
                    .expression_attribute_names("#last", LAST_EVENT_ID)
                    .expression_attribute_values(":id", SdkValue::S(event_id.to_owned()))
                    .build()
                    .map_err(build)?;
                transact.push(TransactWriteItem::builder().condition_check(check).build());
            }
            let err = match self.transact(transact).await {
                Ok(()) => return Ok(()),
                Err(err) => err,
            };
            if cancellation_reasons(&err).is_empty() {
                return Err(aws_error(&self.table, "TransactWriteItems (delete)", err));
            }
            // The head moved, or the replacement was deleted meanwhile: look again.
            if !self.retry.should_retry(attempt) {
                return Err(self.contention(stream, "a delete"));
            }
            self.retry.backoff(attempt).await;
        }
    }

    /// The event of `stream` with the highest `__seq`, other than `deleted` (read backwards
    /// over the stream's keys; stops early at the sequence right below the deleted one).
    async fn replacement(&self, stream: &StreamId, deleted: &str) -> Result<Option<Replacement>> {
        let Some((lo, hi)) = range_bounds(None, None) else {
            return Ok(None);
        };
        let mut expr = Expr::stream_range(stream, lo, hi);
        expr.name("#seq", SEQUENCE_KEY_NAME);
        expr.name("#id", GSI_EVENT_ID_HASH_KEY_NAME);
        let mut best: Option<(u64, Replacement)> = None;
        let mut deleted_seq: Option<u64> = None;
        let mut start_key = None;
        loop {
            let out = self
                .stream_query(&expr)
                .projection_expression("#pk, #r, #seq, #id")
                .scan_index_forward(false)
                .consistent_read(true)
                .set_exclusive_start_key(start_key.take())
                .send()
                .await
                .map_err(|e| {
                    aws_error(
                        &self.table,
                        &format!("Query (keys of stream [{stream}])"),
                        e,
                    )
                })?;
            for item in out.items() {
                let sequence = match item.get(SEQUENCE_KEY_NAME) {
                    Some(SdkValue::N(n)) => n.parse().unwrap_or(0),
                    _ => 0,
                };
                let id = match item.get(GSI_EVENT_ID_HASH_KEY_NAME) {
                    Some(SdkValue::S(s)) => s.as_str(),
                    _ => "",
                };
                if id == deleted {
                    deleted_seq = Some(sequence);
                    continue;
                }
                if best.as_ref().is_none_or(|(s, _)| sequence > *s) {
                    let Some(key) = Self::primary_key(item) else {
                        continue;
                    };
                    let event_id = id.to_owned();
                    best = Some((sequence, Replacement { key, event_id }));
                }
            }
            start_key = out.last_evaluated_key;
            let next_below = matches!((deleted_seq, &best), (Some(d), Some((s, _))) if s + 1 == d);
            if start_key.is_none() || next_below {
                return Ok(best.map(|(_, r)| r));
            }
        }
    }
}
