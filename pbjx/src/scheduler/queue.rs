//! The worker loop of backends that keep jobs in a table they can claim from (SQLite): claim
//! the due jobs with a lease, send them one by one, delete the sent ones, re-schedule the
//! failed ones, hand back the rest on shutdown.

use std::sync::Arc;

use pbj::Message;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::clock::{duration_micros, from_micros};
use super::dispatch::{Dispatcher, DueJob, Outcome};
use super::worker::{WorkerOptions, pause};
use crate::error::Result;

/// A claimed job.
pub(crate) struct Claimed {
    pub(crate) job_id: String,
    /// Microseconds since the epoch.
    pub(crate) send_at: i64,
    /// Failed attempts so far.
    pub(crate) attempts: u32,
    /// The stored command, or why it cannot be decoded.
    pub(crate) command: Result<Box<dyn Message>>,
}

/// A job table that workers claim jobs from. Times are microseconds since the epoch; a claim
/// is identified by its lease token (unique per claim), and every change a worker makes to a
/// job applies only while the job still holds that lease (a job replaced meanwhile lost it).
#[async_trait::async_trait]
pub(crate) trait JobTable: Send + Sync + 'static {
    /// Claims up to `limit` jobs due at `now` whose lease (if any) has expired, oldest due
    /// first, setting their lease to `lease` until `lease_until`.
    async fn claim(
        &self,
        now: i64,
        lease: &str,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>>;

    /// Deletes the jobs still holding `lease`.
    async fn delete(&self, lease: &str, job_ids: Vec<String>) -> Result<()>;

    /// Re-schedules a job still holding `lease` at `due` with `attempts` failed attempts and
    /// no lease.
    async fn reschedule(&self, lease: &str, job_id: &str, attempts: u32, due: i64) -> Result<()>;

    /// Removes `lease` from the jobs still holding it.
    async fn release(&self, lease: &str, job_ids: Vec<String>) -> Result<()>;

    /// The earliest due time of the jobs without a lease.
    async fn next_due(&self) -> Result<Option<i64>>;

    /// Notified when this process schedules a job (the worker may have to wake earlier).
    fn scheduled(&self) -> Arc<Notify>;
}

/// Runs a worker on `table` until `token` is cancelled.
pub(crate) async fn run(
    table: Arc<dyn JobTable>,
    dispatcher: Dispatcher,
    options: WorkerOptions,
    token: CancellationToken,
) {
    let worker_id = pbj::well_known::identifier::generate_uuid();
    let clock = options.clock();
    let lease_micros = duration_micros(options.lease());
    let wake = table.scheduled();
    let mut claims = 0u64;
    while !token.is_cancelled() {
        claims += 1;
        let lease = format!("{worker_id}:{claims}");
        let now = clock.now_micros();
        let limit = options.batch_size();
        let batch = match table
            .claim(now, &lease, now.saturating_add(lease_micros), limit)
            .await
        {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!(error = %e, "the scheduler worker cannot claim jobs");
                pause(&token, options.poll_interval()).await;
                continue;
            }
        };
        let full = batch.len() >= limit;
        // Start sends only in the first half of the lease, far from its end.
        let send_until = now.saturating_add(lease_micros / 2);
        work(
            &*table,
            &dispatcher,
            &options,
            &token,
            &lease,
            batch,
            send_until,
        )
        .await;
        if !full {
            wait(&*table, &options, &token, &wake).await;
        }
    }
}

/// Sends a claimed batch in due order, then deletes what was sent and hands back what was
/// not started.
async fn work(
    table: &dyn JobTable,
    dispatcher: &Dispatcher,
    options: &WorkerOptions,
    token: &CancellationToken,
    lease: &str,
    mut batch: Vec<Claimed>,
    send_until: i64,
) {
    let clock = options.clock();
    batch.sort_by_key(|job| job.send_at);
    let mut done = Vec::new();
    let mut left = Vec::new();
    for job in batch {
        if token.is_cancelled() || clock.now_micros() >= send_until {
            left.push(job.job_id);
            continue;
        }
        let attempt = job.attempts.saturating_add(1);
        let outcome = dispatcher
            .deliver(DueJob {
                job_id: &job.job_id,
                send_at: from_micros(job.send_at),
                command: job.command,
                attempt,
            })
            .await;
        let (attempts, delay) = match outcome {
            Outcome::Sent | Outcome::Reported => {
                done.push(job.job_id);
                continue;
            }
            Outcome::Retry(delay) => (attempt, delay),
            Outcome::Unreported(delay) => (job.attempts, delay),
        };
        let due = clock.now_micros().saturating_add(duration_micros(delay));
        if let Err(e) = table.reschedule(lease, &job.job_id, attempts, due).await {
            // The lease runs out and the job is claimed again.
            tracing::error!(job_id = job.job_id, error = %e, "cannot re-schedule a failed job");
        }
    }
    if !done.is_empty()
        && let Err(e) = table.delete(lease, done).await
    {
        // The lease runs out and the jobs are sent again (at least once).
        tracing::error!(error = %e, "cannot delete sent jobs; they will be sent again");
    }
    if !left.is_empty()
        && let Err(e) = table.release(lease, left).await
    {
        tracing::warn!(error = %e, "cannot hand back claimed jobs; their lease runs out");
    }
}

/// Waits until the next known due time, a job scheduled by this process, the poll interval or
/// cancellation, whichever comes first.
async fn wait(
    table: &dyn JobTable,
    options: &WorkerOptions,
    token: &CancellationToken,
    wake: &Notify,
) {
    let poll = options.poll_interval();
    let delay = match table.next_due().await {
        Ok(Some(due)) => {
            let micros = due.saturating_sub(options.clock().now_micros()).max(0);
            std::time::Duration::from_micros(micros.unsigned_abs()).min(poll)
        }
        Ok(None) => poll,
        Err(e) => {
            tracing::error!(error = %e, "the scheduler worker cannot read the next due time");
            poll
        }
    };
    if delay.is_zero() {
        return;
    }
    tokio::select! {
        () = token.cancelled() => {}
        () = tokio::time::sleep(delay) => {}
        () = wake.notified() => {}
    }
}
