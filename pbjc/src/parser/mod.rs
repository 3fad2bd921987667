//! XML reading: schema files and `enums.xml` files, with source positions.

pub mod enums;
pub mod schema;
pub mod xml;

pub use enums::{ParsedEnums, parse_enums};
pub use schema::{FieldSpans, ParsedSchema, SchemaSpans, parse_schema};
