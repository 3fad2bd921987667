//! Elasticsearch mappings of the real stores (issue 15): every schema maps, "any message" fields
//! are capped at the configured depth, and the event search builder leaves `ctx_ua` unindexed.

use pbj::Schema;
use pbj::marshal::JsonValue;
use pbj::marshal::elastic::MappingBuilder;

fn schema(curie: &str) -> &'static Schema {
    pbjx_tests::registry()
        .resolve_curie(curie)
        .unwrap_or_else(|| panic!("{curie} is not registered"))
        .schema
}

fn at<'a>(v: &'a JsonValue, path: &[&str]) -> Option<&'a JsonValue> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// `properties.a.properties.b...` for the field path `a.b...`.
fn property<'a>(mapping: &'a JsonValue, fields: &[&str]) -> Option<&'a JsonValue> {
    let mut path = Vec::new();
    for f in fields {
        path.extend(["properties", f]);
    }
    at(mapping, &path)
}

/// `ctx_causator` (a message field without any-of) merges every registered message, then
/// recurses into their own `ctx_causator` until the path depth cap.
#[test]
fn check_health_maps_untyped_messages_to_the_depth_cap() {
    let registry = pbjx_tests::registry();
    let check_health = schema("gdbots:pbjx:command:check-health");
    let causators = |n: usize| vec!["ctx_causator"; n];
    for (mut builder, depth) in [
        (MappingBuilder::new(registry), 4),
        (MappingBuilder::for_event_search(registry), 2),
    ] {
        builder.add_schema(check_health);
        let m = builder.build();
        // A message at path depth d is expanded while d <= cap.
        let deepest = property(&m, &causators(depth + 1)).expect("deepest message");
        assert_eq!(
            at(deepest, &["properties"]).map(JsonValue::keys),
            Some(vec!["_schema"]),
            "depth {depth}"
        );
        let expanded = property(&m, &causators(depth)).expect("expanded message");
        let keys = at(expanded, &["properties"])
            .map(JsonValue::keys)
            .unwrap_or_default();
        // Fields of commands, events, nodes and requests are all there.
        for field in ["command_id", "event_id", "node_ref", "request_id", "ctx_ua"] {
            assert!(keys.contains(&field), "{field} at depth {depth}");
        }
        assert_eq!(builder.to_json(), m.to_json());
    }
}

#[test]
fn event_search_stores_ctx_ua_unindexed() {
    let mut builder = MappingBuilder::for_event_search(pbjx_tests::registry());
    builder.add_schema(schema("gdbots:pbjx:event:health-checked"));
    let m = builder.build();
    assert_eq!(
        property(&m, &["ctx_ua"]).map(JsonValue::to_json).as_deref(),
        Some(r#"{"type":"text","index":false}"#)
    );
    assert_eq!(
        property(&m, &["ctx_msg"])
            .map(JsonValue::to_json)
            .as_deref(),
        Some(r#"{"type":"text","copy_to":"d__all","analyzer":"english"}"#)
    );
}

/// Every schema of both stores maps, with either builder, one mapping per schema.
#[test]
fn every_schema_of_both_stores_maps() {
    let registry = pbjx_tests::registry();
    let mut schemas: Vec<&'static Schema> = registry
        .entries()
        .map(|e| e.schema)
        .filter(|s| s.vendor == "gdbots" || s.vendor == "acme")
        .collect();
    schemas.sort_by_key(|s| s.id);
    assert_eq!(schemas.len(), 121, "message schemas of both stores");
    for (mut builder, parse) in [
        (MappingBuilder::new(registry), false),
        (MappingBuilder::for_event_search(registry), true),
    ] {
        for schema in &schemas {
            builder.clear().add_schema(schema);
            let json = builder.to_json();
            assert!(
                json.starts_with(r#"{"properties":{"_schema":{"type":"keyword"}"#),
                "{}",
                schema.id
            );
            // The 63 MB of depth-4 mappings are too slow to parse in debug builds; the text is
            // written by the same code either way.
            if parse && let Err(e) = JsonValue::parse(&json) {
                panic!("{}: {e}", schema.id);
            }
        }
    }
}
