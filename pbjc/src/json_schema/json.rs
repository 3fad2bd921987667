//! An ordered JSON value and the exact text the original compiler wrote for it.
//!
//! The original rendered its documents with PHP's `json_encode(JSON_PRETTY_PRINT |
//! JSON_NUMERIC_CHECK)`, then narrowed the indent to two spaces and unescaped `/`. Keys keep
//! their insertion order, so documents are built as [`Json`] values (a `serde_json::Value`
//! would need the `preserve_order` feature in every crate that builds pbjc). serde_json writes
//! the text; [`to_php_text`] adds the two PHP specifics: numeric strings become numbers, and
//! non-ASCII characters are written as `\uXXXX` escapes.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A JSON value whose objects keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string (written as a number when PHP's `is_numeric` accepts it).
    Str(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Self {
        Self::Str(s.into())
    }

    /// An object from `(key, value)` pairs.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Json)>) -> Self {
        Self::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

/// Builds an object in place; [`ObjectBuilder::build`] returns it.
#[derive(Debug, Default)]
pub struct ObjectBuilder(Vec<(String, Json)>);

impl ObjectBuilder {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `key` (a repeated key keeps its first position and takes the new value, like
    /// a PHP array).
    pub fn set(&mut self, key: impl Into<String>, value: Json) -> &mut Self {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
        self
    }

    /// Appends every pair of `other`, an object; other values are ignored.
    pub fn extend(&mut self, other: Json) -> &mut Self {
        if let Json::Object(pairs) = other {
            for (k, v) in pairs {
                self.set(k, v);
            }
        }
        self
    }

    /// Whether no key was set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The object.
    pub fn build(self) -> Json {
        Json::Object(self.0)
    }
}

/// The number PHP's `JSON_NUMERIC_CHECK` writes for `s`, if `s` is numeric in PHP's sense
/// (optional surrounding whitespace, a sign, digits with an optional fraction, an optional
/// exponent).
fn php_number(s: &str) -> Option<serde_json::Number> {
    let t = s.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    if exponent.is_none()
        && !mantissa.contains('.')
        && let Ok(i) = t.strip_prefix('+').unwrap_or(t).parse::<i64>()
    {
        return Some(i.into());
    }
    let f: f64 = t.strip_prefix('+').unwrap_or(t).parse().ok()?;
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        // Integral values are written without a fraction.
        return Some((f as i64).into());
    }
    serde_json::Number::from_f64(f)
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => serializer.serialize_unit(),
            Self::Bool(b) => serializer.serialize_bool(*b),
            Self::Int(i) => serializer.serialize_i64(*i),
            Self::Str(s) => match php_number(s) {
                Some(n) => n.serialize(serializer),
                None => serializer.serialize_str(s),
            },
            Self::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Self::Object(pairs) => {
                let mut map = serializer.serialize_map(Some(pairs.len()))?;
                for (k, v) in pairs {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// `value` as the original compiler wrote it: two-space indent, `"key": value`, `[]`/`{}` when
/// empty, non-ASCII escaped, no trailing newline.
pub fn to_php_text(value: &Json) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Writing to a Vec cannot fail and every key is a string.
    if value.serialize(&mut serializer).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&out);
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            escaped.push(c);
        } else {
            // Non-ASCII only occurs inside strings, where PHP writes UTF-16 escapes.
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                escaped.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_strings_become_numbers() {
        for (s, n) in [
            ("0", "0"),
            ("-12", "-12"),
            (" 7 ", "7"),
            ("1.5", "1.5"),
            ("2e3", "2000"),
        ] {
            assert_eq!(
                php_number(s).map(|n| n.to_string()).as_deref(),
                Some(n),
                "{s}"
            );
        }
        for s in ["", "-", ".", "1e", "0x1A", "1-0-0", "draft", "1.2.3", "e5"] {
            assert_eq!(php_number(s), None, "{s}");
        }
    }

    #[test]
    fn php_text_layout() {
        let mut o = ObjectBuilder::new();
        o.set("a", Json::str("25"))
            .set("b", Json::Array(vec![]))
            .set("c", Json::object([("d", Json::str("é/\""))]))
            .set("e", Json::Object(vec![]));
        let text = to_php_text(&o.build());
        assert_eq!(
            text,
            "{\n  \"a\": 25,\n  \"b\": [],\n  \"c\": {\n    \"d\": \"\\u00e9/\\\"\"\n  },\n  \"e\": {}\n}"
        );
    }
}
