//! `parse-query`: the gdbots query parser's `toArray()` for each JSON string.

use pbjx::search::query::parse;
use serde_json::json;

use super::error;

/// `{"input": .., "parsed": [..]}` for one JSON string.
pub fn line(text: &str) -> String {
    let input: String = match serde_json::from_str(text) {
        Ok(input) => input,
        Err(e) => return error("input", e).to_string(),
    };
    let out = match parse(&input) {
        Ok(query) => json!({ "input": input, "parsed": query.to_array() }),
        Err(e) => {
            let mut out = error(e.kind(), &e);
            out["input"] = input.into();
            out
        }
    };
    out.to_string()
}
