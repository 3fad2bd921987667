//! Rust names derived from pbj ids: modules, types, constants, methods.

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

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// `ip-to-geo` -> `IpToGeo`, `CTRL_STOP` -> `CtrlStop`, `tests.pbj` -> `TestsPbj`.
pub fn upper_camel(s: &str) -> String {
    let mut out = String::new();
    for w in words(s) {
        let mut chars = w.chars();
        if let Some(c) = chars.next() {
            out.push(c.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
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

/// `BigInt` -> `big_int`, `ctx_ip` -> `ctx_ip`, `_id` -> `_id` (not escaped).
pub fn snake(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = true;
        } else {
            if !out.ends_with('_') || out.chars().all(|c| c == '_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
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
    let mut out: Vec<String> = Vec::new();
    for w in words(s) {
        out.push(snake(w).trim_matches('_').to_ascii_uppercase());
    }
    let joined = out
        .into_iter()
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if joined.is_empty() || joined.starts_with(|c: char| c.is_ascii_digit()) {
        format!("N{joined}")
    } else {
        joined
    }
}

/// Module name of an id segment: `tests.pbj` -> `tests_pbj`, `my-app` -> `my_app`.
pub fn module(segment: &str) -> String {
    let mut name = snake(segment);
    while name.contains("__") {
        name = name.replace("__", "_");
    }
    let name = name.trim_end_matches('_');
    let name = if name.is_empty() { "_" } else { name };
    let name = if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name.to_owned()
    };
    escape(&name)
}

/// A message type name: `health-checked` major 1 -> `HealthCheckedV1`.
pub fn message_type(message: &str, major: u32) -> String {
    format!("{}V{major}", upper_camel(message))
}

/// The suffix used in method names for a field: `_id` -> `id`, `BigInt` -> `big_int`.
pub fn method_suffix(field: &str) -> String {
    let s = snake(field);
    let trimmed = s.trim_matches('_');
    if trimmed.is_empty() {
        "field".to_owned()
    } else {
        let mut out = trimmed.to_owned();
        while out.contains("__") {
            out = out.replace("__", "_");
        }
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
        assert_eq!(snake("_id"), "_id");
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
