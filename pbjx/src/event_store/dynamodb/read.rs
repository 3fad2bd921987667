//! Reads by key: slices of a stream, events by id (through `event_id_index`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use aws_sdk_dynamodb::types::{AttributeValue as SdkValue, KeysAndAttributes};
use pbj::marshal::dynamodb as marshal;

use super::convert::from_sdk_item;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;

use super::expressions::{Expr, PAGE_SIZE, STREAM_RANGE, range_bounds};
use super::{
    BACKEND, GSI_EVENT_ID_HASH_KEY_NAME, GSI_EVENT_ID_NAME, HASH_KEY_NAME, Inner, RANGE_KEY_NAME,
    SEQUENCE_KEY_NAME, aws_error, corrupt, internal,
};
use crate::error::{Code, Error, Result};
use crate::event_store::{SliceQuery, StoredEvent, StreamId, StreamSlice};

/// Keys per `BatchGetItem`.
const BATCH_GET_MAX: usize = 100;
/// Index lookups of `get_events` running at once.
const LOOKUP_CONCURRENCY: usize = 8;

impl Inner {
    /// A `Query` of one stream's range ([`Expr::stream_range`], plus its filters).
    pub(super) fn stream_query(&self, expr: &Expr) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression(STREAM_RANGE)
            .set_filter_expression(expr.filter_expression())
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
    }

    pub(super) fn decode(&self, item: &HashMap<String, SdkValue>) -> Result<StoredEvent> {
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

    pub(super) async fn get_stream_slice(
        &self,
        stream: &StreamId,
        query: SliceQuery,
    ) -> Result<StreamSlice> {
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
        let mut expr = Expr::stream_range(stream, lo, hi);
        expr.apply_filter(&self.filter);
        let filtered = !expr.filters.is_empty();
        let wanted = count.saturating_add(1);
        let mut start_key = None;
        loop {
            let remaining = wanted - slice.events.len();
            let limit = if filtered {
                remaining.max(PAGE_SIZE as usize)
            } else {
                remaining
            };
            let out = self
                .stream_query(&expr)
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
    pub(super) async fn lookup(
        &self,
        event_id: &str,
        all: bool,
    ) -> Result<Vec<HashMap<String, SdkValue>>> {
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

    pub(super) fn primary_key(
        item: &HashMap<String, SdkValue>,
    ) -> Option<HashMap<String, SdkValue>> {
        let pk = item.get(HASH_KEY_NAME)?.clone();
        let rk = item.get(RANGE_KEY_NAME)?.clone();
        Some(HashMap::from([
            (HASH_KEY_NAME.to_owned(), pk),
            (RANGE_KEY_NAME.to_owned(), rk),
        ]))
    }

    pub(super) async fn get_event(&self, event_id: &str) -> Result<StoredEvent> {
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

    pub(super) async fn get_events(
        self: &Arc<Self>,
        event_ids: &[String],
    ) -> Result<Vec<StoredEvent>> {
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
            let (id, found) =
                joined.map_err(|e| internal(format!("lookup task failed: {e}")).with_source(e))?;
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
                    if !self.retry.should_retry(attempt) {
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
                    self.retry.backoff(attempt).await;
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
}
