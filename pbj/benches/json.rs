//! JSON encode and decode+validate of a 15-field event, next to the same shape through
//! `#[derive(Serialize, Deserialize)]` + serde_json.
//!
//! Run: `cargo bench -p pbj --bench json`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pbj::{
    Field, FieldRule, FieldType, Flavor, Format, Message, Pattern, Registry, Schema, SchemaVersion,
};
use serde::{Deserialize, Serialize};

static FIELDS: [Field; 16] = [
    Field {
        required: true,
        pattern: Some(Pattern::new(
            r"^pbj:([a-z0-9-]+):([a-z0-9\.-]+):([a-z0-9-]+)?:([a-z0-9-]+):([0-9]+-[0-9]+-[0-9]+)$",
        )),
        ..Field::new("_schema", FieldType::String, FieldRule::Single)
    },
    Field {
        required: true,
        ..Field::new("event_id", FieldType::TimeUuid, FieldRule::Single)
    },
    Field::new("occurred_at", FieldType::Microtime, FieldRule::Single),
    Field {
        pattern: Some(Pattern::new(r"^[\w\/\.:-]+$")),
        ..Field::new("ctx_tenant_id", FieldType::String, FieldRule::Single)
    },
    Field::new("ctx_causator_ref", FieldType::MessageRef, FieldRule::Single),
    Field::new(
        "ctx_correlator_ref",
        FieldType::MessageRef,
        FieldRule::Single,
    ),
    Field::new("ctx_user_ref", FieldType::MessageRef, FieldRule::Single),
    Field {
        format: Format::Ipv4,
        ..Field::new("ctx_ip", FieldType::String, FieldRule::Single)
    },
    Field {
        format: Format::Ipv6,
        ..Field::new("ctx_ipv6", FieldType::String, FieldRule::Single)
    },
    Field::new("ctx_ua", FieldType::Text, FieldRule::Single),
    Field::new("ctx_msg", FieldType::Text, FieldRule::Single),
    Field::new("title", FieldType::String, FieldRule::Single),
    Field::new("tags", FieldType::String, FieldRule::Set),
    Field::new("word_count", FieldType::Int, FieldRule::Single),
    Field::new("score", FieldType::Float, FieldRule::Single),
    Field::new("published", FieldType::Boolean, FieldRule::Single),
];

static SCHEMA: Schema = Schema {
    id: "pbj:acme:blog:event:article-published:1-0-0",
    curie: "acme:blog:event:article-published",
    curie_major: "acme:blog:event:article-published:v1",
    qname: "acme:article-published",
    vendor: "acme",
    package: "blog",
    category: "event",
    message: "article-published",
    version: SchemaVersion::new(1, 0, 0),
    fields: &FIELDS,
    mixins: &[],
    id_field: Some("event_id"),
    deprecated: false,
    description: "",
};

const JSON: &str = r#"{"_schema":"pbj:acme:blog:event:article-published:1-0-0","event_id":"ba3e2f4b-332b-1ace-af25-7188d96b8794","occurred_at":"1554058388441179","ctx_tenant_id":"tenant-42","ctx_causator_ref":{"curie":"acme:blog:command:publish-article","id":"490cfb2e-503a-11bc-b020-d9f2cfec7714"},"ctx_correlator_ref":{"curie":"acme:blog:command:publish-article","id":"02036e01-57fa-1fb7-b7d6-70ca2591de06"},"ctx_user_ref":{"curie":"acme:iam:node:user","id":"939febb6-a9e3-4a4a-8249-f307ec087f8b"},"ctx_ip":"119.185.222.83","ctx_ipv6":"8a2:f6b7:b2dc:acce:9ad6:784d:4f51:7957","ctx_ua":"Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0","ctx_msg":"naïve Zürich straße","title":"Hello, world","tags":["rust","pbj","json"],"word_count":1234,"score":4.25,"published":true}"#;

#[derive(Serialize, Deserialize)]
struct Ref {
    curie: String,
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Event {
    _schema: String,
    event_id: String,
    occurred_at: String,
    ctx_tenant_id: Option<String>,
    ctx_causator_ref: Option<Ref>,
    ctx_correlator_ref: Option<Ref>,
    ctx_user_ref: Option<Ref>,
    ctx_ip: Option<String>,
    ctx_ipv6: Option<String>,
    ctx_ua: Option<String>,
    ctx_msg: Option<String>,
    title: Option<String>,
    tags: Vec<String>,
    word_count: i64,
    score: f64,
    published: bool,
}

fn bench(c: &mut Criterion) {
    let mut registry = Registry::new();
    registry.register(&SCHEMA, |d| Box::new(pbj::DynamicMessage(d)));
    let data = pbj::codec::decode_as(JSON, &SCHEMA, &registry).expect("valid sample");
    assert_eq!(pbj::codec::encode(&data, Flavor::Js), JSON);
    let typed: Event = serde_json::from_str(JSON).expect("valid sample");
    assert_eq!(serde_json::to_string(&typed).expect("encodes"), JSON);

    let mut g = c.benchmark_group("event_15_fields");
    g.bench_function("pbj_encode", |b| {
        b.iter(|| pbj::codec::encode(black_box(&data), Flavor::Js))
    });
    g.bench_function("serde_encode", |b| {
        b.iter(|| serde_json::to_string(black_box(&typed)))
    });
    g.bench_function("pbj_decode_validate", |b| {
        b.iter(|| {
            let d = pbj::codec::decode_as(black_box(JSON), &SCHEMA, &registry).expect("valid");
            let m = pbj::DynamicMessage(d);
            m.validate().expect("valid");
            m
        })
    });
    g.bench_function("serde_decode", |b| {
        b.iter(|| serde_json::from_str::<Event>(black_box(JSON)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
