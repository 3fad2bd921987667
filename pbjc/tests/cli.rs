//! The `pbjc` binary: exit codes, help, output.
#![cfg(feature = "cli")]

use std::path::PathBuf;
use std::process::Command;

mod common;

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

/// `--store` arguments for the gdbots and acme stores.
fn real_stores() -> Vec<String> {
    let shared = common::shared_dir().join("schemas");
    ["gdbots-schemas", "acme-schemas"]
        .iter()
        .flat_map(|s| ["--store".to_owned(), shared.join(s).display().to_string()])
        .collect()
}

/// A fresh, empty output folder under cargo's per-target temp dir.
fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn with<'a>(base: &'a [String], extra: &[&'a str]) -> Vec<&'a str> {
    base.iter()
        .map(String::as_str)
        .chain(extra.iter().copied())
        .collect()
}

#[test]
fn check_real_stores_exits_0() {
    let stores = real_stores();
    let args = [&["check"][..], &with(&stores, &[])].concat();
    let (code, _, err) = pbjc(&args);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn compile_real_stores_writes_register() {
    let out = out_dir("real");
    let out_s = out.display().to_string();
    let stores = real_stores();
    let args = [&["compile"][..], &with(&stores, &["--out", &out_s])].concat();
    let (code, stdout, err) = pbjc(&args);
    assert_eq!(code, 0, "{err}");
    let file = out.join("pbj_schemas.rs");
    assert!(stdout.contains(&file.display().to_string()), "{stdout}");
    let code = std::fs::read_to_string(&file).expect("generated file");
    assert!(code.contains("pub fn register"));
    assert!(code.contains("pub mod gdbots") && code.contains("pub mod acme"));
}

#[test]
fn compile_options_file_extern_path_no_format() {
    let out = out_dir("options");
    let out_s = out.display().to_string();
    let stores = real_stores();
    let extra = [
        "--out",
        &out_s,
        "--file",
        "acme.rs",
        "--extern-path",
        "gdbots=::gdbots_schemas::gdbots",
        "--no-format",
    ];
    let args = [&["compile"][..], &with(&stores, &extra)].concat();
    let (code, _, err) = pbjc(&args);
    assert_eq!(code, 0, "{err}");
    let code = std::fs::read_to_string(out.join("acme.rs")).expect("generated file");
    assert!(code.contains("pub fn register"));
    assert!(code.contains("::gdbots_schemas::gdbots::"));
    assert!(!code.contains("pub mod gdbots"));
    assert!(!out.join("pbj_schemas.rs").exists());
}

#[test]
fn compile_pbj_path_serde_and_schemars_flags_reach_the_generator() {
    let out = out_dir("integrations");
    let out_s = out.display().to_string();
    let valid = fixture("valid");
    let args = [
        "compile",
        "--store",
        &valid,
        "--out",
        &out_s,
        "--pbj-path",
        "::pbjx::pbj",
        "--serde",
        "--schemars",
    ];
    let (code, _, err) = pbjc(&args);
    assert_eq!(code, 0, "{err}");
    let generated: String = std::fs::read_dir(&out)
        .expect("output folder")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("generated file"))
        .collect();
    assert!(
        generated.contains("::pbjx::pbj::Message"),
        "pbj path is used"
    );
    assert!(
        !generated.contains(" ::pbj::"),
        "no default pbj path is left"
    );
    assert!(generated.contains("Serialize for"), "serde impls");
    assert!(generated.contains("JsonSchema for"), "schemars impls");
    for flag in ["--serde", "--schemars", "--pbj-path=::x"] {
        let args = [
            "compile",
            "--lang",
            "json-schema",
            "--domain",
            "http://x",
            "--store",
            &valid,
            "--out",
            &out_s,
            flag,
        ];
        let (code, _, err) = pbjc(&args);
        assert_eq!(code, 2, "{flag}: {err}");
        assert!(err.contains("only applies to `--lang rust`"), "{err}");
    }
}

#[test]
fn compile_broken_store_exits_1_and_writes_nothing() {
    let out = out_dir("broken");
    let out_s = out.display().to_string();
    let store = fixture("many-errors");
    let (code, stdout, err) = pbjc(&["compile", "--store", &store, "--out", &out_s]);
    assert_eq!(code, 1, "{stdout}");
    assert!(err.contains("one/1-0-0.xml:6:37"), "{err}");
    assert!(err.contains("7 errors"), "{err}");
    assert!(!out.exists());
}

#[test]
fn compile_usage_errors_exit_2() {
    let valid = fixture("valid");
    let v = valid.as_str();
    for args in [
        &["compile"][..],
        &["compile", "--store", v],
        &["compile", "--out", "/tmp"],
        &["compile", "--store", v, "--out"],
        &[
            "compile",
            "--store",
            v,
            "--out",
            "/tmp",
            "--extern-path",
            "gdbots",
        ],
        &[
            "compile",
            "--store",
            v,
            "--out",
            "/tmp",
            "--extern-path",
            "=::x",
        ],
        &["compile", "--store", v, "--out", "/tmp", "--file", ""],
        &["compile", "--store", v, "--out", "/tmp", "--frobnicate"],
        &["check", "--store", v, "--no-format"],
        &["help", "frobnicate"],
    ] {
        let (code, _, err) = pbjc(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("--help"), "{args:?}: {err}");
    }
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
    for args in [&["compile", "--help"][..], &["help", "compile"]] {
        let (code, out, _) = pbjc(args);
        assert_eq!(code, 0);
        assert!(
            out.contains("pbjc compile") && out.contains("--extern-path"),
            "{out}"
        );
        assert!(
            out.contains("include!") && out.contains("vendor folders"),
            "{out}"
        );
    }
    let (_, out, _) = pbjc(&["--help"]);
    assert!(out.contains("compile") && out.contains("EXAMPLES"), "{out}");
    assert_eq!(pbjc(&[]).0, 2);
    assert_eq!(pbjc(&["frobnicate"]).0, 2);
    assert_eq!(pbjc(&["check"]).0, 2);
    assert_eq!(pbjc(&["check", "--store"]).0, 2);
    assert_eq!(pbjc(&["check", "--store", "/nonexistent/store"]).0, 1);
}

#[test]
fn version_and_suggestions() {
    let (code, out, _) = pbjc(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), format!("pbjc {}", env!("CARGO_PKG_VERSION")));
    let (code, _, err) = pbjc(&["chek", "--store", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("'check'"), "{err}");
    let (code, _, err) = pbjc(&["check", "--stor", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("--store"), "{err}");
}

#[test]
fn diagnostics_have_no_colour_codes_when_piped() {
    let (code, _, err) = pbjc(&["check", "--store", &fixture("many-errors")]);
    assert_eq!(code, 1);
    assert!(!err.contains('\x1b'), "{err:?}");
    // Every error, each followed by a blank line.
    assert_eq!(err.matches("\n\nerror: ").count(), 6, "{err}");
}

#[test]
fn compile_json_schema_writes_the_published_layout() {
    let out = out_dir("json-schema");
    let out_s = out.display().to_string();
    let gdbots = common::shared_dir().join("schemas/gdbots-schemas");
    let gdbots = gdbots.display().to_string();
    let args = [
        "compile",
        "--lang",
        "json-schema",
        "--domain",
        "http://schemas.gdbots.io",
        "--store",
        &gdbots,
        "--out",
        &out_s,
    ];
    let (code, stdout, err) = pbjc(&args);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("wrote 443 of 443 files"), "{stdout}");
    let published = common::shared_dir().join("interop/json-schema/gdbots");
    for file in [
        "gdbots/pbjx/envelope/latest.json",
        "gdbots/ncr/mixin/node/1-0-0.json",
    ] {
        let ours = std::fs::read_to_string(out.join(file)).expect("written");
        let theirs = std::fs::read_to_string(published.join(file)).expect("published");
        assert_eq!(ours, theirs, "{file}");
    }
    // A second run finds every file up to date.
    let (code, stdout, _) = pbjc(&args);
    assert_eq!(code, 0);
    assert!(stdout.contains("wrote 0 of 443 files"), "{stdout}");
}

#[test]
fn compile_json_schema_usage_errors_exit_2() {
    let valid = fixture("valid");
    let v = valid.as_str();
    let base = ["compile", "--store", v, "--out", "/tmp/never"];
    for extra in [
        &["--lang", "json-schema"][..],
        &["--lang", "json-schema", "--domain", "d", "--no-format"],
        &["--lang", "json-schema", "--domain", "d", "--file", "x.rs"],
        &[
            "--lang",
            "json-schema",
            "--domain",
            "d",
            "--extern-path",
            "a=b",
        ],
        &["--domain", "d"],
        &["--lang", "php"],
    ] {
        let args = [&base[..], extra].concat();
        let (code, _, err) = pbjc(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("--help"), "{args:?}: {err}");
    }
    assert!(!std::path::Path::new("/tmp/never").exists());
}

#[test]
fn docs_writes_the_catalogue() {
    let out = out_dir("docs");
    let out_s = out.display().to_string();
    let stores = real_stores();
    let args = [&["docs"][..], &with(&stores, &["--out", &out_s])].concat();
    let (code, stdout, err) = pbjc(&args);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("wrote 13 of 13 files"), "{stdout}");
    let summary = std::fs::read_to_string(out.join("SUMMARY.md")).expect("SUMMARY.md");
    assert!(summary.contains("- [acme:iam](acme/iam.md)"), "{summary}");
    let iam = std::fs::read_to_string(out.join("acme/iam.md")).expect("acme/iam.md");
    assert!(iam.contains("```mermaid\nclassDiagram\n"));
    let (code, _, _) = pbjc(&["docs", "--store", &fixture("many-errors"), "--out", &out_s]);
    assert_eq!(code, 1);
}
