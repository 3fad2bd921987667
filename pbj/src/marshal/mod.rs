//! Marshalers: messages as DynamoDB items ([`dynamodb`]) and as Elasticsearch documents and
//! mappings ([`elastic`]), compatible with the PHP (`Gdbots\Pbj\Marshaler\*`) and JS
//! (`marshalers/dynamodb`) originals.
//!
//! pbj does no I/O: items are [`dynamodb::AttributeValue`] trees a DynamoDB backend converts
//! to its SDK's type, and Elasticsearch payloads are [`JsonValue`] trees or JSON text.

pub mod dynamodb;
pub mod elastic;

use std::fmt::{self, Write as _};

use crate::codec::json::{self, Json};
use crate::error::Error;

/// A minimal owned JSON value (objects keep key order; numbers keep their text).
#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written (e.g. `102`, `0.5`, `1.0e+25`).
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<JsonValue>),
    /// An object, keys in insertion order.
    Object(Vec<(String, JsonValue)>),
}

impl JsonValue {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Self {
        Self::String(s.into())
    }

    /// An object from `(key, value)` pairs.
    pub fn object<K: Into<String>>(entries: impl IntoIterator<Item = (K, JsonValue)>) -> Self {
        Self::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The value under `key` of an object (the last one if the key repeats).
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        match self {
            Self::Object(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The keys of an object, in order (empty for other values).
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Self::Object(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// Parses JSON text (strict, as the pbj JSON decoder parses).
    pub fn parse(input: &str) -> Result<Self, Error> {
        Ok(Self::from_json(&json::parse(input)?))
    }

    /// Converts a borrowed [`Json`] tree.
    pub fn from_json(json: &Json<'_>) -> Self {
        match json {
            Json::Null => Self::Null,
            Json::Bool(b) => Self::Bool(*b),
            Json::Number(n) => Self::Number((*n).to_owned()),
            Json::String(s) => Self::String(s.to_string()),
            Json::Array(items) => Self::Array(items.iter().map(Self::from_json).collect()),
            Json::Object(entries) => Self::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), Self::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Compact JSON text: raw UTF-8, only `"`, `\` and control characters escaped.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write(&mut out);
        out
    }

    /// Appends the compact JSON text to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Number(n) => out.push_str(n),
            Self::String(s) => write_json_str(out, s),
            Self::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Self::Object(entries) => write_json_object(out, entries, Self::write),
        }
    }

    /// PHP `array_replace_recursive($this, $other)`: objects merge key by key (existing keys
    /// keep their position, new keys are appended), arrays merge index by index, anything
    /// else is replaced by `other`.
    pub fn merge(&mut self, other: JsonValue) {
        match (self, other) {
            (Self::Object(mine), Self::Object(theirs)) => {
                for (k, v) in theirs {
                    match mine.iter_mut().find(|(key, _)| *key == k) {
                        Some((_, slot)) => slot.merge(v),
                        None => mine.push((k, v)),
                    }
                }
            }
            (Self::Array(mine), Self::Array(theirs)) => {
                for (i, v) in theirs.into_iter().enumerate() {
                    match mine.get_mut(i) {
                        Some(slot) => slot.merge(v),
                        None => mine.push(v),
                    }
                }
            }
            (slot, other) => *slot = other,
        }
    }
}

impl fmt::Display for JsonValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// Writes `{"k":v,...}`, each value with `write`.
pub(crate) fn write_json_object<V>(
    out: &mut String,
    entries: &[(String, V)],
    write: impl Fn(&V, &mut String),
) {
    out.push('{');
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_str(out, k);
        out.push(':');
        write(v, out);
    }
    out.push('}');
}

/// Writes `s` as a JSON string (JS `JSON.stringify` escaping).
pub(crate) fn write_json_str(out: &mut String, s: &str) {
    out.push('"');
    // Most keys and values need no escape: copy them whole.
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Sets the field path of a value error raised by the `MessageData` API to `""`, so the caller
/// can re-root it with [`Error::within`] (the API names only the top-level field).
pub(crate) fn reroot(e: Error) -> Error {
    match e {
        Error::InvalidValue { message, .. } => Error::invalid("", message),
        other => other,
    }
}
