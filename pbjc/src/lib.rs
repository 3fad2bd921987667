//! # pbjc: the pbj schema compiler
//!
//! Reads pbj XML schema stores (the files the PHP/JS pbjc reads), validates them with
//! `file:line` diagnostics and generates Rust code that uses the [`pbj`] crate.

#![warn(missing_docs)]

pub mod code_generator;
pub mod config;
pub mod model;
pub use config::Config;
