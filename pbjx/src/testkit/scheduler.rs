//! The conformance suite for [`Scheduler`] backends: every backend (and its worker) runs the
//! same checks, in real time.
//!
//! ```ignore
//! // pbjx/tests/integration/scheduler_<backend>.rs
//! use pbjx::testkit::scheduler::{self as conformance, Backend};
//!
//! struct Mine(MyScheduler);
//!
//! #[pbjx::async_trait]
//! impl Backend for Mine {
//!     fn scheduler(&self) -> Arc<dyn Scheduler> { Arc::new(self.0.clone()) }
//!     async fn start_worker(&self, pbjx: Pbjx, options: WorkerOptions) -> WorkerHandle {
//!         self.0.spawn_worker(pbjx, options)
//!     }
//! }
//!
//! #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
//! async fn conformance() {
//!     conformance::run_all(&Mine(MyScheduler::new(/* ... */))).await;
//! }
//! ```
//!
//! [`run_all`] checks the storage calls and the argument checks, then starts one worker
//! through an exchange whose `check-health` handler records every command it receives (and
//! fails for commands whose `msg` starts with `fail:`), runs the timed checks concurrently
//! (each with its own jobs and `msg` tags, scheduled [`LEAD`] ahead), waits [`SETTLE`] and
//! checks that nothing fired twice or after being replaced or cancelled. The checks panic on
//! the first violation, like `assert!`.
//!
//! Semantics the suite pins down (the [`crate::scheduler`] module docs state them):
//! - `send_at` returns the given job id, or a new time-uuid; bad ids, unfrozen commands and
//!   non-commands are rejected;
//! - a job fires once, not before its time, through the exchange: with a new `command_id` and
//!   `occurred_at`, the stripped fields re-populated by the sender's lifecycle, `ctx_retries`
//!   and the other fields kept;
//! - jobs fire in the order of their times;
//! - a replaced job never fires (its replacement does); a cancelled one never fires;
//!   cancelling unknown ids is fine;
//! - a failing send is retried with `ctx_retries` + 1 per attempt, then reported once as a
//!   `scheduled-command-failed` event, and not tried again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use pbj::Message;
use tokio::sync::Notify;

use crate::error::{Code, Error};
use crate::exchange::Pbjx;
use crate::retry::RetryPolicy;
use crate::scheduler::{Scheduler, WorkerHandle, WorkerOptions};
use crate::schemas::gdbots::pbjx::command::CheckHealthV1;
use crate::schemas::gdbots::pbjx::event::{HealthCheckedV1, ScheduledCommandFailedV1};
use crate::schemas::gdbots::pbjx::mixin::Command;
use crate::{Selector, SendAt};

/// How far ahead the timed checks schedule their first job.
pub const LEAD: Duration = Duration::from_secs(2);
/// How long the suite waits after the timed checks before its final counts.
pub const SETTLE: Duration = Duration::from_secs(3);
/// The longest wait for a job that should fire.
pub const PATIENCE: Duration = Duration::from_secs(60);
/// `ctx_ua` the sender's bind hook sets on commands that have none.
pub const SENDER_UA: &str = "conformance-sender";

/// What a backend's test hands to the suite.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// The scheduler under test (its storage exists).
    fn scheduler(&self) -> Arc<dyn Scheduler>;

    /// Starts the backend's worker, sending due jobs through `pbjx` with `options` (a backend
    /// may adapt options that do not apply to it).
    async fn start_worker(&self, pbjx: Pbjx, options: WorkerOptions) -> WorkerHandle;
}

/// One command as the handler received it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The command.
    pub command: Arc<CheckHealthV1>,
    /// When it arrived.
    pub at: SystemTime,
    /// Its position among all deliveries (0, 1, 2, ...).
    pub position: u64,
}

/// Everything the suite's exchange received.
#[derive(Default)]
pub struct Recorder {
    deliveries: Mutex<HashMap<String, Vec<Delivery>>>,
    failures: Mutex<Vec<Arc<ScheduledCommandFailedV1>>>,
    counter: AtomicU64,
    changed: Notify,
}

impl Recorder {
    fn record(&self, command: Arc<CheckHealthV1>) {
        let msg = command.msg().unwrap_or_default().to_owned();
        let delivery = Delivery {
            command,
            at: SystemTime::now(),
            position: self.counter.fetch_add(1, Ordering::SeqCst),
        };
        lock(&self.deliveries)
            .entry(msg)
            .or_default()
            .push(delivery);
        self.changed.notify_waiters();
    }

    /// The deliveries of commands with this `msg`.
    pub fn deliveries(&self, msg: &str) -> Vec<Delivery> {
        lock(&self.deliveries).get(msg).cloned().unwrap_or_default()
    }

    /// The `scheduled-command-failed` events for `job_id`.
    pub fn failures(&self, job_id: &str) -> Vec<Arc<ScheduledCommandFailedV1>> {
        lock(&self.failures)
            .iter()
            .filter(|f| f.job_id() == Some(job_id))
            .cloned()
            .collect()
    }

    /// Waits (at most [`PATIENCE`]) until `ready` holds; panics naming `what` otherwise.
    pub async fn wait_for(&self, what: &str, ready: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let changed = self.changed.notified();
            if ready(self) {
                return;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(!left.is_zero(), "timed out waiting for {what}");
            let _ = tokio::time::timeout(left.min(Duration::from_millis(200)), changed).await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The running suite: the scheduler, the exchange sending through it and what it received.
pub struct Suite {
    /// The scheduler under test.
    pub scheduler: Arc<dyn Scheduler>,
    /// The exchange (with the scheduler, the recording handler and the sender's bind hook).
    pub pbjx: Pbjx,
    /// What the exchange received.
    pub recorder: Arc<Recorder>,
    worker: WorkerHandle,
}

/// The worker options of the suite: 3 attempts 100–300 ms apart, 100 ms polls, no long polls.
pub fn worker_options() -> WorkerOptions {
    WorkerOptions::default()
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_base_delay(Duration::from_millis(100))
                .with_max_delay(Duration::from_millis(300)),
        )
        .with_poll_interval(Duration::from_millis(100))
        .with_wait_time(Duration::ZERO)
}

impl Suite {
    /// Builds the exchange and starts the backend's worker with [`worker_options`].
    pub async fn start(backend: &dyn Backend) -> Suite {
        let scheduler = backend.scheduler();
        let recorder = Arc::new(Recorder::default());
        let (handled, reported) = (recorder.clone(), recorder.clone());
        let pbjx = Pbjx::builder()
            .scheduler_arc(scheduler.clone())
            .on_bind(Selector::mixin::<Command>(), |event| {
                if let Some(message) = event.message_mut()
                    && message.schema().field("ctx_ua").is_some()
                    && !message.data().has("ctx_ua")
                {
                    message.data_mut().set("ctx_ua", SENDER_UA)?;
                }
                Ok(())
            })
            .command(move |command: Arc<CheckHealthV1>, _pbjx| {
                let recorder = handled.clone();
                async move {
                    let failing = command.msg().unwrap_or_default().starts_with("fail:");
                    recorder.record(command);
                    if failing {
                        return Err(Error::handler(Code::Unavailable, "Boom", "boom"));
                    }
                    Ok(())
                }
            })
            .subscribe(move |failed: Arc<ScheduledCommandFailedV1>, _pbjx| {
                let recorder = reported.clone();
                async move {
                    lock(&recorder.failures).push(failed);
                    recorder.changed.notify_waiters();
                    Ok(())
                }
            })
            .build()
            .expect("the suite's exchange builds");
        let worker = backend.start_worker(pbjx.clone(), worker_options()).await;
        Suite {
            scheduler,
            pbjx,
            recorder,
            worker,
        }
    }

    /// Stops the worker.
    pub async fn stop(self) {
        self.worker.shutdown().await;
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh tag `{name}-{uuid}-{n}` for job ids and `msg`s.
pub fn fresh(name: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{name}-{}-{n}",
        pbj::well_known::identifier::generate_uuid()
    )
}

/// The time `after` from now.
pub fn in_(after: Duration) -> SendAt {
    SendAt::from(SystemTime::now() + after)
}

/// A check-health command with this `msg`, as scheduled by an app: a user agent and tenant of
/// the scheduling request, and a retry count.
pub fn command(msg: &str) -> CheckHealthV1 {
    CheckHealthV1::new()
        .with_msg(msg)
        .and_then(|c| c.with_ctx_ua("scheduling-agent"))
        .and_then(|c| c.with_ctx_tenant_id("tenant-1"))
        .and_then(|c| c.with_ctx_retries(1))
        .expect("valid command")
}

/// Runs every check against `backend`.
///
/// Needs a multi-thread tokio runtime when the backend blocks (SQLite) or talks to a server.
pub async fn run_all(backend: &dyn Backend) {
    let scheduler = backend.scheduler();
    check_storage(&*scheduler).await;
    check_arguments(&*scheduler).await;
    let suite = Suite::start(backend).await;
    let ((fired, replaced, cancelled), (ordered, failing, defaulted)) = tokio::join!(
        async {
            tokio::join!(
                check_fires_once(&suite),
                check_replace(&suite),
                check_cancel(&suite)
            )
        },
        async {
            tokio::join!(
                check_order(&suite),
                check_failing_send(&suite),
                check_default_job_id(&suite)
            )
        },
    );
    tokio::time::sleep(SETTLE).await;
    let recorder = &suite.recorder;
    for msg in [&fired, &replaced.1, &defaulted]
        .into_iter()
        .chain(&ordered)
    {
        assert_eq!(recorder.deliveries(msg).len(), 1, "[{msg}] fired once");
    }
    for msg in [&replaced.0, &cancelled] {
        assert!(recorder.deliveries(msg).is_empty(), "[{msg}] never fired");
    }
    let (job, msg) = failing;
    assert_eq!(recorder.deliveries(&msg).len(), 3, "3 attempts, then none");
    assert_eq!(recorder.failures(&job).len(), 1, "reported once");
    suite.stop().await;
}

/// `create_storage` can run again; `describe_storage` says something.
pub async fn check_storage(scheduler: &dyn Scheduler) {
    scheduler
        .create_storage()
        .await
        .expect("create_storage again");
    let text = scheduler
        .describe_storage()
        .await
        .expect("describe_storage");
    assert!(!text.trim().is_empty(), "describe_storage is empty");
    assert!(!scheduler.name().is_empty());
}

/// Bad job ids, unfrozen commands and non-commands are rejected.
pub async fn check_arguments(scheduler: &dyn Scheduler) {
    let frozen = || {
        let mut c = command("arguments");
        c.freeze();
        Arc::new(c) as Arc<dyn Message>
    };
    for id in [String::new(), "x".repeat(256), "a\nb".to_owned()] {
        let err = scheduler
            .send_at(frozen(), in_(Duration::from_secs(3600)), Some(id.clone()))
            .await
            .expect_err("a bad job id is rejected");
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "[{id}]: {err:?}"
        );
    }
    let unfrozen: Arc<dyn Message> = Arc::new(command("arguments"));
    let err = scheduler
        .send_at(unfrozen, in_(Duration::from_secs(3600)), None)
        .await
        .expect_err("an unfrozen command is rejected");
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let mut event = HealthCheckedV1::new();
    event.freeze();
    let err = scheduler
        .send_at(Arc::new(event), in_(Duration::from_secs(3600)), None)
        .await
        .expect_err("an event is rejected");
    assert!(matches!(err, Error::WrongMessageKind { .. }), "{err:?}");
    scheduler
        .cancel_jobs(Vec::new())
        .await
        .expect("cancelling nothing");
}

/// A job fires once, not before its time, with fresh ids and the sender's context; returns
/// its `msg`.
pub async fn check_fires_once(suite: &Suite) -> String {
    let msg = fresh("fires");
    let job = fresh("job-fires");
    let original = command(&msg);
    let original_id = original.command_id().map(str::to_owned);
    let at = in_(LEAD);
    let id = suite
        .pbjx
        .send_at(original, at, Some(job.clone()))
        .await
        .expect("send_at");
    assert_eq!(id, job);
    suite
        .recorder
        .wait_for(&format!("[{msg}] to fire"), |r| {
            !r.deliveries(&msg).is_empty()
        })
        .await;
    let delivery = &suite.recorder.deliveries(&msg)[0];
    assert!(
        SendAt::from(delivery.at) >= at,
        "[{msg}] fired before its time"
    );
    let sent = &delivery.command;
    assert_ne!(sent.command_id().map(str::to_owned), original_id);
    let occurred = sent.occurred_at().expect("occurred_at is set");
    let at_micros = u128::try_from(at.unix_seconds()).unwrap_or(0) * 1_000_000
        + u128::from(at.subsec_nanos() / 1_000);
    assert!(
        occurred.as_micros() >= at_micros,
        "occurred_at is the time of sending"
    );
    assert_eq!(
        sent.ctx_ua(),
        Some(SENDER_UA),
        "the sender re-populates ctx_ua"
    );
    assert_eq!(sent.ctx_retries(), Some(1), "ctx_retries is kept");
    assert_eq!(sent.ctx_tenant_id(), Some("tenant-1"));
    msg
}

/// A replaced job never fires, its replacement does; returns (replaced msg, replacement msg).
pub async fn check_replace(suite: &Suite) -> (String, String) {
    let (old, new) = (fresh("replaced"), fresh("replacement"));
    let job = fresh("job-replace");
    for (msg, after) in [(&old, LEAD), (&new, LEAD + Duration::from_secs(1))] {
        let id = suite
            .pbjx
            .send_at(command(msg), in_(after), Some(job.clone()))
            .await
            .expect("send_at");
        assert_eq!(id, job);
    }
    suite
        .recorder
        .wait_for(&format!("[{new}] to fire"), |r| {
            !r.deliveries(&new).is_empty()
        })
        .await;
    assert!(
        suite.recorder.deliveries(&old).is_empty(),
        "the replaced job fired"
    );
    (old, new)
}

/// A cancelled job never fires; cancelling unknown ids is fine. Returns its `msg`.
pub async fn check_cancel(suite: &Suite) -> String {
    let msg = fresh("cancelled");
    let job = fresh("job-cancel");
    suite
        .pbjx
        .send_at(command(&msg), in_(LEAD), Some(job.clone()))
        .await
        .expect("send_at");
    suite
        .pbjx
        .cancel_jobs(vec![fresh("unknown"), job.clone(), job])
        .await
        .expect("cancel_jobs");
    msg
}

/// Jobs fire in the order of their times, each not before it. Returns their `msg`s.
pub async fn check_order(suite: &Suite) -> Vec<String> {
    let msgs: Vec<String> = (0..3).map(|i| fresh(&format!("order{i}"))).collect();
    let mut times = Vec::new();
    // One second apart from one start (a backend may keep whole seconds only), scheduled out
    // of order: the last first.
    let start = SystemTime::now() + LEAD;
    for i in [2usize, 0, 1] {
        let at = SendAt::from(start + Duration::from_secs(i as u64));
        suite
            .pbjx
            .send_at(command(&msgs[i]), at, None)
            .await
            .expect("send_at");
        times.push((i, at));
    }
    suite
        .recorder
        .wait_for("the ordered jobs to fire", |r| {
            msgs.iter().all(|m| !r.deliveries(m).is_empty())
        })
        .await;
    // Each job's first delivery: its position among all deliveries and when it fired.
    let first: Vec<(u64, SendAt)> = msgs
        .iter()
        .map(|m| {
            let d = &suite.recorder.deliveries(m)[0];
            (d.position, SendAt::from(d.at))
        })
        .collect();
    let positions: Vec<u64> = first.iter().map(|&(position, _)| position).collect();
    let timeline: Vec<String> = times
        .iter()
        .map(|&(i, at)| format!("job {i} due {at}, fired {}", first[i].1))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "jobs fired out of order: {positions:?} ({})",
        timeline.join("; ")
    );
    for (i, at) in times {
        assert!(first[i].1 >= at);
    }
    msgs
}

/// A failing send is tried 3 times with `ctx_retries` 1, 2, 3, then reported once. Returns
/// (job id, msg).
pub async fn check_failing_send(suite: &Suite) -> (String, String) {
    let msg = format!("fail:{}", fresh("failing"));
    let job = fresh("job-failing");
    let at = in_(LEAD);
    suite
        .pbjx
        .send_at(command(&msg), at, Some(job.clone()))
        .await
        .expect("send_at");
    suite
        .recorder
        .wait_for(&format!("[{job}] to be reported"), |r| {
            !r.failures(&job).is_empty()
        })
        .await;
    let attempts = suite.recorder.deliveries(&msg);
    let retries: Vec<Option<i64>> = attempts.iter().map(|d| d.command.ctx_retries()).collect();
    assert_eq!(retries, [Some(1), Some(2), Some(3)], "one more per attempt");
    let failure = &suite.recorder.failures(&job)[0];
    assert_eq!(failure.attempts(), Some(3));
    assert_eq!(failure.error_code(), Some(Code::Unavailable.value()));
    assert_eq!(failure.error_message(), Some("boom"));
    let reported = failure
        .command_as::<CheckHealthV1>()
        .expect("the failed command is in the report");
    assert_eq!(reported.msg(), Some(msg.as_str()));
    assert_eq!(
        failure.ctx_tenant_id(),
        Some("tenant-1"),
        "context of the command"
    );
    // the job's time, as the backend stores it (whole seconds rounded up, or finer)
    let reported = failure.send_at().expect("send_at").unix_micros() / 1_000_000;
    assert!(
        (at.unix_seconds()..=at.unix_seconds() + 1).contains(&reported),
        "send_at {reported} for a job at {at}"
    );
    (job, msg)
}

/// Without a job id the scheduler returns a new time-uuid, and the job fires. Returns its
/// `msg`.
pub async fn check_default_job_id(suite: &Suite) -> String {
    let msg = fresh("default-id");
    let id = suite
        .pbjx
        .send_at(command(&msg), in_(LEAD), None)
        .await
        .expect("send_at");
    assert!(
        pbj::well_known::identifier::is_valid_time_uuid(&id),
        "[{id}] is a time-uuid"
    );
    suite
        .recorder
        .wait_for(&format!("[{msg}] to fire"), |r| {
            !r.deliveries(&msg).is_empty()
        })
        .await;
    msg
}
