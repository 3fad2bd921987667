//! The JS implementation's conversions of a parsed JSON value, as the lenient decoder needs
//! them: ECMAScript `String(v)` and `Number(string)`, lodash `toString` / `toFinite` /
//! `toSafeInteger` and the `bignumber.js` constructor.
//!
//! Hand-written because each rule must match the JS bytes exactly (`String([1, null])` is
//! `"1,"` but lodash `toString([1, null])` is `"1,null"`); no crate reproduces these.

use std::borrow::Cow;

use crate::codec::json::Json;
use crate::number::js_number;
use crate::text::{is_js_whitespace, js_trim};

/// `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The number a JSON number text parses to (`JSON.parse`): the nearest double, `±Infinity`
/// beyond its range.
pub(crate) fn json_number(raw: &str) -> f64 {
    raw.parse().unwrap_or(f64::NAN)
}

/// ECMAScript `String(v)` (also what a template literal `${v}` gives): `null` for null,
/// `Array.prototype.join(",")` for arrays (null elements are empty), `[object Object]`.
pub(crate) fn string<'a>(v: &'a Json<'_>) -> Cow<'a, str> {
    match v {
        Json::String(s) => Cow::Borrowed(s),
        Json::Null => Cow::Borrowed("null"),
        Json::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Json::Number(raw) => Cow::Owned(js_number(json_number(raw))),
        Json::Array(items) => Cow::Owned(join(items, |item| match item {
            Json::Null => Cow::Borrowed(""),
            other => string(other),
        })),
        Json::Object(_) => Cow::Borrowed("[object Object]"),
    }
}

/// lodash `toString(v)`: `""` for null, `-0` for negative zero, and arrays joined from lodash
/// `baseToString` of each element (where a null element is `"null"`).
pub(crate) fn lodash_string<'a>(v: &'a Json<'_>) -> Cow<'a, str> {
    match v {
        Json::Null => Cow::Borrowed(""),
        other => base_to_string(other),
    }
}

fn base_to_string<'a>(v: &'a Json<'_>) -> Cow<'a, str> {
    match v {
        Json::Number(raw) => {
            let n = json_number(raw);
            if n == 0.0 && n.is_sign_negative() {
                Cow::Borrowed("-0")
            } else {
                Cow::Owned(js_number(n))
            }
        }
        Json::Array(items) => Cow::Owned(join(items, base_to_string)),
        other => string(other),
    }
}

fn join<'a, 'j>(items: &'a [Json<'j>], each: impl Fn(&'a Json<'j>) -> Cow<'a, str>) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&each(item));
    }
    out
}

/// ECMAScript `Number(s)` of a string: JS-trimmed; empty is 0; decimal literals with an
/// optional sign, `Infinity`, and unsigned `0x` / `0o` / `0b` integers; anything else is NaN.
pub(crate) fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_whitespace);
    if t.is_empty() {
        return 0.0;
    }
    if let Some((radix, digits)) = radix_prefix(t) {
        return radix_integer(digits, radix);
    }
    let (sign, unsigned) = match t.as_bytes()[0] {
        b'-' => (-1.0, &t[1..]),
        b'+' => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    if unsigned == "Infinity" {
        return sign * f64::INFINITY;
    }
    if !is_decimal_literal(unsigned) {
        return f64::NAN;
    }
    // The grammar is checked above; Rust's parser rounds correctly, as JS does.
    unsigned.parse::<f64>().map_or(f64::NAN, |v| sign * v)
}

/// The radix and digits of a `0x` / `0o` / `0b` literal (either case) with at least one digit.
fn radix_prefix(s: &str) -> Option<(u32, &str)> {
    let radix = match s.as_bytes() {
        [b'0', b'x' | b'X', _, ..] => 16,
        [b'0', b'o' | b'O', _, ..] => 8,
        [b'0', b'b' | b'B', _, ..] => 2,
        _ => return None,
    };
    Some((radix, &s[2..]))
}

/// `digits [. digits?] | . digits`, then an optional `e[+-]digits` (ECMAScript
/// StrUnsignedDecimalLiteral without `Infinity`).
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(0);
    let mut pos = int;
    let mut frac = 0;
    if b.get(pos) == Some(&b'.') {
        frac = digits(pos + 1);
        pos += 1 + frac;
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if matches!(b.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(b.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        let exp = digits(pos);
        if exp == 0 {
            return false;
        }
        pos += exp;
    }
    pos == b.len()
}

/// The value of an unsigned integer in `radix` (NaN if a digit is out of range). Exact up to
/// 2^128, then accumulated in doubles.
fn radix_integer(digits: &str, radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    if let Ok(v) = u128::from_str_radix(digits, radix) {
        return v as f64;
    }
    let mut acc = 0.0;
    for c in digits.chars() {
        match c.to_digit(radix) {
            Some(d) => acc = acc * f64::from(radix) + f64::from(d),
            None => return f64::NAN,
        }
    }
    acc
}

/// lodash `toNumber(v)`: `null` is 0, booleans 1 / 0, strings as [`string_to_number`], arrays
/// and objects through their string form (`[5]` is 5, `{}` is NaN).
pub(crate) fn to_number(v: &Json<'_>) -> f64 {
    match v {
        Json::Null => 0.0,
        Json::Bool(b) => f64::from(u8::from(*b)),
        Json::Number(raw) => json_number(raw),
        other => string_to_number(&string(other)),
    }
}

/// Whether `v` is falsy in JS (`null`, `false`, `""`, `0`, `-0`).
pub(crate) fn is_falsy(v: &Json<'_>) -> bool {
    match v {
        Json::Null => true,
        Json::Bool(b) => !b,
        Json::String(s) => s.is_empty(),
        Json::Number(raw) => {
            let n = json_number(raw);
            n == 0.0 || n.is_nan()
        }
        Json::Array(_) | Json::Object(_) => false,
    }
}

/// lodash `toFinite(v)`: falsy values are 0 (`-0` stays), NaN is 0, `±Infinity` is
/// `±Number.MAX_VALUE`.
pub(crate) fn to_finite(v: &Json<'_>) -> f64 {
    if is_falsy(v) {
        return match v {
            Json::Number(raw) if json_number(raw) == 0.0 => json_number(raw),
            _ => 0.0,
        };
    }
    finite(to_number(v))
}

/// lodash `toFinite` of a number.
pub(crate) fn finite(n: f64) -> f64 {
    if n.is_nan() {
        0.0
    } else if n.is_infinite() {
        f64::MAX.copysign(n)
    } else {
        n
    }
}

/// lodash `toSafeInteger(v)`: [`to_finite`] truncated toward zero and clamped to
/// `±Number.MAX_SAFE_INTEGER`.
pub(crate) fn to_safe_integer(v: &Json<'_>) -> i64 {
    let n = to_finite(v)
        .trunc()
        .clamp(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER);
    // Exact: |n| <= 2^53 - 1.
    n as i64
}

/// A value read by the `bignumber.js` constructor: `-`, digits and the power of ten they are
/// scaled by (`value = sign × digits × 10^exp`).
#[derive(Debug, PartialEq)]
pub(crate) struct BigNumber {
    /// Whether the sign is negative (`-0` included, as `BigNumber#isNegative` reports it).
    pub negative: bool,
    /// Decimal digits without leading zeros (empty for zero).
    pub digits: String,
    /// The power of ten applied to `digits`.
    pub exp: i64,
}

impl BigNumber {
    /// `new BigNumber(v)` for a JSON value (`None`: NaN or ±Infinity). Numbers go through
    /// their double and its JS string; strings are decimal literals (`1.5`, `1e3`, `.5`),
    /// whitespace and a leading `+` are ignored, `0x` / `0o` / `0b` integers are read in their
    /// base. Deviation: based literals with a fraction (`0x1.8`, accepted by bignumber.js) are
    /// rejected.
    pub(crate) fn parse(v: &Json<'_>) -> Option<Self> {
        match v {
            Json::Number(raw) => {
                let n = json_number(raw);
                if !n.is_finite() {
                    return None;
                }
                let mut parsed = Self::decimal(&js_number(n.abs()))?;
                parsed.negative = n.is_sign_negative();
                Some(parsed)
            }
            other => Self::text(&string(other)),
        }
    }

    fn text(s: &str) -> Option<Self> {
        if let Some(v) = Self::decimal(s) {
            return Some(v);
        }
        // bignumber.js `parseNumeric`: strip surrounding whitespace or a leading `+`, read a
        // base prefix, and try again once.
        let stripped = s.trim_matches(is_js_whitespace);
        let stripped = match stripped.strip_prefix('+') {
            Some(rest)
                if rest
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.') =>
            {
                rest
            }
            _ => stripped,
        };
        let (negative, unsigned) = match stripped.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, stripped),
        };
        if let Some((radix, body)) = radix_prefix(unsigned) {
            let uniform_case =
                body == body.to_ascii_lowercase() || body == body.to_ascii_uppercase();
            if uniform_case && body.bytes().all(|c| c.is_ascii_alphanumeric()) {
                let v = u128::from_str_radix(body, radix).ok()?;
                return Some(Self {
                    negative,
                    digits: if v == 0 { String::new() } else { v.to_string() },
                    exp: 0,
                });
            }
        }
        if stripped != s {
            return Self::decimal(stripped);
        }
        None
    }

    /// `-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?` (case-insensitive `e`), exactly.
    fn decimal(s: &str) -> Option<Self> {
        let (negative, unsigned) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (mantissa, exp_text) = match unsigned.find(['e', 'E']) {
            Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
            None => (unsigned, None),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let mut exp: i64 = 0;
        if let Some(e) = exp_text {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !all_digits(digits) {
                return None;
            }
            // Beyond bignumber.js's exponent limits the value is ±Infinity or 0; either way
            // far outside every pbj range, which a saturated exponent preserves.
            let magnitude: i64 = digits.parse().unwrap_or(i64::MAX / 4).min(i64::MAX / 4);
            exp = if e.starts_with('-') {
                -magnitude
            } else {
                magnitude
            };
        }
        let all: String = int.chars().chain(frac.chars()).collect();
        let trimmed = all.trim_start_matches('0');
        let frac_len = i64::try_from(frac.len()).ok()?;
        Some(Self {
            negative,
            digits: trimmed.to_owned(),
            exp: exp - frac_len,
        })
    }

    /// The value truncated toward zero (`None` beyond ±2^127) and whether a fraction was cut
    /// off, and whether that fraction is at least one half.
    fn split(&self) -> Option<(i128, bool, bool)> {
        let digits = self.digits.as_bytes();
        if digits.is_empty() {
            return Some((0, false, false));
        }
        let len = i64::try_from(digits.len()).ok()?;
        // Number of integer digits.
        let int_len = len + self.exp;
        if int_len > 39 {
            return None;
        }
        let int_len = usize::try_from(int_len.max(0)).ok()?;
        let (int_digits, frac_digits) = digits.split_at(int_len.min(digits.len()));
        let mut int: i128 = 0;
        for d in int_digits {
            int = int.checked_mul(10)?.checked_add(i128::from(d - b'0'))?;
        }
        for _ in digits.len()..int_len {
            int = int.checked_mul(10)?;
        }
        // Zeros between the point and the first fraction digit.
        let lead = usize::try_from(-(len + self.exp)).unwrap_or(0);
        let has_fraction = frac_digits.iter().any(|d| *d != b'0');
        let half_or_more = lead == 0 && frac_digits.first().is_some_and(|d| *d >= b'5');
        Some((int, has_fraction, half_or_more))
    }

    /// Checks `min <= value <= max` on the exact value and returns it rounded half away from
    /// zero (`toFixed(0)`, ROUND_HALF_UP). Unsigned ranges (`min == 0`) reject every negative
    /// sign, `-0` included (`BigNumber#isNegative`).
    pub(crate) fn to_integer_within(&self, min: i128, max: i128) -> Result<i128, String> {
        if min == 0 && self.negative {
            return Err("cannot be negative".into());
        }
        let out_of_range = || format!("must be between {min} and {max}");
        let (int, has_fraction, half_or_more) = self.split().ok_or_else(out_of_range)?;
        // The exact value is sign × (int + fraction), 0 <= fraction < 1.
        let (value, beyond) = if self.negative {
            (-int, -int < min || (-int == min && has_fraction))
        } else {
            (int, int > max || (int == max && has_fraction))
        };
        if beyond || value < min || value > max {
            return Err(out_of_range());
        }
        Ok(match (half_or_more, self.negative) {
            (false, _) => value,
            (true, false) => value + 1,
            (true, true) => value - 1,
        })
    }
}

/// The JS view of an object's members (`JSON.parse`, then `Object.keys`): one entry per key
/// holding its last value, at the key's first position; integer-like keys (array indexes)
/// first, ascending.
pub(crate) fn object_view<'j, 'a>(
    entries: &'j [(Cow<'a, str>, Json<'a>)],
) -> Vec<(&'j str, &'j Json<'a>)> {
    let mut out: Vec<(&str, &Json<'a>)> = Vec::with_capacity(entries.len());
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (k, v) in entries {
        match index.get(k.as_ref()) {
            Some(&i) => out[i].1 = v,
            None => {
                index.insert(k, out.len());
                out.push((k, v));
            }
        }
    }
    let mut indexed: Vec<(u32, (&str, &Json<'a>))> = Vec::new();
    out.retain(|(k, v)| match crate::codec::encode::array_index(k) {
        Some(i) => {
            indexed.push((i, (k, v)));
            false
        }
        None => true,
    });
    indexed.sort_by_key(|(i, _)| *i);
    indexed.into_iter().map(|(_, e)| e).chain(out).collect()
}

/// JS-trimmed lodash string of `v`.
pub(crate) fn trimmed_lodash_string<'a>(v: &'a Json<'_>) -> Cow<'a, str> {
    match lodash_string(v) {
        Cow::Borrowed(s) => Cow::Borrowed(js_trim(s)),
        Cow::Owned(s) => Cow::Owned(js_trim(&s).to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::json::parse;

    /// Each case: JSON, `String(v)`, `Number(v)` as Node 20 prints them.
    const ECMASCRIPT: &[(&str, &str, f64)] = &[
        ("null", "null", 0.0),
        ("true", "true", 1.0),
        ("-0", "0", -0.0),
        ("7.9", "7.9", 7.9),
        ("1e21", "1e+21", 1e21),
        ("\"\"", "", 0.0),
        ("\" 42 \"", " 42 ", 42.0),
        ("\"1e2\"", "1e2", 100.0),
        ("\"0x1F\"", "0x1F", 31.0),
        ("\"0b101\"", "0b101", 5.0),
        ("\"0o17\"", "0o17", 15.0),
        ("\"+5\"", "+5", 5.0),
        ("\".5\"", ".5", 0.5),
        ("\"5.\"", "5.", 5.0),
        ("\"-Infinity\"", "-Infinity", f64::NEG_INFINITY),
        ("\"\\u00a0 7 \\ufeff\"", "\u{a0} 7 \u{feff}", 7.0),
        ("[]", "", 0.0),
        ("[5]", "5", 5.0),
        ("[null]", "", 0.0),
    ];

    #[test]
    fn string_and_number_follow_ecmascript() {
        for (json, text, number) in ECMASCRIPT {
            let v = parse(json).unwrap();
            assert_eq!(string(&v), *text, "String({json})");
            let n = to_number(&v);
            assert!(
                n == *number && n.is_sign_negative() == number.is_sign_negative(),
                "Number({json}) = {n}"
            );
        }
        for nan in [
            "\"-0x1F\"",
            "\"- 5\"",
            "\"abc\"",
            "\"1_000\"",
            "\"1e\"",
            "\".\"",
            "[1,2]",
            "{}",
            "\"infinity\"",
            "\"0x\"",
        ] {
            assert!(to_number(&parse(nan).unwrap()).is_nan(), "{nan}");
        }
        assert_eq!(
            string(&parse("[[1,2],3,null,{}]").unwrap()),
            "1,2,3,,[object Object]"
        );
    }

    #[test]
    fn lodash_string_differs_from_string_for_null_and_negative_zero() {
        for (json, text) in [
            ("null", ""),
            ("-0", "-0"),
            ("[null,1]", "null,1"),
            ("[-0]", "-0"),
            ("12345", "12345"),
            ("true", "true"),
            ("{\"a\":1}", "[object Object]"),
        ] {
            assert_eq!(lodash_string(&parse(json).unwrap()), text, "{json}");
        }
        assert_eq!(
            trimmed_lodash_string(&parse("\" \\t a \\n\"").unwrap()),
            "a"
        );
    }

    #[test]
    fn finite_and_safe_integers() {
        for (json, finite, int) in [
            ("null", 0.0, 0),
            ("false", 0.0, 0),
            ("\"\"", 0.0, 0),
            ("\"abc\"", 0.0, 0),
            ("{}", 0.0, 0),
            ("true", 1.0, 1),
            ("7.9", 7.9, 7),
            ("-7.9", -7.9, -7),
            ("\"1e2\"", 100.0, 100),
            ("1e300", 1e300, 9_007_199_254_740_991),
            ("-1e400", -f64::MAX, -9_007_199_254_740_991),
            ("\"Infinity\"", f64::MAX, 9_007_199_254_740_991),
        ] {
            let v = parse(json).unwrap();
            assert_eq!(to_finite(&v), finite, "toFinite({json})");
            assert_eq!(to_safe_integer(&v), int, "toSafeInteger({json})");
        }
        assert!(to_finite(&parse("-0").unwrap()).is_sign_negative());
    }

    fn big(json: &str, min: i128, max: i128) -> Result<i128, String> {
        BigNumber::parse(&parse(json).unwrap())
            .ok_or_else(|| "NaN".to_owned())?
            .to_integer_within(min, max)
    }

    #[test]
    fn big_numbers_are_checked_exactly_and_rounded_half_up() {
        const U: (i128, i128) = (0, u64::MAX as i128);
        const S: (i128, i128) = (i64::MIN as i128, i64::MAX as i128);
        for (json, (min, max), want) in [
            ("\"1.5\"", U, 2),
            ("\"1.49\"", U, 1),
            ("\"1e3\"", U, 1000),
            ("\" +42 \"", U, 42),
            ("\"0x1F\"", U, 31),
            ("\"0X1F\"", U, 31),
            ("\".5\"", U, 1),
            ("\"18446744073709551614.5\"", U, u64::MAX as i128),
            ("\"18446744073709551615\"", U, u64::MAX as i128),
            ("12", U, 12),
            ("1e19", U, 10_000_000_000_000_000_000),
            ("\"-1.5\"", S, -2),
            ("\"-0.4\"", S, 0),
            ("\"-9223372036854775808\"", S, i64::MIN as i128),
            ("\"-0x10\"", S, -16),
            ("\"1e-400\"", U, 0),
        ] {
            assert_eq!(big(json, min, max), Ok(want), "{json}");
        }
        for (json, (min, max)) in [
            ("\"abc\"", U),
            ("\"\"", U),
            ("true", U),
            ("\"-0\"", U),
            ("-0", U),
            ("\"-0.4\"", U),
            ("\"18446744073709551615.1\"", U),
            ("\"18446744073709551616\"", U),
            ("\"-9223372036854775808.5\"", S),
            ("\"9223372036854775807.01\"", S),
            ("\"1e400\"", S),
            ("1e20", U),
            ("\"Infinity\"", S),
            ("\"0x1fA\"", U),
            ("\"0x+1\"", U),
            ("\"1 000\"", U),
            ("\"+ 5\"", U),
        ] {
            assert!(big(json, min, max).is_err(), "{json}");
        }
    }

    #[test]
    fn object_view_keeps_the_last_value_at_the_first_position_integer_keys_first() {
        let doc = parse(r#"{"b":1,"10":2,"a":3,"2":4,"b":5,"01":6,"-1":7}"#).unwrap();
        let Json::Object(entries) = &doc else {
            unreachable!()
        };
        let view: Vec<String> = object_view(entries)
            .into_iter()
            .map(|(k, v)| format!("{k}={}", string(v)))
            .collect();
        assert_eq!(view, ["2=4", "10=2", "b=5", "a=3", "01=6", "-1=7"]);
    }
}
