//! The Firehose transport (feature `firehose`): commands and events go to the delivery stream
//! the router picks, each record the original's envelope JSON plus a newline (so the
//! destination holds newline-delimited envelopes), in batched `PutRecordBatch` calls with
//! retries (see [`crate::transport::batch`]). Requests are handled in this process.

mod api;

use std::sync::Arc;

use pbj::Message;

use super::batch::{
    BatchOptions, BatchSender, OutboundRecord, RECORD_CAPACITY, RecordApi, RecordLimits,
    message_ref_text,
};
use super::{Router, Transport, TransportEnvelope};
use crate::Pbjx;
use crate::error::Result;

/// The transport name, `firehose`.
pub const FIREHOSE_TRANSPORT: &str = "firehose";

/// Sends commands and events to Firehose delivery streams: the stream from the
/// [`Router`], the record the [`TransportEnvelope`] JSON plus `\n`; at most 500 records and
/// 4 MiB per call, 1,000 KiB per record (a larger message is refused with
/// [`crate::Error::InvalidArgument`]); refused records retried like the Kinesis transport's.
/// A cheap handle (`Clone`).
///
/// ```no_run
/// use pbjx::Pbjx;
/// use pbjx::transport::StaticRouter;
/// use pbjx::transport::batch::BatchOptions;
/// use pbjx::transport::firehose::FirehoseTransport;
/// use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
///
/// # async fn demo() -> pbjx::Result<()> {
/// let client = aws_sdk_firehose::Client::new(&pbjx::aws::config_from_env().await);
/// let router = StaticRouter::new("commands", "events", "requests");
/// let firehose = FirehoseTransport::new(client, router, BatchOptions::default());
/// let pbjx = Pbjx::builder().transport(firehose.clone()).build()?;
/// pbjx.publish(HealthCheckedV1::new()).await?;
/// firehose.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct FirehoseTransport {
    router: Arc<dyn Router>,
    sender: BatchSender,
}

impl std::fmt::Debug for FirehoseTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirehoseTransport")
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

impl FirehoseTransport {
    /// A transport writing with `client`.
    pub fn new(
        client: aws_sdk_firehose::Client,
        router: impl Router,
        options: BatchOptions,
    ) -> Self {
        Self::with_api(Arc::new(client), router, options)
    }

    /// A transport writing through any [`RecordApi`] with Firehose's limits.
    pub fn with_api(api: Arc<dyn RecordApi>, router: impl Router, options: BatchOptions) -> Self {
        Self {
            router: Arc::new(router),
            sender: BatchSender::new(api, RecordLimits::FIREHOSE, options),
        }
    }

    /// Sends every queued record, waits for the calls in flight and stops accepting messages.
    pub async fn shutdown(&self) {
        self.sender.shutdown().await;
    }
}

/// The envelope JSON plus a newline.
fn record(message: &dyn Message) -> OutboundRecord {
    let mut data = String::with_capacity(RECORD_CAPACITY);
    TransportEnvelope::write_json(&mut data, message, false);
    data.push('\n');
    OutboundRecord {
        partition_key: None,
        data: data.into_bytes(),
        message_ref: message_ref_text(message),
    }
}

#[async_trait::async_trait]
impl Transport for FirehoseTransport {
    fn name(&self) -> &str {
        FIREHOSE_TRANSPORT
    }

    async fn send_command(&self, _pbjx: &Pbjx, command: Arc<dyn Message>) -> Result<()> {
        let stream = self.router.for_command(&*command);
        self.sender.send(&stream, record(&*command)).await
    }

    async fn send_event(&self, _pbjx: &Pbjx, event: Arc<dyn Message>) -> Result<()> {
        let stream = self.router.for_event(&*event);
        self.sender.send(&stream, record(&*event)).await
    }

    async fn send_request(
        &self,
        pbjx: &Pbjx,
        request: Arc<dyn Message>,
    ) -> Result<Box<dyn Message>> {
        Ok(pbjx.receive_request(request).await)
    }
}
