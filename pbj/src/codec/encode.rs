//! Message -> JSON writers reproducing the JS (`JSON.stringify`) and PHP (`json_encode`) bytes.

use std::fmt::Write as _;

use crate::codec::json::plain_run;
use crate::codec::{Flavor, base64};
use crate::message::MessageData;
use crate::number::{js_to_fixed, php_decimal, php_number, push_int, push_uint};
use crate::types::FieldType;
use crate::value::{FieldValue, Value};
use crate::well_known::DynamicValue;

/// Writes `data` as JSON, leaving out the top-level fields named in `skip`.
pub fn write_message(out: &mut String, data: &MessageData, flavor: Flavor, skip: &[&str]) {
    out.push('{');
    write_key(out, "_schema", flavor);
    write_str(out, data.schema().id, flavor);
    for (field, stored) in data.iter().skip_while(|(f, _)| f.name == "_schema") {
        if skip.contains(&field.name) {
            continue;
        }
        out.push(',');
        write_key(out, field.name, flavor);
        let kind = field.kind;
        let scale = field.scale;
        match stored {
            FieldValue::Single(v) => write_value(out, v, kind, scale, flavor),
            FieldValue::Set(items) | FieldValue::List(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_value(out, v, kind, scale, flavor);
                }
                out.push(']');
            }
            FieldValue::Map(entries) => {
                out.push('{');
                let mut first = true;
                let mut emit = |out: &mut String, k: &str, v: &Value| {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    write_key(out, k, flavor);
                    write_value(out, v, kind, scale, flavor);
                };
                if flavor == Flavor::Js {
                    // JS objects list integer-like keys first, ascending.
                    let mut indexed: Vec<(u32, &String, &Value)> = entries
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
                out.push('}');
            }
        }
    }
    out.push('}');
}

/// The value of `k` if it is a canonical array index (`0`, `17`, not `01`, < 2^32 - 1).
pub(crate) fn array_index(k: &str) -> Option<u32> {
    if k.is_empty() || (k.len() > 1 && k.starts_with('0')) || !k.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    k.parse::<u32>().ok().filter(|v| *v != u32::MAX)
}

fn write_key(out: &mut String, key: &str, flavor: Flavor) {
    write_str(out, key, flavor);
    out.push(':');
}

fn write_value(out: &mut String, v: &Value, kind: FieldType, scale: u8, flavor: Flavor) {
    match v {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => push_int(out, *i),
        Value::BigInt(i) => {
            let _ = write!(out, "\"{i}\"");
        }
        Value::Float(f) => match (kind, flavor) {
            (FieldType::Decimal, Flavor::Js) => {
                out.push('"');
                out.push_str(&js_to_fixed(*f, scale));
                out.push('"');
            }
            (FieldType::Decimal, Flavor::Php) => out.push_str(&php_number(php_decimal(*f, scale))),
            (_, Flavor::Js) => crate::number::push_js_number(out, *f),
            (_, Flavor::Php) => out.push_str(&php_number(*f)),
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
            out.push('"');
            push_uint(out, m.sec(), 10);
            push_uint(out, u64::from(m.usec()), 6);
            out.push('"');
        }
        Value::NodeRef(n) => write_str(out, n.as_str(), flavor),
        Value::MessageRef(r) => {
            out.push('{');
            write_key(out, "curie", flavor);
            write_str(out, r.curie(), flavor);
            out.push(',');
            write_key(out, "id", flavor);
            write_str(out, r.id(), flavor);
            if let Some(tag) = r.tag() {
                out.push(',');
                write_key(out, "tag", flavor);
                write_str(out, tag, flavor);
            }
            out.push('}');
        }
        Value::GeoPoint(g) => {
            // JS holds points rounded to 8 decimals, PHP the full double.
            let g = match flavor {
                Flavor::Js => g.js_rounded(),
                Flavor::Php => *g,
            };
            out.push_str("{\"type\":\"Point\",\"coordinates\":[");
            write_value(out, &Value::Float(g.lon()), FieldType::Float, scale, flavor);
            out.push(',');
            write_value(out, &Value::Float(g.lat()), FieldType::Float, scale, flavor);
            out.push_str("]}");
        }
        Value::DynamicField(d) => {
            out.push('{');
            write_key(out, "name", flavor);
            write_str(out, d.name(), flavor);
            out.push(',');
            write_key(out, d.kind().key(), flavor);
            match d.value() {
                DynamicValue::Bool(b) => {
                    write_value(out, &Value::Bool(*b), FieldType::Boolean, scale, flavor)
                }
                DynamicValue::Date(x) => write_str(out, &x.to_string(), flavor),
                DynamicValue::Float(f) => {
                    write_value(out, &Value::Float(*f), FieldType::Float, scale, flavor)
                }
                DynamicValue::Int(i) => push_int(out, *i),
                DynamicValue::String(s) | DynamicValue::Text(s) => write_str(out, s, flavor),
            }
            out.push('}');
        }
        Value::Message(m) => write_message(out, m.data(), flavor, &[]),
        Value::Null => out.push_str("null"),
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether an ASCII byte must be escaped: `"`, `\`, control characters, and `/` for PHP.
fn needs_escape(b: u8, flavor: Flavor) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || (flavor == Flavor::Php && (b == b'/' || b >= 0x80))
}

fn push_unicode_escape(out: &mut String, unit: u16) {
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xf)] as char);
    }
}

fn write_str(out: &mut String, s: &str, flavor: Flavor) {
    // Most strings (every key) need no escape in the JS flavour: one reserve, three copies.
    if flavor == Flavor::Js && plain_run(s.as_bytes()) == s.len() {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    out.push('"');
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
        out.push_str(&s[start..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'/' => out.push_str("\\/"),
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
    out.push_str(&s[start..]);
    out.push('"');
}
