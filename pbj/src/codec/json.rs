//! A small, strict JSON parser producing a borrowed tree ([`Json`]).
//!
//! Numbers are kept as their source text so each field type decides how to read them;
//! strings without escapes borrow from the input. Duplicate object keys are kept in order
//! (the decoder lets the last one win, as `JSON.parse` does).

use std::borrow::Cow;

use crate::error::Error;

/// Maximum nesting of arrays/objects accepted by the parser.
pub const MAX_DEPTH: usize = 128;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written.
    Number(&'a str),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object, keys in input order (duplicates kept).
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl Json<'_> {
    /// The JSON type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Number(_) => "a number",
            Self::String(_) => "a string",
            Self::Array(_) => "an array",
            Self::Object(_) => "an object",
        }
    }
}

/// Parses a complete JSON document.
pub fn parse(input: &str) -> Result<Json<'_>, Error> {
    let mut p = Parser::new(input);
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.pos != p.b.len() {
        return Err(p.err("unexpected trailing characters"));
    }
    Ok(v)
}

/// A cursor over JSON text: the tree parser, and the tokens the streaming decoder pulls
/// (`Copy`: a copy is a saved position to go back to).
#[derive(Clone, Copy)]
pub(crate) struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

/// Length of the leading run of `b` without `"`, `\` or control characters.
#[inline(always)]
pub(crate) fn plain_run(b: &[u8]) -> usize {
    let mut i = 0;
    // Sixteen bytes at a time where SSE2 is there (every x86-64 CPU).
    #[cfg(target_arch = "x86_64")]
    while let Some(chunk) = b.get(i..i + 16) {
        let special = crate::simd::special_bytes16(chunk);
        if special != 0 {
            return i + special.trailing_zeros() as usize;
        }
        i += 16;
    }
    // Eight bytes at a time; the lowest flagged byte of a word is the first special one.
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let special = special_bytes(u64::from_le_bytes(word));
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + plain_tail(b.get(i..).unwrap_or_default())
}

/// Whether `b` holds no `"`, `\` or control character (`plain_run(b) == b.len()`, faster on
/// short strings such as keys: no tail loop, the last word overlaps the one before).
#[inline]
pub(crate) fn is_plain(b: &[u8]) -> bool {
    let word = |at: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(b.get(at..at + 8).unwrap_or(&[b'a'; 8]));
        special_bytes(u64::from_le_bytes(word))
    };
    let n = b.len();
    if n < 8 {
        return special_bytes(short_word(b)) == 0;
    }
    #[cfg(target_arch = "x86_64")]
    if n >= 16 {
        return crate::simd::none_of(b, crate::simd::special_bytes16);
    }
    let mut i = 0;
    while i + 8 < n {
        if word(i) != 0 {
            return false;
        }
        i += 8;
    }
    word(n - 8) == 0
}

/// Every byte of a short `b` (< 8 bytes) in one word, padded with plain bytes (`a`): two
/// overlapping four-byte loads for 4..=7 bytes, the first, middle and last byte for 1..=3 (a
/// byte may appear twice; each one appears). No byte loop and no `memcpy` call for the short
/// strings (most keys) that [`is_plain`] tests.
#[inline(always)]
fn short_word(b: &[u8]) -> u64 {
    const PAD: u64 = 0x6161_6161_6161_6161;
    debug_assert!(b.len() < 8);
    let n = b.len();
    let load4 = |at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&b[at..at + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    if n >= 4 {
        load4(0) | (load4(n - 4) << 32)
    } else if let (Some(&x), Some(&z)) = (b.first(), b.last()) {
        (PAD << 24) | u64::from(x) | (u64::from(b[n / 2]) << 8) | (u64::from(z) << 16)
    } else {
        PAD
    }
}

/// `a == b` for slices of the same length, without a `memcmp` call for the short ones (field
/// names): two overlapping loads of eight or four bytes each.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn load8(s: &[u8], at: usize) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    }
    fn load4(s: &[u8], at: usize) -> u32 {
        let mut w = [0u8; 4];
        w.copy_from_slice(&s[at..at + 4]);
        u32::from_le_bytes(w)
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        8..=16 => load8(a, 0) == load8(b, 0) && load8(a, n - 8) == load8(b, n - 8),
        4..=7 => load4(a, 0) == load4(b, 0) && load4(a, n - 4) == load4(b, n - 4),
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

/// [`plain_run`] of the last few (< 8) bytes (the ends of strings being encoded, the end of
/// a document being decoded).
#[inline(never)]
fn plain_tail(rest: &[u8]) -> usize {
    // One word: the bytes padded with a plain byte (`a`), tested like a full word.
    let n = rest.len().min(8);
    let mut word = [b'a'; 8];
    word[..n].copy_from_slice(&rest[..n]);
    let special = special_bytes(u64::from_le_bytes(word));
    if special == 0 {
        n
    } else {
        ((special.trailing_zeros() / 8) as usize).min(n)
    }
}

/// The high bit of every byte of `v` (little endian) that may be `"`, `\` or a control
/// character; the lowest set bit is exact (borrows only flag bytes above a real hit).
#[inline]
fn special_bytes(v: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // Bytes below `n` (exact for the lowest flagged byte when `n <= 0x80`).
    let below = |v: u64, n: u64| v.wrapping_sub(LO * n) & !v & HI;
    // `^ 0x02` maps `"` to 0x20 and keeps control bytes below 0x20 (and 0x20, 0x21, 0x23 at or
    // above 0x21): one test finds both.
    below(v ^ (LO * 0x02), 0x21) | below(v ^ (LO * u64::from(b'\\')), 1)
}

impl<'a> Parser<'a> {
    /// A parser at the start of `input`.
    pub(crate) fn new(input: &'a str) -> Self {
        Self {
            s: input,
            b: input.as_bytes(),
            pos: 0,
        }
    }

    fn err(&self, message: &str) -> Error {
        Error::InvalidJson {
            offset: self.pos,
            message: message.to_owned(),
        }
    }

    /// Skips whitespace.
    #[inline]
    pub(crate) fn ws(&mut self) {
        // Compact JSON: most calls find a token right away.
        if self.b.get(self.pos).is_some_and(|&c| c > b' ') {
            return;
        }
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte, if any.
    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// Consumes `byte` if it is next.
    #[inline]
    pub(crate) fn eat_byte(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes the string token `"name"` if it is next, spelled without escapes.
    #[inline(always)]
    pub(crate) fn eat_plain_string(&mut self, name: &str) -> bool {
        let n = name.as_bytes();
        let Some(rest) = self.b.get(self.pos + 1..) else {
            return false;
        };
        // The first special byte after the opening quote must be the closing quote, right
        // after a copy of `name` (so `name` itself holds no special byte).
        let hit = self.b.get(self.pos) == Some(&b'"')
            && n.first().is_none_or(|c| rest.first() == Some(c))
            && plain_run(rest) == n.len()
            && rest.get(n.len()) == Some(&b'"')
            && rest.get(..n.len()).is_some_and(|r| same_bytes(r, n));
        if hit {
            self.pos += n.len() + 2;
        }
        hit
    }

    /// Consumes the literal `true` or `false` if it is next.
    #[inline]
    pub(crate) fn boolean(&mut self) -> Option<bool> {
        if self.eat("true") {
            Some(true)
        } else if self.eat("false") {
            Some(false)
        } else {
            None
        }
    }

    /// Whether all input was consumed.
    pub(crate) fn at_end(&self) -> bool {
        self.pos == self.b.len()
    }

    /// Consumes `lit` if the input continues with it.
    #[inline(always)]
    pub(crate) fn eat(&mut self, lit: &str) -> bool {
        let next = self.b.get(self.pos..self.pos + lit.len());
        if next.is_some_and(|next| same_bytes(next, lit.as_bytes())) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }

    /// Parses one value at nesting `depth` (the document root is depth 0).
    pub(crate) fn value(&mut self, depth: usize) -> Result<Json<'a>, Error> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting is too deep"));
        }
        match self.b.get(self.pos) {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') if self.eat("true") => Ok(Json::Bool(true)),
            Some(b'f') if self.eat("false") => Ok(Json::Bool(false)),
            Some(b'n') if self.eat("null") => Ok(Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json<'a>, Error> {
        self.pos += 1;
        let mut entries = Vec::new();
        self.ws();
        if self.b.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Json::Object(entries));
        }
        loop {
            self.ws();
            if self.b.get(self.pos) != Some(&b'"') {
                return Err(self.err("expected an object key"));
            }
            let key = self.string()?;
            self.ws();
            if self.b.get(self.pos) != Some(&b':') {
                return Err(self.err("expected ':'"));
            }
            self.pos += 1;
            self.ws();
            let v = self.value(depth + 1)?;
            entries.push((key, v));
            self.ws();
            match self.b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(entries));
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json<'a>, Error> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.b.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    /// Parses a number token; the next byte must be `-` or a digit.
    pub(crate) fn number(&mut self) -> Result<Json<'a>, Error> {
        match self.number_token() {
            Some(raw) => Ok(Json::Number(raw)),
            None => Err(self.err("invalid number")),
        }
    }

    /// The text of a number token (the next byte must be `-` or a digit); `None` for an
    /// invalid one, leaving the cursor where it stopped.
    #[inline]
    pub(crate) fn number_token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while p.b.get(p.pos).is_some_and(u8::is_ascii_digit) {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.b.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.b.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return None,
        }
        if self.b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.b.get(self.pos) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        self.s.get(start..self.pos)
    }

    /// The four hex digits (either case) at the cursor, all four bytes at once.
    #[inline(always)]
    fn hex4(&mut self) -> Option<u32> {
        const LO: u32 = 0x0101_0101;
        const HI: u32 = 0x8080_8080;
        let x = self
            .b
            .get(self.pos..)
            .and_then(<[u8]>::first_chunk::<4>)
            .map(|h| u32::from_le_bytes(*h))?;
        // For ASCII bytes: the high bit of each byte in `lo..=hi` (no carry or borrow
        // crosses a byte).
        let within = |x: u32, lo: u8, hi: u8| {
            (x + LO * u32::from(0x80 - lo)) & (LO * (0x80 + u32::from(hi)) - x) & HI
        };
        let low7 = x & !HI;
        let digit = within(low7, b'0', b'9');
        let letter = within((x | (LO * 0x20)) & !HI, b'a', b'f');
        if x & HI != 0 || digit | letter != HI {
            return None;
        }
        self.pos += 4;
        // Each byte's value (`a`-`f`/`A`-`F` are 1-6 in their low nibble, plus 9), then the
        // first byte as the highest digit.
        let v = (x & (LO * 0x0f)) + (letter >> 7) * 9;
        let pairs = ((v & 0x000f_000f) << 4) | ((v >> 8) & 0x000f_000f);
        Some(((pairs & 0xff) << 8) | (pairs >> 16))
    }

    /// A string token without escapes, borrowed from the input (the next byte must be its
    /// opening `"`); `None`, with nothing consumed, for any other string ([`Self::string`]
    /// reads those). Two registers wide, unlike `Result<Cow<str>, Error>`; inlined (a call
    /// saved and restored more registers than the scan of a short string takes).
    #[inline(always)]
    pub(crate) fn plain_string(&mut self) -> Option<&'a str> {
        if self.b.get(self.pos) != Some(&b'"') {
            return None;
        }
        let start = self.pos + 1;
        let end = start + plain_run(self.b.get(start..).unwrap_or_default());
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        // Both ends are at a `"`, so char boundaries: split off cheaply (`str::get` of a range
        // was an out-of-line call here).
        let (s, _) = self.s.get(start..)?.split_at_checked(end - start)?;
        self.pos = end + 1;
        Some(s)
    }

    /// Parses a string; the next byte must be its opening `"`.
    #[inline(always)]
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>, Error> {
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes.
        self.pos += plain_run(self.b.get(self.pos..).unwrap_or_default());
        match self.b.get(self.pos) {
            Some(b'"') => {
                let s = self
                    .s
                    .get(start..self.pos)
                    .ok_or_else(|| self.err("invalid string"))?;
                self.pos += 1;
                Ok(Cow::Borrowed(s))
            }
            Some(b'\\') => self.escaped_string(start).map(Cow::Owned),
            Some(_) => Err(self.err("control character in string")),
            None => Err(self.err("unterminated string")),
        }
    }

    /// The rest of a string from its first escape (at the cursor); `start` is just after its
    /// opening `"`.
    #[cold]
    #[inline(never)]
    fn escaped_string(&mut self, start: usize) -> Result<String, Error> {
        // The unescaped text is never longer than the raw rest of the input: room for all of
        // a short string up front (no regrowth per escape), bounded for long inputs.
        let prefix = self.b.get(start..self.pos).unwrap_or_default();
        let mut out = Vec::with_capacity((self.b.len() - start).min(prefix.len() + 1024));
        out.extend_from_slice(prefix);
        loop {
            match self.b.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    debug_assert!(std::str::from_utf8(&out).is_ok());
                    // SAFETY: `out` is UTF-8: it is made of the UTF-8 of chars (escapes) and
                    // of runs of the input (a `str`), each from a char boundary (the string's
                    // start, or just after an escape) to a char boundary (the ASCII byte that
                    // ends the run, or the input's end); `copy_plain_run` keeps a chunk's
                    // bytes only up to such a byte or in whole, the next chunk going on
                    // where it stopped.
                    return Ok(unsafe { String::from_utf8_unchecked(out) });
                }
                Some(b'\\') => self.unescape(&mut out)?,
                Some(0..=0x1f) => return Err(self.err("control character in string")),
                Some(_) => self.copy_plain_run(&mut out),
                None => return Err(self.err("unterminated string")),
            }
        }
    }

    /// Appends the plain run at the cursor to `out` and moves past it: whole sixteen-byte
    /// chunks are copied (a fixed-size copy, no `memcpy` call) and `out` is cut back to the
    /// run's end. A chunk may reach past the string's closing quote, never past the input.
    #[inline(always)]
    fn copy_plain_run(&mut self, out: &mut Vec<u8>) {
        #[cfg(target_arch = "x86_64")]
        while let Some(chunk) = self.b.get(self.pos..).and_then(<[u8]>::first_chunk::<16>) {
            let special = crate::simd::special_bytes16(chunk);
            out.extend_from_slice(chunk);
            if special != 0 {
                let plain = special.trailing_zeros() as usize;
                out.truncate(out.len() - 16 + plain);
                self.pos += plain;
                return;
            }
            self.pos += 16;
        }
        let rest = self.b.get(self.pos..).unwrap_or_default();
        let plain = plain_run(rest);
        out.extend_from_slice(rest.get(..plain).unwrap_or_default());
        self.pos += plain;
    }

    /// Appends what the escape at the cursor (a `\`) stands for to `out` and moves past it.
    fn unescape(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        let e = *self
            .b
            .get(self.pos + 1)
            .ok_or_else(|| self.err("unterminated string"))?;
        self.pos += 2;
        let byte = match e {
            b'"' | b'\\' | b'/' => e,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let c = self.unicode_escape()?;
                // All four bytes (a fixed-size copy), cut back to the character's length.
                let mut utf8 = [0u8; 4];
                let len = c.encode_utf8(&mut utf8).len();
                out.extend_from_slice(&utf8);
                out.truncate(out.len() - 4 + len);
                return Ok(());
            }
            _ => return Err(self.err("invalid escape")),
        };
        out.push(byte);
        Ok(())
    }

    /// The character of a `\u` escape (its four hex digits at the cursor), with the low half
    /// of a surrogate pair when it is the high half.
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let unpaired = |p: &Self| p.err("unpaired surrogate in \\u escape");
        let hex4 = |p: &mut Self| p.hex4().ok_or_else(|| p.err("bad \\u escape"));
        let hi = hex4(self)?;
        let cp = if (0xd800..0xdc00).contains(&hi) {
            if !self.eat("\\u") {
                return Err(unpaired(self));
            }
            let lo = hex4(self)?;
            if !(0xdc00..0xe000).contains(&lo) {
                return Err(unpaired(self));
            }
            0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
        } else {
            hi
        };
        char::from_u32(cp).ok_or_else(|| unpaired(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values() {
        let v = parse(r#"{"a":[1,-2.5e3,true,null],"b":"x\u00e9\ud83d\ude00\n","a":{}}"#).unwrap();
        let Json::Object(e) = v else {
            panic!("object expected")
        };
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].1, Json::String("xé😀\n".into()));
    }

    #[test]
    fn same_bytes_is_slice_equality() {
        let text = b"abcdefghijklmnopqrstuvwxyz0123456789";
        for n in 0..=text.len() {
            let a = &text[..n];
            assert!(same_bytes(a, a));
            for i in 0..n {
                let mut b = a.to_vec();
                b[i] ^= 0x20;
                assert!(!same_bytes(a, &b), "{n} {i}");
            }
            assert!(!same_bytes(a, &text[..n.saturating_sub(1)]) || n == 0);
        }
    }

    #[test]
    fn is_plain_agrees_with_plain_run() {
        let specials = [b'"', b'\\', 0x00, 0x1f, b'\n'];
        for len in 0..40 {
            let plain: Vec<u8> = (0..len).map(|i| b"az /\x7f\xc3!#"[i % 8]).collect();
            assert!(is_plain(&plain), "{plain:?}");
            for pos in 0..len {
                for special in specials {
                    let mut bytes = plain.clone();
                    bytes[pos] = special;
                    assert!(!is_plain(&bytes), "{bytes:?}");
                    assert_eq!(plain_run(&bytes), pos, "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn is_plain_agrees_with_a_byte_loop_on_random_strings() {
        let slow = |b: &[u8]| b.iter().all(|&c| c >= 0x20 && c != b'"' && c != b'\\');
        let alphabet = b"a\"\\\x00\x01\x1f\x20\x21\x22\x23\x5b\x5c\x5d\x7f\x80\x9f\xc3\xdf\xff";
        let mut rng = crate::test_rng::Xorshift::new(0x9e37_79b9_7f4a_7c15_u64);
        let mut next = |n: usize| rng.below(n);
        let mut plain = 0;
        for _ in 0..200_000 {
            // Lengths around the 8- and 16-byte words.
            let len = next(40);
            let bytes: Vec<u8> = (0..len)
                .map(|_| match next(4) {
                    0 => alphabet[next(alphabet.len())],
                    _ => b' ' + next(95) as u8,
                })
                .collect();
            let want = slow(&bytes);
            plain += usize::from(want);
            assert_eq!(is_plain(&bytes), want, "{bytes:?}");
        }
        assert!(plain > 20_000, "{plain}");
    }

    #[test]
    fn plain_run_stops_at_the_first_special_byte() {
        let slow = |b: &[u8]| {
            b.iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(b.len())
        };
        // Every pair of adjacent bytes, at every offset in a word (borrows between bytes).
        for x in 0..=255u8 {
            for y in 0..=255u8 {
                let offset = usize::from(x ^ y) % 8;
                let mut bytes = vec![b'a'; 20];
                bytes[offset] = x;
                bytes[offset + 1] = y;
                assert_eq!(plain_run(&bytes), slow(&bytes), "{bytes:?}");
                assert_eq!(plain_run(&bytes[offset..]), slow(&bytes[offset..]));
            }
        }
        let alphabet = b"a\"\\\x00\x02\x03\x1f \x7f\x80\xff!#\x21\x5b\x5d";
        let mut rng = crate::test_rng::Xorshift::new(0x2545_f491_4f6c_dd1d_u64);
        let mut next = |n: usize| rng.below(n);
        for _ in 0..20_000 {
            let len = next(40);
            // Mostly plain bytes, so runs cross word boundaries.
            let bytes: Vec<u8> = (0..len)
                .map(|_| match next(8) {
                    0 => alphabet[next(alphabet.len())],
                    _ => b'a' + next(26) as u8,
                })
                .collect();
            assert_eq!(plain_run(&bytes), slow(&bytes), "{bytes:?}");
        }
    }

    #[test]
    fn escaped_strings_read_what_serde_json_reads() {
        // Plain runs of every length around the 16-byte chunks, raw multibyte chars that a
        // chunk may cut, every escape; then more input or none after the closing quote.
        let pieces = [
            "a",
            "abcdefghijklmnop",
            "é",
            "😀",
            "—",
            "\\/",
            "\\\"",
            "\\\\",
            "\\n",
            "\\t",
            "\\b",
            "\\f",
            "\\r",
            "\\u00e9",
            "\\u2014",
            "\\ud83d\\ude00",
            "\\u0041",
            "\\uFFFD",
        ];
        let mut rng = crate::test_rng::Xorshift::new(0x5851_f42d_4c95_7f2d_u64);
        let mut escaped = 0;
        for _ in 0..20_000 {
            let body = rng.concat(&pieces, 12);
            let after = [
                "",
                "}",
                ",\"more\":\"0123456789abcdefghijklmnopqrstuvwxyz\"}",
            ][rng.below(3)];
            let text = format!("\"{body}\"{after}");
            let want: String = serde_json::Deserializer::from_str(&text)
                .into_iter::<String>()
                .next()
                .and_then(Result::ok)
                .unwrap();
            let mut p = Parser::new(&text);
            let got = p.string().unwrap();
            escaped += usize::from(matches!(got, Cow::Owned(_)));
            assert_eq!(got, want, "{text}");
            assert_eq!(p.pos, body.len() + 2, "{text}");
        }
        assert!(escaped > 10_000, "{escaped}");
    }

    #[test]
    fn bad_escapes_are_errors() {
        for bad in [
            r#""\x""#,
            r#""\u12""#,
            r#""\u12g4""#,
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
            "\"a\\",
            "\"abc\\u00e9",
            "\"a\\n\u{1}\"",
        ] {
            assert!(Parser::new(bad).string().is_err(), "{bad}");
        }
    }

    #[test]
    fn hex4_reads_what_to_digit_reads() {
        for a in 0..=255u8 {
            for b in [
                b'0', b'9', b'a', b'f', b'A', b'F', b'g', b'/', b':', b'@', b'`', 0x80,
            ] {
                for h in [[a, b, b'0', b'f'], [b'F', b'9', b, a]] {
                    let mut text = b"\\u".to_vec();
                    text.extend_from_slice(&h);
                    let Ok(text) = std::str::from_utf8(&text) else {
                        continue;
                    };
                    let mut p = Parser::new(text);
                    p.pos = 2;
                    let old = h
                        .iter()
                        .try_fold(0u32, |v, &c| (c as char).to_digit(16).map(|d| v * 16 + d));
                    assert_eq!(p.hex4(), old, "{text:?}");
                }
            }
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\"}",
            "01",
            "1.",
            "\"\\ud800\"",
            "nul",
            "[1] x",
            "\"\u{1}\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&deep).is_err());
    }
}
