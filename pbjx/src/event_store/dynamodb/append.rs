//! The atomic append: the events and the stream's head in one `TransactWriteItems`.

use std::collections::HashSet;
use std::sync::Arc;

use aws_sdk_dynamodb::types::{AttributeValue as SdkValue, ConditionCheck, Put, TransactWriteItem};
use pbj::Message;
use pbj::marshal::dynamodb::{self as marshal, AttributeValue, Item};

use super::convert::to_sdk_item;
use super::heads::{cancellation_reasons, condition_failed, conflicted};
use super::{
    BACKEND, HASH_KEY_NAME, HEAD_KEY_NAME, INDEXED_KEY_NAME, Inner, MAX_APPEND_BYTES,
    MAX_EVENTS_PER_APPEND, SEQUENCE_KEY_NAME, aws_error, internal,
};
use crate::error::{Error, Result};
use crate::event_store::{
    Appended, ExpectedState, StreamId, check_events, event_id, occurred_at, sequences,
};

/// What one attempt of an append ran into.
enum Outcome {
    Written(Appended),
    /// The head condition failed (the head moved, is missing, or is still in the event table),
    /// or the stream has a head item of the previous layout.
    HeadMoved,
    /// Another transaction touched the same items at the same time.
    Conflict,
}

impl Inner {
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
                        "event [{id}] has occurred_at 0, which the DynamoDB event store reserves (the stream head slot of the previous layout)"
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

    pub(super) async fn put_events(
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
            let head = self.current_head(stream).await?;
            if !head.satisfies(&expected) {
                return Err(head.mismatch(stream, &expected));
            }
            return sequences(BACKEND, stream, head.sequence, 0);
        }
        let items = self.event_items(stream, &events)?;

        let mut attempt = 0u32;
        loop {
            attempt += 1;
            // The sequence the new events follow.
            let base = match &expected {
                ExpectedState::NoStream => 0,
                ExpectedState::Sequence(n) => *n,
                ExpectedState::Any | ExpectedState::Etag(_) => {
                    let head = self.current_head(stream).await?;
                    if !head.satisfies(&expected) {
                        return Err(head.mismatch(stream, &expected));
                    }
                    head.sequence
                }
            };
            let appended = match sequences(BACKEND, stream, base, items.len()) {
                Ok(appended) => appended,
                Err(overflow) => {
                    // Only a head at the very end of the number range could hold this.
                    let head = self.current_head(stream).await?;
                    return Err(if head.satisfies(&expected) {
                        overflow
                    } else {
                        head.mismatch(stream, &expected)
                    });
                }
            };
            match self.try_append(stream, &items, base, appended).await? {
                Outcome::Written(appended) => return Ok(appended),
                Outcome::Conflict => {}
                Outcome::HeadMoved => {
                    // Another append won, or the head is still in the event table (then
                    // `current_head` moves it): fail, or go again if the expectation holds.
                    let head = self.current_head(stream).await?;
                    if !head.satisfies(&expected) {
                        return Err(head.mismatch(stream, &expected));
                    }
                }
            }
            if !self.retry.should_retry(attempt) {
                return Err(self.contention(stream, "an append"));
            }
            self.retry.backoff(attempt).await;
        }
    }

    /// One transaction: the events after `base` and the head at `appended.last_sequence`.
    async fn try_append(
        &self,
        stream: &StreamId,
        items: &[(String, Item)],
        base: u64,
        appended: Appended,
    ) -> Result<Outcome> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| {
            internal(format!("cannot build a TransactWriteItems request: {e}"))
        };
        let mut transact = Vec::with_capacity(items.len() + 2);
        for ((_, item), sequence) in items.iter().zip(appended.first_sequence..) {
            let mut item = to_sdk_item(item.clone());
            item.insert(
                SEQUENCE_KEY_NAME.to_owned(),
                SdkValue::N(sequence.to_string()),
            );
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", HASH_KEY_NAME)
                .build()
                .map_err(build)?;
            transact.push(TransactWriteItem::builder().put(put).build());
        }
        let last_id = items.last().map(|(id, _)| id.as_str());
        let head = Self::head_item(stream, appended.last_sequence, last_id);
        let head = Put::builder()
            .table_name(&self.heads_table)
            .set_item(Some(head));
        let head = if base == 0 {
            head.condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", HASH_KEY_NAME)
        } else {
            head.condition_expression("#seq = :base")
                .expression_attribute_names("#seq", SEQUENCE_KEY_NAME)
                .expression_attribute_values(":base", SdkValue::N(base.to_string()))
        };
        transact.push(
            TransactWriteItem::builder()
                .put(head.build().map_err(build)?)
                .build(),
        );
        if base == 0 {
            // A new head: the stream must not have one of the previous layout either.
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(Self::legacy_head_key(stream)))
                .condition_expression("attribute_not_exists(#h)")
                .expression_attribute_names("#h", HEAD_KEY_NAME)
                .build()
                .map_err(build)?;
            transact.push(TransactWriteItem::builder().condition_check(check).build());
        }

        let err = match self.transact(transact).await {
            Ok(()) => return Ok(Outcome::Written(appended)),
            Err(err) => err,
        };
        let reasons = cancellation_reasons(&err);
        // The expectation first (as every backend checks it before looking for duplicates).
        if condition_failed(&reasons, items.len()) || condition_failed(&reasons, items.len() + 1) {
            return Ok(Outcome::HeadMoved);
        }
        if let Some(i) = (0..items.len()).find(|i| condition_failed(&reasons, *i)) {
            let at = items[i]
                .1
                .iter()
                .find(|(k, _)| k == super::RANGE_KEY_NAME)
                .and_then(|(_, v)| match v {
                    AttributeValue::N(n) => Some(n.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            return Err(Error::AlreadyExists {
                stream: stream.to_string(),
                what: format!("an event with occurred_at [{at}] (event [{}])", items[i].0),
            });
        }
        if conflicted(&reasons) {
            return Ok(Outcome::Conflict);
        }
        Err(aws_error(&self.table, "TransactWriteItems (append)", err))
    }
}
