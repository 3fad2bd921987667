//! Event search building blocks, both pure (no I/O): the gdbots [`query`] language and the
//! Elasticsearch query bodies of the original `QueryFactory` ([`elasticsearch_query`]).

pub mod elasticsearch_query;
pub mod query;
