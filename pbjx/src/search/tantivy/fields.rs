//! The tantivy schema of event search and the conversion of event documents into it.
//!
//! Every event document (the same one the Elasticsearch backend indexes) is spread over:
//! `d__all` (every string copied there by the mapping, analysed like ES's `english`
//! analyzer), `text` (a JSON field: the text-mapped paths, same analyzer, with positions),
//! `exact` (a JSON field: keyword paths — lower-cased and ASCII-folded where the mapping has the
//! `pbj_keyword` normalizer — numbers, dates as microseconds, booleans; fast, for ranges),
//! `d__type`, `occurred_at` (the event's time in microseconds, a fast field only: sorts,
//! decays, ranges and terms on `occurred_at` and `d__occurred_at_iso` read it, so neither
//! path is indexed again in `exact`), `_paths` (every path holding a value, for `exists`),
//! `_tenant`, `_key` (tenant + event id, for replacing and deleting) and `_json` (the stored
//! event, as pbj JSON: hits decode with pbj's own decoder, the fastest way back to a
//! message). Unique values cost the most to index (each is a term of its own in every
//! segment and merge, and these dominate the cost of writing segments), so the event id is
//! indexed only in `_key` (queries on `event_id` go there, with the caller's tenant) and the
//! time not at all.

use pbj::marshal::JsonValue;
use tantivy::schema::{
    Field, IndexRecordOption, JsonObjectOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer, TokenizerManager,
};
use tantivy::{TantivyDocument, schema::OwnedValue};

use crate::error::Result;
use crate::search::document::{EventDocument, Kind, Kinds, non_number};
use crate::search::elasticsearch_query::{ALL_FIELD, OCCURRED_AT_ISO_FIELD, TYPE_FIELD};

/// The analyzer of text fields (ES `english`: lower-case, English stop words, stemming).
pub(crate) const ENGLISH: &str = "pbj_english";
/// The normalizer of keyword fields (`pbj_keyword`: lower-case + ASCII folding).
pub(crate) const KEYWORD: &str = "pbj_keyword";

/// The fields of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub(crate) key: Field,
    pub(crate) tenant: Field,
    pub(crate) type_name: Field,
    pub(crate) occurred_at: Field,
    pub(crate) all: Field,
    pub(crate) text: Field,
    pub(crate) exact: Field,
    pub(crate) paths: Field,
    pub(crate) json: Field,
}

/// Field names.
pub(crate) const OCCURRED_AT: &str = "occurred_at";
/// The path of the event id, indexed only as part of `_key`.
pub(crate) const EVENT_ID: &str = "event_id";
const TEXT: &str = "text";
const EXACT: &str = "exact";
/// The stored pbj JSON of the event. Indexes of earlier builds stored the Elasticsearch
/// document in `_source` instead; they no longer open (see [`super::TantivyEventSearch::open`]).
pub(crate) const JSON: &str = "_json";

/// The schema every event search index has.
pub(crate) fn schema() -> Schema {
    let mut builder = Schema::builder();
    let analysed = TextFieldIndexing::default()
        .set_tokenizer(ENGLISH)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    builder.add_bytes_field("_key", tantivy::schema::INDEXED);
    builder.add_text_field("_tenant", STRING);
    builder.add_text_field(TYPE_FIELD, STRING);
    // Fast only: sorts, decays and ranges read the column; a term is the range [n, n].
    builder.add_i64_field(OCCURRED_AT, tantivy::schema::FAST);
    builder.add_text_field(
        ALL_FIELD,
        TextOptions::default().set_indexing_options(analysed.clone()),
    );
    builder.add_json_field(
        TEXT,
        JsonObjectOptions::default()
            .set_indexing_options(analysed)
            .set_expand_dots_enabled(),
    );
    builder.add_json_field(
        EXACT,
        JsonObjectOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("raw")
                    .set_index_option(IndexRecordOption::Basic),
            )
            .set_fast("raw")
            .set_expand_dots_enabled(),
    );
    builder.add_text_field("_paths", STRING);
    builder.add_text_field(JSON, STORED);
    builder.build()
}

impl Fields {
    pub(crate) fn of(schema: &Schema) -> tantivy::Result<Self> {
        let get = |name: &str| schema.get_field(name);
        Ok(Self {
            key: get("_key")?,
            tenant: get("_tenant")?,
            type_name: get(TYPE_FIELD)?,
            occurred_at: get(OCCURRED_AT)?,
            all: get(ALL_FIELD)?,
            text: get(TEXT)?,
            exact: get(EXACT)?,
            paths: get("_paths")?,
            json: get(JSON)?,
        })
    }
}

/// Registers the analyzers the schema names.
pub(crate) fn register_tokenizers(manager: &TokenizerManager) {
    manager.register(ENGLISH, english());
    manager.register(KEYWORD, keyword());
}

/// ES `english`: words, lower-cased, without English stop words, stemmed.
pub(crate) fn english() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(255))
        .filter(LowerCaser);
    match StopWordFilter::new(Language::English) {
        Some(stop) => builder
            .filter(stop)
            .filter(Stemmer::new(Language::English))
            .build(),
        None => builder.filter(Stemmer::new(Language::English)).build(),
    }
}

/// `pbj_keyword`: the whole value, lower-cased and ASCII-folded.
pub(crate) fn keyword() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The tokens `analyzer` makes of `text`, with their positions.
pub(crate) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push((token.position, token.text.clone()));
    }
    out
}

/// Normalizes a keyword value with `pbj_keyword`.
pub(crate) fn normalize(text: &str) -> String {
    // Built once per thread: indexing normalizes every keyword value of every document.
    thread_local! {
        static KEYWORD_ANALYZER: std::cell::RefCell<TextAnalyzer> =
            std::cell::RefCell::new(keyword());
    }
    KEYWORD_ANALYZER.with_borrow_mut(|analyzer| {
        tokens(analyzer, text)
            .into_iter()
            .next()
            .map(|(_, t)| t)
            .unwrap_or_default()
    })
}

/// Microseconds of an ISO date or date-time (`2024-01-02`, `2024-01-02T03:04:05.123456Z`).
pub(crate) fn date_micros(text: &str) -> Option<i64> {
    if let Ok(at) = pbj::DateTime::parse(text) {
        return Some(at.unix_micros());
    }
    let date = pbj::Date::parse(text.get(..10)?).ok()?;
    Some(date.days_since_epoch() * 86_400_000_000)
}

/// A leaf of a document or a query: what a field indexes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Leaf<'a> {
    Str(&'a str),
    Number(serde_json::Number),
    Bool(bool),
}

impl<'a> Leaf<'a> {
    /// The leaf of a serde value (`None` for null, arrays and objects).
    pub(crate) fn of(value: &'a serde_json::Value) -> Option<Self> {
        use serde_json::Value;
        match value {
            Value::String(s) => Some(Leaf::Str(s)),
            Value::Number(n) => Some(Leaf::Number(n.clone())),
            Value::Bool(b) => Some(Leaf::Bool(*b)),
            _ => None,
        }
    }

    /// The leaf as text: a string as it is, a number or boolean as JSON writes it.
    pub(crate) fn text(&self) -> std::borrow::Cow<'a, str> {
        match self {
            Leaf::Str(s) => (*s).into(),
            Leaf::Number(n) => n.to_string().into(),
            Leaf::Bool(b) => b.to_string().into(),
        }
    }

    /// What ES's dynamic mapping makes of this leaf at an unmapped path.
    fn dynamic_kind(&self) -> Kind {
        match self {
            Leaf::Bool(_) => Kind::Bool,
            Leaf::Number(n) if n.is_f64() => Kind::Double,
            Leaf::Number(_) => Kind::Long,
            Leaf::Str(_) => Kind::Text { copy: false },
        }
    }
}

/// The exact (JSON) value of a leaf of `kind`, `None` when it is not indexed.
pub(crate) fn exact_value(kind: Kind, leaf: &Leaf<'_>) -> Option<OwnedValue> {
    match kind {
        Kind::Keyword { normalized: true } => Some(OwnedValue::Str(normalize(&leaf.text()))),
        Kind::Keyword { normalized: false } => Some(OwnedValue::Str(leaf.text().into_owned())),
        Kind::Long => match leaf {
            Leaf::Number(n) => n
                .as_i64()
                .map(OwnedValue::I64)
                .or_else(|| n.as_f64().map(|f| OwnedValue::I64(f as i64))),
            Leaf::Str(s) => s.trim().parse::<i64>().ok().map(OwnedValue::I64),
            Leaf::Bool(_) => None,
        },
        Kind::Double => match leaf {
            Leaf::Number(n) => n.as_f64().map(OwnedValue::F64),
            Leaf::Str(s) => s.trim().parse::<f64>().ok().map(OwnedValue::F64),
            Leaf::Bool(_) => None,
        },
        Kind::Date { epoch_second } => match leaf {
            Leaf::Number(n) if epoch_second => n
                .as_i64()
                .map(|s| OwnedValue::I64(s.saturating_mul(1_000_000))),
            Leaf::Number(n) => n
                .as_i64()
                .map(|ms| OwnedValue::I64(ms.saturating_mul(1_000))),
            Leaf::Str(s) => date_micros(s).map(OwnedValue::I64),
            Leaf::Bool(_) => None,
        },
        Kind::Bool => match leaf {
            Leaf::Bool(b) => Some(OwnedValue::Bool(*b)),
            Leaf::Str(s) if *s == "true" || *s == "false" => Some(OwnedValue::Bool(*s == "true")),
            _ => None,
        },
        Kind::Text { .. } | Kind::Skip => None,
    }
}

/// Builds the tantivy document of an event straight from pbj's marshal value (no serde
/// value in between): `d__all` strings go into the document as they are met; the text and
/// exact leaves become one JSON object each, a pair per leaf in document order (a path
/// with many values has many pairs; tantivy keeps positions per path).
pub(crate) struct DocumentBuilder<'a> {
    kinds: &'a Kinds,
    fields: &'a Fields,
    doc: TantivyDocument,
    text: Vec<(String, OwnedValue)>,
    exact: Vec<(String, OwnedValue)>,
    paths: Vec<String>,
}

impl<'a> DocumentBuilder<'a> {
    pub(crate) fn new(kinds: &'a Kinds, fields: &'a Fields) -> Self {
        Self {
            kinds,
            fields,
            doc: TantivyDocument::new(),
            text: Vec::new(),
            exact: Vec::new(),
            paths: Vec::new(),
        }
    }

    /// The document of `event` for `tenant`, storing `json` (its pbj JSON); fails naming the
    /// event when its document holds a number that is not a JSON number.
    pub(crate) fn build(
        mut self,
        tenant: &str,
        event: &EventDocument,
        json: &str,
    ) -> Result<TantivyDocument> {
        let fields = self.fields;
        self.doc
            .add_bytes(fields.key, &key(tenant, &event.event_id));
        self.doc.add_text(fields.tenant, tenant);
        self.doc.add_text(fields.type_name, &event.type_name);
        self.doc.add_i64(fields.occurred_at, event.occurred_at);
        if let JsonValue::Object(entries) = &event.document {
            let mut path = String::new();
            for (name, value) in entries {
                if name == TYPE_FIELD {
                    continue;
                }
                path.clear();
                path.push_str(name);
                self.walk(&mut path, value)
                    .map_err(|number| non_number(&event.event_id, number))?;
            }
        }
        let mut doc = self.doc;
        doc.add_field_value(fields.text, &OwnedValue::Object(self.text));
        doc.add_field_value(fields.exact, &OwnedValue::Object(self.exact));
        for path in &self.paths {
            doc.add_text(fields.paths, path);
        }
        doc.add_text(fields.json, json);
        Ok(doc)
    }

    /// Adds the leaves under `path` (restored before it returns); fails with a number that
    /// is not a JSON number.
    fn walk<'v>(&mut self, path: &mut String, value: &'v JsonValue) -> Result<(), &'v str> {
        let leaf = match value {
            JsonValue::Null => return Ok(()),
            JsonValue::Array(items) => {
                return items.iter().try_for_each(|item| self.walk(path, item));
            }
            JsonValue::Object(entries) => {
                let len = path.len();
                for (name, inner) in entries {
                    path.push('.');
                    path.push_str(name);
                    self.walk(path, inner)?;
                    path.truncate(len);
                }
                return Ok(());
            }
            JsonValue::String(s) => Leaf::Str(s),
            JsonValue::Bool(b) => Leaf::Bool(*b),
            JsonValue::Number(n) => Leaf::Number(n.parse().map_err(|_| n.as_str())?),
        };
        let kind = self.kinds.get(path).unwrap_or_else(|| leaf.dynamic_kind());
        if kind == Kind::Skip {
            return Ok(());
        }
        self.mark(path);
        match kind {
            Kind::Text { copy } => {
                let text = leaf.text();
                if copy {
                    self.doc.add_text(self.fields.all, &text);
                }
                self.text
                    .push((path.clone(), OwnedValue::Str(text.into_owned())));
            }
            // The event's time is the `occurred_at` field (queries on both paths go there):
            // indexing it again here would only add a unique term per event.
            _ if is_event_time(path) => {}
            // Likewise the event id: a unique term per event, already in `_key`.
            _ if path == EVENT_ID => {}
            _ => {
                if let Some(v) = exact_value(kind, &leaf) {
                    self.exact.push((path.clone(), v));
                }
            }
        }
        Ok(())
    }

    /// Records `path` and its parents as holding a value.
    fn mark(&mut self, path: &str) {
        let mut end = path.len();
        loop {
            let prefix = &path[..end];
            if self.paths.iter().any(|p| p == prefix) {
                break;
            }
            self.paths.push(prefix.to_owned());
            match prefix.rfind('.') {
                Some(dot) => end = dot,
                None => break,
            }
        }
    }
}

/// Whether `path` is the event's time (`occurred_at`, `d__occurred_at_iso`), which lives in
/// the `occurred_at` field only.
pub(crate) fn is_event_time(path: &str) -> bool {
    path == OCCURRED_AT || path == OCCURRED_AT_ISO_FIELD
}

/// The key of a tenant's event (`_key`, bytes): the tenant, [`KEY_SEPARATOR`], then the id as
/// its 16 bytes after [`KEY_UUID`] when it is a UUID in canonical (lower-case) form, as event
/// ids are, else as its text after [`KEY_TEXT`]. The key is each event's only unique term, and
/// unique terms cost the most when segments are written and merged (term dictionaries): 16
/// bytes instead of 36 characters (BENCHMARKS.md has the measured gain). UUID keys sort as
/// their text does.
pub(crate) fn key(tenant: &str, event_id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(tenant.len() + 2 + 16);
    key.extend_from_slice(tenant.as_bytes());
    key.push(KEY_SEPARATOR);
    match uuid_bytes(event_id) {
        Some(bytes) => {
            key.push(KEY_UUID);
            key.extend_from_slice(&bytes);
        }
        None => {
            key.push(KEY_TEXT);
            key.extend_from_slice(event_id.as_bytes());
        }
    }
    key
}

/// Ends the tenant in a key; the byte after it bounds the tenant's keys.
pub(crate) const KEY_SEPARATOR: u8 = 0x1f;
/// Marks an id stored as text.
pub(crate) const KEY_TEXT: u8 = 0;
/// Marks an id stored as the 16 bytes of a UUID.
pub(crate) const KEY_UUID: u8 = 1;

/// The 16 bytes of a canonical UUID (`8-4-4-4-12` lower-case hex digits), `None` otherwise.
pub(crate) fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    let text = text.as_bytes();
    if text.len() != 36 || [8, 13, 18, 23].iter().any(|&at| text[at] != b'-') {
        return None;
    }
    let mut digits = text.iter().filter(|&&c| c != b'-').map(|&c| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    });
    let mut bytes = [0u8; 16];
    for byte in &mut bytes {
        *byte = (digits.next()?? << 4) | digits.next()??;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(document: JsonValue) -> EventDocument {
        EventDocument {
            event_id: "0a1b2c3d-4e5f-11f0-8abc-0123456789ef".into(),
            occurred_at: 1_700_000_000_000_000,
            type_name: "thing-happened".into(),
            document,
        }
    }

    fn kinds() -> Kinds {
        Kinds::from_mapping(&serde_json::json!({"properties": {
            "title": {"type": "text", "copy_to": "d__all"},
            "slug": {"type": "keyword", "normalizer": "pbj_keyword"},
            "event_id": {"type": "keyword"},
            "ctx": {"type": "object", "properties": {"ua": {"type": "text", "index": false}}}
        }}))
    }

    #[test]
    fn documents_spread_each_leaf_by_the_kind_of_its_path() {
        use pbj::marshal::JsonValue as J;
        let document = J::Object(vec![
            ("title".into(), J::str("The Cats")),
            (
                "slug".into(),
                J::Array(vec![J::str("Crème-A"), J::str("B"), J::Null]),
            ),
            (
                "ctx".into(),
                J::Object(vec![
                    ("ua".into(), J::str("curl")),
                    ("n".into(), J::Number("1.5".into())),
                    ("ok".into(), J::Bool(true)),
                ]),
            ),
            (
                "event_id".into(),
                J::str("0a1b2c3d-4e5f-11f0-8abc-0123456789ef"),
            ),
            (TYPE_FIELD.into(), J::str("thing-happened")),
        ]);
        let (schema, kinds) = (schema(), kinds());
        let fields = Fields::of(&schema).unwrap();
        let doc = DocumentBuilder::new(&kinds, &fields)
            .build("t", &event(document), "{}")
            .unwrap();
        let strings = |field| -> Vec<String> {
            doc.get_all(field)
                .filter_map(|v| tantivy::schema::Value::as_str(&v).map(str::to_owned))
                .collect()
        };
        assert_eq!(strings(fields.all), ["The Cats"]);
        let mut paths = strings(fields.paths);
        paths.sort();
        assert_eq!(
            paths,
            ["ctx", "ctx.n", "ctx.ok", "event_id", "slug", "title"]
        );
        let json = tantivy::Document::to_json(&doc, &schema);
        assert!(json.contains(r#""text":[{"title":"The Cats"}]"#), "{json}");
        assert!(
            json.contains(r#""exact":[{"slug":"creme-a","slug":"b","ctx.n":1.5,"ctx.ok":true}]"#),
            "{json}"
        );
    }

    #[test]
    fn a_document_holding_a_non_number_names_the_event_and_the_number() {
        use pbj::marshal::JsonValue as J;
        let document = J::Object(vec![(
            "ctx".into(),
            J::Object(vec![("n".into(), J::Number("nan".into()))]),
        )]);
        let (schema, kinds) = (schema(), kinds());
        let fields = Fields::of(&schema).unwrap();
        let error = DocumentBuilder::new(&kinds, &fields)
            .build("t", &event(document), "{}")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("0a1b2c3d-4e5f-11f0-8abc-0123456789ef"),
            "{error}"
        );
        assert!(error.contains("[nan]"), "{error}");
    }

    #[test]
    fn uuid_ids_are_keyed_by_their_bytes_in_text_order_and_other_ids_by_their_text() {
        let a = "0a1b2c3d-4e5f-11f0-8abc-0123456789ef";
        let b = "0a1b2c3d-4e5f-11f0-8abc-0123456789f0";
        assert_eq!(key("t", a).len(), 1 + 1 + 1 + 16);
        assert_eq!(key("t", a)[3..5], [0x0a, 0x1b]);
        assert!(key("t", a) < key("t", b));
        for other in [
            "0A1B2C3D-4E5F-11F0-8ABC-0123456789EF",
            "x",
            "",
            "0a1b2c3d04e5f-11f0-8abc-0123456789ef",
        ] {
            assert_eq!(uuid_bytes(other), None, "{other}");
            assert_eq!(
                key("t", other),
                [b"t\x1f\x00".as_slice(), other.as_bytes()].concat()
            );
        }
        assert_ne!(key("t", a), key("u", a));
    }

    #[test]
    fn english_drops_stop_words_and_stems() {
        let tokens = tokens(&mut english(), "The Cats are running");
        assert_eq!(tokens, vec![(1, "cat".to_owned()), (3, "run".to_owned())]);
        assert_eq!(normalize("Crème BRÛLÉE"), "creme brulee");
    }
}
