//! # pbjc: the pbj schema compiler
//!
//! Reads pbj XML schema stores (the files the PHP/JS pbjc reads), validates them with
//! `file:line` diagnostics and generates Rust code that uses the [`pbj`] crate.

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
