//! Value checks against a field (the original's `guard`), shared by setters and decoders.

use crate::field::Field;
use crate::format;
use crate::schema::Schema;
use crate::text::js_trim;
use crate::types::{FieldType, Format, TypeFamily};
use crate::value::Value;
use crate::well_known::identifier;

/// Largest `big-int` value.
const BIG_INT_MAX: i128 = u64::MAX as i128;

/// Normalizes `value` for `field` (trims strings; blank strings become `None`) and checks it.
pub(crate) fn normalize(field: &Field, value: Value) -> Result<Option<Value>, String> {
    normalize_inline(field, value)
}

/// [`normalize`], inlined: `MessageData::set_at`'s copy, where the call saved more registers
/// than normalizing a short string takes. The decoders and the collection writers call the
/// out-of-line one (inlined into the decoders, it measured slower).
#[inline(always)]
pub(crate) fn normalize_inline(field: &Field, value: Value) -> Result<Option<Value>, String> {
    let value = match value {
        // Strings, the most common values, are checked here ([`check_str`], one call less).
        Value::String(s) => {
            let Some(t) = checked_text(field, &s)? else {
                return Ok(None);
            };
            return Ok(Some(if t.len() == s.len() {
                Value::String(s)
            } else {
                Value::String(t.into())
            }));
        }
        Value::Binary(b) => {
            let trimmed = trim_binary(&b);
            if trimmed.is_empty() {
                return Ok(None);
            }
            if trimmed.len() == b.len() {
                Value::Binary(b)
            } else {
                Value::Binary(trimmed.to_vec())
            }
        }
        other => other,
    };
    check(field, &value)?;
    Ok(Some(value))
}

/// [`normalize`] of a string value for a string or uuid field, checked before it is copied;
/// the value goes to `put` unless it is blank (the result stays in registers, no `Value` is
/// returned through memory).
#[inline(always)]
pub(crate) fn normalize_str(field: &Field, s: &str, put: impl FnOnce(Value)) -> Result<(), String> {
    if let Some(t) = checked_text(field, s)? {
        put(Value::String(t.into()));
    }
    Ok(())
}

/// [`normalize_str`] of a string the decoder built (unescaped): stored without a copy when
/// nothing is trimmed and its buffer is not much larger than its text.
pub(crate) fn normalize_string(
    field: &Field,
    s: String,
    put: impl FnOnce(Value),
) -> Result<(), String> {
    let Some((start, len)) =
        checked_text(field, &s)?.map(|t| (t.as_ptr() as usize - s.as_ptr() as usize, t.len()))
    else {
        return Ok(());
    };
    let value = if len == s.len() && s.capacity() <= 2 * len + 64 {
        s
    } else {
        s[start..start + len].to_owned()
    };
    put(Value::String(value.into()));
    Ok(())
}

/// The text `field` keeps of the string `s`, checked: `s` as it is for an enum (the JS decoder
/// does not trim enum values), else JS-trimmed; `None` for a blank string of another type.
#[inline(always)]
fn checked_text<'s>(field: &Field, s: &'s str) -> Result<Option<&'s str>, String> {
    let t = if field.kind == FieldType::StringEnum {
        s
    } else {
        js_trim(s)
    };
    if t.is_empty() && field.kind != FieldType::StringEnum {
        return Ok(None);
    }
    check_str(field, t)?;
    Ok(Some(t))
}

/// [`check`] of a string value.
fn check_str(field: &Field, s: &str) -> Result<(), String> {
    match field.kind.family() {
        TypeFamily::String => check_string(field, s),
        TypeFamily::Uuid => {
            let ok = if field.kind == FieldType::TimeUuid {
                identifier::is_valid_time_uuid(s)
            } else {
                identifier::is_valid_uuid(s)
            };
            if ok {
                Ok(())
            } else {
                Err(format!("[{s}] is not a valid {}", field.kind))
            }
        }
        _ => Err(format!("a {} field cannot hold a string value", field.kind)),
    }
}

/// Binary values are UTF-8 text in the JS implementation and are trimmed like strings.
fn trim_binary(b: &[u8]) -> &[u8] {
    match std::str::from_utf8(b) {
        Ok(s) => js_trim(s).as_bytes(),
        Err(_) => b,
    }
}

fn mismatch(field: &Field, value: &Value) -> String {
    format!(
        "a {} field cannot hold a {} value",
        field.kind,
        value.variant_name()
    )
}

/// Whether a message of `schema` may be a value of `field` (it uses one of the field's
/// `anyOf` curies, or the field names none).
#[inline]
pub(crate) fn accepts_message(field: &Field, schema: &Schema) -> bool {
    field.any_of.is_empty() || field.any_of.iter().any(|c| schema.uses_curie(c))
}

/// Checks one (normalized) value against every rule of `field`.
pub(crate) fn check(field: &Field, value: &Value) -> Result<(), String> {
    match (field.kind.family(), value) {
        (TypeFamily::Bool, Value::Bool(_)) => Ok(()),
        (TypeFamily::Int, Value::Int(v)) => check_int(field, *v),
        (TypeFamily::BigInt, Value::BigInt(v)) => {
            let (min, max) = if field.kind == FieldType::BigInt {
                (0, BIG_INT_MAX)
            } else {
                (i128::from(i64::MIN), i128::from(i64::MAX))
            };
            if *v < min || *v > max {
                return Err(format!("number {v} must be between {min} and {max}"));
            }
            Ok(())
        }
        (TypeFamily::Float, Value::Float(v)) => {
            if v.is_finite() {
                Ok(())
            } else {
                Err("number must be finite".into())
            }
        }
        (TypeFamily::String | TypeFamily::Uuid, Value::String(s)) => check_str(field, s),
        (TypeFamily::Binary, Value::Binary(b)) => {
            let len = b.len().div_ceil(3) * 4;
            check_len(field, len)
        }
        (TypeFamily::Date, Value::Date(_))
        | (TypeFamily::DateTime, Value::DateTime(_))
        | (TypeFamily::Microtime, Value::Microtime(_))
        | (TypeFamily::NodeRef, Value::NodeRef(_))
        | (TypeFamily::MessageRef, Value::MessageRef(_))
        | (TypeFamily::GeoPoint, Value::GeoPoint(_))
        | (TypeFamily::DynamicField, Value::DynamicField(_)) => Ok(()),
        (TypeFamily::Message, Value::Message(m)) => {
            let schema = m.schema();
            if accepts_message(field, schema) {
                Ok(())
            } else {
                Err(format!(
                    "message [{}] must use at least one of: {}",
                    schema.id,
                    field.any_of.join(", ")
                ))
            }
        }
        _ => Err(mismatch(field, value)),
    }
}

fn check_int(field: &Field, v: i64) -> Result<(), String> {
    if v < field.min || v > field.max {
        return Err(format!(
            "number {v} must be between {} and {}",
            field.min, field.max
        ));
    }
    if field.kind == FieldType::IntEnum {
        let known = field.enum_def.is_some_and(|e| e.has_int(v));
        if !known {
            return Err(format!("{v} is not a value of enum [{}]", enum_id(field)));
        }
    }
    Ok(())
}

fn enum_id(field: &Field) -> &'static str {
    field.enum_def.map_or("?", |e| e.id)
}

fn check_len(field: &Field, len: usize) -> Result<(), String> {
    let (min, max) = (field.min_length as usize, field.max_length as usize);
    if len < min || len > max {
        return Err(format!(
            "must be between {min} and {max} bytes, {len} bytes given"
        ));
    }
    Ok(())
}

fn check_string(field: &Field, s: &str) -> Result<(), String> {
    match field.kind {
        FieldType::StringEnum => {
            return if field.enum_def.is_some_and(|e| e.has_str(s)) {
                Ok(())
            } else {
                Err(format!("[{s}] is not a value of enum [{}]", enum_id(field)))
            };
        }
        FieldType::Identifier => {
            check_len(field, s.len())?;
            return match field.identifier_class {
                Some(class) => identifier::check_for_class(class, s).map_err(|e| e.to_string()),
                None => Ok(()),
            };
        }
        _ => {}
    }
    check_len(field, s.len())?;
    if let Some(p) = &field.pattern
        && !p.is_match(s)
    {
        return Err(format!("value [{s}] does not match pattern [{}]", p.source));
    }
    // Most string fields have no format: no call for them.
    if field.format != Format::Unknown && !format::check(field.format, s) {
        return Err(format!("value [{s}] is not a valid {}", field.format));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::FieldRule;

    #[test]
    fn normalize_string_agrees_with_normalize_str() {
        static FIELDS: [Field; 4] = [
            Field::new("s", FieldType::String, FieldRule::Single),
            Field {
                format: Format::Ipv4,
                ..Field::new("ip", FieldType::String, FieldRule::Single)
            },
            Field::new("u", FieldType::Uuid, FieldRule::Single),
            Field::new("t", FieldType::Text, FieldRule::Single),
        ];
        let pieces = [
            " ",
            "\t",
            "\u{a0}",
            "\u{feff}",
            "\u{2028}",
            "a",
            "é",
            "1.2.3.4",
            "x\"y",
            "0",
            "0e8f2d10-8a3b-11ee-8c99-0242ac120002",
            ".",
            "\n",
        ];
        let mut rng = crate::test_rng::Xorshift::new(0x2545_f491_4f6c_dd1d_u64);
        let mut moved = 0;
        for _ in 0..50_000 {
            let text = rng.concat(&pieces, 5);
            // Buffers as the decoder leaves them: exact, with some or with much room.
            let mut owned = String::with_capacity(text.len() + [0, 16, 4096][rng.below(3)]);
            owned.push_str(&text);
            let field = &FIELDS[rng.below(FIELDS.len())];
            let (mut want, mut got) = (None, None);
            let a = normalize_str(field, &text, |v| want = Some(v));
            let ptr = owned.as_ptr();
            let b = normalize_string(field, owned, |v| got = Some(v));
            assert_eq!(a, b, "{text:?}");
            assert_eq!(want, got, "{text:?}");
            if let Some(Value::String(s)) = &got
                && s.as_ptr() == ptr
            {
                moved += 1;
            }
        }
        assert!(moved > 1_000, "{moved}");
    }
}
