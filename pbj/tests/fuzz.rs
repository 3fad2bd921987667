//! Property tests: the JSON decoder never panics, whatever the input, and whatever it accepts
//! re-encodes to a fixed point (`encode(decode(encode(decode(x)))) == encode(decode(x))`).

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

/// If `text` decodes, checks that re-encoding reaches a fixed point in both flavours; returns
/// whether it decoded.
fn assert_fixed_point(text: &str) -> Result<bool, TestCaseError> {
    let Ok(data) = pbj::codec::decode_as(text, &SCHEMA, &registry()) else {
        return Ok(false);
    };
    for flavor in [pbj::Flavor::Js, pbj::Flavor::Php] {
        let json = pbj::codec::encode(&data, flavor);
        // The one-pass escaped form is the encoding as the contents of a JSON string.
        let mut escaped = String::from("\"");
        pbj::codec::encode_escaped_into(&mut escaped, &data, flavor);
        escaped.push('"');
        prop_assert_eq!(&escaped, &serde_json::to_string(&json).unwrap_or_default());
        let again = pbj::codec::decode_as(&json, &SCHEMA, &registry());
        prop_assert!(again.is_ok(), "{} does not decode: {:?}", json, again.err());
        let second = again
            .map(|d| pbj::codec::encode(&d, flavor))
            .unwrap_or_default();
        prop_assert_eq!(
            &second,
            &json,
            "{:?} is not a fixed point of {}",
            flavor,
            text
        );
    }
    Ok(true)
}

/// A date-time in one of the accepted spellings (fraction of 0-9 digits, `Z` or an offset).
fn date_time() -> impl Strategy<Value = String> {
    (
        1900u32..2100,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        0u32..60,
        "[0-9]{0,9}",
        prop_oneof![
            Just("Z".to_owned()),
            (-14i32..15, 0u32..60).prop_map(|(h, m)| format!("{:+03}:{m:02}", h)),
        ],
    )
        .prop_map(|(y, mo, d, h, mi, s, frac, zone)| {
            let frac = if frac.is_empty() {
                String::new()
            } else {
                format!(".{frac}")
            };
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{zone}")
        })
}

/// Finite doubles of every magnitude.
fn finite() -> impl Strategy<Value = f64> {
    use proptest::num::f64::{NORMAL, SUBNORMAL, ZERO};
    NORMAL | SUBNORMAL | ZERO
}

/// A non-blank string (any printable characters after an ASCII letter or digit).
const TEXT: &str = "[a-zA-Z0-9]\\PC{0,20}";

/// A valid dynamic field of any kind.
fn dynamic_field() -> impl Strategy<Value = serde_json::Value> {
    let name = "[a-zA-Z_][a-zA-Z0-9_-]{0,8}";
    prop_oneof![
        (name, any::<bool>()).prop_map(|(n, v)| serde_json::json!({"name": n, "bool_val": v})),
        (name, finite()).prop_map(|(n, v)| serde_json::json!({"name": n, "float_val": v})),
        (name, 0i64..=4_294_967_295)
            .prop_map(|(n, v)| serde_json::json!({"name": n, "int_val": v})),
        (name, TEXT).prop_map(|(n, v)| serde_json::json!({"name": n, "string_val": v})),
        (name, TEXT).prop_map(|(n, v)| serde_json::json!({"name": n, "text_val": v})),
        (name, 1900u32..2100, 1u32..13, 1u32..29).prop_map(|(n, y, m, d)| {
            serde_json::json!({"name": n, "date_val": format!("{y:04}-{m:02}-{d:02}")})
        }),
    ]
}

/// A valid message of [`SCHEMA`] with generated values in every field (nested once through
/// `m`; binary content is UTF-8 text, as the decoder requires).
fn message() -> impl Strategy<Value = serde_json::Value> {
    (
        0i64..256,
        proptest::collection::vec("\\PC{0,12}", 0..4),
        proptest::collection::vec(date_time(), 0..3),
        (-90.0f64..=90.0, -180.0f64..=180.0),
        proptest::collection::vec(dynamic_field(), 0..3),
        "\\PC{0,12}".prop_map(String::into_bytes),
        "[a-z0-9_]{1,6}",
        0i64..256,
    )
        .prop_map(|(i, s, d, (lat, lon), f, b, key, nested_i)| {
            serde_json::json!({
                "_schema": SCHEMA.id,
                "i": i,
                "s": s,
                "m": {key: {"_schema": SCHEMA.id, "i": nested_i}},
                "d": d,
                "g": {"type": "Point", "coordinates": [lon, lat]},
                "f": f,
                "b": base64(&b),
            })
        })
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn generated_messages_re_encode_to_a_fixed_point(message in message()) {
        let text = message.to_string();
        prop_assert!(assert_fixed_point(&text)?, "a valid message was rejected: {}", text);
    }

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
        if let Ok(text) = std::str::from_utf8(&bytes) {
            assert_fixed_point(text)?;
        }
    }
}
