//! Compiles the example store in the repository's top-level `schemas/` folder. It uses the
//! pbjx core mixins (command, event, request, response), whose types come from the pbjx crate.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let result = pbjc::Config::new()
        .store(root.join("schemas"))
        .store(root.join("pbjx/schemas"))
        .extern_path("gdbots:pbjx", "::pbjx::schemas::gdbots::pbjx")
        .extern_path("gdbots:contexts", "::pbjx::schemas::gdbots::contexts")
        .file_name("blog_schemas.rs")
        .compile();
    if let Err(e) = result {
        panic!("pbjc failed:\n{e}");
    }
}
