//! The Rust names generated for the real gdbots and acme stores are public API: this pins
//! every one of them (types, modules, statics, methods) in `golden/real_store_names.txt`, so a
//! change of the naming rules or of the pinned `heck` version cannot rename them unnoticed.
//!
//! `PBJC_BLESS=1 cargo test -p pbjc --test real_store_names` rewrites the list.

use std::collections::BTreeSet;

use pbjc::code_generator::{GenerateOptions, generate};

mod common;
use common::shared_dir;

/// Every identifier declared with `fn`, `struct`, `enum`, `trait`, `mod` or `static`, and
/// every enum variant.
fn declared_names(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_enum = false;
    for line in code.lines() {
        let trimmed = line.trim();
        if in_enum {
            if trimmed == "}" {
                in_enum = false;
            } else if let Some(variant) = trimmed.strip_suffix(',') {
                out.insert(variant.to_owned());
            }
            continue;
        }
        in_enum = trimmed.starts_with("pub enum ");
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            if ["fn", "struct", "enum", "trait", "mod", "static"].contains(&pair[0]) {
                let name: String = pair[1]
                    .trim_start_matches("r#")
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

#[test]
fn generated_names_of_the_real_stores_are_pinned() {
    let shared = shared_dir();
    let store = pbjc::load(&[
        shared.join("schemas/gdbots-schemas"),
        shared.join("schemas/acme-schemas"),
    ])
    .expect("the real stores load");
    let options = GenerateOptions {
        rustfmt: false,
        ..GenerateOptions::default()
    };
    let names = declared_names(&generate(&store, &options));
    let text: String = names.iter().map(|n| format!("{n}\n")).collect();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/real_store_names.txt");
    if std::env::var_os("PBJC_BLESS").is_some() {
        std::fs::write(&path, &text).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("golden file (bless with PBJC_BLESS=1)");
    let pinned: BTreeSet<String> = expected.lines().map(str::to_owned).collect();
    let gone: Vec<&String> = pinned.difference(&names).collect();
    let new: Vec<&String> = names.difference(&pinned).collect();
    assert!(
        gone.is_empty() && new.is_empty(),
        "generated names changed: gone {gone:?}, new {new:?} (rerun with PBJC_BLESS=1 if intended)"
    );
}
