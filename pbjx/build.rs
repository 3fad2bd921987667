//! Compiles the pbjx core schemas (`gdbots:pbjx`, `gdbots:contexts`) from `schemas/`, and
//! publishes that folder to the build scripts of crates depending on pbjx as
//! `DEP_PBJX_SCHEMAS`, so an app compiles its own store against it without a copy:
//! `pbjc::Config::new().store("schemas").extern_store(env::var_os("DEP_PBJX_SCHEMAS")?, "::pbjx::schemas")`.

fn main() {
    let store = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    println!("cargo::metadata=schemas={}", store.display());
    let feature = |name: &str| std::env::var_os(format!("CARGO_FEATURE_{name}")).is_some();
    if let Err(e) = pbjc::Config::new()
        .store(store)
        .file_name("pbjx_schemas.rs")
        .serde(feature("SERDE"))
        .schemars(feature("SCHEMARS"))
        .compile()
    {
        panic!("pbjc failed:\n{e}");
    }
}
