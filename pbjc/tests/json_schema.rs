//! The JSON Schema generator against the original compiler's published files for the gdbots
//! store (`interop/json-schema/gdbots/`): same set of files, JSON-equal with key order.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

mod common;
use common::{shared_dir, slash_path};

/// Every file under `dir`, by `/`-separated relative path.
fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = slash_path(path.strip_prefix(root).expect("under root"));
                let text = std::fs::read_to_string(&path).expect("utf-8 file");
                out.insert(rel, text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Parsed with key order kept (serde_json's `preserve_order`): `==` then compares key order.
fn parse(path: &str, text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The keys of every object in `v`, depth first, so a difference in order shows.
fn key_order(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            out.push(m.keys().cloned().collect::<Vec<_>>().join(","));
            m.values().for_each(|v| key_order(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| key_order(v, out)),
        _ => {}
    }
}

#[test]
fn gdbots_json_schema_equals_the_published_files() {
    let shared = shared_dir();
    let golden = read_tree(&shared.join("interop/json-schema/gdbots"));
    assert_eq!(golden.len(), 443, "the published gdbots corpus");

    let store = pbjc::load(&[shared.join("schemas/gdbots-schemas")]).expect("valid store");
    let files = pbjc::json_schema::generate(&store, "http://schemas.gdbots.io");
    let ours: BTreeMap<String, &str> = files
        .iter()
        .map(|f| (slash_path(&f.path), f.contents.as_str()))
        .collect();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        golden.keys().collect::<Vec<_>>(),
        "file sets differ"
    );

    let mut problems = Vec::new();
    let mut byte_equal = 0;
    for (path, theirs) in &golden {
        let mine = ours[path];
        let (a, b) = (parse(path, mine), parse(path, theirs));
        let (mut ka, mut kb) = (Vec::new(), Vec::new());
        key_order(&a, &mut ka);
        key_order(&b, &mut kb);
        if a != b || ka != kb {
            problems.push(format!("{path}:\n  ours:   {a}\n  theirs: {b}"));
        }
        byte_equal += usize::from(mine == theirs.as_str());
    }
    assert!(
        problems.is_empty(),
        "{} of 443 differ:\n{}",
        problems.len(),
        problems
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Not only JSON-equal: the text itself is what the original wrote.
    assert_eq!(byte_equal, 443);
}

#[test]
fn domain_is_an_option_and_written_files_match() {
    let shared = shared_dir();
    let store = pbjc::load(&[shared.join("schemas/gdbots-schemas")]).expect("valid store");
    let files = pbjc::json_schema::generate(&store, "https://example.test/");
    let envelope = files
        .iter()
        .find(|f| f.path == Path::new("gdbots/pbjx/envelope/latest.json"))
        .expect("envelope latest");
    let v = parse("envelope", &envelope.contents);
    assert_eq!(
        v["id"],
        "https://example.test/json-schema/gdbots/pbjx/envelope/1-1-0.json#"
    );
    let refs = files
        .iter()
        .filter(|f| f.contents.contains("\"$ref\": \"http"))
        .count();
    assert!(refs > 0);
    assert!(
        files
            .iter()
            .all(|f| !f.contents.contains("\"$ref\": \"http://schemas.gdbots.io"))
    );
}
