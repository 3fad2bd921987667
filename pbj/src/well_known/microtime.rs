use std::fmt;

/// A text that is not a microtime (16 ASCII digits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[{value}] is not a valid microtime (16 digits expected)")]
#[non_exhaustive]
pub struct MicrotimeError {
    /// The rejected text.
    pub value: String,
}

/// A unix timestamp with microseconds; on the wire a 16-digit string `"1422122017734617"`.
///
/// ```
/// use pbj::Microtime;
///
/// let m = Microtime::new(1_422_122_017, 734_617).expect("usec < 1_000_000");
/// assert_eq!(m.to_string(), "1422122017734617");
/// let at = m.to_date_time().expect("before year 10000");
/// assert_eq!(at.to_php_string(), "2015-01-24T17:53:37.734617Z");
/// assert!(Microtime::now() > m);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Microtime {
    sec: u64,
    usec: u32,
}

impl Microtime {
    /// Seconds and microseconds (`usec < 1_000_000`).
    pub fn new(sec: u64, usec: u32) -> Option<Self> {
        (usec < 1_000_000).then_some(Self { sec, usec })
    }
    /// The current time.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            sec: d.as_secs(),
            usec: d.subsec_micros(),
        }
    }
    /// Parses the wire form: exactly 16 ASCII digits (10 seconds + 6 microseconds), as the JS
    /// implementation requires (PHP also accepts 13-15 digits and right-pads them; a lenient
    /// decoder can pad before calling this).
    ///
    /// ```
    /// let m = pbj::Microtime::parse("1422122017734617")?;
    /// assert_eq!((m.sec(), m.usec()), (1_422_122_017, 734_617));
    /// assert!(pbj::Microtime::parse("1422122017734").is_err());
    /// # Ok::<(), pbj::well_known::MicrotimeError>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, MicrotimeError> {
        let err = || MicrotimeError {
            value: s.to_owned(),
        };
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        // 10 and 6 ASCII digits always fit.
        let sec = s[..10].parse().map_err(|_| err())?;
        let usec = s[10..].parse().map_err(|_| err())?;
        Ok(Self { sec, usec })
    }
    /// Whole seconds.
    pub fn sec(&self) -> u64 {
        self.sec
    }
    /// Microseconds within the second.
    pub fn usec(&self) -> u32 {
        self.usec
    }
    /// The same instant as a [`DateTime`](crate::time::DateTime) (`None` after year 9999).
    pub fn to_date_time(&self) -> Option<crate::time::DateTime> {
        i64::try_from(self.as_micros())
            .ok()
            .and_then(crate::time::DateTime::from_unix_micros)
    }
    /// Total microseconds since the epoch.
    pub fn as_micros(&self) -> u128 {
        u128::from(self.sec) * 1_000_000 + u128::from(self.usec)
    }
}

impl fmt::Display for Microtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:010}{:06}", self.sec, self.usec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form() {
        let m = Microtime::parse("1422122017734617").unwrap();
        assert_eq!((m.sec(), m.usec()), (1_422_122_017, 734_617));
        assert_eq!(m.to_string(), "1422122017734617");
        assert_eq!(m.as_micros(), 1_422_122_017_734_617);
        assert_eq!(
            m.to_date_time().unwrap().to_php_string(),
            "2015-01-24T17:53:37.734617Z"
        );
        for bad in [
            "abcdefghijklmnop",
            "123",
            "15000000001234567",
            "1422122017734",
            "+422122017734617",
            " 422122017734617",
        ] {
            assert!(Microtime::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Microtime::new(1, 5).unwrap().to_string(),
            "0000000001000005"
        );
        assert!(Microtime::new(1, 1_000_000).is_none());
        assert_eq!(Microtime::now().to_string().len(), 16);
    }
}
