//! The document of an event, the same for every backend: pbj's Elasticsearch document
//! ([`pbj::marshal::elastic::to_document_value`]) plus `d__occurred_at_iso` and `d__type`
//! (the original's `ElasticaEventSearch::indexEvents`).

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
    /// The document (a JSON object).
    pub document: Value,
}

/// Builds the document of `event`; fails naming the event when it is not an event or lacks
/// `event_id` / `occurred_at`.
///
/// ```
/// use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
/// use pbjx::search::document::event_document;
///
/// let event = HealthCheckedV1::new();
/// let doc = event_document(&event).unwrap();
/// assert_eq!(doc.document["d__type"], "health-checked");
/// assert_eq!(doc.document["_schema"], "pbj:gdbots:pbjx:event:health-checked:1-0-0");
/// assert!(doc.document["d__occurred_at_iso"].as_str().unwrap().ends_with('Z'));
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
    let text = pbj::marshal::elastic::to_document(event.data());
    let mut document: Value = serde_json::from_str(&text).map_err(|e| Error::InvalidArgument {
        message: format!("event [{event_id}]: its document is not JSON: {e}"),
    })?;
    if let Value::Object(map) = &mut document {
        map.insert(OCCURRED_AT_ISO_FIELD.into(), at.to_php_string().into());
        map.insert(TYPE_FIELD.into(), schema.message.into());
    }
    Ok(EventDocument {
        event_id,
        occurred_at: micros,
        type_name: schema.message.to_owned(),
        document,
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
