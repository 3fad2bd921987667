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
        let half = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(s.as_bytes().get(at..at + 8)?);
            eight_digits(w)
        };
        let (Some(high), Some(low), 16) = (half(0), half(8), s.len()) else {
            return Err(err());
        };
        let micros = high * 100_000_000 + low;
        Ok(Self {
            sec: micros / 1_000_000,
            // Below 1_000_000.
            usec: (micros % 1_000_000) as u32,
        })
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

/// The value of eight ASCII digits, `None` if a byte is not one: all eight checked and
/// combined in a few word operations (two digits, then four, then eight per lane), instead of
/// a loop of sixteen steps per microtime.
fn eight_digits(bytes: [u8; 8]) -> Option<u64> {
    const LO: u64 = 0x0101_0101_0101_0101;
    let x = u64::from_le_bytes(bytes);
    // Every high nibble is 3, and adding 6 to the low nibble carries into none: `0`-`9`.
    let digits = x & (LO * 0xf0) == LO * 0x30 && (x + LO * 6) & (LO * 0xf0) == LO * 0x30;
    if !digits {
        return None;
    }
    // The first digit is the lowest byte: each step multiplies the earlier (lower) half of a
    // lane by its weight and adds the later half.
    let v = x & (LO * 0x0f);
    let v = (v * 10 + (v >> 8)) & 0x00ff_00ff_00ff_00ff;
    let v = (v * 100 + (v >> 16)) & 0x0000_ffff_0000_ffff;
    Some((v * 10_000 + (v >> 32)) & 0xffff_ffff)
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

    #[test]
    fn parse_agrees_with_a_digit_loop() {
        let slow = |s: &str| -> Option<(u64, u32)> {
            (s.len() == 16 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| (s[..10].parse().unwrap(), s[10..].parse().unwrap()))
        };
        let mut rng = crate::test_rng::Xorshift::new(0x2545_f491_4f6c_dd1d_u64);
        let mut next = |n: usize| rng.below(n);
        // Digits, the bytes next to them and bytes that carry or borrow.
        let odd = b"/:0 9\x00\x7f\xff\xc0\x3a\x2f\x40\x39\x30";
        for _ in 0..100_000 {
            let len = [15, 16, 16, 16, 17][next(5)];
            let mut bytes: Vec<u8> = (0..len).map(|_| b'0' + next(10) as u8).collect();
            if next(2) == 0 {
                bytes[next(len)] = odd[next(odd.len())];
            }
            let Ok(s) = std::str::from_utf8(&bytes) else {
                continue;
            };
            let fast = Microtime::parse(s).ok().map(|m| (m.sec(), m.usec()));
            assert_eq!(fast, slow(s), "{s:?}");
        }
        for s in ["0000000000000000", "9999999999999999", "0000000001000005"] {
            assert_eq!(
                Microtime::parse(s).ok().map(|m| (m.sec(), m.usec())),
                slow(s),
                "{s}"
            );
        }
    }
}
