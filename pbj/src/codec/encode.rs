//! Message -> JSON writers reproducing the JS (`JSON.stringify`) and PHP (`json_encode`) bytes.

use std::fmt::Write as _;

use crate::codec::json::{is_plain, plain_run};
use crate::codec::{Flavor, base64};
use crate::message::MessageData;
use crate::number::{js_to_fixed, php_decimal, php_number, push_int, push_uint};
use crate::types::FieldType;
use crate::value::{CompactString, FieldValue, Value};
use crate::well_known::DynamicValue;

/// Where the writers put JSON: a [`String`] takes it as is; [`Nested`] takes it as the contents
/// of a JSON string (a JSON document embedded in another one, e.g. a transport envelope).
///
/// The writers emit three kinds of text, so that nesting costs nothing on plain runs: text
/// without `"` or `\` ([`Out::text`]), the quotes around strings ([`Out::quote`]) and escape
/// sequences ([`Out::escape`]). They never emit a control character.
pub(crate) trait Out {
    /// Whether text with quotes goes into the buffer as it is (not nested in a string), so
    /// a field's ready-made [`crate::JsonKey`] can be copied in.
    const VERBATIM: bool;
    /// The buffer, for text without `"` and `\`.
    fn text(&mut self) -> &mut String;
    /// A `"` opening or closing a string.
    fn quote(&mut self);
    /// An escape sequence (`\n`, `\"`, `\u00e8`, `\/`, ...).
    fn escape(&mut self, seq: &str);
}

impl Out for String {
    const VERBATIM: bool = true;
    #[inline(always)]
    fn text(&mut self) -> &mut String {
        self
    }
    #[inline(always)]
    fn quote(&mut self) {
        self.push('"');
    }
    #[inline(always)]
    fn escape(&mut self, seq: &str) {
        self.push_str(seq);
    }
}

/// Writes JSON as the contents of a JSON string: each `"` and `\` preceded by a `\`. Since
/// the writers never emit control characters, these are the bytes `JSON.stringify` (or PHP's
/// `json_encode` with unescaped slashes and unicode) puts between the quotes of the encoded
/// JSON.
pub(crate) struct Nested<'a>(pub &'a mut String);

impl Out for Nested<'_> {
    const VERBATIM: bool = false;
    #[inline(always)]
    fn text(&mut self) -> &mut String {
        self.0
    }
    #[inline(always)]
    fn quote(&mut self) {
        self.0.push_str("\\\"");
    }
    fn escape(&mut self, seq: &str) {
        for c in seq.chars() {
            if c == '"' || c == '\\' {
                self.0.push('\\');
            }
            self.0.push(c);
        }
    }
}

/// Writes `data` as JSON, leaving out the top-level fields named in `skip`.
pub(crate) fn write_message<O: Out>(
    out: &mut O,
    data: &MessageData,
    flavor: Flavor,
    skip: &[&str],
) {
    out.text().push('{');
    write_key(out, "_schema", flavor);
    write_str(out, data.schema().id, flavor);
    for (field, stored) in data.iter().skip_while(|(f, _)| f.name == "_schema") {
        if skip.contains(&field.name) {
            continue;
        }
        if O::VERBATIM && flavor == Flavor::Js {
            out.text().push_str(field.json_key.get(field.name));
        } else {
            out.text().push(',');
            write_key(out, field.name, flavor);
        }
        let kind = field.kind;
        let scale = field.scale;
        match stored {
            FieldValue::Single(v) => write_value(out, v, kind, scale, flavor),
            FieldValue::Set(items) | FieldValue::List(items) => {
                out.text().push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.text().push(',');
                    }
                    write_value(out, v, kind, scale, flavor);
                }
                out.text().push(']');
            }
            FieldValue::Map(entries) => {
                out.text().push('{');
                let mut first = true;
                let mut emit = |out: &mut O, k: &str, v: &Value| {
                    if !first {
                        out.text().push(',');
                    }
                    first = false;
                    write_key(out, k, flavor);
                    write_value(out, v, kind, scale, flavor);
                };
                if flavor == Flavor::Js {
                    // JS objects list integer-like keys first, ascending.
                    let mut indexed: Vec<(u32, &CompactString, &Value)> = entries
                        .iter()
                        .filter_map(|(k, v)| array_index(k).map(|i| (i, k, v)))
                        .collect();
                    indexed.sort_by_key(|(i, _, _)| *i);
                    for (_, k, v) in indexed {
                        emit(out, k, v);
                    }
                    for (k, v) in entries.iter().filter(|(k, _)| array_index(k).is_none()) {
                        emit(out, k, v);
                    }
                } else {
                    for (k, v) in entries {
                        emit(out, k, v);
                    }
                }
                out.text().push('}');
            }
        }
    }
    out.text().push('}');
}

/// `,"name":` as [`write_message`] writes a member's key in the JS flavour (what
/// [`crate::JsonKey`] holds).
pub(crate) fn member_key(name: &str) -> Box<str> {
    let mut out = String::with_capacity(name.len() + 4);
    out.push(',');
    write_key(&mut out, name, Flavor::Js);
    out.into_boxed_str()
}

/// The value of `k` if it is a canonical array index (`0`, `17`, not `01`, < 2^32 - 1).
pub(crate) fn array_index(k: &str) -> Option<u32> {
    if k.is_empty() || (k.len() > 1 && k.starts_with('0')) || !k.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    k.parse::<u32>().ok().filter(|v| *v != u32::MAX)
}

/// Writes `"key":`; inlined (a call saved more registers than a plain key takes to write).
#[inline(always)]
fn write_key<O: Out>(out: &mut O, key: &str, flavor: Flavor) {
    write_str(out, key, flavor);
    out.text().push(':');
}

fn write_value<O: Out>(out: &mut O, v: &Value, kind: FieldType, scale: u8, flavor: Flavor) {
    match v {
        Value::Bool(b) => out.text().push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => push_int(out.text(), *i),
        Value::BigInt(i) => {
            out.quote();
            let _ = write!(out.text(), "{i}");
            out.quote();
        }
        Value::Float(f) => match (kind, flavor) {
            (FieldType::Decimal, Flavor::Js) => {
                out.quote();
                out.text().push_str(&js_to_fixed(*f, scale));
                out.quote();
            }
            (FieldType::Decimal, Flavor::Php) => {
                out.text().push_str(&php_number(php_decimal(*f, scale)))
            }
            (_, Flavor::Js) => crate::number::push_js_number(out.text(), *f),
            (_, Flavor::Php) => out.text().push_str(&php_number(*f)),
        },
        Value::String(s) => write_str(out, s, flavor),
        Value::Binary(b) => write_str(out, &base64::encode(b), flavor),
        Value::Date(d) => write_str(out, &d.to_string(), flavor),
        Value::DateTime(dt) => {
            let s = if flavor == Flavor::Js {
                dt.to_js_string()
            } else {
                dt.to_php_string()
            };
            write_str(out, &s, flavor);
        }
        Value::Microtime(m) => {
            // The wire form `{sec:010}{usec:06}`.
            out.quote();
            push_uint(out.text(), m.sec(), 10);
            push_uint(out.text(), u64::from(m.usec()), 6);
            out.quote();
        }
        Value::NodeRef(n) => write_str(out, n.as_str(), flavor),
        Value::MessageRef(r) => {
            out.text().push('{');
            write_key(out, "curie", flavor);
            write_str(out, r.curie(), flavor);
            out.text().push(',');
            write_key(out, "id", flavor);
            write_str(out, r.id(), flavor);
            if let Some(tag) = r.tag() {
                out.text().push(',');
                write_key(out, "tag", flavor);
                write_str(out, tag, flavor);
            }
            out.text().push('}');
        }
        Value::GeoPoint(g) => {
            // JS holds points rounded to 8 decimals, PHP the full double.
            let g = match flavor {
                Flavor::Js => g.js_rounded(),
                Flavor::Php => *g,
            };
            out.text().push('{');
            write_key(out, "type", flavor);
            write_str(out, "Point", flavor);
            out.text().push(',');
            write_key(out, "coordinates", flavor);
            out.text().push('[');
            write_value(out, &Value::Float(g.lon()), FieldType::Float, scale, flavor);
            out.text().push(',');
            write_value(out, &Value::Float(g.lat()), FieldType::Float, scale, flavor);
            out.text().push_str("]}");
        }
        Value::DynamicField(d) => {
            out.text().push('{');
            write_key(out, "name", flavor);
            write_str(out, d.name(), flavor);
            out.text().push(',');
            write_key(out, d.kind().key(), flavor);
            match d.value() {
                DynamicValue::Bool(b) => {
                    write_value(out, &Value::Bool(*b), FieldType::Boolean, scale, flavor)
                }
                DynamicValue::Date(x) => write_str(out, &x.to_string(), flavor),
                DynamicValue::Float(f) => {
                    write_value(out, &Value::Float(*f), FieldType::Float, scale, flavor)
                }
                DynamicValue::Int(i) => push_int(out.text(), *i),
                DynamicValue::String(s) | DynamicValue::Text(s) => write_str(out, s, flavor),
            }
            out.text().push('}');
        }
        Value::Message(m) => write_message(out, m.data(), flavor, &[]),
        Value::Null => out.text().push_str("null"),
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether an ASCII byte must be escaped: `"`, `\`, control characters, and `/` for PHP.
fn needs_escape(b: u8, flavor: Flavor) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || (flavor == Flavor::Php && (b == b'/' || b >= 0x80))
}

fn push_unicode_escape<O: Out>(out: &mut O, unit: u16) {
    let mut seq = *b"\\u0000";
    for (i, shift) in [12, 8, 4, 0].into_iter().enumerate() {
        seq[2 + i] = HEX[usize::from((unit >> shift) & 0xf)];
    }
    // ASCII by construction.
    out.escape(std::str::from_utf8(&seq).unwrap_or_default());
}

/// Writes `s` as a JSON string. The common case, inlined where strings are written: the JS
/// flavour of a string that needs no escape (every key) is one reserve and three copies,
/// without a call (the escaping writer saves and restores every register it uses).
#[inline(always)]
fn write_str<O: Out>(out: &mut O, s: &str, flavor: Flavor) {
    if flavor == Flavor::Js && is_plain(s.as_bytes()) {
        out.text().reserve(s.len() + 4);
        out.quote();
        out.text().push_str(s);
        out.quote();
        return;
    }
    write_escaped(out, s, flavor);
}

/// [`write_str`] for strings with bytes to escape, and for the PHP flavour.
#[inline(never)]
fn write_escaped<O: Out>(out: &mut O, s: &str, flavor: Flavor) {
    out.quote();
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    loop {
        // Skip the run that needs no escaping (JS: eight bytes at a time).
        let rest = bytes.get(i..).unwrap_or_default();
        i += match flavor {
            Flavor::Js => plain_run(rest),
            Flavor::Php => rest
                .iter()
                .take_while(|&&b| !needs_escape(b, flavor))
                .count(),
        };
        let Some(&b) = bytes.get(i) else { break };
        out.text().push_str(&s[start..i]);
        match b {
            b'"' => out.escape("\\\""),
            b'\\' => out.escape("\\\\"),
            b'\n' => out.escape("\\n"),
            b'\r' => out.escape("\\r"),
            b'\t' => out.escape("\\t"),
            0x08 => out.escape("\\b"),
            0x0c => out.escape("\\f"),
            b'/' => out.escape("\\/"),
            0x80.. => {
                // Only the PHP flavour escapes non-ASCII: one UTF-16 escape per code unit.
                let c = s[i..].chars().next().unwrap_or('\u{fffd}');
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    push_unicode_escape(out, *u);
                }
                i += c.len_utf8();
                start = i;
                continue;
            }
            _ => push_unicode_escape(out, u16::from(b)),
        }
        i += 1;
        start = i;
    }
    out.text().push_str(&s[start..]);
    out.quote();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode_as, encode, encode_escaped_into};
    use crate::field::Field;
    use crate::message::DynamicMessage;
    use crate::registry::Registry;
    use crate::schema::{Schema, test_schema};
    use crate::types::FieldRule;

    static FIELDS: [Field; 16] = [
        Field::new("_schema", FieldType::String, FieldRule::Single),
        Field::new("s", FieldType::String, FieldRule::Single),
        Field::new("t", FieldType::Text, FieldRule::List),
        Field::new("big", FieldType::BigInt, FieldRule::Single),
        Field {
            scale: 2,
            precision: 10,
            ..Field::new("dec", FieldType::Decimal, FieldRule::Single)
        },
        Field::new("f", FieldType::Float, FieldRule::Set),
        Field::new("mt", FieldType::Microtime, FieldRule::Single),
        Field::new("d", FieldType::Date, FieldRule::Single),
        Field::new("dt", FieldType::DateTime, FieldRule::Single),
        Field::new("bin", FieldType::Binary, FieldRule::Single),
        Field::new("g", FieldType::GeoPoint, FieldRule::Single),
        Field::new("df", FieldType::DynamicField, FieldRule::List),
        Field::new("r", FieldType::MessageRef, FieldRule::Single),
        Field::new("nr", FieldType::NodeRef, FieldRule::Single),
        Field::new("n", FieldType::Message, FieldRule::Map),
        Field::new("b", FieldType::Boolean, FieldRule::Single),
    ];
    static SCHEMA: Schema = test_schema!("acme":"t":"event":"x", &FIELDS);

    /// What `JSON.stringify` writes between the quotes for `s`.
    fn stringify_contents(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn member_keys_are_what_the_key_writer_writes() {
        for name in [
            "title",
            "a\"b",
            "back\\slash",
            "caf\u{e9}",
            "x/y",
            "tab\t",
            "\u{1}",
        ] {
            let mut want = String::from(",");
            write_key(&mut want, name, Flavor::Js);
            assert_eq!(&*member_key(name), want, "{name:?}");
        }
        // A field whose name needs escapes: the same bytes on the first encoding (the key is
        // made) and the next (the key is read), in both flavours.
        static ODD: [Field; 2] = [
            Field::new("_schema", FieldType::String, FieldRule::Single),
            Field::new("k\"é/", FieldType::String, FieldRule::Single),
        ];
        static ODD_SCHEMA: Schema = test_schema!("acme":"t":"event":"odd", &ODD);
        let mut data = MessageData::empty(&ODD_SCHEMA);
        data.set_at(1, Value::string("v")).unwrap();
        let js = r#"{"_schema":"pbj:acme:t:event:odd:1-0-0","k\"é/":"v"}"#;
        let php = r#"{"_schema":"pbj:acme:t:event:odd:1-0-0","k\"\u00e9\/":"v"}"#;
        for _ in 0..2 {
            assert_eq!(encode(&data, Flavor::Js), js);
            assert_eq!(encode(&data, Flavor::Php), php);
        }
    }

    #[test]
    fn escaped_encoding_is_the_encoding_escaped() {
        let mut registry = Registry::new();
        registry.register(&SCHEMA, |d| Box::new(DynamicMessage(d)));
        let inner = r#"{"_schema":"pbj:acme:t:event:x:1-0-0","s":"q\"b\\s/\u0001\u001f\n\r\t\b\fé😀 end","b":true}"#;
        let text = format!(
            r#"{{"_schema":"pbj:acme:t:event:x:1-0-0","s":"plain","t":["a \"quoted\" \\ back\\slash / slash","\u0000\u0007\u007f\u2028é😀","ok"],"big":"18446744073709551615","dec":"3.14","f":[1.5,-2e-7,1e+21],"mt":"1500000000123456","d":"2020-01-02","dt":"2020-01-02T03:04:05.678Z","bin":"aGk/Ig==","g":{{"type":"Point","coordinates":[1.5,-2.25]}},"df":[{{"name":"n_1","string_val":"v\\\"/é"}},{{"name":"i","int_val":3}}],"r":{{"curie":"acme:t:event:x","id":"1","tag":"T"}},"nr":"acme:x:id-1","n":{{"k\"\\/é":{inner},"2":{inner},"1":{inner}}},"b":false}}"#
        );
        let data = decode_as(&text, &SCHEMA, &registry).expect("the sample decodes");
        for flavor in [Flavor::Js, Flavor::Php] {
            let plain = encode(&data, flavor);
            assert!(!plain.bytes().any(|b| b < 0x20), "{plain}");
            let mut nested = String::from("<");
            encode_escaped_into(&mut nested, &data, flavor);
            assert_eq!(
                nested,
                format!("<{}", stringify_contents(&plain)),
                "{flavor:?}"
            );
        }
    }
}
