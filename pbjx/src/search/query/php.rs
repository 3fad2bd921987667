//! The few PHP string and number semantics the original parser relies on, byte for byte.
//!
//! PHP strings are bytes; every set below is ASCII, so trimming by `char` on a `&str` removes
//! exactly the bytes PHP removes and never splits a multi-byte character.

/// PHP `trim()`'s default set: space, `\t`, `\n`, `\r`, NUL and vertical tab.
pub(super) const DEFAULT_TRIM: &str = " \t\n\r\0\x0B";

/// `Tokenizer::IGNORED_LEAD_TRAIL_CHARS` of the original (the double-quoted PHP string ends in
/// a NUL and a vertical tab).
pub(super) const IGNORED_LEAD_TRAIL: &str = "#@,.!?;|&+-^~*\\\"' \t\n\r\0\x0B";

/// The set used to trim words: the ignored characters plus `/`.
pub(super) const WORD_TRIM: &str = "#@,.!?;|&+-^~*\\\"' \t\n\r\0\x0B/";

/// PHP `trim($s, $set)`.
pub(super) fn trim<'a>(s: &'a str, set: &str) -> &'a str {
    s.trim_matches(|c| set.contains(c))
}

/// PHP `rtrim($s, $set)`.
pub(super) fn rtrim<'a>(s: &'a str, set: &str) -> &'a str {
    s.trim_end_matches(|c| set.contains(c))
}

/// PHP `empty()` of a string: `""` and `"0"` are empty.
pub(super) fn is_empty(s: &str) -> bool {
    s.is_empty() || s == "0"
}

/// PHP 8 `is_numeric()` of a string: optional leading whitespace, an optional sign, digits with
/// an optional fraction (`1`, `1.`, `.5`), an optional exponent, optional trailing whitespace.
pub(super) fn is_numeric(s: &str) -> bool {
    const WS: &[u8] = b" \t\n\r\x0B\x0C";
    let b = s.as_bytes();
    let mut i = b.iter().take_while(|c| WS.contains(c)).count();
    let end = b.len() - b[i..].iter().rev().take_while(|c| WS.contains(c)).count();
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |from: usize| {
        b[from..end]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let int = digits(i);
    i += int;
    let mut frac = 0;
    if i < end && b[i] == b'.' {
        frac = digits(i + 1);
        i += 1 + frac;
    }
    if int + frac == 0 {
        return false;
    }
    if i < end && matches!(b[i], b'e' | b'E') {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) && j < end {
            j += 1;
        }
        let exp = digits(j);
        if exp == 0 {
            return false;
        }
        i = j + exp;
    }
    i == end
}

/// PHP `(float)` of a string that [`is_numeric`] accepted.
pub(super) fn to_float(s: &str) -> f64 {
    s.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0B')
        .parse()
        .unwrap_or(0.0)
}

/// PHP 8 `(int)` of a float on 64-bit: NaN and infinities are 0, values out of range wrap
/// modulo 2^64 (`zend_dval_to_lval`).
pub(super) fn float_to_int(d: f64) -> i64 {
    if !d.is_finite() {
        return 0;
    }
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&d) {
        return d as i64;
    }
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;
    let mut m = d % TWO_64;
    if m < 0.0 {
        m += TWO_64;
    }
    if m >= TWO_63 {
        m -= TWO_64;
    }
    m as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_strings_as_php_8_sees_them() {
        for yes in [
            "1", "-1", "+1.5", "1.", ".5", "1e5", "1E-5", " 1", "1 ", "007",
        ] {
            assert!(is_numeric(yes), "{yes}");
        }
        for no in [
            "", ".", "-", "e5", "1e", "1e+", "0x1A", "1..2", "1 2", "inf", "1a", "+.e1",
        ] {
            assert!(!is_numeric(no), "{no}");
        }
        assert_eq!(to_float("1."), 1.0);
        assert_eq!(to_float(".5"), 0.5);
    }

    #[test]
    fn float_to_int_wraps_like_php() {
        assert_eq!(float_to_int(2.9), 2);
        assert_eq!(float_to_int(-2.9), -2);
        assert_eq!(float_to_int(f64::INFINITY), 0);
        assert_eq!(float_to_int(1e20), 7_766_279_631_452_241_920);
    }

    #[test]
    fn trims_only_the_ends() {
        assert_eq!(trim(";-P", IGNORED_LEAD_TRAIL), "P");
        assert_eq!(trim("\"é\"", IGNORED_LEAD_TRAIL), "é");
        assert_eq!(rtrim("#tag!!", IGNORED_LEAD_TRAIL), "#tag");
    }
}
