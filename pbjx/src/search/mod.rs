//! Event search building blocks: the gdbots [`query`] language. Pure (no I/O).

pub mod query;
