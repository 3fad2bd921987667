//! The Markdown catalogue: golden output for a small store, and every relative link of the
//! real stores' catalogues resolves to a page and a heading.
//!
//! `PBJC_BLESS=1 cargo test -p pbjc --test docs` rewrites `golden/docs/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;

fn pages(stores: &[PathBuf]) -> BTreeMap<String, String> {
    let store = pbjc::load(stores).expect("valid store");
    pbjc::docs::generate(&store)
        .into_iter()
        .map(|f| (common::slash_path(&f.path), f.contents))
        .collect()
}

#[test]
fn catalogue_of_the_fixture_store_is_golden() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let ours = pages(&[root.join("fixtures/catalogue")]);
    let golden_dir = root.join("golden/docs");
    if std::env::var_os("PBJC_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&golden_dir);
        for (path, text) in &ours {
            let file = golden_dir.join(path);
            std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
            std::fs::write(file, text).expect("write golden");
        }
    }
    let names: Vec<&str> = ours.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["README.md", "SUMMARY.md", "acme/blog.md", "acme/core.md"]
    );
    for (path, text) in &ours {
        let golden = std::fs::read_to_string(golden_dir.join(path))
            .unwrap_or_else(|e| panic!("golden/docs/{path}: {e}"));
        assert_eq!(text, &golden, "golden/docs/{path} differs");
    }
}

/// The anchors GitHub gives the headings of a Markdown page (outside code fences): lowercase,
/// punctuation dropped, spaces to `-`, repeats suffixed `-1`, `-2`, …
fn github_anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        if fenced {
            continue;
        }
        let heading = heading.trim_start_matches('#').trim();
        let slug: String = heading
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let n = seen.entry(slug.clone()).or_insert(0);
        out.insert(if *n == 0 {
            slug.clone()
        } else {
            format!("{slug}-{n}")
        });
        *n += 1;
    }
    out
}

/// Every `](target)` link of a page, outside code fences.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        for (i, _) in line.match_indices("](") {
            let rest = &line[i + 2..];
            if let Some(end) = rest.find(')') {
                out.push(rest[..end].to_owned());
            }
        }
    }
    out
}

/// `dir/../x` and `dir/x` normalised to a catalogue path.
fn resolve(page: &str, target: &str) -> String {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for p in target.split('/') {
        match p {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn assert_links_resolve(pages: &BTreeMap<String, String>) -> usize {
    let anchors: BTreeMap<&str, BTreeSet<String>> = pages
        .iter()
        .map(|(p, t)| (p.as_str(), github_anchors(t)))
        .collect();
    let mut checked = 0;
    let mut broken = Vec::new();
    for (page, text) in pages {
        for link in links(text) {
            assert!(
                !link.contains("://") && !link.starts_with('/'),
                "{page}: not relative: {link}"
            );
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                resolve(page, file)
            };
            match anchors.get(target.as_str()) {
                None => broken.push(format!("{page}: {link}: no page {target}")),
                Some(a) if !anchor.is_empty() && !a.contains(anchor) => {
                    broken.push(format!("{page}: {link}: no heading #{anchor} in {target}"))
                }
                Some(_) => {}
            }
            checked += 1;
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    checked
}

#[test]
fn every_link_of_the_real_catalogues_resolves() {
    let shared = common::shared_dir().join("schemas");
    let gdbots = pages(&[shared.join("gdbots-schemas")]);
    let both = pages(&[shared.join("gdbots-schemas"), shared.join("acme-schemas")]);
    assert_eq!(gdbots.len(), 2 + 9, "index, summary, 9 gdbots packages");
    assert_eq!(both.len(), 2 + 9 + 2, "plus 2 acme packages");
    for catalogue in [&gdbots, &both] {
        // Every package page is in the mdBook table of contents.
        let summary = links(&catalogue["SUMMARY.md"]);
        for page in catalogue.keys().filter(|p| p.contains('/')) {
            assert!(summary.contains(page), "{page} missing from SUMMARY.md");
        }
        let checked = assert_links_resolve(catalogue);
        assert!(checked > 1000, "only {checked} links");
    }
    // Every message and mixin has its heading; every enum too.
    let ncr = &both["gdbots/ncr.md"];
    assert!(ncr.contains("\n### mixin node v1\n"));
    assert!(ncr.contains("\n### enum node-status\n"));
    assert!(both["acme/iam.md"].contains("(../gdbots/ncr.md#mixin-node-v1)"));
}

#[test]
fn the_link_checker_catches_broken_links() {
    let mut pages = BTreeMap::new();
    pages.insert("README.md".to_owned(), "# A\n[x](b/c.md#nope)\n".to_owned());
    pages.insert("b/c.md".to_owned(), "# C\n### yes v1\n".to_owned());
    let caught = std::panic::catch_unwind(|| assert_links_resolve(&pages));
    assert!(caught.is_err());
    pages.insert(
        "README.md".to_owned(),
        "# A\n[x](b/c.md#yes-v1)\n".to_owned(),
    );
    assert_eq!(assert_links_resolve(&pages), 1);
}
