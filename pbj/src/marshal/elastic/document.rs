//! Elasticsearch documents (the PHP `DocumentMarshaler`).
//!
//! A document is the PHP array form of the message (`_schema` first, schema order, nested
//! messages with their `_schema`, message-refs as `{curie, id, tag?}`, dynamic fields as
//! `{name, <kind>: value}`), except that a **geo-point is `[lon, lat]`** (the ES `geo_point`
//! array form).
//!
//! Choices (the original is PHP-only, so its value forms are kept):
//! - date-times have 6 fractional digits (`2014-12-25T12:12:00.123456Z`); ES parses them;
//! - decimals are JSON numbers truncated to the field's scale (PHP `bcadd`); floats use PHP's
//!   shortest form (`102`, `0.5`, `1.0e+25`);
//! - big-ints and microtimes are strings (ES coerces them into numeric fields);
//! - binary values are base64 once;
//! - the JSON text is plain UTF-8 (no `\/` or `\uXXXX` escapes): ES reads both the same way.
//!
//! Reading ([`from_document`]) turns `[lon, lat]` arrays of geo-point fields back into GeoJSON
//! and then runs the strict JSON decoder, so documents get exactly the JSON decoder's checks
//! and error paths (a GeoJSON object is accepted too).

use crate::codec::{self, base64, json};
use crate::error::Error;
use crate::marshal::JsonValue;
use crate::message::{Message, MessageData};
use crate::number::{php_decimal, php_number};
use crate::registry::Registry;
use crate::schema::Schema;
use crate::types::{FieldRule, FieldType, TypeFamily};
use crate::value::{FieldValue, Value};
use crate::well_known::DynamicValue;

/// The document of a message as a JSON value tree.
pub fn to_document_value(data: &MessageData) -> JsonValue {
    JsonValue::Object(
        data.iter()
            .map(|(field, stored)| {
                let enc = |v: &Value| encode(v, field.kind, field.scale);
                let v = match stored {
                    FieldValue::Single(v) => enc(v),
                    FieldValue::Set(items) | FieldValue::List(items) => {
                        JsonValue::Array(items.iter().map(enc).collect())
                    }
                    FieldValue::Map(entries) => JsonValue::Object(
                        entries
                            .iter()
                            .map(|(k, v)| (k.to_string(), enc(v)))
                            .collect(),
                    ),
                };
                (field.name.to_owned(), v)
            })
            .collect(),
    )
}

/// The document of a message as JSON text (the body to index).
pub fn to_document(data: &MessageData) -> String {
    to_document_value(data).to_json()
}

fn float(v: f64) -> JsonValue {
    JsonValue::Number(php_number(v))
}

fn encode(v: &Value, kind: FieldType, scale: u8) -> JsonValue {
    match v {
        Value::Bool(b) => JsonValue::Bool(*b),
        Value::Int(i) => JsonValue::Number(i.to_string()),
        Value::BigInt(i) => JsonValue::String(i.to_string()),
        Value::Float(f) if kind == FieldType::Decimal => float(php_decimal(*f, scale)),
        Value::Float(f) => float(*f),
        Value::String(s) => JsonValue::String(s.to_string()),
        Value::Binary(b) => JsonValue::String(base64::encode(b)),
        Value::Date(d) => JsonValue::String(d.to_string()),
        Value::DateTime(dt) => JsonValue::String(dt.to_php_string()),
        Value::Microtime(m) => JsonValue::String(m.to_string()),
        Value::NodeRef(n) => JsonValue::String(n.as_str().to_owned()),
        Value::MessageRef(r) => {
            let mut e = vec![
                ("curie".to_owned(), JsonValue::str(r.curie())),
                ("id".to_owned(), JsonValue::str(r.id())),
            ];
            if let Some(tag) = r.tag() {
                e.push(("tag".to_owned(), JsonValue::str(tag)));
            }
            JsonValue::Object(e)
        }
        Value::GeoPoint(g) => JsonValue::Array(vec![float(g.lon()), float(g.lat())]),
        Value::DynamicField(d) => {
            let value = match d.value() {
                DynamicValue::Bool(b) => JsonValue::Bool(*b),
                DynamicValue::Date(x) => JsonValue::String(x.to_string()),
                DynamicValue::Float(f) => float(*f),
                DynamicValue::Int(i) => JsonValue::Number(i.to_string()),
                DynamicValue::String(s) | DynamicValue::Text(s) => JsonValue::str(s.as_str()),
            };
            JsonValue::object([("name", JsonValue::str(d.name())), (d.kind().key(), value)])
        }
        Value::Message(m) => to_document_value(m.data()),
        Value::Null => JsonValue::Null,
    }
}

/// Decodes a document (e.g. a hit's `_source`) into the message type its `_schema` names.
pub fn from_document(input: &str, registry: &Registry) -> Result<Box<dyn Message>, Error> {
    codec::decode(&as_json(input, registry)?, registry)
}

/// Decodes a document into data of `schema` (its `_schema` must have the same curie major).
pub fn from_document_as(
    input: &str,
    schema: &'static Schema,
    registry: &Registry,
) -> Result<MessageData, Error> {
    codec::decode_as(&as_json(input, registry)?, schema, registry)
}

/// The document rewritten into the JSON codec's form (geo-points as GeoJSON).
fn as_json(input: &str, registry: &Registry) -> Result<String, Error> {
    let mut doc = JsonValue::from_json(&json::parse(input)?);
    rewrite_message(&mut doc, registry);
    Ok(doc.to_json())
}

/// Rewrites geo-point values of a message object (and nested messages) in place. Values whose
/// schema cannot be resolved are left alone; the decoder reports them.
fn rewrite_message(doc: &mut JsonValue, registry: &Registry) {
    let Some(schema) = doc
        .get("_schema")
        .and_then(JsonValue::as_str)
        .and_then(|id| registry.resolve_id_str(id).ok())
        .map(|e| e.schema)
    else {
        return;
    };
    let JsonValue::Object(entries) = doc else {
        return;
    };
    for (key, value) in entries.iter_mut() {
        let Some(field) = schema.field(key) else {
            continue;
        };
        let fix: fn(&mut JsonValue, &Registry) = match field.kind.family() {
            TypeFamily::GeoPoint => |v, _| geo_point(v),
            TypeFamily::Message => rewrite_message,
            _ => continue,
        };
        match (field.rule, value) {
            (FieldRule::Single, v) => fix(v, registry),
            (_, JsonValue::Array(items)) => items.iter_mut().for_each(|v| fix(v, registry)),
            (FieldRule::Map, JsonValue::Object(items)) => {
                items.iter_mut().for_each(|(_, v)| fix(v, registry))
            }
            _ => {}
        }
    }
}

fn geo_point(v: &mut JsonValue) {
    if let JsonValue::Array(c) = v {
        let coordinates = JsonValue::Array(std::mem::take(c));
        *v = JsonValue::object([
            ("type", JsonValue::str("Point")),
            ("coordinates", coordinates),
        ]);
    }
}
