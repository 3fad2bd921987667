//! `--since` / `--until`: unix seconds or microtime.

use pbj::well_known::Microtime;

/// Parses unix seconds or a 16-digit microtime: like the original, the digits are
/// right-padded with zeros to 16 (10 digits of seconds, 6 of microseconds).
///
/// ```
/// # use pbjx_cli::parse_time;
/// assert_eq!(parse_time("1700000000").unwrap().to_string(), "1700000000000000");
/// assert_eq!(parse_time("1700000000123456").unwrap().to_string(), "1700000000123456");
/// assert!(parse_time("17000000001234567").is_err());
/// assert!(parse_time("yesterday").is_err());
/// ```
pub fn parse_time(value: &str) -> Result<Microtime, String> {
    if value.is_empty() || value.len() > 16 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "[{value}] is neither unix seconds nor a 16-digit microtime"
        ));
    }
    let padded = format!("{value:0<16}");
    Microtime::parse(&padded).map_err(|e| e.to_string())
}
