//! Elasticsearch mappings of every schema of the gdbots and acme stores, one mapping per schema:
//! with pbj's defaults (paths up to depth 4) and as pbjx's event search builds them (depth 2,
//! `ctx_ua` not indexed).
//!
//! Run: `cargo bench -p pbjx-tests --bench mapping`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pbj::Schema;
use pbj::marshal::elastic::MappingBuilder;

/// The latest schema of every message of the gdbots and acme stores.
fn store_schemas() -> Vec<&'static Schema> {
    let mut schemas: Vec<&'static Schema> = pbjx_tests::registry()
        .entries()
        .map(|e| e.schema)
        .filter(|s| s.vendor == "gdbots" || s.vendor == "acme")
        .collect();
    schemas.sort_by_key(|s| s.id);
    schemas
}

/// Builds the mapping (JSON text) of every schema with one builder; returns the total bytes.
fn every_mapping(mut builder: MappingBuilder<'_>, schemas: &[&'static Schema]) -> usize {
    schemas
        .iter()
        .map(|schema| {
            builder.clear().add_schema(schema);
            black_box(builder.to_json()).len()
        })
        .sum()
}

fn mappings(c: &mut Criterion) {
    let registry = pbjx_tests::registry();
    let schemas = store_schemas();
    let default_bytes = every_mapping(MappingBuilder::new(registry), &schemas);
    let event_search_bytes = every_mapping(MappingBuilder::for_event_search(registry), &schemas);
    eprintln!(
        "{} schemas: {default_bytes} bytes of mappings (depth 4), {event_search_bytes} (event search)",
        schemas.len()
    );
    let mut group = c.benchmark_group("mapping_every_schema");
    group.sample_size(10);
    group.bench_function("default_depth_4", |b| {
        b.iter(|| every_mapping(MappingBuilder::new(registry), &schemas))
    });
    group.bench_function("event_search_depth_2", |b| {
        b.iter(|| every_mapping(MappingBuilder::for_event_search(registry), &schemas))
    });
    group.finish();
}

criterion_group!(benches, mappings);
criterion_main!(benches);
