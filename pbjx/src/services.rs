//! Optional services reachable from [`crate::Pbjx`]: the event store, event search and the
//! scheduler. Until one is configured, the accessors return [`crate::Error::NotConfigured`].

pub use crate::event_store::EventStore;
pub use crate::scheduler::Scheduler;
pub use crate::search::EventSearch;
