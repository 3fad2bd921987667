//! `pbjc::Config` behaviour that does not need the XML loader.

use pbjc::Config;
use pbjc::model::Store;

#[test]
fn generate_uses_options() {
    let mut config = Config::new();
    config
        .extern_path("gdbots:pbjx", "::pbjx::schemas::gdbots::pbjx")
        .format(false);
    assert_eq!(config.options().extern_paths.len(), 1);
    assert!(!config.options().rustfmt);
    let code = config.generate(&Store::default());
    assert!(code.contains("pub fn register(_registry: &mut pbj::Registry)"));
}

#[test]
fn compile_reports_errors() {
    let dir = std::env::temp_dir().join(format!("pbjc-config-test-{}", std::process::id()));
    let err = Config::new()
        .store(&dir)
        .out_dir(&dir)
        .file_name("x.rs")
        .compile()
        .expect_err("the loader is not wired yet / the store is missing");
    assert!(matches!(err, pbjc::config::Error::Load(_)), "{err}");
}
