//! The scheduler: commands stored now and sent through the exchange later
//! ([`crate::Pbjx::send_at`], [`crate::Pbjx::cancel_jobs`]).
//!
//! # Semantics every backend keeps (checked by `pbjx::testkit::scheduler`, feature `testkit`)
//!
//! - **Jobs.** [`Scheduler::send_at`] stores a frozen command as a job due at a time and
//!   returns its id: the id given, or a new time-uuid. An id that is already scheduled is
//!   **replaced**: the old command never fires (unless its send had already started when it was
//!   replaced). [`Scheduler::cancel_jobs`] removes jobs; unknown ids are ignored. There is no
//!   API to list jobs (as in the original).
//! - **What is stored.** The command without the fields the original strips because they
//!   belong to the moment of sending ([`STRIPPED_FIELDS`]: `command_id`, `occurred_at`,
//!   `expected_etag`, `ctx_correlator_ref`, `ctx_app`, `ctx_cloud`, `ctx_ip`, `ctx_ipv6`,
//!   `ctx_ua`). `ctx_retries` and every other field are kept.
//! - **Firing.** A worker (each backend has one: it runs in your process, beside the exchange
//!   it sends through) sends a due job's command with [`crate::Pbjx::send`]: a fresh
//!   `command_id` and `occurred_at` are set, and the bind/validate/enrich lifecycle re-populates
//!   the other stripped fields as for any command sent in that process. A job never fires
//!   before its time.
//! - **At least once.** A job is deleted only after its send succeeded. A failed send is
//!   retried with backoff ([`WorkerOptions::with_retry`]), each attempt with `ctx_retries` one
//!   higher than the one before (the first attempt keeps the stored value). After the last
//!   attempt the failure is **reported**: an `error` trace event and a
//!   `gdbots:pbjx:event:scheduled-command-failed` event ([`crate::failure::scheduled_command_failed`])
//!   carrying the job id, the command, its time, the number of attempts and the last error, are
//!   published through the exchange; then the job is deleted. If even that publish fails, the
//!   job stays and is tried again later: nothing is dropped silently. A crash between a send
//!   and the delete sends the job again (at least once, never at most once).
//!
//! Why a new core event: `event-execution-failed` reports failed *event* subscribers and its
//! `event` field accepts only events, so it cannot carry the command; the new event lives in
//! the `gdbots:pbjx` package beside it (subscribers of `gdbots:pbjx:*` see both) and uses the
//! `indexed` mixin like it.
//!
//! # Backends
//! - `SqliteScheduler` (feature `sqlite`, the default): embedded and durable; a jobs table
//!   and a worker task claiming due jobs with a lease. See its docs.
//! - `dynamodb::DynamoDbScheduler` (feature `scheduler-dynamodb`): the original's DynamoDB
//!   table and one Step Functions execution per job, with the state machine and the worker
//!   that the original left to the user shipped here. See the module docs.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, SystemTime};
//! use pbjx::Pbjx;
//! use pbjx::scheduler::{SqliteScheduler, WorkerOptions};
//! use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let scheduler = SqliteScheduler::open_in_memory(pbjx::registry())?;
//! let (sent, mut fired) = tokio::sync::mpsc::unbounded_channel();
//! let pbjx = Pbjx::builder()
//!     .scheduler(scheduler.clone())
//!     .command(move |command: Arc<CheckHealthV1>, _pbjx| {
//!         let sent = sent.clone();
//!         async move {
//!             let _ = sent.send(command.msg().unwrap_or_default().to_owned());
//!             Ok(())
//!         }
//!     })
//!     .build()?;
//! let worker = scheduler.spawn_worker(pbjx.clone(), WorkerOptions::default());
//!
//! let soon = SystemTime::now() + Duration::from_millis(200);
//! let job = pbjx.send_at(CheckHealthV1::new().with_msg("later")?, soon, Some("ping".into())).await?;
//! assert_eq!(job, "ping");
//! assert_eq!(fired.recv().await.as_deref(), Some("later"));
//! worker.shutdown().await;
//! # Ok::<(), pbjx::Error>(())
//! # }).unwrap();
//! ```

pub(crate) mod clock;
mod dispatch;
mod queue;
mod worker;

#[cfg(feature = "scheduler-dynamodb")]
pub mod dynamodb;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use clock::Clock;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteScheduler, SqliteSchedulerOptions};
pub use worker::{WorkerHandle, WorkerOptions};

use std::sync::Arc;

use pbj::Message;

use crate::error::{Error, Result};
use crate::time::SendAt;

/// The command fields a job does not store: the sender re-populates them when the job fires
/// (the original's list; `ctx_retries` is kept).
pub const STRIPPED_FIELDS: [&str; 9] = [
    "command_id",
    "occurred_at",
    "expected_etag",
    "ctx_correlator_ref",
    "ctx_app",
    "ctx_cloud",
    "ctx_ip",
    "ctx_ipv6",
    "ctx_ua",
];

/// The longest job id (bytes). Every backend rejects longer ones (and empty ones) with
/// [`Error::InvalidArgument`].
pub const MAX_JOB_ID_LEN: usize = 255;

/// The job id to use: `job_id` checked (1..=[`MAX_JOB_ID_LEN`] bytes, no control
/// characters), or a new time-uuid.
///
/// ```
/// use pbjx::scheduler::job_id;
/// assert_eq!(job_id(Some("publish-article-1".into()))?, "publish-article-1");
/// assert_eq!(job_id(None)?.len(), 36);
/// assert!(job_id(Some(String::new())).is_err());
/// # Ok::<(), pbjx::Error>(())
/// ```
pub fn job_id(job_id: Option<String>) -> Result<String> {
    let Some(id) = job_id else {
        return Ok(pbj::well_known::identifier::generate_time_uuid());
    };
    let problem = if id.is_empty() {
        Some("is empty".to_owned())
    } else if id.len() > MAX_JOB_ID_LEN {
        Some(format!("is longer than {MAX_JOB_ID_LEN} bytes"))
    } else if id.chars().any(char::is_control) {
        Some("contains a control character".to_owned())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(Error::InvalidArgument {
            message: format!("job id [{}] {problem}", id.escape_debug()),
        }),
        None => Ok(id),
    }
}

/// Checks that `command` is a frozen command (what [`crate::Pbjx::send_at`] hands to a
/// scheduler); every backend calls it before storing anything.
pub fn check_command(command: &dyn Message) -> Result<()> {
    let schema = command.schema();
    if !schema.has_mixin(crate::mixins::COMMAND) {
        return Err(Error::WrongMessageKind {
            operation: "send_at",
            mixin: crate::mixins::COMMAND,
            schema: schema.id.to_owned(),
        });
    }
    if !command.is_frozen() {
        return Err(Error::InvalidArgument {
            message: format!(
                "command [{}] must be frozen to be scheduled (Pbjx::send_at freezes it)",
                schema.id
            ),
        });
    }
    Ok(())
}

/// Stores commands to be sent later and cancels them; the [module docs](self) state the
/// semantics every backend keeps. Object safe (`Arc<dyn Scheduler>`); implementors write
/// `async fn`s under `#[pbjx::async_trait]`.
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
///     fn name(&self) -> &str {
///         "noop"
///     }
///
///     async fn create_storage(&self) -> pbjx::Result<()> {
///         Ok(())
///     }
///
///     async fn describe_storage(&self) -> pbjx::Result<String> {
///         Ok("nothing is stored".into())
///     }
///
///     async fn send_at(
///         &self,
///         _command: Arc<dyn Message>,
///         at: SendAt,
///         job_id: Option<String>,
///     ) -> pbjx::Result<String> {
///         pbjx::scheduler::job_id(job_id)
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
    /// A short backend name for logs and errors, e.g. `sqlite`.
    fn name(&self) -> &str;

    /// Creates the storage (tables, queues, state machines) if it does not exist; running it
    /// again is harmless.
    async fn create_storage(&self) -> Result<()>;

    /// Describes the storage (for operators).
    async fn describe_storage(&self) -> Result<String>;

    /// Schedules the frozen `command` to be sent at `at` (see [`check_command`]); returns the
    /// job id (`job_id` when given, else a new time-uuid; see [`job_id`]). A job with the same
    /// id is replaced. Use [`crate::Pbjx::send_at`], which runs the lifecycle and freezes.
    async fn send_at(
        &self,
        command: Arc<dyn Message>,
        at: SendAt,
        job_id: Option<String>,
    ) -> Result<String>;

    /// Cancels jobs by id; unknown ids are ignored.
    async fn cancel_jobs(&self, job_ids: Vec<String>) -> Result<()>;
}
