//! The `pbjc` binary: exit codes, help, output.

use std::path::PathBuf;
use std::process::Command;

fn pbjc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pbjc"))
        .args(args)
        .output()
        .expect("run pbjc");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn check_valid_store_exits_0() {
    let (code, _, err) = pbjc(&["check", "--store", &fixture("valid")]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 errors, 0 warnings"), "{err}");
}

#[test]
fn check_broken_store_exits_1_with_diagnostics() {
    let (code, _, err) = pbjc(&["check", "--store", &fixture("many-errors")]);
    assert_eq!(code, 1);
    assert!(err.contains("error: unknown format `phone`"), "{err}");
    assert!(err.contains("one/1-0-0.xml:6:37"), "{err}");
    assert!(err.contains("7 errors, 0 warnings"), "{err}");
}

#[test]
fn check_real_stores_exits_0() {
    let shared = PathBuf::from("/work/shared/schemas");
    if !shared.is_dir() {
        return;
    }
    let g = shared.join("gdbots-schemas").display().to_string();
    let a = shared.join("acme-schemas").display().to_string();
    let (code, _, err) = pbjc(&["check", "--store", &g, "--store", &a]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn help_and_usage_errors() {
    let (code, out, _) = pbjc(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("vendor folders") && out.contains("--store"),
        "{out}"
    );
    let (code, out, _) = pbjc(&["check", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("pbjc check"));
    assert_eq!(pbjc(&[]).0, 2);
    assert_eq!(pbjc(&["frobnicate"]).0, 2);
    assert_eq!(pbjc(&["check"]).0, 2);
    assert_eq!(pbjc(&["check", "--store"]).0, 2);
    assert_eq!(pbjc(&["check", "--store", "/nonexistent/store"]).0, 1);
}
