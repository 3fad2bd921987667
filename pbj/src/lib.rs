//! # pbj: the Pbj message model for Rust
//!
//! Typed messages identified by schema ids (`pbj:vendor:package:category:message:1-0-0`),
//! with mixins, field rules (single/set/list/map), every pbj field type, validation,
//! freezing, etags and a JSON wire format byte-compatible with the PHP and JS implementations.
//!
//! Message types are generated from XML schema stores by the `pbjc` compiler. Each generated
//! struct wraps a [`MessageData`] and implements [`Message`] (reflective, schema-driven access)
//! and [`MessageType`] (its schema and its store's [`Registry`]), plus typed getters (reading
//! through [`FromValue`], [`Values`] and [`Entries`]), checked setters and a [`Builder`].
//! Features `serde` and `schemars` add the helpers behind the generated serde and schemars
//! impls.
//!
//! # Example
//!
//! A message of a small hand-written [`Schema`] (the static tables pbjc generates, here for
//! `acme:blog:event:article-published:1-0-0` with the fields `event_id`, `title`, `tags` and
//! `word_count`), used through [`MessageData`] and [`DynamicMessage`] as generic code does:
//!
//! ```
//! # include!("../doc/article.rs");
//! use pbj::{DynamicMessage, Message, MessageData, Registry};
//!
//! # fn main() -> Result<(), pbj::Error> {
//! // A new message has its defaults: a generated time-uuid `event_id`, `word_count` 0.
//! let mut data = MessageData::new(&ARTICLE_PUBLISHED);
//! data.set("event_id", "0e8f2d10-8a3b-11ee-8c99-0242ac120002")?;
//! data.set("title", "  Hello, world ")?; // strings are trimmed
//! data.add_to_set("tags", ["rust", "Rust", "pbj"])?; // unique, case-insensitively
//! data.set("word_count", 1234)?;
//! assert!(data.set("word_count", -1).is_err(), "an int is 0..=4294967295");
//! assert!(data.add_to_set("tags", ["not a hashtag!"]).is_err());
//!
//! let mut article = DynamicMessage(data);
//! article.validate().expect("every required field is set");
//! article.freeze();
//! assert!(article.data_mut().set("title", "changed").is_err(), "frozen");
//!
//! // The JS wire form, byte-identical to the JS implementation's.
//! let json = article.to_json();
//! assert_eq!(
//!     json,
//!     r#"{"_schema":"pbj:acme:blog:event:article-published:1-0-0","event_id":"0e8f2d10-8a3b-11ee-8c99-0242ac120002","title":"Hello, world","tags":["Rust","pbj"],"word_count":1234}"#
//! );
//!
//! // Decoding resolves `_schema` through a registry of message types.
//! let mut registry = Registry::new();
//! registry.register(&ARTICLE_PUBLISHED, |data| Box::new(DynamicMessage(data)));
//! let decoded = pbj::codec::decode(&json, &registry)?;
//! assert_eq!(decoded.to_json(), json);
//!
//! // The etag is the md5 of that JSON, optionally without some top-level fields.
//! assert_eq!(decoded.generate_etag(&[]), pbj::etag::md5_hex(&json));
//! assert_ne!(decoded.generate_etag(&["event_id"]), decoded.generate_etag(&[]));
//! assert_eq!(
//!     decoded.generate_message_ref(Some("launch")).to_string(),
//!     "acme:blog:event:article-published:0e8f2d10-8a3b-11ee-8c99-0242ac120002#launch"
//! );
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod accessors;
mod builder;
pub mod codec;
mod error;
pub mod etag;
pub mod field;
pub mod format;
pub mod marshal;
mod message;
pub mod number;
pub mod pattern;
pub mod registry;
pub mod schema;
pub mod schema_id;
#[cfg(feature = "schemars")]
pub mod schemars;
#[cfg(feature = "serde")]
pub mod serde;
#[cfg(target_arch = "x86_64")]
mod simd;
#[cfg(test)]
mod test_rng;
pub mod text;
pub mod time;
mod typed;
pub mod types;
mod validate;
pub mod value;
pub mod well_known;

pub use builder::Builder;
pub use codec::{DecodeOptions, Flavor};
pub use error::{Error, Violation};
pub use field::{DefaultValue, EnumDef, EnumValue, Field, JsonKey, Pattern};
pub use message::{DynamicMessage, Message, MessageData, MessageType, Mixin, TryIntoBox, into_box};
pub use registry::Registry;
pub use schema::Schema;
pub use schema_id::{SchemaCurie, SchemaId, SchemaQName, SchemaVersion};
pub use time::{Date, DateTime};
pub use typed::{Entries, FromValue, Values};
pub use types::{FieldRule, FieldType, Format, TypeFamily};
pub use value::{CompactString, FieldValue, Value};
pub use well_known::{
    DynamicField, DynamicKind, DynamicValue, GeoPoint, MessageRef, Microtime, NodeRef,
};

/// Result type of the pbj crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
