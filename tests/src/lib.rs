//! Cross-crate tests and the `pbj-conformance` tool.
//!
//! This crate compiles the gdbots, acme and synthetic (all types) schema stores from
//! `../shared/` with the pbjc build API, and exposes the conformance operations used by the
//! binary and by the interop tests.

#![warn(missing_docs)]

use std::sync::{Arc, LazyLock};

use pbj::{DecodeOptions, Error, Flavor, Message, Registry};

/// The generated types of the three stores.
pub mod schemas {
    include!(concat!(env!("OUT_DIR"), "/pbj_schemas.rs"));
}

/// A registry holding every generated message type (the three stores and the pbjx core).
pub fn registry() -> &'static Registry {
    static REGISTRY: LazyLock<Arc<Registry>> = LazyLock::new(schemas::registry);
    &REGISTRY
}

/// Decodes one JSON message (either dialect), validating it completely.
pub fn decode_valid(json: &str) -> Result<Box<dyn Message>, Error> {
    decode_valid_with(json, DecodeOptions::strict())
}

/// [`decode_valid`] with explicit decode options (e.g. [`DecodeOptions::lenient`]).
pub fn decode_valid_with(json: &str, options: DecodeOptions) -> Result<Box<dyn Message>, Error> {
    let message = pbj::codec::decode_with(json, registry(), options)?;
    if let Err(violations) = message.validate() {
        let first = &violations[0];
        return Err(if first.message.starts_with("required field") {
            Error::RequiredFieldNotSet {
                field: first.field.clone(),
                schema: message.schema().id.to_owned(),
            }
        } else {
            Error::InvalidValue {
                field: first.field.clone(),
                message: first.message.clone(),
            }
        });
    }
    Ok(message)
}

/// `roundtrip` for one line: the re-encoded JSON, or the error object.
pub fn roundtrip_line(line: &str, flavor: Flavor) -> String {
    roundtrip_line_with(line, flavor, DecodeOptions::strict())
}

/// [`roundtrip_line`] with explicit decode options (`roundtrip --lenient`).
pub fn roundtrip_line_with(line: &str, flavor: Flavor, options: DecodeOptions) -> String {
    match decode_valid_with(line, options) {
        Ok(m) => m.to_json_with(flavor),
        Err(e) => error_json(&e),
    }
}

/// `etag` for one line: the etag, or the error object.
pub fn etag_line(line: &str, flavor: Flavor, skip: &[&str]) -> String {
    match decode_valid(line) {
        Ok(m) => pbj::codec::etag(m.data(), flavor, skip),
        Err(e) => error_json(&e),
    }
}

/// `{"error":{"kind":K,"field":F,"message":M}}` for an error.
pub fn error_json(e: &Error) -> String {
    let mut out = String::from("{\"error\":{\"kind\":");
    push_json_str(&mut out, e.kind());
    out.push_str(",\"field\":");
    match e.field() {
        Some(f) => push_json_str(&mut out, f),
        None => out.push_str("null"),
    }
    out.push_str(",\"message\":");
    push_json_str(&mut out, &e.to_string());
    out.push_str("}}");
    out
}

fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The interop folder: `../shared/interop/`, or `$PBJ_SHARED_DIR/interop/`.
pub fn interop_dir() -> std::path::PathBuf {
    std::env::var_os("PBJ_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .join("interop")
}

/// The lines of a file, split on `\n` only (samples hold raw U+2028/U+2029), empty lines
/// dropped.
pub fn file_lines(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.split('\n')
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The lines of a file under the [interop folder](interop_dir) (see [`file_lines`]).
pub fn interop_lines(relative: &str) -> Vec<String> {
    file_lines(&interop_dir().join(relative))
}

/// The `*.json` files of a folder, sorted by name.
pub fn json_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// JSON equality with numbers compared by value (`1` = `1.0`) and object keys in any order.
pub fn json_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Runs `program args`, feeding it `lines` on stdin, and returns its stdout lines.
pub fn pipe(program: &str, args: &[&str], lines: &[String]) -> Vec<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = lines.join("\n");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("the program runs");
    writer
        .join()
        .expect("the writer thread ends")
        .expect("stdin takes the input");
    assert!(output.status.success(), "{program} {args:?} failed");
    String::from_utf8(output.stdout)
        .expect("the output is UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}
