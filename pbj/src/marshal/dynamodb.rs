//! DynamoDB items (the original `ItemMarshaler`): a message as a map of [`AttributeValue`]s.
//!
//! # Encoding (`marshal`)
//! Fields are written in schema order; unset fields and empty collections are skipped. Per
//! value, the branch order of the originals is kept (`isString`, `isNumeric`, `isBoolean`):
//!
//! | type | attribute |
//! |---|---|
//! | string, text, identifier, uuid, enum strings, node-ref, date, date-time, **binary** | `S` (binary: base64 once, never `B`) |
//! | int types, timestamp, trinary, int-enum, big-ints, float, decimal, microtime | `N` |
//! | boolean | `BOOL` |
//! | message | `M` of the nested item (with `_schema`) |
//! | message-ref | `M {curie: S, id: S, tag: S or NULL}` |
//! | geo-point | `M {type: S "Point", coordinates: L [N lon, N lat]}` |
//! | dynamic-field | `M {name: S, <kind>: S/N/BOOL}` |
//!
//! Sets are `SS` (string types) or `NS` (numeric types), lists `L`, maps `M`.
//!
//! # PHP and JS differences ([`Flavor`])
//! - `Flavor::Php`: a string that encodes to `"0"` is written `{"NULL": true}` (PHP `empty()`),
//!   so it is lost on the way back; JS writes `{"S": "0"}`. The one exception on reading is the
//!   value of a dynamic field: a `string_val`/`text_val` of `{"NULL": true}` reads as `"0"`
//!   (the value cannot be blank, so NULL can only be PHP's `"0"`; PHP itself reads it back as
//!   `"1"`, a bug), so an item a PHP service wrote is always readable.
//! - Geo-points: JS writes the coordinates rounded to 8 decimals, as its `GeoPoint` holds them
//!   ([`GeoPoint::js_rounded`]); PHP the full double (`(string)$float`). Reading keeps what
//!   the item holds.
//! - Float and decimal `N`: PHP `(string)$float` (14 significant digits, `1.0E+15`), see
//!   [`php_float_to_string`]; JS `` `${v}` `` ([`crate::number::js_number`], `1e+21`). Decimals:
//!   PHP truncates to the field's scale (`bcadd`), JS writes `toFixed(scale)` (`"3.10"`).
//! - date-time `S`: PHP 6 fractional digits, JS 3 (as in the JSON codec).
//!
//! # Decoding (`unmarshal`)
//! Decoding accepts either flavour and is strict: every attribute must have the type the field
//! needs (`S` for string types, `N` for numbers, ...) or the result is
//! [`Error::InvalidValue`] naming the field path (`nested.refs[0]`, `map_field.key`). Values
//! go through the same checks as the JSON decoder ([`crate::codec::check_value`]); nested
//! messages are resolved by `_schema` in the [`Registry`]; defaults are populated last.
//! Rules: `NULL` clears a field (and is skipped inside `L`/`M`, where the PHP writer emits it for
//! `"0"`); sets and lists accept `L`, `SS` (string types), `NS` (numeric types) and `BS`
//! (binary types; raw bytes); maps need `M`; unknown attributes are ignored. Binary `S` values
//! are base64 and, as in the JSON decoder, must hold UTF-8 text.

use crate::codec::json::{self, Json};
use crate::codec::{Flavor, MAX_MESSAGE_DEPTH, base64};
use crate::error::Error;
use crate::field::Field;
use crate::marshal::{reroot, write_json_object, write_json_str};
use crate::message::{Message, MessageData};
use crate::number::{js_number, js_to_fixed, php_decimal};
use crate::registry::Registry;
use crate::schema::Schema;
use crate::schema_id::SchemaId;
use crate::text::js_trim;
use crate::time::{Date, DateTime};
use crate::types::{FieldRule, FieldType, TypeFamily};
use crate::value::{FieldValue, Value};
use crate::well_known::{
    DynamicField, DynamicKind, DynamicValue, GeoPoint, MessageRef, Microtime, NodeRef,
};

/// One DynamoDB attribute value (the SDK's `AttributeValue`, without I/O types).
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// A string.
    S(String),
    /// A number, as its decimal text.
    N(String),
    /// Raw bytes (base64 in DynamoDB JSON).
    B(Vec<u8>),
    /// A boolean (`BOOL`).
    Bool(bool),
    /// `NULL: true`.
    Null,
    /// A map, in insertion order.
    M(Vec<(String, AttributeValue)>),
    /// A list.
    L(Vec<AttributeValue>),
    /// A string set.
    Ss(Vec<String>),
    /// A number set.
    Ns(Vec<String>),
    /// A binary set.
    Bs(Vec<Vec<u8>>),
}

/// A DynamoDB item: attribute name to value, in schema order.
pub type Item = Vec<(String, AttributeValue)>;

impl AttributeValue {
    /// The DynamoDB type descriptor: `S`, `N`, `B`, `BOOL`, `NULL`, `M`, `L`, `SS`, `NS`, `BS`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::S(_) => "S",
            Self::N(_) => "N",
            Self::B(_) => "B",
            Self::Bool(_) => "BOOL",
            Self::Null => "NULL",
            Self::M(_) => "M",
            Self::L(_) => "L",
            Self::Ss(_) => "SS",
            Self::Ns(_) => "NS",
            Self::Bs(_) => "BS",
        }
    }

    /// The value in DynamoDB JSON, e.g. `{"S":"x"}` (binary as base64).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(64);
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        out.push_str("{\"");
        out.push_str(self.type_name());
        out.push_str("\":");
        match self {
            Self::S(s) | Self::N(s) => write_json_str(out, s),
            Self::B(b) => write_json_str(out, &base64::encode(b)),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Null => out.push_str("true"),
            Self::M(entries) => write_item(out, entries),
            Self::L(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_json(out);
                }
                out.push(']');
            }
            Self::Ss(items) | Self::Ns(items) => {
                out.push('[');
                for (i, s) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_str(out, s);
                }
                out.push(']');
            }
            Self::Bs(items) => {
                out.push('[');
                for (i, b) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_str(out, &base64::encode(b));
                }
                out.push(']');
            }
        }
        out.push('}');
    }

    /// Parses one attribute value from DynamoDB JSON (`{"N":"1"}`).
    pub fn from_json(input: &str) -> Result<Self, Error> {
        attribute_from_json(&json::parse(input)?)
    }
}

fn write_item(out: &mut String, entries: &[(String, AttributeValue)]) {
    write_json_object(out, entries, AttributeValue::write_json);
}

/// An item as DynamoDB JSON (`{"_schema":{"S":"pbj:..."},...}`), the form the originals' tests use.
pub fn item_to_json(item: &[(String, AttributeValue)]) -> String {
    let mut out = String::with_capacity(512);
    write_item(&mut out, item);
    out
}

/// Parses an item from DynamoDB JSON.
pub fn item_from_json(input: &str) -> Result<Item, Error> {
    match json::parse(input)? {
        Json::Object(entries) => entries
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.to_string(),
                    attribute_from_json(v).map_err(|e| e.within(k))?,
                ))
            })
            .collect(),
        other => Err(Error::invalid(
            "",
            format!("an item must be a JSON object, got {}", other.type_name()),
        )),
    }
}

fn attribute_from_json(json: &Json<'_>) -> Result<AttributeValue, Error> {
    let Json::Object(entries) = json else {
        return Err(Error::invalid(
            "",
            format!(
                "an attribute value must be an object, got {}",
                json.type_name()
            ),
        ));
    };
    let [(kind, value)] = entries.as_slice() else {
        return Err(Error::invalid(
            "",
            "an attribute value must have exactly one type key",
        ));
    };
    let string = |v: &Json<'_>| match v {
        Json::String(s) => Ok(s.to_string()),
        other => Err(Error::invalid(
            "",
            format!("[{kind}] must be a string, got {}", other.type_name()),
        )),
    };
    let bytes =
        |v: &Json<'_>| base64::decode(&string(v)?).map_err(|m| Error::invalid("", m.to_string()));
    fn array<'j, 'a>(kind: &str, v: &'j Json<'a>) -> Result<&'j [Json<'a>], Error> {
        match v {
            Json::Array(items) => Ok(items),
            other => Err(Error::invalid(
                "",
                format!("[{kind}] must be an array, got {}", other.type_name()),
            )),
        }
    }
    Ok(match (kind.as_ref(), value) {
        ("S", v) => AttributeValue::S(string(v)?),
        ("N", v) => AttributeValue::N(string(v)?),
        ("B", v) => AttributeValue::B(bytes(v)?),
        ("BOOL", Json::Bool(b)) => AttributeValue::Bool(*b),
        ("NULL", Json::Bool(true)) => AttributeValue::Null,
        ("M", Json::Object(entries)) => AttributeValue::M(
            entries
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.to_string(),
                        attribute_from_json(v).map_err(|e| e.within(k))?,
                    ))
                })
                .collect::<Result<_, Error>>()?,
        ),
        ("L", v) => AttributeValue::L(
            array(kind, v)?
                .iter()
                .enumerate()
                .map(|(i, v)| attribute_from_json(v).map_err(|e| e.within(&format!("[{i}]"))))
                .collect::<Result<_, Error>>()?,
        ),
        ("SS", v) => AttributeValue::Ss(
            array(kind, v)?
                .iter()
                .map(string)
                .collect::<Result<_, _>>()?,
        ),
        ("NS", v) => AttributeValue::Ns(
            array(kind, v)?
                .iter()
                .map(string)
                .collect::<Result<_, _>>()?,
        ),
        ("BS", v) => AttributeValue::Bs(
            array(kind, v)?
                .iter()
                .map(bytes)
                .collect::<Result<_, _>>()?,
        ),
        (k, v) => {
            return Err(Error::invalid(
                "",
                format!("[{k}] cannot hold {}", v.type_name()),
            ));
        }
    })
}

// ---------------------------------------------------------------------------------------------
// marshal

pub use crate::number::php_float_to_string;

/// The `N` text of a float or decimal value in `flavor`.
fn float_n(v: f64, kind: FieldType, scale: u8, flavor: Flavor) -> String {
    match (kind, flavor) {
        (FieldType::Decimal, Flavor::Js) => js_to_fixed(v, scale),
        (FieldType::Decimal, Flavor::Php) => php_float_to_string(php_decimal(v, scale)),
        (_, Flavor::Js) => js_number(v),
        (_, Flavor::Php) => php_float_to_string(v),
    }
}

/// `S`, or `NULL` for what PHP's `empty()` calls empty (`""` always, `"0"` in the PHP flavour).
fn string_attr(s: String, flavor: Flavor) -> AttributeValue {
    if s.is_empty() || (flavor == Flavor::Php && s == "0") {
        AttributeValue::Null
    } else {
        AttributeValue::S(s)
    }
}

/// Encodes a message as a DynamoDB item (fields in schema order, `_schema` first).
///
/// Values are taken as stored (they were checked when set); like the JS marshaler this does
/// not re-validate, so call [`MessageData::validate`] first if required fields matter.
pub fn marshal(data: &MessageData, flavor: Flavor) -> Item {
    data.iter()
        .map(|(field, stored)| {
            let attr = match stored {
                FieldValue::Single(v) => encode_value(v, field, flavor),
                FieldValue::Set(items) => encode_set(items, field, flavor),
                FieldValue::List(items) => AttributeValue::L(
                    items
                        .iter()
                        .map(|v| encode_value(v, field, flavor))
                        .collect(),
                ),
                FieldValue::Map(entries) => AttributeValue::M(
                    entries
                        .iter()
                        .map(|(k, v)| (k.to_string(), encode_value(v, field, flavor)))
                        .collect(),
                ),
            };
            (field.name.to_owned(), attr)
        })
        .collect()
}

/// The set element text (`(string)type.encode(v)`).
fn set_element(v: &Value, field: &Field, flavor: Flavor) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::BigInt(i) => i.to_string(),
        Value::Float(f) => float_n(*f, field.kind, field.scale, flavor),
        Value::Binary(b) => base64::encode(b),
        Value::Microtime(m) => m.to_string(),
        Value::NodeRef(n) => n.as_str().to_owned(),
        Value::Bool(b) => if *b { "1" } else { "" }.to_owned(),
        Value::Date(d) => d.to_string(),
        Value::DateTime(dt) => date_time_string(dt, flavor),
        Value::MessageRef(r) => r.to_string(),
        Value::GeoPoint(g) => format!("{},{}", g.lat(), g.lon()),
        Value::DynamicField(d) => d.name().to_owned(),
        Value::Message(m) => m.schema().id.to_owned(),
        Value::Null => String::new(),
    }
}

fn encode_set(items: &[Value], field: &Field, flavor: Flavor) -> AttributeValue {
    let strings = || {
        items
            .iter()
            .map(|v| set_element(v, field, flavor))
            .collect()
    };
    if field.kind.is_string() {
        AttributeValue::Ss(strings())
    } else if field.kind.is_numeric() {
        AttributeValue::Ns(strings())
    } else {
        // No other type is allowed in a set; keep the values rather than fail.
        AttributeValue::L(
            items
                .iter()
                .map(|v| encode_value(v, field, flavor))
                .collect(),
        )
    }
}

fn date_time_string(dt: &DateTime, flavor: Flavor) -> String {
    match flavor {
        Flavor::Js => dt.to_js_string(),
        Flavor::Php => dt.to_php_string(),
    }
}

fn encode_value(v: &Value, field: &Field, flavor: Flavor) -> AttributeValue {
    match v {
        Value::String(s) => string_attr(s.to_string(), flavor),
        Value::Binary(b) => string_attr(base64::encode(b), flavor),
        Value::Date(d) => AttributeValue::S(d.to_string()),
        Value::DateTime(dt) => AttributeValue::S(date_time_string(dt, flavor)),
        Value::NodeRef(n) => AttributeValue::S(n.as_str().to_owned()),
        Value::Int(i) => AttributeValue::N(i.to_string()),
        Value::BigInt(i) => AttributeValue::N(i.to_string()),
        Value::Float(f) => AttributeValue::N(float_n(*f, field.kind, field.scale, flavor)),
        Value::Microtime(m) => AttributeValue::N(m.to_string()),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::MessageRef(r) => AttributeValue::M(vec![
            ("curie".into(), AttributeValue::S(r.curie().to_owned())),
            ("id".into(), AttributeValue::S(r.id().to_owned())),
            (
                "tag".into(),
                r.tag()
                    .map_or(AttributeValue::Null, |t| AttributeValue::S(t.to_owned())),
            ),
        ]),
        Value::GeoPoint(g) => geo_point_attr(g, flavor),
        Value::DynamicField(d) => dynamic_field_attr(d, flavor),
        Value::Message(m) => AttributeValue::M(marshal(m.data(), flavor)),
        Value::Null => AttributeValue::Null,
    }
}

/// `M {type: S "Point", coordinates: L [N lon, N lat]}`; JS writes the point rounded to 8
/// decimals (as its `GeoPoint` holds it), PHP the full double.
fn geo_point_attr(g: &GeoPoint, flavor: Flavor) -> AttributeValue {
    let g = match flavor {
        Flavor::Js => g.js_rounded(),
        Flavor::Php => *g,
    };
    AttributeValue::M(vec![
        ("type".into(), AttributeValue::S("Point".into())),
        (
            "coordinates".into(),
            AttributeValue::L(vec![
                AttributeValue::N(float_n(g.lon(), FieldType::Float, 0, flavor)),
                AttributeValue::N(float_n(g.lat(), FieldType::Float, 0, flavor)),
            ]),
        ),
    ])
}

/// `M {name: S, <kind>: value}`.
fn dynamic_field_attr(d: &DynamicField, flavor: Flavor) -> AttributeValue {
    let value = match d.value() {
        DynamicValue::Bool(b) => AttributeValue::Bool(*b),
        DynamicValue::Date(x) => AttributeValue::S(x.to_string()),
        DynamicValue::Float(f) => AttributeValue::N(float_n(*f, FieldType::Float, 0, flavor)),
        DynamicValue::Int(i) => AttributeValue::N(i.to_string()),
        DynamicValue::String(s) | DynamicValue::Text(s) => string_attr(s.clone(), flavor),
    };
    AttributeValue::M(vec![
        ("name".into(), AttributeValue::S(d.name().to_owned())),
        (d.kind().key().to_owned(), value),
    ])
}

// ---------------------------------------------------------------------------------------------
// unmarshal

/// Decodes an item into the message type its `_schema` names (resolved in `registry`).
pub fn unmarshal(
    item: &[(String, AttributeValue)],
    registry: &Registry,
) -> Result<Box<dyn Message>, Error> {
    Decoder { registry }.boxed(item, 0)
}

/// Decodes an item into data of `schema`; the item's `_schema` must have the same curie major.
pub fn unmarshal_as(
    item: &[(String, AttributeValue)],
    schema: &'static Schema,
    registry: &Registry,
) -> Result<MessageData, Error> {
    let raw = schema_attr(item)?;
    if raw != schema.id {
        let id = SchemaId::parse(raw)
            .map_err(|_| Error::invalid("_schema", format!("[{raw}] is not a valid schema id")))?;
        if id.curie_major() != schema.curie_major {
            return Err(Error::InvalidResolvedSchema {
                field: String::new(),
                expected: schema.curie_major.to_owned(),
                found: raw.to_owned(),
            });
        }
    }
    Decoder { registry }.fields(item, schema, 0)
}

fn schema_attr(item: &[(String, AttributeValue)]) -> Result<&str, Error> {
    match item.iter().rev().find(|(k, _)| k == "_schema") {
        Some((_, AttributeValue::S(s))) => Ok(s),
        Some((_, other)) => Err(Error::invalid(
            "_schema",
            format!("must be an S attribute, got {}", other.type_name()),
        )),
        None => Err(Error::invalid(
            "_schema",
            "the item has no [_schema] attribute",
        )),
    }
}

fn wrong_type(field: &Field, attr: &AttributeValue) -> Error {
    Error::invalid(
        "",
        format!(
            "a {} value cannot be a {} attribute",
            field.kind,
            attr.type_name()
        ),
    )
}

fn bad(field: &Field, m: impl std::fmt::Display) -> Error {
    Error::invalid("", format!("invalid {} value: {m}", field.kind))
}

/// An integral `N` (`12`, `-3`, `1.0`, `1E+3`); fractions are rejected.
fn parse_int(field: &Field, raw: &str) -> Result<i64, Error> {
    let v = if let Ok(v) = raw.parse::<i128>() {
        Some(v)
    } else {
        parse_number(raw)
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15)
            .map(|f| f as i128)
    };
    let v = v.ok_or_else(|| bad(field, format!("[{raw}] is not an integer")))?;
    i64::try_from(v).map_err(|_| bad(field, format!("[{raw}] is out of range")))
}

/// A finite decimal number in DynamoDB/PHP/JS notation (`3.14`, `-1.0E+15`, `1e-7`).
fn parse_number(raw: &str) -> Option<f64> {
    let plausible = !raw.is_empty()
        && raw.bytes().any(|b| b.is_ascii_digit())
        && raw
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if !plausible {
        return None;
    }
    raw.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn parse_float(field: &Field, raw: &str) -> Result<f64, Error> {
    parse_number(raw).ok_or_else(|| bad(field, format!("[{raw}] is not a number")))
}

fn parse_big_int(field: &Field, raw: &str) -> Result<i128, Error> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(field, format!("[{raw}] is not an integer")));
    }
    raw.parse()
        .map_err(|_| bad(field, format!("[{raw}] is out of range")))
}

fn binary(field: &Field, bytes: Vec<u8>) -> Result<Value, Error> {
    if std::str::from_utf8(&bytes).is_err() {
        return Err(bad(field, "binary content must be UTF-8 text"));
    }
    Ok(Value::Binary(bytes))
}

fn entry<'a>(entries: &'a [(String, AttributeValue)], key: &str) -> Option<&'a AttributeValue> {
    entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

struct Decoder<'r> {
    registry: &'r Registry,
}

impl Decoder<'_> {
    fn boxed(
        &self,
        item: &[(String, AttributeValue)],
        depth: usize,
    ) -> Result<Box<dyn Message>, Error> {
        let raw = schema_attr(item)?;
        let entry = match self.registry.resolve_id_str(raw) {
            Ok(e) => e,
            Err(Error::InvalidSchemaId { value }) => {
                return Err(Error::invalid(
                    "_schema",
                    format!("[{value}] is not a valid schema id"),
                ));
            }
            Err(e) => return Err(e),
        };
        let data = self.fields(item, entry.schema, depth)?;
        Ok((entry.constructor)(data))
    }

    fn fields(
        &self,
        item: &[(String, AttributeValue)],
        schema: &'static Schema,
        depth: usize,
    ) -> Result<MessageData, Error> {
        let mut data = MessageData::empty(schema);
        for (key, attr) in item {
            let Some(index) = schema.field_index(key) else {
                continue;
            };
            if index == 0 {
                continue;
            }
            let field = &schema.fields[index];
            self.field(&mut data, index, field, attr, depth)
                .map_err(|e| e.within(field.name))?;
        }
        data.populate_defaults();
        Ok(data)
    }

    fn field(
        &self,
        data: &mut MessageData,
        index: usize,
        field: &'static Field,
        attr: &AttributeValue,
        depth: usize,
    ) -> Result<(), Error> {
        // A repeated attribute replaces the earlier one.
        data.clear_at(index).map_err(reroot)?;
        if let AttributeValue::Null = attr {
            return Ok(());
        }
        match field.rule {
            FieldRule::Single => match self.value(field, attr, depth)? {
                Some(v) => data.set_at(index, v).map_err(reroot),
                None => Ok(()),
            },
            FieldRule::Set | FieldRule::List => {
                let values = self.elements(field, attr, depth)?;
                if field.rule == FieldRule::Set {
                    data.add_to_set(field.name, values).map_err(reroot)
                } else {
                    data.add_to_list(field.name, values).map_err(reroot)
                }
            }
            FieldRule::Map => {
                let AttributeValue::M(entries) = attr else {
                    return Err(Error::invalid(
                        "",
                        format!(
                            "a map field must be an M attribute, got {}",
                            attr.type_name()
                        ),
                    ));
                };
                for (k, v) in entries {
                    if let AttributeValue::Null = v {
                        continue;
                    }
                    match self.value(field, v, depth).map_err(|e| e.within(k))? {
                        Some(value) => data
                            .add_to_map(field.name, k, value)
                            .map_err(|e| reroot(e).within(k))?,
                        None => data.remove_from_map(field.name, k).map_err(reroot)?,
                    }
                }
                Ok(())
            }
        }
    }

    /// The checked elements of a set or list attribute.
    fn elements(
        &self,
        field: &'static Field,
        attr: &AttributeValue,
        depth: usize,
    ) -> Result<Vec<Value>, Error> {
        let is_list = field.rule == FieldRule::List;
        let mut out = Vec::new();
        let mut push = |i: usize, v: Result<Option<Value>, Error>| -> Result<(), Error> {
            match v.map_err(|e| e.within(&format!("[{i}]")))? {
                Some(v) => out.push(v),
                None if is_list => {
                    return Err(Error::invalid(
                        format!("[{i}]"),
                        "list elements cannot be blank",
                    ));
                }
                None => {}
            }
            Ok(())
        };
        match attr {
            AttributeValue::L(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let AttributeValue::Null = item {
                        continue;
                    }
                    push(i, self.value(field, item, depth))?;
                }
            }
            AttributeValue::Ss(items) if field.kind.is_string() => {
                for (i, s) in items.iter().enumerate() {
                    push(i, self.value(field, &AttributeValue::S(s.clone()), depth))?;
                }
            }
            AttributeValue::Ns(items) if field.kind.is_numeric() => {
                for (i, s) in items.iter().enumerate() {
                    push(i, self.value(field, &AttributeValue::N(s.clone()), depth))?;
                }
            }
            AttributeValue::Bs(items) if field.kind.family() == TypeFamily::Binary => {
                for (i, b) in items.iter().enumerate() {
                    push(i, binary(field, b.clone()).and_then(|v| check(field, v)))?;
                }
            }
            other => {
                return Err(Error::invalid(
                    "",
                    format!(
                        "a {} {} field cannot be a {} attribute",
                        field.kind,
                        field.rule,
                        other.type_name()
                    ),
                ));
            }
        }
        Ok(out)
    }

    /// One checked value (`None`: blank, i.e. unset).
    fn value(
        &self,
        field: &'static Field,
        attr: &AttributeValue,
        depth: usize,
    ) -> Result<Option<Value>, Error> {
        use AttributeValue as A;
        let raw = match (field.kind.family(), attr) {
            (TypeFamily::Bool, A::Bool(b)) => Value::Bool(*b),
            (TypeFamily::Int, A::N(s)) => Value::Int(parse_int(field, s)?),
            (TypeFamily::BigInt, A::N(s)) => Value::BigInt(parse_big_int(field, s)?),
            (TypeFamily::Float, A::N(s)) => Value::Float(parse_float(field, s)?),
            (TypeFamily::String | TypeFamily::Uuid, A::S(s)) => Value::String(s.as_str().into()),
            (TypeFamily::Binary, A::S(s)) => binary(
                field,
                base64::decode(js_trim(s)).map_err(|m| bad(field, m))?,
            )?,
            (TypeFamily::Binary, A::B(b)) => binary(field, b.clone())?,
            (TypeFamily::Date, A::S(s)) => Value::Date(Date::parse(s).map_err(|m| bad(field, m))?),
            (TypeFamily::DateTime, A::S(s)) => {
                Value::DateTime(DateTime::parse(js_trim(s)).map_err(|m| bad(field, m))?)
            }
            (TypeFamily::Microtime, A::N(s)) => {
                Value::Microtime(Microtime::parse(s).map_err(|m| bad(field, m))?)
            }
            (TypeFamily::NodeRef, A::S(s)) => {
                Value::NodeRef(NodeRef::parse(js_trim(s)).map_err(|m| bad(field, m))?)
            }
            (TypeFamily::MessageRef, A::M(e)) => Value::MessageRef(message_ref(field, e)?),
            (TypeFamily::GeoPoint, A::M(e)) => Value::GeoPoint(geo_point(field, e)?),
            (TypeFamily::DynamicField, A::M(e)) => Value::DynamicField(dynamic_field(field, e)?),
            (TypeFamily::Message, A::M(e)) => {
                if depth >= MAX_MESSAGE_DEPTH {
                    return Err(Error::TooDeep {
                        field: String::new(),
                    });
                }
                Value::Message(self.boxed(e, depth + 1)?)
            }
            _ => return Err(wrong_type(field, attr)),
        };
        check(field, raw)
    }
}

/// The JSON decoder's value check ([`check_value`]).
fn check(field: &Field, value: Value) -> Result<Option<Value>, Error> {
    crate::codec::normalize(field, value).map_err(|m| Error::invalid("", m))
}

fn message_ref(field: &Field, e: &[(String, AttributeValue)]) -> Result<MessageRef, Error> {
    let text = |key: &str| -> Result<Option<&str>, Error> {
        match entry(e, key) {
            None | Some(AttributeValue::Null) => Ok(None),
            Some(AttributeValue::S(s)) => Ok(Some(s)),
            Some(other) => Err(bad(
                field,
                format!("[{key}] must be an S attribute, got {}", other.type_name()),
            )),
        }
    };
    let curie = text("curie")?.ok_or_else(|| bad(field, "[curie] is required"))?;
    let id = text("id")?.ok_or_else(|| bad(field, "[id] is required"))?;
    MessageRef::new(curie, id, text("tag")?).map_err(|m| bad(field, m))
}

fn geo_point(field: &Field, e: &[(String, AttributeValue)]) -> Result<GeoPoint, Error> {
    let Some(AttributeValue::L(c)) = entry(e, "coordinates") else {
        return Err(bad(
            field,
            "[coordinates] must be an L attribute [N lon, N lat]",
        ));
    };
    let [AttributeValue::N(lon), AttributeValue::N(lat)] = c.as_slice() else {
        return Err(bad(field, "[coordinates] must hold exactly [N lon, N lat]"));
    };
    GeoPoint::new(parse_float(field, lat)?, parse_float(field, lon)?).map_err(|m| bad(field, m))
}

/// The only non-blank string PHP's `empty()` is true for, written as `{"NULL": true}`.
const PHP_EMPTY: &str = "0";

fn dynamic_field(field: &Field, e: &[(String, AttributeValue)]) -> Result<DynamicField, Error> {
    let Some(AttributeValue::S(name)) = entry(e, "name") else {
        return Err(bad(field, "[name] must be an S attribute"));
    };
    let Some((key, _)) = e.iter().find(|(k, _)| k != "name") else {
        return Err(bad(
            field,
            "a kind (bool_val, date_val, float_val, int_val, string_val, text_val) is required",
        ));
    };
    let kind = DynamicKind::from_key(key)
        .ok_or_else(|| bad(field, format!("[{key}] is not a valid kind")))?;
    let attr = entry(e, key).ok_or_else(|| bad(field, format!("[{key}] is missing")))?;
    let value = match (kind, attr) {
        (DynamicKind::Bool, AttributeValue::Bool(b)) => DynamicValue::Bool(*b),
        (DynamicKind::Date, AttributeValue::S(s)) => {
            DynamicValue::Date(Date::parse(s).map_err(|m| bad(field, m))?)
        }
        (DynamicKind::Float, AttributeValue::N(s)) => DynamicValue::Float(parse_float(field, s)?),
        (DynamicKind::Int, AttributeValue::N(s)) => DynamicValue::Int(parse_int(field, s)?),
        (DynamicKind::String, AttributeValue::S(s)) => DynamicValue::String(js_trim(s).to_owned()),
        (DynamicKind::Text, AttributeValue::S(s)) => DynamicValue::Text(js_trim(s).to_owned()),
        // PHP writes a string of "0" as NULL (its `empty("0")`); a blank value cannot be set,
        // so NULL can only mean "0".
        (DynamicKind::String, AttributeValue::Null) => DynamicValue::String(PHP_EMPTY.to_owned()),
        (DynamicKind::Text, AttributeValue::Null) => DynamicValue::Text(PHP_EMPTY.to_owned()),
        (_, other) => {
            return Err(bad(
                field,
                format!("[{key}] cannot be a {} attribute", other.type_name()),
            ));
        }
    };
    DynamicField::new(name, value).map_err(|m| bad(field, m))
}
