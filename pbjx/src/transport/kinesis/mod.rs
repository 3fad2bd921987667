//! The Kinesis transport (feature `kinesis`): commands and events go to the stream the router
//! picks, with the partition key it picks, as the original's envelope JSON, in batched
//! `PutRecords` calls with retries (see [`crate::transport::batch`] for the delivery
//! semantics). Requests are handled in this process, as in the original.

mod api;

use std::sync::Arc;

use pbj::Message;

use super::batch::{
    BatchOptions, BatchSender, OutboundRecord, RECORD_CAPACITY, RecordApi, RecordLimits,
    message_ref_text,
};
use super::{PartitionableRouter, Transport, TransportEnvelope};
use crate::Pbjx;
use crate::error::Result;

/// The transport name, `kinesis`.
pub const KINESIS_TRANSPORT: &str = "kinesis";

/// Sends commands and events to Kinesis data streams.
///
/// - **Stream and partition key**: [`crate::transport::Router::for_command`] /
///   [`crate::transport::Router::for_event`] and
///   [`PartitionableRouter::partition_for_command`] /
///   [`PartitionableRouter::partition_for_event`].
/// - **Record**: the [`TransportEnvelope`] JSON, byte-identical to the PHP transport's
///   (`{"serializer":"json","is_replay":false,"message":"..."}`).
/// - **Batching**: sends queue for up to the linger of [`BatchOptions`] so that concurrent
///   sends share one `PutRecords` call (at most 500 records and 5 MiB per call); a message over
///   1 MiB (envelope plus partition key) is refused with [`crate::Error::InvalidArgument`].
///   [`BatchOptions::immediate`] makes one call per send, in the sender's task.
/// - **Retries**: records a call did not take and transient call failures are retried with
///   the options' [`crate::RetryPolicy`]; past its limit `send`/`publish` fail with
///   [`crate::Error::Transport`] naming the message. `send`/`publish` return once Kinesis
///   took the record.
/// - **Shutdown**: [`KinesisTransport::shutdown`] sends what is queued and stops accepting.
///
/// A cheap handle (`Clone`): keep one for `shutdown` after giving a clone to the builder.
///
/// ```no_run
/// use pbjx::Pbjx;
/// use pbjx::transport::StaticRouter;
/// use pbjx::transport::batch::BatchOptions;
/// use pbjx::transport::kinesis::KinesisTransport;
/// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
///
/// # async fn demo() -> pbjx::Result<()> {
/// let client = aws_sdk_kinesis::Client::new(&pbjx::aws::config_from_env().await);
/// let router = StaticRouter::new("commands", "events", "requests").with_shards(16);
/// let kinesis = KinesisTransport::new(client, router, BatchOptions::default());
/// let pbjx = Pbjx::builder().transport(kinesis.clone()).build()?;
/// pbjx.send(CheckHealthV1::new()).await?; // in the "commands" stream once this returns
/// kinesis.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct KinesisTransport {
    router: Arc<dyn PartitionableRouter>,
    sender: BatchSender,
}

impl std::fmt::Debug for KinesisTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KinesisTransport")
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

impl KinesisTransport {
    /// A transport writing with `client`.
    pub fn new(
        client: aws_sdk_kinesis::Client,
        router: impl PartitionableRouter,
        options: BatchOptions,
    ) -> Self {
        Self::with_api(Arc::new(client), router, options)
    }

    /// A transport writing through any [`RecordApi`] with Kinesis' limits (e.g. the client
    /// wrapped in a fault injector for tests).
    pub fn with_api(
        api: Arc<dyn RecordApi>,
        router: impl PartitionableRouter,
        options: BatchOptions,
    ) -> Self {
        Self {
            router: Arc::new(router),
            sender: BatchSender::new(api, RecordLimits::KINESIS, options),
        }
    }

    /// The stream and the record of a command (no I/O).
    ///
    /// ```
    /// use pbjx::pbj::Message;
    /// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
    /// use pbjx::transport::StaticRouter;
    /// use pbjx::transport::batch::{BatchOptions, CallOutcome, OutboundRecord, RecordApi};
    /// use pbjx::transport::kinesis::KinesisTransport;
    /// # struct Accept;
    /// # #[pbjx::async_trait]
    /// # impl RecordApi for Accept {
    /// #     fn service(&self) -> &str { "kinesis" }
    /// #     async fn put_records(&self, _: &str, r: &[OutboundRecord]) -> CallOutcome { Ok(vec![None; r.len()]) }
    /// # }
    ///
    /// let router = StaticRouter::new("commands", "events", "requests");
    /// let kinesis = KinesisTransport::with_api(std::sync::Arc::new(Accept), router, BatchOptions::default());
    /// let mut command = CheckHealthV1::new();
    /// command.freeze();
    /// let (stream, record) = kinesis.encode_command(&command);
    /// assert_eq!(stream, "commands");
    /// assert!(record.data.starts_with(br#"{"serializer":"json","is_replay":false,"message":"{\"_schema\":"#));
    /// ```
    pub fn encode_command(&self, command: &dyn Message) -> (String, OutboundRecord) {
        let stream = self.router.for_command(command);
        let key = self.router.partition_for_command(command);
        (stream, record(command, key))
    }

    /// The stream and the record of an event (no I/O).
    pub fn encode_event(&self, event: &dyn Message) -> (String, OutboundRecord) {
        let stream = self.router.for_event(event);
        let key = self.router.partition_for_event(event);
        (stream, record(event, key))
    }

    /// Sends every queued record, waits for the calls in flight and stops accepting messages
    /// (later sends fail with [`crate::Error::Transport`]).
    pub async fn shutdown(&self) {
        self.sender.shutdown().await;
    }
}

fn record(message: &dyn Message, partition_key: String) -> OutboundRecord {
    let mut data = String::with_capacity(RECORD_CAPACITY);
    TransportEnvelope::write_json(&mut data, message, false);
    OutboundRecord {
        partition_key: Some(partition_key),
        data: data.into_bytes(),
        message_ref: message_ref_text(message),
    }
}

#[async_trait::async_trait]
impl Transport for KinesisTransport {
    fn name(&self) -> &str {
        KINESIS_TRANSPORT
    }

    async fn send_command(&self, _pbjx: &Pbjx, command: Arc<dyn Message>) -> Result<()> {
        let (stream, record) = self.encode_command(&*command);
        self.sender.send(&stream, record).await
    }

    async fn send_event(&self, _pbjx: &Pbjx, event: Arc<dyn Message>) -> Result<()> {
        let (stream, record) = self.encode_event(&*event);
        self.sender.send(&stream, record).await
    }

    async fn send_request(
        &self,
        pbjx: &Pbjx,
        request: Arc<dyn Message>,
    ) -> Result<Box<dyn Message>> {
        Ok(pbjx.receive_request(request).await)
    }
}
