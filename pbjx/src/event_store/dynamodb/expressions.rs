//! Expressions for the DynamoDB event store's reads.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as SdkValue;
use pbj::Microtime;

use super::{EventFilter, HASH_KEY_NAME, INDEXED_KEY_NAME, RANGE_KEY_NAME};
use crate::event_store::StreamId;

/// The key condition of a `Query` of one stream's range ([`Expr::stream_range`]).
pub(super) const STREAM_RANGE: &str = "#pk = :pk AND #r BETWEEN :lo AND :hi";

/// Items per `Query` page of pipes (and the smallest page of filtered slices).
pub(super) const PAGE_SIZE: i32 = 100;

#[derive(Default)]
pub(super) struct Expr {
    pub(super) names: HashMap<String, String>,
    pub(super) values: HashMap<String, SdkValue>,
    pub(super) filters: Vec<String>,
}

impl Expr {
    /// `#r` (`occurred_at`) with the values `:lo` and `:hi` (micros).
    pub(super) fn range(lo: u128, hi: u128) -> Self {
        let mut expr = Self::default();
        expr.name("#r", RANGE_KEY_NAME);
        expr.value(":lo", micros_n(lo));
        expr.value(":hi", micros_n(hi));
        expr
    }

    /// [`Self::range`] plus `#pk` (`__stream_id`) = `:pk` for a `Query` of one stream with
    /// [`STREAM_RANGE`].
    pub(super) fn stream_range(stream: &StreamId, lo: u128, hi: u128) -> Self {
        let mut expr = Self::range(lo, hi);
        expr.name("#pk", HASH_KEY_NAME);
        expr.value(":pk", SdkValue::S(stream.as_str().to_owned()));
        expr
    }
    pub(super) fn name(&mut self, placeholder: &str, attribute: &str) {
        self.names
            .insert(placeholder.to_owned(), attribute.to_owned());
    }

    pub(super) fn value(&mut self, placeholder: &str, value: SdkValue) {
        self.values.insert(placeholder.to_owned(), value);
    }

    pub(super) fn apply_filter(&mut self, filter: &EventFilter) {
        if filter.reindexing {
            self.name("#indexed", INDEXED_KEY_NAME);
            self.filters.push("attribute_exists(#indexed)".to_owned());
        }
        if let Some(curie) = &filter.curie {
            self.name("#schema", "_schema");
            self.value(
                ":v_curie",
                SdkValue::S(curie.trim_end_matches('*').to_owned()),
            );
            self.filters.push("contains(#schema, :v_curie)".to_owned());
        }
        if let Some((attr, value)) = filter.shard {
            self.name("#shard", attr.name());
            self.value(":v_shard", SdkValue::N(value.to_string()));
            self.filters.push("#shard = :v_shard".to_owned());
        }
    }

    pub(super) fn filter_expression(&self) -> Option<String> {
        (!self.filters.is_empty()).then(|| self.filters.join(" AND "))
    }

    pub(super) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub(super) fn values(&self) -> Option<HashMap<String, SdkValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

pub(super) fn micros_n(m: u128) -> SdkValue {
    SdkValue::N(m.to_string())
}

/// `lo <= occurred_at <= hi` (in micros) for events strictly between `since` and `until`;
/// `None` when the range is empty.
pub(super) fn range_bounds(
    since: Option<Microtime>,
    until: Option<Microtime>,
) -> Option<(u128, u128)> {
    let lo = since.map_or(1, |s| s.as_micros() + 1).max(1);
    let hi = match until {
        Some(u) => u.as_micros().checked_sub(1)?,
        None => 9_999_999_999_999_999,
    };
    (lo <= hi).then_some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
