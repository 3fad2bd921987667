//! Elasticsearch backend (filled in below).
