//! Store loading: finds the XML files of one or more stores, parses them, merges them into one
//! [`Store`], checks file layout and `latest.xml`, then runs [`crate::validate`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsStr;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::{EnumDecl, FieldDecl, Location, SchemaDecl, Store};
use crate::parser::{ParsedSchema, SchemaSpans, parse_enums, parse_schema};

/// Everything a load produced: the store (possibly incomplete when there are errors), every
/// diagnostic, and the inputs that were read.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The merged store.
    pub store: Store,
    /// Errors and warnings, sorted by location.
    pub diagnostics: Diagnostics,
    /// Every XML file read, sorted (for `cargo:rerun-if-changed`).
    pub files: Vec<PathBuf>,
    /// Every directory scanned, including the store roots (a new file changes its directory).
    pub dirs: Vec<PathBuf>,
    /// Source positions of each schema's parts, by schema id string.
    pub spans: BTreeMap<String, SchemaSpans>,
}

impl Loaded {
    /// The store when there is no error, else every diagnostic (warnings included).
    pub fn into_result(self) -> Result<Store, Diagnostics> {
        if self.diagnostics.has_errors() {
            Err(self.diagnostics)
        } else {
            Ok(self.store)
        }
    }
}

/// Loads and validates stores (each a folder holding vendor folders, e.g. `schemas/` with
/// `acme/` inside). Returns the store, or every diagnostic when at least one is an error.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("pbjc-doc-load-{}", std::process::id()));
/// # let store_dir = dir.join("schemas/acme/blog/command/publish");
/// # std::fs::create_dir_all(&store_dir).unwrap();
/// # let schemas = dir.join("schemas");
/// // Two mistakes in one file: both are reported, each with file:line:col.
/// std::fs::write(
///     store_dir.join("1-0-0.xml"),
///     r#"<pbj-schema xmlns="http://gdbots.io/pbj/xsd">
///   <schema id="pbj:acme:blog:command:publish:1-0-0">
///     <fields>
///       <field name="title" type="strin"/>
///       <field name="rank" type="int" min="9" max="1"/>
///     </fields>
///   </schema>
/// </pbj-schema>"#,
/// )?;
/// let diagnostics = pbjc::load(&[&schemas]).expect_err("two errors");
/// assert_eq!(diagnostics.error_count(), 2);
/// let text = diagnostics.to_string();
/// assert!(text.contains("error: unknown field type `strin`"));
/// assert!(text.contains("publish/1-0-0.xml:4:27"));
/// assert!(text.contains("error: min 9 is greater than max 1"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn load(stores: &[impl AsRef<Path>]) -> Result<Store, Diagnostics> {
    load_all(stores).into_result()
}

/// Loads and validates stores, returning the store together with all diagnostics (warnings
/// included) and the files and folders read (for `cargo:rerun-if-changed`).
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("pbjc-doc-load-all-{}", std::process::id()));
/// # let store_dir = dir.join("schemas/acme/blog/mixin/old");
/// # std::fs::create_dir_all(&store_dir).unwrap();
/// # std::fs::write(store_dir.join("1-0-0.xml"), r#"<pbj-schema xmlns="http://gdbots.io/pbj/xsd">
/// #   <schema id="pbj:acme:blog:mixin:old:1-0-0" mixin="true" deprecated="true"/></pbj-schema>"#).unwrap();
/// # let schemas = dir.join("schemas");
/// let loaded = pbjc::load_all(&[&schemas]);
/// assert!(!loaded.diagnostics.has_errors());
/// assert_eq!(loaded.files.len(), 1);
/// assert!(loaded.store.schemas.contains_key("pbj:acme:blog:mixin:old:1-0-0"));
/// let store = loaded.into_result().expect("no errors");
/// assert_eq!(store.latest().len(), 1);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn load_all(stores: &[impl AsRef<Path>]) -> Loaded {
    let mut out = Loaded::default();
    let mut diags = Diagnostics::new();
    let mut files = Vec::new();
    for root in stores {
        let root = root.as_ref();
        if !root.is_dir() {
            diags.push(
                Diagnostic::error(format!("store directory `{}` does not exist", root.display()), None)
                    .with_label("a store is a folder holding vendor folders, e.g. `schemas/` containing `acme/`"),
            );
            continue;
        }
        walk(root, 0, &mut files, &mut out.dirs, &mut diags);
    }
    files.sort();
    files.dedup();

    let mut texts: HashMap<PathBuf, Arc<str>> = HashMap::new();
    let mut schemas: Vec<(PathBuf, ParsedSchema)> = Vec::new();
    let mut enums: Vec<EnumDecl> = Vec::new();
    for file in &files {
        let text: Arc<str> = match fs::read(file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(s) => Arc::from(s),
                Err(_) => {
                    diags.push(Diagnostic::error(
                        "file is not valid UTF-8",
                        Some(Location {
                            file: file.clone(),
                            line: 1,
                            column: 1,
                        }),
                    ));
                    continue;
                }
            },
            Err(e) => {
                diags.push(Diagnostic::error(
                    format!("cannot read file: {e}"),
                    Some(Location {
                        file: file.clone(),
                        line: 1,
                        column: 1,
                    }),
                ));
                continue;
            }
        };
        texts.insert(file.clone(), text.clone());
        if file.file_name() == Some(OsStr::new("enums.xml")) {
            if let Some(parsed) = parse_enums(file, &text, &mut diags) {
                if let (Some(ns), Some(loc)) = (&parsed.namespace, parsed.namespace_location) {
                    check_enums_dir(file, ns, loc, &mut diags);
                }
                enums.extend(parsed.enums);
            }
        } else if let Some(parsed) = parse_schema(file, &text, &mut diags) {
            check_schema_path(file, &parsed, &mut diags);
            schemas.push((file.clone(), parsed));
        }
    }

    merge_enums(enums, &mut out.store, &mut diags);
    merge_schemas(schemas, &mut out.store, &mut out.spans, &mut diags);
    crate::validate::validate(&out.store, &out.spans, &mut diags);

    diags.sort();
    let mut wanted: BTreeSet<PathBuf> = BTreeSet::new();
    for d in diags.iter() {
        wanted.extend(d.location.iter().map(|l| l.file.clone()));
        wanted.extend(d.note.iter().map(|(l, _)| l.file.clone()));
    }
    for f in wanted {
        if let Some(t) = texts.get(&f) {
            diags.add_source(f, t.clone());
        }
    }
    out.diagnostics = diags;
    out.files = files;
    out.dirs.sort();
    out
}

fn walk(
    dir: &Path,
    depth: usize,
    files: &mut Vec<PathBuf>,
    dirs: &mut Vec<PathBuf>,
    diags: &mut Diagnostics,
) {
    if depth > 32 {
        diags.push(Diagnostic::error(
            format!("directory `{}` is nested too deeply", dir.display()),
            None,
        ));
        return;
    }
    dirs.push(dir.to_path_buf());
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::error(
                format!("cannot read directory `{}`: {e}", dir.display()),
                None,
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, depth + 1, files, dirs, diags);
        } else if p.extension() == Some(OsStr::new("xml")) {
            files.push(p);
        }
    }
}

/// The last `n` normal components of the file's directory.
fn dir_suffix(file: &Path, n: usize) -> Vec<String> {
    let comps: Vec<String> = file
        .parent()
        .map(|d| {
            d.components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    comps[comps.len().saturating_sub(n)..].to_vec()
}

fn check_enums_dir(file: &Path, ns: &str, loc: Location, diags: &mut Diagnostics) {
    let expected: Vec<String> = ns.split(':').map(str::to_owned).collect();
    if dir_suffix(file, expected.len()) != expected {
        diags.push(
            Diagnostic::error(
                format!("invalid enums xml directory for namespace `{ns}`"),
                Some(loc),
            )
            .with_label(format!(
                "expected the file in a `{}` directory",
                expected.join("/")
            )),
        );
    }
}

fn check_schema_path(file: &Path, parsed: &ParsedSchema, diags: &mut Diagnostics) {
    let id = &parsed.decl.id;
    let mut expected = vec![id.vendor().to_owned(), id.package().to_owned()];
    expected.extend(id.category().map(str::to_owned));
    expected.push(id.message().to_owned());
    if dir_suffix(file, expected.len()) != expected {
        diags.push(
            Diagnostic::error(
                format!("invalid schema xml directory for `{id}`"),
                Some(parsed.spans.id.clone()),
            )
            .with_label(format!(
                "expected the file in a `{}` directory",
                expected.join("/")
            )),
        );
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let version_name = format!("{}.xml", id.version());
    if name != "latest.xml" && name != version_name {
        diags.push(
            Diagnostic::error(
                format!("invalid schema xml file name `{name}` for `{id}`"),
                Some(parsed.spans.id.clone()),
            )
            .with_label(format!("expected `{version_name}` or `latest.xml`")),
        );
    }
}

fn merge_enums(enums: Vec<EnumDecl>, store: &mut Store, diags: &mut Diagnostics) {
    for e in enums {
        match store.enums.get(&e.id) {
            Some(prev) => {
                let same = EnumDecl {
                    location: prev.location.clone(),
                    ..e.clone()
                } == *prev;
                if !same {
                    diags.push(
                        Diagnostic::error(
                            format!("enum `{}` is defined twice with different content", e.id),
                            Some(e.location.clone()),
                        )
                        .with_label("second definition")
                        .with_note(prev.location.clone(), "first definition"),
                    );
                }
            }
            None => {
                store.enums.insert(e.id.clone(), e);
            }
        }
    }
}

/// A schema with every location blanked, for content comparison.
fn content(decl: &SchemaDecl) -> SchemaDecl {
    SchemaDecl {
        location: Location::default(),
        from_latest_xml: false,
        fields: decl
            .fields
            .iter()
            .map(|f| FieldDecl {
                location: Location::default(),
                ..f.clone()
            })
            .collect(),
        ..decl.clone()
    }
}

fn merge_schemas(
    schemas: Vec<(PathBuf, ParsedSchema)>,
    store: &mut Store,
    spans: &mut BTreeMap<String, SchemaSpans>,
    diags: &mut Diagnostics,
) {
    // id -> (version-file entries, latest.xml entries)
    let mut by_id: BTreeMap<String, (Vec<ParsedSchema>, Vec<ParsedSchema>)> = BTreeMap::new();
    for (_, p) in schemas {
        let slot = by_id.entry(p.decl.id.to_string()).or_default();
        if p.decl.from_latest_xml {
            slot.1.push(p)
        } else {
            slot.0.push(p)
        }
    }
    let mut latest_files: Vec<String> = Vec::new();
    for (id, (versions, latests)) in by_id {
        // Same id in several stores (or several latest.xml): the first wins, content must match.
        let mut check_dupes = |list: &[ParsedSchema], what: &str| {
            if let Some((first, rest)) = list.split_first() {
                for other in rest {
                    if content(&other.decl) != content(&first.decl) {
                        diags.push(
                            Diagnostic::error(
                                format!(
                                    "schema `{id}` is defined twice with different content ({what})"
                                ),
                                Some(other.decl.location.clone()),
                            )
                            .with_label("second definition")
                            .with_note(first.decl.location.clone(), "first definition"),
                        );
                    }
                }
            }
        };
        check_dupes(&versions, "version files");
        check_dupes(&latests, "latest.xml files");
        let version = versions.into_iter().next();
        let latest = latests.into_iter().next();
        let kept = match (version, latest) {
            (Some(v), Some(l)) => {
                if content(&v.decl) != content(&l.decl) {
                    diags.push(
                        Diagnostic::error(
                            format!(
                                "latest.xml and {}.xml both declare `{id}` but differ",
                                v.decl.id.version()
                            ),
                            Some(l.decl.location.clone()),
                        )
                        .with_label("latest.xml must be a byte-for-byte copy of its version file")
                        .with_note(v.decl.location.clone(), "version file"),
                    );
                }
                latest_files.push(id.clone());
                l
            }
            (Some(v), None) => v,
            (None, Some(l)) => {
                diags.push(
                    Diagnostic::warning(
                        format!(
                            "latest.xml declares `{id}` but there is no {}.xml",
                            l.decl.id.version()
                        ),
                        Some(l.spans.id.clone()),
                    )
                    .with_label("the PHP pbjc would create the version file; add it to the store"),
                );
                latest_files.push(id.clone());
                l
            }
            (None, None) => continue,
        };
        spans.insert(id.clone(), kept.spans);
        store.schemas.insert(id, kept.decl);
    }
    // latest.xml must hold the newest version of its curie.
    let mut newest: HashMap<String, &SchemaDecl> = HashMap::new();
    for s in store.schemas.values() {
        let e = newest.entry(s.curie()).or_insert(s);
        if s.id.version() > e.id.version() {
            *e = s;
        }
    }
    for id in latest_files {
        let Some(l) = store.schemas.get(&id) else {
            continue;
        };
        if let Some(n) = newest.get(&l.curie())
            && n.id.version() > l.id.version()
        {
            let loc = spans.get(&id).map(|s| s.id.clone());
            diags.push(
                Diagnostic::error(
                    format!(
                        "latest.xml holds `{id}` but a newer version `{}` exists",
                        n.id
                    ),
                    loc,
                )
                .with_label("latest.xml must hold the newest version")
                .with_note(n.location.clone(), "newer version"),
            );
        }
    }
}
