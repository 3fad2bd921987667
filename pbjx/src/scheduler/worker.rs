//! [`WorkerOptions`] and [`WorkerHandle`]: how a backend's worker runs and how it is stopped.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use crate::retry::RetryPolicy;

/// How a scheduler worker delivers due jobs. Every option has a default; backends ignore the
/// ones that do not apply to them (noted per option).
///
/// ```
/// use std::time::Duration;
/// use pbjx::RetryPolicy;
/// use pbjx::scheduler::WorkerOptions;
///
/// let options = WorkerOptions::default()
///     .with_retry(RetryPolicy::default().with_max_attempts(3))
///     .with_poll_interval(Duration::from_millis(250));
/// assert_eq!(options.retry().max_attempts(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    retry: RetryPolicy,
    batch_size: usize,
    lease: Duration,
    poll_interval: Duration,
    wait_time: Duration,
    clock: Clock,
}

impl Default for WorkerOptions {
    /// 8 attempts per job, waiting up to 1 s, 2 s, 4 s, ... (at most 5 min) between them;
    /// batches of 256 jobs; a 60 s lease; 1 s poll interval; 20 s long polls; the system clock.
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default()
                .with_max_attempts(8)
                .with_base_delay(Duration::from_secs(1))
                .with_max_delay(Duration::from_secs(300)),
            batch_size: 256,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            wait_time: Duration::from_secs(20),
            clock: Clock::system(),
        }
    }
}

impl WorkerOptions {
    /// Attempts per job and the backoff between them (then the failure is reported).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Jobs claimed at once (at least 1; SQS receives at most 10 per call).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// (SQLite) How long a claim holds its jobs; a worker starts sending a claimed job only
    /// in the first half of its lease, so another worker takes over the jobs of a worker that
    /// died after the lease ends. Keep it well above the time one send takes (at least 1 s).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    /// The longest a worker waits before looking for due jobs again when it knows of none
    /// (jobs written by other processes, expired leases; at least 1 ms).
    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval.max(Duration::from_millis(1));
        self
    }

    /// (SQS) How long one receive call waits for messages (long polling, at most 20 s;
    /// 0 polls every [`Self::with_poll_interval`]).
    pub fn with_wait_time(mut self, wait_time: Duration) -> Self {
        self.wait_time = wait_time.min(Duration::from_secs(20));
        self
    }

    /// The clock due times are compared with (tests with paused time use [`Clock::tokio`]).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Jobs claimed at once.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The lease of a claim.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The longest wait between looks for due jobs.
    pub fn poll_interval(&self) -> Duration {
        self.poll_interval
    }

    /// The long-poll wait of one receive call.
    pub fn wait_time(&self) -> Duration {
        self.wait_time
    }

    /// The clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }
}

/// A running scheduler worker (a tokio task). [`Self::shutdown`] stops it gracefully: the job
/// being sent is finished (and deleted), jobs claimed but not started are handed back.
/// Dropping the handle asks the worker to stop without waiting.
#[derive(Debug)]
pub struct WorkerHandle {
    token: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Spawns `run` (given the token that asks it to stop) on the current tokio runtime.
    pub(crate) fn spawn<F, Fut>(run: F) -> Self
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let token = CancellationToken::new();
        let task = tokio::spawn(run(token.clone()));
        Self {
            token,
            task: Some(task),
        }
    }

    /// Asks the worker to stop (it finishes the job it is sending) without waiting.
    pub fn stop(&self) {
        self.token.cancel();
    }

    /// Whether the worker task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the worker and waits until it has finished the job in flight and handed back the
    /// jobs it had claimed.
    pub async fn shutdown(mut self) {
        self.token.cancel();
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "the scheduler worker task failed");
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// Waits `delay`, or less when `token` is cancelled; returns whether it was cancelled.
pub(crate) async fn pause(token: &CancellationToken, delay: Duration) -> bool {
    tokio::select! {
        () = token.cancelled() => true,
        () = tokio::time::sleep(delay) => false,
    }
}
