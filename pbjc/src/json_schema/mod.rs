//! JSON Schema (draft-04) documents of every schema version, identical to the files the
//! original PHP compiler publishes (`gh-pages/json-schema` of the gdbots and acme stores).
//!
//! Layout: `{vendor}/{package}/{category}/{message}/{M-m-p}.json` for every version (no
//! category folder when the category is empty), plus `latest.json` beside the newest version
//! of each curie. Every document's `id`, and every `$ref` to another message, is
//! `{domain}/json-schema/{that path}#`.
//!
//! The output keeps the original's quirks on purpose, so published files can be regenerated
//! byte for byte: a `pattern` hides `maxLength`, list `items` are tuples, `date` and `message`
//! values are typed `object`, numeric strings are written as numbers.
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("pbjc-doc-json-{}", std::process::id()));
//! # let store_dir = dir.join("store/acme/blog/command/publish");
//! # std::fs::create_dir_all(&store_dir).unwrap();
//! # std::fs::write(store_dir.join("1-0-0.xml"), r#"<?xml version="1.0"?>
//! # <pbj-schema xmlns="http://gdbots.io/pbj/xsd"><schema id="pbj:acme:blog:command:publish:1-0-0">
//! #   <fields><field name="title" type="string" max="100" required="true"/></fields>
//! # </schema></pbj-schema>"#).unwrap();
//! let store = pbjc::load(&[dir.join("store")]).expect("valid store");
//! let files = pbjc::json_schema::generate(&store, "https://schemas.acme.test");
//! let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
//! assert_eq!(paths, ["acme/blog/command/publish/1-0-0.json", "acme/blog/command/publish/latest.json"]);
//! assert!(files[0].contents.starts_with(
//!     "{\n  \"id\": \"https://schemas.acme.test/json-schema/acme/blog/command/publish/1-0-0.json#\","
//! ));
//! assert!(files[0].contents.contains("\"maxLength\": 100"));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod document;
mod field;
mod fixed;
mod json;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use document::document_url;

use crate::model::{SchemaDecl, Store};
use crate::output::OutputFile;
use crate::validate::Index;

/// The JSON Schema file of every schema version of `store`, plus one `latest.json` per curie,
/// sorted by path. `domain` starts every `id` and `$ref` URL, e.g. `http://schemas.gdbots.io`.
pub fn generate(store: &Store, domain: &str) -> Vec<OutputFile> {
    let index = Index::new(store);
    let mut newest: BTreeMap<String, &SchemaDecl> = BTreeMap::new();
    let mut files = Vec::with_capacity(store.schemas.len() * 2);
    for s in store.schemas.values() {
        let dir = PathBuf::from(document::curie_path(s.id.curie()));
        let contents = json::to_php_text(&document::document(store, &index, s, domain));
        files.push(OutputFile {
            path: dir.join(format!("{}.json", s.id.version())),
            contents,
        });
        let slot = newest.entry(s.curie()).or_insert(s);
        if s.id.version() > slot.id.version() {
            *slot = s;
        }
    }
    for s in newest.values() {
        let dir = PathBuf::from(document::curie_path(s.id.curie()));
        let version = dir.join(format!("{}.json", s.id.version()));
        if let Some(contents) = files
            .iter()
            .find(|f| f.path == version)
            .map(|f| f.contents.clone())
        {
            files.push(OutputFile {
                path: dir.join("latest.json"),
                contents,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}
