//! Rust names derived from pbj ids: modules, types, constants, methods.
//!
//! Case conversion is `heck`'s (pinned to one exact version in `Cargo.toml`: generated names
//! are public API, so a heck upgrade is a deliberate, golden-tested change). One deviation
//! keeps the names pbjc has always generated: [`upper_camel`] lowercases its input before
//! heck splits it, so inner capitals are not word breaks (`someHTTP` -> `Somehttp`, where heck
//! alone gives `SomeHttp`). Every identifier of the real gdbots and acme stores gets the same
//! name as before the move to heck (checked when the move was made; the golden tests pin it).
//! What heck leaves to us: keywords (`r#type`), names starting with a digit, empty names.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// Words Rust reserves (strict, reserved and edition 2024 `gen`).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "super", "Self", "_"];

/// Escapes a keyword (`type` -> `r#type`, `self` -> `self_`).
pub fn escape(ident: &str) -> String {
    if NOT_RAW.contains(&ident) {
        format!("{ident}_")
    } else if KEYWORDS.contains(&ident) {
        format!("r#{ident}")
    } else {
        ident.to_owned()
    }
}

/// `ip-to-geo` -> `IpToGeo`, `CTRL_STOP` -> `CtrlStop`, `tests.pbj` -> `TestsPbj`.
pub fn upper_camel(s: &str) -> String {
    // Lowercased first: every word is capitalized once, inner capitals are not word breaks
    // (`someHTTP` -> `Somehttp`), which is how pbjc has always named types.
    let mut out = s.to_ascii_lowercase().to_upper_camel_case();
    if out.is_empty() {
        out.push_str("Unnamed");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'N');
    }
    if out == "Self" {
        out.push('_');
    }
    out
}

/// `BigInt` -> `big_int`, `ctx_ip` -> `ctx_ip`, `tests.pbj` -> `tests_pbj`, `3m` -> `_3m` (not
/// escaped).
pub fn snake(s: &str) -> String {
    let mut out = s.to_snake_case();
    if out.is_empty() {
        out.push_str("field");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `SCREAMING_SNAKE` for statics: `node-status` -> `NODE_STATUS`.
pub fn screaming(s: &str) -> String {
    let out = s.to_shouty_snake_case();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("N{out}")
    } else {
        out
    }
}

/// Module name of an id segment: `tests.pbj` -> `tests_pbj`, `my-app` -> `my_app`.
pub fn module(segment: &str) -> String {
    escape(&snake(segment))
}

/// A message type name: `health-checked` major 1 -> `HealthCheckedV1`.
pub fn message_type(message: &str, major: u32) -> String {
    format!("{}V{major}", upper_camel(message))
}

/// The suffix used in method names for a field: `_id` -> `id`, `BigInt` -> `big_int`.
pub fn method_suffix(field: &str) -> String {
    let out = field.to_snake_case();
    if out.is_empty() {
        "field".to_owned()
    } else {
        out
    }
}

/// A Rust string literal (escaped, quoted).
pub fn str_lit(s: &str) -> String {
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(upper_camel("ip-to-geo"), "IpToGeo");
        assert_eq!(upper_camel("CTRL_STOP"), "CtrlStop");
        assert_eq!(upper_camel("UNKNOWN"), "Unknown");
        assert_eq!(upper_camel("3d-model"), "N3dModel");
        assert_eq!(upper_camel("self"), "Self_");
        assert_eq!(message_type("health-checked", 1), "HealthCheckedV1");
        assert_eq!(module("tests.pbj"), "tests_pbj");
        assert_eq!(module("my-app"), "my_app");
        assert_eq!(module("type"), "r#type");
        assert_eq!(module("self"), "self_");
        assert_eq!(module("3m"), "_3m");
        assert_eq!(snake("BigInt"), "big_int");
        assert_eq!(snake("ctx_ip"), "ctx_ip");
        assert_eq!(snake("_id"), "id");
        assert_eq!(snake("3d-model"), "_3d_model");
        assert_eq!(snake("a_b2C"), "a_b2_c");
        assert_eq!(method_suffix("_id"), "id");
        assert_eq!(method_suffix("__x__y"), "x_y");
        assert_eq!(screaming("node-status"), "NODE_STATUS");
        assert_eq!(screaming("HealthCheckedV1"), "HEALTH_CHECKED_V1");
        assert_eq!(escape("type"), "r#type");
        assert_eq!(escape("gen"), "r#gen");
        assert_eq!(str_lit("a\"b\\"), "\"a\\\"b\\\\\"");
    }
}
