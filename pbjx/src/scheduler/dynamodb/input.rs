//! The input of a job's Step Functions execution, byte for byte the original's: `{"job_id",
//! "tenant_id"?, "resend_at"?, "send_at"}` with dates as `Y-m-d\TH:i:s\Z`, and the `resend_at`
//! chain for dates a year or more away (an execution lasts at most a year).

use crate::error::{Error, Result};

/// Seconds in a day.
const DAY: i64 = 86_400;
/// A job this many days away or more needs a chain of executions.
const CHAIN_FROM_DAYS: i64 = 365;
/// The length of one leg of a chain: a skosh below a year.
const LEG: i64 = 364 * DAY;

/// The input of one execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionInput {
    /// The job id.
    pub job_id: String,
    /// The command's `ctx_tenant_id`, if any.
    pub tenant_id: Option<String>,
    /// The dates of the next legs, the job's own date last (empty on the last leg).
    pub resend_at: Vec<String>,
    /// When this execution ends (`Y-m-d\TH:i:s\Z`).
    pub send_at: String,
}

/// `unix` seconds as `Y-m-d\TH:i:s\Z` (an error outside the years 0..=9999).
pub fn format_date(unix: i64) -> Result<String> {
    let at = unix
        .checked_mul(1_000_000)
        .and_then(pbj::DateTime::from_unix_micros)
        .map(|t| t.to_js_string())
        .filter(|s| s.len() == 24);
    match at {
        Some(js) => Ok(format!("{}Z", &js[..19])),
        None => Err(Error::InvalidArgument {
            message: format!("send_at [{unix}] is outside the dates Step Functions can wait for"),
        }),
    }
}

impl ExecutionInput {
    /// The first execution's input for a job due at `send_at` when it is `now` (unix
    /// seconds): a plain `send_at` when it is less than 365 days away, else the chain: dates
    /// every 364 days from `now + 364 days` while before `send_at`, then `send_at` itself,
    /// the first of them moved into `send_at`.
    ///
    /// ```
    /// use pbjx::scheduler::dynamodb::ExecutionInput;
    /// // 2024-01-01T00:00:00Z, and a job 400 days later
    /// let input = ExecutionInput::new("job-1", Some("t1"), 1_704_067_200 + 400 * 86_400, 1_704_067_200)?;
    /// assert_eq!(
    ///     input.to_json(),
    ///     r#"{"job_id":"job-1","tenant_id":"t1","resend_at":["2025-02-04T00:00:00Z"],"send_at":"2024-12-30T00:00:00Z"}"#
    /// );
    /// # Ok::<(), pbjx::Error>(())
    /// ```
    pub fn new(job_id: &str, tenant_id: Option<&str>, send_at: i64, now: i64) -> Result<Self> {
        let mut dates = Vec::new();
        // whole days between the two, like PHP's DateTime::diff()->format('%a')
        if send_at.abs_diff(now) / DAY.unsigned_abs() >= CHAIN_FROM_DAYS.unsigned_abs() {
            let mut leg = now.saturating_add(LEG);
            loop {
                dates.push(format_date(leg)?);
                leg = leg.saturating_add(LEG);
                if leg >= send_at {
                    break;
                }
            }
        }
        dates.push(format_date(send_at)?);
        let send_at = dates.remove(0);
        Ok(Self {
            job_id: job_id.to_owned(),
            tenant_id: tenant_id.map(str::to_owned),
            resend_at: dates,
            send_at,
        })
    }

    /// The input of the next leg of a chain (`None` on the last leg): the first `resend_at`
    /// date moved into `send_at`.
    pub fn next_leg(&self) -> Option<Self> {
        let (next, rest) = self.resend_at.split_first()?;
        Some(Self {
            job_id: self.job_id.clone(),
            tenant_id: self.tenant_id.clone(),
            resend_at: rest.to_vec(),
            send_at: next.clone(),
        })
    }

    /// The JSON the original sends (PHP `json_encode`: `/` and non-ASCII escaped; keys in the
    /// original's order; `resend_at` only on a chain).
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"job_id\":");
        php_string(&mut out, &self.job_id);
        if let Some(tenant) = &self.tenant_id {
            out.push_str(",\"tenant_id\":");
            php_string(&mut out, tenant);
        }
        if !self.resend_at.is_empty() {
            out.push_str(",\"resend_at\":[");
            for (i, date) in self.resend_at.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                php_string(&mut out, date);
            }
            out.push(']');
        }
        out.push_str(",\"send_at\":");
        php_string(&mut out, &self.send_at);
        out.push('}');
        out
    }

    /// Reads an input back (as the state machine hands it to the worker).
    pub fn from_value(value: &serde_json::Value) -> Option<Self> {
        let text = |key: &str| value.get(key).and_then(serde_json::Value::as_str);
        let resend_at = match value.get("resend_at") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(list) => list
                .as_array()?
                .iter()
                .map(|d| d.as_str().map(str::to_owned))
                .collect::<Option<_>>()?,
        };
        Some(Self {
            job_id: text("job_id")?.to_owned(),
            tenant_id: text("tenant_id").map(str::to_owned),
            resend_at,
            send_at: text("send_at")?.to_owned(),
        })
    }
}

/// A JSON string as PHP's `json_encode` writes it by default.
fn php_string(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-01-01T00:00:00Z
    const NOW: i64 = 1_704_067_200;

    #[test]
    fn dates_are_utc_seconds() {
        assert_eq!(format_date(NOW).unwrap(), "2024-01-01T00:00:00Z");
        assert_eq!(format_date(NOW + 3661).unwrap(), "2024-01-01T01:01:01Z");
        assert!(format_date(i64::MAX).is_err());
        assert!(format_date(253_402_300_800).is_err()); // year 10000
    }

    #[test]
    fn within_a_year_is_one_execution() {
        let input = ExecutionInput::new("job-1", None, NOW + 364 * DAY + 86_399, NOW).unwrap();
        assert_eq!(
            input.to_json(),
            r#"{"job_id":"job-1","send_at":"2024-12-30T23:59:59Z"}"#
        );
        assert_eq!(input.next_leg(), None);
        let soon = ExecutionInput::new("job-1", Some("acme/tenant"), NOW + 2, NOW).unwrap();
        assert_eq!(
            soon.to_json(),
            r#"{"job_id":"job-1","tenant_id":"acme\/tenant","send_at":"2024-01-01T00:00:02Z"}"#
        );
    }

    #[test]
    fn a_year_away_is_a_chain_of_legs() {
        // exactly 365 days: two legs (2024 is a leap year)
        let input = ExecutionInput::new("j", None, NOW + 365 * DAY, NOW).unwrap();
        assert_eq!(
            input.to_json(),
            r#"{"job_id":"j","resend_at":["2024-12-31T00:00:00Z"],"send_at":"2024-12-30T00:00:00Z"}"#
        );
        // 1000 days: legs at +364, +728, then the date itself (+1000)
        let input = ExecutionInput::new("j", Some("t"), NOW + 1000 * DAY, NOW + 3600).unwrap();
        assert_eq!(input.send_at, "2024-12-30T01:00:00Z");
        assert_eq!(
            input.resend_at,
            ["2025-12-29T01:00:00Z", "2026-09-27T00:00:00Z"]
        );
        let second = input.next_leg().unwrap();
        assert_eq!(
            second.to_json(),
            r#"{"job_id":"j","tenant_id":"t","resend_at":["2026-09-27T00:00:00Z"],"send_at":"2025-12-29T01:00:00Z"}"#
        );
        let last = second.next_leg().unwrap();
        assert_eq!(
            last.to_json(),
            r#"{"job_id":"j","tenant_id":"t","send_at":"2026-09-27T00:00:00Z"}"#
        );
        assert_eq!(last.next_leg(), None);
        // a leg landing exactly on the date is not repeated
        let input = ExecutionInput::new("j", None, NOW + 728 * DAY, NOW).unwrap();
        assert_eq!(input.resend_at, ["2025-12-29T00:00:00Z"]);
        assert_eq!(input.send_at, "2024-12-30T00:00:00Z");
    }

    #[test]
    fn input_reads_back() {
        let input = ExecutionInput::new("j/1", Some("t"), NOW + 800 * DAY, NOW).unwrap();
        let value: serde_json::Value = serde_json::from_str(&input.to_json()).unwrap();
        assert_eq!(ExecutionInput::from_value(&value), Some(input));
        assert_eq!(
            ExecutionInput::from_value(&serde_json::json!({"job_id": "x"})),
            None
        );
    }

    #[test]
    fn strings_are_escaped_like_php() {
        let mut out = String::new();
        php_string(&mut out, "a/b\"c\\d\né😀\u{1}");
        assert_eq!(out, r#""a\/b\"c\\d\n\u00e9\ud83d\ude00\u0001""#);
    }
}
