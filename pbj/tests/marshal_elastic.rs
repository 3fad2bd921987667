//! Elasticsearch documents and mappings: the PHP golden document, round trips, and the
//! EmailMessage / MapsMessage mapping facts.

mod marshal_common;

use marshal_common::*;
use pbj::FieldType;
use pbj::codec::{self, Flavor};
use pbj::marshal::JsonValue;
use pbj::marshal::elastic::mapping::type_mapping;
use pbj::marshal::elastic::{MappingBuilder, from_document, from_document_as, to_document};

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

#[test]
fn php_golden_document() {
    let doc = to_document(&email());
    let expected = EMAIL_JSON.replace(
        r#""location":{"type":"Point","coordinates":[102,0.5]}"#,
        r#""location":[102,0.5]"#,
    );
    assert_ne!(expected, EMAIL_JSON);
    assert_eq!(doc, expected);
}

#[test]
fn documents_round_trip() {
    let r = registry();
    let doc = to_document(&email());
    let m = ok(from_document(&doc, &r));
    assert_eq!(codec::encode(m.data(), Flavor::Php), EMAIL_JSON);
    let d = ok(from_document_as(&doc, &EMAIL, &r));
    assert_eq!(codec::encode(&d, Flavor::Php), EMAIL_JSON);
    // A GeoJSON point is accepted too.
    let m = ok(from_document(EMAIL_JSON, &r));
    assert_eq!(codec::encode(m.data(), Flavor::Php), EMAIL_JSON);
}

/// Issue 15 (2): ES documents keep geo-point coordinates at full precision.
#[test]
fn documents_keep_geo_points_at_full_precision() {
    let doc =
        format!(r#"{{"_schema":"{NESTED_ID}","location":[-98.765432109876,0.30000000000000004]}}"#);
    let m = ok(from_document(&doc, &registry()));
    assert_eq!(to_document(m.data()), doc);
}

#[test]
fn bad_documents_are_rejected_with_field_paths() {
    let r = registry();
    let doc = to_document(&email());
    let cases = [
        (doc.replace("[102,0.5]", "[102,95]"), "nested.location"),
        (doc.replace("[102,0.5]", "[102]"), "nested.location"),
        (
            doc.replace(r#""priority":2"#, r#""priority":"2""#),
            "priority",
        ),
        (
            doc.replace(r#""test2":[1,2]"#, r#""test2":[1,"x"]"#),
            "nested.test2[1]",
        ),
        ("[]".to_owned(), ""),
    ];
    for (json, field) in cases {
        let err = from_document(&json, &r).unwrap_err();
        assert_eq!(err.field().unwrap_or(""), field, "{json}: {err}");
    }
    assert!(matches!(
        from_document("{", &r),
        Err(pbj::Error::InvalidJson { .. })
    ));
}

fn email_mapping() -> JsonValue {
    let r = registry();
    let mut b = MappingBuilder::new(&r);
    b.add_schema(&EMAIL);
    b.build()
}

fn at<'a>(v: &'a JsonValue, path: &[&str]) -> &'a JsonValue {
    path.iter().fold(v, |v, k| {
        v.get(k).unwrap_or_else(|| panic!("no [{k}] in {v}"))
    })
}

#[test]
fn email_message_mapping() {
    let m = email_mapping();
    let props = at(&m, &["properties"]);
    assert_eq!(
        props.keys(),
        [
            "_schema",
            "id",
            "from_name",
            "from_email",
            "subject",
            "body",
            "priority",
            "sent",
            "date_sent",
            "microtime_sent",
            "provider",
            "labels",
            "unsubscribe_url",
            "nested",
            "enum_in_set",
            "enum_in_list",
            "any_of_message",
            "dynamic_fields",
            "node_ref",
            "d__type",
            "d__all",
        ]
    );
    let json = |path: &[&str]| at(props, path).to_json();
    assert_eq!(json(&["_schema"]), r#"{"type":"keyword"}"#);
    assert_eq!(json(&["id"]), r#"{"type":"keyword"}"#);
    assert_eq!(
        json(&["from_name"]),
        r#"{"type":"text","copy_to":"d__all","analyzer":"english"}"#
    );
    assert_eq!(
        json(&["from_email"]),
        r#"{"type":"keyword","normalizer":"pbj_keyword"}"#
    );
    assert_eq!(
        json(&["labels"]),
        r#"{"type":"keyword","normalizer":"pbj_keyword"}"#
    );
    assert_eq!(
        json(&["unsubscribe_url"]),
        r#"{"type":"keyword","normalizer":"pbj_keyword"}"#
    );
    assert_eq!(json(&["priority"]), r#"{"type":"integer"}"#);
    assert_eq!(json(&["sent"]), r#"{"type":"boolean"}"#);
    assert_eq!(json(&["date_sent"]), r#"{"type":"date"}"#);
    assert_eq!(json(&["microtime_sent"]), r#"{"type":"long"}"#);
    assert_eq!(json(&["provider"]), r#"{"type":"keyword"}"#);
    assert_eq!(json(&["node_ref"]), r#"{"type":"keyword"}"#);
    assert_eq!(json(&["d__type"]), r#"{"type":"keyword"}"#);
    assert_eq!(json(&["d__all"]), r#"{"type":"text","analyzer":"english"}"#);
    assert_eq!(
        json(&["nested"]),
        r#"{"type":"object","properties":{"_schema":{"type":"keyword"},"test1":{"type":"text","copy_to":"d__all","analyzer":"english"},"test2":{"type":"long"},"location":{"type":"geo_point"},"refs":{"type":"object","properties":{"curie":{"type":"keyword"},"id":{"type":"keyword"},"tag":{"type":"keyword"}}}}}"#
    );
    assert_eq!(json(&["any_of_message", "type"]), r#""nested""#);
    assert_eq!(
        json(&["dynamic_fields"]),
        r#"{"type":"nested","properties":{"name":{"type":"keyword","normalizer":"pbj_keyword"},"bool_val":{"type":"boolean"},"date_val":{"type":"date"},"float_val":{"type":"float"},"int_val":{"type":"long"},"string_val":{"type":"text","copy_to":"d__all","fields":{"raw":{"type":"keyword","normalizer":"pbj_keyword"}},"analyzer":"english"},"text_val":{"type":"text","copy_to":"d__all","analyzer":"english"}}}"#
    );
    // "Any message" merges every registered schema: email fields appear inside any_of_message.
    let any = at(props, &["any_of_message", "properties"]);
    assert!(any.get("from_email").is_some() && any.get("test1").is_some());
}

#[test]
fn any_message_fields_explode_into_136_templates() {
    let m = email_mapping();
    let JsonValue::Array(templates) = at(&m, &["dynamic_templates"]) else {
        panic!("templates")
    };
    assert_eq!(
        templates.len(),
        136,
        "MapsMessage at 4 depths x 34 map fields"
    );
    // Depth first (the email schema sorts before the maps schema), as PHP recurses.
    assert!(
        templates[0]
            .get("any_of_message_any_of_message_any_of_message_any_of_message_bigint_template")
            .is_some()
    );
    let shallow = templates
        .iter()
        .find_map(|t| t.get("any_of_message_bigint_template"))
        .map(JsonValue::to_json);
    assert_eq!(
        shallow.as_deref(),
        Some(r#"{"path_match":"any_of_message.BigInt.*","mapping":{"type":"unsigned_long"}}"#)
    );
    let deepest = "any_of_message.any_of_message.any_of_message.any_of_message.String.*";
    assert!(templates.iter().any(|t| t.to_json().contains(deepest)));
    assert!(
        !templates
            .iter()
            .any(|t| t.to_json().contains(&format!("any_of_message.{deepest}")))
    );
}

#[test]
fn maps_message_templates() {
    let r = registry();
    let mut b = MappingBuilder::new(&r);
    b.add_schema(&MAPS);
    let m = b.build();
    assert_eq!(
        at(&m, &["properties"]).keys(),
        ["_schema", "d__type", "d__all"]
    );
    let JsonValue::Array(templates) = at(&m, &["dynamic_templates"]) else {
        panic!("templates")
    };
    assert_eq!(templates.len(), 34);
    let find = |name: &str| {
        templates
            .iter()
            .find_map(|t| t.get(name))
            .map(JsonValue::to_json)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(
        find("string_template"),
        r#"{"path_match":"String.*","mapping":{"type":"text","copy_to":"d__all","analyzer":"english"}}"#
    );
    assert_eq!(
        find("timestamp_template"),
        r#"{"path_match":"Timestamp.*","mapping":{"type":"date","format":"epoch_second"}}"#
    );
    assert_eq!(
        find("signedbigint_template"),
        r#"{"path_match":"SignedBigInt.*","mapping":{"type":"long"}}"#
    );
    assert_eq!(
        find("geopoint_template"),
        r#"{"path_match":"GeoPoint.*","mapping":{"type":"geo_point"}}"#
    );
    assert_eq!(
        find("mediumtext_template"),
        r#"{"path_match":"MediumText.*","mapping":{"type":"text","copy_to":"d__all","analyzer":"english"}}"#
    );
    assert_eq!(
        find("message_template"),
        r#"{"path_match":"Message.*","mapping":{"type":"object","properties":{"_schema":{"type":"keyword"},"test1":{"type":"text","copy_to":"d__all","analyzer":"english"},"test2":{"type":"long"},"location":{"type":"geo_point"},"refs":{"type":"object","properties":{"curie":{"type":"keyword"},"id":{"type":"keyword"},"tag":{"type":"keyword"}}}}}}"#
    );
}

#[test]
fn legacy_types_analyzer_and_hooks() {
    assert_eq!(
        type_mapping(FieldType::Timestamp, true).to_json(),
        r#"{"type":"date"}"#
    );
    assert_eq!(
        type_mapping(FieldType::BigInt, true).to_json(),
        r#"{"type":"long"}"#
    );
    assert_eq!(
        type_mapping(FieldType::BigInt, false).to_json(),
        r#"{"type":"unsigned_long"}"#
    );
    let r = registry();
    let mut b = MappingBuilder::new(&r)
        .analyzer(Some("standard"))
        .ignore(|f, _| f.name == "body")
        .filter(|_, f, path, m| {
            if f.name == "subject" {
                JsonValue::str(path)
            } else {
                m
            }
        });
    b.add_schema(&EMAIL);
    let m = b.build();
    let props = at(&m, &["properties"]);
    assert_eq!(
        at(props, &["body"]).to_json(),
        r#"{"type":"text","index":false}"#
    );
    assert_eq!(at(props, &["subject"]).to_json(), r#""subject""#);
    assert_eq!(
        at(props, &["from_name"]).to_json(),
        r#"{"type":"text","copy_to":"d__all","analyzer":"standard"}"#
    );
    assert_eq!(
        at(props, &["d__all"]).to_json(),
        r#"{"type":"text","analyzer":"standard"}"#
    );
    let plain = {
        let mut b = MappingBuilder::new(&r).analyzer(None);
        b.add_schema(&NESTED);
        b.build()
    };
    assert_eq!(
        at(&plain, &["properties", "test1"]).to_json(),
        r#"{"type":"text","copy_to":"d__all"}"#
    );
    assert!(plain.get("dynamic_templates").is_none());
    assert_eq!(
        MappingBuilder::analysis().to_json(),
        r#"{"analyzer":{"pbj_keyword":{"tokenizer":"keyword","filter":"lowercase"}},"normalizer":{"pbj_keyword":{"type":"custom","char_filter":[],"filter":["lowercase","asciifolding"]}}}"#
    );
}

#[test]
fn json_value_merge_is_array_replace_recursive() {
    let mut a = ok(JsonValue::parse(r#"{"a":{"x":1,"y":[1,2,3]},"b":2}"#));
    a.merge(ok(JsonValue::parse(r#"{"a":{"y":[9],"z":3},"c":"\n"}"#)));
    assert_eq!(
        a.to_json(),
        r#"{"a":{"x":1,"y":[9,2,3],"z":3},"b":2,"c":"\n"}"#
    );
}

#[test]
fn message_trait_is_usable_on_documents() {
    let m = ok(from_document(&to_document(&email()), &registry()));
    assert_eq!(m.schema().id, EMAIL_ID);
}
