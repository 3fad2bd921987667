//! Translation of schema patterns (JS regex flavour, as the JS implementation runs them with
//! `new RegExp(trim(pattern, '/'))`) to Rust [`regex::Regex`] with the same semantics.
//!
//! - `\w \d \b` (and `\W \D \B`) are ASCII-only, `\s`/`\S` use the JS whitespace set
//!   (including U+00A0, U+FEFF, U+2028, U+2029, U+3000), inside and outside classes.
//! - `^` is `\A` and `$` is `\z` (JS without the `m` flag), `.` excludes `\n \r U+2028 U+2029`.
//! - JS identity escapes (`\/`, `\-`, `\q` ...) become literals; `{` that does not start a
//!   quantifier is a literal, as in JS (Annex B); `\0`, `\cX`, `\xHH`, `\uHHHH` are supported.
//! - Backreferences and lookarounds have no equivalent: they give `Err`.
//!
//! Known deviation: JS (without the `u` flag) matches UTF-16 code units, so `.` or `[^a]` match
//! half of an astral character there and `.{2}` counts surrogates; here they match whole chars.

use regex::Regex;

/// `\w` in JS: ASCII word characters.
const WORD: &str = "0-9A-Za-z_";
/// `\d` in JS.
const DIGIT: &str = "0-9";
/// `\s` in JS: WhiteSpace and LineTerminator code points.
const SPACE: &str = r"\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// A schema pattern that has no Rust equivalent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// JS syntax the translation does not support (backreferences, lookarounds, ...).
    #[error("pattern [{pattern}] is not supported: {reason}")]
    Unsupported {
        /// The pattern as written in the schema.
        pattern: String,
        /// What is not supported.
        reason: String,
    },
    /// The translation does not compile (its message is the regex crate's, e.g. a syntax
    /// error with a caret under the culprit).
    #[error("pattern [{pattern}] is not supported: {error}")]
    Regex {
        /// The pattern as written in the schema.
        pattern: String,
        /// The regex crate's error.
        error: regex::Error,
    },
}

/// Compiles a schema pattern with JS semantics; `Err` (never a panic) for sources that cannot be
/// translated (backreferences, lookarounds, syntax errors).
///
/// ```
/// let re = pbj::pattern::compile(r"/^\w+$/")?;
/// assert!(re.is_match("snake_case_1"));
/// assert!(!re.is_match("café"), "\\w is ASCII-only in JS");
/// assert!(pbj::pattern::compile(r"^(a)\1$").is_err());
/// # Ok::<(), pbj::pattern::PatternError>(())
/// ```
pub fn compile(source: &str) -> Result<Regex, PatternError> {
    let translated = translate(source)?;
    Regex::new(&translated).map_err(|error| PatternError::Regex {
        pattern: source.to_owned(),
        error,
    })
}

/// Translates a JS regex source (surrounding `/` trimmed, as lodash `trim(p, '/')` does) to the
/// syntax of the `regex` crate without compiling it.
pub fn translate(source: &str) -> Result<String, PatternError> {
    let src: Vec<char> = source.trim_matches('/').chars().collect();
    let err = |why: &str| PatternError::Unsupported {
        pattern: source.to_owned(),
        reason: why.to_owned(),
    };
    let mut out = String::with_capacity(src.len() * 2);
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        i += 1;
        match c {
            '\\' => {
                let (piece, next) = escape(&src, i, false).map_err(|w| err(&w))?;
                out.push_str(&piece);
                i = next;
            }
            '[' => {
                let (piece, next) = class(&src, i).map_err(|w| err(&w))?;
                out.push_str(&piece);
                i = next;
            }
            '(' => {
                if src.get(i) == Some(&'?') {
                    match (src.get(i + 1), src.get(i + 2)) {
                        (Some(':'), _) => {
                            out.push_str("(?:");
                            i += 2;
                        }
                        (Some('<'), Some('=' | '!')) | (Some('=' | '!'), _) => {
                            return Err(err("lookarounds"));
                        }
                        (Some('<'), _) => {
                            let start = i + 2;
                            let len = src[start..].iter().position(|c| *c == '>');
                            let name: String = match len {
                                Some(n) => src[start..start + n].iter().collect(),
                                None => return Err(err("unterminated group name")),
                            };
                            if name.is_empty()
                                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                            {
                                return Err(err("unsupported group name"));
                            }
                            out.push_str(&format!("(?P<{name}>"));
                            i = start + name.chars().count() + 1;
                        }
                        _ => return Err(err("unknown group syntax")),
                    }
                } else {
                    out.push('(');
                }
            }
            '{' => {
                if let Some(end) = quantifier_end(&src, i) {
                    out.extend(&src[i - 1..end]);
                    i = end;
                } else {
                    out.push_str(r"\{");
                }
            }
            '}' => out.push_str(r"\}"),
            ']' => out.push_str(r"\]"),
            '^' => out.push_str(r"\A"),
            '$' => out.push_str(r"\z"),
            '.' => out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
            ')' | '|' | '*' | '+' | '?' => out.push(c),
            _ => push_literal(&mut out, c),
        }
    }
    Ok(out)
}

/// If `{` at `src[i-1]` starts a valid quantifier `{n}`, `{n,}` or `{n,m}`, the index after `}`.
fn quantifier_end(src: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    let digits = |j: &mut usize| {
        let start = *j;
        while src.get(*j).is_some_and(char::is_ascii_digit) {
            *j += 1;
        }
        *j > start
    };
    if !digits(&mut j) {
        return None;
    }
    if src.get(j) == Some(&',') {
        j += 1;
        digits(&mut j);
    }
    (src.get(j) == Some(&'}')).then_some(j + 1)
}

fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_punctuation() || c.is_whitespace() {
        out.push_str(&format!("\\x{{{:X}}}", u32::from(c)));
    } else {
        out.push(c);
    }
}

fn hex(src: &[char], i: usize, n: usize) -> Option<u32> {
    let s: String = src.get(i..i + n)?.iter().collect();
    if s.len() != n || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(&s, 16).ok()
}

fn code_point(out: &mut String, cp: u32) -> Result<(), String> {
    match char::from_u32(cp) {
        Some(c) => {
            push_literal(out, c);
            Ok(())
        }
        // A lone surrogate can never match a Rust string.
        None => Err("lone surrogate escape".into()),
    }
}

/// Translates the escape whose letter is at `src[i]`; returns the piece and the next index.
/// In a class, class escapes are returned as nested classes (`[0-9A-Za-z_]`).
fn escape(src: &[char], i: usize, in_class: bool) -> Result<(String, usize), String> {
    let Some(&c) = src.get(i) else {
        return Err("trailing backslash".into());
    };
    let mut out = String::new();
    let next = i + 1;
    match c {
        'w' => out.push_str(&format!("[{WORD}]")),
        'W' => out.push_str(&format!("[^{WORD}]")),
        'd' => out.push_str(&format!("[{DIGIT}]")),
        'D' => out.push_str(&format!("[^{DIGIT}]")),
        's' => out.push_str(&format!("[{SPACE}]")),
        'S' => out.push_str(&format!("[^{SPACE}]")),
        'b' if in_class => out.push_str(r"\x08"),
        'b' => out.push_str(r"(?-u:\b)"),
        'B' if in_class => return Err(r"\B in a class".into()),
        'B' => out.push_str(r"(?-u:\B)"),
        't' => out.push_str(r"\t"),
        'n' => out.push_str(r"\n"),
        'r' => out.push_str(r"\r"),
        'v' => out.push_str(r"\x0B"),
        'f' => out.push_str(r"\x0C"),
        '0' if !src.get(next).is_some_and(char::is_ascii_digit) => out.push_str(r"\x00"),
        '1'..='9' if !in_class => return Err("backreferences".into()),
        'k' if src.get(next) == Some(&'<') => return Err("backreferences".into()),
        'c' => match src.get(next) {
            Some(l) if l.is_ascii_alphabetic() => {
                out.push_str(&format!("\\x{:02X}", u32::from(*l) % 32));
                return Ok((out, next + 1));
            }
            // JS (Annex B): a `\c` without a letter is a literal backslash followed by `c`.
            _ => out.push_str(r"\\c"),
        },
        'x' => match hex(src, next, 2) {
            Some(cp) => {
                code_point(&mut out, cp)?;
                return Ok((out, next + 2));
            }
            None => out.push('x'),
        },
        'u' => match hex(src, next, 4) {
            Some(cp) => {
                code_point(&mut out, cp)?;
                return Ok((out, next + 4));
            }
            None => out.push('u'),
        },
        // Octal escapes and identity escapes (`\/`, `\.`, `\q`...) are literals in JS.
        _ if c.is_ascii_digit() => {
            let mut j = i;
            let mut v = 0u32;
            while j < src.len() && j < i + 3 && ('0'..='7').contains(&src[j]) && v * 8 + 7 < 256 {
                v = v * 8 + src[j].to_digit(8).unwrap_or(0);
                j += 1;
            }
            if j == i {
                push_literal(&mut out, c);
                return Ok((out, next));
            }
            code_point(&mut out, v)?;
            return Ok((out, j));
        }
        _ => push_literal(&mut out, c),
    }
    Ok((out, next))
}

/// Translates a class whose content starts at `src[i]` (after `[`).
fn class(src: &[char], mut i: usize) -> Result<(String, usize), String> {
    let mut out = String::from("[");
    let negated = src.get(i) == Some(&'^');
    if negated {
        out.push('^');
        i += 1;
    }
    if src.get(i) == Some(&']') {
        // `[]` matches nothing and `[^]` anything in JS.
        let piece = if negated {
            r"[\x{0}-\x{10FFFF}]"
        } else {
            r"[^\x{0}-\x{10FFFF}]"
        };
        return Ok((piece.into(), i + 1));
    }
    // Each atom: Ok(char) for a single code point, Err(piece) for a class escape.
    let atom = |i: usize| -> Result<(Result<char, String>, usize), String> {
        match src.get(i) {
            None => Err("unterminated class".into()),
            Some('\\') => {
                let (piece, next) = escape(src, i + 1, true)?;
                let single = match src.get(i + 1) {
                    Some('w' | 'W' | 'd' | 'D' | 's' | 'S') => None,
                    _ => decode_single(&piece),
                };
                Ok((single.ok_or(piece), next))
            }
            Some(&c) => Ok((Ok(c), i + 1)),
        }
    };
    loop {
        match src.get(i) {
            None => return Err("unterminated class".into()),
            Some(']') => {
                out.push(']');
                return Ok((out, i + 1));
            }
            _ => {}
        }
        let (first, next) = atom(i)?;
        i = next;
        let is_range = src.get(i) == Some(&'-') && src.get(i + 1).is_some_and(|c| *c != ']');
        match first {
            Ok(lo) if is_range => {
                let (second, next) = atom(i + 1)?;
                match second {
                    Ok(hi) => {
                        if hi < lo {
                            return Err("range out of order in class".into());
                        }
                        push_literal(&mut out, lo);
                        out.push('-');
                        push_literal(&mut out, hi);
                        i = next;
                    }
                    // `[a-\w]`: JS (Annex B) reads `a`, `-` and the class escape.
                    Err(piece) => {
                        push_literal(&mut out, lo);
                        push_literal(&mut out, '-');
                        out.push_str(&piece);
                        i = next;
                    }
                }
            }
            Ok(c) => push_literal(&mut out, c),
            Err(piece) => out.push_str(&piece),
        }
    }
}

/// The single code point a translated escape denotes, if it is one.
fn decode_single(piece: &str) -> Option<char> {
    let mut chars = piece.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        (Some('\\'), Some(k)) => {
            let rest = chars.as_str();
            match (k, rest) {
                ('t', "") => Some('\t'),
                ('n', "") => Some('\n'),
                ('r', "") => Some('\r'),
                ('\\', "c") => None,
                ('x', r) => {
                    let r = r.trim_start_matches('{').trim_end_matches('}');
                    u32::from_str_radix(r, 16).ok().and_then(char::from_u32)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        compile(p).unwrap_or_else(|e| panic!("{e}")).is_match(s)
    }

    #[test]
    fn js_classes_are_ascii() {
        assert!(m(r"^\w+$", "abc_09"));
        assert!(!m(r"^\w+$", "café"));
        assert!(!m(r"^[\w\.-]+$", "café_ß"));
        assert!(!m(r"^\+?[1-9]\d{1,14}$", "١٢٣٤"));
        assert!(m(r"^\+?[1-9]\d{1,14}$", "+15551234567"));
        assert!(m(r"^\W$", "é"));
        assert!(m(r"^[^\w]$", "é"));
        assert!(m(r"^[\W]$", "é"));
        assert!(!m(r"^[\W]$", "a"));
        assert!(m(r"^\D\S$", "xy"));
    }

    #[test]
    fn js_whitespace() {
        for s in ["a\u{a0}b", "a\u{feff}b", "a\u{2028}b", "a\u{3000}b", "a\tb"] {
            assert!(m(r"^\w\s\w$", s), "{s:?}");
            assert!(m(r"^[\w\s]+$", s), "{s:?}");
            assert!(!m(r"^\S+$", s), "{s:?}");
        }
        assert!(!m(r"^\s$", "\u{85}"));
        assert!(!m(r"^\s$", "\u{180e}"));
    }

    #[test]
    fn anchors_and_dot_like_js() {
        assert!(!m(r"^\d+$", "123\n"));
        assert!(!m(r"^abc$", "abc\n"));
        assert!(m("^a.c$", "abc"));
        assert!(!m("^a.c$", "a\u{2028}c"));
        assert!(!m("^a.c$", "a\rc"));
        assert!(m("/^abc$/", "abc"));
    }

    #[test]
    fn word_boundary_is_ascii() {
        // JS: `é` is not a word char, so there is a boundary between `é` and `a`.
        assert!(m(r"\ba", "éa"));
        assert!(!m(r"\ba", "_a"));
        assert!(m(r"a\B", "ab"));
    }

    #[test]
    fn js_literal_syntax() {
        assert!(m(r"^a\/b$", "a/b"));
        assert!(m(r"^a{$", "a{"));
        assert!(m(r"^{foo}$", "{foo}"));
        assert!(m(r"^a{2}$", "aa"));
        assert!(m(r"^a{,2}$", "a{,2}"));
        assert!(m(r"^[a-z0-9_\*\.:-]+$", "a*b.c:d-e_1"));
        assert!(m(r"^[[]$", "["));
        assert!(m(r"^[&&]+$", "&&"));
        assert!(m(r"^[a~~b]+$", "~"));
        assert!(m(r"^\u00e9$", "é"));
        assert!(m(r"^\x41\cJ$", "A\n"));
        assert!(m(r"^\0$", "\0"));
        assert!(m(r"^[\w-z]+$", "-z"));
        assert!(m(r"^[\b]$", "\u{8}"));
        assert!(m(r"^\q$", "q"));
        assert!(m(r"^(?<year>\d{4})$", "2015"));
        assert!(!m(r"^[]$", ""));
        assert!(m(r"^[^]$", "\n"));
        assert!(m(r"^#\ $", "# "));
    }

    #[test]
    fn untranslatable_is_err() {
        for p in [
            r"(a)\1",
            r"a(?=b)",
            r"a(?!b)",
            r"(?<=a)b",
            r"(?<!a)b",
            r"(?<n>a)\k<n>",
            "[a",
            "(a",
            r"a\",
            "[z-a]",
            "(?i)a",
        ] {
            assert!(compile(p).is_err(), "{p}");
        }
    }

    fn interop_lines(path: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/interop");
        std::fs::read_to_string(dir.join(path))
            .map(|s| {
                s.split('\n')
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn interop_schema_patterns_compile_and_valid_values_match() {
        use serde_json::Value as J;
        let mut patterns: std::collections::HashMap<(String, String), String> = Default::default();
        for line in interop_lines("schemas.jsonl") {
            let schema: J = serde_json::from_str(&line).unwrap_or(J::Null);
            let id = schema["id"].as_str().unwrap_or_default().to_owned();
            for f in schema["fields"].as_array().into_iter().flatten() {
                if let Some(p) = f["pattern"].as_str() {
                    assert!(compile(p).is_ok(), "{p}: {:?}", compile(p).err());
                    patterns.insert(
                        (id.clone(), f["name"].as_str().unwrap_or_default().into()),
                        p.into(),
                    );
                }
            }
        }
        // Every string value of a patterned top-level field in the valid messages must match.
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/interop/valid");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for line in text.split('\n').filter(|l| !l.is_empty()) {
                let msg: J = serde_json::from_str(line).unwrap_or(J::Null);
                let Some(obj) = msg.as_object() else { continue };
                let id = obj
                    .get("_schema")
                    .and_then(J::as_str)
                    .unwrap_or_default()
                    .to_owned();
                for (k, v) in obj {
                    let Some(p) = patterns.get(&(id.clone(), k.clone())) else {
                        continue;
                    };
                    let re = compile(p).unwrap_or_else(|e| panic!("{e}"));
                    let values: Vec<&J> = match v {
                        J::Array(a) => a.iter().collect(),
                        J::Object(o) => o.values().collect(),
                        other => vec![other],
                    };
                    for s in values.into_iter().filter_map(J::as_str) {
                        assert!(re.is_match(s), "{id} {k}: {p} !~ {s:?}");
                        checked += 1;
                    }
                }
            }
        }
        if dir.exists() {
            assert!(checked > 100, "only {checked} values checked");
        }
    }
}
