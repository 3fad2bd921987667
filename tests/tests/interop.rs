//! Interop with the real JS and PHP implementations: every sample in `../shared/interop/`.

use std::path::{Path, PathBuf};

use pbj::Flavor;
use pbjx_tests::{decode_valid, etag_line, roundtrip_line};
use serde::Deserialize;
use serde_json::value::RawValue;

fn interop() -> PathBuf {
    std::env::var_os("PBJ_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .join("interop")
}

/// Lines of a file, split on `\n` only (samples hold raw U+2028/U+2029).
fn lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.split('\n').filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.map(|e| e.path()).unwrap_or_default())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn assert_round_trips(files: &[PathBuf], flavor: Flavor) {
    let mut failures = Vec::new();
    let mut count = 0;
    for file in files {
        for (n, line) in lines(file).iter().enumerate() {
            count += 1;
            let out = roundtrip_line(line, flavor);
            if &out != line {
                failures.push(format!("{}:{n}\n  in:  {line}\n  out: {out}", file.display()));
            }
        }
    }
    assert!(count > 0, "no samples found");
    assert!(failures.is_empty(), "{} of {count} lines differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn js_valid_samples_round_trip_byte_identical() {
    assert_round_trips(&files_in(&interop().join("valid")), Flavor::Js);
}

#[test]
fn synthetic_valid_samples_round_trip_byte_identical() {
    assert_round_trips(&[interop().join("synthetic/valid.jsonl")], Flavor::Js);
}

#[test]
fn php_valid_samples_round_trip_byte_identical_with_the_php_writer() {
    assert_round_trips(&files_in(&interop().join("php/valid")), Flavor::Php);
}

#[test]
fn php_canonical_messages_decode() {
    let lines = lines(&interop().join("php/canonical.jsonl"));
    assert_eq!(lines.len(), 7);
    for line in lines {
        if let Err(e) = decode_valid(&line) {
            panic!("{line}\n{e}");
        }
    }
}

#[derive(Deserialize)]
struct InvalidRow<'a> {
    #[serde(borrow)]
    payload: &'a RawValue,
    mutation: String,
    field: Option<String>,
}

fn assert_rejected(path: &Path) {
    let mut failures = Vec::new();
    let rows = lines(path);
    for line in &rows {
        let row: InvalidRow = serde_json::from_str(line).expect("row");
        let out = roundtrip_line(row.payload.get(), Flavor::Js);
        if !out.starts_with("{\"error\":") {
            failures.push(format!("{} ({:?}): accepted {}\n  -> {out}", row.mutation, row.field, row.payload.get()));
        }
    }
    assert!(!rows.is_empty());
    assert!(failures.is_empty(), "{} of {} accepted:\n{}", failures.len(), rows.len(), failures.join("\n"));
}

#[test]
fn js_invalid_payloads_are_rejected() {
    assert_rejected(&interop().join("invalid.jsonl"));
}

#[test]
fn synthetic_invalid_payloads_are_rejected() {
    assert_rejected(&interop().join("synthetic/invalid.jsonl"));
}

#[derive(Deserialize)]
struct NormalizeRow<'a> {
    #[serde(borrow)]
    input: &'a RawValue,
    output: serde_json::Value,
    input_text: Option<String>,
    #[serde(default)]
    volatile_fields: Vec<String>,
    mutation: String,
}

fn assert_normalized(path: &Path) {
    let mut failures = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for line in lines(path) {
        let row: NormalizeRow = serde_json::from_str(&line).expect("row");
        let input = row.input_text.as_deref().unwrap_or(row.input.get());
        let out = roundtrip_line(input, Flavor::Js);
        if out.starts_with("{\"error\":") {
            rejected += 1;
            assert!(out.contains("\"message\":"), "{out}");
            continue;
        }
        accepted += 1;
        let mut ours: serde_json::Value = serde_json::from_str(&out).expect("our output is JSON");
        for field in &row.volatile_fields {
            match ours.get_mut(field) {
                Some(v) if v.is_string() || v.is_number() => *v = serde_json::json!("__VOLATILE__"),
                _ => failures.push(format!("{}: volatile field {field} missing in {out}", row.mutation)),
            }
        }
        let expected = serde_json::to_string(&row.output).expect("json");
        let got = serde_json::to_string(&ours).expect("json");
        if expected != got {
            failures.push(format!("{}\n  in:   {input}\n  want: {expected}\n  got:  {got}", row.mutation));
        }
    }
    eprintln!("{}: {accepted} accepted with the JS output, {rejected} rejected", path.display());
    assert!(failures.is_empty(), "{} rows differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn js_normalize_rows_are_rejected_or_match_js() {
    assert_normalized(&interop().join("normalize.jsonl"));
}

#[test]
fn synthetic_normalize_rows_are_rejected_or_match_js() {
    assert_normalized(&interop().join("synthetic/normalize.jsonl"));
}

#[derive(Deserialize)]
struct EtagRow {
    file: String,
    line: usize,
    #[serde(default)]
    skip_fields: Vec<String>,
    etag: String,
}

fn assert_etags(rows_path: &Path, files_dir: &Path, flavor: Flavor) {
    let mut failures = Vec::new();
    let rows = lines(rows_path);
    for row in &rows {
        let row: EtagRow = serde_json::from_str(row).expect("row");
        let file_lines = lines(&files_dir.join(&row.file));
        let skip: Vec<&str> = row.skip_fields.iter().map(String::as_str).collect();
        let got = etag_line(&file_lines[row.line], flavor, &skip);
        if got != row.etag {
            failures.push(format!("{}:{} skip {:?}: want {} got {got}", row.file, row.line, skip, row.etag));
        }
    }
    assert!(!rows.is_empty());
    assert!(failures.is_empty(), "{} of {} etags differ:\n{}", failures.len(), rows.len(), failures.join("\n"));
}

#[test]
fn js_etags_match() {
    assert_etags(&interop().join("etags.jsonl"), &interop(), Flavor::Js);
}

#[test]
fn synthetic_etags_match() {
    assert_etags(&interop().join("synthetic/etags.jsonl"), &interop(), Flavor::Js);
}

#[test]
fn php_etags_match() {
    assert_etags(&interop().join("php/etags.jsonl"), &interop().join("php/valid"), Flavor::Php);
}
