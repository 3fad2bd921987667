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
//! (the field's any-of curies, or **every registered message**) while the path is at most
//! [`MAX_PATH_DEPTH`] (4; [`MappingBuilder::max_path_depth`], and 2 in
//! [`MappingBuilder::for_event_search`], as pbjx's override), dynamic fields as
//! `object`/`nested`, and map fields as dynamic templates named `<path>_template` with
//! `path_match: "<path>.*"`. `d__type` (keyword) and `d__all` (text with the analyzer,
//! `english` by default) are appended.
//!
//! Cost: the original rebuilds the merged schemas for every path it reaches, which grows with
//! the registry to the power of the depth (a minute for one command of the real stores). The
//! mapping of a schema, or of the merged schemas of a message field, depends only on the path
//! depth, so each is built once per depth and shared (reference-counted subtrees,
//! merges indexed by key); the work is then proportional to the size of the output. The
//! hooks see the full path, so when one is set subtrees are shared only between equal paths.
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

mod templates;
mod tree;

use std::collections::HashMap;
use std::rc::Rc;

use crate::field::Field;
use crate::marshal::JsonValue;
use crate::registry::Registry;
use crate::schema::Schema;
use crate::types::{FieldRule, FieldType, Format};
use templates::Templates;
use tree::{Node, ObjectBuilder};

/// The derived field every string is copied to.
pub const ALL_FIELD: &str = "d__all";
/// The derived field holding the document type.
pub const TYPE_FIELD: &str = "d__type";
/// Messages nested deeper than this many path segments get no properties (the original's
/// `MAX_PATH_DEPTH`).
pub const MAX_PATH_DEPTH: usize = 4;
/// The path depth cap of pbjx's event search mapping (its `MappingBuilder` override).
pub const EVENT_SEARCH_MAX_PATH_DEPTH: usize = 2;

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

/// The properties and dynamic templates of one subtree (a schema's fields, or the merged
/// schemas of a message field), template paths relative to the subtree's root.
#[derive(Default)]
struct Subtree {
    properties: Node,
    templates: Rc<Templates>,
}

/// What a memoized subtree depends on: the schema (or the any-of curies of a message field,
/// empty for "any message"), the path depth, and the full path when a hook could see it.
#[derive(Hash, PartialEq, Eq)]
enum Key {
    Schema(&'static str, usize, Option<String>),
    Message(&'static [&'static str], usize, Option<String>),
}

/// Builds an ES 7 mapping from schemas (see the [module docs](self)).
///
/// ```
/// use pbj::marshal::elastic::MappingBuilder;
/// use pbj::{Field, FieldRule, FieldType, Registry, Schema, SchemaVersion};
///
/// static FIELDS: [Field; 2] = [
///     Field::new("_schema", FieldType::String, FieldRule::Single),
///     Field::new("title", FieldType::String, FieldRule::Single),
/// ];
/// static ARTICLE: Schema = Schema {
///     id: "pbj:acme:blog:node:article:1-0-0",
///     curie: "acme:blog:node:article",
///     curie_major: "acme:blog:node:article:v1",
///     qname: "acme:article",
///     vendor: "acme",
///     package: "blog",
///     category: "node",
///     message: "article",
///     version: SchemaVersion::new(1, 0, 0),
///     fields: &FIELDS,
///     mixins: &[],
///     id_field: None,
///     deprecated: false,
///     description: "",
/// };
///
/// let registry = Registry::new();
/// let mut builder = MappingBuilder::new(&registry);
/// builder.add_schema(&ARTICLE);
/// assert_eq!(
///     builder.to_json(),
///     r#"{"properties":{"_schema":{"type":"keyword"},"title":{"type":"text","copy_to":"d__all","analyzer":"english"},"d__type":{"type":"keyword"},"d__all":{"type":"text","analyzer":"english"}}}"#
/// );
/// ```
pub struct MappingBuilder<'a> {
    registry: &'a Registry,
    analyzer: Option<String>,
    legacy: bool,
    max_depth: usize,
    properties: Node,
    templates: Templates,
    path: Vec<&'static str>,
    filter: Option<FilterFn<'a>>,
    ignore: Option<IgnoreFn<'a>>,
    not_indexed: Vec<String>,
    memo: HashMap<Key, Rc<Subtree>>,
}

impl std::fmt::Debug for MappingBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappingBuilder")
            .field("analyzer", &self.analyzer)
            .field("legacy", &self.legacy)
            .field("max_depth", &self.max_depth)
            .field("templates", &self.templates)
            .finish_non_exhaustive()
    }
}

impl<'a> MappingBuilder<'a> {
    /// A builder resolving "any message" and any-of fields in `registry`, analyzer `english`,
    /// paths capped at [`MAX_PATH_DEPTH`].
    pub fn new(registry: &'a Registry) -> Self {
        Self {
            registry,
            analyzer: Some("english".to_owned()),
            legacy: false,
            max_depth: MAX_PATH_DEPTH,
            properties: Node::empty(),
            templates: Templates::default(),
            path: Vec::new(),
            filter: None,
            ignore: None,
            not_indexed: Vec::new(),
            memo: HashMap::new(),
        }
    }

    /// The builder of pbjx's event search index (its `MappingBuilder` override): paths capped at
    /// [`EVENT_SEARCH_MAX_PATH_DEPTH`], and `ctx_ua` [not indexed](Self::not_indexed).
    pub fn for_event_search(registry: &'a Registry) -> Self {
        Self::new(registry)
            .max_path_depth(EVENT_SEARCH_MAX_PATH_DEPTH)
            .not_indexed(["ctx_ua"])
    }

    /// Fields (by name, wherever they are) stored but not indexed: their mapping gets
    /// `index: false` and loses `analyzer` and `copy_to` (what pbjx's override does to
    /// `ctx_ua` in its `filterProperties`). Unlike a [`filter`](Self::filter) this does not
    /// depend on the path, so subtrees stay shared.
    pub fn not_indexed<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.not_indexed = fields.into_iter().map(Into::into).collect();
        self.memo.clear();
        self
    }

    /// The analyzer added to analysed `text` fields and `d__all` (`None`: none is added).
    pub fn analyzer(mut self, analyzer: Option<&str>) -> Self {
        self.analyzer = analyzer.map(str::to_owned);
        self.memo.clear();
        self
    }

    /// Uses the original's type table unchanged (`timestamp` as plain `date`, `big-int` as `long`).
    pub fn legacy_types(mut self, legacy: bool) -> Self {
        self.legacy = legacy;
        self.memo.clear();
        self
    }

    /// Messages nested at a path deeper than `depth` segments get no properties (the
    /// original's `MAX_PATH_DEPTH`: [`MAX_PATH_DEPTH`] in pbj, [`EVENT_SEARCH_MAX_PATH_DEPTH`]
    /// in pbjx's event search).
    pub fn max_path_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self.memo.clear();
        self
    }

    /// Sets the original's `filterProperties` hook. It sees every `(schema, field, path)` the
    /// original would, so with a hook subtrees are shared only between equal paths.
    pub fn filter(
        mut self,
        filter: impl Fn(&Schema, &Field, &str, JsonValue) -> JsonValue + 'a,
    ) -> Self {
        self.filter = Some(Box::new(filter));
        self.memo.clear();
        self
    }

    /// Sets the original's `shouldIgnoreField` hook: ignored fields map to
    /// `{"type":"text","index":false}` (a property, also for map fields, not filtered).
    pub fn ignore(mut self, ignore: impl Fn(&Field, &str) -> bool + 'a) -> Self {
        self.ignore = Some(Box::new(ignore));
        self.memo.clear();
        self
    }

    /// Adds the fields of `schema` (merged into earlier ones like PHP `array_replace_recursive`).
    pub fn add_schema(&mut self, schema: &'static Schema) -> &mut Self {
        let built = self.build_schema(schema);
        self.properties = self.properties.merged(&built.properties);
        self.templates.extend(&built.templates, "");
        self
    }

    /// Forgets the schemas added so far but keeps every subtree built, so building one mapping
    /// per schema costs the size of the mappings, not of the registry each time.
    pub fn clear(&mut self) -> &mut Self {
        self.properties = Node::empty();
        self.templates = Templates::default();
        self
    }

    /// The properties with `d__type` and `d__all` appended.
    fn final_properties(&self) -> Node {
        let mut all = vec![("type".to_owned(), s("text"))];
        if let Some(a) = &self.analyzer {
            all.push(("analyzer".to_owned(), s(a)));
        }
        let derived = Node::from_json(obj([
            (TYPE_FIELD, typed("keyword")),
            (ALL_FIELD, JsonValue::Object(all)),
        ]));
        self.properties.merged(&derived)
    }

    /// The mapping: `{"properties": {..., "d__type", "d__all"}, "dynamic_templates": [...]}`
    /// (`dynamic_templates` only when there are map fields).
    pub fn build(&self) -> JsonValue {
        let mut out = vec![("properties".to_owned(), self.final_properties().to_json())];
        if !self.templates.is_empty() {
            out.push(("dynamic_templates".to_owned(), self.dynamic_templates()));
        }
        JsonValue::Object(out)
    }

    /// [`build`](Self::build) as JSON text, written straight from the shared subtrees.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("{\"properties\":");
        self.final_properties().write(&mut out);
        if !self.templates.is_empty() {
            out.push_str(",\"dynamic_templates\":");
            self.templates.flatten().write(&mut out);
        }
        out.push('}');
        out
    }

    /// The dynamic templates, `[{"<name>": {"path_match": ..., "mapping": ...}}, ...]`.
    pub fn dynamic_templates(&self) -> JsonValue {
        JsonValue::Array(
            self.templates
                .flatten()
                .entries
                .iter()
                .map(|(name, path, mapping)| {
                    let template = obj([
                        ("path_match", JsonValue::String(format!("{path}.*"))),
                        ("mapping", mapping.to_json()),
                    ]);
                    JsonValue::Object(vec![(name.clone(), template)])
                })
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

    fn has_hooks(&self) -> bool {
        self.filter.is_some() || self.ignore.is_some()
    }

    /// The full path as part of a memo key, only when a hook can see it.
    fn path_key(&self) -> Option<String> {
        self.has_hooks().then(|| self.path.join("."))
    }

    fn filtered(&self, schema: &Schema, field: &Field, path: &str, mapping: Node) -> Node {
        let Some(filter) = &self.filter else {
            return mapping;
        };
        let input = mapping.to_json();
        let output = filter(schema, field, path, input.clone());
        // Unchanged: keep the shared subtree.
        if output == input {
            mapping
        } else {
            Node::from_json(output)
        }
    }

    /// The fields of `schema` at the current path (memoized per schema and depth).
    fn build_schema(&mut self, schema: &'static Schema) -> Rc<Subtree> {
        let key = Key::Schema(schema.id, self.path.len(), self.path_key());
        if let Some(built) = self.memo.get(&key) {
            return built.clone();
        }
        let mut subtree = Subtree::default();
        if self.path.len() <= self.max_depth {
            let mut properties = ObjectBuilder::default();
            let mut templates = Templates::default();
            for field in schema.fields {
                self.path.push(field.name);
                self.build_field(schema, field, &mut properties, &mut templates);
                self.path.pop();
            }
            subtree.properties = properties.finish();
            subtree.templates = Rc::new(templates);
        }
        let built = Rc::new(subtree);
        self.memo.insert(key, built.clone());
        built
    }

    /// Adds the mapping of `field` (the last segment of the current path) to `properties`, or
    /// its dynamic template (with those of its subtree) to `templates`.
    fn build_field(
        &mut self,
        schema: &'static Schema,
        field: &'static Field,
        properties: &mut ObjectBuilder,
        templates: &mut Templates,
    ) {
        let path = self.path.join(".");
        if field.name == "_schema" {
            let mapping = self.filtered(schema, field, &path, Node::from_json(typed("keyword")));
            properties.merge(field.name, &mapping);
            return;
        }
        if self.ignore.as_ref().is_some_and(|f| f(field, &path)) {
            let mapping = obj([("type", s("text")), ("index", JsonValue::Bool(false))]);
            properties.merge(field.name, &Node::from_json(mapping));
            return;
        }
        let mapping = match field.kind {
            FieldType::Message => {
                let nested = self.build_message(field);
                templates.extend(&nested.templates, field.name);
                let kind = if field.rule == FieldRule::List {
                    "nested"
                } else {
                    "object"
                };
                Node::object(vec![
                    ("type".to_owned(), Node::Value(s(kind))),
                    ("properties".to_owned(), nested.properties.clone()),
                ])
            }
            FieldType::DynamicField => Node::from_json(self.build_dynamic_field(field)),
            FieldType::String | FieldType::Text => Node::from_json(self.with_format(field)),
            kind => Node::from_json(self.with_analyzer(type_mapping(kind, self.legacy))),
        };
        let mapping = if self.not_indexed.iter().any(|f| f == field.name) {
            Node::from_json(unindexed(mapping.to_json()))
        } else {
            mapping
        };
        let mapping = self.filtered(schema, field, &path, mapping);
        if field.rule == FieldRule::Map {
            templates.add(field.name, mapping);
        } else {
            properties.merge(field.name, &mapping);
        }
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

    /// The merged fields of every message `field` supports, at the current path (memoized
    /// per any-of curies and depth).
    fn build_message(&mut self, field: &Field) -> Rc<Subtree> {
        let key = Key::Message(field.any_of, self.path.len(), self.path_key());
        if let Some(built) = self.memo.get(&key) {
            return built.clone();
        }
        let mut properties = ObjectBuilder::default();
        properties.merge("_schema", &Node::from_json(typed("keyword")));
        let mut templates = Templates::default();
        for schema in self.supported_messages(field) {
            let nested = self.build_schema(schema);
            properties.merge_object(&nested.properties);
            templates.extend(&nested.templates, "");
        }
        let built = Rc::new(Subtree {
            properties: properties.finish(),
            templates: Rc::new(templates),
        });
        self.memo.insert(key, built.clone());
        built
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

/// PHP `$properties['index'] = false; unset($properties['analyzer'], $properties['copy_to'])`.
fn unindexed(mapping: JsonValue) -> JsonValue {
    match mapping {
        JsonValue::Object(mut entries) => {
            entries.retain(|(k, _)| k != "analyzer" && k != "copy_to");
            match entries.iter_mut().find(|(k, _)| k == "index") {
                Some((_, v)) => *v = JsonValue::Bool(false),
                None => entries.push(("index".to_owned(), JsonValue::Bool(false))),
            }
            JsonValue::Object(entries)
        }
        other => other,
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
