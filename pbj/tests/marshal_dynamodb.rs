//! DynamoDB item marshaling: the PHP golden item, round trips of every type and rule in both
//! flavours, flavour differences, and strict rejection of bad items.

#![allow(clippy::approx_constant)]

mod marshal_common;

use marshal_common::*;
use pbj::codec::{self, Flavor};
use pbj::marshal::dynamodb::{
    AttributeValue as A, Item, item_from_json, item_to_json, marshal, php_float_to_string,
    unmarshal, unmarshal_as,
};
use pbj::{
    Date, DateTime, DynamicField, DynamicValue, GeoPoint, MessageData, MessageRef, Microtime,
    NodeRef, Value,
};
use proptest::prelude::*;

/// PHP `ItemMarshalerTest::testMarshal` (spec §7.1).
const GOLDEN: &str = r#"{"_schema":{"S":"pbj:gdbots:tests.pbj:fixtures:email-message:1-0-0"},"id":{"S":"0dcee564-aa71-11e4-a811-3c15c2c60168"},"from_name":{"S":"homer"},"from_email":{"S":"homer@thesimpsons.com"},"subject":{"S":"donuts,mmmm,chicken test"},"priority":{"N":"2"},"sent":{"BOOL":false},"date_sent":{"S":"2014-12-25T12:12:00.123456Z"},"microtime_sent":{"N":"1422122017734617"},"provider":{"S":"gmail"},"labels":{"SS":["donuts","mmmm","chicken"]},"nested":{"M":{"_schema":{"S":"pbj:gdbots:tests.pbj:fixtures:nested-message:1-0-0"},"test1":{"S":"val1"},"test2":{"NS":["1","2"]},"location":{"M":{"type":{"S":"Point"},"coordinates":{"L":[{"N":"102"},{"N":"0.5"}]}}},"refs":{"L":[{"M":{"curie":{"S":"gdbots:tests.pbj:fixtures:email-message"},"id":{"S":"0dcee564-aa71-11e4-a811-3c15c2c60168"},"tag":{"S":"parent"}}}]}}},"enum_in_set":{"SS":["aol","gmail"]},"enum_in_list":{"L":[{"S":"aol"},{"S":"aol"},{"S":"gmail"},{"S":"gmail"}]},"any_of_message":{"L":[{"M":{"_schema":{"S":"pbj:gdbots:tests.pbj:fixtures:maps-message:1-0-0"},"String":{"M":{"test:field:name":{"S":"value1"}}}}},{"M":{"_schema":{"S":"pbj:gdbots:tests.pbj:fixtures:nested-message:1-0-0"},"test1":{"S":"value1"}}}]},"dynamic_fields":{"L":[{"M":{"name":{"S":"bool_val"},"bool_val":{"BOOL":true}}},{"M":{"name":{"S":"date_val"},"date_val":{"S":"2015-12-25"}}},{"M":{"name":{"S":"float_val"},"float_val":{"N":"3.14"}}},{"M":{"name":{"S":"int_val"},"int_val":{"N":"100"}}},{"M":{"name":{"S":"string_val"},"string_val":{"S":"string"}}},{"M":{"name":{"S":"text_val"},"text_val":{"S":"text"}}}]},"node_ref":{"S":"acme:article:123"}}"#;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

#[test]
fn php_golden_item() {
    let item = marshal(&email(), Flavor::Php);
    assert_eq!(item_to_json(&item), GOLDEN);
}

#[test]
fn js_item_differs_only_in_date_time_precision() {
    let js = item_to_json(&marshal(&email(), Flavor::Js));
    assert_eq!(js, GOLDEN.replace("12:12:00.123456Z", "12:12:00.123Z"));
}

#[test]
fn golden_item_unmarshals_to_the_fixture() {
    let r = registry();
    let item = ok(item_from_json(GOLDEN));
    let m = ok(unmarshal(&item, &r));
    assert_eq!(m.schema().id, EMAIL_ID);
    assert_eq!(codec::encode(m.data(), Flavor::Php), EMAIL_JSON);
    let data = ok(unmarshal_as(&item, &EMAIL, &r));
    assert_eq!(codec::encode(&data, Flavor::Php), EMAIL_JSON);
    // DynamoDB JSON itself round-trips.
    assert_eq!(item_to_json(&item), GOLDEN);
}

#[test]
fn unmarshal_as_checks_the_curie_major() {
    let r = registry();
    let item = marshal(&email(), Flavor::Php);
    let err = unmarshal_as(&item, &NESTED, &r).unwrap_err();
    assert!(
        matches!(err, pbj::Error::InvalidResolvedSchema { .. }),
        "{err}"
    );
}

/// A sample value of every type (millisecond date-time so both flavours keep it).
fn sample(kind: pbj::FieldType, nested: &dyn Fn() -> Value) -> Value {
    use pbj::FieldType as T;
    match kind {
        T::BigInt => Value::BigInt(18_446_744_073_709_551_615),
        T::SignedBigInt => Value::BigInt(-9_223_372_036_854_775_808),
        T::Binary | T::Blob | T::MediumBlob => Value::Binary(b"homer simpson".to_vec()),
        T::Boolean => Value::Bool(true),
        T::Date => Value::Date(ok(Date::parse("2015-12-25"))),
        T::DateTime => Value::DateTime(ok(DateTime::parse("2015-12-24T23:30:45.123Z"))),
        T::Decimal => Value::Float(3.1),
        T::DynamicField => {
            Value::DynamicField(ok(DynamicField::new("n", DynamicValue::Float(1e-7))))
        }
        T::Float => Value::Float(1e15),
        T::GeoPoint => Value::GeoPoint(ok(GeoPoint::new(-45.5, 102.25))),
        T::Identifier | T::TimeUuid => Value::String("0dcee564-aa71-11e4-a811-3c15c2c60168".into()),
        T::Uuid => Value::String("4b268351-2445-4d98-a777-b461330d5c7f".into()),
        T::IntEnum => Value::Int(1),
        T::StringEnum => Value::String("string".into()),
        T::Int => Value::Int(4_294_967_295),
        T::MediumInt => Value::Int(16_777_215),
        T::SmallInt => Value::Int(65_535),
        T::TinyInt => Value::Int(255),
        T::SignedInt => Value::Int(-2_147_483_648),
        T::SignedMediumInt => Value::Int(-8_388_608),
        T::SignedSmallInt => Value::Int(-32_768),
        T::SignedTinyInt => Value::Int(-128),
        T::Trinary => Value::Int(2),
        T::Timestamp => Value::Int(1_422_122_017),
        T::Microtime => Value::Microtime(ok(Microtime::parse("1422122017734617"))),
        T::NodeRef => Value::NodeRef(ok(NodeRef::parse(
            "acme:article:this/id/is:WeirD:and:_.what",
        ))),
        T::MessageRef => Value::MessageRef(ok(MessageRef::new(
            "acme:blog:node:article",
            "123",
            Some("Tag"),
        ))),
        T::String | T::Text | T::MediumText => Value::String("✓ à la mode / \"quoted\"".into()),
        T::Message => nested(),
    }
}

/// A message with every field of the all-types schema set.
pub fn all_types() -> MessageData {
    let nested = || {
        let mut n = MessageData::new(&NESTED);
        ok(n.set("test1", "nested"));
        ok(n.add_to_set("test2", [Value::Int(1), Value::Int(2)]));
        Value::Message(Box::new(pbj::DynamicMessage(n)))
    };
    let mut m = MessageData::new(&ALL);
    for (i, field) in ALL.fields.iter().enumerate().skip(1) {
        let v = sample(field.kind, &nested);
        match field.rule {
            pbj::FieldRule::Single => ok(m.set_at(i, v)),
            pbj::FieldRule::Set => ok(m.add_to_set(field.name, [v])),
            pbj::FieldRule::List => ok(m.add_to_list(field.name, [v.clone(), v])),
            pbj::FieldRule::Map => {
                ok(m.add_to_map(field.name, "a:b", v.clone()));
                ok(m.add_to_map(field.name, "0", v));
            }
        }
    }
    m
}

#[test]
fn every_type_and_rule_round_trips_in_both_flavours() {
    let r = registry_with_all();
    let m = all_types();
    let expected = codec::encode(&m, Flavor::Php);
    for flavor in [Flavor::Js, Flavor::Php] {
        let item = marshal(&m, flavor);
        assert_eq!(item.len(), ALL.fields.len(), "every field is written");
        // Through DynamoDB JSON too.
        let item = ok(item_from_json(&item_to_json(&item)));
        let back = ok(unmarshal(&item, &r));
        assert_eq!(
            codec::encode(back.data(), Flavor::Php),
            expected,
            "{flavor:?}"
        );
    }
}

#[test]
fn attribute_types_per_rule() {
    let item = marshal(&all_types(), Flavor::Js);
    let get = |name: &str| item.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(
        get("single_Binary"),
        Some(A::S("aG9tZXIgc2ltcHNvbg==".into())),
        "binary is S, base64 once"
    );
    assert_eq!(
        get("set_Binary"),
        Some(A::Ss(vec!["aG9tZXIgc2ltcHNvbg==".into()]))
    );
    assert_eq!(get("set_Int"), Some(A::Ns(vec!["4294967295".into()])));
    assert_eq!(
        get("set_BigInt"),
        Some(A::Ns(vec!["18446744073709551615".into()]))
    );
    assert_eq!(
        get("set_Microtime"),
        Some(A::Ns(vec!["1422122017734617".into()]))
    );
    assert_eq!(
        get("set_NodeRef"),
        Some(A::Ss(vec![
            "acme:article:this/id/is:WeirD:and:_.what".into()
        ]))
    );
    assert_eq!(get("single_Boolean"), Some(A::Bool(true)));
    assert_eq!(get("single_Trinary"), Some(A::N("2".into())));
    assert_eq!(
        get("single_Decimal"),
        Some(A::N("3.10".into())),
        "JS toFixed(scale)"
    );
    assert_eq!(get("single_Float"), Some(A::N("1000000000000000".into())));
    assert_eq!(get("single_Date"), Some(A::S("2015-12-25".into())));
    assert_eq!(
        get("single_DateTime"),
        Some(A::S("2015-12-24T23:30:45.123Z".into()))
    );
    assert_eq!(
        get("list_Boolean"),
        Some(A::L(vec![A::Bool(true), A::Bool(true)])),
        "lists are L of single values"
    );
    assert_eq!(
        get("map_TinyInt"),
        Some(A::M(vec![
            ("a:b".into(), A::N("255".into())),
            ("0".into(), A::N("255".into()))
        ])),
        "maps keep insertion order"
    );
    let Some(A::M(r)) = get("single_MessageRef") else {
        panic!("message-ref is M")
    };
    assert_eq!(
        item_to_json(&r),
        r#"{"curie":{"S":"acme:blog:node:article"},"id":{"S":"123"},"tag":{"S":"tag"}}"#
    );
    let Some(A::M(g)) = get("single_GeoPoint") else {
        panic!("geo-point is M")
    };
    assert_eq!(
        item_to_json(&g),
        r#"{"type":{"S":"Point"},"coordinates":{"L":[{"N":"102.25"},{"N":"-45.5"}]}}"#
    );
    let Some(A::M(d)) = get("single_DynamicField") else {
        panic!("dynamic-field is M")
    };
    assert_eq!(
        item_to_json(&d),
        r#"{"name":{"S":"n"},"float_val":{"N":"1e-7"}}"#
    );
    let Some(A::M(n)) = get("single_Message") else {
        panic!("message is M")
    };
    assert_eq!(
        n.first(),
        Some(&("_schema".to_owned(), A::S(NESTED_ID.into())))
    );
}

#[test]
fn php_flavour_numbers_and_dates() {
    let php = marshal(&all_types(), Flavor::Php);
    let get = |name: &str| php.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(
        get("single_Decimal"),
        Some(A::N("3.1".into())),
        "PHP (string)(float)bcadd"
    );
    assert_eq!(get("single_Float"), Some(A::N("1.0E+15".into())));
    assert_eq!(get("set_Float"), Some(A::Ns(vec!["1.0E+15".into()])));
    assert_eq!(
        get("single_DateTime"),
        Some(A::S("2015-12-24T23:30:45.123000Z".into()))
    );
    let Some(A::M(d)) = get("single_DynamicField") else {
        panic!("dynamic-field is M")
    };
    assert_eq!(
        item_to_json(&d),
        r#"{"name":{"S":"n"},"float_val":{"N":"1.0E-7"}}"#
    );
}

#[test]
fn php_float_strings() {
    let cases = [
        (3.14, "3.14"),
        (102.0, "102"),
        (0.5, "0.5"),
        (1e15, "1.0E+15"),
        (1e14, "1.0E+14"),
        (12_345_678_901_234.0, "12345678901234"),
        (1e-7, "1.0E-7"),
        (1.5e-7, "1.5E-7"),
        (0.0001, "0.0001"),
        (0.00001, "1.0E-5"),
        (0.1 + 0.2, "0.3"),
        (-1.5, "-1.5"),
        (1e22, "1.0E+22"),
        (123_456.789, "123456.789"),
        (0.0, "0"),
        (-118.347594, "-118.347594"),
    ];
    for (v, s) in cases {
        assert_eq!(php_float_to_string(v), s, "{v}");
    }
}

#[test]
fn zero_string_is_null_in_php_and_s_in_js() {
    let mut m = email();
    ok(m.set("from_name", "0"));
    let find = |item: &Item| {
        item.iter()
            .find(|(k, _)| k == "from_name")
            .map(|(_, v)| v.clone())
    };
    assert_eq!(find(&marshal(&m, Flavor::Php)), Some(A::Null));
    assert_eq!(find(&marshal(&m, Flavor::Js)), Some(A::S("0".into())));
    // NULL clears the field on the way back (PHP loses the "0").
    let back = ok(unmarshal(&marshal(&m, Flavor::Php), &registry()));
    assert!(!back.data().has("from_name"));
}

/// Issue 15 (1): PHP's `ItemMarshaler` writes a dynamic field's `string_val`/`text_val` of
/// `"0"` as `{"NULL": true}` (`empty("0")`). Such an item must read back, as `"0"`.
#[test]
fn php_null_dynamic_string_reads_as_zero() {
    // `dynamic_fields` exactly as PHP writes `DynamicField::createStringVal('s', '0')` and
    // `createTextVal('t', '0')`.
    let php_item = format!(
        r#"{{"_schema":{{"S":"{EMAIL_ID}"}},"id":{{"S":"0dcee564-aa71-11e4-a811-3c15c2c60168"}},"from_email":{{"S":"homer@thesimpsons.com"}},"dynamic_fields":{{"L":[{{"M":{{"name":{{"S":"s"}},"string_val":{{"NULL":true}}}}}},{{"M":{{"name":{{"S":"t"}},"text_val":{{"NULL":true}}}}}}]}}}}"#
    );
    let m = ok(unmarshal(&ok(item_from_json(&php_item)), &registry()));
    let index = EMAIL.field_index("dynamic_fields").expect("field");
    let values: Vec<DynamicValue> = m
        .data()
        .get_list(index)
        .iter()
        .map(|v| match v {
            Value::DynamicField(d) => d.value().clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        values,
        [
            DynamicValue::String("0".into()),
            DynamicValue::Text("0".into())
        ]
    );
    // Our PHP flavour writes the same item; the JS flavour keeps the "0".
    let php = item_to_json(&marshal(m.data(), Flavor::Php));
    assert!(php.contains(r#""string_val":{"NULL":true}"#), "{php}");
    assert!(php.contains(r#""text_val":{"NULL":true}"#), "{php}");
    let js = item_to_json(&marshal(m.data(), Flavor::Js));
    assert!(js.contains(r#""string_val":{"S":"0"}"#), "{js}");
    // NULL stays invalid where it cannot stand for "0".
    for kind in ["int_val", "bool_val", "float_val", "date_val"] {
        let item = php_item.replace("string_val", kind);
        assert!(
            unmarshal(&ok(item_from_json(&item)), &registry()).is_err(),
            "{kind}"
        );
    }
}

/// Issue 15 (2): a point PHP wrote at full precision (`(string)$float`, 14 digits) reads back
/// unchanged; the JS flavour writes it rounded to 8 decimals as the JS `GeoPoint` does.
#[test]
fn geo_points_keep_the_full_double() {
    let php_item = format!(
        r#"{{"_schema":{{"S":"{NESTED_ID}"}},"location":{{"M":{{"type":{{"S":"Point"}},"coordinates":{{"L":[{{"N":"-98.765432109876"}},{{"N":"45.123456789012"}}]}}}}}}}}"#
    );
    let m = ok(unmarshal(&ok(item_from_json(&php_item)), &registry()));
    let Some(Value::GeoPoint(p)) = m.data().get_single("location") else {
        panic!("no location")
    };
    assert_eq!((p.lon(), p.lat()), (-98.765432109876, 45.123456789012));
    assert_eq!(item_to_json(&marshal(m.data(), Flavor::Php)), php_item);
    let js = item_to_json(&marshal(m.data(), Flavor::Js));
    assert!(
        js.contains(r#"[{"N":"-98.76543211"},{"N":"45.12345679"}]"#),
        "{js}"
    );
    let json = codec::encode(m.data(), Flavor::Php);
    assert!(
        json.contains("[-98.765432109876,45.123456789012]"),
        "{json}"
    );
    let json = codec::encode(m.data(), Flavor::Js);
    assert!(json.contains("[-98.76543211,45.12345679]"), "{json}");
}

#[test]
fn null_attributes_clear_and_defaults_are_populated() {
    let r = registry();
    let item = ok(item_from_json(&format!(
        r#"{{"_schema":{{"S":"{EMAIL_ID}"}},"id":{{"S":"0dcee564-aa71-11e4-a811-3c15c2c60168"}},"priority":{{"NULL":true}},"provider":{{"NULL":true}},"unknown":{{"S":"ignored"}},"labels":{{"L":[{{"NULL":true}},{{"S":"x"}}]}}}}"#
    )));
    let m = ok(unmarshal(&item, &r));
    let d = m.data();
    assert_eq!(
        d.get_single("priority").and_then(Value::as_i64),
        Some(1),
        "default NORMAL"
    );
    assert_eq!(
        d.get_single("provider").and_then(Value::as_str),
        Some("gmail")
    );
    assert_eq!(d.get_single("sent").and_then(Value::as_bool), Some(false));
    assert!(d.has("microtime_sent"), "type default (now)");
    assert_eq!(d.get("labels").map(|v| v.as_slice().len()), Some(1));
}

#[test]
fn sets_and_lists_accept_l_and_typed_sets() {
    let r = registry();
    let item = ok(item_from_json(&format!(
        r#"{{"_schema":{{"S":"{NESTED_ID}"}},"test2":{{"L":[{{"N":"3"}},{{"N":"3"}},{{"N":"4"}}]}},"refs":{{"L":[{{"M":{{"curie":{{"S":"acme:blog:node:article"}},"id":{{"S":"0"}},"tag":{{"NULL":true}}}}}}]}}}}"#
    )));
    let m = ok(unmarshal(&item, &r));
    assert_eq!(
        codec::encode(m.data(), Flavor::Js),
        format!(
            r#"{{"_schema":"{NESTED_ID}","test2":[3,4],"refs":[{{"curie":"acme:blog:node:article","id":"0"}}]}}"#
        )
    );
}

#[test]
fn bad_items_are_rejected_with_field_paths() {
    let r = registry_with_all();
    let email = |rest: &str| format!(r#"{{"_schema":{{"S":"{EMAIL_ID}"}},{rest}}}"#);
    let nested = |rest: &str| {
        email(&format!(
            r#""nested":{{"M":{{"_schema":{{"S":"{NESTED_ID}"}},{rest}}}}}"#
        ))
    };
    let all = |rest: &str| format!(r#"{{"_schema":{{"S":"{ALL_ID}"}},{rest}}}"#);
    let cases: Vec<(String, &str)> = vec![
        (r#"{"id":{"S":"x"}}"#.into(), "_schema"),
        (r#"{"_schema":{"N":"1"}}"#.into(), "_schema"),
        (r#"{"_schema":{"S":"nope"}}"#.into(), "_schema"),
        (email(r#""priority":{"S":"2"}"#), "priority"),
        (email(r#""priority":{"N":"9"}"#), "priority"),
        (email(r#""priority":{"N":"1.5"}"#), "priority"),
        (email(r#""sent":{"S":"true"}"#), "sent"),
        (email(r#""from_email":{"S":"not-an-email"}"#), "from_email"),
        (email(r#""labels":{"NS":["1"]}"#), "labels"),
        (email(r#""labels":{"S":"donuts"}"#), "labels"),
        (email(r#""labels":{"SS":["ok","no way!"]}"#), "labels[1]"),
        (email(r#""date_sent":{"S":"yesterday"}"#), "date_sent"),
        (
            email(r#""microtime_sent":{"N":"1422122017734"}"#),
            "microtime_sent",
        ),
        (
            email(r#""microtime_sent":{"S":"1422122017734617"}"#),
            "microtime_sent",
        ),
        (email(r#""node_ref":{"S":"ACME:article:1"}"#), "node_ref"),
        (
            email(r#""enum_in_list":{"L":[{"S":"aol"},{"S":"yahoo"}]}"#),
            "enum_in_list[1]",
        ),
        (
            email(r#""dynamic_fields":{"L":[{"M":{"name":{"S":"x"},"nope_val":{"S":"1"}}}]}"#),
            "dynamic_fields[0]",
        ),
        (
            email(r#""dynamic_fields":{"L":[{"M":{"name":{"S":"x"},"int_val":{"S":"1"}}}]}"#),
            "dynamic_fields[0]",
        ),
        (
            email(r#""any_of_message":{"L":[{"M":{"test1":{"S":"x"}}}]}"#),
            "any_of_message[0]._schema",
        ),
        (
            email(&format!(
                r#""nested":{{"M":{{"_schema":{{"S":"{EMAIL_ID}"}}}}}}"#
            )),
            "nested",
        ),
        (nested(r#""test2":{"SS":["1"]}"#), "nested.test2"),
        (nested(r#""test2":{"NS":["1","x"]}"#), "nested.test2[1]"),
        (
            nested(r#""location":{"M":{"coordinates":{"L":[{"N":"0"},{"N":"91"}]}}}"#),
            "nested.location",
        ),
        (
            nested(r#""location":{"M":{"coordinates":{"L":[{"N":"0"}]}}}"#),
            "nested.location",
        ),
        (
            nested(r#""refs":{"L":[{"M":{"curie":{"S":"bad"},"id":{"S":"1"}}}]}"#),
            "nested.refs[0]",
        ),
        (
            nested(r#""refs":{"L":[{"M":{"curie":{"S":"acme:blog:node:article"}}}]}"#),
            "nested.refs[0]",
        ),
        (
            all(r#""map_TinyInt":{"M":{"k":{"N":"256"}}}"#),
            "map_TinyInt.k",
        ),
        (all(r#""map_TinyInt":{"L":[]}"#), "map_TinyInt"),
        (all(r#""single_Float":{"N":"NaN"}"#), "single_Float"),
        (all(r#""single_Float":{"N":"Infinity"}"#), "single_Float"),
        (
            all(r#""single_BigInt":{"N":"18446744073709551616"}"#),
            "single_BigInt",
        ),
        (all(r#""single_BigInt":{"N":"-1"}"#), "single_BigInt"),
        (
            all(r#""single_Binary":{"S":"not base64!"}"#),
            "single_Binary",
        ),
        (all(r#""single_Uuid":{"S":"nope"}"#), "single_Uuid"),
        (
            all(r#""single_Identifier":{"S":"4b268351-2445-4d98-a777-b461330d5c7f"}"#),
            "single_Identifier",
        ),
        (
            all(r#""list_String":{"L":[{"S":"a"},{"S":"  "}]}"#),
            "list_String[1]",
        ),
        (all(r#""list_String":{"L":[{"N":"1"}]}"#), "list_String[0]"),
        (all(r#""single_Trinary":{"N":"3"}"#), "single_Trinary"),
        (all(r#""single_Timestamp":{"N":"-1"}"#), "single_Timestamp"),
    ];
    for (json, field) in cases {
        let item = ok(item_from_json(&json));
        match unmarshal(&item, &r) {
            Ok(m) => panic!("accepted {json}: {}", m.to_json()),
            Err(e) => assert_eq!(e.field().unwrap_or(""), field, "{json}: {e}"),
        }
    }
    let err = unmarshal(
        &ok(item_from_json(r#"{"_schema":{"S":"pbj:acme:x::y:1-0-0"}}"#)),
        &r,
    )
    .unwrap_err();
    assert!(
        matches!(err, pbj::Error::NoMessageForSchemaId { .. }),
        "{err}"
    );
}

#[test]
fn dynamodb_json_is_strict() {
    for bad in [
        r#"{"a":{"S":1}}"#,
        r#"{"a":{"S":"x","N":"1"}}"#,
        r#"{"a":{"NULL":false}}"#,
        r#"{"a":{"X":"1"}}"#,
        r#"[]"#,
    ] {
        assert!(item_from_json(bad).is_err(), "{bad}");
    }
    let v = ok(A::from_json(r#"{"BS":["aGk="]}"#));
    assert_eq!(v, A::Bs(vec![b"hi".to_vec()]));
    assert_eq!(v.to_json(), r#"{"BS":["aGk="]}"#);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let mut attr = A::M(vec![("_schema".into(), A::S(EMAIL_ID.into()))]);
    for _ in 0..100 {
        attr = A::M(vec![
            ("_schema".into(), A::S(EMAIL_ID.into())),
            ("any_of_message".into(), A::L(vec![attr])),
        ]);
    }
    let A::M(item) = attr else { unreachable!() };
    let err = unmarshal(&item, &registry()).unwrap_err();
    assert!(matches!(err, pbj::Error::TooDeep { .. }), "{err}");
}

fn arb_attr() -> impl Strategy<Value = A> {
    let names = prop::sample::select(vec![
        "_schema",
        "id",
        "priority",
        "sent",
        "labels",
        "nested",
        "test1",
        "test2",
        "location",
        "refs",
        "coordinates",
        "curie",
        "tag",
        "name",
        "int_val",
        "bool_val",
        "any_of_message",
        "dynamic_fields",
        "String",
        "type",
        "x",
    ]);
    let ids = prop::sample::select(vec![
        EMAIL_ID,
        NESTED_ID,
        MAPS_ID,
        "bad",
        "1",
        "0dcee564-aa71-11e4-a811-3c15c2c60168",
    ]);
    let leaf = prop_oneof![
        ids.prop_map(|s| A::S(s.into())),
        ".{0,6}".prop_map(A::S),
        prop_oneof![
            Just("1".to_owned()),
            Just("-1.5e300".to_owned()),
            "[-0-9.eE+]{0,8}".prop_map(|s| s)
        ]
        .prop_map(A::N),
        any::<bool>().prop_map(A::Bool),
        Just(A::Null),
        prop::collection::vec(any::<u8>(), 0..4).prop_map(A::B),
        prop::collection::vec(".{0,3}", 0..3).prop_map(A::Ss),
        prop::collection::vec("[0-9]{0,3}", 0..3).prop_map(A::Ns),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(A::L),
            prop::collection::vec((names.clone().prop_map(str::to_owned), inner), 0..6)
                .prop_map(A::M),
        ]
    })
}

proptest! {
    #[test]
    fn unmarshal_never_panics(
        fields in prop::collection::vec((prop::sample::select(EMAIL_FIELDS.iter().map(|f| f.name).chain(["nested", "x"]).collect::<Vec<_>>()), arb_attr()), 0..8)
    ) {
        let r = registry();
        let mut item: Item = vec![("_schema".into(), A::S(EMAIL_ID.into()))];
        item.extend(fields.into_iter().map(|(k, v)| (k.to_owned(), v)));
        if let Ok(m) = unmarshal(&item, &r) {
            // Whatever was accepted marshals and unmarshals again to the same message.
            let again = unmarshal(&marshal(m.data(), Flavor::Js), &r);
            prop_assert!(again.is_ok());
            prop_assert_eq!(again.map(|a| a.to_json()).unwrap_or_default(), m.to_json());
        }
    }
}
