//! Conformance suites for backends (cargo feature `testkit`): one module per service trait,
//! run by every backend's tests so that all backends keep the same semantics.
//!
//! pbjx's own tests enable the feature through the self dev-dependency
//! `pbjx = { path = ".", features = ["testkit"] }`; a third-party backend adds
//! `pbjx = { version = "...", features = ["testkit"] }` to its dev-dependencies.

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod event_store;
#[cfg(any(feature = "kinesis", feature = "firehose"))]
pub mod faults;
mod faulty_search;
pub mod scheduler;
pub mod search;
#[cfg(any(feature = "kinesis", feature = "firehose"))]
pub use faults::FaultyRecordApi;
pub use faulty_search::FaultyEventSearch;
pub mod checkpoint;
