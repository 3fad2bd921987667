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

/// The original `MappingBuilder` algorithm, verbatim and unmemoized (exponential in the depth):
/// the reference the memoized builder must equal.
mod reference {
    use pbj::marshal::JsonValue;
    use pbj::marshal::elastic::mapping::type_mapping;
    use pbj::{Field, FieldRule, FieldType, Format, Registry, Schema};

    pub type Filter = fn(&Schema, &Field, &str, JsonValue) -> JsonValue;
    pub type Ignore = fn(&Field, &str) -> bool;

    pub struct Reference<'r> {
        pub registry: &'r Registry,
        pub max_depth: usize,
        pub filter: Option<Filter>,
        pub ignore: Option<Ignore>,
        pub properties: JsonValue,
        pub templates: Vec<(String, JsonValue)>,
        path: Vec<&'static str>,
    }

    fn o(entries: &[(&str, JsonValue)]) -> JsonValue {
        JsonValue::object(entries.iter().cloned())
    }

    fn t(kind: &str) -> JsonValue {
        o(&[("type", JsonValue::str(kind))])
    }

    fn analyzed(mut m: JsonValue) -> JsonValue {
        let text = m.get("type").and_then(JsonValue::as_str) == Some("text");
        if text && m.get("index").is_none() && m.get("analyzer").is_none() {
            m.merge(o(&[("analyzer", JsonValue::str("english"))]));
        }
        m
    }

    fn template_name(path: &str) -> String {
        let mut slug = String::new();
        for c in format!("{path}-template").chars() {
            let c = if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            };
            if c != '-' || !(slug.is_empty() || slug.ends_with('-')) {
                slug.push(c);
            }
        }
        slug.trim_end_matches('-').replace('-', "_")
    }

    impl<'r> Reference<'r> {
        pub fn new(registry: &'r Registry, max_depth: usize) -> Self {
            Self {
                registry,
                max_depth,
                filter: None,
                ignore: None,
                properties: JsonValue::Object(Vec::new()),
                templates: Vec::new(),
                path: Vec::new(),
            }
        }

        pub fn add_schema(&mut self, schema: &'static Schema) {
            let props = self.build_schema(schema);
            self.properties.merge(props);
        }

        /// `{"properties": ..., "dynamic_templates": ...}` as the builder writes it.
        pub fn build(&self) -> JsonValue {
            let mut props = self.properties.clone();
            props.merge(o(&[
                ("d__type", t("keyword")),
                (
                    "d__all",
                    o(&[
                        ("type", JsonValue::str("text")),
                        ("analyzer", JsonValue::str("english")),
                    ]),
                ),
            ]));
            let mut out = vec![("properties".to_owned(), props)];
            if !self.templates.is_empty() {
                let templates = self
                    .templates
                    .iter()
                    .map(|(n, t)| JsonValue::Object(vec![(n.clone(), t.clone())]))
                    .collect();
                out.push(("dynamic_templates".to_owned(), JsonValue::Array(templates)));
            }
            JsonValue::Object(out)
        }

        fn build_schema(&mut self, schema: &'static Schema) -> JsonValue {
            let mut props = JsonValue::Object(Vec::new());
            if self.path.len() > self.max_depth {
                return props;
            }
            for field in schema.fields {
                self.path.push(field.name);
                let path = self.path.join(".");
                let filter = |m| match self.filter {
                    Some(f) => f(schema, field, &path, m),
                    None => m,
                };
                if field.name == "_schema" {
                    props.merge(o(&[(field.name, filter(t("keyword")))]));
                } else if self.ignore.is_some_and(|f| f(field, &path)) {
                    let m = o(&[
                        ("type", JsonValue::str("text")),
                        ("index", JsonValue::Bool(false)),
                    ]);
                    props.merge(o(&[(field.name, m)]));
                } else {
                    let m = match field.kind {
                        FieldType::Message => self.build_message(field),
                        FieldType::DynamicField => {
                            let mut m = type_mapping(FieldType::DynamicField, false);
                            if field.rule == FieldRule::List {
                                m.merge(t("nested"));
                            }
                            let a = o(&[("analyzer", JsonValue::str("english"))]);
                            m.merge(o(&[(
                                "properties",
                                o(&[("string_val", a.clone()), ("text_val", a)]),
                            )]));
                            m
                        }
                        FieldType::String | FieldType::Text => match field.format {
                            Format::Date | Format::DateTime => t("date"),
                            Format::Ipv4 | Format::Ipv6 => t("ip"),
                            Format::Unknown if field.pattern.is_none() => {
                                analyzed(type_mapping(FieldType::Text, false))
                            }
                            _ => o(&[
                                ("type", JsonValue::str("keyword")),
                                ("normalizer", JsonValue::str("pbj_keyword")),
                            ]),
                        },
                        kind => analyzed(type_mapping(kind, false)),
                    };
                    let path = self.path.join(".");
                    let m = match self.filter {
                        Some(f) => f(schema, field, &path, m),
                        None => m,
                    };
                    if field.rule == FieldRule::Map {
                        let name = template_name(&path);
                        let template = o(&[
                            ("path_match", JsonValue::String(format!("{path}.*"))),
                            ("mapping", m),
                        ]);
                        match self.templates.iter_mut().find(|(n, _)| *n == name) {
                            Some(slot) => slot.1 = template,
                            None => self.templates.push((name, template)),
                        }
                    } else {
                        props.merge(o(&[(field.name, m)]));
                    }
                }
                self.path.pop();
            }
            props
        }

        fn build_message(&mut self, field: &Field) -> JsonValue {
            let mut schemas: Vec<&'static Schema> = self
                .registry
                .entries()
                .map(|e| e.schema)
                .filter(|s| field.any_of.is_empty() || field.any_of.iter().any(|c| s.uses_curie(c)))
                .collect();
            schemas.sort_by_key(|s| s.id);
            let mut props = o(&[("_schema", t("keyword"))]);
            for schema in schemas {
                let p = self.build_schema(schema);
                props.merge(p);
            }
            let kind = if field.rule == FieldRule::List {
                "nested"
            } else {
                "object"
            };
            o(&[("type", JsonValue::str(kind)), ("properties", props)])
        }
    }
}

/// Two schemas whose template paths collide (`a.b` and `a_b` both name `a_b_template`) and
/// whose message fields reach each other, plus every fixture.
mod collide {
    use pbj::{Field, FieldRule, FieldType, Schema, SchemaVersion};

    pub const A_ID: &str = "pbj:gdbots:tests.pbj:fixtures:collide-a:1-0-0";
    const B_CURIE: &str = "gdbots:tests.pbj:fixtures:collide-b";

    pub static A_FIELDS: [Field; 5] = [
        Field {
            required: true,
            ..Field::new("_schema", FieldType::String, FieldRule::Single)
        },
        Field::new("a_b", FieldType::Int, FieldRule::Map),
        Field {
            any_of: &[B_CURIE],
            ..Field::new("a", FieldType::Message, FieldRule::Single)
        },
        Field::new("any", FieldType::Message, FieldRule::Map),
        Field::new("ua", FieldType::Text, FieldRule::Single),
    ];
    pub static B_FIELDS: [Field; 4] = [
        Field {
            required: true,
            ..Field::new("_schema", FieldType::String, FieldRule::Single)
        },
        Field::new("b", FieldType::String, FieldRule::Map),
        Field::new("ua", FieldType::Text, FieldRule::Single),
        Field {
            any_of: &["gdbots:tests.pbj:fixtures:collide-a"],
            ..Field::new("back", FieldType::Message, FieldRule::List)
        },
    ];

    const fn schema(
        id: &'static str,
        curie: &'static str,
        message: &'static str,
        fields: &'static [Field],
    ) -> Schema {
        Schema {
            id,
            curie,
            curie_major: curie,
            qname: curie,
            vendor: "gdbots",
            package: "tests.pbj",
            category: "fixtures",
            message,
            version: SchemaVersion::new(1, 0, 0),
            fields,
            mixins: &[],
            id_field: None,
            deprecated: false,
            description: "",
        }
    }

    pub static A: Schema = schema(
        A_ID,
        "gdbots:tests.pbj:fixtures:collide-a",
        "collide-a",
        &A_FIELDS,
    );
    pub static B: Schema = schema(
        "pbj:gdbots:tests.pbj:fixtures:collide-b:1-0-0",
        B_CURIE,
        "collide-b",
        &B_FIELDS,
    );
}

fn reference_registry() -> pbj::Registry {
    let mut r = registry_with_all();
    for s in [&collide::A, &collide::B] {
        r.register(s, |d| Box::new(pbj::DynamicMessage(d)));
    }
    r
}

fn filter_ua(_: &pbj::Schema, f: &pbj::Field, path: &str, m: JsonValue) -> JsonValue {
    if f.name == "ua" && path.matches('.').count() == 1 {
        JsonValue::str(path)
    } else {
        m
    }
}

fn ignore_deep_b(f: &pbj::Field, path: &str) -> bool {
    f.name == "b" && path.len() > 10
}

/// pbjx's `filterProperties` for `ctx_ua`, on the fixtures' `ua`.
fn unindex_ua(_: &pbj::Schema, f: &pbj::Field, _: &str, m: JsonValue) -> JsonValue {
    match m {
        JsonValue::Object(mut entries) if f.name == "ua" => {
            entries.retain(|(k, _)| k != "analyzer" && k != "copy_to");
            entries.push(("index".to_owned(), JsonValue::Bool(false)));
            JsonValue::Object(entries)
        }
        m => m,
    }
}

#[test]
fn not_indexed_fields_equal_the_original_filter() {
    let r = reference_registry();
    for depth in 0..=4 {
        let mut reference = reference::Reference::new(&r, depth);
        reference.filter = Some(unindex_ua);
        let mut builder = MappingBuilder::new(&r)
            .max_path_depth(depth)
            .not_indexed(["ua"]);
        reference.add_schema(&collide::A);
        builder.add_schema(&collide::A);
        let want = reference.build().to_json();
        assert!(
            want.contains(r#""ua":{"type":"text","index":false}"#),
            "{want}"
        );
        assert_eq!(builder.to_json(), want, "depth {depth}");
    }
}

/// Issue 15 (3): memoized per schema and depth, the builder gives exactly what the original's
/// algorithm gives, for every fixture schema, every depth cap and with path-aware hooks.
#[test]
fn memoized_mappings_equal_the_original_algorithm() {
    let r = reference_registry();
    let schemas = [&EMAIL, &NESTED, &MAPS, &ALL, &collide::A, &collide::B];
    for hooks in [false, true] {
        // With hooks the reference is slowest; depth 3 already nests every schema in every one.
        for depth in 0..=(if hooks { 3 } else { 4 }) {
            for schema in schemas {
                let mut reference = reference::Reference::new(&r, depth);
                let mut builder = MappingBuilder::new(&r).max_path_depth(depth);
                if hooks {
                    reference.filter = Some(filter_ua);
                    reference.ignore = Some(ignore_deep_b);
                    builder = builder.filter(filter_ua).ignore(ignore_deep_b);
                }
                reference.add_schema(schema);
                builder.add_schema(schema);
                let want = reference.build().to_json();
                assert_eq!(
                    builder.build().to_json(),
                    want,
                    "{} depth {depth} hooks {hooks}",
                    schema.id
                );
                assert_eq!(builder.to_json(), want);
            }
            // Several schemas into one mapping, and one mapping per schema after `clear`.
            let mut reference = reference::Reference::new(&r, depth);
            let mut builder = MappingBuilder::new(&r).max_path_depth(depth);
            for schema in schemas {
                reference.add_schema(schema);
                builder.add_schema(schema);
            }
            assert_eq!(builder.to_json(), reference.build().to_json());
            for schema in schemas {
                let mut reference = reference::Reference::new(&r, depth);
                reference.add_schema(schema);
                builder.clear().add_schema(schema);
                assert_eq!(builder.to_json(), reference.build().to_json());
            }
        }
    }
}

/// The template name collision is exercised (and resolved like the original: first position,
/// last value).
#[test]
fn colliding_template_names_keep_the_first_position() {
    let r = reference_registry();
    let mut b = MappingBuilder::new(&r).max_path_depth(1);
    b.add_schema(&collide::A);
    let m = b.build();
    let JsonValue::Array(templates) = at(&m, &["dynamic_templates"]) else {
        panic!("templates")
    };
    let names: Vec<&str> = templates.iter().flat_map(|t| t.keys()).collect();
    assert_eq!(names.iter().filter(|n| **n == "a_b_template").count(), 1);
    assert_eq!(names[0], "a_b_template", "{names:?}");
    assert_eq!(
        templates[0].to_json(),
        r#"{"a_b_template":{"path_match":"a.b.*","mapping":{"type":"text","copy_to":"d__all","analyzer":"english"}}}"#
    );
}

/// The original's `shouldIgnoreField` gives a property, also for a map field, unfiltered.
#[test]
fn ignored_map_fields_are_unfiltered_properties() {
    let r = registry();
    let mut b = MappingBuilder::new(&r)
        .ignore(|f, _| f.name == "String")
        .filter(|_, _, _, _| JsonValue::str("filtered"));
    b.add_schema(&MAPS);
    let m = b.build();
    assert_eq!(
        at(&m, &["properties", "String"]).to_json(),
        r#"{"type":"text","index":false}"#
    );
    assert!(!m.to_json().contains("string_template"));
}

/// The deepest property path of a mapping (segments, `properties` levels only).
fn max_depth(v: &JsonValue) -> usize {
    match v.get("properties") {
        Some(JsonValue::Object(entries)) => {
            1 + entries.iter().map(|(_, v)| max_depth(v)).max().unwrap_or(0)
        }
        _ => 0,
    }
}

/// pbjx's event search caps paths at 2: messages below get only `_schema`.
#[test]
fn path_depth_is_an_option() {
    let r = registry();
    let mapping = |depth: Option<usize>| {
        let mut b = MappingBuilder::new(&r);
        if let Some(depth) = depth {
            b = b.max_path_depth(depth);
        }
        b.add_schema(&EMAIL);
        b.build()
    };
    // `any_of_message` is at depth 1; its schemas are built while the path is at most the cap.
    for depth in [0, 1, 2, 4] {
        let m = mapping(Some(depth));
        assert_eq!(
            max_depth(at(&m, &["properties", "any_of_message"])),
            depth + 1
        );
    }
    assert_eq!(mapping(None), mapping(Some(4)));
    assert_eq!(
        pbj::marshal::elastic::mapping::EVENT_SEARCH_MAX_PATH_DEPTH,
        2
    );
}
