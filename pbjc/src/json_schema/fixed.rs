//! The sub-schemas the original writes verbatim: `_schema`, `message-ref`, `geo-point` and
//! `dynamic-field` values.

use super::json::Json;

/// The pattern of a schema id.
const SCHEMA_ID_PATTERN: &str =
    r"^pbj:([a-z0-9-]+):([a-z0-9\.-]+):([a-z0-9-]+)?:([a-z0-9-]+):([0-9]+-[0-9]+-[0-9]+)$";

fn s(v: &str) -> Json {
    Json::str(v)
}

fn strings(items: &[&str]) -> Json {
    Json::Array(items.iter().map(|i| s(i)).collect())
}

/// A bounded string property with a pattern (`minLength` 0).
fn string_prop(pattern: &str, max: i64) -> Json {
    Json::object([
        ("type", s("string")),
        ("pattern", s(pattern)),
        ("minLength", Json::Int(0)),
        ("maxLength", Json::Int(max)),
    ])
}

/// An object with fixed `properties`, `required` keys and no other property.
fn closed_object(properties: Vec<(&str, Json)>, required: &[&str]) -> Json {
    Json::object([
        ("type", s("object")),
        ("properties", Json::object(properties)),
        ("required", strings(required)),
        ("additionalProperties", Json::Bool(false)),
    ])
}

/// The `_schema` property of a message: its id.
pub fn schema_property(id: &str) -> Json {
    Json::object([
        ("type", s("string")),
        ("pattern", s(SCHEMA_ID_PATTERN)),
        ("default", s(id)),
    ])
}

/// A `message-ref` value: `{curie, id, tag?}`.
pub fn message_ref() -> Json {
    closed_object(
        vec![
            (
                "curie",
                string_prop(
                    r"^([a-z0-9-]+):([a-z0-9\.-]+):([a-z0-9-]+)?:([a-z0-9-]+)$",
                    146,
                ),
            ),
            ("id", string_prop(r"^[A-Za-z0-9:_\-]+$", 255)),
            ("tag", string_prop(r"^([\w\/-]|[\w-][\w\/-]*[\w-])$", 255)),
        ],
        &["curie", "id"],
    )
}

/// One coordinate of a GeoJSON point (draft-03 style `required`, as published).
fn coordinate(bound: i64) -> Json {
    Json::object([
        ("required", Json::Bool(true)),
        ("type", s("number")),
        ("minimum", Json::Int(-bound)),
        ("maximum", Json::Int(bound)),
    ])
}

/// A `geo-point` value: a GeoJSON point.
pub fn geo_point() -> Json {
    let coordinates = Json::object([
        ("type", s("array")),
        ("items", Json::Array(vec![coordinate(180), coordinate(90)])),
    ]);
    closed_object(
        vec![
            (
                "type",
                Json::object([("type", s("string")), ("pattern", s("^Point$"))]),
            ),
            ("coordinates", coordinates),
        ],
        &["type", "coordinates"],
    )
}

/// A `dynamic-field` value: a name and exactly one typed value.
pub fn dynamic_field() -> Json {
    let name = Json::object([
        ("type", s("string")),
        ("minLength", Json::Int(1)),
        ("maxLength", Json::Int(127)),
        ("pattern", s("^[a-zA-Z_]{1}[a-zA-Z0-9_-]*$")),
    ]);
    let length = |max| [("minLength", Json::Int(0)), ("maxLength", Json::Int(max))];
    let kinds: [(&str, Vec<(&str, Json)>); 6] = [
        (
            "bool_val",
            vec![("type", s("boolean")), ("default", Json::Bool(false))],
        ),
        (
            "date_val",
            vec![
                ("type", s("object")),
                ("pattern", s("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
            ],
        ),
        (
            "float_val",
            vec![("type", s("number")), ("default", Json::Int(0))],
        ),
        (
            "int_val",
            vec![
                ("type", s("integer")),
                ("default", Json::Int(0)),
                ("minimum", Json::Int(0)),
                ("maximum", Json::Int(4_294_967_295)),
            ],
        ),
        (
            "string_val",
            [vec![("type", s("string"))], length(255).to_vec()].concat(),
        ),
        (
            "text_val",
            [vec![("type", s("string"))], length(65_535).to_vec()].concat(),
        ),
    ];
    let one_of = kinds
        .into_iter()
        .map(|(key, value)| {
            closed_object(
                vec![("name", name.clone()), (key, Json::object(value))],
                &["name", key],
            )
        })
        .collect();
    Json::object([("type", s("object")), ("oneOf", Json::Array(one_of))])
}
