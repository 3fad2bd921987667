//! One field as a JSON Schema property, following the original generator rule by rule.

use pbj::{FieldRule, FieldType, Format, TypeFamily};

use super::fixed;
use super::json::{Json, ObjectBuilder};
use crate::model::{EnumDecl, FieldDecl, OptionValue};

/// The key pattern of map fields.
const MAP_KEY_PATTERN: &str = r"^[a-zA-Z_]{1}[\w\.:-]+$";

/// Formats the original passes through as JSON Schema `format`; they also suppress the
/// length and range keywords.
const PASSED_FORMATS: [Format; 6] = [
    Format::DateTime,
    Format::Email,
    Format::Hostname,
    Format::Ipv4,
    Format::Ipv6,
    Format::Uri,
];

/// The `$ref` of an any-of target: its definition, keyed by its lowercased message name.
pub fn definition_ref(curie: &str) -> Json {
    let name = curie.rsplit(':').next().unwrap_or(curie).to_lowercase();
    Json::object([("$ref", Json::str(format!("#/definitions/{name}")))])
}

/// The property of `f` (with `e`, its enum): the value schema wrapped for the rule, then the
/// description.
pub fn property(f: &FieldDecl, e: Option<&EnumDecl>) -> Json {
    let mut out = ObjectBuilder::new();
    match f.rule {
        FieldRule::Single => {
            out.extend(value_schema(f, e));
        }
        FieldRule::Map => {
            out.set("type", Json::str("object"));
            out.set(
                "patternProperties",
                Json::object([(MAP_KEY_PATTERN, value_schema(f, e))]),
            );
            if f.required {
                out.set("minProperties", Json::Int(1));
            }
            out.set("additionalProperties", Json::Bool(false));
        }
        FieldRule::List | FieldRule::Set => {
            let items = if f.any_of.is_empty() {
                vec![value_schema(f, e)]
            } else {
                f.any_of.iter().map(|c| definition_ref(c)).collect()
            };
            out.set("type", Json::str("array"));
            out.set("items", Json::Array(items));
            if f.rule == FieldRule::Set {
                out.set("uniqueItems", Json::Bool(true));
            }
            if f.required {
                out.set("minItems", Json::Int(1));
            }
            out.set("additionalProperties", Json::Bool(false));
        }
    }
    if let Some(d) = &f.description {
        let d = d.split_whitespace().collect::<Vec<_>>().join(" ");
        if !d.is_empty() {
            out.set("description", Json::Str(d));
        }
    }
    out.build()
}

/// The schema of one value of `f`: type, default, format, pattern, enum, limits, any-of.
fn value_schema(f: &FieldDecl, e: Option<&EnumDecl>) -> Json {
    let mut out = ObjectBuilder::new();
    out.extend(type_schema(f.kind));
    if let Some(d) = default(f) {
        out.set("default", d);
    }
    let passed_format = PASSED_FORMATS.contains(&f.format);
    if passed_format {
        out.set("format", Json::str(f.format.name()));
    } else if f.kind == FieldType::DateTime {
        out.set("format", Json::str("date-time"));
    }
    let mut has_pattern = passed_format
        || matches!(
            f.kind,
            FieldType::DateTime | FieldType::GeoPoint | FieldType::MessageRef | FieldType::NodeRef
        );
    if let Some((pattern, sets_has_pattern)) = pattern(f) {
        out.set("pattern", Json::str(pattern));
        has_pattern |= sets_has_pattern;
    }
    let values = e.map(enum_values).unwrap_or_default();
    if !values.is_empty() {
        out.set("enum", Json::Array(values));
    } else if !has_pattern {
        limits(f, &mut out);
    }
    if !f.any_of.is_empty() && f.rule != FieldRule::List && f.rule != FieldRule::Set {
        let refs = f.any_of.iter().map(|c| definition_ref(c)).collect();
        out.set("anyOf", Json::Array(refs));
    }
    out.build()
}

/// The `type` keyword, or the whole fixed schema of the structured types.
fn type_schema(kind: FieldType) -> Json {
    let name = match kind {
        FieldType::MessageRef => return fixed::message_ref(),
        FieldType::GeoPoint => return fixed::geo_point(),
        FieldType::DynamicField => return fixed::dynamic_field(),
        FieldType::Decimal | FieldType::Float => "number",
        // `signed-big-int` is not among the original's integer types: it is written as a string.
        FieldType::BigInt => "integer",
        _ if kind.family() == TypeFamily::Int => "integer",
        FieldType::Boolean => "boolean",
        // Sic: the original types dates and nested messages as objects.
        FieldType::Date | FieldType::Message => "object",
        _ => "string",
    };
    Json::object([("type", Json::str(name))])
}

/// The default the original writes: the `<default>` text typed like PHP's `phpize`, else the
/// type's default; nothing for an empty value or a generated one (ids and times).
fn default(f: &FieldDecl) -> Option<Json> {
    if matches!(
        f.kind,
        FieldType::Microtime | FieldType::Timestamp | FieldType::Uuid | FieldType::TimeUuid
    ) {
        return None;
    }
    let given = f
        .default
        .as_deref()
        .map(|d| match d.to_ascii_lowercase().as_str() {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            "null" => Json::Null,
            _ if f.kind == FieldType::IntEnum => {
                Json::Int(crate::parser::xml::parse_int(d).unwrap_or_default())
            }
            _ => Json::str(d),
        });
    let value = match given {
        Some(v) if !is_empty(&v) => v,
        _ => type_default(f.kind),
    };
    (!is_empty(&value)).then_some(value)
}

/// PHP's `empty()` for the values a default can hold, except that `0` counts as a value.
fn is_empty(v: &Json) -> bool {
    match v {
        Json::Null | Json::Bool(false) => true,
        Json::Str(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The original compiler's default of a type (null for types without one).
fn type_default(kind: FieldType) -> Json {
    match kind.family() {
        TypeFamily::Int | TypeFamily::BigInt | TypeFamily::Float if kind != FieldType::IntEnum => {
            Json::Int(0)
        }
        _ => Json::Null,
    }
}

/// The pattern and whether it suppresses the limits: the field's own first, then the type's,
/// then the url and slug formats (slug leaves the limits in place).
fn pattern(f: &FieldDecl) -> Option<(&str, bool)> {
    if let Some(p) = &f.pattern {
        return Some((p, true));
    }
    let by_type = match f.kind {
        FieldType::Uuid | FieldType::TimeUuid => {
            Some(r"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$")
        }
        FieldType::Identifier | FieldType::NodeRef => Some(r"^[\w\/\.:-]+$"),
        FieldType::Microtime => Some(r"^[1-9]{1}[0-9]{12,15}$"),
        FieldType::Date => Some(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
        _ => None,
    };
    if let Some(p) = by_type {
        return Some((p, true));
    }
    match f.format {
        Format::Url => Some((
            r"^(https?:\/\/)?([\da-z\.-]+)\.([a-z\.]{2,6})([\/\w \.-]*)*\/?$",
            true,
        )),
        Format::Slug => Some((r"^([\w\/-]|[\w-][\w\/-]*[\w-])$", false)),
        _ => None,
    }
}

/// The enum's values without duplicates, in option order.
fn enum_values(e: &EnumDecl) -> Vec<Json> {
    let mut out: Vec<Json> = Vec::new();
    for o in &e.options {
        let v = match &o.value {
            OptionValue::Int(i) => Json::Int(*i),
            OptionValue::String(s) => Json::str(s.as_str()),
        };
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// `minLength`/`maxLength` for the string types, else `minimum`/`maximum` for the types with a
/// numeric range.
fn limits(f: &FieldDecl, out: &mut ObjectBuilder) {
    match f.kind {
        FieldType::String | FieldType::Text | FieldType::MediumText => {
            let max_bytes = f.kind.max_bytes();
            let cap = f.max_length.filter(|m| *m > 0).unwrap_or(max_bytes);
            let min = f.min_length.unwrap_or(0).min(cap);
            out.set("minLength", Json::Int(i64::from(min)));
            let max = f.max_length.unwrap_or(max_bytes);
            out.set("maxLength", Json::Int(i64::from(max)));
        }
        FieldType::Boolean
        | FieldType::Date
        | FieldType::Decimal
        | FieldType::DynamicField
        | FieldType::Float
        | FieldType::GeoPoint
        | FieldType::MessageRef
        | FieldType::Message
        | FieldType::NodeRef => {}
        _ => {
            let (lo, hi) = f.kind.int_bounds();
            out.set("minimum", Json::Int(f.min.unwrap_or(lo)));
            out.set("maximum", Json::Int(f.max.unwrap_or(hi)));
        }
    }
}
