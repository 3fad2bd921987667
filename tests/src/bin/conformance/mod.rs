//! Line-oriented subcommands of `pbj-conformance` beyond the message ones: each reads one JSON
//! value per stdin line and prints one line per input line.

mod es_query;
mod parse_query;
mod token;

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use serde_json::{Value, json};

/// Usage of these subcommands.
pub const USAGE: &str = "  pbj-conformance parse-query
      For each JSON string on stdin, print {\"input\":..,\"parsed\":[..]} (the query parser's
      toArray()), or {\"input\":..,\"error\":{\"kind\":K,\"message\":M}}.
  pbj-conformance es-query
      For each {\"q\",\"sort\",\"occurred_after\",\"occurred_before\",\"curies\"} on stdin, print the
      Elasticsearch body of the original QueryFactory (relevance decays from \"now\", or
      occurred_before; \"now\" may be given as an ISO date-time), or the error object.
  pbj-conformance token
      For each {\"content\",\"aud\",\"kid\",\"secret\",\"iat\",\"exp\",\"now\"} on stdin, print the
      PbjxToken created with them, or the error object.
  pbj-conformance verify-token
      For each {\"token\",\"kid\",\"secret\",\"content\",\"aud\",\"now\"} on stdin, print ok, or the
      error object of the failed check.";

/// The line handler of subcommand `name`.
pub fn handler(name: &str) -> Option<fn(&str) -> String> {
    match name {
        "parse-query" => Some(parse_query::line),
        "es-query" => Some(es_query::line),
        "token" => Some(token::create_line),
        "verify-token" => Some(token::verify_line),
        _ => None,
    }
}

/// Runs `handle` on every non-empty stdin line (split on `\n` only), printing its results.
pub fn run(handle: fn(&str) -> String) -> ExitCode {
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.split(b'\n') {
        let Ok(line) = line else {
            eprintln!("cannot read stdin");
            return ExitCode::FAILURE;
        };
        let text = String::from_utf8_lossy(&line);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        if text.trim().is_empty() {
            continue;
        }
        if writeln!(out, "{}", handle(text)).is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

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
