//! Codec behaviour on a hand-written schema shaped like the original's `sample-message`
//! fixture (JS golden values from the original test-suite).

use pbj::{
    Field, FieldRule, FieldType, Flavor, Message, MessageData, Pattern, Registry, Schema,
    SchemaVersion,
};

static FIELDS: [Field; 7] = [
    Field {
        required: true,
        pattern: Some(Pattern::new(
            r"^pbj:([a-z0-9-]+):([a-z0-9\.-]+):([a-z0-9-]+)?:([a-z0-9-]+):([0-9]+-[0-9]+-[0-9]+)$",
        )),
        default: Some(pbj::DefaultValue::Str(
            "pbj:gdbots:pbj.tests::sample-message:1-0-0",
        )),
        ..Field::new("_schema", FieldType::String, FieldRule::Single)
    },
    Field::new("mixin_int", FieldType::Int, FieldRule::Single),
    Field::new("string_single", FieldType::String, FieldRule::Single),
    Field::new("string_set", FieldType::String, FieldRule::Set),
    Field::new("string_list", FieldType::String, FieldRule::List),
    Field::new("string_map", FieldType::String, FieldRule::Map),
    Field::new("message_map", FieldType::Message, FieldRule::Map),
];

static SCHEMA: Schema = Schema {
    id: "pbj:gdbots:pbj.tests::sample-message:1-0-0",
    curie: "gdbots:pbj.tests::sample-message",
    curie_major: "gdbots:pbj.tests::sample-message:v1",
    qname: "gdbots:sample-message",
    vendor: "gdbots",
    package: "pbj.tests",
    category: "",
    message: "sample-message",
    version: SchemaVersion::new(1, 0, 0),
    fields: &FIELDS,
    mixins: &[],
    id_field: None,
    deprecated: false,
    description: "",
};

fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(&SCHEMA, |d| Box::new(pbj::DynamicMessage(d)));
    r
}

#[test]
fn js_golden_serialization() {
    let mut m = MessageData::new(&SCHEMA);
    m.set("string_single", "test").unwrap();
    m.add_to_set("string_set", ["set1", "set2"]).unwrap();
    m.add_to_list("string_list", ["list1", "list2"]).unwrap();
    m.add_to_map("string_map", "key1", "val1").unwrap();
    m.add_to_map("string_map", "key2", "val2").unwrap();
    let json = pbj::codec::encode(&m, Flavor::Js);
    assert_eq!(
        json,
        r#"{"_schema":"pbj:gdbots:pbj.tests::sample-message:1-0-0","mixin_int":0,"string_single":"test","string_set":["set1","set2"],"string_list":["list1","list2"],"string_map":{"key1":"val1","key2":"val2"}}"#
    );
    let back = pbj::codec::decode_as(&json, &SCHEMA, &registry()).unwrap();
    assert_eq!(pbj::codec::encode(&back, Flavor::Js), json);
}

#[test]
fn js_and_php_etags() {
    let cases = [
        (
            "123",
            "66b1c306cef44f5f1160d5f676b26bf7",
            "66b1c306cef44f5f1160d5f676b26bf7",
        ),
        (
            " ice 🍦 poop 💩 doh 😳 ",
            "2028ec90f537badedbc19b77b091511c",
            "354127071b5cc8906dc0b059013e8ae0",
        ),
        (
            "✓ à la mode",
            "8b1ad0f532c594ee05142fa0517f9eab",
            "52ec59eac2c790f2e1472e75fd88a3f9",
        ),
        (
            "foo © bar 𝌆 baz",
            "d07baf4c9f17307d66b599d8c6059b9b",
            "fc202894de884c155cc9b2ae49c66ffd",
        ),
    ];
    for (value, js, php) in cases {
        let mut m = pbj::DynamicMessage(MessageData::new(&SCHEMA));
        m.data_mut().set("string_single", value).unwrap();
        assert_eq!(m.generate_etag(&[]), js, "{value}");
        assert_eq!(pbj::codec::etag(m.data(), Flavor::Php, &[]), php, "{value}");
        assert_eq!(
            m.generate_etag(&["string_single"]),
            "70fc98834fc95677666e5af2caf26dcf"
        );
    }
}

#[test]
fn sets_dedupe_case_insensitively_keeping_first_position() {
    let mut m = MessageData::new(&SCHEMA);
    m.add_to_set(
        "string_set",
        [
            "CHICKEN", "Chicken", "chicken", "DONUTS", "Donuts", "donuts",
        ],
    )
    .unwrap();
    let json = pbj::codec::encode(&m, Flavor::Js);
    assert!(
        json.contains(r#""string_set":["chicken","donuts"]"#),
        "{json}"
    );
}

#[test]
fn collections_by_index_match_collections_by_name() {
    let mut by_name = MessageData::new(&SCHEMA);
    by_name.add_to_set("string_set", ["A", "b", "a"]).unwrap();
    by_name.add_to_list("string_list", ["x", "x"]).unwrap();
    by_name.add_to_map("string_map", "k", "v").unwrap();
    let mut by_index = MessageData::new(&SCHEMA);
    by_index.add_to_set_at(3, ["A", "b", "a"]).unwrap();
    by_index.add_to_list_at(4, ["x", "x"]).unwrap();
    by_index.add_to_map_at(5, "k", "v").unwrap();
    assert_eq!(
        pbj::codec::encode(&by_index, Flavor::Js),
        pbj::codec::encode(&by_name, Flavor::Js)
    );
    // The index must name a collection of the right kind, in the schema; each error names
    // the field and the rule.
    match by_index.add_to_set_at(4, ["y"]) {
        Err(pbj::Error::WrongRule { field, message }) => {
            assert_eq!(
                (field.as_str(), message.as_str()),
                ("string_list", "field is a list, not a set")
            );
        }
        other => panic!("{other:?}"),
    }
    match by_index.set_at(4, "y".into()) {
        Err(pbj::Error::WrongRule { message, .. }) => {
            assert_eq!(message, "field is a list, not a single value");
        }
        other => panic!("{other:?}"),
    }
    match by_index.add_to_map_at(99, "k", "v") {
        Err(pbj::Error::UnknownField { field, schema }) => {
            assert_eq!((field.as_str(), schema.as_str()), ("#99", SCHEMA.id));
        }
        other => panic!("{other:?}"),
    }
    by_index.freeze();
    match by_index.add_to_list_at(4, ["z"]) {
        Err(pbj::Error::Frozen { schema }) => assert_eq!(schema, SCHEMA.id),
        other => panic!("{other:?}"),
    }
}

#[test]
fn frozen_messages_reject_mutation() {
    let mut m = MessageData::new(&SCHEMA);
    m.freeze();
    assert!(matches!(
        m.set("string_single", "x"),
        Err(pbj::Error::Frozen { .. })
    ));
}

#[test]
fn decoder_rejects_bad_payloads_with_field_names() {
    let r = registry();
    let cases = [
        (
            r#"{"_schema":"pbj:gdbots:pbj.tests::sample-message:1-0-0","mixin_int":"1"}"#,
            "mixin_int",
        ),
        (
            r#"{"_schema":"pbj:gdbots:pbj.tests::sample-message:1-0-0","string_set":"x"}"#,
            "string_set",
        ),
        (
            r#"{"_schema":"pbj:gdbots:pbj.tests::sample-message:1-0-0","mixin_int":-1}"#,
            "mixin_int",
        ),
        (
            r#"{"_schema":"pbj:gdbots:pbj.tests::sample-message:2-0-0"}"#,
            "",
        ),
        (r#"{"_schema":"nope"}"#, "_schema"),
        (r#"{"mixin_int":1}"#, "_schema"),
    ];
    for (json, field) in cases {
        let err = pbj::codec::decode_as(json, &SCHEMA, &r).unwrap_err();
        assert_eq!(err.field().unwrap_or(""), field, "{json}: {err}");
    }
}
