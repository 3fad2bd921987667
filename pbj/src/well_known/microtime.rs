use std::fmt;

/// A unix timestamp with microseconds; on the wire a 16-digit string `"1422122017734617"`.
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
        Self { sec: d.as_secs(), usec: d.subsec_micros() }
    }
    /// Parses the wire form: exactly 16 ASCII digits.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("[{s}] is not a valid microtime (16 digits expected)"));
        }
        let sec = s[..10].parse().map_err(|_| format!("[{s}] is not a valid microtime"))?;
        let usec = s[10..].parse().map_err(|_| format!("[{s}] is not a valid microtime"))?;
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
    /// Total microseconds since the epoch.
    pub fn as_micros(&self) -> u128 {
        u128::from(self.sec) * 1_000_000 + u128::from(self.usec)
    }
}

impl fmt::Display for Microtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:06}", self.sec, self.usec)
    }
}
