//! `pbjc compile` of the gdbots and acme stores, in stages: load+validate, then generation
//! with and without rustfmt, JSON Schema and the Markdown catalogue. Target: the whole compile
//! under 1 s in release.
//!
//! Run: `cargo bench -p pbjc --bench compile` (the stores come from `$PBJ_SHARED_DIR`, else
//! `shared/` beside the repository).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pbjc::code_generator::{GenerateOptions, generate};

/// The gdbots and acme store folders.
fn stores() -> [PathBuf; 2] {
    let shared = std::env::var_os("PBJ_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    assert!(
        shared.join("schemas").is_dir(),
        "{} is missing (set PBJ_SHARED_DIR)",
        shared.display()
    );
    [
        shared.join("schemas/gdbots-schemas"),
        shared.join("schemas/acme-schemas"),
    ]
}

fn bench(c: &mut Criterion) {
    let stores = stores();
    let mut group = c.benchmark_group("gdbots+acme");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(12));

    group.bench_function("load+validate", |b| {
        b.iter(|| pbjc::load(black_box(&stores)).expect("stores are valid"))
    });

    let store = pbjc::load(&stores).expect("stores are valid");
    let plain = GenerateOptions {
        rustfmt: false,
        ..GenerateOptions::default()
    };
    group.bench_function("generate (no rustfmt)", |b| {
        b.iter(|| generate(black_box(&store), &plain))
    });
    group.bench_function("load+validate+generate (no rustfmt)", |b| {
        b.iter(|| generate(&pbjc::load(black_box(&stores)).expect("valid"), &plain))
    });
    group.bench_function("load+validate+generate+rustfmt", |b| {
        b.iter(|| {
            generate(
                &pbjc::load(black_box(&stores)).expect("valid"),
                &GenerateOptions::default(),
            )
        })
    });
    group.bench_function("json-schema (all versions)", |b| {
        b.iter(|| pbjc::json_schema::generate(black_box(&store), "http://schemas.gdbots.io"))
    });
    group.bench_function("docs (catalogue)", |b| {
        b.iter(|| pbjc::docs::generate(black_box(&store)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
