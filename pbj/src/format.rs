//! String format checks ([`Format`]) with the JS implementation's semantics (the JS decoder is
//! the reference for what is valid). The JS regexes are kept as JS sources and compiled with
//! [`crate::pattern::compile`]; JS `i` flags are spelled out as `[aA]` classes, and lookaheads
//! are replaced by equivalent code.

use std::sync::LazyLock;

use regex::Regex;

use crate::types::Format;

/// Whether `value` satisfies `format` (the JS check for that format).
pub fn check(format: Format, value: &str) -> bool {
    match format {
        Format::Unknown => true,
        Format::Date => is_date(value),
        Format::DateTime => is_iso8601(value),
        Format::Uuid => crate::well_known::identifier::is_valid_uuid(value),
        Format::Ipv4 => is_ipv4(value),
        Format::Ipv6 => is_ipv6(value),
        Format::Email => is_email(value),
        Format::Hashtag => crate::well_known::hashtag::is_valid(value),
        Format::Hostname => is_hostname(value),
        Format::Slug => is_slug_format(value),
        Format::Uri => is_uri(value),
        Format::Url => is_url(value),
    }
}

fn compiled(source: &str) -> Option<Regex> {
    crate::pattern::compile(source).ok()
}

fn matches(re: &LazyLock<Option<Regex>>, value: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(value))
}

/// `^\d{4}-\d{2}-\d{2}$` (ASCII digits; the calendar is not checked).
pub fn is_date(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// The `slug` format regex `^([\w\/-]|[\w-][\w\/-]*[\w-])$` (ASCII `\w`; mixed case and `_`
/// allowed, no leading or trailing `/`).
pub fn is_slug_format(value: &str) -> bool {
    // Per byte: `WORD` for `[\w-]`, `ANY` for `[\w\/-]`; one load per byte, no branch.
    const WORD: u8 = 1;
    const ANY: u8 = 2;
    const CLASS: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut i = 0;
        while i < 256 {
            let c = i as u8;
            if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' {
                t[i] = WORD | ANY;
            } else if c == b'/' {
                t[i] = ANY;
            }
            i += 1;
        }
        t
    };
    let class = |c: &u8| CLASS[usize::from(*c)];
    match value.as_bytes() {
        [] => false,
        [c] => class(c) & ANY != 0,
        [first, mid @ .., last] => {
            let mid = mid.iter().fold(ANY, |all, c| all & class(c));
            class(first) & class(last) & WORD != 0 && mid != 0
        }
    }
}

const IPV4_OCTET: &str = "([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])";

fn is_ipv4_bytes(value: &[u8]) -> bool {
    // Four octets read as numbers, three dots between them: an octet starting with `0` is
    // only `0` (no leading zeros), others take up to three digits and stay below 256; a
    // longer run of digits fails at the `.` or end test after it.
    let digit = |i: usize| match value.get(i) {
        Some(c) if c.is_ascii_digit() => Some(u32::from(c - b'0')),
        _ => None,
    };
    let mut i = 0;
    for part in 0..4 {
        if part > 0 {
            if value.get(i) != Some(&b'.') {
                return false;
            }
            i += 1;
        }
        let Some(first) = digit(i) else {
            return false;
        };
        i += 1;
        if first != 0 {
            let mut octet = first;
            for _ in 0..2 {
                let Some(d) = digit(i) else {
                    break;
                };
                octet = octet * 10 + d;
                i += 1;
            }
            if octet > 255 {
                return false;
            }
        }
    }
    i == value.len()
}

/// JS `IPV4_PATTERN`: dotted quad, no leading zeros (`01.2.3.4` is invalid).
pub fn is_ipv4(value: &str) -> bool {
    is_ipv4_bytes(value.as_bytes())
}

/// Whether a byte is an ASCII hex digit, by table lookup.
const HEX: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).is_ascii_hexdigit();
        i += 1;
    }
    t
};

/// One pass over the address part of an IPv6 address (up to the first `%`, where a zone
/// starts): groups of 1-4 hex digits separated by `:`, at most one `::`, optionally ending in a
/// dotted quad (counted as two groups). Returns the length of a valid address part.
fn ipv6_addr_len(b: &[u8]) -> Option<usize> {
    let end = |i: usize| b.get(i).is_none_or(|&c| c == b'%');
    let (mut count, mut gap, mut i) = (0usize, false, 0usize);
    if b.starts_with(b"::") {
        gap = true;
        i = 2;
    }
    while !end(i) {
        let start = i;
        while b.get(i).is_some_and(|&c| HEX[usize::from(c)]) {
            i += 1;
        }
        if b.get(i) == Some(&b'.') {
            // A dotted quad can only be the last part.
            let rest = b.get(start..).unwrap_or_default();
            let len = rest.iter().position(|&c| c == b'%').unwrap_or(rest.len());
            if !is_ipv4_bytes(&rest[..len]) {
                return None;
            }
            count += 2;
            i = start + len;
            break;
        }
        if i == start || i - start > 4 {
            return None;
        }
        count += 1;
        if end(i) {
            break;
        }
        if b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        if b.get(i) == Some(&b':') {
            if gap {
                return None;
            }
            gap = true;
            i += 1;
        } else if end(i) {
            return None;
        }
    }
    let valid = if gap { count <= 7 } else { count == 8 };
    valid.then_some(i)
}

/// Class of a byte in an IPv6 address: hex digit (0), `:` (1) or anything else (2).
const IPV6_CLASS: [u8; 256] = {
    let mut t = [2u8; 256];
    let mut i = 0;
    while i < 256 {
        if (i as u8).is_ascii_hexdigit() {
            t[i] = 0;
        } else if i as u8 == b':' {
            t[i] = 1;
        }
        i += 1;
    }
    t
};

/// For eight bytes of an IPv6 address (little endian): the colons as a bitmask (bit `i`: byte
/// `i` is `:`) and whether every byte is a hex digit or `:`, computed for all bytes at once.
#[inline(always)]
fn ipv6_word(w: u64) -> (u64, bool) {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // For bytes below 0x80 (checked apart): the high bit of each byte in `lo..=hi`, no carry
    // or borrow crossing bytes.
    let within = |x: u64, lo: u8, hi: u8| {
        let at_least = x + LO * u64::from(0x80 - lo);
        let at_most = LO * (0x80 + u64::from(hi)) - x;
        at_least & at_most & HI
    };
    let ascii = !w & HI;
    // `0-9` and `:` are 0x30..=0x3a; `a-f` and `A-F` are 0x61..=0x66 once 0x20 is set.
    let ok = (within(w & LO7, b'0', b':') | within((w | (LO * 0x20)) & LO7, b'a', b'f')) & ascii;
    let x = w ^ (LO * u64::from(b':'));
    let colon = !(((x & LO7) + LO7) | x | LO7);
    // One bit per flagged byte, byte `i` to bit `i`.
    let bits = ((colon >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
    (bits, ok == HI)
}

/// [`is_ipv6`] of the common form, at most 39 bytes of hex digits and colons (no dotted quad,
/// no zone); `None` for any other text. One pass builds a bitmask of the colons (bit `i`: byte
/// `i` is `:`); the groups and colon runs are then read from it with a few word operations:
/// groups of 1-4 digits, no run of three colons, at most one `::`, no single colon at either
/// end, and eight groups (at most seven with a `::`).
fn ipv6_hex_only(b: &[u8]) -> Option<bool> {
    let n = b.len();
    if n > 39 {
        return None;
    }
    let mut colons = 0u64;
    if n < 8 {
        let mut classes = 0u8;
        for (i, &c) in b.iter().enumerate() {
            let class = IPV6_CLASS[usize::from(c)];
            classes |= class;
            colons |= u64::from(class & 1) << i;
        }
        if classes & 2 != 0 {
            return None;
        }
    } else {
        // Eight bytes at a time; the last word overlaps the one before.
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let mut i = 0;
        loop {
            let at = i.min(n - 8);
            let (bits, ok) = ipv6_word(word(at));
            if !ok {
                return None;
            }
            colons |= bits << at;
            i += 8;
            if at + 8 == n {
                break;
            }
        }
    }
    let all = (1u64 << n) - 1;
    let hex = all & !colons;
    let long_group = hex & (hex >> 1) & (hex >> 2) & (hex >> 3) & (hex >> 4);
    let double = colons & (colons >> 1);
    let triple = double & (colons >> 2);
    let lone_first = colons & 1 != 0 && colons & 2 == 0;
    let lone_last = n > 0 && colons >> (n - 1) & 1 != 0 && (n < 2 || colons >> (n - 2) & 1 == 0);
    if long_group != 0 || triple != 0 || double.count_ones() > 1 || lone_first || lone_last {
        return Some(false);
    }
    let groups = (hex & !(hex << 1)).count_ones();
    Some(if double != 0 {
        groups <= 7
    } else {
        groups == 8
    })
}

/// JS `IPV6_PATTERN` (full, compressed and IPv4-suffixed forms; a `%zone` suffix is allowed):
/// eight groups, or at most seven around one `::`; a trailing dotted quad counts as two groups.
pub fn is_ipv6(value: &str) -> bool {
    if let Some(valid) = ipv6_hex_only(value.as_bytes()) {
        return valid;
    }
    let Some(len) = ipv6_addr_len(value.as_bytes()) else {
        return false;
    };
    if len == value.len() {
        return true;
    }
    // `(%.+)?` where `.` is any character but a line terminator.
    let zone = value.get(len + 1..).unwrap_or_default();
    !zone.is_empty() && !zone.contains(['\n', '\r', '\u{2028}', '\u{2029}'])
}

/// The JS hostname regex, the reference for [`is_hostname`] (tests).
#[cfg(test)]
static HOSTNAME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let label = r"[0-9A-Za-z](?:(?:[0-9A-Za-z]|\b-){0,61}[0-9A-Za-z])?";
    compiled(&format!(r"^({label}(?:\.{label})*)$"))
});

/// JS hostname regex (RFC 1123 labels, no `--`, at least one ASCII letter somewhere):
/// `^(label(\.label)*)$` with `label` = `[0-9A-Za-z](?:(?:[0-9A-Za-z]|\b-){0,61}[0-9A-Za-z])?`
/// (and the lookahead `(?=.*[A-Za-z].*)`), checked in one pass without the regex engine.
pub fn is_hostname(value: &str) -> bool {
    let mut letter = false;
    if !dotted_labels(value.as_bytes(), 63, &mut letter) {
        return false;
    }
    letter
}

/// Labels of ASCII letters, digits and `-` separated by single dots: each label 1 to `max`
/// bytes, starting and ending with a letter or digit, with no `--` (the `\b-` of the hostname
/// regex lets a `-` follow only a letter or digit). `letter` is set when a letter is seen.
#[inline]
fn dotted_labels(b: &[u8], max: usize, letter: &mut bool) -> bool {
    let (mut len, mut prev) = (0usize, b'.');
    for &c in b {
        match c {
            b'.' | b'-' if len == 0 || prev == b'-' => return false,
            b'.' => len = 0,
            b'-' => len += 1,
            c if c.is_ascii_alphanumeric() => {
                *letter |= c.is_ascii_alphabetic();
                len += 1;
            }
            _ => return false,
        }
        if len > max {
            return false;
        }
        prev = c;
    }
    len > 0 && prev != b'-'
}

/// The JS email regexes, the reference for [`is_email`] (tests).
#[cfg(test)]
static EMAIL_IP: LazyLock<Option<Regex>> = LazyLock::new(|| compiled(r"(\w+)@\[(.+)\]"));
#[cfg(test)]
static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(
        r#"^(([^<>()[\]\\.,;:\s@"]+(\.[^<>()[\]\\.,;:\s@"]+)*)|(".+"))@(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,})$"#,
    )
});

/// JS `isValidEmail`: a `x@[ip]` form is valid iff the bracketed part is an IPv4/IPv6 address,
/// otherwise `GENERIC_EMAIL_PATTERN`. Both JS regexes are checked by hand (a test holds
/// the checks to the regexes).
pub fn is_email(value: &str) -> bool {
    // The usual address, ASCII dot atoms `@` a domain, is valid: neither part can hold the `[`
    // of the ip form (so that form cannot match) and the value is not blank. Anything else
    // takes the full check below.
    if let Some(at) = value.bytes().rposition(|c| c == b'@')
        && let (local, domain) = value.split_at(at)
        && local.is_ascii()
        && is_email_domain(domain.as_bytes().get(1..).unwrap_or_default())
        && is_dot_atoms(local)
    {
        return true;
    }
    if crate::text::js_trim(value).is_empty() {
        return false;
    }
    if let Some(ip) = email_ip_part(value) {
        return is_ipv4(ip) || is_ipv6(ip);
    }
    is_generic_email(value)
}

/// Where the first JS line terminator (`\n`, `\r`, U+2028, U+2029: what `.` does not match)
/// in `b` starts, or `b.len()`.
fn line_end(b: &[u8]) -> usize {
    b.iter()
        .enumerate()
        .position(|(i, &c)| {
            c == b'\n'
                || c == b'\r'
                || (c == 0xe2
                    && b.get(i + 1) == Some(&0x80)
                    && matches!(b.get(i + 2), Some(0xa8 | 0xa9)))
        })
        .unwrap_or(b.len())
}

/// Group 2 of the first match of `(\w+)@\[(.+)\]` (unanchored): the first `@[` right after an
/// ASCII word character that a `]` follows on the same line (after at least one character);
/// the greedy `.+` takes everything up to the last such `]`.
fn email_ip_part(value: &str) -> Option<&str> {
    let b = value.as_bytes();
    if !b.contains(&b'[') {
        return None;
    }
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    for at in 1..b.len().saturating_sub(1) {
        if b[at] == b'@' && b[at + 1] == b'[' && word(b[at - 1]) {
            let rest = &b[at + 2..];
            let line = &rest[..line_end(rest)];
            if let Some(close) = line.iter().rposition(|&c| c == b']')
                && close > 0
            {
                return value.get(at + 2..at + 2 + close);
            }
        }
    }
    None
}

/// `GENERIC_EMAIL_PATTERN`:
/// `^(([^<>()[\]\\.,;:\s@"]+(\.[^<>()[\]\\.,;:\s@"]+)*)|(".+"))@(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,})$`.
/// The domain holds no `@`, so the last `@` splits the address.
fn is_generic_email(value: &str) -> bool {
    let b = value.as_bytes();
    let Some(at) = b.iter().rposition(|&c| c == b'@') else {
        return false;
    };
    let (local, domain) = (&value[..at], &b[at + 1..]);
    is_email_domain(domain) && (is_dot_atoms(local) || is_quoted_local(local))
}

/// `([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,}`: two labels or more, the last one of letters only (one
/// pass: the dots split the domain one way only).
fn is_email_domain(domain: &[u8]) -> bool {
    let (mut ok, mut label, mut letters, mut dots) = (true, 0usize, true, 0usize);
    for &c in domain {
        if c == b'.' {
            ok &= label > 0;
            (label, letters, dots) = (0, true, dots + 1);
        } else {
            ok &= c.is_ascii_alphanumeric() || c == b'-';
            letters &= c.is_ascii_alphabetic();
            label += 1;
        }
    }
    ok && dots > 0 && label >= 2 && letters
}

/// ASCII bytes an atom cannot hold: `<>()[]\.,;:@"` and the ASCII part of JS `\s`.
const NOT_IN_ATOM: u128 = {
    let mut m = 0u128;
    let bytes = b"<>()[]\\.,;:@\" \t\n\x0b\x0c\r";
    let mut i = 0;
    while i < bytes.len() {
        m |= 1 << bytes[i];
        i += 1;
    }
    m
};

/// `[^<>()[\]\\.,;:\s@"]+(\.[^<>()[\]\\.,;:\s@"]+)*` (`\s`: JS white space and line
/// terminators).
fn is_dot_atoms(local: &str) -> bool {
    if local.is_ascii() {
        let (mut len, mut ok) = (0usize, true);
        for &c in local.as_bytes() {
            if c == b'.' {
                ok &= len > 0;
                len = 0;
            } else {
                ok &= NOT_IN_ATOM & (1u128 << c) == 0;
                len += 1;
            }
        }
        return ok && len > 0;
    }
    local.split('.').all(|atom| {
        !atom.is_empty()
            && atom.chars().all(|c| {
                !matches!(
                    c,
                    '<' | '>' | '(' | ')' | '[' | ']' | '\\' | ',' | ';' | ':' | '@' | '"'
                ) && !crate::text::is_js_whitespace(c)
            })
    })
}

/// `".+"`: quotes around at least one character, no line terminator.
fn is_quoted_local(local: &str) -> bool {
    let b = local.as_bytes();
    b.len() >= 3
        && b[0] == b'"'
        && b[b.len() - 1] == b'"'
        && line_end(&b[1..b.len() - 1]) == b.len() - 2
}

/// `word` as a case-insensitive JS source (`[hH][tT]...`), the JS `i` flag without Unicode
/// case folding.
fn ci(word: &str) -> String {
    word.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The JS url-style regex (flag `i`) with the given protocol source.
fn url_style(protocol: &str) -> Option<Regex> {
    let auth = r"(?:\S+(?::\S*)?@)?";
    let ipv4 = format!(r"(?:\[?{IPV4_OCTET}\.){{3}}{IPV4_OCTET}\]?");
    let host = "(?:(?:[a-zA-Z0-9]-*)*[a-zA-Z0-9]+)";
    let domain = r"(?:\.(?:[a-zA-Z0-9]-*)*[a-zA-Z0-9]+)*";
    let tld = r"(?:\.(?:[a-zA-Z]{2,}))\.?";
    let port = r"(?::\d{2,5})?";
    let path = r"(?:[/?#][\x21-\x7F]*)?";
    let www = format!(r"{}\.", ci("www"));
    let localhost = ci("localhost");
    compiled(&format!(
        "^(?:{protocol}|{www}){auth}(?:{localhost}|{ipv4}|{host}{domain}{tld}){port}{path}$"
    ))
}

static URL: LazyLock<Option<Regex>> =
    LazyLock::new(|| url_style(&format!("(?:(?:{}[sS]?|{})://)", ci("http"), ci("ftp"))));
static URL_IPV6: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(&format!(
        r"(?:{}[sS]?|{}):\/\/\[(.+)\](\S*)",
        ci("http"),
        ci("ftp")
    ))
});
static URI: LazyLock<Option<Regex>> = LazyLock::new(|| url_style("(?:[A-Za-z]{3,9}://)"));
static URI_GENERIC: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(
        r"^(?:[a-zA-Z0-9][a-zA-Z0-9-]{1,31}:(?:[a-zA-Z0-9()+,-.:=@;$_!*']|%(?:2[1-9a-fA-F]|[3-6][0-9a-fA-F]|7[0-9a-eA-E]))+)$",
    )
});
static URI_IPV6: LazyLock<Option<Regex>> = LazyLock::new(|| compiled(r"(\w+):\/\/\[(.+)\](\S*)"));

/// lodash `trimStart(s, 'mailto:')` after a `mailto:` prefix check: strips every leading char
/// of the set `{m,a,i,l,t,o,:}` (so `mailto:tom@x.io` gives `@x.io`, as in JS).
fn mailto_email(value: &str) -> Option<&str> {
    value
        .starts_with("mailto:")
        .then(|| value.trim_start_matches(|c| "mailto:".contains(c)))
}

/// JS `isValidUrl`: http/https/ftp or `www.` urls, `mailto:` + email, or a bracketed IPv6 host.
pub fn is_url(value: &str) -> bool {
    if crate::text::js_trim(value).is_empty() {
        return false;
    }
    if matches(&URL, value) || mailto_email(value).is_some_and(is_email) {
        return true;
    }
    URL_IPV6
        .as_ref()
        .and_then(|r| r.captures(value))
        .and_then(|c| c.get(1))
        .is_some_and(|m| is_ipv6(m.as_str()))
}

/// JS `isValidUri`: url-style with any 3-9 letter scheme, URN or generic `scheme:...`,
/// `mailto:` + email, or `scheme://[ipv6]...`.
pub fn is_uri(value: &str) -> bool {
    // isValidUrn is a subset of GENERIC_URI_PATTERN, so it needs no separate check.
    if matches(&URI, value) || matches(&URI_GENERIC, value) {
        return true;
    }
    if mailto_email(value).is_some_and(is_email) {
        return true;
    }
    URI_IPV6
        .as_ref()
        .and_then(|r| r.captures(value))
        .and_then(|c| c.get(2))
        .is_some_and(|m| is_ipv6(m.as_str()))
}

/// The JS ISO-8601 regex without its lookaheads and backreferences: the backreferences (`\3`,
/// the date separator, and `\17`, the minutes colon) are expanded into alternatives and the
/// `(?!:)` after a fraction is encoded in the time alternatives.
static ISO8601: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let date = |d: &str| {
        format!(
            r"{d}(?:(?:0[1-9]|1[0-2])(?:{d}(?:[12]\d|0[1-9]|3[01]))?|W(?:[0-4]\d|5[0-2])(?:-?[1-7])?|(?:00[1-9]|0[1-9]\d'|[12]\d{{2}}|3(?:[0-5]\d|6[1-6])))"
        )
    };
    let zone = r"(?:[zZ]|[\+-](?:[01]\d|2[0-3]):?(?:[0-5]\d)?)";
    let frac = r"[\.,]\d+";
    // Minutes written with a colon: seconds need a colon too, and cannot follow a fraction.
    let with_colon =
        format!(r"[T\s](?:[01]\d|2[0-3]):[0-5]\d(?:{frac}{zone}?|(?::[0-5]\d(?:{frac})?)?{zone}?)");
    let without_colon = format!(
        r"[T\s](?:(?:(?:[01]\d|2[0-3])(?:[0-5]\d)?|24:?00)(?:{frac})?)?(?:[0-5]\d(?:{frac})?)?{zone}?"
    );
    let time = format!("(?:{with_colon}|{without_colon})");
    compiled(&format!(
        r"^[\+-]?\d{{4}}(?:{}{time}?|{}{time}?)?$",
        date(""),
        date("-")
    ))
});

/// JS `isValidISO8601Date` (§2.4 of the spec, including the stray `'` of the JS ordinal-day
/// branch, so `2015-045` is invalid while `2015-145` is valid).
pub fn is_iso8601(value: &str) -> bool {
    // `(?!\d{2}\b)` right after the 4-digit year.
    let b = value.as_bytes();
    let year_end = if matches!(b.first(), Some(b'+' | b'-')) {
        5
    } else {
        4
    };
    if let Some(rest) = b.get(year_end..)
        && rest.len() >= 2
        && rest[0].is_ascii_digit()
        && rest[1].is_ascii_digit()
        && rest
            .get(2)
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
    {
        return false;
    }
    matches(&ISO8601, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The regex-based checks that [`is_email`] and [`is_hostname`] replace.
    fn regex_is_email(value: &str) -> bool {
        if crate::text::js_trim(value).is_empty() {
            return false;
        }
        if let Some(caps) = EMAIL_IP.as_ref().and_then(|r| r.captures(value)) {
            let ip = caps.get(2).map_or("", |m| m.as_str());
            return is_ipv4(ip) || is_ipv6(ip);
        }
        matches(&EMAIL, value)
    }

    fn regex_is_hostname(value: &str) -> bool {
        value.bytes().any(|b| b.is_ascii_alphabetic()) && matches(&HOSTNAME, value)
    }

    #[test]
    fn email_and_hostname_checks_agree_with_the_js_regexes() {
        let pieces = [
            "a",
            "Z",
            "0",
            "9",
            "_",
            "-",
            "--",
            ".",
            "..",
            "@",
            "@[",
            "]",
            "[",
            "\"",
            " ",
            "\n",
            "\r",
            "\u{2028}",
            "\u{a0}",
            "\u{feff}",
            "é",
            ",",
            ";",
            ":",
            "<",
            "(",
            "\\",
            "x",
            "homer",
            "example",
            "com",
            "io",
            "1.2.3.4",
            "::1",
            "2001:db8::10",
            "255.0.0.1",
            "simpsons",
            "q\"u",
            "a-b",
            "b1",
        ];
        let mut rng = crate::test_rng::Xorshift::new(0x9e37_79b9_7f4a_7c15_u64);
        let (mut emails, mut hosts) = (0, 0);
        for _ in 0..100_000 {
            let mut value = rng.concat(&pieces, 9);
            // Shapes close to valid ones, so both outcomes are common.
            match rng.below(4) {
                0 => {
                    value = format!(
                        "{value}@{}.{}",
                        pieces[rng.below(pieces.len())],
                        ["com", "c", "io1", "org"][rng.below(4)]
                    )
                }
                1 => {
                    value = format!(
                        "{}{value}@[{}]",
                        pieces[rng.below(pieces.len())],
                        pieces[rng.below(pieces.len())]
                    )
                }
                2 => value = format!("\"{value}\"@x.{}", pieces[rng.below(pieces.len())]),
                _ => {}
            }
            let email = regex_is_email(&value);
            emails += usize::from(email);
            assert_eq!(is_email(&value), email, "email {value:?}");
            let host = regex_is_hostname(&value);
            hosts += usize::from(host);
            assert_eq!(is_hostname(&value), host, "hostname {value:?}");
        }
        for label in [1, 2, 61, 62, 63, 64, 65] {
            let value = format!("a{}.com", "b".repeat(label - 1));
            assert_eq!(is_hostname(&value), regex_is_hostname(&value), "{label}");
            let value = format!("a{}-b.com", "-c".repeat(label / 2));
            assert_eq!(is_hostname(&value), regex_is_hostname(&value), "{label}");
        }
        assert!(emails > 2_000 && hosts > 1_000, "{emails} {hosts}");
    }

    #[test]
    fn all_regexes_compile() {
        for re in [
            &HOSTNAME,
            &EMAIL_IP,
            &EMAIL,
            &URL,
            &URL_IPV6,
            &URI,
            &URI_GENERIC,
            &URI_IPV6,
            &ISO8601,
        ] {
            assert!(re.is_some());
        }
    }

    #[test]
    fn dates() {
        assert!(check(Format::Date, "2015-12-25"));
        assert!(check(Format::Date, "2015-13-45"));
        assert!(!check(Format::Date, "2015-1-25"));
        assert!(!check(Format::Date, "2015-12-25T00:00:00Z"));
        assert!(!check(Format::Date, "٢٠١٥-12-25"));
    }

    #[test]
    fn iso8601_like_js() {
        for v in [
            "2012-12-14T20:24:01.123456+00:00",
            "2012-12-14T20:24:01+00:00",
            "2012-12-14T20:24:01.123456Z",
            "2012-12-14T20:24:01Z",
            "2012-12-14T20:24:01.123456",
            "2015-12-24T23:30:45.123Z",
            "2015-12-25T07:30:45.123+08:00",
            "2015-12-25T07:30:45+0800",
            "2015-12-25 07:30:45Z",
            "2015-12-25",
            "2015-12",
            "2015",
            "20151225",
            "2015-W01",
            "2015-W01-1",
            "2015-145",
            "2015-045'",
            "2015-12-25T24:00",
            "2015-12-25T10:30.5Z",
            "2015-12-25T1030.5512",
            "+2015-12-25",
            "2015-12-25T",
        ] {
            assert!(check(Format::DateTime, v), "{v}");
        }
        for v in [
            "2012-12-14T20:24:01.123456+00:00AA",
            "2012-12-14T20:24:0100:00",
            "cats",
            "-1 day",
            "1234567890",
            "2015-045",
            "2020-13-01T00:00:00Z",
            "yesterday",
            "12345",
            "201512",
            "2015-12-25T10:30.5:00",
            "2015-12-25T25:00",
            "2015-12-25t10:00",
            "2015-12-25T10:30:00+24:00",
            "2015-12-25T10:30:00\n",
            "",
        ] {
            assert!(!check(Format::DateTime, v), "{v}");
        }
    }

    #[test]
    fn emails() {
        for v in [
            "homer@simpson.com",
            "homer.j.simpson@springfield.co.uk",
            "\"a b\"@x.io",
            "x@[127.0.0.1]",
            "x@[::1]",
        ] {
            assert!(check(Format::Email, v), "{v}");
        }
        for v in [
            "not-an-email",
            "12345",
            "",
            " ",
            "x@[999.1.1.1]",
            "a@b",
            "a@b.c",
            "a b@x.io",
            "a@b.com\n",
        ] {
            assert!(!check(Format::Email, v), "{v}");
        }
    }

    /// The JS regexes the hand-written IP checks replace.
    fn ip_regexes() -> (Regex, Regex) {
        let o = "([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])";
        let v4 = compiled(&format!(r"^(?:{o}\.){{3}}{o}$")).unwrap();
        let h = "[0-9A-Fa-f]{1,4}";
        let q = r"((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})";
        let src = format!(
            "^((({h}:){{7}}({h}|:))|(({h}:){{6}}(:{h}|{q}|:))|(({h}:){{5}}(((:{h}){{1,2}})|:{q}|:))\
             |(({h}:){{4}}(((:{h}){{1,3}})|((:{h})?:{q})|:))|(({h}:){{3}}(((:{h}){{1,4}})|((:{h}){{0,2}}:{q})|:))\
             |(({h}:){{2}}(((:{h}){{1,5}})|((:{h}){{0,3}}:{q})|:))|(({h}:){{1}}(((:{h}){{1,6}})|((:{h}){{0,4}}:{q})|:))\
             |(:(((:{h}){{1,7}})|((:{h}){{0,5}}:{q})|:)))(%.+)?$"
        );
        (v4, compiled(&src).unwrap())
    }

    #[test]
    fn ip_checks_agree_with_js_regexes() {
        let (v4, v6) = ip_regexes();
        let mut rng = crate::test_rng::Xorshift::new(0x2545_f491_4f6c_dd1d_u64);
        let mut next = |n: u64| (rng.next_u64() % n) as usize;
        let pieces = [
            "0", "1", "9", "a", "F", "ff", "0db8", "fffff", "255", "256", "01", "1.2.3.4", "", "g",
        ];
        let seps = [":", "::", ".", ":", ":", "%", "%e0", "\n", ":::"];
        let mut valid = 0;
        for _ in 0..200_000 {
            let mut s = String::new();
            for _ in 0..next(12) {
                s.push_str(pieces[next(pieces.len() as u64)]);
                s.push_str(seps[next(seps.len() as u64)]);
            }
            if next(2) == 0 {
                s.pop();
            }
            assert_eq!(is_ipv4(&s), v4.is_match(&s), "ipv4 {s:?}");
            assert_eq!(is_ipv6(&s), v6.is_match(&s), "ipv6 {s:?}");
            valid += usize::from(v6.is_match(&s));
        }
        assert!(valid > 1_000, "only {valid} valid ipv6 samples");
        for s in [
            "1:2:3:4:5:6:7::",
            "::1:2:3:4:5:6:7",
            "1:2:3:4:5::1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "1::%a%b",
        ] {
            assert_eq!(is_ipv6(s), v6.is_match(s), "ipv6 {s:?}");
        }
    }

    #[test]
    fn ipv6_bitmask_form_agrees_with_the_byte_pass() {
        let mut rng = crate::test_rng::Xorshift::new(0x9e37_79b9_7f4a_7c15_u64);
        let mut next = |n: u64| (rng.next_u64() % n) as usize;
        // Hex digits, colons, and the bytes just outside the hex ranges (and with the high
        // bit set: 0xBA is `:` | 0x80).
        let alphabet = b"0aF9::::fg/;@G`\xba\xc3\xb0\xe6";
        let mut valid = 0;
        for _ in 0..300_000 {
            let s: Vec<u8> = (0..next(42))
                .map(|_| {
                    if next(3) == 0 {
                        alphabet[next(alphabet.len() as u64)]
                    } else {
                        [b'1', b'2', b':'][next(3)]
                    }
                })
                .collect();
            let slow = ipv6_addr_len(&s) == Some(s.len());
            if let Some(fast) = ipv6_hex_only(&s) {
                assert_eq!(fast, slow, "{}", String::from_utf8_lossy(&s));
                valid += usize::from(fast);
            }
        }
        assert!(valid > 1_000, "only {valid} valid samples");
    }

    #[test]
    fn ips() {
        assert!(is_ipv4("127.0.0.1"));
        assert!(is_ipv4("255.255.255.255"));
        for v in ["999.1.1.1", "abc", "01.2.3.4", "1.2.3", "12345", "1.2.3.4 "] {
            assert!(!is_ipv4(v), "{v}");
        }
        for v in [
            "::1",
            "::",
            "2001:db8::1",
            "fe80::1%eth0",
            "::ffff:192.168.1.1",
            "1:2:3:4:5:6:7:8",
        ] {
            assert!(is_ipv6(v), "{v}");
        }
        for v in [
            "2001:db8:::1:zz",
            "true",
            "1:2:3:4:5:6:7:8:9",
            "127.0.0.1",
            "",
        ] {
            assert!(!is_ipv6(v), "{v}");
        }
    }

    #[test]
    fn hostnames() {
        for v in ["localhost", "foo.com", "a-b.example.org", "x1"] {
            assert!(is_hostname(v), "{v}");
        }
        for v in [
            "-hi-",
            "1234",
            "a--b.com",
            "foo..com",
            "foo.com.",
            "föö.com",
            "",
        ] {
            assert!(!is_hostname(v), "{v}");
        }
    }

    #[test]
    fn urls_and_uris() {
        for v in [
            "http://www.example.com",
            "HTTPS://example.com/path?q=1#x",
            "ftp://user:pw@ftp.example.com:2121/file.txt",
            "www.example.com",
            "http://localhost:8080",
            "http://127.0.0.1/",
            "http://[::1]:80/x",
            "mailto:homer@simpson.com",
        ] {
            assert!(is_url(v), "{v}");
            assert!(is_uri(v), "{v}");
        }
        for v in [
            "12345",
            "[object Object]",
            "example.com",
            "http://",
            "ssh://host.com",
            "http://ex ample.com",
            "",
        ] {
            assert!(!is_url(v), "{v}");
        }
        for v in [
            "ssh://host.com",
            "urn:isbn:0451450523",
            "tel:+1-816-555-1212",
            "news:comp.infosystems",
            "git://[::1]/x",
        ] {
            assert!(is_uri(v), "{v}");
        }
        for v in ["not a uri", "true", "12345", "a:", "x:foo"] {
            assert!(!is_uri(v), "{v}");
        }
    }

    #[test]
    fn slug_check_agrees_with_the_js_regex() {
        let re = crate::pattern::compile(r"^([\w\/-]|[\w-][\w\/-]*[\w-])$").unwrap();
        let mut rng = crate::test_rng::Xorshift::new(0x5851_f42d_4c95_7f2d_u64);
        let alphabet = ["a", "Z", "0", "_", "-", "/", ".", " ", "é", "\n", "~"];
        let mut valid = 0;
        for _ in 0..100_000 {
            let s = rng.concat(&alphabet, 8);
            assert_eq!(is_slug_format(&s), re.is_match(&s), "{s:?}");
            valid += usize::from(re.is_match(&s));
        }
        assert!(valid > 5_000, "{valid}");
    }

    #[test]
    fn slugs_and_hashtags() {
        for v in [
            "a",
            "/",
            "-",
            "homer-simpson",
            "2015/12/25/Test_Slug",
            "a/b",
        ] {
            assert!(check(Format::Slug, v), "{v}");
        }
        for v in ["/a", "a/", "a b", "é", ""] {
            assert!(!check(Format::Slug, v), "{v}");
        }
        assert!(check(Format::Hashtag, "#HomerSimpsonIsCool"));
        assert!(!check(Format::Hashtag, "12345"));
    }
}
