//! # pbjx: the Pbj exchange runtime
//!
//! Placeholder crate: the exchange (send / publish / request, lifecycle hooks, transports,
//! event store, event search, scheduler) is built on top of [`pbj`] in the following issues.

pub use pbj;
