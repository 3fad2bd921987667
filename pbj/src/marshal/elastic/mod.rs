//! Elasticsearch (the PHP-only Elastica marshalers): documents ([`document`]) and index
//! mappings ([`mapping`]).

pub mod document;
pub mod mapping;

pub use document::{from_document, from_document_as, to_document, to_document_value};
pub use mapping::MappingBuilder;
