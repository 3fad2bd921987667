//! Exponential backoff with full jitter for the backends' own retry loops.

use std::time::Duration;

/// How often and how long a backend waits before trying again after a transient failure
/// (a lost optimistic race, a transaction conflict, unprocessed batch keys): attempt `n`
/// (1-based) waits a random time between 0 and `min(max_delay, base_delay * 2^(n-1))`
/// ("full jitter", so that racing writers spread out), and at most `max_attempts` attempts
/// are made in total.
///
/// The SDK clients retry throttled and failed requests on their own; this policy is for the
/// retries above them, which the SDK cannot know about. Scheduler workers use it for the
/// attempts at sending a job ([`crate::scheduler::WorkerOptions::with_retry`]). Also reachable
/// as `pbjx::aws::RetryPolicy`.
///
/// ```
/// use std::time::Duration;
/// use pbjx::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_attempts(5)
///     .with_base_delay(Duration::from_millis(20))
///     .with_max_delay(Duration::from_millis(100));
/// assert!(policy.delay(1) <= Duration::from_millis(20));
/// assert!(policy.delay(10) <= Duration::from_millis(100));
/// assert!(policy.should_retry(4) && !policy.should_retry(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 16 attempts, 10 ms base delay, 1 s maximum delay.
    fn default() -> Self {
        Self {
            max_attempts: 16,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// Attempts in total, the first one included (at least 1).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// The cap of the first wait (doubled on every further attempt).
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// The largest cap of a wait.
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Attempts in total.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether another attempt may follow attempt `attempt` (1-based).
    pub fn should_retry(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }

    /// A random wait after attempt `attempt` (1-based), between 0 and the attempt's cap.
    pub fn delay(&self, attempt: u32) -> Duration {
        let doubling = 2u32.saturating_pow(attempt.saturating_sub(1).min(31));
        let cap = self.base_delay.saturating_mul(doubling).min(self.max_delay);
        let cap_micros = u64::try_from(cap.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(fastrand::u64(0..=cap_micros))
    }

    /// Sleeps for [`Self::delay`] of `attempt`.
    pub async fn backoff(&self, attempt: u32) {
        tokio::time::sleep(self.delay(attempt)).await;
    }

    /// Runs `op` until it succeeds, fails with an error `retryable` rejects, or
    /// `max_attempts` attempts failed (then the last error is returned); waits
    /// [`Self::backoff`] between attempts.
    pub async fn retry<T, E, F, Fut>(
        &self,
        mut op: F,
        retryable: impl Fn(&E) -> bool,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match op().await {
                Err(e) if retryable(&e) && self.should_retry(attempt) => {
                    self.backoff(attempt).await;
                }
                result => return result,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_up_to_the_cap() {
        let policy = RetryPolicy::default()
            .with_base_delay(Duration::from_millis(8))
            .with_max_delay(Duration::from_millis(50));
        for _ in 0..200 {
            assert!(policy.delay(1) <= Duration::from_millis(8));
            assert!(policy.delay(3) <= Duration::from_millis(32));
            assert!(policy.delay(u32::MAX) <= Duration::from_millis(50));
        }
        // jitter: not always the same wait
        let waits: std::collections::HashSet<Duration> = (0..50).map(|_| policy.delay(4)).collect();
        assert!(waits.len() > 1);
    }

    #[tokio::test]
    async fn retry_stops_at_success_or_a_permanent_error() {
        let policy = RetryPolicy::default()
            .with_max_attempts(4)
            .with_base_delay(Duration::from_micros(10));
        let mut calls = 0;
        let r: Result<u32, &str> = policy
            .retry(
                || {
                    calls += 1;
                    let n = calls;
                    async move { if n < 3 { Err("busy") } else { Ok(n) } }
                },
                |e| *e == "busy",
            )
            .await;
        assert_eq!(r, Ok(3));
        let mut calls = 0;
        let r: Result<u32, &str> = policy
            .retry(
                || {
                    calls += 1;
                    async { Err("busy") }
                },
                |e| *e == "busy",
            )
            .await;
        assert_eq!((r, calls), (Err("busy"), 4));
        let mut calls = 0;
        let r: Result<u32, &str> = policy
            .retry(
                || {
                    calls += 1;
                    async { Err("broken") }
                },
                |e| *e == "busy",
            )
            .await;
        assert_eq!((r, calls), (Err("broken"), 1));
    }
}
