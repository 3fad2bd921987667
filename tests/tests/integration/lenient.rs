//! Lenient decoding against the real JS implementation: every normalize row of
//! `../shared/interop/` (the payloads the JS accepts and changes) must give the JS output, every
//! invalid row must still be rejected, and valid documents must decode as in strict mode.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use pbj::{DecodeOptions, Flavor};
use pbjx_tests::{file_lines, interop_dir, json_files, roundtrip_line_with};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

fn lenient(line: &str, flavor: Flavor) -> String {
    roundtrip_line_with(line, flavor, DecodeOptions::lenient())
}

fn strict(line: &str, flavor: Flavor) -> String {
    roundtrip_line_with(line, flavor, DecodeOptions::strict())
}

fn is_error(out: &str) -> bool {
    out.starts_with("{\"error\":")
}

/// The fields of each schema as the JS build that wrote the samples saw it (`schemas.jsonl`).
///
/// The acme JS package was built against older gdbots mixins than `../shared/schemas` (see
/// `interop/README.md`, known skew): fields it did not have are removed from both sides.
static JS_FIELDS: LazyLock<HashMap<String, HashSet<String>>> = LazyLock::new(|| {
    file_lines(&interop_dir().join("schemas.jsonl"))
        .iter()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("schemas.jsonl row");
            let fields = v["fields"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(|f| f["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (v["id"].as_str().unwrap_or_default().to_owned(), fields)
        })
        .collect()
});

/// Removes, from every message in `v`, the fields the JS schema of that message lacks.
fn strip_skew(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let known = map
                .get("_schema")
                .and_then(Value::as_str)
                .and_then(|id| JS_FIELDS.get(id));
            if let Some(known) = known {
                map.retain(|k, _| known.contains(k));
            }
            map.values_mut().for_each(strip_skew);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_skew),
        _ => {}
    }
}

#[derive(Deserialize)]
struct NormalizeRow<'a> {
    #[serde(borrow)]
    input: &'a RawValue,
    output: Value,
    input_text: Option<String>,
    #[serde(default)]
    volatile_fields: Vec<String>,
    mutation: String,
}

/// Asserts every row decodes leniently to its JS output; returns how many rows the strict
/// decoder rejects.
fn assert_js_output(path: &Path) -> usize {
    let (mut failures, mut strict_only_rejects, mut rows) = (Vec::new(), 0, 0);
    for line in file_lines(path) {
        rows += 1;
        let row: NormalizeRow = serde_json::from_str(&line).expect("row");
        let input = row.input_text.as_deref().unwrap_or(row.input.get());
        if is_error(&strict(input, Flavor::Js)) {
            strict_only_rejects += 1;
        }
        let out = lenient(input, Flavor::Js);
        let Ok(mut ours) = serde_json::from_str::<Value>(&out) else {
            failures.push(format!("{}: not JSON: {out}", row.mutation));
            continue;
        };
        if is_error(&out) {
            failures.push(format!("{}\n  in:  {input}\n  {out}", row.mutation));
            continue;
        }
        for field in &row.volatile_fields {
            match ours.get_mut(field) {
                Some(v) if v.is_string() || v.is_number() => *v = "__VOLATILE__".into(),
                _ => failures.push(format!("{}: no volatile {field} in {out}", row.mutation)),
            }
        }
        let mut expected = row.output;
        strip_skew(&mut expected);
        strip_skew(&mut ours);
        if expected != ours {
            failures.push(format!(
                "{}\n  in:   {input}\n  want: {expected}\n  got:  {ours}",
                row.mutation
            ));
        }
    }
    assert!(rows > 0, "no rows in {}", path.display());
    assert!(
        failures.is_empty(),
        "{} of {rows} rows differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    strict_only_rejects
}

#[test]
fn js_normalize_rows_give_the_js_output() {
    let strict_rejects = assert_js_output(&interop_dir().join("normalize.jsonl"));
    // Rows only lenient decoding accepts (`"42"` for an int, `null` elements, ...).
    assert_eq!(strict_rejects, 67);
}

#[test]
fn synthetic_normalize_rows_give_the_js_output() {
    let strict_rejects = assert_js_output(&interop_dir().join("synthetic/normalize.jsonl"));
    assert_eq!(strict_rejects, 150);
}

#[derive(Deserialize)]
struct InvalidRow<'a> {
    #[serde(borrow)]
    payload: &'a RawValue,
    mutation: String,
    field: Option<String>,
}

fn assert_still_rejected(path: &Path) {
    let rows = file_lines(path);
    let accepted: Vec<String> = rows
        .iter()
        .filter_map(|line| {
            let row: InvalidRow = serde_json::from_str(line).expect("row");
            let out = lenient(row.payload.get(), Flavor::Js);
            (!is_error(&out)).then(|| format!("{} ({:?}): {out}", row.mutation, row.field))
        })
        .collect();
    assert!(!rows.is_empty());
    assert!(
        accepted.is_empty(),
        "{} of {} accepted:\n{}",
        accepted.len(),
        rows.len(),
        accepted.join("\n")
    );
}

#[test]
fn js_invalid_payloads_stay_rejected() {
    assert_still_rejected(&interop_dir().join("invalid.jsonl"));
}

#[test]
fn synthetic_invalid_payloads_stay_rejected() {
    assert_still_rejected(&interop_dir().join("synthetic/invalid.jsonl"));
}

fn assert_same_as_strict(files: &[PathBuf], flavor: Flavor) {
    let mut count = 0;
    for file in files {
        for (n, line) in file_lines(file).iter().enumerate() {
            count += 1;
            let want = strict(line, flavor);
            assert!(!is_error(&want), "{}:{n}: {want}", file.display());
            assert_eq!(lenient(line, flavor), want, "{}:{n}", file.display());
        }
    }
    assert!(count > 0, "no samples");
}

#[test]
fn valid_documents_decode_as_in_strict_mode() {
    assert_same_as_strict(&json_files(&interop_dir().join("valid")), Flavor::Js);
    assert_same_as_strict(&[interop_dir().join("synthetic/valid.jsonl")], Flavor::Js);
}

#[test]
fn php_documents_decode_as_in_strict_mode() {
    assert_same_as_strict(&json_files(&interop_dir().join("php/valid")), Flavor::Php);
    assert_same_as_strict(&[interop_dir().join("php/canonical.jsonl")], Flavor::Php);
}
