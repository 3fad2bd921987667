//! Cross-crate, interop and conformance tests of the workspace, one module per area, linked into
//! one test binary (the crates with every backend are linked once).

mod cli;
mod es_query;
mod generated;
mod interop;
mod lenient;
mod mapping;
mod pbjx_token;
mod query_parser;
