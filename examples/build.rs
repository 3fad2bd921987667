//! Compiles the example store in the repository's top-level `schemas/` folder. It uses the
//! pbjx core mixins (command, event, request, response): pbjx hands its store folder to this
//! script as `DEP_PBJX_SCHEMAS`, and `extern_store` reuses pbjx's generated types for it.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let Some(pbjx_store) = std::env::var_os("DEP_PBJX_SCHEMAS") else {
        panic!("DEP_PBJX_SCHEMAS is not set: pbjx must be a dependency of this crate");
    };
    let result = pbjc::Config::new()
        .store(root.join("schemas"))
        .extern_store(pbjx_store, "::pbjx::schemas")
        .file_name("blog_schemas.rs")
        .serde(true)
        .compile();
    if let Err(e) = result {
        panic!("pbjc failed:\n{e}");
    }
}
