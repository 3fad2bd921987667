//! The document of an event, the same for every backend: pbj's Elasticsearch document
//! ([`pbj::marshal::elastic::to_document_value`]) plus `d__occurred_at_iso` and `d__type`
//! (the original's `ElasticaEventSearch::indexEvents`).

use std::collections::HashMap;

use pbj::marshal::JsonValue;
use pbj::{DateTime, Message};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::search::elasticsearch_query::{OCCURRED_AT_ISO_FIELD, TYPE_FIELD};

/// An event ready to be indexed.
#[derive(Debug, Clone)]
pub struct EventDocument {
    /// The event's `event_id`.
    pub event_id: String,
    /// Its `occurred_at` in microseconds since the epoch.
    pub occurred_at: i64,
    /// The message name of its curie (`d__type`), e.g. `health-checked`.
    pub type_name: String,
    /// The document (a JSON object), as pbj's marshaler builds it: numbers keep their
    /// written form. [`EventDocument::to_value`] gives its serde form.
    pub document: JsonValue,
}

impl EventDocument {
    /// The serde form of the document (the value its text would parse into); fails naming
    /// the event when it holds a number that is not a JSON number.
    pub fn to_value(&self) -> Result<Value> {
        to_serde(&self.document).map_err(|number| non_number(&self.event_id, number))
    }
}

/// The error of a document holding `number`, which is not a JSON number.
pub(crate) fn non_number(event_id: &str, number: &str) -> Error {
    Error::InvalidArgument {
        message: format!("event [{event_id}]: its document holds the non-number [{number}]"),
    }
}

/// Builds the document of `event`; fails naming the event when it is not an event or lacks
/// `event_id` / `occurred_at`.
///
/// ```
/// use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
/// use pbjx::search::document::event_document;
///
/// let event = HealthCheckedV1::new();
/// let doc = event_document(&event).unwrap().to_value().unwrap();
/// assert_eq!(doc["d__type"], "health-checked");
/// assert_eq!(doc["_schema"], "pbj:gdbots:pbjx:event:health-checked:1-0-0");
/// assert!(doc["d__occurred_at_iso"].as_str().unwrap().ends_with('Z'));
/// ```
pub fn event_document(event: &dyn Message) -> Result<EventDocument> {
    let schema = event.schema();
    if !schema.has_mixin(crate::mixins::EVENT) {
        return Err(Error::WrongMessageKind {
            operation: "index_events",
            mixin: crate::mixins::EVENT,
            schema: schema.id.to_owned(),
        });
    }
    let event_id = crate::event_store::event_id(event).map(str::to_owned);
    let occurred_at = crate::event_store::occurred_at(event)
        .and_then(|m| i64::try_from(m.as_micros()).ok())
        .and_then(|micros| Some((micros, DateTime::from_unix_micros(micros)?)));
    let (Some(event_id), Some((micros, at))) = (event_id, occurred_at) else {
        return Err(Error::InvalidArgument {
            message: format!(
                "event [{}] needs an event_id and an occurred_at to be indexed",
                schema.id
            ),
        });
    };
    let mut document = pbj::marshal::elastic::to_document_value(event.data());
    if let JsonValue::Object(entries) = &mut document {
        entries.retain(|(name, _)| name != OCCURRED_AT_ISO_FIELD && name != TYPE_FIELD);
        entries.push((
            OCCURRED_AT_ISO_FIELD.into(),
            JsonValue::String(at.to_php_string()),
        ));
        entries.push((TYPE_FIELD.into(), JsonValue::str(schema.message)));
    }
    Ok(EventDocument {
        event_id,
        occurred_at: micros,
        type_name: schema.message.to_owned(),
        document,
    })
}

/// The serde form of a pbj JSON value: the value its text would parse into, without the
/// text (numbers keep their written form). Fails with a number that is not a JSON number.
fn to_serde(value: &JsonValue) -> std::result::Result<Value, &str> {
    Ok(match value {
        JsonValue::Null => Value::Null,
        JsonValue::Bool(b) => Value::Bool(*b),
        JsonValue::Number(n) => Value::Number(n.parse().map_err(|_| n.as_str())?),
        JsonValue::String(s) => Value::String(s.clone()),
        JsonValue::Array(items) => {
            Value::Array(items.iter().map(to_serde).collect::<Result<_, _>>()?)
        }
        JsonValue::Object(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), to_serde(v)?)))
                .collect::<Result<_, &str>>()?,
        ),
    })
}

/// Builds the documents of a batch: every event is checked before anything is written.
pub fn event_documents(events: &[std::sync::Arc<dyn Message>]) -> Result<Vec<EventDocument>> {
    events.iter().map(|e| event_document(&**e)).collect()
}

/// Decodes a stored document back into its event.
pub fn decode_document(
    backend: &str,
    index: &str,
    source: &str,
    registry: &pbj::Registry,
) -> Result<Box<dyn Message>> {
    pbj::marshal::elastic::from_document(source, registry).map_err(|e| Error::Corrupt {
        backend: backend.to_owned(),
        location: format!("index [{index}]"),
        message: format!("a stored document cannot be decoded: {e}"),
    })
}

/// The index mapping of event search (the original's `IndexManager::createMapping()`): pbj's
/// [`MappingBuilder::for_event_search`](pbj::marshal::elastic::MappingBuilder::for_event_search)
/// over every registered schema using `gdbots:pbjx:mixin:indexed` (in schema-id order), plus
/// `d__occurred_at_iso` as a `date`.
///
/// ```
/// let mapping = pbjx::search::document::event_search_mapping(&pbjx::registry());
/// let properties = &mapping["properties"];
/// assert_eq!(properties["d__occurred_at_iso"]["type"], "date");
/// assert_eq!(properties["d__type"]["type"], "keyword");
/// assert_eq!(properties["error_message"]["copy_to"], "d__all"); // event-execution-failed
/// ```
pub fn event_search_mapping(registry: &pbj::Registry) -> Value {
    let mut schemas: Vec<&'static pbj::Schema> = registry
        .entries()
        .map(|e| e.schema)
        .filter(|s| s.has_mixin(crate::mixins::INDEXED))
        .collect();
    schemas.sort_by_key(|s| s.id);
    let mut builder = pbj::marshal::elastic::MappingBuilder::for_event_search(registry);
    for schema in schemas {
        builder.add_schema(schema);
    }
    let mut mapping: Value = serde_json::from_str(&builder.to_json()).unwrap_or_default();
    if let Some(Value::Object(properties)) = mapping.get_mut("properties") {
        properties.insert(
            OCCURRED_AT_ISO_FIELD.into(),
            serde_json::json!({ "type": "date" }),
        );
    }
    mapping
}

/// How the mapping indexes a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Kind {
    /// Analysed text; `copy` when the mapping copies it to `d__all`.
    Text { copy: bool },
    /// An exact string; `normalized` with the `pbj_keyword` normalizer.
    Keyword { normalized: bool },
    /// An integer.
    Long,
    /// A floating-point number.
    Double,
    /// A date (stored as microseconds); `epoch_second` when numbers are unix seconds.
    Date { epoch_second: bool },
    /// A boolean.
    Bool,
    /// Not searchable (`index: false`, binary, geo-points, ips).
    Skip,
}

impl Kind {
    fn of_mapping(mapping: &Value) -> Kind {
        if mapping.get("index") == Some(&Value::Bool(false)) {
            return Kind::Skip;
        }
        match mapping
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("object")
        {
            "text" => Kind::Text {
                copy: mapping.get("copy_to").is_some(),
            },
            "keyword" => Kind::Keyword {
                normalized: mapping.get("normalizer").is_some(),
            },
            "long" | "integer" | "short" | "byte" | "unsigned_long" => Kind::Long,
            "float" | "double" | "half_float" | "scaled_float" => Kind::Double,
            "date" => Kind::Date {
                epoch_second: mapping.get("format").and_then(Value::as_str) == Some("epoch_second"),
            },
            "boolean" => Kind::Bool,
            _ => Kind::Skip,
        }
    }
}

/// The kind of every mapped path (dotted), from the mapping's properties and dynamic
/// templates.
#[derive(Debug, Default)]
pub struct Kinds {
    exact: HashMap<String, Kind>,
    /// `(prefix with trailing dot, kind)` of the dynamic templates (`path_match: "x.*"`).
    templates: Vec<(String, Kind)>,
}

impl Kinds {
    /// The kinds of a mapping (`{"properties": ..., "dynamic_templates": ...}`).
    pub fn from_mapping(mapping: &Value) -> Self {
        let mut kinds = Kinds::default();
        if let Some(Value::Object(properties)) = mapping.get("properties") {
            kinds.walk("", properties);
        }
        if let Some(Value::Array(templates)) = mapping.get("dynamic_templates") {
            for template in templates.iter().filter_map(Value::as_object) {
                for spec in template.values() {
                    let path = spec.get("path_match").and_then(Value::as_str);
                    let kind = spec.get("mapping").map(Kind::of_mapping);
                    if let (Some(path), Some(kind)) = (path, kind) {
                        let prefix = path.trim_end_matches('*').to_owned();
                        kinds.templates.push((prefix, kind));
                    }
                }
            }
        }
        kinds
    }

    fn walk(&mut self, prefix: &str, properties: &serde_json::Map<String, Value>) {
        for (name, mapping) in properties {
            let path = format!("{prefix}{name}");
            match mapping.get("properties") {
                Some(Value::Object(inner)) => self.walk(&format!("{path}."), inner),
                _ => {
                    self.exact.insert(path, Kind::of_mapping(mapping));
                }
            }
        }
    }

    /// The kind of `path`, if the mapping knows it.
    pub fn get(&self, path: &str) -> Option<Kind> {
        self.exact.get(path).copied().or_else(|| {
            self.templates
                .iter()
                .find(|(prefix, _)| path.starts_with(prefix.as_str()))
                .map(|(_, kind)| *kind)
        })
    }
}

/// The strings the mapping copies to `d__all` (`copy_to`), in document order: the value of
/// `d__all` for servers that do not apply `copy_to` themselves.
pub fn all_field_values(kinds: &Kinds, document: &Value) -> Vec<String> {
    fn walk(kinds: &Kinds, path: &str, value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Array(items) => items.iter().for_each(|v| walk(kinds, path, v, out)),
            Value::Object(map) => {
                for (name, inner) in map {
                    let path = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    walk(kinds, &path, inner, out);
                }
            }
            Value::String(s) if kinds.get(path) == Some(Kind::Text { copy: true }) => {
                out.push(s.clone())
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(kinds, "", document, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_mapping() {
        let mapping = serde_json::json!({"properties": {
            "title": {"type": "text", "copy_to": "d__all"},
            "slug": {"type": "keyword", "normalizer": "pbj_keyword"},
            "ctx_app": {"type": "object", "properties": {"vendor": {"type": "keyword"}}},
            "ctx_ua": {"type": "text", "index": false}
        }, "dynamic_templates": [{"tags_template": {"path_match": "tags.*", "mapping": {"type": "long"}}}]});
        let kinds = Kinds::from_mapping(&mapping);
        assert_eq!(kinds.get("title"), Some(Kind::Text { copy: true }));
        assert_eq!(kinds.get("slug"), Some(Kind::Keyword { normalized: true }));
        assert_eq!(
            kinds.get("ctx_app.vendor"),
            Some(Kind::Keyword { normalized: false })
        );
        assert_eq!(kinds.get("ctx_ua"), Some(Kind::Skip));
        assert_eq!(kinds.get("tags.a"), Some(Kind::Long));
        assert_eq!(kinds.get("nope"), None);
    }

    #[test]
    fn to_serde_is_the_parse_of_the_text() {
        use pbj::marshal::JsonValue as J;
        let numbers = ["102", "0.5", "1.0e+25", "-0", "-7", "18446744073709551615"];
        let value = J::Object(vec![
            (
                "n".into(),
                J::Array(numbers.iter().map(|n| J::Number((*n).into())).collect()),
            ),
            ("s".into(), J::str("a \"quoted\" é")),
            (
                "o".into(),
                J::Object(vec![("b".into(), J::Bool(true)), ("z".into(), J::Null)]),
            ),
        ]);
        let parsed: Value = serde_json::from_str(&value.to_json()).unwrap();
        assert_eq!(to_serde(&value).unwrap(), parsed);
        assert_eq!(to_serde(&J::Number("nan".into())), Err("nan"));
    }
}
