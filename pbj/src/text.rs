//! String helpers with the JS implementation's semantics.

/// Whether `c` is whitespace for JS `String.prototype.trim` (WhiteSpace + LineTerminator).
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Trims JS whitespace from both ends.
pub fn js_trim(s: &str) -> &str {
    // Every JS whitespace is either ASCII <= ' ' or non-ASCII: printable ASCII ends need no trim.
    let plain = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    if plain(s.as_bytes().first()) && plain(s.as_bytes().last()) {
        return s;
    }
    s.trim_matches(is_js_whitespace)
}

/// The set-uniqueness key of a string: trimmed and lowercased (JS `toLowerCase`).
pub fn set_key(s: &str) -> String {
    js_trim(s).to_lowercase()
}
