//! Optional services reachable from [`crate::Pbjx`]: the event store, event search and the
//! scheduler. Their backends come in later releases; until one is configured, the accessors
//! return [`crate::Error::NotConfigured`].

use std::sync::Arc;

use pbj::Message;

use crate::error::Result;
use crate::lifecycle::BoxFuture;

pub use crate::event_store::EventStore;

/// Indexes and searches events (backends: embedded, Elasticsearch).
pub trait EventSearch: Send + Sync + 'static {
    /// A short backend name for logs.
    fn name(&self) -> &str;
}

/// Sends commands at a later time and cancels scheduled jobs.
pub trait Scheduler: Send + Sync + 'static {
    /// Schedules the (frozen) `command` to be sent at unix time `timestamp`; returns the job id
    /// (`job_id` when given).
    fn send_at(
        &self,
        command: Arc<dyn Message>,
        timestamp: i64,
        job_id: Option<String>,
    ) -> BoxFuture<'_, Result<String>>;

    /// Cancels scheduled jobs by id (unknown ids are ignored).
    fn cancel_jobs(&self, job_ids: Vec<String>) -> BoxFuture<'_, Result<()>>;
}
