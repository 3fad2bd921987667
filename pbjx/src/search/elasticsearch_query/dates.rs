//! The original's date handling for `date` nodes: `DateTime::createFromFormat('!Y-m-d', ..)`
//! in UTC, which rolls out-of-range months and days over (`2024-13-45` is `2025-02-14`, a day
//! `00` is the last day of the month before), then `->modify('+1 day')` and `->format('Y-m-d')`.

use pbj::{Date, DateTime};

use super::BuildError;

const DAY_MICROS: i64 = 86_400_000_000;

/// `value` (`YYYY-MM-DD`, rolled over as PHP does) plus `plus_days`, as `YYYY-MM-DD`. A value of
/// another form is today's date (the date of `now`), as in the original.
pub(super) fn php_date(value: &str, plus_days: i64, now: DateTime) -> Result<String, BuildError> {
    let days = match parts(value) {
        Some((year, month, day)) => {
            let month0 = month - 1;
            let year = year + month0.div_euclid(12);
            let month = month0.rem_euclid(12) + 1;
            let first = i32::try_from(year)
                .ok()
                .zip(u8::try_from(month).ok())
                .and_then(|(y, m)| Date::new(y, m, 1))
                .ok_or_else(|| out_of_range(value))?;
            first.days_since_epoch() + day - 1
        }
        None => now.unix_micros().div_euclid(DAY_MICROS),
    };
    (days + plus_days)
        .checked_mul(DAY_MICROS)
        .and_then(DateTime::from_unix_micros)
        .map(|dt| dt.to_php_string()[..10].to_owned())
        .ok_or_else(|| out_of_range(value))
}

/// Year, month and day of exactly `DDDD-DD-DD`.
fn parts(value: &str) -> Option<(i64, i64, i64)> {
    let b = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Some((digits(0..4)?, digits(5..7)?, digits(8..10)?))
}

fn out_of_range(value: &str) -> BuildError {
    BuildError::DateOutOfRange {
        value: value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_roll_over_as_in_php() {
        let now = DateTime::parse("2024-06-15T10:00:00Z").unwrap();
        let date = |v: &str, plus: i64| php_date(v, plus, now).unwrap();
        assert_eq!(date("2024-05-06", 0), "2024-05-06");
        assert_eq!(date("2023-12-31", 1), "2024-01-01");
        assert_eq!(date("2024-02-29", 1), "2024-03-01");
        assert_eq!(date("2024-13-45", 0), "2025-02-14");
        assert_eq!(date("2024-03-00", 0), "2024-02-29");
        assert_eq!(date("2024-00-10", 0), "2023-12-10");
        assert_eq!(date("yesterday", 1), "2024-06-16");
        assert!(php_date("0000-00-01", 0, now).is_err());
        assert!(php_date("9999-12-31", 1, now).is_err());
    }
}
