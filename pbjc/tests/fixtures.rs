//! Broken stores under `tests/fixtures/` give the expected errors at the right file and line.

use std::path::PathBuf;

use pbjc::{Diagnostic, Severity};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn errors(name: &str) -> Vec<Diagnostic> {
    let err = pbjc::load(&[fixture(name)]).expect_err("fixture must fail");
    // Rendering never panics and shows the source line marker.
    let text = err.to_string();
    assert!(text.contains("error: "), "{text}");
    err.iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect()
}

/// Asserts an error containing `msg` at `file` (path suffix) and `line`.
fn expect(diags: &[Diagnostic], msg: &str, file: &str, line: u32) {
    let hit = diags.iter().any(|d| {
        d.message.contains(msg)
            && d.location
                .as_ref()
                .is_some_and(|l| l.file.ends_with(file) && l.line == line)
    });
    let all: Vec<String> = diags
        .iter()
        .map(|d| match &d.location {
            Some(l) => format!("{}:{}: {}", l.file.display(), l.line, d.message),
            None => d.message.clone(),
        })
        .collect();
    assert!(
        hit,
        "expected `{msg}` at {file}:{line}, got:\n{}",
        all.join("\n")
    );
}

#[test]
fn missing_mixin() {
    let d = errors("missing-mixin");
    expect(
        &d,
        "mixin `t:a:mixin:nope:v1` not found",
        "do-it/1-0-0.xml",
        5,
    );
    assert_eq!(d.len(), 1);
}

#[test]
fn bad_id() {
    expect(
        &errors("bad-id"),
        "invalid schema id `pbj:T:a:command:bad:1-0-0`",
        "bad/1-0-0.xml",
        3,
    );
}

#[test]
fn unknown_enum() {
    expect(
        &errors("unknown-enum"),
        "cannot find an enum with id `t:a:nope`",
        "e/1-0-0.xml",
        6,
    );
}

#[test]
fn illegal_override() {
    let d = errors("illegal-override");
    expect(&d, "illegal override of field `x`", "o/1-0-0.xml", 6);
    expect(
        &d,
        "changes `required` of the inherited field",
        "o/1-0-0.xml",
        6,
    );
    // The overridable `y` redefinition is fine.
    assert!(!d.iter().any(|e| e.message.contains("field `y`")));
    let note = d.iter().find_map(|e| e.note.clone()).expect("note");
    assert!(note.0.file.ends_with("mixin/base/1-0-0.xml") && note.0.line == 5);
}

#[test]
fn bad_type() {
    expect(
        &errors("bad-type"),
        "unknown field type `strin`",
        "b/1-0-0.xml",
        5,
    );
}

#[test]
fn bad_rule_for_set() {
    expect(
        &errors("bad-set"),
        "type `boolean` cannot be used in a set",
        "b/1-0-0.xml",
        5,
    );
}

#[test]
fn bad_path() {
    let d = errors("bad-path");
    expect(&d, "invalid schema xml directory", "other/1-0-0.xml", 3);
    expect(
        &d,
        "invalid schema xml file name `2-0-0.xml`",
        "c/2-0-0.xml",
        3,
    );
}

#[test]
fn malformed_and_empty_xml() {
    let d = errors("malformed");
    expect(&d, "malformed XML", "m/1-0-0.xml", 6);
    expect(&d, "it is empty", "n/1-0-0.xml", 1);
}

#[test]
fn bad_default() {
    let d = errors("bad-default");
    expect(&d, "invalid default `abc` for field `n`", "d/1-0-0.xml", 6);
    expect(
        &d,
        "invalid default `blue` for field `c`: not a value of enum `t:a:color`",
        "d/1-0-0.xml",
        10,
    );
}

#[test]
fn bad_pattern() {
    expect(
        &errors("bad-pattern"),
        "invalid pattern for field `s`",
        "p/1-0-0.xml",
        5,
    );
}

#[test]
fn min_above_max_and_out_of_range_precision_are_errors() {
    let d = errors("bad-limits");
    let f = "l/1-0-0.xml";
    expect(&d, "min 20 is greater than max 10", f, 5);
    expect(&d, "min 8 is greater than max 4", f, 6);
    expect(&d, "precision 70 is out of range 1..=65", f, 7);
    expect(&d, "precision 0 is out of range 1..=65", f, 8);
    expect(&d, "scale 7 is out of range 0..=6", f, 9);
    // Without a precision, the runtime's default precision 10 bounds the scale.
    expect(&d, "scale 11 is out of range 0..=10", f, 10);
    expect(&d, "scale -1 is out of range 0..=10", f, 11);
    assert_eq!(d.len(), 7, "{d:#?}");
    let col = |line: u32| d.iter().flat_map(|e| &e.location).find(|l| l.line == line);
    // The marker points at the offending attribute.
    assert_eq!(col(5).map(|l| l.column), Some(34));
    assert_eq!(col(7).map(|l| l.column), Some(38));
}

#[test]
fn several_errors_in_one_store() {
    let d = errors("many-errors");
    let f = "one/1-0-0.xml";
    expect(&d, "invalid boolean `maybe`", f, 3);
    expect(&d, "invalid integer `ten`", f, 5);
    expect(&d, "unknown format `phone`", f, 6);
    expect(&d, "any-of curie `t:a:command:missing` not found", f, 9);
    expect(&d, "unknown attribute `colour`", f, 12);
    expect(&d, "unknown element <bogus>", f, 13);
    expect(&d, "`t:a:command:two:v1` is not a mixin", f, 16);
    assert_eq!(d.len(), 7);
}

#[test]
fn version_break() {
    let d = errors("version-break");
    expect(&d, "must include the field `y`", "v/1-0-1.xml", 3);
    expect(&d, "field `x` must keep type `string`", "v/1-0-1.xml", 5);
    // Dropping a format is breaking in a patch bump...
    expect(&d, "field `z` must keep format `email`", "v/1-0-1.xml", 6);
    // ...but allowed in a minor bump (like gdbots envelope 1-0-2 -> 1-1-0).
    assert!(!d.iter().any(|e| e.message.contains("command:w")), "{d:?}");
    assert_eq!(d.len(), 3);
}

#[test]
fn latest_differs_from_version_file() {
    expect(
        &errors("latest-differs"),
        "latest.xml and 1-0-0.xml both declare",
        "l/latest.xml",
        3,
    );
}

#[test]
fn valid_store_with_foreign_namespace_comments_and_cdata() {
    let loaded = pbjc::load_all(&[fixture("valid")]);
    assert!(loaded.diagnostics.is_empty(), "{}", loaded.diagnostics);
    let s = &loaded.store.schemas["pbj:t:a:command:ok:1-0-0"];
    let y = &s.fields[0];
    assert_eq!(y.description.as_deref(), Some("Some text\non two lines"));
    let id = &s.fields[1];
    assert_eq!(id.identifier_class.as_deref(), Some("UuidIdentifier"));
    assert!(id.generated_default);
    let names: Vec<&str> = loaded
        .store
        .resolve_fields(s)
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["x", "y", "id"]);
    assert_eq!(loaded.files.len(), 2);
}

#[test]
fn rendering_is_rustc_like() {
    let err = pbjc::load(&[fixture("bad-type")]).expect_err("fails");
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "error: unknown field type `strin`");
    assert!(
        lines[1].starts_with(" --> ") && lines[1].ends_with("b/1-0-0.xml:5:23"),
        "{text}"
    );
    assert!(
        lines[3].starts_with("5 |       <field name=\"s\" type=\"strin\"/>"),
        "{text}"
    );
    // The marker underlines the whole offending attribute.
    assert_eq!(
        lines[4],
        "  |                       ^^^^^^^^^^^^ not a pbj type"
    );
}

#[test]
fn missing_store_directory() {
    let err = pbjc::load(&[fixture("does-not-exist")]).expect_err("fails");
    assert!(err.iter().any(|d| d.message.contains("does not exist")));
}

#[test]
fn extends_cycle_and_self_reference() {
    let d = errors("cycles");
    expect(&d, "extends cycle", "mixin/a/1-0-0.xml", 3);
    expect(&d, "extends cycle", "mixin/b/1-0-0.xml", 3);
    expect(&d, "cannot use itself as a mixin", "command/s/1-0-0.xml", 5);
}
