//! Lenient decoding: values coerced exactly as the JS implementation's decoder does
//! (`@gdbots/pbj` 3 `ObjectSerializer` and its field types), for payloads of existing clients.
//!
//! Each value is first converted the way the JS type's `decode` converts it (`"42"` -> 42 for
//! ints, `"yes"` -> true for booleans, 12345 -> `"12345"` for strings, `7.9` -> 7, `null`
//! list elements, ...), then checked by the same rules as strict decoding (the JS `guard`).
//! Text the JS decoder hands on as text (date-times, microtimes, node-refs, base64) goes
//! through the strict reader, which accepts what the JS one accepts (and the PHP dialect).
//!
//! Rules beyond single values, as in JS: a member repeated in an object counts once, with its
//! last value; a `null` (or blank) element of a list is kept and written back as `null`
//! (unless the field is required or holds messages); such elements of a set or values of a map
//! are dropped.
//!
//! Known deviations, none of which a client sends on purpose: `_schema` must be a string (JS
//! also takes a one-element array); based big-int literals with a fraction (`"0x1.8"`) are
//! rejected; a `date` that overflows past year 9999 is rejected (JS writes `+010000-01`); a
//! set of ints holding both `0` and `-0` keeps one (JS keeps both); nesting deeper than
//! [`MAX_MESSAGE_DEPTH`] is rejected.

use crate::codec::check::normalize;
use crate::codec::decode::{Decoder, MAX_MESSAGE_DEPTH, last, scalar};
use crate::codec::js_value::{self as js, BigNumber};
use crate::codec::json::Json;
use crate::error::Error;
use crate::field::{EnumValue, Field};
use crate::message::push_unique;
use crate::number::js_to_fixed;
use crate::text::js_trim;
use crate::time::{Date, DateTime};
use crate::types::{FieldRule, FieldType, TypeFamily};
use crate::value::{FieldValue, Value};
use crate::well_known::{DynamicField, DynamicKind, DynamicValue, GeoPoint, MessageRef};

impl Decoder<'_> {
    /// [`Decoder::field`] with the JS rules for collections.
    pub(super) fn lenient_field(
        &self,
        field: &'static Field,
        json: &Json<'_>,
        depth: usize,
    ) -> Result<Option<FieldValue>, Error> {
        let at = |i: usize| move |e: Error| e.within(&format!("[{i}]"));
        let (rule, items) = match (field.rule, json) {
            (_, Json::Null) => return Ok(None),
            (FieldRule::Single, v) => {
                return Ok(self.lenient_value(field, v, depth)?.map(FieldValue::Single));
            }
            (FieldRule::Map, Json::Object(entries)) => {
                let mut out = Vec::new();
                for (k, item) in js::object_view(entries) {
                    // `addToMap(k, null)` removes the key, which JSON can hold only once.
                    if let Some(v) = self
                        .lenient_value(field, item, depth)
                        .map_err(|e| e.within(k))?
                    {
                        out.push((k.into(), v));
                    }
                }
                return Ok((!out.is_empty()).then_some(FieldValue::Map(out)));
            }
            (FieldRule::Map, other) => {
                return Err(Error::invalid(
                    "",
                    format!("a map field must be an object, got {}", other.type_name()),
                ));
            }
            (rule, Json::Array(items)) => (rule, items),
            (rule, other) => {
                return Err(Error::invalid(
                    "",
                    format!("a {rule} field must be an array, got {}", other.type_name()),
                ));
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let value = self.lenient_value(field, item, depth).map_err(at(i))?;
            match (rule, value) {
                (FieldRule::Set, Some(v)) => push_unique(&mut out, v),
                (FieldRule::Set, None) => {}
                (_, Some(v)) => out.push(v),
                (_, None) if field.required => {
                    return Err(at(i)(Error::invalid(
                        "",
                        "the field is required and its elements cannot be null",
                    )));
                }
                // JS keeps the `null` but then fails to validate (freeze) the message.
                (_, None) if field.kind == FieldType::Message => {
                    return Err(at(i)(Error::invalid(
                        "",
                        "a list of messages cannot hold null",
                    )));
                }
                (_, None) => out.push(Value::Null),
            }
        }
        Ok((!out.is_empty()).then(|| match rule {
            FieldRule::Set => FieldValue::Set(out),
            _ => FieldValue::List(out),
        }))
    }

    /// [`Decoder::value`] with the JS coercions; `None`: the JS decoder gives `null`.
    pub(super) fn lenient_value(
        &self,
        field: &'static Field,
        json: &Json<'_>,
        depth: usize,
    ) -> Result<Option<Value>, Error> {
        let raw = match (field.kind.family(), json) {
            (_, Json::Null) if !null_decodes_to_a_value(field.kind) => return Ok(None),
            (TypeFamily::Message, Json::Object(entries)) => {
                if depth >= MAX_MESSAGE_DEPTH {
                    return Err(Error::TooDeep {
                        field: String::new(),
                    });
                }
                Value::Message(self.boxed_message(entries, depth + 1)?)
            }
            (TypeFamily::Message, other) => {
                return Err(Error::invalid(
                    "",
                    format!("a message must be a JSON object, got {}", other.type_name()),
                ));
            }
            _ => match coerce(field, json)? {
                Some(v) => v,
                None => return Ok(None),
            },
        };
        normalize(field, raw).map_err(|m| Error::invalid("", m))
    }
}

/// Whether the JS decoder turns `null` into a value (0, false, `"0.00"`) rather than `null`.
fn null_decodes_to_a_value(kind: FieldType) -> bool {
    kind == FieldType::Boolean
        || kind == FieldType::Float
        || kind == FieldType::Decimal
        || (kind.family() == TypeFamily::Int && kind != FieldType::IntEnum)
}

fn bad(field: &Field, m: impl std::fmt::Display) -> Error {
    Error::invalid("", format!("invalid {} value: {m}", field.kind))
}

fn wrong_type(field: &Field, json: &Json<'_>) -> Error {
    Error::invalid(
        "",
        format!("a {} value cannot be {}", field.kind, json.type_name()),
    )
}

/// The strict reader of a value's wire form, for text the JS decoder built.
fn from_text(field: &Field, text: &str) -> Result<Value, Error> {
    scalar(field, &Json::String(text.into()))
}

/// The runtime value the JS decoder of `field`'s type makes of `json` (not yet checked);
/// `None` for `null`. Messages are decoded by the caller.
fn coerce(field: &Field, json: &Json<'_>) -> Result<Option<Value>, Error> {
    let kind = field.kind;
    Ok(Some(match kind.family() {
        TypeFamily::Bool => Value::Bool(boolean(json)),
        TypeFamily::Int if kind == FieldType::IntEnum => Value::Int(int_enum(field, json)?),
        TypeFamily::Int => Value::Int(js::to_safe_integer(json)),
        TypeFamily::BigInt => {
            let (min, max) = if kind == FieldType::BigInt {
                (0, i128::from(u64::MAX))
            } else {
                (i128::from(i64::MIN), i128::from(i64::MAX))
            };
            let number = BigNumber::parse(json)
                .ok_or_else(|| bad(field, format!("[{}] is not a number", js::string(json))))?;
            Value::BigInt(
                number
                    .to_integer_within(min, max)
                    .map_err(|m| bad(field, format!("[{}] {m}", js::string(json))))?,
            )
        }
        TypeFamily::Float if kind == FieldType::Decimal => {
            // `toFinite(toFinite(v).toFixed(scale))`.
            let fixed = js_to_fixed(js::to_finite(json), field.scale);
            Value::Float(js::finite(js::string_to_number(&fixed)))
        }
        TypeFamily::Float => Value::Float(js::to_finite(json)),
        // string, text, medium-text: lodash `trim(v)`; blank is null (done by `normalize`).
        TypeFamily::String
            if matches!(
                kind,
                FieldType::String | FieldType::Text | FieldType::MediumText
            ) =>
        {
            Value::String(js::lodash_string(json).into())
        }
        // identifier, string-enum, uuid, time-uuid: built from `${v}`; an identifier
        // (uuids included) cannot be blank.
        TypeFamily::String | TypeFamily::Uuid => {
            let text = js::string(json);
            if kind != FieldType::StringEnum && js_trim(&text).is_empty() {
                return Err(bad(field, "an identifier cannot be empty"));
            }
            Value::String(text.into())
        }
        TypeFamily::Binary => {
            let text = js::trimmed_lodash_string(json);
            if text.is_empty() {
                return Ok(None);
            }
            from_text(field, &text)?
        }
        TypeFamily::Date => {
            let Json::String(s) = json else {
                return Err(wrong_type(field, json));
            };
            Value::Date(
                date(s).ok_or_else(|| bad(field, format!("[{s}] is not a YYYY-MM-DD date")))?,
            )
        }
        TypeFamily::DateTime => match json {
            Json::Number(raw) => Value::DateTime(date_time_from_millis(field, raw)?),
            Json::String(_) | Json::Array(_) => from_text(field, &js::string(json))?,
            other => return Err(wrong_type(field, other)),
        },
        TypeFamily::Microtime | TypeFamily::NodeRef => from_text(field, &js::string(json))?,
        TypeFamily::MessageRef => Value::MessageRef(message_ref(field, json)?),
        TypeFamily::GeoPoint => Value::GeoPoint(geo_point(field, json)?),
        TypeFamily::DynamicField => Value::DynamicField(dynamic_field(field, json)?),
        TypeFamily::Message => return Err(wrong_type(field, json)),
    }))
}

/// A string of `1`, `true`, `yes`, `on` or `+` (any case, trimmed) is true; other non-booleans
/// are false.
fn boolean(json: &Json<'_>) -> bool {
    match json {
        Json::Bool(b) => *b,
        other => {
            let lower = js::lodash_string(other).to_lowercase();
            matches!(js_trim(&lower), "1" | "true" | "yes" | "on" | "+")
        }
    }
}

/// The enum value whose text equals `${v}` (`"7"` and `7` both give 7).
fn int_enum(field: &Field, json: &Json<'_>) -> Result<i64, Error> {
    let text = js::string(json);
    field
        .enum_def
        .and_then(|e| {
            e.options.iter().find_map(|(_, v)| match v {
                EnumValue::Int(i) if i.to_string() == text => Some(*i),
                _ => None,
            })
        })
        .ok_or_else(|| {
            bad(
                field,
                format!(
                    "[{text}] is not a value of enum [{}]",
                    field.enum_def.map_or("?", |e| e.id)
                ),
            )
        })
}

/// The first ten characters must be `YYYY-MM-DD`; the date is built by `Date.UTC`.
fn date(s: &str) -> Option<Date> {
    let b = s.as_bytes().get(..10)?;
    let shape = b.iter().enumerate().all(|(i, c)| {
        if i == 4 || i == 7 {
            *c == b'-'
        } else {
            c.is_ascii_digit()
        }
    });
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter()
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
    };
    Date::from_js_utc(num(0..4), num(5..7) - 1, num(8..10))
}

/// `new Date(n)` of a number whose JS text passes the ISO-8601 check (e.g. `2020`): `n`
/// milliseconds after the epoch.
fn date_time_from_millis(field: &Field, raw: &str) -> Result<DateTime, Error> {
    let n = js::json_number(raw);
    let text = crate::number::js_number(n);
    if !crate::format::is_iso8601(&text) {
        return Err(bad(
            field,
            format!("[{text}] is not a valid ISO-8601 date-time"),
        ));
    }
    // Whole milliseconds (`TimeClip`); `n` has at most 4 digits here.
    DateTime::from_unix_micros(n.trunc() as i64 * 1000)
        .ok_or_else(|| bad(field, format!("[{text}] is out of range")))
}

/// `MessageRef.fromObject`: `curie` and `id` must be truthy; `curie` is read as `${curie}`,
/// `id` and `tag` as lodash strings.
fn message_ref(field: &Field, json: &Json<'_>) -> Result<MessageRef, Error> {
    let Json::Object(e) = json else {
        return Err(bad(
            field,
            format!("a message-ref cannot be {}", json.type_name()),
        ));
    };
    let truthy = |key: &str| last(e, key).filter(|v| !js::is_falsy(v));
    let (Some(curie), Some(id)) = (truthy("curie"), truthy("id")) else {
        return Err(bad(field, "[curie] and [id] are required"));
    };
    let tag = truthy("tag").map(js::lodash_string);
    MessageRef::new(&js::string(curie), &js::lodash_string(id), tag.as_deref())
        .map_err(|m| bad(field, m))
}

/// `GeoPoint.fromObject`: `coordinates` must be an array of two values, read with lodash
/// `toFinite` (`"1.5"` is 1.5, `null` is 0).
fn geo_point(field: &Field, json: &Json<'_>) -> Result<GeoPoint, Error> {
    let Json::Object(e) = json else {
        return Err(bad(
            field,
            format!("a geo-point cannot be {}", json.type_name()),
        ));
    };
    match last(e, "coordinates") {
        Some(Json::Array(c)) if c.len() == 2 => {
            GeoPoint::new(js::to_finite(&c[1]), js::to_finite(&c[0])).map_err(|m| bad(field, m))
        }
        _ => Err(bad(field, "[coordinates] must hold exactly [lon, lat]")),
    }
}

/// The field of each dynamic-field kind (required, as JS declares them).
static KIND_FIELDS: [Field; 6] = [
    kind_field("bool_val", FieldType::Boolean),
    kind_field("date_val", FieldType::Date),
    kind_field("float_val", FieldType::Float),
    kind_field("int_val", FieldType::Int),
    kind_field("string_val", FieldType::String),
    kind_field("text_val", FieldType::Text),
];

const fn kind_field(name: &'static str, kind: FieldType) -> Field {
    Field {
        required: true,
        ..Field::new(name, kind, FieldRule::Single)
    }
}

/// `DynamicField.fromObject`: a string `name` and the first other member (in JS key order) as
/// the kind, its value decoded by the kind's type.
fn dynamic_field(field: &Field, json: &Json<'_>) -> Result<DynamicField, Error> {
    let Json::Object(e) = json else {
        return Err(bad(
            field,
            format!("a dynamic-field cannot be {}", json.type_name()),
        ));
    };
    let view = js::object_view(e);
    let name = match view.iter().find(|(k, _)| *k == "name") {
        Some((_, Json::String(s))) if !s.is_empty() => s,
        _ => return Err(bad(field, "[name] must be a non-empty string")),
    };
    let Some((key, raw)) = view.iter().find(|(k, _)| *k != "name") else {
        return Err(bad(
            field,
            "a kind (bool_val, date_val, float_val, int_val, string_val, text_val) is required",
        ));
    };
    let kind = DynamicKind::from_key(key)
        .ok_or_else(|| bad(field, format!("[{key}] is not a valid kind")))?;
    let kind_field = KIND_FIELDS
        .iter()
        .find(|f| f.name == kind.key())
        .ok_or_else(|| bad(field, format!("[{key}] is not a valid kind")))?;
    let blank = || bad(field, format!("[{key}] is required and cannot be null"));
    let value = coerce(kind_field, raw)?.ok_or_else(blank)?;
    let value = normalize(kind_field, value)
        .map_err(|m| bad(field, format!("[{key}] {m}")))?
        .ok_or_else(blank)?;
    let value = match (kind, value) {
        (DynamicKind::Bool, Value::Bool(b)) => DynamicValue::Bool(b),
        (DynamicKind::Date, Value::Date(d)) => DynamicValue::Date(d),
        (DynamicKind::Float, Value::Float(f)) => DynamicValue::Float(f),
        (DynamicKind::Int, Value::Int(i)) => DynamicValue::Int(i),
        (DynamicKind::String, Value::String(s)) => DynamicValue::String(s.into()),
        (DynamicKind::Text, Value::String(s)) => DynamicValue::Text(s.into()),
        (_, other) => {
            return Err(bad(
                field,
                format!("[{key}] cannot be {}", other.variant_name()),
            ));
        }
    };
    DynamicField::new(name, value).map_err(|m| bad(field, m))
}

#[cfg(test)]
mod tests {
    use crate::codec::{DecodeOptions, decode_with};
    use crate::field::{EnumDef, EnumValue, Field};
    use crate::message::DynamicMessage;
    use crate::registry::Registry;
    use crate::schema::{Schema, test_schema};
    use crate::types::{FieldRule, FieldType};

    static DAY: EnumDef = EnumDef {
        id: "acme:demo:day",
        options: &[("MONDAY", EnumValue::Int(1)), ("SUNDAY", EnumValue::Int(7))],
    };
    static FIELDS: [Field; 22] = [
        Field::new("_schema", FieldType::String, FieldRule::Single),
        Field::new("b", FieldType::Boolean, FieldRule::Single),
        Field::new("i", FieldType::TinyInt, FieldRule::Single),
        Field {
            enum_def: Some(&DAY),
            ..Field::new("e", FieldType::IntEnum, FieldRule::Single)
        },
        Field {
            use_type_default: false,
            ..Field::new("big", FieldType::BigInt, FieldRule::Single)
        },
        Field::new("f", FieldType::Float, FieldRule::Single),
        Field::new("d", FieldType::Decimal, FieldRule::Single),
        Field::new("s", FieldType::String, FieldRule::Single),
        Field::new("sl", FieldType::String, FieldRule::List),
        Field::new("ss", FieldType::String, FieldRule::Set),
        Field::new("il", FieldType::Int, FieldRule::List),
        Field::new("dl", FieldType::Date, FieldRule::List),
        Field::new("dt", FieldType::DateTime, FieldRule::Single),
        Field {
            use_type_default: false,
            ..Field::new("mt", FieldType::Microtime, FieldRule::Single)
        },
        Field::new("nr", FieldType::NodeRef, FieldRule::Single),
        Field::new("mr", FieldType::MessageRef, FieldRule::Single),
        Field::new("gp", FieldType::GeoPoint, FieldRule::Single),
        Field::new("df", FieldType::DynamicField, FieldRule::Single),
        Field::new("ml", FieldType::Message, FieldRule::List),
        Field::new("im", FieldType::Int, FieldRule::Map),
        Field {
            required: true,
            ..Field::new("rl", FieldType::String, FieldRule::List)
        },
        Field {
            use_type_default: false,
            ..Field::new("u", FieldType::Uuid, FieldRule::Single)
        },
    ];
    static SCHEMA: Schema = test_schema!("acme":"demo":"event":"form-sent", &FIELDS);
    const HEAD: &str = r#"{"_schema":"pbj:acme:demo:event:form-sent:1-0-0""#;
    /// Fields every decoded message has (type defaults of the scalar fields).
    const DEFAULTS: &str = r#""b":false,"i":0,"f":0,"d":"0.00""#;

    fn registry() -> Registry {
        let mut r = Registry::new();
        r.register(&SCHEMA, |d| Box::new(DynamicMessage(d)));
        r
    }

    fn decode(members: &str, options: DecodeOptions) -> Result<String, crate::Error> {
        decode_with(&format!("{HEAD},{members}}}"), &registry(), options).map(|m| m.to_json())
    }

    /// `members` decode leniently to `want` (the JSON after `_schema`, where `{}` stands for
    /// the defaults) and are rejected by strict decoding.
    fn assert_lenient(members: &str, want: &str) {
        let want = format!("{HEAD},{}}}", want.replace("{}", DEFAULTS));
        match decode(members, DecodeOptions::lenient()) {
            Ok(got) => assert_eq!(got, want, "{members}"),
            Err(e) => panic!("{members}: {e}"),
        }
        assert!(
            decode(members, DecodeOptions::strict()).is_err(),
            "{members} is not lenient-only"
        );
    }

    #[test]
    fn values_are_coerced_as_the_js_decoder_does() {
        for (members, want) in [
            (r#""i":"42""#, r#""b":false,"i":42,"f":0,"d":"0.00""#),
            (r#""i":7.9"#, r#""b":false,"i":7,"f":0,"d":"0.00""#),
            (r#""i":"1e2""#, r#""b":false,"i":100,"f":0,"d":"0.00""#),
            (r#""i":true"#, r#""b":false,"i":1,"f":0,"d":"0.00""#),
            (r#""i":"abc""#, "{}"),
            (r#""b":"yes""#, r#""b":true,"i":0,"f":0,"d":"0.00""#),
            (r#""b":" ON ""#, r#""b":true,"i":0,"f":0,"d":"0.00""#),
            (r#""b":"+""#, r#""b":true,"i":0,"f":0,"d":"0.00""#),
            (r#""b":1"#, r#""b":true,"i":0,"f":0,"d":"0.00""#),
            (r#""b":"no""#, "{}"),
            (r#""e":"7""#, r#""b":false,"i":0,"e":7,"f":0,"d":"0.00""#),
            (
                r#""big":"1.5""#,
                r#""b":false,"i":0,"big":"2","f":0,"d":"0.00""#,
            ),
            (
                r#""big":"1e3""#,
                r#""b":false,"i":0,"big":"1000","f":0,"d":"0.00""#,
            ),
            (r#""f":"2.5""#, r#""b":false,"i":0,"f":2.5,"d":"0.00""#),
            (r#""f":{"a":1}"#, "{}"),
            (r#""d":"abc""#, "{}"),
            (r#""d":true"#, r#""b":false,"i":0,"f":0,"d":"1.00""#),
            (r#""s":12345"#, r#"{},"s":"12345""#),
            (r#""s":-0"#, r#"{},"s":"-0""#),
            (r#""s":{"a":1}"#, r#"{},"s":"[object Object]""#),
            (r#""sl":[null," ",true]"#, r#"{},"sl":[null,null,"true"]"#),
            (r#""ss":[null,"A","a",5]"#, r#"{},"ss":["a","5"]"#),
            (r#""il":[null,"42",true]"#, r#"{},"il":[0,42,1]"#),
            (
                r#""dl":["2020-02-30","2020-01-01T23:59:59Z",null]"#,
                r#"{},"dl":["2020-03-01","2020-01-01",null]"#,
            ),
            (r#""dt":2020"#, r#"{},"dt":"1970-01-01T00:00:02.020Z""#),
            (r#""mt":1500000000123456"#, r#"{},"mt":"1500000000123456""#),
            (
                r#""mr":{"curie":"acme:demo:event:form-sent","id":5,"tag":7}"#,
                r#"{},"mr":{"curie":"acme:demo:event:form-sent","id":"5","tag":"7"}"#,
            ),
            (
                r#""gp":{"coordinates":["1.5",null]}"#,
                r#"{},"gp":{"type":"Point","coordinates":[1.5,0]}"#,
            ),
            (
                r#""df":{"name":"n","int_val":"12"}"#,
                r#"{},"df":{"name":"n","int_val":12}"#,
            ),
            (
                r#""im":{"k":null,"j":"3","k":"1"}"#,
                r#"{},"im":{"k":1,"j":3}"#,
            ),
            (r#""s":[],"s":"last""#, r#"{},"s":"last""#),
        ] {
            assert_lenient(members, want);
        }
    }

    #[test]
    fn the_js_result_wins_where_it_differs_from_strict_decoding() {
        let lenient = |m| decode(m, DecodeOptions::lenient()).map_err(|e| e.to_string());
        let strict = |m| decode(m, DecodeOptions::strict()).map_err(|e| e.to_string());
        // `Date.UTC` reads years 0-99 as 1900-1999.
        let year = r#""dl":["0015-01-01"]"#;
        assert!(strict(year).unwrap().contains(r#""dl":["0015-01-01"]"#));
        assert!(lenient(year).unwrap().contains(r#""dl":["1915-01-01"]"#));
        // JSON numbers are doubles: 2^64 - 1 becomes 18446744073709552000, out of range.
        let big = r#""big":18446744073709551615"#;
        assert!(strict(big).is_ok());
        assert!(lenient(big).is_err());
        // A blank identifier is an error (the JS `Identifier` refuses it), not "unset".
        let blank = r#""u":"  ""#;
        assert!(strict(blank).is_ok());
        assert!(lenient(blank).is_err());
    }

    #[test]
    fn what_the_js_decoder_rejects_stays_rejected() {
        for members in [
            r#""i":300"#,
            r#""i":1e300"#,
            r#""e":"07""#,
            r#""e":9"#,
            r#""big":"abc""#,
            r#""big":"-0""#,
            r#""big":-1"#,
            r#""dl":[20200101]"#,
            r#""dl":["2020/01/01"]"#,
            r#""dt":12345"#,
            r#""dt":true"#,
            r#""mt":"123""#,
            r#""mr":{"curie":"acme:demo:event:form-sent","id":0}"#,
            r#""mr":"acme:demo:event:form-sent:1""#,
            r#""gp":{"coordinates":[1]}"#,
            r#""df":{"name":"n","string_val":"  "}"#,
            r#""df":{"name":5,"int_val":1}"#,
            r#""df":{"name":"n","nope":1}"#,
            r#""ml":[null]"#,
            r#""ml":["x"]"#,
            r#""rl":[null]"#,
            r#""im":[1]"#,
            r#""sl":"x""#,
            r#""u":123"#,
        ] {
            let lenient = decode(members, DecodeOptions::lenient());
            assert!(lenient.is_err(), "{members} accepted: {lenient:?}");
        }
    }

    #[test]
    fn strict_documents_decode_the_same() {
        let members = r#""b":true,"i":5,"e":1,"big":"18446744073709551615","f":1.5,"d":"3.14","s":" x ","sl":["a"],"ss":["B","b"],"il":[1],"dl":["2020-01-01"],"dt":"2020-01-01T00:00:00.123456Z","mt":"1500000000123456","nr":"acme:user:1","mr":{"curie":"acme:demo:event:form-sent","id":"1","tag":"T"},"gp":{"type":"Point","coordinates":[1,2]},"df":{"name":"n","bool_val":true},"ml":[{"_schema":"pbj:acme:demo:event:form-sent:1-0-0"}],"im":{"2":2,"1":1},"rl":["r"],"u":"4b268351-2445-4d98-a777-b461330d5c7f""#;
        let strict = decode(members, DecodeOptions::strict()).expect("strict");
        assert_eq!(
            decode(members, DecodeOptions::lenient()).expect("lenient"),
            strict
        );
    }

    #[test]
    fn a_lenient_registry_decodes_leniently() {
        let registry = registry().with_decode_options(DecodeOptions::lenient());
        let json = format!(r#"{HEAD},"i":"42"}}"#);
        assert!(crate::codec::decode(&json, &registry).is_ok());
        assert!(crate::codec::decode_as(&json, &SCHEMA, &registry).is_ok());
        assert!(crate::codec::decode(&json, &self::registry()).is_err());
    }
}
