//! Sending a due job through the exchange, shared by every backend's worker: re-populating
//! the stripped fields, retrying with backoff, reporting the final failure.

use std::time::Duration;

use pbj::{Message, Microtime};

use super::STRIPPED_FIELDS;
use crate::error::{Error, Result};
use crate::exchange::Pbjx;
use crate::failure::scheduled_command_failed;
use crate::retry::RetryPolicy;
use crate::time::SendAt;

/// The largest `ctx_retries` (a tiny-int).
const MAX_RETRIES: i64 = 255;

/// A due job as a worker found it.
pub(crate) struct DueJob<'a> {
    /// The job id.
    pub(crate) job_id: &'a str,
    /// When it was due.
    pub(crate) send_at: SendAt,
    /// The stored command (without the stripped fields), or why it cannot be read back.
    pub(crate) command: Result<Box<dyn Message>>,
    /// This attempt, 1-based.
    pub(crate) attempt: u32,
}

/// What the worker does with the job after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Sent: delete the job.
    Sent,
    /// The send failed: try again after this delay (with the attempt counted).
    Retry(Duration),
    /// The last attempt failed and was reported: delete the job.
    Reported,
    /// The last attempt failed and the report could not be published either: keep the job
    /// and try again after this delay (the attempt is not counted).
    Unreported(Duration),
}

/// Sends due jobs through an exchange.
#[derive(Clone)]
pub(crate) struct Dispatcher {
    pbjx: Pbjx,
    retry: RetryPolicy,
}

impl Dispatcher {
    pub(crate) fn new(pbjx: Pbjx, retry: RetryPolicy) -> Self {
        Self { pbjx, retry }
    }

    /// One attempt at sending `job`.
    pub(crate) async fn deliver(&self, job: DueJob<'_>) -> Outcome {
        let DueJob {
            job_id,
            send_at,
            command,
            attempt,
        } = job;
        let sending = command.and_then(|stored| prepare(stored, attempt));
        let (error, command) = match sending {
            Ok(command) => {
                let copy = command.clone_message();
                match self.pbjx.send(command).await {
                    Ok(()) => return Outcome::Sent,
                    Err(e) if self.retry.should_retry(attempt) => {
                        let delay = self.retry.delay(attempt);
                        tracing::warn!(
                            job_id, attempt, error = %e, retry_in = ?delay,
                            "a scheduled command could not be sent; it will be retried"
                        );
                        return Outcome::Retry(delay);
                    }
                    Err(e) => (e, Some(copy)),
                }
            }
            // The stored command cannot be read back: retrying cannot help.
            Err(e) => (e, None),
        };
        tracing::error!(
            job_id, attempts = attempt, error = %error,
            "a scheduled command could not be sent; reporting scheduled-command-failed"
        );
        match self
            .report(job_id, command.as_deref(), send_at, attempt, &error)
            .await
        {
            Ok(()) => Outcome::Reported,
            Err(e) => {
                let delay = self.retry.delay(self.retry.max_attempts());
                tracing::error!(
                    job_id, error = %e, retry_in = ?delay,
                    "the scheduled-command-failed event could not be published; the job is kept"
                );
                Outcome::Unreported(delay)
            }
        }
    }

    async fn report(
        &self,
        job_id: &str,
        command: Option<&dyn Message>,
        send_at: SendAt,
        attempts: u32,
        error: &Error,
    ) -> Result<()> {
        let event = scheduled_command_failed(job_id, command, send_at, attempts, error)?;
        self.pbjx.publish(event).await
    }
}

/// The command to send for attempt `attempt` (1-based) of a stored command: the stripped
/// fields cleared, a new `command_id` and `occurred_at`, `ctx_retries` raised by
/// `attempt - 1` (capped at 255; left absent on a first attempt of a command without it).
pub(crate) fn prepare(mut command: Box<dyn Message>, attempt: u32) -> Result<Box<dyn Message>> {
    if command.is_frozen() {
        command = command.clone_unfrozen();
    }
    let data = command.data_mut();
    let schema = data.schema();
    for name in STRIPPED_FIELDS {
        if schema.field(name).is_some() {
            data.clear(name)?;
        }
    }
    data.set(
        "command_id",
        pbj::well_known::identifier::generate_time_uuid(),
    )?;
    if schema.field("occurred_at").is_some() {
        data.set("occurred_at", Microtime::now())?;
    }
    let raised = i64::from(attempt.saturating_sub(1));
    if raised > 0 && schema.field("ctx_retries").is_some() {
        let stored = match data.get_single("ctx_retries") {
            Some(pbj::Value::Int(n)) => *n,
            _ => 0,
        };
        data.set(
            "ctx_retries",
            stored.saturating_add(raised).min(MAX_RETRIES),
        )?;
    }
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemas::gdbots::pbjx::command::CheckHealthV1;

    #[test]
    fn prepare_repopulates_ids_and_counts_retries() {
        let mut stored = CheckHealthV1::new()
            .with_msg("hi")
            .unwrap()
            .with_ctx_ua("old agent")
            .unwrap()
            .with_ctx_retries(2)
            .unwrap();
        let original_id = stored.command_id().unwrap().to_owned();
        stored.freeze();
        let first = prepare(Box::new(stored.clone()), 1).unwrap();
        let first = first.downcast_ref::<CheckHealthV1>().unwrap();
        assert_ne!(first.command_id(), Some(original_id.as_str()));
        assert_eq!(first.ctx_ua(), None);
        assert_eq!((first.msg(), first.ctx_retries()), (Some("hi"), Some(2)));
        let third = prepare(Box::new(stored), 3).unwrap();
        assert_eq!(
            third.downcast_ref::<CheckHealthV1>().unwrap().ctx_retries(),
            Some(4)
        );
        let fresh = prepare(Box::new(CheckHealthV1::new()), 300).unwrap();
        assert_eq!(
            fresh.downcast_ref::<CheckHealthV1>().unwrap().ctx_retries(),
            Some(255)
        );
    }
}
