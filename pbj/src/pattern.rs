//! Translation of schema patterns (JS/PHP regex flavour) to Rust [`regex::Regex`].

use regex::Regex;

/// Compiles a schema pattern with JS semantics (`\w`, `\d`, `\s`, `\b` are ASCII-only).
pub fn compile(source: &str) -> Result<Regex, String> {
    let trimmed = source.trim_matches('/');
    Regex::new(&format!("(?-u:{trimmed})")).or_else(|_| Regex::new(trimmed)).map_err(|e| e.to_string())
}
