//! serde support (feature `serde`): what the `Serialize` / `Deserialize` impls that pbjc
//! generates with `Config::serde(true)` call, so messages work inside serde-derived structs,
//! with `serde_json`, reqwest's `.json()` and axum's `Json<T>`.
//!
//! - [`serialize`] writes exactly the bytes of [`Message::to_json`] (JS flavour), handed to the
//!   serializer as a `serde_json` raw value. With `serde_json` they are copied verbatim; other
//!   formats receive the raw value the way `serde_json::value::RawValue` presents itself to them.
//! - [`deserialize`] runs the strict decoder with the type's registry
//!   ([`MessageType::registry`]), then [`Message::validate`]: a payload with a missing required
//!   field is rejected, naming the field.
//!
//! ```
//! # use std::sync::Arc;
//! # use pbj::{Field, FieldRule, FieldType, Message, MessageData, MessageType, Registry, Schema};
//! # static FIELDS: [Field; 2] = [
//! #     Field::new("_schema", FieldType::String, FieldRule::Single).required(),
//! #     Field::new("title", FieldType::String, FieldRule::Single).required(),
//! # ];
//! # static SCHEMA: Schema = Schema {
//! #     id: "pbj:acme:blog::note:1-0-0", curie: "acme:blog::note", curie_major: "acme:blog::note:v1",
//! #     qname: "acme:note", vendor: "acme", package: "blog", category: "", message: "note",
//! #     version: pbj::SchemaVersion::new(1, 0, 0), fields: &FIELDS, mixins: &[], id_field: None,
//! #     deprecated: false, description: "",
//! # };
//! // What pbjc generates for a message type `NoteV1` with `Config::serde(true)`:
//! # #[derive(Debug, Clone, PartialEq)]
//! # struct NoteV1(MessageData);
//! # impl Message for NoteV1 {
//! #     fn data(&self) -> &MessageData { &self.0 }
//! #     fn data_mut(&mut self) -> &mut MessageData { &mut self.0 }
//! #     fn clone_message(&self) -> Box<dyn Message> { Box::new(self.clone()) }
//! # }
//! # impl MessageType for NoteV1 {
//! #     const SCHEMA: &'static Schema = &SCHEMA;
//! #     fn from_data(data: MessageData) -> Self { Self(data) }
//! #     fn into_data(self) -> MessageData { self.0 }
//! #     fn registry() -> Arc<Registry> { Arc::default() }
//! # }
//! impl pbj::serde::Serialize for NoteV1 {
//!     fn serialize<S: pbj::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
//!         pbj::serde::serialize(self, s)
//!     }
//! }
//! impl<'de> pbj::serde::Deserialize<'de> for NoteV1 {
//!     fn deserialize<D: pbj::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
//!         pbj::serde::deserialize(d)
//!     }
//! }
//!
//! // A message inside a serde-derived struct.
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct Envelope {
//!     note: NoteV1,
//!     attempt: u32,
//! }
//!
//! let mut note = NoteV1::from_data(MessageData::new(&SCHEMA));
//! note.data_mut().set("title", "Hello")?;
//! let envelope = Envelope { note, attempt: 2 };
//! let json = serde_json::to_string(&envelope)?;
//! assert_eq!(
//!     json,
//!     format!(r#"{{"note":{},"attempt":2}}"#, envelope.note.to_json())
//! );
//! assert_eq!(serde_json::from_str::<Envelope>(&json)?, envelope);
//!
//! // The strict decoder with validation: the required title is missing.
//! let err = serde_json::from_str::<Envelope>(
//!     r#"{"note":{"_schema":"pbj:acme:blog::note:1-0-0"},"attempt":1}"#,
//! )
//! .unwrap_err();
//! assert!(err.to_string().contains("title"), "{err}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use ::serde::de::Error as _;
use ::serde::ser::Error as _;
pub use ::serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::error::Error;
use crate::message::{Message, MessageType};

/// Serializes `message` as its JS-flavour JSON ([`Message::to_json`]), byte for byte.
pub fn serialize<M, S>(message: &M, serializer: S) -> Result<S::Ok, S::Error>
where
    M: Message + ?Sized,
    S: Serializer,
{
    let raw = RawValue::from_string(message.to_json()).map_err(S::Error::custom)?;
    raw.serialize(serializer)
}

/// Deserializes a `T` with the strict decoder (nested messages resolved with
/// [`MessageType::registry`]) and validates it.
pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
where
    T: MessageType,
    D: Deserializer<'de>,
{
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    let message = T::from_json(raw.get()).map_err(D::Error::custom)?;
    message.validate().map_err(|violations| {
        D::Error::custom(Error::Violations {
            schema: T::SCHEMA.id.to_owned(),
            violations,
        })
    })?;
    Ok(message)
}

/// Any message serializes as its JS-flavour JSON (e.g. an `Arc<dyn Message>` field).
impl Serialize for dyn Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize(self, serializer)
    }
}
