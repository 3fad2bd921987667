//! The real stores load without errors, fast, and agree with the JS runtime's view of every
//! resolved schema (`interop/schemas.jsonl`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pbj::{FieldRule, Format};
use pbjc::model::{FieldDecl, Store};
use serde_json::Value;

mod common;
use common::shared_dir;

fn load_ok(stores: &[PathBuf]) -> (Store, Duration) {
    let t = Instant::now();
    let loaded = pbjc::load_all(stores);
    let took = t.elapsed();
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.diagnostics);
    assert!(!loaded.files.is_empty());
    (loaded.store, took)
}

#[test]
fn gdbots_and_acme_have_zero_diagnostics() {
    let s = shared_dir();
    let stores = [
        s.join("schemas/gdbots-schemas"),
        s.join("schemas/acme-schemas"),
    ];
    let loaded = pbjc::load_all(&stores);
    assert!(loaded.diagnostics.is_empty(), "{}", loaded.diagnostics);
    assert_eq!(loaded.files.len(), 487);
    assert_eq!(loaded.store.enums.len(), 23);
    // 443 + 38 files minus one latest.xml per curie (192 + 19).
    assert_eq!(loaded.store.schemas.len(), 443 + 38 - 192 - 19);
    assert!(pbjc::load(&stores).is_ok());
}

#[test]
fn loading_is_fast() {
    let s = shared_dir();
    let stores = [
        s.join("schemas/gdbots-schemas"),
        s.join("schemas/acme-schemas"),
    ];
    let (_, took) = load_ok(&stores);
    let limit = if cfg!(debug_assertions) { 5 } else { 1 };
    assert!(took < Duration::from_secs(limit), "took {took:?}");
}

#[test]
fn synthetic_store_with_gdbots_has_zero_errors() {
    let s = shared_dir();
    let (store, _) = load_ok(&[
        s.join("schemas/gdbots-schemas"),
        s.join("interop/synthetic-store"),
    ]);
    let all = store
        .resolve("pbjtest:corpus::all-types")
        .expect("all-types");
    assert!(
        all.fields
            .iter()
            .any(|f| f.name == "message_v" && f.any_of == ["gdbots:contexts::cloud"])
    );
}

trait LocExt {
    fn to_string_lossy_contains(&self, needle: &str) -> bool;
}

impl LocExt for pbjc::model::Location {
    fn to_string_lossy_contains(&self, needle: &str) -> bool {
        self.file.to_string_lossy().contains(needle)
    }
}

fn rule_name(r: FieldRule) -> &'static str {
    match r {
        FieldRule::Single => "A_SINGLE_VALUE",
        FieldRule::Set => "A_SET",
        FieldRule::List => "A_LIST",
        FieldRule::Map => "A_MAP",
    }
}

fn compare_field(id: &str, f: &FieldDecl, j: &Value) -> Result<(), String> {
    let ctx = |what: &str| format!("{id} field {}: {what}", f.name);
    let get = |k: &str| j.get(k);
    let eq = |what: &str, ok: bool| if ok { Ok(()) } else { Err(ctx(what)) };
    eq(
        "name",
        get("name").and_then(Value::as_str) == Some(f.name.as_str()),
    )?;
    eq(
        "type",
        get("type").and_then(Value::as_str) == Some(f.kind.name()),
    )?;
    eq(
        "rule",
        get("rule").and_then(Value::as_str) == Some(rule_name(f.rule)),
    )?;
    eq(
        "required",
        get("required").and_then(Value::as_bool) == Some(f.required),
    )?;
    eq(
        "use_type_default",
        get("use_type_default").and_then(Value::as_bool) == Some(f.use_type_default),
    )?;
    eq(
        "overridable",
        get("overridable").and_then(Value::as_bool).unwrap_or(false) == f.overridable,
    )?;
    eq(
        "pattern",
        get("pattern").and_then(Value::as_str) == f.pattern.as_deref(),
    )?;
    let format = (f.format != Format::Unknown).then(|| f.format.name());
    eq("format", get("format").and_then(Value::as_str) == format)?;
    eq(
        "enum_id",
        get("enum_id").and_then(Value::as_str) == f.enum_id.as_deref(),
    )?;
    let any_of: Vec<&str> = get("any_of_curies")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    eq(
        "any_of",
        any_of == f.any_of.iter().map(String::as_str).collect::<Vec<_>>(),
    )?;
    if let Some(max) = get("max_length").and_then(Value::as_u64) {
        eq(
            "max_length",
            u64::from(f.max_length.unwrap_or(f.kind.max_bytes())) == max,
        )?;
    } else {
        eq("max_length absent", f.max_length.is_none())?;
    }
    if let Some(min) = get("min_length").and_then(Value::as_u64) {
        eq("min_length", u64::from(f.min_length.unwrap_or(0)) == min)?;
    }
    if let Some(cls) = get("class_proto").and_then(Value::as_str)
        && f.kind == pbj::FieldType::Identifier
    {
        {
            eq(
                "identifier_class",
                f.identifier_class.as_deref() == Some(cls),
            )?;
        }
    }
    match get("default") {
        Some(Value::Object(o)) if o.get("dynamic") == Some(&Value::Bool(true)) => eq(
            "generated_default",
            f.generated_default || f.kind.has_generated_default(),
        )?,
        Some(Value::String(s)) => eq("default", f.default.as_deref() == Some(s.as_str()))?,
        Some(Value::Number(n)) => eq(
            "default",
            f.default.as_deref() == Some(n.to_string().as_str()),
        )?,
        Some(Value::Bool(b)) => eq(
            "default",
            matches!(f.default.as_deref(), Some(d) if (d == "true" || d == "1") == *b),
        )?,
        _ => eq(
            "no default",
            f.default.is_none() || f.kind.has_generated_default(),
        )?,
    }
    Ok(())
}

#[test]
fn resolved_fields_agree_with_js_runtime() {
    let s = shared_dir();
    let (store, _) = load_ok(&[
        s.join("schemas/gdbots-schemas"),
        s.join("schemas/acme-schemas"),
    ]);
    let text = std::fs::read_to_string(s.join("interop/schemas.jsonl")).expect("schemas.jsonl");
    let mut problems = Vec::new();
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).expect("json line");
        let id = v["id"].as_str().expect("id");
        let Some(schema) = store.schemas.get(id) else {
            problems.push(format!("{id}: not in store"));
            continue;
        };
        let mixins: Vec<&str> = v["mixins"]
            .as_array()
            .expect("mixins")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if store.mixin_names(schema) != mixins {
            problems.push(format!("{id}: mixins differ"));
        }
        let mut ours = store.resolve_fields(schema);
        // acme's runtime was built against gdbots 3.0.3; the store has gdbots 3.0.5, whose
        // mixins added a few optional fields. Those extras must come from gdbots.
        if v["source"] == "@gdbots/acme-schemas" {
            let known: Vec<&str> = v["fields"]
                .as_array()
                .expect("fields")
                .iter()
                .filter_map(|f| f["name"].as_str())
                .collect();
            for f in ours.iter().filter(|f| !known.contains(&f.name.as_str())) {
                if !f.location.to_string_lossy_contains("gdbots-schemas") {
                    problems.push(format!("{id}: unexpected field {}", f.name));
                }
            }
            ours.retain(|f| known.contains(&f.name.as_str()));
        }
        let theirs: Vec<&Value> = v["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .filter(|f| f["name"] != "_schema")
            .collect();
        let names = |it: &mut dyn Iterator<Item = String>| it.collect::<Vec<_>>();
        if ours.len() != theirs.len() {
            problems.push(format!(
                "{id}: field lists differ\n  ours:   {:?}\n  theirs: {:?}",
                names(&mut ours.iter().map(|f| f.name.clone())),
                names(
                    &mut theirs
                        .iter()
                        .map(|f| f["name"].as_str().unwrap_or("").to_owned())
                )
            ));
            continue;
        }
        for (f, j) in ours.iter().zip(&theirs) {
            if let Err(e) = compare_field(id, f, j) {
                problems.push(format!("{e}\n  ours: {f:?}\n  theirs: {j}"));
            }
        }
        checked += 1;
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(checked, 118);
}
