//! The gdbots query language: `funny #cats plays:>500 -dogs "exact phrase"^2 date:[2024-01-01..]`.
//!
//! [`parse`] turns a user's query into a [`ParsedQuery`] of [`Node`]s (words, phrases, hashtags,
//! mentions, emoticons, emojis, urls, numbers, dates, fields, ranges and one level of
//! subqueries, each with a [`BoolOperator`], boost and fuzziness). It reproduces the original
//! PHP parser (gdbots/query-parser 3.0) exactly, including its quirks, so that queries written
//! for the PHP service mean the same here; [`ParsedQuery::to_array`] is its `toArray()`.
//! No I/O.
//!
//! ```
//! use pbjx::search::query::{BoolOperator, NodeKind, parse};
//!
//! let query = parse("+rust pre* \"two words\"~2 -java").unwrap();
//! let [rust, pre, phrase, java] = query.nodes() else { panic!() };
//! assert_eq!(rust.bool_operator(), BoolOperator::Required);
//! assert!(matches!(pre.kind(), NodeKind::Word { trailing_wildcard: true, .. }));
//! assert_eq!(phrase.fuzzy(), 2);
//! assert!(java.is_prohibited());
//! ```
//!
//! # The original's behaviour, reproduced
//! - Runs of whitespace count as one space and `""` as `" "`, so `""` is never an empty phrase.
//! - The input is cut by one pattern (emoticon, url, phrase, field, word, in that order of
//!   preference); each character none of them takes (`(`, `)`, `^`, `~`, `<`, `>`, `=`, `[`,
//!   `]`, `{`, `}`, `\`, whitespace) is a chunk of its own.
//! - Numbers are whatever PHP's `is_numeric` accepts (`-3`, `1.`, `.5`, `6e23`), read as
//!   floats; a number has no bool operator and no boost (`-5` is the number -5).
//! - Hashtags, mentions, emoticons and emojis are required unless prohibited.
//! - `AND` / `&&` make their neighbours required; `OR` / `||` are dropped; `NOT` is a word.
//! - Values lose `#@,.!?;|&+-^~*\"'` and whitespace at both ends (so `;)` is the emoticon `)`);
//!   a word without an ASCII digit or a letter, or equal to `0` (PHP's `empty()`), is dropped.
//! - A value starting with a listed emoji is an emoji (`😀abc`): the original's `^…$` anchors
//!   bind only to the first and last alternatives of its emoji pattern.
//! - A word ending in `:` absorbs the next word (`a:b` inside a subquery is one word).
//! - Boosts are clamped to 0..=10, fuzziness to 1..=2, and both are kept only on optional
//!   nodes; `^` and `~` inside ranges and subqueries are ignored.
//! - A range without `..` / `TO` consumes the query up to the next `TO`; an empty subquery
//!   `()` consumes it up to the next `)`; range bounds of different types become a subquery.
//! - A subquery holding one node is that node with the subquery's operator and modifiers
//!   (`+(cats)^5` is `+cats^5`).
//! - Where the original throws (a field inside a field, a field or subquery among the nodes of
//!   a subquery, a range field as the only node of a subquery; all reachable only through the
//!   `()` quirk), [`parse`] returns a [`QueryError`]. So it does past [`MAX_DEPTH`] nested
//!   subqueries, which the original would follow until it ran out of memory.
//!
//! The original checks the rest of a chunk again as a new value after each `..`, which takes
//! quadratic time on long chunks (`a..b..c…`); here the checks that look at a whole value
//! reuse what they found about the chunk's end, so parsing takes time linear in the input.
//!
//! The character classes follow PHP's PCRE2 10.40 (UCP `\s` and `\w`, case folding of
//! `[a-zA-Z]` with `/i`); `\p{L}` comes from the `regex` crate's newer Unicode tables, so a
//! letter added to Unicode after version 14 counts as a letter here. A number too large for a
//! float (`1e999`) is infinite; the original cannot JSON-encode it and
//! [`ParsedQuery::to_array`] writes `null`.

mod node;
mod parsed_query;
mod parser;
mod patterns;
mod php;
mod stream;
mod token;
mod tokenizer;

use std::fmt;

pub use node::{BoolOperator, ComparisonOperator, Node, NodeKind, Range, STOP_WORDS};
pub use parsed_query::ParsedQuery;
pub use parser::MAX_DEPTH;

/// Parses a query as the original `QueryParser::parse` does.
///
/// ```
/// use pbjx::search::query::parse;
///
/// let query = parse("title:[a TO m] #cats").unwrap();
/// assert_eq!(query.to_array(), serde_json::json!([
///     {"type": "field", "value": "title", "node": {
///         "type": "word_range",
///         "lower_node": {"type": "word", "value": "a"},
///         "upper_node": {"type": "word", "value": "m"}}},
///     {"type": "hashtag", "value": "cats", "bool_operator": 1}
/// ]));
/// assert!(parse("() a:(b) c").is_err());
/// ```
pub fn parse(input: &str) -> Result<ParsedQuery, QueryError> {
    let patterns = patterns::patterns().ok_or(QueryError::PatternsUnavailable)?;
    let tokens = tokenizer::scan(input, patterns);
    parser::parse(tokens).map(ParsedQuery::new)
}

/// A query the original parser rejects with an exception.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// A field would hold another field (`LogicException: A Field cannot contain another
    /// field.`).
    NestedField {
        /// The outer field.
        field: String,
        /// The inner field.
        inner: String,
    },
    /// A subquery would hold a field, range or subquery (`LogicException: A Subquery cannot
    /// contain compound nodes.`).
    CompoundNodeInSubquery {
        /// The type of the compound node, e.g. `field`.
        node_type: &'static str,
    },
    /// A field with a range is the only node of a subquery, which the original cannot rebuild
    /// (`TypeError` in `Range::fromArray`).
    RangeInCollapsedSubquery {
        /// The field.
        field: String,
    },
    /// Subqueries nest deeper than [`MAX_DEPTH`] (possible only through the `()` quirk; the
    /// original has no limit).
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The tokenizer's patterns did not compile (a build defect; never expected).
    PatternsUnavailable,
}

impl QueryError {
    /// A stable name for the kind of error: `nested_field`, `compound_node_in_subquery`,
    /// `range_in_collapsed_subquery`, `too_deep` or `patterns_unavailable`.
    ///
    /// ```
    /// use pbjx::search::query::parse;
    ///
    /// assert_eq!(parse("f:() a:b").unwrap_err().kind(), "nested_field");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NestedField { .. } => "nested_field",
            Self::CompoundNodeInSubquery { .. } => "compound_node_in_subquery",
            Self::RangeInCollapsedSubquery { .. } => "range_in_collapsed_subquery",
            Self::TooDeep { .. } => "too_deep",
            Self::PatternsUnavailable => "patterns_unavailable",
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NestedField { field, inner } => write!(
                f,
                "A Field cannot contain another field: [{field}] holds [{inner}]."
            ),
            Self::CompoundNodeInSubquery { node_type } => write!(
                f,
                "A Subquery cannot contain compound nodes (Field, Range, Subquery): found a {node_type}."
            ),
            Self::RangeInCollapsedSubquery { field } => write!(
                f,
                "The range of field [{field}] cannot stand alone in a subquery."
            ),
            Self::TooDeep { limit } => {
                write!(f, "The query nests subqueries deeper than {limit} levels.")
            }
            Self::PatternsUnavailable => {
                f.write_str("The query tokenizer's patterns did not compile.")
            }
        }
    }
}

impl std::error::Error for QueryError {}
