//! [`TransportEnvelope`]: the JSON wrapper messages travel in between processes, byte
//! compatible with the PHP and JS originals.

use std::sync::Arc;

use pbj::codec::json::{self, Json};
use pbj::{Message, Registry};

use crate::error::{Error, Result};

/// The only serializer pbjx-rs reads and writes (the original also had `php`, PHP's
/// `serialize`, which is not accepted: it is an unsafe input path).
pub const SERIALIZER_JSON: &str = "json";

/// A message (as its JS-flavoured JSON) plus the replay flag, in the original's wire form:
///
/// `{"serializer":"json","is_replay":false,"message":"<the message JSON, as a string>"}`
///
/// The message is double-encoded (a JSON string inside the JSON object), exactly like the
/// originals, so envelopes written here are read by PHP and JS consumers and vice versa.
///
/// ```
/// use pbjx::transport::TransportEnvelope;
///
/// let envelope = TransportEnvelope::from_message_json(r#"{"_schema":"pbj:acme:blog:command:x:1-0-0"}"#.into(), false);
/// assert_eq!(
///     envelope.to_json(),
///     r#"{"serializer":"json","is_replay":false,"message":"{\"_schema\":\"pbj:acme:blog:command:x:1-0-0\"}"}"#
/// );
/// ```
#[derive(Debug, Clone)]
pub struct TransportEnvelope {
    message_json: String,
    message: Option<Arc<dyn Message>>,
    is_replay: bool,
}

impl TransportEnvelope {
    /// Wraps a message (encoded with [`Message::to_json`], the JS flavour).
    pub fn new(message: Arc<dyn Message>, is_replay: bool) -> Self {
        Self {
            message_json: message.to_json(),
            message: Some(message),
            is_replay,
        }
    }

    /// Wraps an already encoded message. The string is embedded as given (it is not checked,
    /// and [`Self::message`] is `None`); use it to forward messages of schemas this process
    /// does not know.
    pub fn from_message_json(json: String, is_replay: bool) -> Self {
        Self {
            message_json: json,
            message: None,
            is_replay,
        }
    }

    /// Parses an envelope and decodes its message with `registry` (in a transport, the
    /// exchange's: [`crate::Pbjx::registry`]).
    ///
    /// Strict, unlike the PHP original: the top level must be an object, `serializer` must be
    /// present and equal to `json`, `is_replay` (optional, default `false`) must be a boolean
    /// and `message` must be a string holding the message JSON (decoded with
    /// [`pbj::codec::decode`]). Other keys are ignored; a repeated key counts once, the last
    /// one winning (like `JSON.parse`).
    ///
    /// ```
    /// use pbjx::pbj::Message;
    /// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
    /// use pbjx::transport::TransportEnvelope;
    ///
    /// let pbjx = pbjx::Pbjx::builder().build()?; // decodes with the core registry
    /// let command = CheckHealthV1::new().with_msg("ping")?;
    /// let json = TransportEnvelope::new(std::sync::Arc::new(command), true).to_json();
    /// let envelope = TransportEnvelope::from_json(&json, pbjx.registry())?;
    /// assert!(envelope.is_replay());
    /// assert_eq!(envelope.message().map(|m| m.schema().curie), Some("gdbots:pbjx:command:check-health"));
    /// # Ok::<(), pbjx::Error>(())
    /// ```
    pub fn from_json(input: &str, registry: &Registry) -> Result<Self> {
        let Json::Object(entries) = json::parse(input)? else {
            return Err(invalid("the envelope must be a JSON object"));
        };
        let mut serializer = None;
        let mut is_replay = None;
        let mut message = None;
        for (key, value) in &entries {
            match &**key {
                "serializer" => serializer = Some(value),
                "is_replay" => is_replay = Some(value),
                "message" => message = Some(value),
                _ => {}
            }
        }
        match serializer {
            Some(Json::String(s)) if s == SERIALIZER_JSON => {}
            Some(Json::String(s)) => {
                return Err(invalid(&format!(
                    "the serializer [{s}] is not supported (only [json] is)"
                )));
            }
            Some(other) => {
                return Err(invalid(&format!(
                    "serializer must be a string, got {}",
                    other.type_name()
                )));
            }
            None => return Err(invalid("serializer is missing")),
        }
        let is_replay = match is_replay {
            None | Some(Json::Null) => false,
            Some(Json::Bool(b)) => *b,
            Some(other) => {
                return Err(invalid(&format!(
                    "is_replay must be a boolean, got {}",
                    other.type_name()
                )));
            }
        };
        let message_json = match message {
            Some(Json::String(s)) => s.clone().into_owned(),
            Some(other) => {
                return Err(invalid(&format!(
                    "message must be a string, got {}",
                    other.type_name()
                )));
            }
            None => return Err(invalid("message is missing")),
        };
        let decoded = pbj::codec::decode(&message_json, registry)?;
        Ok(Self {
            message_json,
            message: Some(Arc::from(decoded)),
            is_replay,
        })
    }

    /// The envelope JSON: `{"serializer":"json","is_replay":..,"message":".."}` (keys in this
    /// order, the message escaped like `JSON.stringify`).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.message_json.len() + 64);
        out.push_str(r#"{"serializer":"json","is_replay":"#);
        out.push_str(if self.is_replay { "true" } else { "false" });
        out.push_str(r#","message":"#);
        push_json_string(&mut out, &self.message_json);
        out.push('}');
        out
    }

    /// Appends the envelope JSON of `message` to `out`: the bytes of
    /// `TransportEnvelope::new(message, is_replay).to_json()`, written in one pass (the message
    /// is encoded straight into its escaped form, without an intermediate copy of its JSON).
    /// What the stream transports put in their records.
    ///
    /// ```
    /// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
    /// use pbjx::transport::TransportEnvelope;
    ///
    /// let command = std::sync::Arc::new(CheckHealthV1::new().with_msg("say \"hi\"")?);
    /// let mut out = String::new();
    /// TransportEnvelope::write_json(&mut out, &*command, false);
    /// assert_eq!(out, TransportEnvelope::new(command, false).to_json());
    /// assert!(out.starts_with(r#"{"serializer":"json","is_replay":false,"message":"{\"_schema\":"#));
    /// # Ok::<(), pbjx::Error>(())
    /// ```
    pub fn write_json(out: &mut String, message: &dyn Message, is_replay: bool) {
        out.push_str(r#"{"serializer":"json","is_replay":"#);
        out.push_str(if is_replay { "true" } else { "false" });
        out.push_str(r#","message":""#);
        pbj::codec::encode_escaped_into(out, message.data(), pbj::Flavor::Js);
        out.push_str("\"}");
    }

    /// The message: `None` for an envelope made with [`Self::from_message_json`].
    pub fn message(&self) -> Option<&Arc<dyn Message>> {
        self.message.as_ref()
    }

    /// Takes the message out of the envelope (see [`Self::message`]).
    pub fn into_message(self) -> Option<Arc<dyn Message>> {
        self.message
    }

    /// The message JSON, as embedded in the envelope.
    pub fn message_json(&self) -> &str {
        &self.message_json
    }

    /// Whether the message is being replayed (e.g. from an event store).
    pub fn is_replay(&self) -> bool {
        self.is_replay
    }

    /// The serializer used: always `json` ([`SERIALIZER_JSON`]).
    pub fn serializer(&self) -> &'static str {
        SERIALIZER_JSON
    }
}

impl std::fmt::Display for TransportEnvelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_json())
    }
}

fn invalid(reason: &str) -> Error {
    Error::InvalidArgument {
        message: format!("Envelope is invalid: {reason}."),
    }
}

/// Appends `s` as a JSON string escaped like `JSON.stringify`: `"`, `\`, `\b`, `\f`, `\n`,
/// `\r`, `\t` and other control characters as `\u00xx`; everything else raw UTF-8.
pub(crate) fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_json_stringify() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f} é/💩");
        assert_eq!(out, r#""a\"b\\c\n\r\t\b\f\u0001\u001f é/💩""#);
    }
}
