//! JSON -> message decoding: strict (the JS and the PHP dialect) or lenient
//! (see [`super::lenient`]).

use crate::codec::DecodeOptions;
use crate::codec::check::normalize;
use crate::codec::json::{self, Json};
use crate::codec::stream;
use crate::error::Error;
use crate::field::Field;
use crate::message::MessageData;
use crate::registry::Registry;
use crate::schema::Schema;
use crate::schema_id::SchemaId;
use crate::text::js_trim;
use crate::time::{Date, DateTime};
use crate::types::{FieldRule, FieldType, TypeFamily};
use crate::value::{CompactString, FieldValue, Value};
use crate::well_known::{
    DynamicField, DynamicKind, DynamicValue, GeoPoint, MessageRef, Microtime, NodeRef,
};

/// Maximum depth of nested messages.
pub const MAX_MESSAGE_DEPTH: usize = 32;

/// Decodes a JSON document into data of `schema` (its `_schema` must name the same curie
/// major), with the registry's [`DecodeOptions`] (strict unless the registry says otherwise).
pub fn decode_as(
    input: &str,
    schema: &'static Schema,
    registry: &Registry,
) -> Result<MessageData, Error> {
    decode_as_with(input, schema, registry, registry.decode_options())
}

/// [`decode_as`] with explicit options.
pub fn decode_as_with(
    input: &str,
    schema: &'static Schema,
    registry: &Registry,
    options: DecodeOptions,
) -> Result<MessageData, Error> {
    let lenient = options.is_lenient();
    if !lenient && let Some(data) = stream::decode_as(input, schema, registry) {
        return Ok(data);
    }
    let doc = json::parse(input)?;
    Decoder { registry, lenient }.message(object(&doc)?, Some(schema), 0)
}

/// Decodes a JSON document into whatever message type its `_schema` names, with the
/// registry's [`DecodeOptions`] (strict unless the registry says otherwise).
///
/// ```
/// # include!("../../doc/article.rs");
/// # fn main() -> Result<(), pbj::Error> {
/// use pbj::codec::DecodeOptions;
/// use pbj::{DynamicMessage, Registry};
///
/// let mut registry = Registry::new();
/// registry.register(&ARTICLE_PUBLISHED, |data| Box::new(DynamicMessage(data)));
///
/// let json = r#"{"_schema":"pbj:acme:blog:event:article-published:1-0-0","event_id":"0e8f2d10-8a3b-11ee-8c99-0242ac120002","title":"Hi","word_count":42}"#;
/// let message = pbj::codec::decode(json, &registry)?;
/// assert_eq!(message.schema().id, ARTICLE_PUBLISHED.id);
/// assert_eq!(message.to_json(), json);
///
/// // Strict by default: an int sent as a string (as HTML forms do) is rejected...
/// let form = json.replace(":42}", r#":"42"}"#);
/// assert!(pbj::codec::decode(&form, &registry).is_err());
/// // ...and coerced as the JS implementation does when decoding leniently.
/// let lenient = pbj::codec::decode_with(&form, &registry, DecodeOptions::lenient())?;
/// assert_eq!(lenient.to_json(), json);
/// # Ok(())
/// # }
/// ```
pub fn decode(input: &str, registry: &Registry) -> Result<Box<dyn crate::Message>, Error> {
    decode_with(input, registry, registry.decode_options())
}

/// [`decode`] with explicit options.
pub fn decode_with(
    input: &str,
    registry: &Registry,
    options: DecodeOptions,
) -> Result<Box<dyn crate::Message>, Error> {
    let lenient = options.is_lenient();
    if !lenient && let Some(message) = stream::decode(input, registry) {
        return Ok(message);
    }
    let doc = json::parse(input)?;
    Decoder { registry, lenient }.boxed_message(object(&doc)?, 0)
}

/// The members of a top-level document, which must be an object.
fn object<'j, 'a>(doc: &'j Json<'a>) -> Result<&'j [(std::borrow::Cow<'a, str>, Json<'a>)], Error> {
    match doc {
        Json::Object(entries) => Ok(entries),
        other => Err(Error::invalid(
            "",
            format!("a message must be a JSON object, got {}", other.type_name()),
        )),
    }
}

/// The tree decoder: exact results and errors for any document.
pub(super) struct Decoder<'r> {
    pub(super) registry: &'r Registry,
    /// Whether values are coerced as the JS implementation does (see [`super::lenient`]).
    pub(super) lenient: bool,
}

/// The last value of `key` (`JSON.parse` keeps the last of duplicate keys).
pub(super) fn last<'j, 'a>(
    entries: &'j [(std::borrow::Cow<'a, str>, Json<'a>)],
    key: &str,
) -> Option<&'j Json<'a>> {
    entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl Decoder<'_> {
    fn schema_of(
        &self,
        entries: &[(std::borrow::Cow<'_, str>, Json<'_>)],
    ) -> Result<SchemaId, Error> {
        match last(entries, "_schema") {
            Some(Json::String(s)) => SchemaId::parse(s)
                .map_err(|_| Error::invalid("_schema", format!("[{s}] is not a valid schema id"))),
            Some(other) => Err(Error::invalid(
                "_schema",
                format!("must be a string, got {}", other.type_name()),
            )),
            None => Err(Error::invalid(
                "_schema",
                "the message has no [_schema] key",
            )),
        }
    }

    pub(super) fn boxed_message(
        &self,
        entries: &[(std::borrow::Cow<'_, str>, Json<'_>)],
        depth: usize,
    ) -> Result<Box<dyn crate::Message>, Error> {
        let entry = match last(entries, "_schema") {
            Some(Json::String(raw)) => match self.registry.resolve_id_str(raw) {
                Ok(e) => e,
                Err(Error::InvalidSchemaId { value }) => {
                    return Err(Error::invalid(
                        "_schema",
                        format!("[{value}] is not a valid schema id"),
                    ));
                }
                Err(e) => return Err(e),
            },
            _ => {
                self.schema_of(entries)?;
                return Err(Error::invalid(
                    "_schema",
                    "the message has no [_schema] key",
                ));
            }
        };
        let data = self.fields(entries, entry.schema, depth)?;
        Ok((entry.constructor)(data))
    }

    fn message(
        &self,
        entries: &[(std::borrow::Cow<'_, str>, Json<'_>)],
        schema: Option<&'static Schema>,
        depth: usize,
    ) -> Result<MessageData, Error> {
        if let (Some(s), Some(Json::String(raw))) = (schema, last(entries, "_schema"))
            && raw == s.id
        {
            return self.fields(entries, s, depth);
        }
        let id = self.schema_of(entries)?;
        let schema = match schema {
            Some(s) => s,
            None => {
                self.registry
                    .resolve_id(&id)
                    .ok_or_else(|| Error::NoMessageForSchemaId {
                        field: String::new(),
                        schema: id.to_string(),
                    })?
                    .schema
            }
        };
        if id.curie_major() != schema.curie_major {
            return Err(Error::InvalidResolvedSchema {
                field: String::new(),
                expected: schema.curie_major.to_owned(),
                found: id.to_string(),
            });
        }
        self.fields(entries, schema, depth)
    }

    fn fields(
        &self,
        entries: &[(std::borrow::Cow<'_, str>, Json<'_>)],
        schema: &'static Schema,
        depth: usize,
    ) -> Result<MessageData, Error> {
        if self.lenient {
            // Each key once, with its last value, as `JSON.parse` gives it to the JS decoder.
            return self.fields_from(super::js_value::object_view(entries), schema, depth);
        }
        self.fields_from(entries.iter().map(|(k, v)| (k.as_ref(), v)), schema, depth)
    }

    fn fields_from<'j, 'a: 'j>(
        &self,
        entries: impl IntoIterator<Item = (&'j str, &'j Json<'a>)>,
        schema: &'static Schema,
        depth: usize,
    ) -> Result<MessageData, Error> {
        let mut data = MessageData::empty(schema);
        let mut cursor = 0;
        for (key, value) in entries {
            // Canonical writers emit keys in schema order: try the next field first.
            let index = match schema.fields.get(cursor) {
                Some(f) if f.name == key => cursor,
                _ => match schema.field_index(key) {
                    Some(i) => i,
                    None => continue,
                },
            };
            cursor = index + 1;
            if index == 0 {
                continue;
            }
            let field = &schema.fields[index];
            let stored = self
                .field(field, value, depth)
                .map_err(|e| e.within(field.name))?;
            data.put(index, stored);
        }
        data.populate_defaults();
        Ok(data)
    }

    pub(super) fn field(
        &self,
        field: &'static Field,
        json: &Json<'_>,
        depth: usize,
    ) -> Result<Option<FieldValue>, Error> {
        if self.lenient {
            return self.lenient_field(field, json, depth);
        }
        fn items<'j, 'a>(field: &Field, json: &'j Json<'a>) -> Result<&'j [Json<'a>], Error> {
            match json {
                Json::Array(items) => Ok(items),
                other => Err(Error::invalid(
                    "",
                    format!(
                        "a {} field must be an array, got {}",
                        field.rule,
                        other.type_name()
                    ),
                )),
            }
        }
        match (field.rule, json) {
            (_, Json::Null) => Ok(None),
            (FieldRule::Single, v) => Ok(self.value(field, v, depth)?.map(FieldValue::Single)),
            (FieldRule::Set, v) => {
                let mut out: Vec<Value> = Vec::new();
                for (i, item) in items(field, v)?.iter().enumerate() {
                    if let Some(value) = self
                        .element(field, item, depth)
                        .map_err(|e| e.within(&format!("[{i}]")))?
                    {
                        crate::message::push_unique(&mut out, value);
                    }
                }
                Ok((!out.is_empty()).then_some(FieldValue::Set(out)))
            }
            (FieldRule::List, v) => {
                let mut out = Vec::new();
                for (i, item) in items(field, v)?.iter().enumerate() {
                    // A blank element has no value to keep (the JS writer would emit `null`).
                    let value = self
                        .element(field, item, depth)
                        .and_then(|v| {
                            v.ok_or_else(|| Error::invalid("", "list elements cannot be blank"))
                        })
                        .map_err(|e| e.within(&format!("[{i}]")))?;
                    out.push(value);
                }
                Ok((!out.is_empty()).then_some(FieldValue::List(out)))
            }
            (FieldRule::Map, Json::Object(entries)) => {
                let mut out: Vec<(CompactString, Value)> = Vec::new();
                for (k, item) in entries {
                    let value = self.element(field, item, depth).map_err(|e| e.within(k))?;
                    match value {
                        Some(v) => match out.iter_mut().find(|(key, _)| key == k) {
                            Some(slot) => slot.1 = v,
                            None => out.push((CompactString::from(&**k), v)),
                        },
                        None => out.retain(|(key, _)| key != k),
                    }
                }
                Ok((!out.is_empty()).then_some(FieldValue::Map(out)))
            }
            (FieldRule::Map, other) => Err(Error::invalid(
                "",
                format!("a map field must be an object, got {}", other.type_name()),
            )),
        }
    }

    fn element(
        &self,
        field: &'static Field,
        json: &Json<'_>,
        depth: usize,
    ) -> Result<Option<Value>, Error> {
        if let Json::Null = json {
            return Err(Error::invalid(
                "",
                "null is not allowed inside a set, list or map",
            ));
        }
        self.value(field, json, depth)
    }

    pub(super) fn value(
        &self,
        field: &'static Field,
        json: &Json<'_>,
        depth: usize,
    ) -> Result<Option<Value>, Error> {
        if self.lenient {
            return self.lenient_value(field, json, depth);
        }
        let raw = match field.kind.family() {
            TypeFamily::Message => {
                let Json::Object(entries) = json else {
                    return Err(wrong_type(field, json));
                };
                if depth >= MAX_MESSAGE_DEPTH {
                    return Err(Error::TooDeep {
                        field: String::new(),
                    });
                }
                let nested = self.boxed_message(entries, depth + 1)?;
                Value::Message(nested)
            }
            _ => scalar(field, json)?,
        };
        normalize(field, raw).map_err(|m| Error::invalid("", m))
    }
}

fn wrong_type(field: &Field, json: &Json<'_>) -> Error {
    Error::invalid(
        "",
        format!("a {} value cannot be {}", field.kind, json.type_name()),
    )
}

fn bad(field: &Field, m: impl std::fmt::Display) -> Error {
    Error::invalid("", format!("invalid {} value: {m}", field.kind))
}

/// Reads an integral JSON number (`12`, `1.0`, `1e3`) exactly; fractions are rejected.
fn integer(raw: &str) -> Option<i128> {
    if let Ok(v) = raw.parse::<i128>() {
        return Some(v);
    }
    let f: f64 = raw.parse().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15).then_some(f as i128)
}

/// The value of the JSON number `raw` for a field of the int, big-int or float family.
pub(super) fn number_value(field: &Field, raw: &str) -> Result<Value, Error> {
    Ok(match field.kind.family() {
        TypeFamily::Int => {
            let v = integer(raw).ok_or_else(|| bad(field, format!("{raw} is not an integer")))?;
            Value::Int(i64::try_from(v).map_err(|_| bad(field, format!("{raw} is out of range")))?)
        }
        TypeFamily::BigInt => Value::BigInt(
            integer(raw).ok_or_else(|| bad(field, format!("{raw} is not an integer")))?,
        ),
        TypeFamily::Float => Value::Float(
            raw.parse()
                .map_err(|_| bad(field, format!("{raw} is not a number")))?,
        ),
        _ => return Err(wrong_type(field, &Json::Number(raw))),
    })
}

pub(super) fn scalar(field: &Field, json: &Json<'_>) -> Result<Value, Error> {
    let kind = field.kind;
    Ok(match (kind.family(), json) {
        (TypeFamily::Bool, Json::Bool(b)) => Value::Bool(*b),
        (TypeFamily::Int | TypeFamily::BigInt | TypeFamily::Float, Json::Number(raw)) => {
            number_value(field, raw)?
        }
        (TypeFamily::BigInt, Json::String(s)) => {
            let t = js_trim(s);
            let ok = !t.is_empty()
                && t.strip_prefix('-')
                    .unwrap_or(t)
                    .bytes()
                    .all(|b| b.is_ascii_digit());
            let v: i128 = if ok {
                t.parse()
                    .map_err(|_| bad(field, format!("{t} is out of range")))?
            } else {
                return Err(bad(field, format!("[{s}] is not an integer string")));
            };
            Value::BigInt(v)
        }
        (TypeFamily::Float, Json::String(s)) if kind == FieldType::Decimal => {
            let t = js_trim(s);
            let numeric = !t.is_empty()
                && t.bytes().all(|b| {
                    b.is_ascii_digit()
                        || b == b'.'
                        || b == b'-'
                        || b == b'+'
                        || b == b'e'
                        || b == b'E'
                });
            let v: f64 = if numeric {
                t.parse()
                    .map_err(|_| bad(field, format!("[{s}] is not a number")))?
            } else {
                return Err(bad(field, format!("[{s}] is not a number")));
            };
            Value::Float(v)
        }
        (TypeFamily::String | TypeFamily::Uuid, Json::String(s)) => {
            Value::String(CompactString::from(&**s))
        }
        (TypeFamily::Binary, Json::String(s)) => {
            let bytes = crate::codec::base64::decode(js_trim(s)).map_err(|m| bad(field, m))?;
            if std::str::from_utf8(&bytes).is_err() {
                return Err(bad(field, "binary content must be UTF-8 text"));
            }
            Value::Binary(bytes)
        }
        (TypeFamily::Date, Json::String(s)) => {
            Value::Date(Date::parse(s).map_err(|m| bad(field, m))?)
        }
        (TypeFamily::DateTime, Json::String(s)) => {
            Value::DateTime(DateTime::parse(js_trim(s)).map_err(|m| bad(field, m))?)
        }
        (TypeFamily::Microtime, Json::String(s)) => {
            Value::Microtime(Microtime::parse(s).map_err(|m| bad(field, m))?)
        }
        (TypeFamily::NodeRef, Json::String(s)) => {
            Value::NodeRef(NodeRef::parse(js_trim(s)).map_err(|m| bad(field, m))?)
        }
        (TypeFamily::MessageRef, Json::Object(e)) => Value::MessageRef(message_ref(field, e)?),
        (TypeFamily::GeoPoint, Json::Object(e)) => Value::GeoPoint(geo_point(field, e)?),
        (TypeFamily::DynamicField, Json::Object(e)) => {
            Value::DynamicField(dynamic_field(field, e)?)
        }
        _ => return Err(wrong_type(field, json)),
    })
}

fn message_ref(
    field: &Field,
    e: &[(std::borrow::Cow<'_, str>, Json<'_>)],
) -> Result<MessageRef, Error> {
    let text = |key: &str| -> Result<Option<String>, Error> {
        match last(e, key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.to_string())),
            Some(other) => Err(bad(
                field,
                format!("[{key}] must be a string, got {}", other.type_name()),
            )),
        }
    };
    let curie = text("curie")?.ok_or_else(|| bad(field, "[curie] is required"))?;
    let id = text("id")?.ok_or_else(|| bad(field, "[id] is required"))?;
    let tag = text("tag")?;
    MessageRef::new(&curie, &id, tag.as_deref()).map_err(|m| bad(field, m))
}

fn number(field: &Field, json: Option<&Json<'_>>, what: &str) -> Result<f64, Error> {
    match json {
        Some(Json::Number(raw)) => raw
            .parse()
            .map_err(|_| bad(field, format!("{what} is not a number"))),
        _ => Err(bad(field, format!("{what} must be a number"))),
    }
}

fn geo_point(
    field: &Field,
    e: &[(std::borrow::Cow<'_, str>, Json<'_>)],
) -> Result<GeoPoint, Error> {
    let Some(Json::Array(c)) = last(e, "coordinates") else {
        return Err(bad(field, "[coordinates] must be an array [lon, lat]"));
    };
    if c.len() != 2 {
        return Err(bad(field, "[coordinates] must hold exactly [lon, lat]"));
    }
    let lon = number(field, c.first(), "longitude")?;
    let lat = number(field, c.get(1), "latitude")?;
    GeoPoint::new(lat, lon).map_err(|m| bad(field, m))
}

fn dynamic_field(
    field: &Field,
    e: &[(std::borrow::Cow<'_, str>, Json<'_>)],
) -> Result<DynamicField, Error> {
    let name = match last(e, "name") {
        Some(Json::String(s)) => s.to_string(),
        _ => return Err(bad(field, "[name] must be a string")),
    };
    let Some((key, raw)) = e.iter().find(|(k, _)| k != "name") else {
        return Err(bad(
            field,
            "a kind (bool_val, date_val, float_val, int_val, string_val, text_val) is required",
        ));
    };
    let kind = DynamicKind::from_key(key)
        .ok_or_else(|| bad(field, format!("[{key}] is not a valid kind")))?;
    let raw = last(e, key).unwrap_or(raw);
    let value = match (kind, raw) {
        (DynamicKind::Bool, Json::Bool(b)) => DynamicValue::Bool(*b),
        (DynamicKind::Date, Json::String(s)) => {
            DynamicValue::Date(Date::parse(s).map_err(|m| bad(field, m))?)
        }
        (DynamicKind::Float, Json::Number(_)) => {
            DynamicValue::Float(number(field, Some(raw), "float_val")?)
        }
        (DynamicKind::Int, Json::Number(r)) => {
            let v = integer(r).and_then(|v| i64::try_from(v).ok());
            DynamicValue::Int(
                v.ok_or_else(|| bad(field, format!("int_val {r} is not an integer")))?,
            )
        }
        (DynamicKind::String, Json::String(s)) => DynamicValue::String(js_trim(s).to_owned()),
        (DynamicKind::Text, Json::String(s)) => DynamicValue::Text(js_trim(s).to_owned()),
        (_, other) => {
            return Err(bad(
                field,
                format!("[{key}] cannot be {}", other.type_name()),
            ));
        }
    };
    DynamicField::new(&name, value).map_err(|m| bad(field, m))
}
