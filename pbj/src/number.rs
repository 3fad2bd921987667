//! Number formatting as ECMAScript (`JSON.stringify`, `toFixed`) and PHP (`json_encode`,
//! `bcadd`) write it.

/// Formats `v` like ECMAScript `Number.prototype.toString` (`1e+21`, `5e-324`, `-0` -> `0`,
/// `NaN`, `Infinity`).
pub fn js_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let mut buf = ryu_js::Buffer::new();
    buf.format(v).to_owned()
}

/// Appends the decimal digits of `v`, zero-padded to at least `width` (max 20) digits.
pub(crate) fn push_uint(out: &mut String, v: u64, width: usize) {
    const ZEROS: &str = "00000000000000000000";
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(v);
    out.push_str(
        ZEROS
            .get(..width.saturating_sub(digits.len()))
            .unwrap_or(ZEROS),
    );
    out.push_str(digits);
}

/// Appends `v` in decimal (what `{v}` formats).
pub(crate) fn push_int(out: &mut String, v: i64) {
    out.push_str(itoa::Buffer::new().format(v));
}

/// Appends `v` formatted like ECMAScript `Number.prototype.toString` to `out`.
pub fn push_js_number(out: &mut String, v: f64) {
    if v == 0.0 {
        out.push('0');
    } else {
        let mut buf = ryu_js::Buffer::new();
        out.push_str(buf.format(v));
    }
}

/// The shortest round-trip decimal digits of a finite, non-zero `|v|` and the decimal point
/// position `decpt`, such that `|v| = 0.DIGITS × 10^decpt` (the `zend_dtoa` mode 0 result).
fn shortest_digits(v: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest digits that round-trip, e.g. `1.5e-7`.
    let s = format!("{:e}", v.abs());
    let (mantissa, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let exp: i32 = exp.parse().unwrap_or(0);
    (digits.to_owned(), exp + 1)
}

/// Formats `v` like PHP `json_encode` with `serialize_precision = -1` (PHP's `php_gcvt` with
/// 17 digits in mode 0): shortest round-trip digits, no `.0` on integral values in plain form,
/// exponential form (`1.0e+25`, `1.5e-7`) when `decpt < -3` or `decpt > 17`.
///
/// `-0.0` prints `-0` as PHP does. PHP cannot encode non-finite values (`json_encode` fails); this
/// returns `0`, which is what PHP writes with `JSON_PARTIAL_OUTPUT_ON_ERROR`.
pub fn php_number(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, decpt) = shortest_digits(v);
    zend_gcvt(v.is_sign_negative(), &digits, decpt, 17, 'e')
}

/// PHP `(string)$float` with the default `precision = 14`: 14 significant digits, trailing
/// zeros dropped, exponential form `1.0E+15` / `1.0E-5` when the decimal exponent is below -4
/// or at least 15. `3.14 -> "3.14"`, `102.0 -> "102"`, `0.1 + 0.2 -> "0.3"`. Non-finite values
/// give PHP's `INF`, `-INF`, `NAN`.
pub fn php_float_to_string(v: f64) -> String {
    if v.is_nan() {
        return "NAN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "INF".into() } else { "-INF".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // 14 significant digits, correctly rounded (zend_dtoa mode 2).
    let s = format!("{:.13e}", v.abs());
    let (mantissa, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let decpt: i32 = exp.parse::<i32>().unwrap_or(0) + 1;
    zend_gcvt(v < 0.0, digits, decpt, 14, 'E')
}

/// PHP's `zend_gcvt` layout of significant `digits` with decimal point position `decpt`
/// (`value = 0.DIGITS x 10^decpt`): exponential (`1.0e+25`, a lone digit gets `.0`) when
/// `decpt < -3` or `decpt > ndigit`, otherwise plain without a trailing `.0`.
fn zend_gcvt(negative: bool, digits: &str, decpt: i32, ndigit: i32, exp_char: char) -> String {
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if decpt < -3 || decpt > ndigit {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        out.push('.');
        out.push_str(if rest.is_empty() { "0" } else { rest });
        let e = decpt - 1;
        out.push(exp_char);
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&e.unsigned_abs().to_string());
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in decpt..0 {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let d = decpt.unsigned_abs() as usize;
        if digits.len() <= d {
            out.push_str(digits);
            for _ in digits.len()..d {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..d]);
            out.push('.');
            out.push_str(&digits[d..]);
        }
    }
    out
}

/// The number of decimal fraction digits of the exact binary value of a finite `v`.
fn exact_fraction_digits(v: f64) -> usize {
    if v == 0.0 {
        return 0;
    }
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let mut mantissa = bits & ((1u64 << 52) - 1);
    let mut exp = if biased == 0 {
        -1074
    } else {
        mantissa |= 1u64 << 52;
        biased - 1075
    };
    // v = mantissa × 2^exp; strip trailing zero bits to find the true scale.
    while mantissa != 0 && mantissa & 1 == 0 {
        mantissa >>= 1;
        exp += 1;
    }
    if exp >= 0 {
        0
    } else {
        exp.unsigned_abs() as usize
    }
}

/// Formats `v` like ECMAScript `Number.prototype.toFixed(digits)`: the exact value rounded to
/// `digits` fraction digits, a tie resolved to the larger magnitude (`(2.5).toFixed(0)` = `3`,
/// `(1.005).toFixed(2)` = `1.00` because 1.005 is really 1.00499…); `|v| >= 1e21` gives
/// [`js_number`]; `-0` gives `0.00…`. JS throws for `digits > 100`; this clamps to 100.
pub fn js_to_fixed(v: f64, digits: u8) -> String {
    let f = usize::from(digits.min(100));
    if v.is_nan() {
        return "NaN".into();
    }
    if v.abs() >= 1e21 {
        return js_number(v);
    }
    let neg = v < 0.0;
    let x = v.abs();
    // Exact decimal expansion (Rust's fixed-precision formatting is exact).
    let exact = format!("{:.*}", exact_fraction_digits(x).max(f + 1), x);
    let (int_part, frac_part) = exact.split_once('.').unwrap_or((exact.as_str(), ""));
    let mut buf: Vec<u8> = int_part.bytes().chain(frac_part.bytes().take(f)).collect();
    let round_up = frac_part.as_bytes().get(f).is_some_and(|d| *d >= b'5');
    if round_up {
        let mut i = buf.len();
        loop {
            if i == 0 {
                buf.insert(0, b'1');
                break;
            }
            i -= 1;
            if buf[i] == b'9' {
                buf[i] = b'0';
            } else {
                buf[i] += 1;
                break;
            }
        }
    }
    let int_len = buf.len() - f;
    let mut out = String::with_capacity(buf.len() + 2);
    if neg {
        out.push('-');
    }
    out.push_str(&String::from_utf8_lossy(&buf[..int_len]));
    if f > 0 {
        out.push('.');
        out.push_str(&String::from_utf8_lossy(&buf[int_len..]));
    }
    out
}

/// PHP `(float)bcadd((string)$v, '0', $scale)`, the PHP `decimal` encode/decode: the PHP string
/// form of `v` (`precision = 14` significant digits, PHP's default for `(string)`) truncated
/// toward zero at `scale` fraction digits (`3.149 -> 3.14`, `-3.146 -> -3.14`).
///
/// Deviation: PHP's string form of `|v| >= 1e15` or `|v| < 1e-4` is exponential (`1.0E+25`),
/// which `bcadd` rejects (PHP 8 throws); here that form's plain decimal value is truncated
/// instead. A zero result is `0.0` (bcmath never returns `-0`). Non-finite input is returned
/// unchanged.
pub fn php_decimal(v: f64, scale: u8) -> f64 {
    if !v.is_finite() {
        return v;
    }
    if v == 0.0 {
        return 0.0;
    }
    // 14 significant digits, rounded half-even on the exact value like `%.14G`... PHP's zend_dtoa
    // mode 2 rounds correctly (half-even on exact ties), as Rust's `{:.13e}` does.
    let s = format!("{:.13e}", v.abs());
    let (mantissa, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i64 = exp.parse().unwrap_or(0);
    // value = D.DDDDDDDDDDDDD × 10^exp; keep digits with place value >= 10^-scale.
    let keep = exp + 1 + i64::from(scale);
    if keep <= 0 {
        return 0.0;
    }
    let keep = usize::try_from(keep)
        .unwrap_or(usize::MAX)
        .min(digits.len());
    let kept = &digits[..keep];
    if kept.bytes().all(|b| b == b'0') {
        return 0.0;
    }
    let text = format!(
        "{}{}e{}",
        if v < 0.0 { "-" } else { "" },
        kept,
        exp + 1 - keep as i64
    );
    text.parse().unwrap_or(0.0)
}

#[cfg(test)]
#[allow(clippy::approx_constant)] // the spec's examples use 3.14
mod tests {
    use super::*;

    #[test]
    fn integers_print_like_format() {
        let mut out = String::new();
        for (v, width, want) in [
            (0, 1, "0"),
            (7, 6, "000007"),
            (123_456, 6, "123456"),
            (1_234_567, 6, "1234567"),
            (1_500_000_000, 10, "1500000000"),
            (u64::MAX, 20, "18446744073709551615"),
        ] {
            out.clear();
            push_uint(&mut out, v, width);
            assert_eq!(out, want);
        }
        for v in [0, -1, 42, i64::MIN, i64::MAX] {
            out.clear();
            push_int(&mut out, v);
            assert_eq!(out, v.to_string());
        }
    }

    #[test]
    fn js_number_matches_ecmascript() {
        for (v, s) in [
            (100.0, "100"),
            (-0.0, "0"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (5e-324, "5e-324"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::MAX, "1.7976931348623157e+308"),
            (-1.5, "-1.5"),
        ] {
            assert_eq!(js_number(v), s, "{v}");
        }
    }

    #[test]
    fn php_number_matches_json_encode() {
        for (v, s) in [
            (102.0, "102"),
            (1.0, "1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e15, "1000000000000000"),
            (1e17, "1.0e+17"),
            (1e16, "10000000000000000"),
            (1e18, "1.0e+18"),
            (1e25, "1.0e+25"),
            (1.5e25, "1.5e+25"),
            (1e-7, "1.0e-7"),
            (-1e-7, "-1.0e-7"),
            (1.5e-7, "1.5e-7"),
            (0.0001, "0.0001"),
            (0.00001, "1.0e-5"),
            (0.5, "0.5"),
            (-3.14, "-3.14"),
            (5e-324, "5.0e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.0, "0"),
            (-0.0, "-0"),
            (123456.789, "123456.789"),
        ] {
            assert_eq!(php_number(v), s, "{v}");
        }
    }

    #[test]
    fn to_fixed_matches_ecmascript() {
        for (v, d, s) in [
            (3.14159, 2, "3.14"),
            (std::f64::consts::PI, 6, "3.141593"),
            (0.0, 2, "0.00"),
            (-0.0, 2, "0.00"),
            (2.5, 0, "3"),
            (0.5, 0, "1"),
            (-2.5, 0, "-3"),
            (1.005, 2, "1.00"),
            (1.45, 1, "1.4"),
            (1.55, 1, "1.6"),
            (-0.0001, 2, "-0.00"),
            (99.995, 2, "100.00"),
            (9.995, 2, "9.99"),
            (0.125, 2, "0.13"),
            (999.5, 0, "1000"),
            (1e21, 2, "1e+21"),
            (-1e21, 2, "-1e+21"),
            (1e20, 2, "100000000000000000000.00"),
            (5e-324, 2, "0.00"),
            (123.456, 0, "123"),
        ] {
            assert_eq!(js_to_fixed(v, d), s, "{v} {d}");
        }
        assert_eq!(js_to_fixed(f64::NAN, 2), "NaN");
        assert_eq!(js_to_fixed(f64::INFINITY, 2), "Infinity");
        assert_eq!(js_to_fixed(0.1, 20), "0.10000000000000000555");
    }

    #[test]
    fn php_decimal_truncates() {
        assert_eq!(php_decimal(3.149, 2), 3.14);
        assert_eq!(php_decimal(-3.146, 2), -3.14);
        assert_eq!(php_decimal(3.14159, 0), 3.0);
        assert_eq!(php_decimal(0.1 + 0.2, 2), 0.3);
        // (string)(0.1+0.2) is "0.3" with precision 14, so no 0.30000000000000004 artefacts.
        assert_eq!(php_decimal(0.1 + 0.2, 10), 0.3);
        assert_eq!(php_decimal(1.005, 2), 1.0);
        assert_eq!(php_decimal(-0.001, 2), 0.0);
        assert!(php_decimal(-0.001, 2).is_sign_positive());
        assert_eq!(php_decimal(4433.42, 2), 4433.42);
        assert_eq!(php_decimal(12345678.987654, 4), 12345678.9876);
        assert_eq!(php_decimal(2.0, 2), 2.0);
        assert_eq!(php_decimal(0.99999999999999999, 2), 1.0);
    }
}
