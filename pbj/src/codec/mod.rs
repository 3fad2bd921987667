//! JSON codec: a strict decoder for both dialects, an opt-in lenient one with the JS coercions,
//! and JS / PHP flavoured writers.

pub mod base64;
mod check;
mod decode;
mod encode;
mod js_value;
pub mod json;
mod lenient;
mod options;
mod stream;

use crate::error::Error;
use crate::field::Field;
use crate::message::MessageData;
use crate::value::Value;

pub(crate) use check::{check, normalize};
pub use decode::{MAX_MESSAGE_DEPTH, decode, decode_as, decode_as_with, decode_with};
pub use options::DecodeOptions;

/// Which implementation's JSON bytes to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// JS `JSON.stringify` (the wire default): raw UTF-8, ms date-times, decimals as strings.
    #[default]
    Js,
    /// PHP `json_encode`: `\/` and `\uXXXX` escapes, µs date-times, decimals as numbers.
    Php,
}

impl std::str::FromStr for Flavor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "js" => Ok(Self::Js),
            "php" => Ok(Self::Php),
            other => Err(format!("unknown flavor [{other}], expected js or php")),
        }
    }
}

/// Encodes a message as JSON.
pub fn encode(data: &MessageData, flavor: Flavor) -> String {
    let mut out = String::with_capacity(1024);
    encode::write_message(&mut out, data, flavor, &[]);
    out
}

/// Appends the JSON of a message to `out`, leaving out the top-level `skip_fields`.
pub fn encode_into(out: &mut String, data: &MessageData, flavor: Flavor, skip_fields: &[&str]) {
    encode::write_message(out, data, flavor, skip_fields);
}

/// md5 hex of the encoded JSON without the top-level `skip_fields` (the original's etag).
pub fn etag(data: &MessageData, flavor: Flavor, skip_fields: &[&str]) -> String {
    let mut out = String::with_capacity(256);
    encode::write_message(&mut out, data, flavor, skip_fields);
    crate::etag::md5_hex(out)
}

/// Checks and normalizes one value for `field` (public for generated code and tools).
pub fn check_value(field: &Field, value: Value) -> Result<Option<Value>, String> {
    normalize(field, value)
}

/// Returns the decode error for a document that is not valid for `field` (helper for tests).
pub fn validate_value(field: &Field, value: &Value) -> Result<(), Error> {
    check(field, value).map_err(|m| Error::invalid(field.name, m))
}
