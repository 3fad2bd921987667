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

pub(crate) use check::{check, normalize, normalize_inline};
pub use decode::{MAX_MESSAGE_DEPTH, decode, decode_as, decode_as_with, decode_with};
pub(crate) use encode::member_key;
pub use options::DecodeOptions;

/// Which implementation's JSON bytes to reproduce.
///
/// ```
/// # include!("../../doc/article.rs");
/// # fn main() -> Result<(), pbj::Error> {
/// use pbj::{Flavor, MessageData};
///
/// let mut data = MessageData::new(&ARTICLE_PUBLISHED);
/// data.set("event_id", "0e8f2d10-8a3b-11ee-8c99-0242ac120002")?;
/// data.set("title", "Crème brûlée / dessert")?;
/// let js = pbj::codec::encode(&data, Flavor::Js);
/// let php = pbj::codec::encode(&data, Flavor::Php);
/// assert!(js.contains(r#""title":"Crème brûlée / dessert""#));
/// assert!(php.contains(r#""title":"Cr\u00e8me br\u00fbl\u00e9e \/ dessert""#));
/// // So the etags of the same message differ, as the originals' do.
/// assert_ne!(pbj::codec::etag(&data, Flavor::Js, &[]), pbj::codec::etag(&data, Flavor::Php, &[]));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// JS `JSON.stringify` (the wire default): raw UTF-8, ms date-times, decimals as strings.
    #[default]
    Js,
    /// PHP `json_encode`: `\/` and `\uXXXX` escapes, µs date-times, decimals as numbers.
    Php,
}

/// A flavor name other than `js` or `php`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown flavor [{value}], expected js or php")]
#[non_exhaustive]
pub struct UnknownFlavor {
    /// The rejected name.
    pub value: String,
}

/// Parses `js` or `php`.
///
/// ```
/// use pbj::Flavor;
///
/// assert_eq!("php".parse::<Flavor>()?, Flavor::Php);
/// assert!("ruby".parse::<Flavor>().is_err());
/// # Ok::<(), pbj::codec::UnknownFlavor>(())
/// ```
impl std::str::FromStr for Flavor {
    type Err = UnknownFlavor;
    fn from_str(s: &str) -> Result<Self, UnknownFlavor> {
        match s {
            "js" => Ok(Self::Js),
            "php" => Ok(Self::Php),
            other => Err(UnknownFlavor {
                value: other.to_owned(),
            }),
        }
    }
}

/// Encodes a message as JSON.
pub fn encode(data: &MessageData, flavor: Flavor) -> String {
    let mut out = String::with_capacity(encoded_len_hint());
    encode::write_message(&mut out, data, flavor, &[]);
    remember_encoded_len(out.len());
    out
}

thread_local! {
    /// The capacity [`encode`] starts with: the length of the last message this thread encoded
    /// plus a sixteenth (a service mostly writes messages of a few shapes, so most encodings
    /// then fit without growing the buffer, each regrowth being a copy of all bytes so far).
    /// Not more: the slack stays allocated with the returned string, and an eighth put ~1 KB
    /// messages past glibc's per-thread cache (1,032 bytes), a slower path for every buffer.
    static ENCODED_LEN_HINT: std::cell::Cell<usize> = const { std::cell::Cell::new(1024) };
}

/// Bounds of the start capacity: one message of a megabyte does not make the next small
/// one reserve a megabyte.
const HINT_MIN: usize = 128;
const HINT_MAX: usize = 16 * 1024;

#[inline]
fn encoded_len_hint() -> usize {
    ENCODED_LEN_HINT.with(std::cell::Cell::get)
}

#[inline]
fn remember_encoded_len(len: usize) {
    let hint = (len + len / 16 + 16).clamp(HINT_MIN, HINT_MAX);
    ENCODED_LEN_HINT.with(|h| h.set(hint));
}

/// Appends the JSON of a message to `out`, leaving out the top-level `skip_fields`.
pub fn encode_into(out: &mut String, data: &MessageData, flavor: Flavor, skip_fields: &[&str]) {
    encode::write_message(out, data, flavor, skip_fields);
}

/// Appends the JSON of a message as the contents of a JSON string (the quotes around it not
/// included): the bytes [`encode`] would give, each `"` and `\` escaped with a `\`. This is
/// how a message travels inside another JSON document (e.g. pbjx's transport envelope,
/// `{"message":"{\"_schema\":...}"}`), written in one pass instead of encoding the message
/// and then escaping it. Since the encoder never writes a control character, the result is
/// exactly what `JSON.stringify` (and PHP's `json_encode` with `JSON_UNESCAPED_SLASHES |
/// JSON_UNESCAPED_UNICODE`) writes between the quotes for the encoded message.
///
/// ```
/// # include!("../../doc/article.rs");
/// # fn main() -> Result<(), pbj::Error> {
/// use pbj::{Flavor, MessageData};
///
/// let mut data = MessageData::new(&ARTICLE_PUBLISHED);
/// data.set("title", "Say \"hi\"\nbye")?;
/// let mut envelope = String::from(r#"{"message":""#);
/// pbj::codec::encode_escaped_into(&mut envelope, &data, Flavor::Js);
/// envelope.push_str(r#""}"#);
/// assert!(envelope.contains(r#"\"title\":\"Say \\\"hi\\\"\\nbye\""#));
/// // Read back, the envelope holds the message JSON.
/// let parsed = pbj::codec::json::parse(&envelope)?;
/// # let pbj::codec::json::Json::Object(entries) = parsed else { panic!() };
/// # let pbj::codec::json::Json::String(inner) = &entries[0].1 else { panic!() };
/// assert_eq!(inner, &pbj::codec::encode(&data, Flavor::Js));
/// # Ok(())
/// # }
/// ```
pub fn encode_escaped_into(out: &mut String, data: &MessageData, flavor: Flavor) {
    encode::write_message(&mut encode::Nested(out), data, flavor, &[]);
}

/// md5 hex of the encoded JSON without the top-level `skip_fields` (the original's etag).
pub fn etag(data: &MessageData, flavor: Flavor, skip_fields: &[&str]) -> String {
    let mut out = String::with_capacity(256);
    encode::write_message(&mut out, data, flavor, skip_fields);
    crate::etag::md5_hex(out)
}

/// Checks and normalizes one value for `field` (public for generated code and tools): strings
/// are trimmed and a blank one gives `None`; a value the field does not accept is an
/// [`Error::InvalidValue`] naming the field.
///
/// ```
/// use pbj::{Field, FieldRule, FieldType, Value};
///
/// static TITLE: Field = Field::new("title", FieldType::String, FieldRule::Single);
/// let checked = pbj::codec::check_value(&TITLE, " Hi ".into())?;
/// assert_eq!(checked.as_ref().and_then(Value::as_str), Some("Hi"));
/// assert!(pbj::codec::check_value(&TITLE, "  ".into())?.is_none());
/// let err = pbj::codec::check_value(&TITLE, Value::Int(1)).unwrap_err();
/// assert_eq!(err.field(), Some("title"));
/// # Ok::<(), pbj::Error>(())
/// ```
pub fn check_value(field: &Field, value: Value) -> Result<Option<Value>, Error> {
    normalize(field, value).map_err(|m| Error::invalid(field.name, m))
}

/// Returns the decode error for a document that is not valid for `field` (helper for tests).
pub fn validate_value(field: &Field, value: &Value) -> Result<(), Error> {
    check(field, value).map_err(|m| Error::invalid(field.name, m))
}
