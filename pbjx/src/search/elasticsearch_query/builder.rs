//! The original `ElasticaQueryBuilder` (with `AbstractQueryBuilder`) as configured by
//! `QueryFactory`: default field `d__all`, stop words, emojis and emoticons ignored, terms
//! lower-cased, no nested fields, no dedicated hashtag/mention/emoji fields.

use serde_json::{Map, Value, json};

use super::BuildError;
use super::dates::php_date;
use crate::search::query::{BoolOperator, ComparisonOperator, Node, NodeKind, Range};
use pbj::DateTime;

/// The field words and phrases are matched on when no field is given.
pub(super) const DEFAULT_FIELD: &str = "d__all";

/// Fields matched with `match` / `match_phrase` rather than `term` (the original's default
/// list of common full-text fields).
const FULL_TEXT_FIELDS: &[&str] = &[
    "d__all",
    "_all",
    "title",
    "tiny_title",
    "short_title",
    "excerpt",
    "description",
    "overview",
    "summary",
    "story",
    "html",
    "text",
    "markdown",
    "content",
    "contents",
    "contents-continued",
    "contents-md",
    "contents-mobile",
    "mobile-contents",
    "txt-contents",
    "text-contents",
    "abstract",
    "search_text",
    "cover",
    "bio",
    "mini_bio",
    "meta_title",
    "meta_description",
    "meta_keywords",
    "og_title",
    "og_description",
    "og_keywords",
    "seo_title",
    "seo_description",
    "seo_keywords",
    "img_credit",
    "img_caption",
    "credit",
    "caption",
    "img_credits",
    "img_captions",
    "image_credits",
    "image_captions",
    "credits",
    "captions",
    "full_name",
    "first_name",
    "last_name",
    "street1",
    "street2",
    "city",
    "address.street1",
    "address.street2",
    "address.city",
    "ctx_ip_geo.street1",
    "ctx_ip_geo.street2",
    "ctx_ip_geo.city",
];

/// Whether `field` is matched as full text (PHP `trim(strtolower($field))` looked up).
fn is_full_text(field: &str) -> bool {
    let field = field.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0B']);
    FULL_TEXT_FIELDS
        .iter()
        .any(|f| f.as_bytes().eq_ignore_ascii_case(field.as_bytes()))
}

/// Where a clause goes in a bool query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occur {
    Should,
    Must,
    MustNot,
    Filter,
}

impl Occur {
    fn key(self) -> &'static str {
        match self {
            Self::Should => "should",
            Self::Must => "must",
            Self::MustNot => "must_not",
            Self::Filter => "filter",
        }
    }

    fn of(bool_operator: BoolOperator) -> Self {
        match bool_operator {
            BoolOperator::Optional => Self::Should,
            BoolOperator::Required => Self::Must,
            BoolOperator::Prohibited => Self::MustNot,
        }
    }

    /// A cacheable clause goes to the filter context, unless it must not match.
    fn cached(self, cacheable: bool) -> Self {
        if cacheable && self != Self::MustNot {
            Self::Filter
        } else {
            self
        }
    }
}

/// Elastica's `BoolQuery`: its parameters in the order they were first set.
#[derive(Debug, Default)]
pub(super) struct BoolQuery {
    params: Map<String, Value>,
}

impl BoolQuery {
    fn add(&mut self, occur: Occur, query: Value) {
        let clauses = self
            .params
            .entry(occur.key())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(clauses) = clauses {
            clauses.push(query);
        }
    }

    pub(super) fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.params.insert(key.to_owned(), value.into());
    }

    pub(super) fn has_must(&self) -> bool {
        self.params.contains_key("must")
    }

    /// `{"terms": {field: values}}` in the filter context.
    pub(super) fn filter_terms(&mut self, field: &str, values: Vec<Value>) {
        self.add(Occur::Filter, json!({ "terms": { field: values } }));
    }

    pub(super) fn into_value(self) -> Value {
        json!({ "bool": self.params })
    }
}

/// The state of one build: the bool query being filled and where the walk is.
pub(super) struct Builder<'a> {
    now: DateTime,
    query: BoolQuery,
    /// The query outside the current subquery.
    outer: Option<BoolQuery>,
    field: Option<&'a Node>,
    field_cacheable: bool,
    in_range: bool,
    in_subquery: bool,
}

/// `(use_boost, boost)` of a node.
fn boost_of(node: &Node) -> (bool, f64) {
    (node.use_boost(), node.boost())
}

impl<'a> Builder<'a> {
    pub(super) fn new(now: DateTime) -> Self {
        Self {
            now,
            query: BoolQuery::default(),
            outer: None,
            field: None,
            field_cacheable: false,
            in_range: false,
            in_subquery: false,
        }
    }

    /// The bool query built so far.
    pub(super) fn finish(self) -> BoolQuery {
        self.query
    }

    /// `acceptBuilder` of each node kind.
    pub(super) fn add(&mut self, node: &'a Node) -> Result<(), BuildError> {
        match node.kind() {
            NodeKind::Word { .. } | NodeKind::Phrase(_) => self.handle_text(node),
            NodeKind::Field { .. } => self.add_field(node),
            NodeKind::Subquery(nodes) => self.add_subquery(node, nodes),
            NodeKind::NumberRange(range)
            | NodeKind::DateRange(range)
            | NodeKind::WordRange(range) => self.add_range(node, range),
            _ => self.handle_term(node),
        }
    }

    fn add_field(&mut self, field: &'a Node) -> Result<(), BuildError> {
        let NodeKind::Field { node, .. } = field.kind() else {
            return Ok(());
        };
        if self.field.is_some() || self.in_range {
            return Err(BuildError::NestedField);
        }
        self.field = Some(field);
        self.field_cacheable = is_cacheable(field);
        let result = self.add(node);
        self.field = None;
        self.field_cacheable = false;
        result
    }

    fn add_range(&mut self, node: &'a Node, range: &Range) -> Result<(), BuildError> {
        let Some(field) = self.field.filter(|_| !self.in_range && !self.in_subquery) else {
            return Err(BuildError::RangeOutsideField);
        };
        self.in_range = true;
        let result = self.handle_range(node, range, field);
        self.in_range = false;
        result
    }

    fn add_subquery(&mut self, subquery: &'a Node, nodes: &'a [Node]) -> Result<(), BuildError> {
        if self.in_range || self.in_subquery {
            return Err(BuildError::NestedSubquery);
        }
        self.in_subquery = true;
        self.outer = Some(std::mem::take(&mut self.query));
        let result = nodes.iter().try_for_each(|n| self.add(n));
        let mut inner = std::mem::replace(&mut self.query, self.outer.take().unwrap_or_default());
        if !inner.params.is_empty() {
            inner.set("minimum_should_match", 1);
            let (use_boost, boost, bool_operator) = match self.field {
                Some(field) => (field.use_boost(), field.boost(), field.bool_operator()),
                None => (
                    subquery.use_boost(),
                    subquery.boost(),
                    subquery.bool_operator(),
                ),
            };
            if use_boost {
                inner.set("boost", boost);
            }
            self.query.add(Occur::of(bool_operator), inner.into_value());
        }
        self.in_subquery = false;
        result
    }

    /// The bool operator that applies: a simple field's own, else the node's.
    fn effective_operator(&self, node: &Node) -> BoolOperator {
        match self.field {
            Some(field) if !is_compound_field(field) => field.bool_operator(),
            _ => node.bool_operator(),
        }
    }

    /// `(use_boost, boost)` that applies: the field's outside subqueries, else the node's.
    fn effective_boost(&self, node: &Node) -> (bool, f64) {
        match self.field {
            Some(field) if !self.in_subquery => boost_of(field),
            _ => boost_of(node),
        }
    }

    fn field_name(&self) -> &'a str {
        self.field
            .and_then(|f| f.kind().text())
            .unwrap_or(DEFAULT_FIELD)
    }

    fn handle_text(&mut self, node: &Node) -> Result<(), BuildError> {
        if self
            .field
            .is_some_and(|f| !is_full_text(f.kind().text().unwrap_or("")))
        {
            return self.handle_term(node);
        }
        // Stop words are dropped, whatever their operator.
        if node.is_stop_word() {
            return Ok(());
        }
        let occur = Occur::of(self.effective_operator(node));
        let field = self.field_name();
        let (use_boost, boost) = self.effective_boost(node);
        let (mut use_fuzzy, mut fuzzy) = match self.field {
            Some(field) if !self.in_subquery => (field.use_fuzzy(), field.fuzzy()),
            _ => (node.use_fuzzy(), node.fuzzy()),
        };
        let query = match node.kind() {
            NodeKind::Phrase(value) => {
                // A phrase with characters beyond letters, digits, whitespace and `._-` gets
                // some slop when it is optional.
                if !use_fuzzy && occur == Occur::Should && has_special_chars(value) {
                    use_fuzzy = true;
                    fuzzy = 1;
                }
                let mut data = json!({ "query": value });
                if use_boost {
                    data["boost"] = boost.into();
                }
                if use_fuzzy {
                    data["slop"] = fuzzy.into();
                }
                json!({ "match_phrase": { field: data } })
            }
            NodeKind::Word { value, .. } if use_fuzzy => {
                let mut data = json!({ "value": value, "fuzziness": fuzzy });
                if use_boost {
                    data["boost"] = boost.into();
                }
                json!({ "fuzzy": { field: data } })
            }
            NodeKind::Word {
                value,
                trailing_wildcard: true,
            } => {
                let boost = if use_boost {
                    boost
                } else {
                    Node::DEFAULT_BOOST
                };
                let value = format!("{}*", value.to_ascii_lowercase());
                json!({ "wildcard": { field: { "value": value, "boost": boost } } })
            }
            kind => {
                let value = kind.text().unwrap_or_default();
                let mut data = json!({ "query": value, "operator": "and", "lenient": true });
                if use_boost {
                    data["boost"] = boost.into();
                }
                json!({ "match": { field: data } })
            }
        };
        self.query.add(occur, query);
        Ok(())
    }

    fn handle_term(&mut self, node: &Node) -> Result<(), BuildError> {
        if matches!(node.kind(), NodeKind::Emoji(_) | NodeKind::Emoticon(_)) {
            return Ok(());
        }
        let mut occur = Occur::of(self.effective_operator(node));
        // Only required and prohibited clauses may be cached.
        let mut cacheable = occur != Occur::Should && self.field_cacheable;
        let field = self.field_name();
        let (use_boost, boost) = self.effective_boost(node);
        let value = match node.kind() {
            NodeKind::Number { value, .. } => number(*value)?,
            kind => Value::from(kind.text().unwrap_or_default().to_ascii_lowercase()),
        };
        let term = if field == "_exists_" || field == "_missing_" {
            let Value::String(name) = value else {
                return Err(BuildError::ExistsOfNumber {
                    field: field.to_owned(),
                });
            };
            occur = if field == "_exists_" {
                Occur::Must
            } else {
                Occur::MustNot
            };
            cacheable = true;
            json!({ "exists": { "field": name } })
        } else if let NodeKind::Date { value, comparison } = node.kind() {
            let mut data = Map::new();
            if *comparison == ComparisonOperator::Eq {
                data.insert("gte".into(), php_date(value, 0, self.now)?.into());
                data.insert("lt".into(), php_date(value, 1, self.now)?.into());
            } else {
                data.insert(
                    comparison.as_str().into(),
                    php_date(value, 0, self.now)?.into(),
                );
            }
            if !cacheable {
                let boost = if use_boost {
                    boost
                } else {
                    Node::DEFAULT_BOOST
                };
                data.insert("boost".into(), boost.into());
            }
            json!({ "range": { field: data } })
        } else if let NodeKind::Number { comparison, .. } = node.kind()
            && *comparison != ComparisonOperator::Eq
        {
            let mut data = Map::new();
            data.insert(comparison.as_str().into(), value);
            if use_boost {
                data.insert("boost".into(), boost.into());
            }
            json!({ "range": { field: data } })
        } else {
            json!({ "term": { field: { "value": value, "boost": boost } } })
        };
        self.query.add(occur.cached(cacheable), term);
        Ok(())
    }

    fn handle_range(&mut self, node: &Node, range: &Range, field: &Node) -> Result<(), BuildError> {
        let (lower_op, upper_op) = if range.is_exclusive() {
            ("gt", "lt")
        } else {
            ("gte", "lte")
        };
        let mut data = Map::new();
        let is_date = matches!(node.kind(), NodeKind::DateRange(_));
        for (op, bound, plus_days) in [(lower_op, range.lower(), 0), (upper_op, range.upper(), 1)] {
            let Some(bound) = bound else { continue };
            let value = match bound.kind() {
                NodeKind::Number { value, .. } => number(*value)?,
                kind if is_date => {
                    php_date(kind.text().unwrap_or_default(), plus_days, self.now)?.into()
                }
                kind => kind.text().unwrap_or_default().into(),
            };
            data.insert(op.into(), value);
        }
        let occur = Occur::of(field.bool_operator());
        if !self.field_cacheable && field.use_boost() {
            data.insert("boost".into(), field.boost().into());
        }
        let name = field.kind().text().unwrap_or_default();
        self.query.add(
            occur.cached(self.field_cacheable),
            json!({ "range": { name: data } }),
        );
        Ok(())
    }
}

/// A field whose node is a field, range or subquery.
fn is_compound_field(field: &Node) -> bool {
    matches!(field.kind(), NodeKind::Field { node, .. } if node.kind().is_compound())
}

/// `queryOnFieldIsCacheable`: a required or prohibited, unboosted field on exact values.
fn is_cacheable(field: &Node) -> bool {
    let NodeKind::Field { name, node } = field.kind() else {
        return false;
    };
    if field.is_optional() || field.use_boost() {
        return false;
    }
    let inexact = node.use_fuzzy()
        || is_full_text(name)
        || matches!(
            node.kind(),
            NodeKind::Subquery(_)
                | NodeKind::WordRange(_)
                | NodeKind::Phrase(_)
                | NodeKind::Word {
                    trailing_wildcard: true,
                    ..
                }
        );
    !inexact
}

/// `preg_match('/[^a-zA-Z0-9\s\._-]+/', $value)` (bytes, ASCII classes).
fn has_special_chars(value: &str) -> bool {
    value.bytes().any(|b| {
        !(b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b'.' | b'_' | b'-'
            ))
    })
}

/// A number as JSON; the original cannot encode infinities (its request fails).
fn number(value: f64) -> Result<Value, BuildError> {
    if value.is_finite() {
        Ok(value.into())
    } else {
        Err(BuildError::NonFiniteNumber)
    }
}
