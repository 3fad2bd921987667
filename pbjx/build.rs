//! Compiles the pbjx core schemas (`gdbots:pbjx`, `gdbots:contexts`) from `schemas/`.

fn main() {
    let store = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    if let Err(e) = pbjc::Config::new()
        .store(store)
        .file_name("pbjx_schemas.rs")
        .compile()
    {
        panic!("pbjc failed:\n{e}");
    }
}
