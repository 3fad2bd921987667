//! [`RecordApi`] for the Kinesis client: `PutRecords`.

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;

use super::KINESIS_TRANSPORT;
use crate::transport::batch::{CallFailure, CallOutcome, OutboundRecord, RecordApi, RecordFailure};

#[async_trait::async_trait]
impl RecordApi for Client {
    fn service(&self) -> &str {
        KINESIS_TRANSPORT
    }

    async fn put_records(&self, channel: &str, records: &[OutboundRecord]) -> CallOutcome {
        let mut entries = Vec::with_capacity(records.len());
        for record in records {
            let entry = PutRecordsRequestEntry::builder()
                .data(Blob::new(record.data.clone()))
                .partition_key(record.partition_key.clone().unwrap_or_default())
                .build()
                .map_err(|e| CallFailure::invalid_record(KINESIS_TRANSPORT, record, e))?;
            entries.push(entry);
        }
        let output = self
            .put_records()
            .stream_name(channel)
            .set_records(Some(entries))
            .send()
            .await
            .map_err(|e| {
                CallFailure::sdk(
                    KINESIS_TRANSPORT,
                    &format!("PutRecords to Kinesis stream [{channel}]"),
                    e,
                )
            })?;
        Ok(output
            .records()
            .iter()
            .map(|entry| RecordFailure::of_entry(entry.error_code(), entry.error_message()))
            .collect())
    }
}
