//! One schema version as a JSON Schema document.

use super::field::property;
use super::fixed;
use super::json::{Json, ObjectBuilder};
use crate::model::{FieldDecl, SchemaDecl, Store};
use crate::validate::{Index, merge};

/// The draft the documents declare.
const DRAFT_04: &str = "http://json-schema.org/draft-04/schema#";

/// Deeper `extends` chains than this are cycles (a valid store has depth 2 at most).
const MAX_DEPTH: usize = 32;

/// The URL of a schema id's document: `{domain}/json-schema/{path}.json#`.
pub fn document_url(domain: &str, id: &pbj::SchemaId) -> String {
    format!(
        "{}/json-schema/{}/{}.json#",
        domain.trim_end_matches('/'),
        curie_path(id.curie()),
        id.version()
    )
}

/// `vendor/package/category/message`, without the category when it is empty.
pub fn curie_path(curie: &pbj::SchemaCurie) -> String {
    let mut parts = vec![curie.vendor(), curie.package()];
    parts.extend(curie.category());
    parts.push(curie.message());
    parts.join("/")
}

/// The inherited fields of `s`: for `extends`, then each mixin, its inherited fields and its
/// own (every reference resolved to the newest version of its major).
fn inherited<'a>(index: &Index<'a>, s: &'a SchemaDecl, depth: usize) -> Vec<&'a FieldDecl> {
    let mut out = Vec::new();
    if depth >= MAX_DEPTH {
        return out;
    }
    for r in s.extends.iter().chain(&s.mixins) {
        if let Some(t) = index.resolve(r).filter(|t| t.id != s.id) {
            merge(&mut out, inherited(index, t, depth + 1));
            merge(&mut out, &t.fields);
        }
    }
    out
}

/// The document of schema `s` of `store` (`index` is the store's index).
pub fn document<'a>(store: &'a Store, index: &Index<'a>, s: &'a SchemaDecl, domain: &str) -> Json {
    let mut fields = inherited(index, s, 0);
    merge(&mut fields, &s.fields);

    let mut properties = ObjectBuilder::new();
    let mut required = Vec::new();
    if !s.is_mixin {
        properties.set("_schema", fixed::schema_property(&s.id.to_string()));
        required.push(Json::str("_schema"));
    }
    for f in &fields {
        let e = f.enum_id.as_ref().and_then(|id| store.enums.get(id));
        properties.set(f.name.as_str(), property(f, e));
        if f.required {
            required.push(Json::str(f.name.as_str()));
        }
    }

    let mut doc = ObjectBuilder::new();
    doc.set("id", Json::Str(document_url(domain, &s.id)))
        .set("$schema", Json::str(DRAFT_04))
        .set("type", Json::str("object"))
        .set("properties", properties.build());
    if !required.is_empty() {
        doc.set("required", Json::Array(required));
    }
    let definitions = definitions(store, index, &fields, domain);
    if !definitions.is_empty() {
        doc.set("definitions", definitions.build());
    }
    doc.set("additionalProperties", Json::Bool(s.is_mixin));
    doc.build()
}

/// One definition per any-of target (by lowercased message name): any version of its curie.
fn definitions(store: &Store, index: &Index, fields: &[&FieldDecl], domain: &str) -> ObjectBuilder {
    let mut out = ObjectBuilder::new();
    for curie in fields.iter().flat_map(|f| &f.any_of) {
        let Some(target) = index.resolve(curie) else {
            continue;
        };
        // Every version of the target's curie, in id-string order (the store's key order).
        let any_of = store
            .schemas
            .values()
            .filter(|v| v.id.curie() == target.id.curie())
            .map(|v| Json::object([("$ref", Json::Str(document_url(domain, &v.id)))]))
            .collect();
        let name = target.id.message().to_lowercase();
        out.set(
            name,
            Json::object([
                ("type", Json::str("object")),
                ("anyOf", Json::Array(any_of)),
            ]),
        );
    }
    out
}
