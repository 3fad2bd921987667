//! Calendar dates ([`Date`]) and UTC instants with microsecond precision ([`DateTime`]).

use std::fmt;

/// A calendar date (`YYYY-MM-DD`), as the `date` type holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i32, m: u8, d: u8) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl Date {
    /// A valid calendar date, or `None`.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        (month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month) && (0..=9999).contains(&year))
            .then_some(Self { year, month, day })
    }
    /// Parses exactly `YYYY-MM-DD` (a real calendar date).
    pub fn parse(s: &str) -> Result<Self, String> {
        let err = || format!("[{s}] is not a valid YYYY-MM-DD date");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let y = digits(&s[0..4]).ok_or_else(err)?;
        let m = digits(&s[5..7]).ok_or_else(err)?;
        let d = digits(&s[8..10]).ok_or_else(err)?;
        Self::new(y as i32, m as u8, d as u8).ok_or_else(err)
    }
    /// The year.
    pub fn year(&self) -> i32 {
        self.year
    }
    /// The month (1-12).
    pub fn month(&self) -> u8 {
        self.month
    }
    /// The day of the month (1-31).
    pub fn day(&self) -> u8 {
        self.day
    }
    /// Days since 1970-01-01.
    pub fn days_since_epoch(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A UTC instant with microsecond precision, as the `date-time` type holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    micros: i64,
}

/// Earliest representable instant: 0000-01-01T00:00:00Z.
const MIN_MICROS: i64 = -62_167_219_200_000_000;
/// Latest representable instant: 9999-12-31T23:59:59.999999Z.
const MAX_MICROS: i64 = 253_402_300_799_999_999;

impl DateTime {
    /// The instant `micros` microseconds after the unix epoch (years 0000-9999).
    pub fn from_unix_micros(micros: i64) -> Option<Self> {
        (MIN_MICROS..=MAX_MICROS).contains(&micros).then_some(Self { micros })
    }
    /// Microseconds since the unix epoch.
    pub fn unix_micros(&self) -> i64 {
        self.micros
    }
    /// The current time.
    pub fn now() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        Self { micros: now }
    }

    fn parts(&self) -> (i64, u8, u8, i64, i64, i64, i64) {
        let days = self.micros.div_euclid(86_400_000_000);
        let rem = self.micros.rem_euclid(86_400_000_000);
        let (y, m, d) = civil_from_days(days);
        let secs = rem / 1_000_000;
        (y, m, d, secs / 3600, secs / 60 % 60, secs % 60, rem % 1_000_000)
    }

    /// ISO-8601 with milliseconds, as JS `toISOString` writes it: `2015-12-24T23:30:45.123Z`.
    pub fn to_js_string(&self) -> String {
        let (y, mo, d, h, mi, s, us) = self.parts();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z", us / 1000)
    }

    /// ISO-8601 with microseconds, as PHP writes it: `2015-12-24T23:30:45.123456Z`.
    pub fn to_php_string(&self) -> String {
        let (y, mo, d, h, mi, s, us) = self.parts();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}Z")
    }

    /// Parses an ISO-8601 date-time: `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM|±HHMM)`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let err = || format!("[{s}] is not a valid ISO-8601 date-time");
        let b = s.as_bytes();
        if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return Err(err());
        }
        let date = Date::parse(&s[..10]).map_err(|_| err())?;
        let h = digits(&s[11..13]).ok_or_else(err)?;
        let mi = digits(&s[14..16]).ok_or_else(err)?;
        let sec = digits(&s[17..19]).ok_or_else(err)?;
        if h > 23 || mi > 59 || sec > 59 {
            return Err(err());
        }
        let mut rest = &s[19..];
        let mut frac_us: i64 = 0;
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 || n > 9 {
                return Err(err());
            }
            let mut us = 0i64;
            for (i, c) in r[..n].bytes().enumerate() {
                if i < 6 {
                    us = us * 10 + i64::from(c - b'0');
                }
            }
            for _ in n..6 {
                us *= 10;
            }
            frac_us = us;
            rest = &r[n..];
        }
        let offset_secs: i64 = match rest {
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(err()),
                };
                let o = &rest[1..];
                let (oh, om) = match o.len() {
                    5 if o.as_bytes()[2] == b':' => (&o[0..2], &o[3..5]),
                    4 => (&o[0..2], &o[2..4]),
                    _ => return Err(err()),
                };
                let (oh, om) = (digits(oh).ok_or_else(err)?, digits(om).ok_or_else(err)?);
                if oh > 23 || om > 59 {
                    return Err(err());
                }
                sign * i64::from(oh * 3600 + om * 60)
            }
        };
        let secs = date.days_since_epoch() * 86_400 + i64::from(h * 3600 + mi * 60 + sec)
            - offset_secs;
        Self::from_unix_micros(secs * 1_000_000 + frac_us).ok_or_else(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let dt = DateTime::parse("2014-12-25T12:12:00.123456Z").unwrap();
        assert_eq!(dt.to_php_string(), "2014-12-25T12:12:00.123456Z");
        assert_eq!(dt.to_js_string(), "2014-12-25T12:12:00.123Z");
        let dt = DateTime::parse("2014-12-25T12:13:14.123456+08:00").unwrap();
        assert_eq!(dt.to_php_string(), "2014-12-25T04:13:14.123456Z");
        assert_eq!(DateTime::from_unix_micros(0).unwrap().to_js_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Date::parse("2015-12-25").unwrap().to_string(), "2015-12-25");
        assert!(Date::parse("2015-02-30").is_err());
        assert!(DateTime::parse("cats").is_err());
    }
}
