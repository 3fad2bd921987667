//! Elasticsearch 7 index mappings (the PHP `MappingBuilder`).
//!
//! [`MappingBuilder::build`] gives `{"properties": {...}, "dynamic_templates": [...]}`; the
//! analysis settings the mapping refers to (`pbj_keyword`) come from
//! [`MappingBuilder::analysis`].
//!
//! It follows the original: the type table of [`type_mapping`], `_schema` as `keyword`, string
//! and text fields by format (`date`; `keyword` + `pbj_keyword` normalizer for email, hashtag,
//! hostname, slug, uri, url, uuid and patterned strings; `ip`; else analysed `text` copied to
//! `d__all`), messages as `object` (`nested` for lists) merging every supported schema
//! (the field's any-of curies, or **every registered message**) up to a path depth of 4, dynamic
//! fields as `object`/`nested`, and map fields as dynamic templates named
//! `<path>_template` with `path_match: "<path>.*"`. `d__type` (keyword) and `d__all` (text with
//! the analyzer, `english` by default) are appended.
//!
//! Deviations, fixing the original's bugs (§10 of the spec); [`MappingBuilder::legacy_types`]
//! restores the original table:
//! - `timestamp` (unix seconds) is `{"type":"date","format":"epoch_second"}` (the original's
//!   plain `date` reads numbers as epoch **milliseconds**);
//! - `big-int` (u64) is `unsigned_long` (ES >= 7.10; the original's `long` overflows above
//!   2^63 - 1); `signed-big-int` stays `long`;
//! - `microtime` stays `long` as in the original: documents carry it as a 16-digit string, which
//!   ES coerces (the default `coerce: true`); the value fits an i64.
//!
//! Determinism: supported messages are merged in schema-id order (the original uses its
//! resolver's registration order). Template names are derived as in the original and can still
//! collide (`a.b` and `a_b` both give `a_b_template`; the later one wins, in the first one's
//! position).

use crate::field::Field;
use crate::marshal::JsonValue;
use crate::registry::Registry;
use crate::schema::Schema;
use crate::types::{FieldRule, FieldType, Format};

/// The derived field every string is copied to.
pub const ALL_FIELD: &str = "d__all";
/// The derived field holding the document type.
pub const TYPE_FIELD: &str = "d__type";
/// Messages nested deeper than this many path segments get no properties.
pub const MAX_PATH_DEPTH: usize = 4;

fn obj<const N: usize>(entries: [(&str, JsonValue); N]) -> JsonValue {
    JsonValue::object(entries)
}

fn s(v: &str) -> JsonValue {
    JsonValue::str(v)
}

fn typed(t: &str) -> JsonValue {
    obj([("type", s(t))])
}

fn keyword_normalized() -> JsonValue {
    obj([("type", s("keyword")), ("normalizer", s("pbj_keyword"))])
}

fn text() -> JsonValue {
    obj([("type", s("text")), ("copy_to", s(ALL_FIELD))])
}

/// The mapping of a type (the original's `TYPES` table; `legacy` keeps its `timestamp` and
/// `big-int` entries instead of the fixed ones).
pub fn type_mapping(kind: FieldType, legacy: bool) -> JsonValue {
    use FieldType as T;
    match kind {
        T::BigInt if !legacy => typed("unsigned_long"),
        T::Timestamp if !legacy => obj([("type", s("date")), ("format", s("epoch_second"))]),
        T::BigInt | T::SignedBigInt | T::Int | T::Microtime => typed("long"),
        T::Binary | T::Blob | T::MediumBlob => typed("binary"),
        T::Boolean => typed("boolean"),
        T::Date | T::DateTime | T::Timestamp => typed("date"),
        T::Decimal => typed("double"),
        T::Float => typed("float"),
        T::GeoPoint => typed("geo_point"),
        T::Identifier | T::NodeRef | T::StringEnum | T::TimeUuid | T::Uuid => typed("keyword"),
        T::IntEnum | T::MediumInt | T::SmallInt | T::SignedInt | T::SignedMediumInt => {
            typed("integer")
        }
        T::SignedSmallInt | T::TinyInt => typed("short"),
        T::SignedTinyInt | T::Trinary => typed("byte"),
        T::String | T::Text | T::MediumText => text(),
        T::Message => typed("object"),
        T::MessageRef => obj([
            ("type", s("object")),
            (
                "properties",
                obj([
                    ("curie", typed("keyword")),
                    ("id", typed("keyword")),
                    ("tag", typed("keyword")),
                ]),
            ),
        ]),
        T::DynamicField => obj([
            ("type", s("object")),
            (
                "properties",
                obj([
                    ("name", keyword_normalized()),
                    ("bool_val", typed("boolean")),
                    ("date_val", typed("date")),
                    ("float_val", typed("float")),
                    ("int_val", typed("long")),
                    (
                        "string_val",
                        obj([
                            ("type", s("text")),
                            ("copy_to", s(ALL_FIELD)),
                            ("fields", obj([("raw", keyword_normalized())])),
                        ]),
                    ),
                    ("text_val", text()),
                ]),
            ),
        ]),
    }
}

/// A hook that replaces the mapping of a field: `(schema, field, path, mapping) -> mapping`.
pub type FilterFn<'a> = Box<dyn Fn(&Schema, &Field, &str, JsonValue) -> JsonValue + 'a>;

/// A hook that marks a field (by `field` and dotted `path`) as not indexed.
pub type IgnoreFn<'a> = Box<dyn Fn(&Field, &str) -> bool + 'a>;

/// Builds an ES 7 mapping from schemas (see the [module docs](self)).
pub struct MappingBuilder<'a> {
    registry: &'a Registry,
    analyzer: Option<String>,
    legacy: bool,
    properties: JsonValue,
    templates: Vec<(String, JsonValue)>,
    path: Vec<&'static str>,
    filter: Option<FilterFn<'a>>,
    ignore: Option<IgnoreFn<'a>>,
}

impl std::fmt::Debug for MappingBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappingBuilder")
            .field("analyzer", &self.analyzer)
            .field("legacy", &self.legacy)
            .field("properties", &self.properties)
            .field("templates", &self.templates)
            .finish_non_exhaustive()
    }
}

impl<'a> MappingBuilder<'a> {
    /// A builder resolving "any message" and any-of fields in `registry`, analyzer `english`.
    pub fn new(registry: &'a Registry) -> Self {
        Self {
            registry,
            analyzer: Some("english".to_owned()),
            legacy: false,
            properties: JsonValue::Object(Vec::new()),
            templates: Vec::new(),
            path: Vec::new(),
            filter: None,
            ignore: None,
        }
    }

    /// The analyzer added to analysed `text` fields and `d__all` (`None`: none is added).
    pub fn analyzer(mut self, analyzer: Option<&str>) -> Self {
        self.analyzer = analyzer.map(str::to_owned);
        self
    }

    /// Uses the original's type table unchanged (`timestamp` as plain `date`, `big-int` as `long`).
    pub fn legacy_types(mut self, legacy: bool) -> Self {
        self.legacy = legacy;
        self
    }

    /// Sets the original's `filterProperties` hook.
    pub fn filter(
        mut self,
        filter: impl Fn(&Schema, &Field, &str, JsonValue) -> JsonValue + 'a,
    ) -> Self {
        self.filter = Some(Box::new(filter));
        self
    }

    /// Sets the original's `shouldIgnoreField` hook: ignored fields map to
    /// `{"type":"text","index":false}`.
    pub fn ignore(mut self, ignore: impl Fn(&Field, &str) -> bool + 'a) -> Self {
        self.ignore = Some(Box::new(ignore));
        self
    }

    /// Adds the fields of `schema` (merged into earlier ones like PHP `array_replace_recursive`).
    pub fn add_schema(&mut self, schema: &'static Schema) -> &mut Self {
        let props = self.build_schema(schema);
        self.properties.merge(props);
        self
    }

    /// The mapping: `{"properties": {..., "d__type", "d__all"}, "dynamic_templates": [...]}`
    /// (`dynamic_templates` only when there are map fields).
    pub fn build(&self) -> JsonValue {
        let mut properties = self.properties.clone();
        let mut all = vec![("type".to_owned(), s("text"))];
        if let Some(a) = &self.analyzer {
            all.push(("analyzer".to_owned(), s(a)));
        }
        properties.merge(obj([
            (TYPE_FIELD, typed("keyword")),
            (ALL_FIELD, JsonValue::Object(all)),
        ]));
        let mut out = vec![("properties".to_owned(), properties)];
        if !self.templates.is_empty() {
            out.push(("dynamic_templates".to_owned(), self.dynamic_templates()));
        }
        JsonValue::Object(out)
    }

    /// The dynamic templates, `[{"<name>": {"path_match": ..., "mapping": ...}}, ...]`.
    pub fn dynamic_templates(&self) -> JsonValue {
        JsonValue::Array(
            self.templates
                .iter()
                .map(|(name, t)| JsonValue::Object(vec![(name.clone(), t.clone())]))
                .collect(),
        )
    }

    /// The custom analyzers the mapping may use (`pbj_keyword`).
    pub fn custom_analyzers() -> JsonValue {
        obj([(
            "pbj_keyword",
            obj([("tokenizer", s("keyword")), ("filter", s("lowercase"))]),
        )])
    }

    /// The custom normalizers the mapping uses (`pbj_keyword`: lowercase + asciifolding).
    pub fn custom_normalizers() -> JsonValue {
        obj([(
            "pbj_keyword",
            obj([
                ("type", s("custom")),
                ("char_filter", JsonValue::Array(Vec::new())),
                (
                    "filter",
                    JsonValue::Array(vec![s("lowercase"), s("asciifolding")]),
                ),
            ]),
        )])
    }

    /// The index `settings.analysis` object: `{"analyzer": ..., "normalizer": ...}`.
    pub fn analysis() -> JsonValue {
        obj([
            ("analyzer", Self::custom_analyzers()),
            ("normalizer", Self::custom_normalizers()),
        ])
    }

    fn add_template(&mut self, name: String, template: JsonValue) {
        match self.templates.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = template,
            None => self.templates.push((name, template)),
        }
    }

    fn filtered(
        &self,
        schema: &Schema,
        field: &Field,
        path: &str,
        mapping: JsonValue,
    ) -> JsonValue {
        match &self.filter {
            Some(f) => f(schema, field, path, mapping),
            None => mapping,
        }
    }

    fn build_schema(&mut self, schema: &'static Schema) -> JsonValue {
        let mut properties = Vec::new();
        if self.path.len() > MAX_PATH_DEPTH {
            return JsonValue::Object(properties);
        }
        for field in schema.fields {
            self.path.push(field.name);
            let path = self.path.join(".");
            let mapping = if field.name == "_schema" {
                typed("keyword")
            } else if self.ignore.as_ref().is_some_and(|f| f(field, &path)) {
                obj([("type", s("text")), ("index", JsonValue::Bool(false))])
            } else {
                match field.kind {
                    FieldType::Message => self.build_message(field),
                    FieldType::DynamicField => self.build_dynamic_field(field),
                    FieldType::String | FieldType::Text => self.with_format(field),
                    kind => self.with_analyzer(type_mapping(kind, self.legacy)),
                }
            };
            let mapping = self.filtered(schema, field, &path, mapping);
            if field.rule == FieldRule::Map && field.name != "_schema" {
                let template = obj([
                    ("path_match", JsonValue::String(format!("{path}.*"))),
                    ("mapping", mapping),
                ]);
                self.add_template(template_name(&path), template);
            } else {
                properties.push((field.name.to_owned(), mapping));
            }
            self.path.pop();
        }
        JsonValue::Object(properties)
    }

    fn supported_messages(&self, field: &Field) -> Vec<&'static Schema> {
        let mut schemas: Vec<&'static Schema> = self
            .registry
            .entries()
            .map(|e| e.schema)
            .filter(|s| field.any_of.is_empty() || field.any_of.iter().any(|c| s.uses_curie(c)))
            .collect();
        schemas.sort_by_key(|s| s.id);
        schemas
    }

    fn build_message(&mut self, field: &Field) -> JsonValue {
        let mut properties = obj([("_schema", typed("keyword"))]);
        for schema in self.supported_messages(field) {
            let props = self.build_schema(schema);
            properties.merge(props);
        }
        let kind = if field.rule == FieldRule::List {
            "nested"
        } else {
            "object"
        };
        obj([("type", s(kind)), ("properties", properties)])
    }

    fn build_dynamic_field(&self, field: &Field) -> JsonValue {
        let mut mapping = type_mapping(FieldType::DynamicField, self.legacy);
        if field.rule == FieldRule::List {
            mapping.merge(typed("nested"));
        }
        if let Some(a) = &self.analyzer {
            let analyzed = JsonValue::object([("analyzer", s(a))]);
            mapping.merge(obj([(
                "properties",
                obj([("string_val", analyzed.clone()), ("text_val", analyzed)]),
            )]));
        }
        mapping
    }

    fn with_format(&self, field: &Field) -> JsonValue {
        match field.format {
            Format::Date | Format::DateTime => typed("date"),
            Format::Email
            | Format::Hashtag
            | Format::Hostname
            | Format::Slug
            | Format::Uri
            | Format::Url
            | Format::Uuid => keyword_normalized(),
            Format::Ipv4 | Format::Ipv6 => typed("ip"),
            Format::Unknown if field.pattern.is_some() => keyword_normalized(),
            Format::Unknown => self.with_analyzer(text()),
        }
    }

    /// Adds the analyzer to an indexed `text` mapping without one.
    fn with_analyzer(&self, mut mapping: JsonValue) -> JsonValue {
        let Some(a) = &self.analyzer else {
            return mapping;
        };
        let is_text = mapping.get("type").and_then(JsonValue::as_str) == Some("text");
        let unindexed = mapping.get("index") == Some(&JsonValue::Bool(false));
        if is_text && !unindexed && mapping.get("analyzer").is_none() {
            mapping.merge(JsonValue::object([("analyzer", s(a))]));
        }
        mapping
    }
}

/// `str_replace('-', '_', SlugUtil::create($path . '-template'))` for ASCII field paths: runs of
/// characters other than `[A-Za-z0-9-]` become `-`, dashes collapse, leading/trailing dashes
/// go, lowercase, then `-` becomes `_`.
fn template_name(path: &str) -> String {
    let mut slug = String::with_capacity(path.len() + 9);
    for c in format!("{path}-template").chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        };
        if c == '-' && (slug.is_empty() || slug.ends_with('-')) {
            continue;
        }
        slug.push(c);
    }
    slug.trim_end_matches('-').replace('-', "_")
}
