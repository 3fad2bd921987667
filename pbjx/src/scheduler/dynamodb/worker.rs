//! The worker: receives due jobs from the queue, continues `resend_at` chains, sends the
//! commands through the exchange and deletes what was sent.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::{Message as SqsMessage, MessageSystemAttributeName};
use tokio_util::sync::CancellationToken;

use super::{
    BACKEND, EXECUTION_ARN_KEY_NAME, ExecutionInput, HASH_KEY_NAME, Inner, PAYLOAD_KEY_NAME,
    SEND_AT_KEY_NAME, string_attr,
};
use crate::aws::{error_code, storage_error};
use crate::error::{Error, Result};
use crate::event_store::dynamodb::from_sdk_value;
use crate::scheduler::clock;
use crate::scheduler::dispatch::{Dispatcher, DueJob, Outcome};
use crate::scheduler::worker::{WorkerOptions, pause};
use crate::time::SendAt;

/// The longest a worker waits for a job delivered before its time (a state machine clock
/// running ahead, an emulator rounding its waits down) before sending it; a job delivered
/// even earlier is put back in the queue until its time.
const MAX_EARLY_WAIT: Duration = Duration::from_secs(5);

/// What the state machine delivers.
struct Delivery {
    job_id: String,
    execution_arn: String,
    input: ExecutionInput,
}

fn parse(body: &str) -> Option<Delivery> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    Some(Delivery {
        job_id: value.get("job_id")?.as_str()?.to_owned(),
        execution_arn: value.get("execution_arn")?.as_str()?.to_owned(),
        input: ExecutionInput::from_value(value.get("input")?)?,
    })
}

/// What to do with a message once handled.
enum Done {
    /// Delete it.
    Delete,
    /// Make it visible again after this delay.
    Later(Duration),
    /// Leave it: it becomes visible again after the queue's visibility timeout.
    Leave,
}

pub(super) async fn run(
    inner: Arc<Inner>,
    dispatcher: Dispatcher,
    options: WorkerOptions,
    token: CancellationToken,
) {
    let mut held = Held::default();
    while !token.is_cancelled() {
        let url = match inner.queue_url().await {
            Ok(url) => url,
            Err(e) => {
                tracing::error!(error = %e, "the scheduler worker cannot find its queue");
                pause(&token, options.poll_interval()).await;
                continue;
            }
        };
        // While deliveries are held, wait for new ones no longer than until the first is due.
        let wait = i32::try_from(held.wait(now(), options.wait_time()).as_secs()).unwrap_or(20);
        let max = i32::try_from(options.batch_size().min(10)).unwrap_or(10);
        let receive = inner
            .sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(max)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send();
        let received = tokio::select! {
            () = token.cancelled() => break,
            received = receive => received,
        };
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                let e = storage_error(BACKEND, &format!("ReceiveMessage from [{url}]"), e);
                tracing::error!(error = %e, "the scheduler worker cannot receive jobs");
                pause(&token, options.poll_interval()).await;
                continue;
            }
        };
        let received_none = messages.is_empty();
        held.add(messages);
        let mut ready = held.take_ready(now()).into_iter();
        for received in ready.by_ref() {
            let done = handle(&inner, &dispatcher, &received).await;
            settle(&inner, &url, &received.message, done).await;
            if token.is_cancelled() {
                break;
            }
        }
        // Shutting down: hand back the messages not started.
        hand_back(&inner, &url, ready).await;
        if received_none && wait == 0 {
            pause(&token, held.wait(now(), options.poll_interval())).await;
        }
    }
    if let Ok(url) = inner.queue_url().await {
        hand_back(&inner, &url, std::mem::take(&mut held.messages)).await;
    }
}

/// Makes `received` visible in the queue again at once (not handled by this worker).
async fn hand_back(inner: &Inner, url: &str, received: impl IntoIterator<Item = Received>) {
    for received in received {
        settle(inner, url, &received.message, Done::Later(Duration::ZERO)).await;
    }
}

/// Now, in unix microseconds.
fn now() -> i64 {
    clock::micros(SendAt::now())
}

/// Deliveries received before their time, waiting in the order of their times.
///
/// An execution may deliver a job up to a second early (an emulator rounding its waits down, a
/// clock running ahead), and a queue hands messages out in any order. Holding early deliveries
/// here while the worker keeps receiving means a job due earlier that arrives later still fires
/// first: jobs fire in the order of their times, received together or not. A delivery more
/// than [`MAX_EARLY_WAIT`] early is not held: the worker puts it back in the queue.
#[derive(Default)]
struct Held {
    /// By time; equal times keep the queue's order.
    messages: Vec<Received>,
}

/// A received message, its body parsed once.
struct Received {
    /// When due, in unix microseconds (messages that are not deliveries are due at once: they
    /// are dropped).
    due: i64,
    /// The delivery; `None` when the body is not one.
    delivery: Option<Delivery>,
    message: SqsMessage,
}

impl Held {
    /// Adds received messages (a message received again replaces its earlier copy, whose
    /// receipt handle is stale).
    fn add(&mut self, received: Vec<SqsMessage>) {
        for message in received {
            let delivery = parse(message.body().unwrap_or_default());
            let due = delivery
                .as_ref()
                .and_then(|d| pbj::DateTime::parse(&d.input.send_at).ok())
                .map_or(i64::MIN, |t| t.unix_micros());
            if let Some(id) = message.message_id() {
                self.messages.retain(|r| r.message.message_id() != Some(id));
            }
            self.messages.push(Received {
                due,
                delivery,
                message,
            });
        }
        self.messages.sort_by_key(|r| r.due);
    }

    /// Takes, in the order of their times, the messages due by `now` and those too early to hold.
    fn take_ready(&mut self, now: i64) -> Vec<Received> {
        let hold_until = now.saturating_add(clock::duration_micros(MAX_EARLY_WAIT));
        let (ready, held) = std::mem::take(&mut self.messages)
            .into_iter()
            .partition(|r| r.due <= now || r.due > hold_until);
        self.messages = held;
        ready
    }

    /// How long to wait for new messages: `at_most`, or less when a held message is due sooner.
    fn wait(&self, now: i64, at_most: Duration) -> Duration {
        self.until_due(now).map_or(at_most, |d| d.min(at_most))
    }

    /// How long until the first held message is due (`None` when none is held).
    fn until_due(&self, now: i64) -> Option<Duration> {
        let first = self.messages.first()?;
        Some(Duration::from_micros(
            first.due.saturating_sub(now).max(0).unsigned_abs(),
        ))
    }
}

/// Deletes the message or changes its visibility as `done` says (failures are logged: the
/// message then comes back after its visibility timeout).
async fn settle(inner: &Inner, url: &str, message: &SqsMessage, done: Done) {
    let Some(receipt) = message.receipt_handle() else {
        return;
    };
    let result = match done {
        Done::Leave => return,
        Done::Delete => inner
            .sqs
            .delete_message()
            .queue_url(url)
            .receipt_handle(receipt)
            .send()
            .await
            .map(drop)
            .map_err(|e| storage_error(BACKEND, "DeleteMessage", e)),
        Done::Later(delay) => {
            let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
            inner
                .sqs
                .change_message_visibility()
                .queue_url(url)
                .receipt_handle(receipt)
                .visibility_timeout(i32::try_from(seconds.min(43_200)).unwrap_or(43_200))
                .send()
                .await
                .map(drop)
                .map_err(|e| storage_error(BACKEND, "ChangeMessageVisibility", e))
        }
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot settle a scheduler queue message");
    }
}

async fn handle(inner: &Inner, dispatcher: &Dispatcher, received: &Received) -> Done {
    let message = &received.message;
    let Some(delivery) = &received.delivery else {
        tracing::error!(
            body = message.body().unwrap_or_default(),
            "the scheduler queue holds a message that is not a job delivery; dropping it"
        );
        return Done::Delete;
    };
    let job_id = delivery.job_id.as_str();
    let item = match load(inner, job_id).await {
        Ok(Some(item)) => item,
        Ok(None) => {
            tracing::debug!(job_id, "the job was cancelled or sent already");
            return Done::Delete;
        }
        Err(e) => {
            tracing::error!(job_id, error = %e, "cannot read a due job; it will be tried again");
            return Done::Leave;
        }
    };
    if string_attr(&item, EXECUTION_ARN_KEY_NAME) != Some(delivery.execution_arn.as_str()) {
        tracing::debug!(job_id, "a delivery of a replaced job's old execution");
        return Done::Delete;
    }
    if let Some(next) = delivery.input.next_leg() {
        return next_leg(inner, delivery, &next).await;
    }
    let attempt = message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1);
    let send_at = item
        .get(SEND_AT_KEY_NAME)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok())
        .map_or_else(SendAt::now, SendAt::from_unix_seconds);
    // Never before its time, even if the state machine's clock runs ahead of ours.
    let early = clock::micros(send_at).saturating_sub(now());
    if early > 0 {
        let early = Duration::from_micros(early.unsigned_abs());
        if early > MAX_EARLY_WAIT {
            return Done::Later(early);
        }
        tokio::time::sleep(early).await;
    }
    let outcome = dispatcher
        .deliver(DueJob {
            job_id,
            send_at,
            command: decode(inner, job_id, &item),
            attempt,
        })
        .await;
    match outcome {
        Outcome::Sent | Outcome::Reported => {
            delete_job(inner, job_id, &delivery.execution_arn).await;
            Done::Delete
        }
        Outcome::Retry(delay) | Outcome::Unreported(delay) => Done::Later(delay),
    }
}

/// The job item (strongly consistent read).
async fn load(inner: &Inner, job_id: &str) -> Result<Option<HashMap<String, AttributeValue>>> {
    let table = &inner.resources.table;
    let out = inner
        .dynamodb
        .get_item()
        .table_name(table)
        .key(HASH_KEY_NAME, AttributeValue::S(job_id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| {
            storage_error(
                BACKEND,
                &format!("GetItem of job [{job_id}] from [{table}]"),
                e,
            )
        })?;
    Ok(out.item)
}

/// The stored command.
fn decode(
    inner: &Inner,
    job_id: &str,
    item: &HashMap<String, AttributeValue>,
) -> Result<Box<dyn pbj::Message>> {
    let corrupt = |message: String| Error::Corrupt {
        backend: BACKEND.to_owned(),
        location: format!("job [{job_id}] in [{}]", inner.resources.table),
        message,
    };
    let payload = item
        .get(PAYLOAD_KEY_NAME)
        .ok_or_else(|| corrupt("no payload".to_owned()))?;
    let pbj::marshal::dynamodb::AttributeValue::M(fields) =
        from_sdk_value(payload).map_err(corrupt)?
    else {
        return Err(corrupt("the payload is not a map".to_owned()));
    };
    pbj::marshal::dynamodb::unmarshal(&fields, &inner.registry)
        .map_err(|e| corrupt(format!("the stored command does not decode: {e}")))
}

/// Deletes the job if it still names `execution_arn` (a replacement written meanwhile stays).
async fn delete_job(inner: &Inner, job_id: &str, execution_arn: &str) {
    let deleted = inner
        .dynamodb
        .delete_item()
        .table_name(&inner.resources.table)
        .key(HASH_KEY_NAME, AttributeValue::S(job_id.to_owned()))
        .condition_expression("#arn = :arn")
        .expression_attribute_names("#arn", EXECUTION_ARN_KEY_NAME)
        .expression_attribute_values(":arn", AttributeValue::S(execution_arn.to_owned()))
        .send()
        .await;
    if let Err(e) = deleted
        && error_code(&e) != Some("ConditionalCheckFailedException")
    {
        // The command was sent; the item expires through its TTL.
        tracing::warn!(job_id, error = %storage_error(BACKEND, "DeleteItem", e), "cannot delete a sent job");
    }
}

/// Starts the next leg of a chain and records it on the job item.
async fn next_leg(inner: &Inner, delivery: &Delivery, next: &ExecutionInput) -> Done {
    let job_id = delivery.job_id.as_str();
    let arn = match inner.start_execution(next).await {
        Ok(arn) => arn,
        Err(e) => {
            tracing::error!(job_id, error = %e, "cannot start the next leg of a job; it will be tried again");
            return Done::Leave;
        }
    };
    let recorded = inner
        .dynamodb
        .update_item()
        .table_name(&inner.resources.table)
        .key(HASH_KEY_NAME, AttributeValue::S(job_id.to_owned()))
        .update_expression("SET #arn = :next")
        .condition_expression("#arn = :ended")
        .expression_attribute_names("#arn", EXECUTION_ARN_KEY_NAME)
        .expression_attribute_values(":next", AttributeValue::S(arn.clone()))
        .expression_attribute_values(":ended", AttributeValue::S(delivery.execution_arn.clone()))
        .send()
        .await;
    match recorded {
        Ok(_) => Done::Delete,
        Err(e) => {
            inner.stop_execution(job_id, &arn).await;
            if error_code(&e) == Some("ConditionalCheckFailedException") {
                // replaced or cancelled meanwhile
                Done::Delete
            } else {
                tracing::error!(job_id, error = %storage_error(BACKEND, "UpdateItem", e), "cannot record the next leg of a job; it will be tried again");
                Done::Leave
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(job: &str, send_at: &str) -> SqsMessage {
        let body = serde_json::json!({
            "job_id": job,
            "execution_arn": format!("arn:{job}"),
            "input": {"job_id": job, "send_at": send_at},
        });
        SqsMessage::builder().body(body.to_string()).build()
    }

    fn ids(received: &[Received]) -> Vec<String> {
        received
            .iter()
            .map(|r| {
                r.delivery
                    .as_ref()
                    .map_or_else(String::new, |d| d.job_id.clone())
            })
            .collect()
    }

    /// 2030-01-01T00:00:00Z plus `seconds`, in unix microseconds.
    fn at(seconds: i64) -> i64 {
        (1_893_456_000 + seconds) * 1_000_000
    }

    #[test]
    fn held_deliveries_fire_in_the_order_of_their_times() {
        let mut held = Held::default();
        held.add(vec![
            delivery("c", "2030-01-01T00:00:03Z"),
            delivery("a", "2030-01-01T00:00:01Z"),
            SqsMessage::builder().body("not a delivery").build(),
            delivery("b1", "2030-01-01T00:00:02Z"),
            delivery("far", "2030-01-01T00:01:00Z"),
        ]);
        // due now: the non-delivery and `a`; `far` is too early to hold
        assert_eq!(ids(&held.take_ready(at(1))), ["", "a", "far"]);
        assert_eq!(held.until_due(at(1)), Some(Duration::from_secs(1)));
        // `b2` arrives later than `c` but is due before it
        held.add(vec![delivery("b2", "2030-01-01T00:00:02Z")]);
        assert_eq!(ids(&held.take_ready(at(2))), ["b1", "b2"]);
        assert_eq!(held.until_due(at(5)), Some(Duration::ZERO));
        assert_eq!(ids(&std::mem::take(&mut held.messages)), ["c"]);
        assert_eq!(held.until_due(at(5)), None);
    }

    #[test]
    fn a_message_received_again_replaces_its_copy() {
        let copy = |receipt: &str| {
            let mut m = delivery("a", "2030-01-01T00:00:01Z");
            m.message_id = Some("m-1".to_owned());
            m.receipt_handle = Some(receipt.to_owned());
            m
        };
        let mut held = Held::default();
        held.add(vec![copy("first")]);
        held.add(vec![copy("second")]);
        let all = std::mem::take(&mut held.messages);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].message.receipt_handle(), Some("second"));
    }
}
