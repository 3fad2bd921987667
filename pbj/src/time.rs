//! Calendar dates ([`Date`]) and UTC instants with microsecond precision ([`DateTime`]).

use std::fmt;

/// A text that is not a [`Date`] or [`DateTime`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseTimeError {
    /// Not a real calendar date written `YYYY-MM-DD`.
    #[error("[{value}] is not a valid YYYY-MM-DD date")]
    Date {
        /// The rejected text.
        value: String,
    },
    /// Not an ISO-8601 date-time the JS implementation accepts (years 0000-9999).
    #[error("[{value}] is not a valid ISO-8601 date-time")]
    DateTime {
        /// The rejected text.
        value: String,
    },
}

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
        ((1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day)
            && (0..=9999).contains(&year))
        .then_some(Self { year, month, day })
    }
    /// Parses exactly `YYYY-MM-DD` (a real calendar date).
    ///
    /// ```
    /// let d = pbj::Date::parse("2015-12-25")?;
    /// assert_eq!((d.year(), d.month(), d.day()), (2015, 12, 25));
    /// assert!(pbj::Date::parse("2015-02-30").is_err());
    /// # Ok::<(), pbj::time::ParseTimeError>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, ParseTimeError> {
        let err = || ParseTimeError::Date {
            value: s.to_owned(),
        };
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let y = digits(&s[0..4]).ok_or_else(err)?;
        let m = digits(&s[5..7]).ok_or_else(err)?;
        let d = digits(&s[8..10]).ok_or_else(err)?;
        Self::new(y as i32, m as u8, d as u8).ok_or_else(err)
    }
    /// The date JS `Date.UTC(year, month0, day)` builds, as the JS `date` decoder calls it:
    /// years 0-99 mean 1900-1999, months and days overflow into the next (or previous) month
    /// and year (`2020-02-30` is `2020-03-01`). `None` outside years 0000-9999.
    pub(crate) fn from_js_utc(year: i64, month0: i64, day: i64) -> Option<Self> {
        let year = if (0..=99).contains(&year) {
            year + 1900
        } else {
            year
        };
        let year = year + month0.div_euclid(12);
        let month = u8::try_from(month0.rem_euclid(12) + 1).ok()?;
        let days = days_from_civil(i32::try_from(year).ok()?, month, 1) + day - 1;
        let (y, m, d) = civil_from_days(days);
        Self::new(i32::try_from(y).ok()?, m, d)
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
        (MIN_MICROS..=MAX_MICROS)
            .contains(&micros)
            .then_some(Self { micros })
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
        (
            y,
            m,
            d,
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            rem % 1_000_000,
        )
    }

    /// ISO-8601 with milliseconds, as JS `toISOString` writes it: `2015-12-24T23:30:45.123Z`.
    pub fn to_js_string(&self) -> String {
        let (y, mo, d, h, mi, s, us) = self.parts();
        format!(
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
            us / 1000
        )
    }

    /// ISO-8601 with microseconds, as PHP writes it: `2015-12-24T23:30:45.123456Z`.
    pub fn to_php_string(&self) -> String {
        let (y, mo, d, h, mi, s, us) = self.parts();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}Z")
    }

    /// Parses a date-time as the JS decoder accepts it: the value must pass the JS ISO-8601 regex
    /// ([`crate::format::is_iso8601`]) and be one of the forms V8's `Date` parses:
    /// `YYYY[-MM[-DD]]` (midnight UTC) or `YYYY-MM-DD(T|space)HH:MM[:SS[.f+]][Z|z|±HH:MM|±HHMM]`.
    /// Fractions keep microseconds (digits beyond 6 are truncated), days 29-31 overflow into the
    /// next month and `24:00` is midnight of the next day, as in V8. PHP's 6-digit form is
    /// included. Deviation: V8 reads a date-time without zone as local time; here it is UTC.
    ///
    /// ```
    /// let dt = pbj::DateTime::parse("2015-12-25T07:30:45.123+08:00")?;
    /// assert_eq!(dt.to_js_string(), "2015-12-24T23:30:45.123Z");
    /// assert_eq!(dt.to_php_string(), "2015-12-24T23:30:45.123000Z");
    /// # Ok::<(), pbj::time::ParseTimeError>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, ParseTimeError> {
        let err = || ParseTimeError::DateTime {
            value: s.to_owned(),
        };
        if !crate::format::is_iso8601(s) {
            return Err(err());
        }
        let b = s.as_bytes();
        let num = |from: usize, len: usize| -> Option<i64> {
            let part = b.get(from..from + len)?;
            part.iter().all(u8::is_ascii_digit).then(|| {
                part.iter()
                    .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
            })
        };
        let year = num(0, 4).ok_or_else(err)?;
        let (mut month, mut day) = (1, 1);
        let mut pos = 4;
        if b.get(pos) == Some(&b'-') {
            month = num(5, 2).ok_or_else(err)?;
            pos = 7;
            if b.get(pos) == Some(&b'-') {
                day = num(8, 2).ok_or_else(err)?;
                pos = 10;
            }
        }
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Err(err());
        }
        let mut secs_of_day = 0i64;
        let mut frac_us = 0i64;
        let mut offset_secs = 0i64;
        if pos < b.len() {
            // A time needs a full date, a `T` or whitespace separator and `HH:MM`.
            if pos != 10 {
                return Err(err());
            }
            let sep_len = s[pos..].chars().next().map_or(0, char::len_utf8);
            pos += sep_len;
            let h = num(pos, 2).ok_or_else(err)?;
            if b.get(pos + 2) != Some(&b':') {
                return Err(err());
            }
            let mi = num(pos + 3, 2).ok_or_else(err)?;
            pos += 5;
            let mut sec = 0;
            if b.get(pos) == Some(&b':') {
                sec = num(pos + 1, 2).ok_or_else(err)?;
                pos += 3;
                if b.get(pos) == Some(&b'.') {
                    let n = b[pos + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .count();
                    if n == 0 {
                        return Err(err());
                    }
                    let mut us = 0i64;
                    for i in 0..6 {
                        us = us * 10
                            + b.get(pos + 1 + i)
                                .filter(|_| i < n)
                                .map_or(0, |d| i64::from(d - b'0'));
                    }
                    frac_us = us;
                    pos += 1 + n;
                }
            }
            if h > 24 || mi > 59 || sec > 59 || (h == 24 && (mi != 0 || sec != 0 || frac_us != 0)) {
                return Err(err());
            }
            secs_of_day = h * 3600 + mi * 60 + sec;
            match &b[pos..] {
                [] | [b'Z'] | [b'z'] => {}
                [sign @ (b'+' | b'-'), rest @ ..] => {
                    let (oh, om) = match rest {
                        [_, _, b':', _, _] => (num(pos + 1, 2), num(pos + 4, 2)),
                        [_, _, _, _] => (num(pos + 1, 2), num(pos + 3, 2)),
                        _ => (None, None),
                    };
                    let (oh, om) = (oh.ok_or_else(err)?, om.ok_or_else(err)?);
                    let off = oh * 3600 + om * 60;
                    offset_secs = if *sign == b'-' { -off } else { off };
                }
                _ => return Err(err()),
            }
        }
        let m = u8::try_from(month).map_err(|_| err())?;
        let days = days_from_civil(i32::try_from(year).map_err(|_| err())?, m, 1) + day - 1;
        let secs = days * 86_400 + secs_of_day - offset_secs;
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
        assert_eq!(
            DateTime::from_unix_micros(0).unwrap().to_js_string(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(Date::parse("2015-12-25").unwrap().to_string(), "2015-12-25");
        assert!(Date::parse("2015-02-30").is_err());
        assert!(DateTime::parse("cats").is_err());
    }

    #[test]
    fn parses_what_js_accepts() {
        let js = |v: &str| DateTime::parse(v).map(|d| d.to_js_string());
        for (input, out) in [
            ("2020-01-01", "2020-01-01T00:00:00.000Z"),
            ("2020-01", "2020-01-01T00:00:00.000Z"),
            ("2020", "2020-01-01T00:00:00.000Z"),
            ("2020-01-01T10:20", "2020-01-01T10:20:00.000Z"),
            ("2020-01-01T10:20Z", "2020-01-01T10:20:00.000Z"),
            ("2020-01-01T10:20:30.1Z", "2020-01-01T10:20:30.100Z"),
            ("2020-01-01T10:20:30.123456789Z", "2020-01-01T10:20:30.123Z"),
            ("2020-01-01 10:20:30Z", "2020-01-01T10:20:30.000Z"),
            ("2020-01-01\t10:20:30Z", "2020-01-01T10:20:30.000Z"),
            ("2020-01-01T10:20:30+0800", "2020-01-01T02:20:30.000Z"),
            ("2020-06-15T12:00:00+02:00", "2020-06-15T10:00:00.000Z"),
            ("2020-01-01T10:20:30-00:00", "2020-01-01T10:20:30.000Z"),
            ("2020-01-01T10:20:30z", "2020-01-01T10:20:30.000Z"),
            ("2020-01-01T24:00Z", "2020-01-02T00:00:00.000Z"),
            ("2020-02-30T00:00:00Z", "2020-03-01T00:00:00.000Z"),
            ("2020-02-31", "2020-03-02T00:00:00.000Z"),
            ("2020-01-01T10:20:30.1234+01:30", "2020-01-01T08:50:30.123Z"),
        ] {
            assert_eq!(js(input).as_deref(), Ok(out), "{input}");
        }
        assert_eq!(
            DateTime::parse("2020-01-01T10:20:30.1234567Z")
                .unwrap()
                .to_php_string(),
            "2020-01-01T10:20:30.123456Z"
        );
        for bad in [
            "2020-01-01T10:20:30,123Z",
            "2020-01-01T10:20:30+08",
            "2020-02-32",
            "20200101",
            "20200101T102030Z",
            "2020-01-01T102030Z",
            "2020-01-01T10Z",
            "2020-01-01T10",
            "2020-W01",
            "2020-01-01T10:20:30.Z",
            "2020-01-01T",
            "2020-01-01T23:59:60Z",
            "2020-0101",
            "2020-01-01T10:20:30.5+05",
            "2020-13-01T00:00:00Z",
            "yesterday",
            "12345",
            "2020-01-01T24:00:01Z",
            "2020-01-01T24:00:00Z",
            "",
        ] {
            assert!(DateTime::parse(bad).is_err(), "{bad}");
        }
    }
}
