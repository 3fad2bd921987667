//! [`RecordApi`] for the Firehose client: `PutRecordBatch`.

use aws_sdk_firehose::Client;
use aws_sdk_firehose::primitives::Blob;
use aws_sdk_firehose::types::Record;

use super::FIREHOSE_TRANSPORT;
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
                .map_err(|e| CallFailure::invalid_record(FIREHOSE_TRANSPORT, record, e))?;
            entries.push(entry);
        }
        let output = self
            .put_record_batch()
            .delivery_stream_name(channel)
            .set_records(Some(entries))
            .send()
            .await
            .map_err(|e| {
                CallFailure::sdk(
                    FIREHOSE_TRANSPORT,
                    &format!("PutRecordBatch to Firehose delivery stream [{channel}]"),
                    e,
                )
            })?;
        Ok(output
            .request_responses()
            .iter()
            .map(|entry| RecordFailure::of_entry(entry.error_code(), entry.error_message()))
            .collect())
    }
}
