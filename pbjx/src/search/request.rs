//! What a `search-events-request` asks for, and how a `search-events-response` is filled.

use std::time::Duration;

use pbj::{DateTime, Message, SchemaCurie, Value};

use crate::error::{Error, Result};
use crate::search::elasticsearch_query::{SearchParams, SearchSort};

/// The largest `from` (offset) a search uses (the original's clamp).
pub const MAX_FROM: u64 = 10_000;

/// The fields of a search request the backends use.
///
/// ```
/// use pbjx::pbj::Message;
/// use pbjx::schemas::gdbots::pbjx::request::SearchEventsRequestV1;
/// use pbjx::search::SearchRequest;
/// use pbjx::search::elasticsearch_query::SearchSort;
///
/// let mut request = SearchEventsRequestV1::new();
/// request.data_mut().set("q", "cats").unwrap();
/// request.data_mut().set("page", 3).unwrap();
/// request.data_mut().set("count", 10).unwrap();
/// let search = SearchRequest::from_message(&request).unwrap();
/// assert_eq!((search.q.as_str(), search.from(), search.count), ("cats", 20, 10));
/// assert_eq!(search.sort, SearchSort::Relevance);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The query text (`q`).
    pub q: String,
    /// The page (1, 2, ...).
    pub page: u64,
    /// Hits per page.
    pub count: u64,
    /// How hits are ordered.
    pub sort: SearchSort,
    /// Only events that occurred after this instant.
    pub occurred_after: Option<DateTime>,
    /// Only events that occurred before this instant.
    pub occurred_before: Option<DateTime>,
}

impl Default for SearchRequest {
    fn default() -> Self {
        Self {
            q: String::new(),
            page: 1,
            count: 25,
            sort: SearchSort::Relevance,
            occurred_after: None,
            occurred_before: None,
        }
    }
}

impl SearchRequest {
    /// Reads a message using `gdbots:pbjx:mixin:search-events-request`.
    pub fn from_message(request: &dyn Message) -> Result<Self> {
        let schema = request.schema();
        if !schema.has_mixin(crate::mixins::SEARCH_EVENTS_REQUEST) {
            return Err(Error::WrongMessageKind {
                operation: "search_events",
                mixin: crate::mixins::SEARCH_EVENTS_REQUEST,
                schema: schema.id.to_owned(),
            });
        }
        let data = request.data();
        let int = |name: &str, default: u64| {
            data.get_single(name)
                .and_then(Value::as_i64)
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(default)
        };
        let date = |name: &str| match data.get_single(name) {
            Some(Value::DateTime(at)) => Some(*at),
            _ => None,
        };
        let sort = match data.get_single("sort").and_then(Value::as_str) {
            None => SearchSort::Relevance,
            Some(value) => SearchSort::from_value(value).ok_or_else(|| Error::InvalidArgument {
                message: format!("search request [{}]: unknown sort [{value}]", schema.id),
            })?,
        };
        Ok(Self {
            q: data
                .get_single("q")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            page: int("page", 1).max(1),
            count: int("count", 25),
            sort,
            occurred_after: date("occurred_after"),
            occurred_before: date("occurred_before"),
        })
    }

    /// The offset of the first hit: `(page - 1) * count`, clamped to 0..=[`MAX_FROM`].
    pub fn from(&self) -> u64 {
        self.page
            .saturating_sub(1)
            .saturating_mul(self.count)
            .min(MAX_FROM)
    }

    /// Whether hits exist beyond this page (the original's rule).
    pub fn has_more(&self, total: u64) -> bool {
        let from = self.from();
        from + self.count < total && from < MAX_FROM
    }

    /// The parameters of [`crate::search::elasticsearch_query::create`].
    pub fn params(&self, curies: &[SchemaCurie]) -> SearchParams {
        SearchParams {
            sort: self.sort,
            occurred_after: self.occurred_after,
            occurred_before: self.occurred_before,
            curies: curies.to_vec(),
        }
    }

    /// The Elasticsearch query body of this request with `query` and `curies` as of `now`
    /// ([`crate::search::elasticsearch_query::create`]); a query it cannot express is an
    /// [`Error::InvalidQuery`] naming `q`.
    pub fn query_body(
        &self,
        query: &crate::search::query::ParsedQuery,
        curies: &[SchemaCurie],
        now: DateTime,
    ) -> Result<serde_json::Value> {
        crate::search::elasticsearch_query::create(query, &self.params(curies), now).map_err(|e| {
            Error::InvalidQuery {
                query: self.q.clone(),
                kind: e.kind().to_owned(),
                message: e.to_string(),
            }
        })
    }
}

/// What a backend found for one page.
#[derive(Debug, Default)]
pub struct SearchHits {
    /// Every matching event (not only this page).
    pub total: u64,
    /// The best score (`None` for date-sorted searches, as Elasticsearch reports).
    pub max_score: Option<f64>,
    /// The events of the page, in order.
    pub events: Vec<Box<dyn Message>>,
}

/// Fills a `search-events-response` with `hits`: `total`, `has_more`, `time_taken` (ms),
/// `max_score`, `events`.
pub fn fill_response(
    response: &mut dyn Message,
    request: &SearchRequest,
    hits: SearchHits,
    took: Duration,
) -> Result<()> {
    let schema = response.schema();
    if !schema.has_mixin(crate::mixins::SEARCH_EVENTS_RESPONSE) {
        return Err(Error::WrongMessageKind {
            operation: "search_events",
            mixin: crate::mixins::SEARCH_EVENTS_RESPONSE,
            schema: schema.id.to_owned(),
        });
    }
    let data = response.data_mut();
    data.set(
        "total",
        i64::try_from(hits.total.min(u32::MAX.into())).unwrap_or(0),
    )?;
    data.set("has_more", request.has_more(hits.total))?;
    let millis = i64::try_from(took.as_millis()).unwrap_or(i64::MAX);
    data.set("time_taken", millis.min(16_777_215))?;
    if let Some(score) = hits.max_score.filter(|s| s.is_finite()) {
        data.set("max_score", score)?;
    }
    data.add_to_list("events", hits.events.into_iter().map(Value::Message))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_is_clamped_and_has_more_follows_the_original() {
        let request = |page, count| SearchRequest {
            page,
            count,
            ..SearchRequest::default()
        };
        assert_eq!(request(1, 25).from(), 0);
        assert_eq!(request(500, 25).from(), MAX_FROM);
        assert!(request(1, 25).has_more(26));
        assert!(!request(1, 25).has_more(25));
        assert!(!request(500, 25).has_more(1_000_000));
    }
}
