//! # pbjc: the pbj schema compiler
//!
//! Reads pbj XML schema stores (the files the PHP/JS pbjc reads), validates them with
//! `file:line:col` diagnostics (every problem at once) and generates Rust code that uses the
//! [`pbj`] crate ([`Config`], from a build script), the JSON Schema files the original compiler
//! publishes ([`json_schema`]) and a Markdown catalogue ([`docs`]). The `pbjc` command line
//! (feature `cli`, on by default) does the same outside cargo.
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("pbjc-doc-lib-{}", std::process::id()));
//! # let store_dir = dir.join("schemas/acme/blog/command/publish");
//! # std::fs::create_dir_all(&store_dir).unwrap();
//! # std::fs::write(store_dir.join("1-0-0.xml"), r#"<?xml version="1.0"?>
//! # <pbj-schema xmlns="http://gdbots.io/pbj/xsd"><schema id="pbj:acme:blog:command:publish:1-0-0">
//! #   <fields><field name="title" type="string" max="100" required="true"/></fields>
//! # </schema></pbj-schema>"#).unwrap();
//! # let schemas = dir.join("schemas");
//! // `schemas` holds vendor folders: schemas/acme/blog/command/publish/1-0-0.xml
//! let store = pbjc::load(&[&schemas]).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
//! let rust = pbjc::Config::new().format(false).generate(&store);
//! assert!(rust.contains("pub struct PublishV1"));
//! let json = pbjc::json_schema::generate(&store, "https://schemas.acme.test");
//! assert_eq!(json.len(), 2); // 1-0-0.json and latest.json
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

#![warn(missing_docs)]

pub mod code_generator;
pub mod config;
pub mod diagnostic;
pub mod docs;
pub mod json_schema;
pub mod loader;
pub mod model;
pub mod output;
pub mod parser;
pub mod validate;

pub use config::Config;
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use loader::{Loaded, load, load_all};
