//! A Markdown catalogue of a store: one page per package, an index, an mdBook table of
//! contents.
//!
//! Files: `README.md` (the index: packages, every message and mixin), `SUMMARY.md` (an mdBook
//! table of contents, one part per vendor) and `{vendor}/{package}.md` per package: a Mermaid
//! class diagram (mixins → messages), then every message and mixin of the package (newest
//! version of each major: schema id, versions, mixins, fields with type, rule, required,
//! limits, default, enum values and description) and every enum. Links are relative and
//! anchors are the ones GitHub and mdBook both derive from the headings, so the folder reads
//! on GitHub and builds with mdBook unchanged.
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("pbjc-doc-docs-{}", std::process::id()));
//! # let store_dir = dir.join("store/acme/blog/command/publish");
//! # std::fs::create_dir_all(&store_dir).unwrap();
//! # std::fs::write(store_dir.join("1-0-0.xml"), r#"<?xml version="1.0"?>
//! # <pbj-schema xmlns="http://gdbots.io/pbj/xsd"><schema id="pbj:acme:blog:command:publish:1-0-0">
//! #   <fields><field name="title" type="string" max="100" required="true"/></fields>
//! # </schema></pbj-schema>"#).unwrap();
//! let store = pbjc::load(&[dir.join("store")]).expect("valid store");
//! let pages = pbjc::docs::generate(&store);
//! let paths: Vec<String> = pages.iter().map(|p| p.path.display().to_string()).collect();
//! assert_eq!(paths, ["README.md", "SUMMARY.md", "acme/blog.md"]);
//! let blog = &pages[2].contents;
//! assert!(blog.contains("### command publish v1"));
//! assert!(blog.contains("| `title` |"));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod anchor;
mod diagram;
mod index;
mod markdown;
mod package;

use std::collections::BTreeMap;
use std::path::PathBuf;

use pbj::SchemaVersion;

use crate::model::{EnumDecl, FieldDecl, SchemaDecl, Store};
use crate::output::OutputFile;
use crate::validate::Index;

/// The pages of the catalogue of `store`, sorted by path.
pub fn generate(store: &Store) -> Vec<OutputFile> {
    let catalogue = Catalogue::new(store);
    let mut files = vec![
        page("README.md", index::readme(&catalogue)),
        page("SUMMARY.md", index::summary(&catalogue)),
    ];
    for p in catalogue.packages.values() {
        files.push(page(&p.path, package::render(&catalogue, p)));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn page(path: &str, contents: String) -> OutputFile {
    OutputFile {
        path: PathBuf::from(path),
        contents,
    }
}

/// Where a message, mixin or enum is described: its page and heading.
#[derive(Debug, Clone)]
struct Target {
    page: String,
    anchor: String,
}

/// One package: its page and what it holds.
#[derive(Debug)]
struct Package<'a> {
    /// `vendor:package`.
    namespace: String,
    /// `vendor/package.md`.
    path: String,
    messages: Vec<&'a SchemaDecl>,
    mixins: Vec<&'a SchemaDecl>,
    enums: Vec<&'a EnumDecl>,
}

/// Section headings of a package page, before its messages, mixins and enums.
const DIAGRAM: &str = "Diagram";
const MESSAGES: &str = "Messages";
const MIXINS: &str = "Mixins";
const ENUMS: &str = "Enums";

/// Every package, and where each curie major and enum is described.
struct Catalogue<'a> {
    store: &'a Store,
    /// Reference lookups (newest version of a curie or curie major).
    index: Index<'a>,
    /// The messages (curie majors) that list each mixin (curie major).
    users: BTreeMap<String, Vec<String>>,
    /// Every version of each curie major, in order.
    versions: BTreeMap<String, Vec<SchemaVersion>>,
    packages: BTreeMap<String, Package<'a>>,
    /// By curie major and by enum id.
    targets: BTreeMap<String, Target>,
}

impl<'a> Catalogue<'a> {
    fn new(store: &'a Store) -> Self {
        let latest = store.latest();
        let mut versions: BTreeMap<String, Vec<SchemaVersion>> = BTreeMap::new();
        for s in store.schemas.values() {
            versions
                .entry(s.curie_major())
                .or_default()
                .push(s.id.version());
        }
        versions.values_mut().for_each(|v| v.sort());
        let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in &latest {
            for m in &s.mixins {
                users.entry(m.clone()).or_default().push(s.curie_major());
            }
        }
        // Per namespace: messages, mixins, enums.
        type Parts<'a> = (Vec<&'a SchemaDecl>, Vec<&'a SchemaDecl>, Vec<&'a EnumDecl>);
        let mut by_ns: BTreeMap<String, Parts<'a>> = BTreeMap::new();
        for s in latest {
            let slot = by_ns
                .entry(format!("{}:{}", s.id.vendor(), s.id.package()))
                .or_default();
            if s.is_mixin { &mut slot.1 } else { &mut slot.0 }.push(s);
        }
        for e in store.enums.values() {
            by_ns
                .entry(format!("{}:{}", e.vendor, e.package))
                .or_default()
                .2
                .push(e);
        }
        let mut packages = BTreeMap::new();
        let mut targets = BTreeMap::new();
        for (namespace, (messages, mixins, enums)) in by_ns {
            let path = namespace.replacen(':', "/", 1) + ".md";
            let mut anchors = anchor::PageAnchors::default();
            anchors.add(DIAGRAM);
            let mut add = |key: String, heading: String, anchors: &mut anchor::PageAnchors| {
                let anchor = anchors.add(&heading);
                targets.insert(
                    key,
                    Target {
                        page: path.clone(),
                        anchor,
                    },
                );
            };
            for (section, list) in [(MESSAGES, &messages), (MIXINS, &mixins)] {
                if !list.is_empty() {
                    anchors.add(section);
                }
                for s in list {
                    add(s.curie_major(), schema_heading(s), &mut anchors);
                }
            }
            if !enums.is_empty() {
                anchors.add(ENUMS);
            }
            for e in &enums {
                add(e.id.clone(), format!("enum {}", e.name), &mut anchors);
            }
            packages.insert(
                namespace.clone(),
                Package {
                    namespace,
                    path,
                    messages,
                    mixins,
                    enums,
                },
            );
        }
        Self {
            store,
            index: Index::new(store),
            users,
            versions,
            packages,
            targets,
        }
    }

    /// A link from `page` to the description of `key` (a curie major, a curie or an enum id),
    /// with `text`; plain code text when the target is not in the catalogue.
    fn link(&self, page: &str, key: &str, text: &str) -> String {
        let resolved = self.index.resolve(key).map(SchemaDecl::curie_major);
        let target = self
            .targets
            .get(key)
            .or_else(|| resolved.and_then(|k| self.targets.get(&k)));
        match target {
            Some(t) => {
                // Same page: the anchor alone.
                let file = if t.page == page {
                    String::new()
                } else {
                    anchor::relative(page, &t.page)
                };
                markdown::link(&markdown::code(text), &format!("{file}#{}", t.anchor))
            }
            None => markdown::code(text),
        }
    }
}

impl<'a> Catalogue<'a> {
    /// The wire fields of message `s`, each with the direct mixin it comes from (`None`: its
    /// own): each mixin's own fields in `<mixins>` order, then its own fields; a repeated name
    /// keeps its first position and takes the last definition (as [`Store::resolve_fields`]).
    fn wire_fields(&self, s: &'a SchemaDecl) -> Vec<(&'a FieldDecl, Option<&'a SchemaDecl>)> {
        let mixins = s.mixins.iter().filter_map(|m| self.index.resolve(m));
        let sources = mixins.map(Some).chain([None]);
        let mut out: Vec<(&FieldDecl, Option<&SchemaDecl>)> = Vec::new();
        for source in sources {
            let fields = source.map_or(&s.fields, |m| &m.fields);
            for f in fields {
                match out.iter_mut().find(|(e, _)| e.name == f.name) {
                    Some(slot) => *slot = (f, source),
                    None => out.push((f, source)),
                }
            }
        }
        out
    }
}

/// The heading of a message or mixin: category, message and major, e.g. `command
/// create-node v1` (`envelope v1` without a category).
fn schema_heading(s: &SchemaDecl) -> String {
    let mut words: Vec<String> = s.id.category().map(str::to_owned).into_iter().collect();
    words.push(s.id.message().to_owned());
    words.push(format!("v{}", s.id.version().major));
    words.join(" ")
}
