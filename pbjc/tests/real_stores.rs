//! The real stores load without errors and agree with the JS runtime's view of every resolved
//! schema (`interop/schemas.jsonl`). Load time is measured in `benches/compile.rs`.

use std::path::PathBuf;

use pbj::{FieldRule, Format};
use pbjc::model::{EnumDecl, FieldDecl, OptionValue, Store};
use serde_json::Value;

mod common;
use common::shared_dir;

fn load_ok(stores: &[PathBuf]) -> Store {
    let loaded = pbjc::load_all(stores);
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.diagnostics);
    assert!(!loaded.files.is_empty());
    loaded.store
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
fn synthetic_store_with_gdbots_has_zero_errors() {
    let s = shared_dir();
    let store = load_ok(&[
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

/// Compares one resolved field with the JS runtime's view of it (`e` = the field's enum).
fn compare_field(id: &str, f: &FieldDecl, e: Option<&EnumDecl>, j: &Value) -> Result<(), String> {
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
    // The JS view lists min/max (the type's bounds unless the schema narrows them) exactly
    // for the int types; every other type must declare none.
    let (type_min, type_max) = f.kind.int_bounds();
    match (
        get("min").and_then(Value::as_i64),
        get("max").and_then(Value::as_i64),
    ) {
        (Some(min), Some(max)) => {
            eq("min", f.min.unwrap_or(type_min) == min)?;
            eq("max", f.max.unwrap_or(type_max) == max)?;
        }
        (None, None) => eq("no min/max", f.min.is_none() && f.max.is_none())?,
        _ => eq("min and max listed together", false)?,
    }
    let theirs: Option<Vec<(&str, &Value)>> = get("enum_values")
        .and_then(Value::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.as_str(), v)).collect());
    let ours: Option<Vec<(&str, Value)>> = e.map(|e| {
        e.options
            .iter()
            .map(|o| {
                let v = match &o.value {
                    OptionValue::Int(i) => Value::from(*i),
                    OptionValue::String(s) => Value::from(s.as_str()),
                };
                (o.key.as_str(), v)
            })
            .collect()
    });
    let ours_ref = ours
        .as_ref()
        .map(|o| o.iter().map(|(k, v)| (*k, v)).collect::<Vec<_>>());
    eq("enum_values", theirs == ours_ref)?;
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
    let store = load_ok(&[
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
            let e = f.enum_id.as_ref().and_then(|e| store.enums.get(e));
            if let Err(e) = compare_field(id, f, e, j) {
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

/// The comparison itself can fail: a narrowed max, a wrong min, and a changed enum value are
/// each reported.
#[test]
fn field_comparison_catches_limits_and_enum_values() {
    let s = shared_dir();
    let store = load_ok(&[s.join("schemas/gdbots-schemas")]);
    let text = std::fs::read_to_string(s.join("interop/schemas.jsonl")).expect("schemas.jsonl");
    let line = text
        .lines()
        .find(|l| l.contains("\"id\":\"pbj:gdbots:pbjx::envelope:1-1-0\""))
        .expect("envelope line");
    let v: Value = serde_json::from_str(line).expect("json line");
    let schema = &store.schemas["pbj:gdbots:pbjx::envelope:1-1-0"];
    let field = |name: &str| {
        let f = store
            .resolve_fields(schema)
            .into_iter()
            .find(|f| f.name == name)
            .expect("field")
            .clone();
        let j = v["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .find(|j| j["name"] == name)
            .expect("js field")
            .clone();
        (f, j)
    };
    let (code, code_js) = field("code");
    assert_eq!(compare_field("t", &code, None, &code_js), Ok(()));
    let narrowed = FieldDecl {
        max: Some(10),
        ..code.clone()
    };
    let err = compare_field("t", &narrowed, None, &code_js).expect_err("max differs");
    assert!(err.ends_with(": max"), "{err}");
    let raised = FieldDecl {
        min: Some(1),
        ..code
    };
    let err = compare_field("t", &raised, None, &code_js).expect_err("min differs");
    assert!(err.ends_with(": min"), "{err}");

    let (http, http_js) = field("http_code");
    let e = &store.enums["gdbots:pbjx:http-code"];
    assert_eq!(compare_field("t", &http, Some(e), &http_js), Ok(()));
    let mut changed = e.clone();
    changed.options[1].value = OptionValue::Int(99);
    let err = compare_field("t", &http, Some(&changed), &http_js).expect_err("value differs");
    assert!(err.ends_with(": enum_values"), "{err}");
    let mut reordered = e.clone();
    reordered.options.swap(1, 2);
    assert!(compare_field("t", &http, Some(&reordered), &http_js).is_err());
}
