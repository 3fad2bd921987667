//! [`FaultyRecordApi`]: fault injection for the stream transports (the local AWS emulator
//! never throttles, so retry paths need faults of their own).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Error;
use crate::transport::batch::{CallFailure, CallOutcome, OutboundRecord, RecordApi, RecordFailure};

/// Wraps a [`RecordApi`] (e.g. the real Kinesis client talking to the emulator) and refuses a
/// chosen fraction of records (`ProvisionedThroughputExceededException`, as Kinesis reports
/// throttled records inside a successful call) and fails a chosen fraction of whole calls
/// (a retryable `ThrottlingException`) before they reach the wrapped API. Records not refused
/// go to the wrapped API in one call; the outcomes are merged in order. Seeded, so a test run
/// is reproducible.
///
/// ```
/// use pbjx::testkit::FaultyRecordApi;
/// use pbjx::transport::batch::{CallOutcome, OutboundRecord, RecordApi};
///
/// struct Accept;
/// #[pbjx::async_trait]
/// impl RecordApi for Accept {
///     fn service(&self) -> &str { "accept" }
///     async fn put_records(&self, _: &str, r: &[OutboundRecord]) -> CallOutcome { Ok(vec![None; r.len()]) }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let faulty = FaultyRecordApi::new(Accept, 7).with_record_failures(1.0);
/// let record = OutboundRecord { partition_key: None, data: vec![1], message_ref: "x".into() };
/// let outcome = faulty.put_records("s", &[record]).await.unwrap();
/// assert_eq!(outcome[0].as_ref().unwrap().code, "ProvisionedThroughputExceededException");
/// assert_eq!(faulty.refused_records(), 1);
/// # });
/// ```
#[derive(Debug)]
pub struct FaultyRecordApi<A> {
    inner: A,
    record_failures: f64,
    call_failures: f64,
    failing_first_calls: u64,
    rng: Mutex<fastrand::Rng>,
    refused_records: AtomicU64,
    failed_calls: AtomicU64,
    calls: AtomicU64,
}

impl<A: RecordApi> FaultyRecordApi<A> {
    /// Wraps `inner` without faults yet; `seed` makes the choices reproducible.
    pub fn new(inner: A, seed: u64) -> Self {
        Self {
            inner,
            record_failures: 0.0,
            call_failures: 0.0,
            failing_first_calls: 0,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            refused_records: AtomicU64::new(0),
            failed_calls: AtomicU64::new(0),
            calls: AtomicU64::new(0),
        }
    }

    /// Refuses each record with this probability (0.0 to 1.0).
    pub fn with_record_failures(mut self, fraction: f64) -> Self {
        self.record_failures = fraction.clamp(0.0, 1.0);
        self
    }

    /// Fails each call as a whole with this probability (0.0 to 1.0).
    pub fn with_call_failures(mut self, fraction: f64) -> Self {
        self.call_failures = fraction.clamp(0.0, 1.0);
        self
    }

    /// Fails the first `calls` calls as a whole, whatever the fractions say (a fault that
    /// happens in every run, however the sender batches).
    pub fn with_failing_first_calls(mut self, calls: u64) -> Self {
        self.failing_first_calls = calls;
        self
    }

    /// Records refused so far.
    pub fn refused_records(&self) -> u64 {
        self.refused_records.load(Ordering::Acquire)
    }

    /// Calls failed so far.
    pub fn failed_calls(&self) -> u64 {
        self.failed_calls.load(Ordering::Acquire)
    }

    /// Calls made so far (failed or not).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Acquire)
    }

    fn roll(&self, fraction: f64) -> bool {
        if fraction <= 0.0 {
            return false;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        rng.f64() < fraction
    }
}

#[async_trait::async_trait]
impl<A: RecordApi> RecordApi for FaultyRecordApi<A> {
    fn service(&self) -> &str {
        self.inner.service()
    }

    async fn put_records(&self, channel: &str, records: &[OutboundRecord]) -> CallOutcome {
        let call = self.calls.fetch_add(1, Ordering::AcqRel);
        if call < self.failing_first_calls || self.roll(self.call_failures) {
            self.failed_calls.fetch_add(1, Ordering::AcqRel);
            return Err(CallFailure {
                retryable: true,
                error: Error::transport(
                    self.inner.service(),
                    format!("ThrottlingException: injected fault on the call to [{channel}]"),
                ),
            });
        }
        let refused: Vec<bool> = records
            .iter()
            .map(|_| self.roll(self.record_failures))
            .collect();
        let passed: Vec<OutboundRecord> = records
            .iter()
            .zip(&refused)
            .filter(|(_, refused)| !**refused)
            .map(|(record, _)| record.clone())
            .collect();
        let inner = if passed.is_empty() {
            Vec::new()
        } else {
            self.inner.put_records(channel, &passed).await?
        };
        if inner.len() != passed.len() {
            // Let the sender see the wrapped API's mismatch.
            return Ok(inner);
        }
        let mut inner = inner.into_iter();
        let mut outcome = Vec::with_capacity(records.len());
        for refused in refused {
            if refused {
                self.refused_records.fetch_add(1, Ordering::AcqRel);
                outcome.push(Some(RecordFailure {
                    code: "ProvisionedThroughputExceededException".to_owned(),
                    message: "injected fault: rate exceeded for the shard".to_owned(),
                }));
            } else {
                outcome.push(inner.next().flatten());
            }
        }
        Ok(outcome)
    }
}
