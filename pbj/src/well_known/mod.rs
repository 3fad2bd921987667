//! Well-known value types: [`Microtime`], [`MessageRef`], [`NodeRef`], [`GeoPoint`],
//! [`DynamicField`], identifiers, hashtags and slugs.

mod dynamic_field;
mod geo_point;
pub mod hashtag;
pub mod identifier;
mod message_ref;
mod microtime;
mod node_ref;
pub mod slug;

pub use dynamic_field::{DynamicField, DynamicFieldError, DynamicKind, DynamicValue};
pub use geo_point::{GeoPoint, GeoPointError};
pub use identifier::IdentifierError;
pub use message_ref::{MessageRef, MessageRefError};
pub use microtime::{Microtime, MicrotimeError};
pub(crate) use node_ref::is_valid_ref_id;
pub use node_ref::{NodeRef, NodeRefError};
