//! Compiles the three reference stores (gdbots, acme, synthetic) with the pbjc build API.

use std::path::PathBuf;

fn main() {
    let shared = std::env::var_os("PBJ_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("..")
                .join("shared")
        });
    println!("cargo:rerun-if-env-changed=PBJ_SHARED_DIR");
    if !shared.is_dir() {
        panic!(
            "the reference folder {} is missing: clone the repository beside `shared/` or set PBJ_SHARED_DIR",
            shared.display()
        );
    }
    let result = pbjc::Config::new()
        .store(shared.join("schemas/gdbots-schemas"))
        .store(shared.join("schemas/acme-schemas"))
        .store(shared.join("interop/synthetic-store"))
        // The pbjx crate ships the core schemas; reuse its types instead of generating them again.
        .extern_path("gdbots:pbjx", "::pbjx::schemas::gdbots::pbjx")
        .extern_path("gdbots:contexts", "::pbjx::schemas::gdbots::contexts")
        .file_name("pbj_schemas.rs")
        // Compiled and tested in CI: the serde and schemars impls of every real message.
        .serde(true)
        .schemars(true)
        .compile();
    if let Err(e) = result {
        panic!("pbjc failed:\n{e}");
    }
}
