//! Streaming fast path of the decoder: fields are decoded straight from the input, without
//! building a [`Json`] tree for the whole document.
//!
//! It handles the canonical shape (`_schema` first in every message, no duplicate `_schema`)
//! and gives up (`None`) on anything else, including every error; the caller then runs the
//! tree decoder, which produces the exact result or error. So this path only has to agree
//! with the tree decoder on documents that decode successfully.

use std::borrow::Cow;

use crate::codec::check::{accepts_message, check, normalize, normalize_str, normalize_string};
use crate::codec::decode::{Decoder, MAX_MESSAGE_DEPTH, number_value};
use crate::codec::json::{Json, MAX_DEPTH, Parser};
use crate::field::Field;
use crate::message::{Message, MessageData, push_unique};
use crate::registry::Registry;
use crate::schema::Schema;
use crate::text::js_trim;
use crate::types::{FieldRule, TypeFamily};
use crate::value::{CompactString, FieldValue, Value};
use crate::well_known::{MessageRef, Microtime, NodeRef};

/// Decodes a canonical document of `schema`; `None`: use the tree decoder.
pub(super) fn decode_as(
    input: &str,
    schema: &'static Schema,
    registry: &Registry,
) -> Option<MessageData> {
    let mut p = Parser::new(input);
    let d = Decoder {
        registry,
        lenient: false,
    };
    p.ws();
    let raw = schema_key(&mut p)?;
    if raw != schema.id {
        return None;
    }
    let data = body(&d, &mut p, schema, 0, 0)?;
    finish(&mut p)?;
    Some(data)
}

/// Decodes a canonical document of whatever type its `_schema` names; `None`: use the tree
/// decoder.
pub(super) fn decode(input: &str, registry: &Registry) -> Option<Box<dyn Message>> {
    let mut p = Parser::new(input);
    let d = Decoder {
        registry,
        lenient: false,
    };
    p.ws();
    let message = boxed(&d, &mut p, None, 0, 0)?;
    finish(&mut p)?;
    Some(message)
}

fn finish(p: &mut Parser<'_>) -> Option<()> {
    p.ws();
    p.at_end().then_some(())
}

/// Reads `{"_schema":"<id>"` and returns the id.
fn schema_key<'a>(p: &mut Parser<'a>) -> Option<Cow<'a, str>> {
    // As canonical writers write it, else with white space; the key is written without
    // escapes by every writer (an escaped one takes the tree decoder).
    if !p.eat("{\"_schema\":") {
        if !p.eat_byte(b'{') {
            return None;
        }
        p.ws();
        if !p.eat_plain_string("_schema") {
            return None;
        }
        colon(p)?;
    }
    if p.peek() != Some(b'"') {
        return None;
    }
    match p.plain_string() {
        Some(id) => Some(Cow::Borrowed(id)),
        None => p.string().ok(),
    }
}

fn colon(p: &mut Parser<'_>) -> Option<()> {
    p.ws();
    if !p.eat_byte(b':') {
        return None;
    }
    p.ws();
    Some(())
}

/// Reads `,` (then `true`) or `}` (then `false`) after an object member.
fn next_member(p: &mut Parser<'_>, close: u8) -> Option<bool> {
    p.ws();
    if p.eat_byte(b',') {
        p.ws();
        Some(true)
    } else if p.eat_byte(close) {
        Some(false)
    } else {
        None
    }
}

/// A message whose type its `_schema` names; `json_depth` is the depth of its object.
fn boxed(
    d: &Decoder<'_>,
    p: &mut Parser<'_>,
    field: Option<&Field>,
    depth: usize,
    json_depth: usize,
) -> Option<Box<dyn Message>> {
    // `_schema` is read at `json_depth + 1` without the parser's depth check.
    if json_depth + 1 > MAX_DEPTH {
        return None;
    }
    let raw = schema_key(p)?;
    let entry = d.registry.resolve_id_str(&raw).ok()?;
    // A nested message's type is checked (`anyOf`) before its body is read.
    if field.is_some_and(|f| !accepts_message(f, entry.schema)) {
        return None;
    }
    let data = body(d, p, entry.schema, depth, json_depth)?;
    Some((entry.constructor)(data))
}

/// The members after `_schema`, up to and including the closing `}`.
fn body(
    d: &Decoder<'_>,
    p: &mut Parser<'_>,
    schema: &'static Schema,
    depth: usize,
    json_depth: usize,
) -> Option<MessageData> {
    let mut data = MessageData::empty(schema);
    let mut cursor = 1;
    let mut filled = 0;
    loop {
        // Canonical writers emit keys in schema order, as `,"name":` after `_schema`: try the
        // next field's ready-made key (the encoder's) first.
        let index = match schema.fields.get(cursor) {
            Some(f) if f.name != "_schema" && p.eat(f.json_key.get(f.name)) => cursor,
            _ if !next_member(p, b'}')? => break,
            Some(f) if f.name != "_schema" && p.eat_plain_string(f.name) => {
                colon(p)?;
                cursor
            }
            _ => {
                if p.peek() != Some(b'"') {
                    return None;
                }
                let key = p.string().ok()?;
                colon(p)?;
                if key == "_schema" {
                    return None;
                }
                match schema.field_index(&key) {
                    Some(i) => i,
                    None => {
                        p.value(json_depth + 1).ok()?;
                        continue;
                    }
                }
            }
        };
        cursor = index + 1;
        let field = schema.fields.get(index)?;
        if index == 0 {
            p.value(json_depth + 1).ok()?;
            continue;
        }
        let slot = data.slot_mut(index)?;
        // A duplicate key: the tree decoder lets the last one win.
        if slot.is_some() {
            return None;
        }
        field_value(d, p, field, depth, json_depth + 1, slot)?;
        filled += usize::from(slot.is_some());
    }
    // Only unset fields take defaults (the decoder never stores an empty collection): with
    // every field present (and `_schema`) there is nothing to fill.
    if filled + 1 < schema.fields.len() {
        data.populate_defaults();
    }
    Some(data)
}

/// The capacity of a non-empty collection: what `Vec` grows an empty vector of small
/// elements to on its first push, allocated directly rather than through the growth path.
const FIRST_CAPACITY: usize = 4;

/// Decodes one field (its JSON at `json_depth`) into its empty `slot`.
///
/// Values are written where they are stored rather than returned through the layers: fewer
/// copies of `Value`, and no wide loads of freshly written narrower stores.
fn field_value(
    d: &Decoder<'_>,
    p: &mut Parser<'_>,
    field: &'static Field,
    depth: usize,
    json_depth: usize,
    slot: &mut Option<FieldValue>,
) -> Option<()> {
    match (field.rule, p.peek()?) {
        (_, b'n') => match p.value(json_depth).ok()? {
            Json::Null => Some(()),
            _ => None,
        },
        (FieldRule::Single, _) => value(d, p, field, depth, json_depth, |v| {
            slot.get_or_insert(FieldValue::Single(v));
        }),
        (FieldRule::Set | FieldRule::List, b'[') => {
            if json_depth > MAX_DEPTH {
                return None;
            }
            p.eat_byte(b'[');
            p.ws();
            let mut out = Vec::new();
            if !p.eat_byte(b']') {
                out = Vec::with_capacity(FIRST_CAPACITY);
                loop {
                    if p.peek()? == b'n' {
                        return None;
                    }
                    // A blank list element is an error; a blank set element is dropped.
                    if field.rule == FieldRule::Set {
                        value(d, p, field, depth, json_depth + 1, |v| {
                            push_unique(&mut out, v);
                        })?;
                    } else {
                        let mut blank = true;
                        value(d, p, field, depth, json_depth + 1, |v| {
                            blank = false;
                            out.push(v);
                        })?;
                        if blank {
                            return None;
                        }
                    }
                    if !next_member(p, b']')? {
                        break;
                    }
                }
            }
            if !out.is_empty() {
                slot.get_or_insert(if field.rule == FieldRule::Set {
                    FieldValue::Set(out)
                } else {
                    FieldValue::List(out)
                });
            }
            Some(())
        }
        (FieldRule::Map, b'{') => {
            if json_depth > MAX_DEPTH {
                return None;
            }
            p.eat_byte(b'{');
            p.ws();
            let mut out: Vec<(CompactString, Value)> = Vec::new();
            if !p.eat_byte(b'}') {
                out = Vec::with_capacity(FIRST_CAPACITY);
                loop {
                    if p.peek() != Some(b'"') {
                        return None;
                    }
                    let key = match p.plain_string() {
                        Some(s) => Cow::Borrowed(s),
                        None => p.string().ok()?,
                    };
                    colon(p)?;
                    // A null element is an error.
                    if p.peek()? == b'n' {
                        return None;
                    }
                    let mut got = None;
                    value(d, p, field, depth, json_depth + 1, |v| got = Some(v))?;
                    // Like the tree decoder: the last of a duplicate key wins (in the first
                    // one's place) and a blank value removes the key.
                    match got {
                        Some(v) => match out.iter_mut().find(|(k, _)| *k == *key) {
                            Some(entry) => entry.1 = v,
                            None => out.push((key.into(), v)),
                        },
                        None => out.retain(|(k, _)| *k != *key),
                    }
                    if !next_member(p, b'}')? {
                        break;
                    }
                }
            }
            if !out.is_empty() {
                slot.get_or_insert(FieldValue::Map(out));
            }
            Some(())
        }
        _ => {
            let json = p.value(json_depth).ok()?;
            if let Some(stored) = d.field(field, &json, depth).ok()? {
                slot.get_or_insert(stored);
            }
            Some(())
        }
    }
}

/// Decodes one value (its JSON at `json_depth`), checks and normalizes it and hands it to
/// `put` unless it is blank.
fn value(
    d: &Decoder<'_>,
    p: &mut Parser<'_>,
    field: &'static Field,
    depth: usize,
    json_depth: usize,
    put: impl FnOnce(Value),
) -> Option<()> {
    // The tree parser's nesting limit, for the tokens read directly below.
    if json_depth > MAX_DEPTH {
        return None;
    }
    let raw = match (field.kind.family(), p.peek()?) {
        (TypeFamily::Message, b'{') => {
            if depth >= MAX_MESSAGE_DEPTH {
                return None;
            }
            // Nothing to normalize: checked (`anyOf`) and stored directly.
            put(Value::Message(boxed(
                d,
                p,
                Some(field),
                depth + 1,
                json_depth,
            )?));
            return Some(());
        }
        // Always valid for their field (`check` accepts every message-ref and microtime).
        (TypeFamily::MessageRef, b'{') => {
            put(Value::MessageRef(message_ref(p, d.registry, json_depth)?));
            return Some(());
        }
        (TypeFamily::Microtime, b'"') => {
            let micros = match p.plain_string() {
                Some(s) => Microtime::parse(s),
                None => Microtime::parse(&p.string().ok()?),
            };
            put(Value::Microtime(micros.ok()?));
            return Some(());
        }
        // Always valid for their field once parsed (`check` accepts every node-ref and bool).
        (TypeFamily::NodeRef, b'"') => {
            let node = match p.plain_string() {
                Some(s) => NodeRef::parse(js_trim(s)),
                None => NodeRef::parse(js_trim(&p.string().ok()?)),
            };
            put(Value::NodeRef(node.ok()?));
            return Some(());
        }
        (TypeFamily::Bool, b't' | b'f') => {
            put(Value::Bool(p.boolean()?));
            return Some(());
        }
        // What the tree decoder does for these, without the `Json` detour.
        (TypeFamily::String | TypeFamily::Uuid, b'"') => {
            return match p.plain_string() {
                Some(s) => normalize_str(field, s, put).ok(),
                None => match p.string().ok()? {
                    Cow::Borrowed(s) => normalize_str(field, s, put).ok(),
                    Cow::Owned(s) => normalize_string(field, s, put).ok(),
                },
            };
        }
        (TypeFamily::Int | TypeFamily::BigInt | TypeFamily::Float, b'-' | b'0'..=b'9') => {
            let raw = p.number_token()?;
            if let Some(v) = short_number(field, raw) {
                check(field, &v).ok()?;
                put(v);
                return Some(());
            }
            number_value(field, raw).ok()?
        }
        _ => {
            let json = p.value(json_depth).ok()?;
            if let Some(v) = d.value(field, &json, depth).ok()? {
                put(v);
            }
            return Some(());
        }
    };
    if let Some(v) = normalize(field, raw).ok()? {
        put(v);
    }
    Some(())
}

/// Powers of ten that are exact `f64` values.
const EXACT_POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The value of a short number token for an int or float field, read directly: an int
/// field's `-?\d{1,18}`, a float field's `-?\d+(\.\d+)?` of at most 15 digits (the digits as
/// an exact integer divided by an exact power of ten: one correctly rounded division, so the
/// same `f64` as `str::parse`). `None` for any other token ([`number_value`] reads those).
#[inline(always)]
fn short_number(field: &Field, raw: &str) -> Option<Value> {
    let b = raw.as_bytes();
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    // No overflow below: at most 18 digits.
    if digits.len() > 18 {
        return None;
    }
    let mut mantissa = 0u64;
    let mut fraction = None;
    for (i, &c) in digits.iter().enumerate() {
        if c.is_ascii_digit() {
            mantissa = mantissa * 10 + u64::from(c - b'0');
        } else if c == b'.' && fraction.is_none() {
            fraction = Some(digits.len() - i - 1);
        } else {
            return None;
        }
    }
    match field.kind.family() {
        TypeFamily::Int if fraction.is_none() && (1..=18).contains(&digits.len()) => {
            // At most 18 digits: below `i64::MAX`.
            let v = mantissa as i64;
            Some(Value::Int(if negative { -v } else { v }))
        }
        TypeFamily::Float if digits.len() - usize::from(fraction.is_some()) <= 15 => {
            // 15 digits at most: the mantissa is below 2^53, exact as an `f64`.
            let scale = EXACT_POW10.get(fraction.unwrap_or(0))?;
            let v = mantissa as f64 / scale;
            Some(Value::Float(if negative { -v } else { v }))
        }
        _ => None,
    }
}

/// `{"curie","id","tag"?}` (other keys are ignored; the last of a duplicate key wins).
fn message_ref(p: &mut Parser<'_>, registry: &Registry, json_depth: usize) -> Option<MessageRef> {
    // Member values are read at `json_depth + 1`, some without the parser's depth check.
    if json_depth + 1 > MAX_DEPTH {
        return None;
    }
    // The canonical form, `{"curie":"…","id":"…"}` with an optional `,"tag":"…"`, read as
    // literals; any other spelling goes back and takes the general loop below.
    let start = *p;
    if p.eat("{\"curie\":")
        && let Some(curie) = p.plain_string()
        && p.eat(",\"id\":")
        && let Some(id) = p.plain_string()
    {
        let tag = if p.eat_byte(b'}') {
            Some(None)
        } else if p.eat(",\"tag\":")
            && let Some(tag) = p.plain_string()
            && p.eat_byte(b'}')
        {
            Some(Some(tag))
        } else {
            None
        };
        if let Some(tag) = tag {
            return checked_ref(registry, curie, id, tag);
        }
    }
    *p = start;
    p.eat_byte(b'{');
    p.ws();
    let (mut curie, mut id, mut tag) = (None, None, None);
    if !p.eat_byte(b'}') {
        loop {
            let slot = if p.eat_plain_string("curie") {
                &mut curie
            } else if p.eat_plain_string("id") {
                &mut id
            } else if p.eat_plain_string("tag") {
                &mut tag
            } else {
                if p.peek() != Some(b'"') {
                    return None;
                }
                let key = p.string().ok()?;
                match &*key {
                    "curie" => &mut curie,
                    "id" => &mut id,
                    "tag" => &mut tag,
                    _ => {
                        colon(p)?;
                        p.value(json_depth + 1).ok()?;
                        if !next_member(p, b'}')? {
                            break;
                        }
                        continue;
                    }
                }
            };
            colon(p)?;
            *slot = if p.peek() == Some(b'"') {
                Some(match p.plain_string() {
                    Some(s) => Cow::Borrowed(s),
                    None => p.string().ok()?,
                })
            } else {
                match p.value(json_depth + 1).ok()? {
                    Json::Null => None,
                    _ => return None,
                }
            };
            if !next_member(p, b'}')? {
                break;
            }
        }
    }
    checked_ref(registry, &curie?, &id?, tag.as_deref())
}

/// The ref of `curie`, `id` and `tag`; the curie of a registered schema was checked when it
/// was registered.
fn checked_ref(
    registry: &Registry,
    curie: &str,
    id: &str,
    tag: Option<&str>,
) -> Option<MessageRef> {
    if registry.is_ref_curie(curie) {
        MessageRef::with_valid_curie(curie, id, tag).ok()
    } else {
        MessageRef::new(curie, id, tag).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Flavor, encode, json};
    use crate::message::DynamicMessage;
    use crate::schema::test_schema;
    use crate::types::{FieldType, Format};

    static FIELDS: [Field; 10] = [
        Field::new("_schema", FieldType::String, FieldRule::Single),
        Field::new("s", FieldType::String, FieldRule::Single),
        Field {
            format: Format::Ipv4,
            ..Field::new("ip", FieldType::String, FieldRule::Single)
        },
        Field::new("r", FieldType::MessageRef, FieldRule::Single),
        Field::new("t", FieldType::String, FieldRule::Set),
        Field::new("l", FieldType::Int, FieldRule::List),
        Field::new("n", FieldType::Message, FieldRule::Single),
        Field::new("ns", FieldType::Message, FieldRule::List),
        Field::new("f", FieldType::Float, FieldRule::Single),
        Field::new("mp", FieldType::Int, FieldRule::Map),
    ];
    static SCHEMA: Schema = test_schema!("acme":"t":"event":"x", &FIELDS);
    const SEED: &str = r#"{"_schema":"pbj:acme:t:event:x:1-0-0","s":" a\u00e9 ","ip":"1.2.3.4","r":{"curie":"acme:t:event:x","id":"1","tag":"T"},"t":["A","a","b"],"l":[1,2],"n":{"_schema":"pbj:acme:t:event:x:1-0-0","s":"x","zz":[{}]},"ns":[{"_schema":"pbj:acme:t:event:x:1-0-0"}],"f":1.5e1,"mp":{"k":1},"u":null}"#;

    /// The tree decoder alone (through a message field holding the whole document).
    fn tree(input: &str, registry: &Registry) -> Result<MessageData, crate::Error> {
        let doc = json::parse(input)?;
        match (Decoder {
            registry,
            lenient: false,
        })
        .field(&FIELDS[6], &doc, 0)?
        {
            Some(FieldValue::Single(Value::Message(m))) => Ok(m.data().clone()),
            _ => Err(crate::Error::invalid("", "no message")),
        }
    }

    #[test]
    fn short_numbers_read_as_number_value_does() {
        let mut rng = crate::test_rng::Xorshift::new(0x9e37_79b9_7f4a_7c15_u64);
        let mut next = |n: u64| rng.next_u64() % n;
        let (int, float) = (&FIELDS[5], &FIELDS[8]);
        let mut short = 0;
        for _ in 0..200_000 {
            let mut token = String::new();
            if next(2) == 0 {
                token.push('-');
            }
            let len = 1 + next(20);
            let dot = (next(2) == 0).then(|| next(len));
            for i in 0..len {
                if Some(i) == dot && i > 0 {
                    token.push('.');
                }
                let first = i == 0 || (Some(i) == dot && i > 0);
                let digit = if first && i == 0 {
                    1 + next(9)
                } else {
                    next(10)
                };
                token.push(char::from(b'0' + digit as u8));
            }
            for field in [int, float] {
                if let Some(fast) = short_number(field, &token) {
                    short += 1;
                    let slow = number_value(field, &token).expect(&token);
                    match (fast, slow) {
                        (Value::Int(a), Value::Int(b)) => assert_eq!(a, b, "{token}"),
                        (Value::Float(a), Value::Float(b)) => {
                            assert_eq!(a.to_bits(), b.to_bits(), "{token}")
                        }
                        (a, b) => panic!("{token}: {a:?} vs {b:?}"),
                    }
                }
            }
        }
        assert!(short > 100_000, "{short}");
        for token in [
            "-0",
            "0",
            "0.0",
            "-0.0",
            "4.25",
            "999999999999999",
            "0.00000000000001",
        ] {
            let fast = short_number(float, token).expect(token);
            let Value::Float(f) = fast else { panic!() };
            assert_eq!(
                f.to_bits(),
                token.parse::<f64>().unwrap().to_bits(),
                "{token}"
            );
        }
        for token in ["1e3", "1.5E2", "9999999999999999", "1234567890123456789"] {
            assert!(short_number(float, token).is_none(), "{token}");
        }
        for token in ["1.0", "1e3", "1234567890123456789", "-9223372036854775808"] {
            assert!(short_number(int, token).is_none(), "{token}");
        }
    }

    #[test]
    fn nested_messages_must_be_of_an_any_of_type() {
        static OUTER_FIELDS: [Field; 2] = [
            Field::new("_schema", FieldType::String, FieldRule::Single),
            Field {
                any_of: &["acme:t:event:x"],
                ..Field::new("n", FieldType::Message, FieldRule::Single)
            },
        ];
        static OUTER: Schema = Schema {
            id: "pbj:acme:t:event:outer:1-0-0",
            curie: "acme:t:event:outer",
            curie_major: "acme:t:event:outer:v1",
            qname: "acme:outer",
            message: "outer",
            fields: &OUTER_FIELDS,
            ..SCHEMA
        };
        let mut registry = Registry::new();
        registry.register(&SCHEMA, |d| Box::new(DynamicMessage(d)));
        registry.register(&OUTER, |d| Box::new(DynamicMessage(d)));
        let doc = |nested: &str| {
            format!(
                r#"{{"_schema":"{}","n":{{"_schema":"{nested}"}}}}"#,
                OUTER.id
            )
        };
        assert!(decode(&doc(SCHEMA.id), &registry).is_some());
        assert!(decode(&doc(OUTER.id), &registry).is_none());
        let err = crate::codec::decode(&doc(OUTER.id), &registry).unwrap_err();
        assert!(
            err.to_string().contains("must use at least one of"),
            "{err}"
        );
    }

    #[test]
    fn refs_to_registered_schemas_are_checked_like_others() {
        static MIXIN: Schema = Schema {
            id: "pbj:acme:t:mixin:m:1-0-0",
            curie: "acme:t:mixin:m",
            curie_major: "acme:t:mixin:m:v1",
            qname: "acme:m",
            category: "mixin",
            message: "m",
            ..SCHEMA
        };
        let mut registry = Registry::new();
        registry.register(&SCHEMA, |d| Box::new(DynamicMessage(d)));
        registry.register(&MIXIN, |d| Box::new(DynamicMessage(d)));
        assert!(registry.is_ref_curie("acme:t:event:x"));
        assert!(!registry.is_ref_curie("acme:t:mixin:m"));
        let with_ref = |curie: &str, id: &str| {
            SEED.replace(
                r#"{"curie":"acme:t:event:x","id":"1","tag":"T"}"#,
                &format!(r#"{{"curie":"{curie}","id":"{id}"}}"#),
            )
        };
        for (curie, id, ok) in [
            ("acme:t:event:x", " 7 ", true),
            ("acme:t:event:x", "has space", false),
            ("acme:t:mixin:m", "1", false),
            ("acme:t:event:unregistered", "1", true),
        ] {
            let doc = with_ref(curie, id);
            let fast = decode_as(&doc, &SCHEMA, &registry);
            assert_eq!(fast.is_some(), ok, "{doc}");
            assert_eq!(tree(&doc, &registry).is_ok(), ok, "{doc}");
            if let Some(fast) = fast {
                let tree = tree(&doc, &registry).unwrap();
                assert_eq!(encode(&fast, Flavor::Js), encode(&tree, Flavor::Js));
            }
        }
    }

    #[test]
    fn agrees_with_tree_decoder() {
        let mut registry = Registry::new();
        registry.register(&SCHEMA, |d| Box::new(DynamicMessage(d)));
        assert!(
            decode_as(SEED, &SCHEMA, &registry).is_some(),
            "the seed takes the fast path"
        );
        let mut rng = crate::test_rng::Xorshift::new(0x9e37_79b9_7f4a_7c15_u64);
        let mut next = |n: usize| rng.below(n);
        let alphabet = b"{}[],:\"\\ nul0123456789.-e_abrtsx";
        let mut fast_hits = 0;
        for _ in 0..50_000 {
            let mut bytes = SEED.as_bytes().to_vec();
            for _ in 0..1 + next(3) {
                let pos = next(bytes.len());
                match next(3) {
                    0 => bytes[pos] = alphabet[next(alphabet.len())],
                    1 => {
                        bytes.remove(pos);
                    }
                    _ => bytes.insert(pos, alphabet[next(alphabet.len())]),
                }
            }
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            if let Some(fast) = decode_as(text, &SCHEMA, &registry) {
                fast_hits += 1;
                let slow = tree(text, &registry)
                    .unwrap_or_else(|e| panic!("{text}: tree decoder fails: {e}"));
                assert_eq!(
                    encode(&fast, Flavor::Js),
                    encode(&slow, Flavor::Js),
                    "{text}"
                );
            }
        }
        assert!(fast_hits > 1_000, "{fast_hits} mutants took the fast path");
    }
}
