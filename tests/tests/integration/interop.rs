//! Interop with the real JS and PHP implementations: every sample in `../shared/interop/`.
//!
//! Every check counts what it saw and compares the counts with the figures pinned below
//! (derived once from the data, then fixed), so a sample that silently stops being checked, or
//! an exemption that starts covering more rows than it should, fails the test.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use md5::{Digest, Md5};
use pbj::Flavor;
use pbjx_tests::{decode_valid, etag_line, file_lines, interop_dir, json_files, roundtrip_line};
use serde::Deserialize;
use serde_json::value::RawValue;

fn is_error(out: &str) -> bool {
    out.starts_with("{\"error\":")
}

// ---------------------------------------------------------------------------------------------
// Known schema skew

/// The fields the gdbots 3.0.5 mixins add over 3.0.3, against which the acme JS and PHP packages
/// that wrote the samples were built (`../shared/interop/README.md`, "Known skew").
const EXPECTED_SKEW_FIELDS: [&str; 4] = [
    "allow_multiple_submissions",
    "braze_api_key",
    "captcha_enabled",
    "captcha_token",
];

/// Per curie, the fields our compiled schemas have but the JS view of that schema
/// (`schemas.jsonl`) lacks. Only the acme store may differ, and only by
/// [`EXPECTED_SKEW_FIELDS`] (asserted by `schema_skew_is_exactly_the_documented_fields`).
static SKEW: LazyLock<HashMap<String, HashSet<String>>> = LazyLock::new(|| {
    let mut skew: HashMap<String, HashSet<String>> = HashMap::new();
    for line in file_lines(&interop_dir().join("schemas.jsonl")) {
        let v: serde_json::Value = serde_json::from_str(&line).expect("schemas.jsonl row");
        let curie = v["curie"].as_str().unwrap_or_default().to_owned();
        let js: HashSet<&str> = v["fields"]
            .as_array()
            .map(|f| f.iter().filter_map(|f| f["name"].as_str()).collect())
            .unwrap_or_default();
        let Some(entry) = pbjx_tests::registry().resolve_curie(&curie) else {
            continue;
        };
        let extra: HashSet<String> = entry
            .schema
            .fields
            .iter()
            .filter(|f| !js.contains(f.name))
            .map(|f| f.name.to_owned())
            .collect();
        if !extra.is_empty() {
            skew.insert(curie, extra);
        }
    }
    skew
});

#[test]
fn schema_skew_is_exactly_the_documented_fields() {
    let fields: BTreeSet<&str> = SKEW.values().flatten().map(String::as_str).collect();
    assert_eq!(fields, BTreeSet::from(EXPECTED_SKEW_FIELDS));
    let curies: BTreeSet<&str> = SKEW.keys().map(String::as_str).collect();
    assert!(
        curies.iter().all(|c| c.starts_with("acme:")),
        "only acme schemas may differ from the JS view: {curies:?}"
    );
}

fn curie_of(schema_id: &str) -> Option<String> {
    let rest = schema_id.strip_prefix("pbj:")?;
    Some(rest[..rest.rfind(':')?].to_owned())
}

/// Removes skewed fields (see [`SKEW`]) from every message in `v`; true if any was present.
fn strip_skew(v: &mut serde_json::Value) -> bool {
    let mut touched = false;
    match v {
        serde_json::Value::Object(map) => {
            if let Some(fields) = map
                .get("_schema")
                .and_then(|s| s.as_str())
                .and_then(curie_of)
                .and_then(|c| SKEW.get(&c))
            {
                for f in fields {
                    touched |= map.shift_remove(f).is_some();
                }
            }
            for child in map.values_mut() {
                touched |= strip_skew(child);
            }
        }
        serde_json::Value::Array(items) => {
            for child in items {
                touched |= strip_skew(child);
            }
        }
        _ => {}
    }
    touched
}

/// Whether `ours` differs from `expected` only by skewed fields (at least one of them).
fn equal_without_skew(expected: &serde_json::Value, ours: &serde_json::Value) -> bool {
    let (mut a, mut b) = (expected.clone(), ours.clone());
    let touched = strip_skew(&mut a) | strip_skew(&mut b);
    touched && serde_json::to_string(&a).ok() == serde_json::to_string(&b).ok()
}

/// [`equal_without_skew`] on JSON text.
fn text_equal_without_skew(expected: &str, ours: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(expected),
        serde_json::from_str::<serde_json::Value>(ours),
    ) {
        (Ok(a), Ok(b)) => equal_without_skew(&a, &b),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Valid samples: byte-identical round trips

/// Lines in a set of files and, of them, lines that differ from ours only by [`SKEW`] fields.
struct Expected {
    lines: usize,
    skewed: usize,
}

fn assert_round_trips(files: &[PathBuf], flavor: Flavor, expected: Expected) {
    let mut failures = Vec::new();
    let (mut count, mut skewed) = (0, 0);
    for file in files {
        for (n, line) in file_lines(file).iter().enumerate() {
            count += 1;
            let out = roundtrip_line(line, flavor);
            if &out == line {
                continue;
            }
            if text_equal_without_skew(line, &out) {
                skewed += 1;
                continue;
            }
            failures.push(format!(
                "{}:{n}\n  in:  {line}\n  out: {out}",
                file.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} lines differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        (count, skewed),
        (expected.lines, expected.skewed),
        "(lines, lines identical apart from the known schema skew)"
    );
}

#[test]
fn js_valid_samples_round_trip_byte_identical() {
    assert_round_trips(
        &json_files(&interop_dir().join("valid")),
        Flavor::Js,
        Expected {
            lines: 228,
            skewed: 13,
        },
    );
}

#[test]
fn synthetic_valid_samples_round_trip_byte_identical() {
    assert_round_trips(
        &[interop_dir().join("synthetic/valid.jsonl")],
        Flavor::Js,
        Expected {
            lines: 6,
            skewed: 0,
        },
    );
}

#[test]
fn php_valid_samples_round_trip_byte_identical_with_the_php_writer() {
    assert_round_trips(
        &json_files(&interop_dir().join("php/valid")),
        Flavor::Php,
        Expected {
            lines: 203,
            skewed: 9,
        },
    );
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `php/canonical.jsonl` is PHP `JsonSerializer` output, and a PHP etag (no skipped fields) is
/// the md5 of exactly those bytes (true of every row of `php/etags.jsonl`, checked in
/// `php_etags_are_the_md5_of_the_php_lines`).
#[test]
fn php_canonical_messages_re_encode_byte_identical_with_their_etags() {
    let lines = file_lines(&interop_dir().join("php/canonical.jsonl"));
    assert_eq!(lines.len(), 7);
    for line in &lines {
        if let Err(e) = decode_valid(line) {
            panic!("{line}\n{e}");
        }
        assert_eq!(&roundtrip_line(line, Flavor::Php), line);
        assert_eq!(
            etag_line(line, Flavor::Php, &[]),
            md5_hex(line.as_bytes()),
            "{line}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Invalid payloads: rejected, naming the field the JS names

#[derive(Deserialize)]
struct InvalidRow<'a> {
    schema: String,
    #[serde(borrow)]
    payload: &'a RawValue,
    js_error: String,
    mutation: String,
    field: Option<String>,
}

/// Rows whose error legitimately names another field than the row's `field`.
struct FieldDifference {
    /// The row's schema curie; `None`: any schema.
    schema: Option<&'static str>,
    mutation: &'static str,
    /// The row's `field`.
    js: Option<&'static str>,
    /// The top-level field our error names (`""`: none).
    ours: &'static str,
    /// How many rows of `invalid.jsonl` this entry covers.
    rows: usize,
    reason: &'static str,
}

const UNREGISTERED: &str = "the schema id is valid but names no registered message: our \
    error (no_message_for_schema_id) names the field holding the message, none at the top \
    level; the JS names `_schema`";
const NO_EDGE: &str = "the generator could not build the required `edge` message, so the base \
    payload lacks it and the JS fails on `edge` too (its js_error says `Required field [edge]`) \
    whatever the mutation";

const FIELD_DIFFERENCES: [FieldDifference; 7] = [
    FieldDifference {
        schema: None,
        mutation: "unknown_schema",
        js: Some("_schema"),
        ours: "",
        rows: 45,
        reason: UNREGISTERED,
    },
    FieldDifference {
        schema: None,
        mutation: "unknown_major_version",
        js: Some("_schema"),
        ours: "",
        rows: 41,
        reason: UNREGISTERED,
    },
    FieldDifference {
        schema: Some("gdbots:ncr:command:create-edge"),
        mutation: "required_field_null",
        js: Some("command_id"),
        ours: "edge",
        rows: 1,
        reason: NO_EDGE,
    },
    FieldDifference {
        schema: Some("gdbots:ncr:command:delete-edge"),
        mutation: "missing_required_field",
        js: Some("command_id"),
        ours: "edge",
        rows: 1,
        reason: NO_EDGE,
    },
    FieldDifference {
        schema: Some("gdbots:ncr:event:edge-created"),
        mutation: "other_minor_version",
        js: Some("_schema"),
        ours: "edge",
        rows: 1,
        reason: NO_EDGE,
    },
    FieldDifference {
        schema: Some("gdbots:ncr:event:edge-created"),
        mutation: "base_missing_unbuildable_required_message",
        js: None,
        ours: "edge",
        rows: 1,
        reason: NO_EDGE,
    },
    FieldDifference {
        schema: Some("gdbots:ncr:event:edge-deleted"),
        mutation: "base_missing_unbuildable_required_message",
        js: None,
        ours: "edge",
        rows: 1,
        reason: NO_EDGE,
    },
];

/// The top-level field of an error's field path (`tags.some_key` -> `tags`, `cf[0]` -> `cf`).
fn top_level(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or_default()
}

/// Checks every row is rejected naming the row's field, except the rows `differences` covers
/// (each must cover exactly its pinned number of rows).
fn assert_rejected(path: &Path, rows_expected: usize, differences: &[FieldDifference]) {
    let mut failures = Vec::new();
    let mut covered = vec![0; differences.len()];
    let rows = file_lines(path);
    for line in &rows {
        let row: InvalidRow = serde_json::from_str(line).expect("row");
        let out = roundtrip_line(row.payload.get(), Flavor::Js);
        let error: serde_json::Value = serde_json::from_str(&out).expect("our output is JSON");
        let Some(error) = error.get("error") else {
            failures.push(format!(
                "{} ({:?}): accepted {}\n  -> {out}",
                row.mutation,
                row.field,
                row.payload.get()
            ));
            continue;
        };
        let ours = top_level(error["field"].as_str().unwrap_or_default());
        if Some(ours) == row.field.as_deref() || (ours.is_empty() && row.field.is_none()) {
            continue;
        }
        let known = differences.iter().position(|d| {
            d.schema.is_none_or(|s| s == row.schema)
                && d.mutation == row.mutation
                && d.js == row.field.as_deref()
                && d.ours == ours
        });
        // Where we name a field, the JS error must name it too.
        let js_names_ours = ours.is_empty() || row.js_error.contains(&format!("[{ours}]"));
        match known {
            Some(i) if js_names_ours => covered[i] += 1,
            _ => failures.push(format!(
                "{} {} names {:?}, our error names {ours:?}: {out}",
                row.schema, row.mutation, row.field
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    assert_eq!(rows.len(), rows_expected, "rows in {}", path.display());
    for (d, covered) in differences.iter().zip(covered) {
        assert_eq!(
            covered, d.rows,
            "rows of {} / {:?} covered by the known difference: {}",
            d.mutation, d.schema, d.reason
        );
    }
}

#[test]
fn js_invalid_payloads_are_rejected_naming_the_field() {
    assert_rejected(
        &interop_dir().join("invalid.jsonl"),
        530,
        &FIELD_DIFFERENCES,
    );
}

#[test]
fn synthetic_invalid_payloads_are_rejected_naming_the_field() {
    assert_rejected(&interop_dir().join("synthetic/invalid.jsonl"), 209, &[]);
}

// ---------------------------------------------------------------------------------------------
// Normalize rows: rejected, or accepted with exactly the JS output

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

/// Rows accepted (with the JS output), rejected, and, of the accepted ones, those whose output
/// differs from the JS output only by [`SKEW`] fields.
#[derive(Debug, PartialEq)]
struct Normalized {
    accepted: usize,
    rejected: usize,
    skewed: usize,
}

fn assert_normalized(path: &Path, expected: Normalized) {
    let mut failures = Vec::new();
    let mut seen = Normalized {
        accepted: 0,
        rejected: 0,
        skewed: 0,
    };
    for line in file_lines(path) {
        let row: NormalizeRow = serde_json::from_str(&line).expect("row");
        let input = row.input_text.as_deref().unwrap_or(row.input.get());
        let out = roundtrip_line(input, Flavor::Js);
        if is_error(&out) {
            seen.rejected += 1;
            continue;
        }
        seen.accepted += 1;
        let mut ours: serde_json::Value = serde_json::from_str(&out).expect("our output is JSON");
        for field in &row.volatile_fields {
            match ours.get_mut(field) {
                Some(v) if v.is_string() || v.is_number() => *v = serde_json::json!("__VOLATILE__"),
                _ => failures.push(format!(
                    "{}: volatile field {field} missing in {out}",
                    row.mutation
                )),
            }
        }
        let expected = serde_json::to_string(&row.output).expect("json");
        let got = serde_json::to_string(&ours).expect("json");
        if expected == got {
            continue;
        }
        if equal_without_skew(&row.output, &ours) {
            seen.skewed += 1;
            continue;
        }
        failures.push(format!(
            "{}\n  in:   {input}\n  want: {expected}\n  got:  {got}",
            row.mutation
        ));
    }
    assert!(
        failures.is_empty(),
        "{} rows differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(seen, expected, "{}", path.display());
}

#[test]
fn js_normalize_rows_are_rejected_or_match_js() {
    assert_normalized(
        &interop_dir().join("normalize.jsonl"),
        Normalized {
            accepted: 211,
            rejected: 67,
            skewed: 14,
        },
    );
}

#[test]
fn synthetic_normalize_rows_are_rejected_or_match_js() {
    assert_normalized(
        &interop_dir().join("synthetic/normalize.jsonl"),
        Normalized {
            accepted: 155,
            rejected: 150,
            skewed: 0,
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Etags

#[derive(Deserialize)]
struct EtagRow {
    file: String,
    line: usize,
    #[serde(default)]
    skip_fields: Vec<String>,
    etag: String,
}

/// Checks every etag; an etag may differ only where the line's round trip differs by the known
/// schema skew (then the JS/PHP bytes cannot be reproduced).
fn assert_etags(rows_path: &Path, files_dir: &Path, flavor: Flavor, expected: Expected) {
    let mut failures = Vec::new();
    let mut skewed = 0;
    let rows = file_lines(rows_path);
    for row in &rows {
        let row: EtagRow = serde_json::from_str(row).expect("row");
        let file_lines = file_lines(&files_dir.join(&row.file));
        let line = &file_lines[row.line];
        let skip: Vec<&str> = row.skip_fields.iter().map(String::as_str).collect();
        let got = etag_line(line, flavor, &skip);
        if got == row.etag {
            continue;
        }
        let out = roundtrip_line(line, flavor);
        if &out != line && text_equal_without_skew(line, &out) {
            skewed += 1;
            continue;
        }
        failures.push(format!(
            "{}:{} skip {:?}: want {} got {got}",
            row.file, row.line, skip, row.etag
        ));
    }
    assert!(
        failures.is_empty(),
        "{} of {} etags differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    assert_eq!(
        (rows.len(), skewed),
        (expected.lines, expected.skewed),
        "(etags, etags not reproducible because of the known schema skew)"
    );
}

#[test]
fn js_etags_match() {
    assert_etags(
        &interop_dir().join("etags.jsonl"),
        &interop_dir(),
        Flavor::Js,
        Expected {
            lines: 284,
            skewed: 21,
        },
    );
}

#[test]
fn synthetic_etags_match() {
    assert_etags(
        &interop_dir().join("synthetic/etags.jsonl"),
        &interop_dir(),
        Flavor::Js,
        Expected {
            lines: 6,
            skewed: 0,
        },
    );
}

#[test]
fn php_etags_match() {
    assert_etags(
        &interop_dir().join("php/etags.jsonl"),
        &interop_dir().join("php/valid"),
        Flavor::Php,
        Expected {
            lines: 203,
            skewed: 9,
        },
    );
}

#[test]
fn php_etags_are_the_md5_of_the_php_lines() {
    let dir = interop_dir().join("php/valid");
    let rows = file_lines(&interop_dir().join("php/etags.jsonl"));
    for row in &rows {
        let row: EtagRow = serde_json::from_str(row).expect("row");
        assert!(row.skip_fields.is_empty());
        let line = &file_lines(&dir.join(&row.file))[row.line];
        assert_eq!(
            md5_hex(line.as_bytes()),
            row.etag,
            "{}:{}",
            row.file,
            row.line
        );
    }
    assert_eq!(rows.len(), 203);
}
