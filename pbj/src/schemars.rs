//! JSON Schema for messages (feature `schemars`): what the `schemars::JsonSchema` impls that
//! pbjc generates with `Config::schemars(true)` call, so message bodies appear in OpenAPI
//! documents (aide, utoipa via schemars).
//!
//! [`json_schema`] describes the JS-flavour wire form of a [`Schema`]: an object whose
//! properties are the fields (sets and lists as arrays, maps as objects), with the JSON type,
//! bounds, pattern, format and enum values of each, and the required fields listed. Nested
//! messages are objects carrying their own `_schema` (the allowed curies in the description).
//!
//! ```
//! use pbj::{Field, FieldRule, FieldType, Schema};
//!
//! static FIELDS: [Field; 3] = [
//!     Field::new("_schema", FieldType::String, FieldRule::Single).required(),
//!     Field::new("title", FieldType::String, FieldRule::Single).required(),
//!     Field::new("tags", FieldType::String, FieldRule::Set),
//! ];
//! static NOTE: Schema = Schema {
//!     id: "pbj:acme:blog::note:1-0-0", curie: "acme:blog::note", curie_major: "acme:blog::note:v1",
//!     qname: "acme:note", vendor: "acme", package: "blog", category: "", message: "note",
//!     version: pbj::SchemaVersion::new(1, 0, 0), fields: &FIELDS, mixins: &[], id_field: None,
//!     deprecated: false, description: "",
//! };
//! let schema = pbj::schemars::json_schema(&NOTE);
//! assert_eq!(schema.get("required"), Some(&serde_json::json!(["_schema", "title"])));
//! assert_eq!(
//!     schema.get("properties").and_then(|p| p.get("tags")),
//!     Some(&serde_json::json!({"type": "array", "uniqueItems": true, "items": {"type": "string", "maxLength": 255}}))
//! );
//! ```

pub use ::schemars::{JsonSchema, Schema as JsonSchemaDoc, SchemaGenerator};
use serde_json::{Map, Value as Json, json};

use crate::field::{EnumValue, Field};
use crate::schema::Schema;
use crate::types::{FieldRule, FieldType, Format, TypeFamily};

/// The JSON Schema of messages of `schema` (their JS-flavour wire form).
pub fn json_schema(schema: &Schema) -> JsonSchemaDoc {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in schema.fields {
        properties.insert(field.name.to_owned(), field_schema(field, schema));
        if field.required {
            required.push(Json::from(field.name));
        }
    }
    let mut out = json!({
        "type": "object",
        "title": schema.curie_major,
        "properties": properties,
        "required": required,
    });
    if !schema.description.is_empty() {
        out["description"] = Json::from(schema.description);
    }
    if schema.deprecated {
        out["deprecated"] = Json::Bool(true);
    }
    JsonSchemaDoc::try_from(out).unwrap_or_default()
}

/// One property: the value schema shaped by the field's rule.
fn field_schema(field: &Field, schema: &Schema) -> Json {
    let one = if field.name == "_schema" {
        json!({"type": "string", "const": schema.id})
    } else {
        value_schema(field)
    };
    let mut out = match field.rule {
        FieldRule::Single => one,
        FieldRule::Set => json!({"type": "array", "uniqueItems": true, "items": one}),
        FieldRule::List => json!({"type": "array", "items": one}),
        FieldRule::Map => json!({"type": "object", "additionalProperties": one}),
    };
    if !field.description.is_empty() {
        out["description"] = Json::from(field.description);
    }
    out
}

/// The schema of one value of the field's type.
fn value_schema(field: &Field) -> Json {
    let string = |format: Option<&str>| {
        let mut s = json!({"type": "string"});
        if let Some(f) = format {
            s["format"] = Json::from(f);
        }
        s
    };
    let mut out = match field.kind {
        FieldType::StringEnum | FieldType::IntEnum => {
            let values: Vec<Json> = field
                .enum_def
                .map(|e| e.options.iter().map(|(_, v)| enum_json(*v)).collect())
                .unwrap_or_default();
            let ty = if field.kind == FieldType::IntEnum {
                "integer"
            } else {
                "string"
            };
            return json!({"type": ty, "enum": values});
        }
        FieldType::Timestamp => json!({"type": "integer", "minimum": 0}),
        FieldType::Decimal => json!({
            "type": "string",
            "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
            "description": format!("decimal({}, {}) as a string", field.precision, field.scale),
        }),
        FieldType::Uuid | FieldType::TimeUuid => string(Some("uuid")),
        FieldType::Date => string(Some("date")),
        FieldType::DateTime => string(Some("date-time")),
        FieldType::Microtime => json!({"type": "string", "pattern": "^[0-9]{16}$"}),
        FieldType::NodeRef => json!({"type": "string", "pattern": "^[a-z0-9-]+:[a-z0-9-]+:.+$"}),
        FieldType::MessageRef => json!({
            "type": "object",
            "properties": {"curie": {"type": "string"}, "id": {"type": "string"}, "tag": {"type": "string"}},
            "required": ["curie", "id"],
        }),
        FieldType::GeoPoint => json!({
            "type": "object",
            "properties": {
                "type": {"const": "Point"},
                "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            },
            "required": ["type", "coordinates"],
        }),
        FieldType::DynamicField => json!({
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
            "minProperties": 2,
            "maxProperties": 2,
        }),
        FieldType::Message => {
            let mut m = json!({
                "type": "object",
                "properties": {"_schema": {"type": "string"}},
                "required": ["_schema"],
            });
            if !field.any_of.is_empty() {
                m["description"] = Json::from(format!(
                    "a message using one of: {}",
                    field.any_of.join(", ")
                ));
            }
            m
        }
        kind => match kind.family() {
            TypeFamily::Bool => json!({"type": "boolean"}),
            TypeFamily::Int => {
                json!({"type": "integer", "minimum": field.min, "maximum": field.max})
            }
            TypeFamily::BigInt => json!({"type": "string", "pattern": "^-?[0-9]+$"}),
            TypeFamily::Float => json!({"type": "number"}),
            TypeFamily::Binary => json!({"type": "string", "contentEncoding": "base64"}),
            _ => json!({"type": "string", "maxLength": field.max_length}),
        },
    };
    if let Some(p) = &field.pattern {
        out["pattern"] = Json::from(p.source);
    }
    if let Some(f) = format_name(field.format) {
        out["format"] = Json::from(f);
    }
    out
}

fn enum_json(v: EnumValue) -> Json {
    match v {
        EnumValue::Int(i) => Json::from(i),
        EnumValue::Str(s) => Json::from(s),
    }
}

/// The JSON Schema `format` of a pbj string format, where one exists.
fn format_name(format: Format) -> Option<&'static str> {
    Some(match format {
        Format::Email => "email",
        Format::Hostname => "hostname",
        Format::Ipv4 => "ipv4",
        Format::Ipv6 => "ipv6",
        Format::Url => "uri",
        Format::Uuid => "uuid",
        Format::Date => "date",
        Format::DateTime => "date-time",
        _ => return None,
    })
}
