// A hand-written schema, as pbjc generates it for `acme:blog:event:article-published:1-0-0`
// (included by the doc examples of the pbj crate).
use pbj::{Field, FieldRule, FieldType, Format, Schema, SchemaVersion};

static FIELDS: [Field; 5] = [
    Field {
        required: true,
        ..Field::new("_schema", FieldType::String, FieldRule::Single)
    },
    Field {
        required: true,
        ..Field::new("event_id", FieldType::TimeUuid, FieldRule::Single)
    },
    Field {
        required: true,
        ..Field::new("title", FieldType::String, FieldRule::Single)
    },
    Field {
        format: Format::Hashtag,
        ..Field::new("tags", FieldType::String, FieldRule::Set)
    },
    Field::new("word_count", FieldType::Int, FieldRule::Single),
];

static ARTICLE_PUBLISHED: Schema = Schema {
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
    mixins: &["acme:blog:mixin:publishable:v1", "acme:blog:mixin:publishable"],
    id_field: Some("event_id"),
    deprecated: false,
    description: "",
};
