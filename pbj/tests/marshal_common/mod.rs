//! Hand-built schemas of the PHP test fixtures (`EmailMessage`, `NestedMessage`, `MapsMessage`)
//! plus an `all-types` schema with every type under every rule it allows.

#![allow(dead_code)]

use pbj::{
    DefaultValue, EnumDef, EnumValue, Field, FieldRule, FieldType, Format, Registry, Schema,
    SchemaVersion,
};

pub static PRIORITY: EnumDef = EnumDef {
    id: "gdbots:tests.pbj:priority",
    options: &[
        ("UNKNOWN", EnumValue::Int(0)),
        ("NORMAL", EnumValue::Int(1)),
        ("HIGH", EnumValue::Int(2)),
        ("LOW", EnumValue::Int(3)),
    ],
};

pub static PROVIDER: EnumDef = EnumDef {
    id: "gdbots:tests.pbj:provider",
    options: &[
        ("UNKNOWN", EnumValue::Str("unknown")),
        ("AOL", EnumValue::Str("aol")),
        ("GMAIL", EnumValue::Str("gmail")),
        ("HOTMAIL", EnumValue::Str("hotmail")),
    ],
};

pub static INT_ENUM: EnumDef = EnumDef {
    id: "gdbots:tests.pbj:int-enum",
    options: &[("UNKNOWN", EnumValue::Int(0)), ("A_INT", EnumValue::Int(1))],
};

pub static STRING_ENUM: EnumDef = EnumDef {
    id: "gdbots:tests.pbj:string-enum",
    options: &[
        ("UNKNOWN", EnumValue::Str("unknown")),
        ("A_STRING", EnumValue::Str("string")),
    ],
};

pub const EMAIL_ID: &str = "pbj:gdbots:tests.pbj:fixtures:email-message:1-0-0";
pub const NESTED_ID: &str = "pbj:gdbots:tests.pbj:fixtures:nested-message:1-0-0";
pub const MAPS_ID: &str = "pbj:gdbots:tests.pbj:fixtures:maps-message:1-0-0";
pub const ALL_ID: &str = "pbj:gdbots:tests.pbj:fixtures:all-types:1-0-0";
pub const NESTED_CURIE: &str = "gdbots:tests.pbj:fixtures:nested-message";

const fn schema_field() -> Field {
    Field {
        required: true,
        ..Field::new("_schema", FieldType::String, FieldRule::Single)
    }
}

pub static EMAIL_FIELDS: [Field; 19] = [
    schema_field(),
    Field {
        required: true,
        use_type_default: false,
        ..Field::new("id", FieldType::TimeUuid, FieldRule::Single)
    },
    Field::new("from_name", FieldType::String, FieldRule::Single),
    Field {
        required: true,
        format: Format::Email,
        ..Field::new("from_email", FieldType::String, FieldRule::Single)
    },
    Field::new("subject", FieldType::String, FieldRule::Single),
    Field::new("body", FieldType::String, FieldRule::Single),
    Field {
        required: true,
        default: Some(DefaultValue::Int(1)),
        enum_def: Some(&PRIORITY),
        ..Field::new("priority", FieldType::IntEnum, FieldRule::Single)
    },
    Field::new("sent", FieldType::Boolean, FieldRule::Single),
    Field::new("date_sent", FieldType::DateTime, FieldRule::Single),
    Field::new("microtime_sent", FieldType::Microtime, FieldRule::Single),
    Field {
        default: Some(DefaultValue::Str("gmail")),
        enum_def: Some(&PROVIDER),
        ..Field::new("provider", FieldType::StringEnum, FieldRule::Single)
    },
    Field {
        format: Format::Hashtag,
        ..Field::new("labels", FieldType::String, FieldRule::Set)
    },
    Field {
        format: Format::Url,
        ..Field::new("unsubscribe_url", FieldType::Text, FieldRule::Single)
    },
    Field {
        any_of: &[NESTED_CURIE],
        ..Field::new("nested", FieldType::Message, FieldRule::Single)
    },
    Field {
        enum_def: Some(&PROVIDER),
        ..Field::new("enum_in_set", FieldType::StringEnum, FieldRule::Set)
    },
    Field {
        enum_def: Some(&PROVIDER),
        ..Field::new("enum_in_list", FieldType::StringEnum, FieldRule::List)
    },
    Field::new("any_of_message", FieldType::Message, FieldRule::List),
    Field::new("dynamic_fields", FieldType::DynamicField, FieldRule::List),
    Field::new("node_ref", FieldType::NodeRef, FieldRule::Single),
];

pub static EMAIL: Schema = Schema {
    id: EMAIL_ID,
    curie: "gdbots:tests.pbj:fixtures:email-message",
    curie_major: "gdbots:tests.pbj:fixtures:email-message:v1",
    qname: "gdbots:email-message",
    vendor: "gdbots",
    package: "tests.pbj",
    category: "fixtures",
    message: "email-message",
    version: SchemaVersion::new(1, 0, 0),
    fields: &EMAIL_FIELDS,
    mixins: &[
        "gdbots:tests.pbj:mixin:many:v1",
        "gdbots:tests.pbj:mixin:many",
        "gdbots:tests.pbj:mixin:one:v1",
        "gdbots:tests.pbj:mixin:one",
    ],
    id_field: Some("id"),
    deprecated: false,
    description: "",
};

pub static NESTED_FIELDS: [Field; 5] = [
    schema_field(),
    Field::new("test1", FieldType::String, FieldRule::Single),
    Field::new("test2", FieldType::Int, FieldRule::Set),
    Field::new("location", FieldType::GeoPoint, FieldRule::Single),
    Field::new("refs", FieldType::MessageRef, FieldRule::List),
];

pub static NESTED: Schema = Schema {
    id: NESTED_ID,
    curie: NESTED_CURIE,
    curie_major: "gdbots:tests.pbj:fixtures:nested-message:v1",
    qname: "gdbots:nested-message",
    vendor: "gdbots",
    package: "tests.pbj",
    category: "fixtures",
    message: "nested-message",
    version: SchemaVersion::new(1, 0, 0),
    fields: &NESTED_FIELDS,
    mixins: &[
        "gdbots:tests.pbj:mixin:many:v1",
        "gdbots:tests.pbj:mixin:many",
    ],
    id_field: None,
    deprecated: false,
    description: "",
};

/// A field of `kind` under `rule` with the fixture's enum / identifier / any-of options.
const fn typed(name: &'static str, kind: FieldType, rule: FieldRule) -> Field {
    let base = Field::new(name, kind, rule);
    match kind {
        FieldType::IntEnum => Field {
            enum_def: Some(&INT_ENUM),
            ..base
        },
        FieldType::StringEnum => Field {
            enum_def: Some(&STRING_ENUM),
            ..base
        },
        FieldType::Identifier => Field {
            identifier_class: Some("TimeUuidIdentifier"),
            ..base
        },
        FieldType::Message => Field {
            any_of: &[NESTED_CURIE],
            ..base
        },
        _ => base,
    }
}

macro_rules! maps_fields {
    ($($t:ident),* $(,)?) => {
        [schema_field(), $(typed(stringify!($t), FieldType::$t, FieldRule::Map)),*]
    };
}

/// One map field per type, named like the PHP type classes.
pub static MAPS_FIELDS: [Field; 35] = maps_fields!(
    BigInt,
    Binary,
    Blob,
    Boolean,
    Date,
    DateTime,
    Decimal,
    DynamicField,
    Float,
    GeoPoint,
    Identifier,
    Int,
    IntEnum,
    MediumBlob,
    MediumInt,
    MediumText,
    Message,
    MessageRef,
    Microtime,
    NodeRef,
    SignedBigInt,
    SignedInt,
    SignedMediumInt,
    SignedSmallInt,
    SignedTinyInt,
    SmallInt,
    String,
    StringEnum,
    Text,
    TimeUuid,
    Timestamp,
    TinyInt,
    Trinary,
    Uuid,
);

pub static MAPS: Schema = Schema {
    id: MAPS_ID,
    curie: "gdbots:tests.pbj:fixtures:maps-message",
    curie_major: "gdbots:tests.pbj:fixtures:maps-message:v1",
    qname: "gdbots:maps-message",
    vendor: "gdbots",
    package: "tests.pbj",
    category: "fixtures",
    message: "maps-message",
    version: SchemaVersion::new(1, 0, 0),
    fields: &MAPS_FIELDS,
    mixins: &[],
    id_field: None,
    deprecated: false,
    description: "",
};

macro_rules! all_fields {
    (sets: $($s:ident),* ; others: $($o:ident),* $(,)?) => {
        [
            schema_field(),
            $(
                typed(concat!("single_", stringify!($s)), FieldType::$s, FieldRule::Single),
                typed(concat!("set_", stringify!($s)), FieldType::$s, FieldRule::Set),
                typed(concat!("list_", stringify!($s)), FieldType::$s, FieldRule::List),
                typed(concat!("map_", stringify!($s)), FieldType::$s, FieldRule::Map),
            )*
            $(
                typed(concat!("single_", stringify!($o)), FieldType::$o, FieldRule::Single),
                typed(concat!("list_", stringify!($o)), FieldType::$o, FieldRule::List),
                typed(concat!("map_", stringify!($o)), FieldType::$o, FieldRule::Map),
            )*
        ]
    };
}

/// Every type as single, list and map, plus set where the type allows it.
pub static ALL_FIELDS: [Field; 1 + 22 * 4 + 12 * 3] = all_fields!(
    sets: BigInt, Binary, Decimal, Float, Identifier, Int, IntEnum, MediumInt, Microtime, NodeRef,
        SignedBigInt, SignedInt, SignedMediumInt, SignedSmallInt, SignedTinyInt, SmallInt, String,
        StringEnum, TimeUuid, Timestamp, TinyInt, Uuid;
    others: Blob, Boolean, Date, DateTime, DynamicField, GeoPoint, MediumBlob, MediumText, Message,
        MessageRef, Text, Trinary,
);

pub static ALL: Schema = Schema {
    id: ALL_ID,
    curie: "gdbots:tests.pbj:fixtures:all-types",
    curie_major: "gdbots:tests.pbj:fixtures:all-types:v1",
    qname: "gdbots:all-types",
    vendor: "gdbots",
    package: "tests.pbj",
    category: "fixtures",
    message: "all-types",
    version: SchemaVersion::new(1, 0, 0),
    fields: &ALL_FIELDS,
    mixins: &[],
    id_field: None,
    deprecated: false,
    description: "",
};

/// The PHP test registry: email, nested and maps messages.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    for s in [&EMAIL, &NESTED, &MAPS] {
        r.register(s, |d| Box::new(pbj::DynamicMessage(d)));
    }
    r
}

/// [`registry`] plus the all-types schema.
pub fn registry_with_all() -> Registry {
    let mut r = registry();
    r.register(&ALL, |d| Box::new(pbj::DynamicMessage(d)));
    r
}

/// `FixtureLoader::createEmailMessage()` re-serialized by PHP (spec §8.1).
pub const EMAIL_JSON: &str = r#"{"_schema":"pbj:gdbots:tests.pbj:fixtures:email-message:1-0-0","id":"0dcee564-aa71-11e4-a811-3c15c2c60168","from_name":"homer","from_email":"homer@thesimpsons.com","subject":"donuts,mmmm,chicken test","priority":2,"sent":false,"date_sent":"2014-12-25T12:12:00.123456Z","microtime_sent":"1422122017734617","provider":"gmail","labels":["donuts","mmmm","chicken"],"nested":{"_schema":"pbj:gdbots:tests.pbj:fixtures:nested-message:1-0-0","test1":"val1","test2":[1,2],"location":{"type":"Point","coordinates":[102,0.5]},"refs":[{"curie":"gdbots:tests.pbj:fixtures:email-message","id":"0dcee564-aa71-11e4-a811-3c15c2c60168","tag":"parent"}]},"enum_in_set":["aol","gmail"],"enum_in_list":["aol","aol","gmail","gmail"],"any_of_message":[{"_schema":"pbj:gdbots:tests.pbj:fixtures:maps-message:1-0-0","String":{"test:field:name":"value1"}},{"_schema":"pbj:gdbots:tests.pbj:fixtures:nested-message:1-0-0","test1":"value1"}],"dynamic_fields":[{"name":"bool_val","bool_val":true},{"name":"date_val","date_val":"2015-12-25"},{"name":"float_val","float_val":3.14},{"name":"int_val","int_val":100},{"name":"string_val","string_val":"string"},{"name":"text_val","text_val":"text"}],"node_ref":"acme:article:123"}"#;

/// The email fixture as data.
pub fn email() -> pbj::MessageData {
    match pbj::codec::decode_as(EMAIL_JSON, &EMAIL, &registry()) {
        Ok(d) => d,
        Err(e) => panic!("fixture does not decode: {e}"),
    }
}
