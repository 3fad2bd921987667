//! pbjx's integration tests, one module per area, linked into one test binary: every test
//! binary links the whole crate with every backend, so one binary instead of one per file keeps
//! the build small and fast. Run one area with a filter: `cargo test -p pbjx --all-features
//! --test integration event_store_sqlite::`.

#[cfg(feature = "kinesis")]
mod aws;
mod temp;

/// The libtest name of the test `name` in `module` (a `module_path!()`): the path without the
/// crate, as `--exact` wants it when a test runs itself in a child process.
pub fn test_name(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_, path)) => format!("{path}::{name}"),
        None => name.to_owned(),
    }
}

mod command;
mod consumer_checkpoint;
mod consumer_kinesis;
mod context;
mod describe;
mod errors;
mod event;
mod event_store;
mod event_store_dynamodb;
mod event_store_memory;
mod event_store_sqlite;
mod http;
mod http_robustness;
mod lifecycle;
mod outbox;
mod registration;
mod request;
mod scheduler;
mod scheduler_dynamodb;
mod scheduler_sqlite;
mod search_elasticsearch;
mod search_reindex;
mod search_tantivy;
mod state;
mod transport_debugger;
mod transport_envelope;
mod transport_firehose;
mod transport_kinesis;
mod transport_local;
mod transport_router;
