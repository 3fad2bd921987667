//! Runs the Elasticsearch body of [`crate::search::elasticsearch_query::create`] on tantivy.
//!
//! The body is the one meaning of a query for every backend, so this reads the part of the
//! query DSL that body uses — `bool` (`should` / `must` / `must_not` / `filter`,
//! `minimum_should_match` as a number or `N<P%`, `boost`), `match` (operator `and`),
//! `match_phrase` (`slop`), `fuzzy`, `wildcard` (trailing `*`), `term`, `terms`, `range`,
//! `exists`, and `function_score` with one `exp` decay — and builds the same query from
//! tantivy parts. Anything else (a word range on a text field, a wildcard on a named field)
//! is an [`Error::InvalidQuery`] naming the clause, never a clause silently dropped.

use std::ops::Bound;

use serde_json::{Map, Value};
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, Occur,
    PhraseQuery, Query, RangeQuery, RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

use super::fields::{self, Fields, Leaf, OCCURRED_AT};
use crate::error::{Error, Result};
use crate::search::document::{Kind, Kinds};
use crate::search::elasticsearch_query::{ALL_FIELD, OCCURRED_AT_ISO_FIELD, TYPE_FIELD};

/// The relevance decay of a `function_score` (`exp` on `d__occurred_at_iso`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Decay {
    /// The origin, in microseconds.
    pub(crate) origin: i64,
    /// `scale`, in microseconds.
    pub(crate) scale: f64,
    /// `offset`, in microseconds.
    pub(crate) offset: f64,
    /// `decay` (the factor at `offset + scale` from the origin).
    pub(crate) decay: f64,
}

impl Decay {
    /// The factor of a document that occurred at `at` (ES `exp`: `e^(ln(decay) / scale *
    /// max(0, |at - origin| - offset))`).
    pub(crate) fn factor(&self, at: i64) -> f64 {
        let distance = ((at as f64 - self.origin as f64).abs() - self.offset).max(0.0);
        (self.decay.ln() / self.scale * distance).exp()
    }
}

/// Translates one body.
pub(crate) struct Translator<'a> {
    fields: &'a Fields,
    kinds: &'a Kinds,
    english: TextAnalyzer,
    q: &'a str,
    /// The caller's tenant (event ids are searched in `_key`, which starts with it).
    tenant: &'a str,
}

impl<'a> Translator<'a> {
    /// `english` is the analyzer of text fields ([`fields::english`]), built once by the caller.
    pub(crate) fn new(
        fields: &'a Fields,
        kinds: &'a Kinds,
        english: TextAnalyzer,
        q: &'a str,
        tenant: &'a str,
    ) -> Self {
        Self {
            fields,
            kinds,
            english,
            q,
            tenant,
        }
    }

    fn unsupported(&self, what: impl std::fmt::Display) -> Error {
        Error::InvalidQuery {
            query: self.q.to_owned(),
            kind: "unsupported".into(),
            message: format!("the tantivy event search cannot run {what}"),
        }
    }

    /// The query of a body's `query` and the relevance decay, if any.
    pub(crate) fn body(&mut self, body: &Value) -> Result<(Box<dyn Query>, Option<Decay>)> {
        let query = body
            .get("query")
            .ok_or_else(|| self.unsupported("a body without query"))?;
        if let Some(score) = query.get("function_score") {
            let inner = score
                .get("query")
                .ok_or_else(|| self.unsupported("a function_score without query"))?;
            let decay = self.decay(score)?;
            return Ok((self.query(inner)?, Some(decay)));
        }
        Ok((self.query(query)?, None))
    }

    fn decay(&self, score: &Value) -> Result<Decay> {
        let exp = score
            .get("functions")
            .and_then(|f| f.get(0))
            .and_then(|f| f.get("exp"))
            .and_then(|e| e.get(OCCURRED_AT_ISO_FIELD))
            .ok_or_else(|| self.unsupported("a function_score other than an exp decay"))?;
        let origin = exp
            .get("origin")
            .and_then(Value::as_str)
            .and_then(fields::date_micros);
        let scale = exp.get("scale").and_then(Value::as_str).and_then(duration);
        let offset = exp.get("offset").and_then(Value::as_str).and_then(duration);
        let decay = exp.get("decay").and_then(Value::as_f64);
        match (origin, scale, offset, decay) {
            (Some(origin), Some(scale), Some(offset), Some(decay))
                if scale > 0.0 && decay > 0.0 && decay < 1.0 =>
            {
                Ok(Decay {
                    origin,
                    scale,
                    offset,
                    decay,
                })
            }
            _ => Err(self.unsupported(format!("the decay {exp}"))),
        }
    }

    /// One clause.
    pub(crate) fn query(&mut self, clause: &Value) -> Result<Box<dyn Query>> {
        let Some((name, spec)) = clause.as_object().and_then(single) else {
            return Err(self.unsupported(format!("the clause {clause}")));
        };
        match name.as_str() {
            "bool" => self.bool_query(spec),
            "terms" => {
                let (field, values) = single_of(spec).ok_or_else(|| self.unsupported(clause))?;
                let values = values.as_array().ok_or_else(|| self.unsupported(clause))?;
                let mut queries = Vec::new();
                for value in values {
                    queries.push((Occur::Should, self.term(field, value)?));
                }
                Ok(Box::new(BooleanQuery::with_minimum_required_clauses(
                    queries, 1,
                )))
            }
            "exists" => {
                let field = spec
                    .get("field")
                    .and_then(Value::as_str)
                    .ok_or_else(|| self.unsupported(clause))?;
                Ok(match field {
                    TYPE_FIELD | OCCURRED_AT | OCCURRED_AT_ISO_FIELD => Box::new(AllQuery),
                    _ => Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.paths, field),
                        IndexRecordOption::Basic,
                    )),
                })
            }
            "match" | "match_phrase" | "fuzzy" | "wildcard" | "term" | "range" => {
                let (field, params) = single_of(spec).ok_or_else(|| self.unsupported(clause))?;
                let boost = params.get("boost").and_then(Value::as_f64);
                let query = match name.as_str() {
                    "match" => self.match_query(field, params, false)?,
                    "match_phrase" => self.match_query(field, params, true)?,
                    "fuzzy" => self.fuzzy(field, params)?,
                    "wildcard" => self.wildcard(field, params)?,
                    "term" => {
                        let value = params.get("value").unwrap_or(params);
                        self.term(field, value)?
                    }
                    _ => self.range(field, params)?,
                };
                Ok(boosted(query, boost))
            }
            _ => Err(self.unsupported(format!("the clause [{name}]"))),
        }
    }

    fn bool_query(&mut self, spec: &Value) -> Result<Box<dyn Query>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let (mut positive, mut should) = (false, 0usize);
        for (key, occur) in [
            ("must", Occur::Must),
            ("filter", Occur::Must),
            ("must_not", Occur::MustNot),
            ("should", Occur::Should),
        ] {
            let Some(items) = spec.get(key) else { continue };
            let items: Vec<&Value> = match items {
                Value::Array(items) => items.iter().collect(),
                one => vec![one],
            };
            for item in items {
                let mut query = self.query(item)?;
                if key == "filter" {
                    query = Box::new(ConstScoreQuery::new(query, 0.0));
                }
                positive |= occur == Occur::Must;
                should += usize::from(occur == Occur::Should);
                clauses.push((occur, query));
            }
        }
        let minimum = match spec.get("minimum_should_match") {
            None if positive => 0,
            None => usize::from(should > 0),
            Some(value) => minimum_should_match(value, should)
                .ok_or_else(|| self.unsupported(format!("minimum_should_match {value}")))?,
        };
        let boost = spec.get("boost").and_then(Value::as_f64);
        if minimum > should {
            return Ok(Box::new(EmptyQuery));
        }
        if clauses.is_empty() {
            return Ok(boosted(Box::new(AllQuery), boost));
        }
        if !positive && minimum == 0 {
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(AllQuery), 0.0)),
            ));
        }
        let query = BooleanQuery::with_minimum_required_clauses(clauses, minimum);
        Ok(boosted(Box::new(query), boost))
    }

    /// Where a field lives: `d__all`, `d__type`, `occurred_at`, `_key`, or a path of the JSON
    /// fields.
    fn target(&self, field: &str) -> Target {
        match field {
            ALL_FIELD => Target::All,
            TYPE_FIELD => Target::Type,
            fields::EVENT_ID => Target::EventId,
            path if fields::is_event_time(path) => Target::OccurredAt(
                self.kinds
                    .get(path)
                    .filter(|k| matches!(k, Kind::Long | Kind::Date { .. }))
                    .unwrap_or(Kind::Long),
            ),
            path => Target::Path(self.kinds.get(path)),
        }
    }

    fn match_query(&mut self, field: &str, params: &Value, phrase: bool) -> Result<Box<dyn Query>> {
        let text = match params.get("query").unwrap_or(params) {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let slop = params.get("slop").and_then(Value::as_u64).unwrap_or(0);
        let text_field = match self.target(field) {
            Target::All => Some((self.fields.all, None)),
            Target::Path(None | Some(Kind::Text { .. })) => Some((self.fields.text, Some(field))),
            _ => None,
        };
        let Some((tantivy_field, path)) = text_field else {
            // Exact fields: the value analysed by the field's normalizer is one term; a value
            // the field cannot hold matches nothing (`lenient`).
            let value = Value::String(text);
            return match self.term(field, &value) {
                Ok(query) => Ok(query),
                Err(_) if params.get("lenient") == Some(&Value::Bool(true)) => {
                    Ok(Box::new(EmptyQuery))
                }
                Err(e) => Err(e),
            };
        };
        let tokens = fields::tokens(&mut self.english, &text);
        let terms: Vec<(usize, Term)> = tokens
            .into_iter()
            .map(|(pos, token)| (pos, text_term(tantivy_field, path, &token)))
            .collect();
        let Some(first) = terms.first().map(|(p, _)| *p) else {
            return Ok(Box::new(EmptyQuery));
        };
        if terms.len() == 1 {
            let (_, term) = terms
                .into_iter()
                .next()
                .unwrap_or((0, Term::from_field_text(tantivy_field, "")));
            return Ok(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)));
        }
        if phrase {
            let terms = terms.into_iter().map(|(p, t)| (p - first, t)).collect();
            let slop = u32::try_from(slop).unwrap_or(u32::MAX);
            return Ok(Box::new(PhraseQuery::new_with_offset_and_slop(terms, slop)));
        }
        let clauses = terms
            .into_iter()
            .map(|(_, t)| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs));
                (Occur::Must, q)
            })
            .collect();
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    fn fuzzy(&self, field: &str, params: &Value) -> Result<Box<dyn Query>> {
        let value = params
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| self.unsupported(format!("fuzzy on [{field}] without a string")))?;
        let distance = params
            .get("fuzziness")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .min(2) as u8;
        let term = match self.target(field) {
            Target::All => Term::from_field_text(self.fields.all, value),
            Target::Path(None | Some(Kind::Text { .. })) => {
                text_term(self.fields.text, Some(field), value)
            }
            _ => return Err(self.unsupported(format!("fuzzy on the exact field [{field}]"))),
        };
        Ok(Box::new(FuzzyTermQuery::new(term, distance, true)))
    }

    fn wildcard(&self, field: &str, params: &Value) -> Result<Box<dyn Query>> {
        let value = params.get("value").and_then(Value::as_str).unwrap_or("");
        let Some(prefix) = value.strip_suffix('*').filter(|p| !p.contains(['*', '?'])) else {
            return Err(self.unsupported(format!("the wildcard [{value}]")));
        };
        if self.target(field) != Target::All {
            return Err(self.unsupported(format!("a wildcard on the field [{field}]")));
        }
        let pattern = format!("{}.*", regex_escape(prefix));
        RegexQuery::from_pattern(&pattern, self.fields.all)
            .map(|q| Box::new(q) as Box<dyn Query>)
            .map_err(|e| self.unsupported(format!("the wildcard [{value}]: {e}")))
    }

    fn term(&self, field: &str, value: &Value) -> Result<Box<dyn Query>> {
        let text = || match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let term = match self.target(field) {
            Target::All => Term::from_field_text(self.fields.all, &text()),
            Target::Type => Term::from_field_text(self.fields.type_name, &text()),
            Target::EventId => self.event_key(&text()),
            Target::OccurredAt(kind) => {
                let micros = match kind {
                    Kind::Date { .. } => {
                        match Leaf::of(value).and_then(|leaf| fields::exact_value(kind, &leaf)) {
                            Some(tantivy::schema::OwnedValue::I64(n)) => n,
                            _ => return Ok(Box::new(EmptyQuery)),
                        }
                    }
                    _ => {
                        let n = number(value)
                            .ok_or_else(|| self.unsupported(format!("the time {value}")))?;
                        if n.fract() != 0.0 {
                            return Ok(Box::new(EmptyQuery));
                        }
                        n as i64
                    }
                };
                // A fast field only (not indexed): one value is the range [n, n].
                let term = Term::from_field_i64(self.fields.occurred_at, micros);
                return Ok(Box::new(RangeQuery::new(
                    Bound::Included(term.clone()),
                    Bound::Included(term),
                )));
            }
            Target::Path(None | Some(Kind::Text { .. })) => {
                text_term(self.fields.text, Some(field), &text())
            }
            Target::Path(Some(kind)) => {
                let Some(exact) = exact_term(self.fields.exact, field, kind, value) else {
                    return Ok(Box::new(EmptyQuery));
                };
                exact
            }
        };
        Ok(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)))
    }

    fn range(&self, field: &str, params: &Value) -> Result<Box<dyn Query>> {
        let bound = |key_in: &str, key_ex: &str| -> Option<(bool, &Value)> {
            params
                .get(key_in)
                .map(|v| (true, v))
                .or_else(|| params.get(key_ex).map(|v| (false, v)))
        };
        let lower = bound("gte", "gt");
        let upper = bound("lte", "lt");
        let target = self.target(field);
        let kind = match target {
            Target::OccurredAt(kind) => kind,
            Target::EventId => return self.event_id_range(lower, upper),
            Target::Path(Some(kind)) if !matches!(kind, Kind::Text { .. } | Kind::Skip) => kind,
            _ => return Err(self.unsupported(format!("a range on the text field [{field}]"))),
        };
        let make = |b: Option<(bool, &Value)>, is_lower: bool| -> Result<Bound<Term>> {
            let Some((inclusive, value)) = b else {
                return Ok(Bound::Unbounded);
            };
            let term = match (kind, target) {
                (Kind::Long | Kind::Date { .. }, _) => {
                    let n = match (kind, value) {
                        (Kind::Date { .. }, Value::String(s)) => {
                            fields::date_micros(s).map(|m| m as f64)
                        }
                        _ => number(value),
                    }
                    .ok_or_else(|| self.unsupported(format!("the bound {value} of [{field}]")))?;
                    // Integers only: a fractional bound moves to the next integer inside.
                    let (n, inclusive) = if n.fract() == 0.0 {
                        (n, inclusive)
                    } else if is_lower {
                        (n.ceil(), true)
                    } else {
                        (n.floor(), true)
                    };
                    let n = n.clamp(i64::MIN as f64, i64::MAX as f64) as i64;
                    let term = if matches!(target, Target::OccurredAt(_)) {
                        Term::from_field_i64(self.fields.occurred_at, n)
                    } else {
                        json_term(self.fields.exact, field, |t| {
                            t.append_type_and_fast_value(n)
                        })
                    };
                    return Ok(if inclusive {
                        Bound::Included(term)
                    } else {
                        Bound::Excluded(term)
                    });
                }
                (Kind::Double, _) => {
                    let n = number(value).ok_or_else(|| {
                        self.unsupported(format!("the bound {value} of [{field}]"))
                    })?;
                    json_term(self.fields.exact, field, |t| {
                        t.append_type_and_fast_value(n)
                    })
                }
                (Kind::Keyword { normalized }, _) => {
                    let s = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let s = if normalized { fields::normalize(&s) } else { s };
                    json_term(self.fields.exact, field, |t| t.append_type_and_str(&s))
                }
                _ => return Err(self.unsupported(format!("a range on [{field}]"))),
            };
            Ok(if inclusive {
                Bound::Included(term)
            } else {
                Bound::Excluded(term)
            })
        };
        let (lower, upper) = (make(lower, true)?, make(upper, false)?);
        if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
            return Ok(Box::new(TermQuery::new(
                Term::from_field_text(self.fields.paths, field),
                IndexRecordOption::Basic,
            )));
        }
        Ok(Box::new(RangeQuery::new(lower, upper)))
    }

    /// The `_key` term of the caller's event `id`.
    fn event_key(&self, id: &str) -> Term {
        Term::from_field_bytes(self.fields.key, &fields::key(self.tenant, id))
    }

    /// A range of event ids (UUIDs, as event ids are): a range of the caller's `_key` terms,
    /// never beyond them.
    fn event_id_range(
        &self,
        lower: Option<(bool, &Value)>,
        upper: Option<(bool, &Value)>,
    ) -> Result<Box<dyn Query>> {
        let bound = |b: Option<(bool, &Value)>, open: Vec<u8>, open_included: bool| {
            let (inclusive, term) = match b {
                None => (
                    open_included,
                    Term::from_field_bytes(self.fields.key, &open),
                ),
                Some((inclusive, value)) => {
                    let id = value.as_str().filter(|id| fields::uuid_bytes(id).is_some());
                    let Some(id) = id else {
                        return Err(self.unsupported(format!(
                            "a range of event ids with the bound {value} (UUIDs only)"
                        )));
                    };
                    (inclusive, self.event_key(id))
                }
            };
            Ok(if inclusive {
                Bound::Included(term)
            } else {
                Bound::Excluded(term)
            })
        };
        let prefix = |last: u8| {
            let mut key = self.tenant.as_bytes().to_vec();
            key.extend_from_slice(&[fields::KEY_SEPARATOR, last]);
            key
        };
        // Unbounded ends stop at the tenant's UUID keys.
        let lower = bound(lower, prefix(fields::KEY_UUID), true)?;
        let upper = bound(upper, prefix(fields::KEY_UUID + 1), false)?;
        Ok(Box::new(RangeQuery::new(lower, upper)))
    }
}

/// Where a field of the body is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    All,
    Type,
    /// The event's time (`occurred_at` as a number, `d__occurred_at_iso` as a date).
    OccurredAt(Kind),
    /// The event id, in `_key`.
    EventId,
    Path(Option<Kind>),
}

/// The only entry of an object.
fn single(map: &Map<String, Value>) -> Option<(&String, &Value)> {
    let mut entries = map.iter();
    let first = entries.next()?;
    entries.next().is_none().then_some(first)
}

fn single_of(value: &Value) -> Option<(&str, &Value)> {
    value
        .as_object()
        .and_then(single)
        .map(|(k, v)| (k.as_str(), v))
}

fn boosted(query: Box<dyn Query>, boost: Option<f64>) -> Box<dyn Query> {
    match boost {
        Some(b) if (b - 1.0).abs() > f64::EPSILON => Box::new(BoostQuery::new(query, b as f32)),
        _ => query,
    }
}

/// `minimum_should_match` for `should` optional clauses: a number, a percentage, or `N<P%`
/// (all of them up to N, else P % rounded down).
fn minimum_should_match(value: &Value, should: usize) -> Option<usize> {
    match value {
        Value::Number(n) => {
            let n = n.as_i64()?;
            Some(if n < 0 {
                should.saturating_sub(n.unsigned_abs() as usize)
            } else {
                n as usize
            })
        }
        Value::String(s) => {
            let s = s.trim();
            if let Some((limit, rest)) = s.split_once('<') {
                let limit: usize = limit.trim().parse().ok()?;
                if should <= limit {
                    return Some(should);
                }
                return minimum_should_match(&Value::String(rest.to_owned()), should);
            }
            if let Some(percent) = s.strip_suffix('%') {
                let p: f64 = percent.trim().parse().ok()?;
                let n = (should as f64 * p.abs() / 100.0).floor() as usize;
                return Some(if p < 0.0 { should - n.min(should) } else { n });
            }
            minimum_should_match(&Value::Number(s.parse::<i64>().ok()?.into()), should)
        }
        _ => None,
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parses `7d`, `12h`, `30m`, `10s`, `500ms` into microseconds.
fn duration(text: &str) -> Option<f64> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let n: f64 = digits.parse().ok()?;
    let micros = match unit {
        "d" => 86_400e6,
        "h" => 3_600e6,
        "m" => 60e6,
        "s" => 1e6,
        "ms" | "" => 1e3,
        _ => return None,
    };
    Some(n * micros)
}

fn text_term(field: Field, path: Option<&str>, text: &str) -> Term {
    match path {
        None => Term::from_field_text(field, text),
        Some(path) => json_term(field, path, |t| t.append_type_and_str(text)),
    }
}

fn json_term(field: Field, path: &str, fill: impl FnOnce(&mut Term)) -> Term {
    let mut term = Term::from_field_json_path(field, path, true);
    fill(&mut term);
    term
}

/// The term of `value` in the exact field at `path` of `kind` (`None`: the field cannot hold
/// it, so nothing matches).
fn exact_term(field: Field, path: &str, kind: Kind, value: &Value) -> Option<Term> {
    match fields::exact_value(kind, &Leaf::of(value)?)? {
        tantivy::schema::OwnedValue::Str(s) => {
            Some(json_term(field, path, |t| t.append_type_and_str(&s)))
        }
        tantivy::schema::OwnedValue::I64(n) => {
            Some(json_term(field, path, |t| t.append_type_and_fast_value(n)))
        }
        tantivy::schema::OwnedValue::F64(n) => Some(if n.fract() == 0.0 && n.abs() < 9e15 {
            json_term(field, path, |t| t.append_type_and_fast_value(n as i64))
        } else {
            json_term(field, path, |t| t.append_type_and_fast_value(n))
        }),
        tantivy::schema::OwnedValue::Bool(b) => {
            Some(json_term(field, path, |t| t.append_type_and_fast_value(b)))
        }
        _ => None,
    }
}

/// Escapes regex syntax (tantivy's regex dialect).
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~\"<>@".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn minimum_should_match_follows_es() {
        let two_80 = json!("2<80%");
        assert_eq!(minimum_should_match(&two_80, 1), Some(1));
        assert_eq!(minimum_should_match(&two_80, 2), Some(2));
        assert_eq!(minimum_should_match(&two_80, 3), Some(2));
        assert_eq!(minimum_should_match(&two_80, 5), Some(4));
        assert_eq!(minimum_should_match(&two_80, 0), Some(0));
        assert_eq!(minimum_should_match(&json!(1), 4), Some(1));
    }

    #[test]
    fn decay_is_one_inside_the_offset_and_decay_at_scale_beyond() {
        let day = 86_400e6;
        let decay = Decay {
            origin: 0,
            scale: 7.0 * day,
            offset: 60.0 * day,
            decay: 0.1,
        };
        assert_eq!(decay.factor(-(59.0 * day) as i64), 1.0);
        assert!((decay.factor((67.0 * day) as i64) - 0.1).abs() < 1e-9);
        assert_eq!(duration("7d"), Some(7.0 * day));
    }
}
