//! Optional services reachable from [`crate::Pbjx`]: the event store, event search and the
//! scheduler. Until one is configured, the accessors return [`crate::Error::NotConfigured`].

use std::sync::Arc;

use pbj::Message;

use crate::error::Result;
use crate::time::SendAt;

pub use crate::event_store::EventStore;

/// Indexes and searches events (backends: embedded, Elasticsearch).
pub trait EventSearch: Send + Sync + 'static {
    /// A short backend name for logs.
    fn name(&self) -> &str;
}

/// Sends commands at a later time and cancels scheduled jobs. Implementors write plain
/// `async fn`s inside `#[pbjx::async_trait]`; the trait stays object-safe.
///
/// ```
/// use std::sync::Arc;
/// use pbjx::SendAt;
/// use pbjx::pbj::Message;
/// use pbjx::services::Scheduler;
///
/// struct Noop;
///
/// #[pbjx::async_trait]
/// impl Scheduler for Noop {
///     async fn send_at(
///         &self,
///         _command: Arc<dyn Message>,
///         at: SendAt,
///         job_id: Option<String>,
///     ) -> pbjx::Result<String> {
///         Ok(job_id.unwrap_or_else(|| format!("job-{}", at.unix_seconds())))
///     }
///
///     async fn cancel_jobs(&self, _job_ids: Vec<String>) -> pbjx::Result<()> {
///         Ok(())
///     }
/// }
/// let _scheduler: Arc<dyn Scheduler> = Arc::new(Noop);
/// ```
#[async_trait::async_trait]
pub trait Scheduler: Send + Sync + 'static {
    /// Schedules the (frozen) `command` to be sent at `at`; returns the job id (`job_id` when
    /// given).
    async fn send_at(
        &self,
        command: Arc<dyn Message>,
        at: SendAt,
        job_id: Option<String>,
    ) -> Result<String>;

    /// Cancels scheduled jobs by id (unknown ids are ignored).
    async fn cancel_jobs(&self, job_ids: Vec<String>) -> Result<()>;
}
