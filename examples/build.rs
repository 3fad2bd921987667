//! Compiles the example store in the repository's top-level `schemas/` folder.

fn main() {
    let store = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    if let Err(e) = pbjc::Config::new().store(store).file_name("blog_schemas.rs").compile() {
        panic!("pbjc failed:\n{e}");
    }
}
