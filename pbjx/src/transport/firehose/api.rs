//! [`RecordApi`] for the Firehose client: `PutRecordBatch`.

use aws_sdk_firehose::Client;
use aws_sdk_firehose::primitives::Blob;
use aws_sdk_firehose::types::Record;

use super::FIREHOSE_TRANSPORT;
use crate::aws::{classify, transport_error};
use crate::error::Error;
use crate::transport::batch::{CallFailure, CallOutcome, OutboundRecord, RecordApi, RecordFailure};

#[async_trait::async_trait]
impl RecordApi for Client {
    fn service(&self) -> &str {
        FIREHOSE_TRANSPORT
    }

    async fn put_records(&self, channel: &str, records: &[OutboundRecord]) -> CallOutcome {
        let mut entries = Vec::with_capacity(records.len());
        for record in records {
            let entry = Record::builder()
                .data(Blob::new(record.data.clone()))
                .build()
                .map_err(|e| CallFailure {
                    retryable: false,
                    error: Error::transport(
                        FIREHOSE_TRANSPORT,
                        format!("invalid record for message [{}]", record.message_ref),
                    )
                    .with_source(e),
                })?;
            entries.push(entry);
        }
        let output = self
            .put_record_batch()
            .delivery_stream_name(channel)
            .set_records(Some(entries))
            .send()
            .await
            .map_err(|e| CallFailure {
                retryable: classify(&e).is_retryable(),
                error: transport_error(
                    FIREHOSE_TRANSPORT,
                    &format!("PutRecordBatch to Firehose delivery stream [{channel}]"),
                    e,
                ),
            })?;
        Ok(output
            .request_responses()
            .iter()
            .map(|entry| {
                entry.error_code().map(|code| RecordFailure {
                    code: code.to_owned(),
                    message: entry.error_message().unwrap_or_default().to_owned(),
                })
            })
            .collect())
    }
}
