//! Property tests: the JSON decoder never panics, whatever the input.

use pbj::{Field, FieldRule, FieldType, Registry, Schema, SchemaVersion};
use proptest::prelude::*;

static FIELDS: [Field; 8] = [
    Field {
        required: true,
        ..Field::new("_schema", FieldType::String, FieldRule::Single)
    },
    Field::new("i", FieldType::TinyInt, FieldRule::Single),
    Field::new("s", FieldType::String, FieldRule::Set),
    Field::new("m", FieldType::Message, FieldRule::Map),
    Field::new("d", FieldType::DateTime, FieldRule::List),
    Field::new("g", FieldType::GeoPoint, FieldRule::Single),
    Field::new("f", FieldType::DynamicField, FieldRule::List),
    Field::new("b", FieldType::Binary, FieldRule::Single),
];

static SCHEMA: Schema = Schema {
    id: "pbj:acme:fuzz::thing:1-0-0",
    curie: "acme:fuzz::thing",
    curie_major: "acme:fuzz::thing:v1",
    qname: "acme:thing",
    vendor: "acme",
    package: "fuzz",
    category: "",
    message: "thing",
    version: SchemaVersion::new(1, 0, 0),
    fields: &FIELDS,
    mixins: &[],
    id_field: None,
    deprecated: false,
    description: "",
};

const SEED: &str = r#"{"_schema":"pbj:acme:fuzz::thing:1-0-0","i":7,"s":["a","B"],"m":{"k":{"_schema":"pbj:acme:fuzz::thing:1-0-0","i":1}},"d":["2020-01-02T03:04:05.678Z"],"g":{"type":"Point","coordinates":[1.5,2]},"f":[{"name":"n","int_val":3}],"b":"aGk="}"#;

fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(&SCHEMA, |d| Box::new(pbj::DynamicMessage(d)));
    r
}

#[test]
fn seed_decodes() {
    let data = pbj::codec::decode_as(SEED, &SCHEMA, &registry()).expect("seed is valid");
    assert_eq!(pbj::codec::encode(&data, pbj::Flavor::Js), SEED);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = pbj::codec::decode(&s, &registry());
        let _ = pbj::codec::decode_as(&s, &SCHEMA, &registry());
    }

    #[test]
    fn mutated_seed_never_panics(pos in 0usize..400, byte in any::<u8>(), cut in 0usize..400) {
        let mut bytes = SEED.as_bytes().to_vec();
        let pos = pos % bytes.len();
        bytes[pos] = byte;
        bytes.truncate(bytes.len().min(cut.max(pos + 1)));
        if let Ok(text) = std::str::from_utf8(&bytes)
            && let Ok(data) = pbj::codec::decode_as(text, &SCHEMA, &registry())
        {
            // Whatever is accepted re-encodes and decodes again.
            let json = pbj::codec::encode(&data, pbj::Flavor::Js);
            prop_assert!(pbj::codec::decode_as(&json, &SCHEMA, &registry()).is_ok(), "{}", json);
        }
    }
}
