//! # pbj: the Pbj message model for Rust
//!
//! Typed messages identified by schema ids (`pbj:vendor:package:category:message:1-0-0`),
//! with mixins, field rules (single/set/list/map), every pbj field type, validation,
//! freezing, etags and a JSON wire format byte-compatible with the PHP and JS implementations.
//!
//! Message types are generated from XML schema stores by the `pbjc` compiler. Each generated
//! struct wraps a [`MessageData`] and implements [`Message`] (reflective, schema-driven access)
//! plus typed getters and setters.

#![warn(missing_docs)]

mod accessors;
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
pub mod text;
pub mod time;
pub mod types;
mod validate;
pub mod value;
pub mod well_known;

pub use codec::{DecodeOptions, Flavor};
pub use error::{Error, Violation};
pub use field::{DefaultValue, EnumDef, EnumValue, Field, Pattern};
pub use message::{DynamicMessage, Message, MessageData, MessageType, Mixin};
pub use registry::Registry;
pub use schema::Schema;
pub use schema_id::{SchemaCurie, SchemaId, SchemaQName, SchemaVersion};
pub use time::{Date, DateTime};
pub use types::{FieldRule, FieldType, Format, TypeFamily};
pub use value::{FieldValue, Value};
pub use well_known::{
    DynamicField, DynamicKind, DynamicValue, GeoPoint, MessageRef, Microtime, NodeRef,
};

/// Result type of the pbj crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
