//! [`Clock`]: the time a worker compares due times with.

use std::time::{Duration, SystemTime};

use crate::time::SendAt;

/// The "now" of a scheduler worker: the system clock (the default), or tokio's clock for
/// tests that pause time (`#[tokio::test(start_paused = true)]`), so that jobs become due as
/// tokio's time advances.
///
/// ```
/// use pbjx::scheduler::Clock;
/// let system = Clock::system();
/// assert!(system.now() <= pbjx::SendAt::now());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    /// `None`: the system clock. `Some`: the wall time and tokio instant it was created at.
    tokio: Option<(SystemTime, tokio::time::Instant)>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { tokio: None }
    }

    /// The system time now, advancing with tokio's clock from here on (paused and advanced
    /// time included). Must be called inside a tokio runtime.
    pub fn tokio() -> Self {
        Self {
            tokio: Some((SystemTime::now(), tokio::time::Instant::now())),
        }
    }

    /// The current time.
    pub fn now(&self) -> SendAt {
        match self.tokio {
            None => SendAt::now(),
            Some((wall, start)) => SendAt::from(wall + start.elapsed()),
        }
    }

    /// Microseconds since the unix epoch, now.
    pub(crate) fn now_micros(&self) -> i64 {
        micros(self.now())
    }
}

/// `at` in microseconds since the unix epoch (saturating).
pub(crate) fn micros(at: SendAt) -> i64 {
    at.unix_seconds()
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(at.subsec_nanos() / 1_000))
}

/// The time of `micros` microseconds since the unix epoch.
pub(crate) fn from_micros(micros: i64) -> SendAt {
    let d = Duration::from_micros(micros.unsigned_abs());
    let t = if micros >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(d)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(d)
    };
    SendAt::from(t.unwrap_or(SystemTime::UNIX_EPOCH))
}

/// A duration in microseconds (saturating).
pub(crate) fn duration_micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip() {
        for m in [0, 1, 1_700_000_000_123_456, -1_500_000] {
            assert_eq!(micros(from_micros(m)), m);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let clock = Clock::tokio();
        let before = clock.now_micros();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(clock.now_micros() - before, 3_600_000_000);
    }
}
