//! `pbjc::Config` behaviour: options, extern stores, the written files.

use std::path::Path;

use pbjc::Config;
use pbjc::model::Store;

#[test]
fn generate_uses_options() {
    let mut config = Config::new();
    config
        .extern_path("gdbots:pbjx", "::pbjx::schemas::gdbots::pbjx")
        .format(false)
        .pbj_path("::pbjx::pbj")
        .serde(true)
        .schemars(true);
    let options = config.options();
    assert_eq!(options.extern_paths.len(), 1);
    assert!(!options.rustfmt && options.serde && options.schemars);
    assert_eq!(options.pbj_path, "::pbjx::pbj");
    let code = config.generate(&Store::default());
    assert!(code.contains("pub fn register(_registry: &mut ::pbjx::pbj::Registry)"));
}

#[test]
fn compile_reports_errors() {
    let dir = std::env::temp_dir().join(format!("pbjc-config-test-{}", std::process::id()));
    let err = Config::new()
        .store(&dir)
        .out_dir(&dir)
        .file_name("x.rs")
        .compile()
        .expect_err("the store is missing");
    assert!(matches!(err, pbjc::config::Error::Load(_)), "{err}");
}

#[test]
fn extern_store_reuses_every_package_and_compile_writes_one_file_per_package() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::env::temp_dir().join(format!("pbjc-config-split-{}", std::process::id()));
    let mut config = Config::new();
    config
        .store(repo.join("schemas"))
        .extern_store(repo.join("pbjx/schemas"), "::pbjx::schemas")
        .out_dir(&out)
        .file_name("blog.rs")
        .format(false);
    assert_eq!(
        config.options().extern_paths,
        [
            (
                "gdbots:contexts".to_owned(),
                "::pbjx::schemas::gdbots::contexts".to_owned()
            ),
            (
                "gdbots:pbjx".to_owned(),
                "::pbjx::schemas::gdbots::pbjx".to_owned()
            ),
        ]
    );
    let entry = config.compile().expect("the example store compiles");
    assert_eq!(entry, out.join("blog.rs"));
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .expect("out dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, ["acme.blog.rs", "blog.rs"]);
    let code = std::fs::read_to_string(&entry).expect("entry file");
    assert!(code.contains("include!(\"acme.blog.rs\");"), "{code}");
    assert!(code.contains("::pbjx::schemas::gdbots::pbjx::register(&mut registry);"));
    assert!(code.contains("::pbjx::schemas::gdbots::contexts::register(&mut registry);"));
    let package = std::fs::read_to_string(out.join("acme.blog.rs")).expect("package file");
    assert!(package.contains("pub struct PublishArticleV1("));
    assert!(
        !package.contains("pub mod pbjx"),
        "extern packages are not generated"
    );
    std::fs::remove_dir_all(&out).expect("clean up");
}
