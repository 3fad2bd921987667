//! [`SendAt`]: the time a scheduled command is sent at.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const NANOS_PER_SECOND: u32 = 1_000_000_000;

/// When [`crate::Pbjx::send_at`] sends a command: a point in time with nanosecond precision.
///
/// Built from a time type: [`SystemTime`], and with the cargo features `jiff` / `chrono`
/// `jiff::Timestamp`, `jiff::ZonedDateTime` and `chrono::DateTime<Tz>`. Raw unix seconds only through
/// the explicit [`SendAt::from_unix_seconds`].
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use pbjx::SendAt;
///
/// let at = SendAt::from(UNIX_EPOCH + Duration::from_millis(1_700_000_000_250));
/// assert_eq!((at.unix_seconds(), at.subsec_nanos()), (1_700_000_000, 250_000_000));
/// assert_eq!(at.to_string(), "2023-11-14T22:13:20.250Z");
/// assert!(SendAt::from_unix_seconds(1_700_000_000) < at);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SendAt {
    /// Seconds since the unix epoch (negative before it).
    seconds: i64,
    /// Nanoseconds after `seconds`, below one second.
    nanos: u32,
}

impl SendAt {
    /// Unix time in seconds.
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Self { seconds, nanos: 0 }
    }

    /// Unix time in seconds plus nanoseconds (a negative or too large `nanos` carries into the
    /// seconds, saturating at the range of `i64` seconds).
    fn from_parts(seconds: i64, nanos: i64) -> Self {
        let per_second = i64::from(NANOS_PER_SECOND);
        let seconds = seconds.saturating_add(nanos.div_euclid(per_second));
        // rem_euclid of a positive divisor is in 0..per_second, which fits u32.
        let nanos = u32::try_from(nanos.rem_euclid(per_second)).unwrap_or(0);
        Self { seconds, nanos }
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// Whole seconds since the unix epoch (rounded down).
    pub const fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// Nanoseconds past [`Self::unix_seconds`].
    pub const fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// This time as a [`SystemTime`] (`None` outside the platform's range).
    pub fn to_system_time(&self) -> Option<SystemTime> {
        let nanos = Duration::from_nanos(u64::from(self.nanos));
        match u64::try_from(self.seconds) {
            Ok(seconds) => UNIX_EPOCH.checked_add(Duration::from_secs(seconds) + nanos),
            Err(_) => UNIX_EPOCH
                .checked_sub(Duration::from_secs(self.seconds.unsigned_abs()))?
                .checked_add(nanos),
        }
    }
}

impl From<SystemTime> for SendAt {
    fn from(time: SystemTime) -> Self {
        let saturate = |seconds: u64| i64::try_from(seconds).unwrap_or(i64::MAX);
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => Self::from_parts(saturate(after.as_secs()), after.subsec_nanos().into()),
            Err(before) => {
                let before = before.duration();
                Self::from_parts(
                    -saturate(before.as_secs()),
                    -i64::from(before.subsec_nanos()),
                )
            }
        }
    }
}

#[cfg(feature = "jiff")]
impl From<jiff::Timestamp> for SendAt {
    fn from(time: jiff::Timestamp) -> Self {
        // jiff gives the fraction the sign of the seconds; from_parts normalizes it.
        Self::from_parts(time.as_second(), time.subsec_nanosecond().into())
    }
}

#[cfg(feature = "jiff")]
impl From<&jiff::ZonedDateTime> for SendAt {
    fn from(time: &jiff::ZonedDateTime) -> Self {
        Self::from(time.timestamp())
    }
}

#[cfg(feature = "jiff")]
impl From<jiff::ZonedDateTime> for SendAt {
    fn from(time: jiff::ZonedDateTime) -> Self {
        Self::from(time.timestamp())
    }
}

#[cfg(feature = "chrono")]
impl<Tz: chrono::TimeZone> From<chrono::DateTime<Tz>> for SendAt {
    fn from(time: chrono::DateTime<Tz>) -> Self {
        // A leap second is given as 1_000_000_000.. nanoseconds: keep it in its second.
        let nanos = time.timestamp_subsec_nanos().min(NANOS_PER_SECOND - 1);
        Self::from_parts(time.timestamp(), nanos.into())
    }
}

impl fmt::Display for SendAt {
    /// ISO 8601 in UTC with milliseconds (`2023-11-14T22:13:20.250Z`), or the unix seconds
    /// outside the years 0..=9999.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self
            .seconds
            .checked_mul(1_000_000)
            .and_then(|m| m.checked_add(i64::from(self.nanos / 1_000)));
        match micros.and_then(pbj::DateTime::from_unix_micros) {
            Some(time) => f.write_str(&time.to_js_string()),
            None => write!(f, "unix time {}s", self.seconds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_time_before_the_epoch() {
        let at = SendAt::from(UNIX_EPOCH - Duration::from_millis(1500));
        assert_eq!((at.unix_seconds(), at.subsec_nanos()), (-2, 500_000_000));
        assert_eq!(
            at.to_system_time(),
            Some(UNIX_EPOCH - Duration::from_millis(1500))
        );
        assert_eq!(
            SendAt::from(UNIX_EPOCH - Duration::from_secs(3)),
            SendAt::from_unix_seconds(-3)
        );
    }

    #[test]
    fn extremes_do_not_panic() {
        let far = SendAt::from_unix_seconds(i64::MAX);
        assert_eq!(far.to_string(), format!("unix time {}s", i64::MAX));
        assert!(far > SendAt::now());
        let _ = far.to_system_time();
        let _ = SendAt::from_unix_seconds(i64::MIN).to_system_time();
        assert_eq!(
            SendAt::from_parts(i64::MAX, 2_500_000_000),
            SendAt {
                seconds: i64::MAX,
                nanos: 500_000_000
            }
        );
    }
}
