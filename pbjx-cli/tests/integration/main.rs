//! The `pbjx` command line, run as a real process on temporary configurations; one module per
//! backend area, linked into one test binary (the crate with every backend is linked once).

mod common;

mod cli_dynamodb;
mod cli_search;
mod cli_serve;
mod cli_sqlite;
