//! Elasticsearch query bodies, equal to the ones the original `QueryFactory::create()` (PHP
//! pbjx with ruflin/elastica 7) sends for a `search-events-request`.
//!
//! [`create`] turns a [`ParsedQuery`] and the request's [`SearchParams`] into the JSON body:
//!
//! - a `bool` query on `d__all`: optional words `should` (`match`, operator `and`, lenient),
//!   required ones `must`, prohibited ones `must_not`; phrases `match_phrase` (with `slop` 1
//!   when an optional phrase holds characters beyond letters, digits, whitespace and `._-`);
//!   fuzzy words `fuzzy`; trailing wildcards `wildcard` (lower-cased); hashtags, mentions, urls,
//!   numbers and dates as `term` / `range` (dates as a one-day range); stop words, emojis and
//!   emoticons dropped; `_exists_:f` / `_missing_:f` as `exists`;
//! - fields: full-text fields (`title`, `summary`, ... see the original's list) match like
//!   `d__all`, other fields take exact terms; a required or prohibited unboosted field on exact
//!   values goes to the `filter` context (`must_not` stays); ranges `gte`/`lte` (`gt`/`lt`
//!   when exclusive), a date range's upper bound moved one day on;
//! - a subquery is a nested `bool` with `minimum_should_match` 1; the top query gets
//!   `minimum_should_match: "2<80%"` unless it has a `must` clause;
//! - the request's date window as `occurred_at` range filters in microseconds
//!   (`occurred_after` `gt`, `occurred_before` `lt`), the curies as a `terms` filter on
//!   `d__type` (their message names);
//! - sort `date-desc` / `date-asc` on `occurred_at`; otherwise (relevance) a `function_score`
//!   with an exponential decay on `d__occurred_at_iso` from `occurred_before`, or now (scale
//!   `7d`, offset `60d`, decay 0.1). "Now" is an argument, so the body is deterministic.
//!
//! Where the original fails to build a query (a number in `_exists_:5`, nodes nested in ways
//! its builder rejects, a number JSON cannot encode), [`create`] returns a [`BuildError`].
//!
//! ```
//! use pbjx::pbj::DateTime;
//! use pbjx::search::elasticsearch_query::{SearchParams, SearchSort, create};
//! use pbjx::search::query::parse;
//! use serde_json::json;
//!
//! let params = SearchParams { sort: SearchSort::DateDesc, ..SearchParams::default() };
//! let body = create(&parse("+rust #async").unwrap(), &params, DateTime::now()).unwrap();
//! assert_eq!(body, json!({
//!     "query": {"bool": {"must": [
//!         {"match": {"d__all": {"query": "rust", "operator": "and", "lenient": true}}},
//!         {"term": {"d__all": {"value": "async", "boost": 1.0}}}
//!     ]}},
//!     "sort": {"occurred_at": "desc"}
//! }));
//! ```

mod builder;
mod dates;

use std::fmt;

use pbj::{DateTime, SchemaCurie};
use serde_json::{Value, json};

use crate::search::query::{BoolOperator, ComparisonOperator, Node, NodeKind, ParsedQuery};
use builder::Builder;

/// The document field holding every text field (`MappingBuilder::ALL_FIELD`).
pub const ALL_FIELD: &str = builder::DEFAULT_FIELD;
/// The document field holding the event's curie message name (`MappingBuilder::TYPE_FIELD`).
pub const TYPE_FIELD: &str = "d__type";
/// The document field holding `occurred_at` as an ISO date (`IndexManager`).
pub const OCCURRED_AT_ISO_FIELD: &str = "d__occurred_at_iso";

/// The `sort` of a search request (`gdbots:pbjx:search-events-sort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SearchSort {
    /// Score, boosted by recency (also `unknown`, and the default).
    #[default]
    Relevance,
    /// Newest first.
    DateDesc,
    /// Oldest first.
    DateAsc,
}

impl SearchSort {
    /// The sort of an enum value: `relevance`, `date-desc`, `date-asc`; `unknown` sorts by
    /// relevance as in the original. `None` for anything else.
    ///
    /// ```
    /// use pbjx::search::elasticsearch_query::SearchSort;
    ///
    /// assert_eq!(SearchSort::from_value("date-asc"), Some(SearchSort::DateAsc));
    /// assert_eq!(SearchSort::from_value("unknown"), Some(SearchSort::Relevance));
    /// assert_eq!(SearchSort::from_value("newest"), None);
    /// ```
    pub fn from_value(value: &str) -> Option<Self> {
        match value {
            "relevance" | "unknown" => Some(Self::Relevance),
            "date-desc" => Some(Self::DateDesc),
            "date-asc" => Some(Self::DateAsc),
            _ => None,
        }
    }
}

/// The fields of a search request the query depends on, besides `q`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchParams {
    /// How hits are ordered.
    pub sort: SearchSort,
    /// Only events that occurred after this instant.
    pub occurred_after: Option<DateTime>,
    /// Only events that occurred before this instant (also the relevance decay's origin).
    pub occurred_before: Option<DateTime>,
    /// Only events of these types (empty: all).
    pub curies: Vec<SchemaCurie>,
}

/// The Elasticsearch body (`Query::toArray()`) of the original `QueryFactory::create()` for
/// `query` and `params`, with `now` as the relevance decay's origin when `occurred_before` is
/// not set.
///
/// ```
/// use pbjx::pbj::DateTime;
/// use pbjx::search::elasticsearch_query::{SearchParams, create};
/// use pbjx::search::query::parse;
///
/// let now = DateTime::parse("2024-06-15T10:11:12Z").unwrap();
/// let body = create(&parse("cats^2").unwrap(), &SearchParams::default(), now).unwrap();
/// let score = &body["query"]["function_score"];
/// assert_eq!(score["query"]["bool"]["should"][0]["match"]["d__all"]["boost"], 2.0);
/// assert_eq!(
///     score["functions"][0]["exp"]["d__occurred_at_iso"]["origin"],
///     "2024-06-15T10:11:12.000000Z"
/// );
/// ```
pub fn create(
    query: &ParsedQuery,
    params: &SearchParams,
    now: DateTime,
) -> Result<Value, BuildError> {
    let window = date_window(params);
    let mut builder = Builder::new(now);
    for node in query.nodes().iter().chain(&window) {
        builder.add(node)?;
    }
    let mut bool_query = builder.finish();
    if !bool_query.has_must() {
        bool_query.set("minimum_should_match", "2<80%");
    }
    if !params.curies.is_empty() {
        let types = params.curies.iter().map(|c| c.message().into()).collect();
        bool_query.filter_terms(TYPE_FIELD, types);
    }
    let query = bool_query.into_value();
    Ok(match params.sort {
        SearchSort::DateDesc => json!({ "query": query, "sort": { "occurred_at": "desc" } }),
        SearchSort::DateAsc => json!({ "query": query, "sort": { "occurred_at": "asc" } }),
        SearchSort::Relevance => {
            let origin = params.occurred_before.unwrap_or(now).to_php_string();
            let decay = json!({ OCCURRED_AT_ISO_FIELD: {
                "origin": origin, "scale": "7d", "offset": "60d", "decay": 0.1
            }});
            json!({ "query": { "function_score": {
                "query": query,
                "functions": [{ "exp": decay }],
            }}})
        }
    })
}

/// The original's `applyDateFilters`: required `occurred_at` fields compared with the
/// request's window as microtime numbers.
fn date_window(params: &SearchParams) -> Vec<Node> {
    [
        (params.occurred_after, ComparisonOperator::Gt),
        (params.occurred_before, ComparisonOperator::Lt),
    ]
    .into_iter()
    .filter_map(|(at, comparison)| {
        let number = NodeKind::Number {
            value: php_microtime(at?),
            comparison,
        };
        let field = NodeKind::Field {
            name: "occurred_at".into(),
            node: Box::new(Node::new(number, BoolOperator::Optional, None, None)),
        };
        Some(Node::new(field, BoolOperator::Required, None, None))
    })
    .collect()
}

/// `(float)Microtime::fromDateTime($at)->toString()`: the seconds and the 6-digit fraction
/// written one after the other, so before 1970 the fraction counts away from zero.
fn php_microtime(at: DateTime) -> f64 {
    let micros = at.unix_micros();
    let (secs, fraction) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    let joined = if secs < 0 {
        secs * 1_000_000 - fraction
    } else {
        secs * 1_000_000 + fraction
    };
    joined as f64
}

/// A query the original's builder cannot turn into a body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// A field inside a field or range (`LogicException` in the original).
    NestedField,
    /// A range outside a field, or inside a subquery or range (`LogicException`).
    RangeOutsideField,
    /// A subquery inside a subquery or range (`LogicException`).
    NestedSubquery,
    /// `_exists_` or `_missing_` given a number instead of a field name (`TypeError`).
    ExistsOfNumber {
        /// `_exists_` or `_missing_`.
        field: String,
    },
    /// A number JSON cannot hold, e.g. from `1e999` (the original's JSON encoding fails).
    NonFiniteNumber,
    /// A date that rolls over to a year outside 0000-9999.
    DateOutOfRange {
        /// The date as written.
        value: String,
    },
}

impl BuildError {
    /// A stable name for the kind of error, e.g. `exists_of_number`.
    ///
    /// ```
    /// use pbjx::pbj::DateTime;
    /// use pbjx::search::elasticsearch_query::{SearchParams, create};
    /// use pbjx::search::query::parse;
    ///
    /// let error = create(&parse("_exists_:5").unwrap(), &SearchParams::default(), DateTime::now());
    /// assert_eq!(error.unwrap_err().kind(), "exists_of_number");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NestedField => "nested_field",
            Self::RangeOutsideField => "range_outside_field",
            Self::NestedSubquery => "nested_subquery",
            Self::ExistsOfNumber { .. } => "exists_of_number",
            Self::NonFiniteNumber => "non_finite_number",
            Self::DateOutOfRange { .. } => "date_out_of_range",
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NestedField => f.write_str("A Field cannot be nested in another Field or Range."),
            Self::RangeOutsideField => {
                f.write_str("A Range can only be used within a field.  e.g. rating:[1..5]")
            }
            Self::NestedSubquery => f.write_str("A Subquery cannot be nested or within a Range."),
            Self::ExistsOfNumber { field } => {
                write!(f, "{field} needs a field name, not a number.")
            }
            Self::NonFiniteNumber => f.write_str("A number in the query is too large for JSON."),
            Self::DateOutOfRange { value } => {
                write!(f, "The date [{value}] falls outside the years 0000-9999.")
            }
        }
    }
}

impl std::error::Error for BuildError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    fn at(s: &str) -> DateTime {
        DateTime::parse(s).unwrap()
    }

    #[test]
    fn relevance_decays_from_occurred_before_or_now() {
        let now = at("2024-06-15T10:11:12.123456Z");
        let body = create(&ParsedQuery::default(), &SearchParams::default(), now).unwrap();
        assert_eq!(
            body,
            json!({"query": {"function_score": {
                "query": {"bool": {"minimum_should_match": "2<80%"}},
                "functions": [{"exp": {"d__occurred_at_iso": {
                    "origin": "2024-06-15T10:11:12.123456Z",
                    "scale": "7d", "offset": "60d", "decay": 0.1}}}]
            }}})
        );
        let params = SearchParams {
            occurred_before: Some(at("2020-01-02T03:04:05.000006Z")),
            ..SearchParams::default()
        };
        let body = create(&ParsedQuery::default(), &params, now).unwrap();
        let decay = &body["query"]["function_score"]["functions"][0]["exp"];
        assert_eq!(
            decay["d__occurred_at_iso"]["origin"],
            "2020-01-02T03:04:05.000006Z"
        );
    }

    #[test]
    fn date_window_and_curies_are_filters() {
        let params = SearchParams {
            sort: SearchSort::DateAsc,
            occurred_after: Some(at("2024-01-01T00:00:00.5Z")),
            occurred_before: Some(at("2024-02-01T00:00:00Z")),
            curies: vec![
                SchemaCurie::parse("acme:blog:event:article-published").unwrap(),
                SchemaCurie::parse("gdbots:pbjx:event:health-checked").unwrap(),
            ],
        };
        let body = create(&parse("cats").unwrap(), &params, DateTime::now()).unwrap();
        assert_eq!(
            body,
            json!({"query": {"bool": {
                "should": [{"match": {"d__all": {"query": "cats", "operator": "and", "lenient": true}}}],
                "filter": [
                    {"range": {"occurred_at": {"gt": 1_704_067_200_500_000.0}}},
                    {"range": {"occurred_at": {"lt": 1_706_745_600_000_000.0}}},
                    {"terms": {"d__type": ["article-published", "health-checked"]}}
                ],
                "minimum_should_match": "2<80%"
            }}, "sort": {"occurred_at": "asc"}})
        );
    }

    #[test]
    fn microtime_before_1970_joins_seconds_and_fraction() {
        assert_eq!(php_microtime(at("1969-12-31T23:59:58.75Z")), -2_750_000.0);
        assert_eq!(php_microtime(at("1970-01-01T00:00:01.25Z")), 1_250_000.0);
    }

    #[test]
    fn what_the_original_cannot_build_is_an_error() {
        let build = |q: &str| {
            create(
                &parse(q).unwrap(),
                &SearchParams::default(),
                DateTime::now(),
            )
        };
        assert_eq!(
            build("_exists_:5"),
            Err(BuildError::ExistsOfNumber {
                field: "_exists_".into()
            })
        );
        assert_eq!(build("1e999"), Err(BuildError::NonFiniteNumber));
        let word = |v: &str| {
            let kind = NodeKind::Word {
                value: v.into(),
                trailing_wildcard: false,
            };
            Node::new(kind, BoolOperator::Optional, None, None)
        };
        let subquery = |nodes| {
            Node::new(
                NodeKind::Subquery(nodes),
                BoolOperator::Optional,
                None,
                None,
            )
        };
        let nested = ParsedQuery::new(vec![subquery(vec![word("a"), subquery(vec![word("b")])])]);
        assert_eq!(
            create(&nested, &SearchParams::default(), DateTime::now()),
            Err(BuildError::NestedSubquery)
        );
        let exists = build("+_missing_:Title").unwrap();
        assert_eq!(
            exists["query"]["function_score"]["query"]["bool"]["must_not"],
            json!([{"exists": {"field": "title"}}])
        );
    }
}
