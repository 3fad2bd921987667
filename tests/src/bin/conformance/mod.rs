//! Line-oriented subcommands of `pbj-conformance` beyond the message ones: each reads one JSON
//! value per stdin line and prints one line per input line.

pub mod es_query;
pub mod parse_query;
pub mod token;

use serde_json::{Value, json};

/// `{"error":{"kind":K,"message":M}}`.
fn error(kind: &str, message: impl std::fmt::Display) -> Value {
    json!({ "error": { "kind": kind, "message": message.to_string() } })
}

/// The JSON object of an input line, or the error object to print.
fn object(text: &str) -> Result<serde_json::Map<String, Value>, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(row)) => Ok(row),
        Ok(_) => Err(error("input", "expected a JSON object")),
        Err(e) => Err(error("input", e)),
    }
}
