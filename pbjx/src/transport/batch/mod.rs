//! Batched record delivery shared by the stream transports (Kinesis `PutRecords`, Firehose
//! `PutRecordBatch`): the service seam ([`RecordApi`]), the per-call limits
//! ([`RecordLimits`]) and the sender that queues records, lingers so concurrent sends share a
//! call, and retries the records a call did not take ([`BatchOptions`]).
//!
//! # Delivery semantics
//! - A send returns `Ok` only once the service accepted the record; it returns an error naming
//!   the message when the record was refused after the last attempt or could not be sent at
//!   all. Nothing is dropped silently.
//! - Records a successful call did not take (throttling, internal errors: the per-record error
//!   codes) and calls that failed transiently are retried with the [`crate::RetryPolicy`]
//!   (exponential backoff, full jitter) up to its attempt limit; a call rejected as invalid is
//!   not retried.
//! - A record larger than the service's per-record limit is refused before anything is sent
//!   ([`crate::Error::InvalidArgument`] naming the message, its size and the limit): it is
//!   never truncated.
//! - Retried records may overtake records sent after them (as with any `PutRecords` client):
//!   ordering per partition key holds only between sends that completed one after the other.
//! - Shutdown stops accepting records and completes every queued and in-flight send.

mod limits;
mod sender;

pub use limits::{RecordLimits, plan_batches};
pub use sender::{BatchOptions, BatchSender, DEFAULT_LINGER};

use std::fmt;

use crate::error::Error;

/// The first allocation for a record's bytes (most envelopes fit; bigger ones grow it).
pub(crate) const RECORD_CAPACITY: usize = 512;

/// `curie:id` of a message (the text of its message ref without a tag), in one allocation: what
/// [`OutboundRecord::message_ref`] holds.
pub(crate) fn message_ref_text(message: &dyn pbj::Message) -> String {
    let message_ref = message.generate_message_ref(None);
    let (curie, id) = (message_ref.curie(), message_ref.id());
    let mut text = String::with_capacity(curie.len() + 1 + id.len());
    text.push_str(curie);
    text.push(':');
    text.push_str(id);
    text
}

/// One record on its way to a stream: the bytes to store, the partition key (Kinesis) and the
/// message it carries (for errors and logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRecord {
    /// The partition key (`None` for services without one, e.g. Firehose).
    pub partition_key: Option<String>,
    /// The record's bytes (the envelope JSON, plus a newline for Firehose).
    pub data: Vec<u8>,
    /// `curie:id` of the message, used to name it in errors.
    pub message_ref: String,
}

impl OutboundRecord {
    /// The bytes the service counts against its limits: data plus partition key.
    pub fn size(&self) -> usize {
        self.data.len() + self.partition_key.as_ref().map_or(0, String::len)
    }
}

/// Why the service refused one record of a call that succeeded (its `ErrorCode` and
/// `ErrorMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFailure {
    /// The service's error code, e.g. `ProvisionedThroughputExceededException`.
    pub code: String,
    /// The service's message.
    pub message: String,
}

impl fmt::Display for RecordFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// A call that failed as a whole.
#[derive(Debug, Clone)]
pub struct CallFailure {
    /// Whether trying the call again can succeed (throttling, timeouts, 5xx).
    pub retryable: bool,
    /// What went wrong ([`Error::Transport`] with the SDK error as source).
    pub error: Error,
}

impl RecordFailure {
    /// The failure of one response entry: `Some` when the service set an error code.
    pub(crate) fn of_entry(code: Option<&str>, message: Option<&str>) -> Option<Self> {
        code.map(|code| Self {
            code: code.to_owned(),
            message: message.unwrap_or_default().to_owned(),
        })
    }
}

impl CallFailure {
    /// A record the SDK refused to build: never retried.
    pub(crate) fn invalid_record(
        service: &str,
        record: &OutboundRecord,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            retryable: false,
            error: Error::transport(
                service,
                format!("invalid record for message [{}]", record.message_ref),
            )
            .with_source(source),
        }
    }

    /// A failed batch call (`what` names the operation and the channel), retryable as the
    /// shared AWS classification says.
    pub(crate) fn sdk<E>(
        service: &str,
        what: &str,
        err: aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> Self
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
    {
        Self {
            retryable: crate::aws::classify(&err).is_retryable(),
            error: crate::aws::transport_error(service, what, err),
        }
    }
}

/// The result of one batch call: per record (in the order given), `None` when the service
/// took it, else why not.
pub type CallOutcome = std::result::Result<Vec<Option<RecordFailure>>, CallFailure>;

/// The service seam of the stream transports: one batch call to a channel (a Kinesis stream,
/// a Firehose delivery stream). The AWS clients implement it; tests wrap it to inject faults
/// (`pbjx::testkit::FaultyRecordApi`), since the local emulator never throttles.
///
/// ```
/// use pbjx::transport::batch::{CallOutcome, OutboundRecord, RecordApi};
///
/// /// Takes every record (a sink for examples).
/// struct Accept;
///
/// #[pbjx::async_trait]
/// impl RecordApi for Accept {
///     fn service(&self) -> &str {
///         "accept"
///     }
///     async fn put_records(&self, _channel: &str, records: &[OutboundRecord]) -> CallOutcome {
///         Ok(vec![None; records.len()])
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait RecordApi: Send + Sync + 'static {
    /// The transport name used in errors, e.g. `kinesis`.
    fn service(&self) -> &str;
    /// Puts `records` (within the service's [`RecordLimits`]) into `channel` in one call.
    async fn put_records(&self, channel: &str, records: &[OutboundRecord]) -> CallOutcome;
}

#[async_trait::async_trait]
impl<T: RecordApi + ?Sized> RecordApi for std::sync::Arc<T> {
    fn service(&self) -> &str {
        (**self).service()
    }
    async fn put_records(&self, channel: &str, records: &[OutboundRecord]) -> CallOutcome {
        (**self).put_records(channel, records).await
    }
}

#[cfg(test)]
mod tests {
    use pbj::Message;

    use super::message_ref_text;
    use crate::schemas::gdbots::pbjx::command::CheckHealthV1;

    #[test]
    fn message_ref_text_is_the_ref_as_text() {
        let command = CheckHealthV1::new();
        let text = message_ref_text(&command);
        assert_eq!(text, command.generate_message_ref(None).to_string());
        assert!(text.starts_with("gdbots:pbjx:command:check-health:"));
        assert_eq!(text.len(), text.capacity());
    }
}
