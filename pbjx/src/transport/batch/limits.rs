//! The per-call limits of a batch API and the split of records into calls.

use std::ops::Range;

use super::OutboundRecord;
use crate::error::{Error, Result};

/// What one batch call may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordLimits {
    /// Records per call.
    pub max_records: usize,
    /// Bytes per call (data plus partition keys).
    pub max_call_bytes: usize,
    /// Bytes per record (data plus partition key).
    pub max_record_bytes: usize,
}

impl RecordLimits {
    /// Kinesis `PutRecords`: 500 records, 5 MiB per call, 1 MiB per record (partition keys
    /// included).
    pub const KINESIS: RecordLimits = RecordLimits {
        max_records: 500,
        max_call_bytes: 5 * 1024 * 1024,
        max_record_bytes: 1024 * 1024,
    };

    /// Firehose `PutRecordBatch`: 500 records, 4 MiB per call, 1,000 KiB per record.
    pub const FIREHOSE: RecordLimits = RecordLimits {
        max_records: 500,
        max_call_bytes: 4 * 1024 * 1024,
        max_record_bytes: 1000 * 1024,
    };

    /// Refuses a record over [`Self::max_record_bytes`] ([`Error::InvalidArgument`] naming the
    /// message, its size and the limit).
    ///
    /// ```
    /// use pbjx::transport::batch::{OutboundRecord, RecordLimits};
    /// let record = OutboundRecord {
    ///     partition_key: Some("7".into()),
    ///     data: vec![b'x'; 1024 * 1024],
    ///     message_ref: "acme:blog:command:publish-article:1".into(),
    /// };
    /// let err = RecordLimits::KINESIS.check("kinesis", &record).unwrap_err();
    /// assert!(err.to_string().contains("acme:blog:command:publish-article:1"));
    /// ```
    pub fn check(&self, service: &str, record: &OutboundRecord) -> Result<()> {
        let size = record.size();
        if size > self.max_record_bytes {
            return Err(Error::InvalidArgument {
                message: format!(
                    "message [{}] is too large for a {service} record: {size} bytes (envelope \
                     and partition key), the limit is {} bytes",
                    record.message_ref, self.max_record_bytes
                ),
            });
        }
        Ok(())
    }
}

/// Splits records (each within the per-record limit) into consecutive calls within `limits`,
/// keeping their order.
///
/// ```
/// use pbjx::transport::batch::{OutboundRecord, RecordLimits, plan_batches};
/// let record = OutboundRecord { partition_key: None, data: vec![0; 10], message_ref: String::new() };
/// let records = vec![record; 1200];
/// let calls = plan_batches(&records, &RecordLimits::KINESIS);
/// assert_eq!(calls, vec![0..500, 500..1000, 1000..1200]);
/// ```
pub fn plan_batches(records: &[OutboundRecord], limits: &RecordLimits) -> Vec<Range<usize>> {
    plan_by_size(records.iter().map(OutboundRecord::size), limits)
}

/// [`plan_batches`] over record sizes.
pub(crate) fn plan_by_size(
    sizes: impl Iterator<Item = usize>,
    limits: &RecordLimits,
) -> Vec<Range<usize>> {
    let mut calls = Vec::new();
    let (mut start, mut count, mut bytes) = (0, 0, 0);
    for (i, size) in sizes.enumerate() {
        if count > 0 && (count == limits.max_records || bytes + size > limits.max_call_bytes) {
            calls.push(start..i);
            (start, count, bytes) = (i, 0, 0);
        }
        count += 1;
        bytes += size;
    }
    if count > 0 {
        calls.push(start..start + count);
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_respect_the_byte_limit() {
        let limits = RecordLimits::KINESIS;
        let big = 1024 * 1024 - 10;
        let sizes = [big, big, big, big, big, big, 5];
        let calls = plan_by_size(sizes.into_iter(), &limits);
        assert_eq!(calls, vec![0..5, 5..7]);
        for call in calls {
            let total: usize = sizes[call].iter().sum();
            assert!(total <= limits.max_call_bytes);
        }
        assert!(plan_by_size(std::iter::empty(), &limits).is_empty());
    }
}
