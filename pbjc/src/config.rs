//! [`Config`]: the build.rs entry point, in the style of `prost_build::Config`.
//!
//! ```no_run
//! // build.rs of an app whose schemas use the pbjx core mixins (command, event, ...).
//! // pbjx publishes the folder of its core store to the build scripts of the crates that
//! // depend on it as `DEP_PBJX_SCHEMAS`: its namespaces become extern, reused from pbjx.
//! let pbjx_store = std::env::var_os("DEP_PBJX_SCHEMAS").expect("pbjx is a dependency");
//! pbjc::Config::new()
//!     .store("schemas")
//!     .extern_store(pbjx_store, "::pbjx::schemas")
//!     .compile()
//!     .expect("pbj schemas compile");
//! ```
//!
//! Then, in the crate: `include!(concat!(env!("OUT_DIR"), "/pbj_schemas.rs"));`. That entry
//! file declares the module tree and `include!`s one file per package (`acme.blog.rs`, ...).
//!
//! An extern namespace (see [`Config::extern_path`]) is not generated, but its declarations
//! must still be loaded: a message's field table includes the fields of its mixins, and
//! references are checked. Hence [`Config::extern_store`], which loads a store and makes each
//! of its packages extern in one call.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::code_generator::{self, GenerateOptions, GeneratedFile, naming};
use crate::model::Store;

/// Default name of the generated file.
pub const DEFAULT_FILE_NAME: &str = "pbj_schemas.rs";

/// Why [`Config::compile`] failed.
#[derive(Debug)]
pub enum Error {
    /// No [`Config::out_dir`] and no `OUT_DIR` environment variable.
    NoOutDir,
    /// Loading or checking the stores failed (rendered diagnostics).
    Load(String),
    /// Reading a store or writing the output failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoOutDir => f.write_str("OUT_DIR is not set and no out_dir was configured"),
            Self::Load(diagnostics) => write!(f, "cannot load pbj schemas:\n{diagnostics}"),
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Configures and runs the compiler from a build script.
#[derive(Debug, Clone, Default)]
pub struct Config {
    stores: Vec<PathBuf>,
    options: GenerateOptions,
    out_dir: Option<PathBuf>,
    file_name: Option<String>,
}

impl Config {
    /// A configuration with no store, output to `$OUT_DIR/pbj_schemas.rs`, rustfmt on.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a schema store directory (the one holding `schemas/`-style vendor folders).
    pub fn store(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.stores.push(dir.as_ref().to_path_buf());
        self
    }

    /// Uses `rust_path` for schemas and enums of `namespace` (`vendor:package` or `vendor`)
    /// instead of generating them. The namespace's store must be loaded too (with
    /// [`Self::store`]), or use [`Self::extern_store`].
    pub fn extern_path(
        &mut self,
        namespace: impl Into<String>,
        rust_path: impl Into<String>,
    ) -> &mut Self {
        self.options
            .extern_paths
            .push((namespace.into(), rust_path.into()));
        self
    }

    /// Loads the store in `dir` (a folder of vendor folders) and makes each of its packages
    /// extern at `{rust_root}::{vendor}::{package}`, e.g. `("…/pbjx/schemas", "::pbjx::schemas")`
    /// makes `gdbots:pbjx` extern at `::pbjx::schemas::gdbots::pbjx`.
    pub fn extern_store(&mut self, dir: impl AsRef<Path>, rust_root: &str) -> &mut Self {
        let dir = dir.as_ref();
        let root = rust_root.trim_end_matches("::");
        for (vendor, package) in store_packages(dir) {
            let path = format!(
                "{root}::{}::{}",
                naming::module(&vendor),
                naming::module(&package)
            );
            self.extern_path(format!("{vendor}:{package}"), path);
        }
        self.store(dir)
    }

    /// The path generated code names the pbj crate by (default `::pbj`), like prost-build's
    /// `prost_path`: `::pbjx::pbj` for an app that reaches pbj through pbjx.
    pub fn pbj_path(&mut self, path: impl Into<String>) -> &mut Self {
        self.options.pbj_path = path.into();
        self
    }

    /// Whether every message implements `serde::Serialize` / `Deserialize` (default false;
    /// needs pbj's `serde` feature).
    pub fn serde(&mut self, enabled: bool) -> &mut Self {
        self.options.serde = enabled;
        self
    }

    /// Whether every message implements `schemars::JsonSchema` (default false; needs pbj's
    /// `schemars` feature).
    pub fn schemars(&mut self, enabled: bool) -> &mut Self {
        self.options.schemars = enabled;
        self
    }

    /// The output directory (default: `$OUT_DIR`).
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The name of the entry file to `include!` (default: `pbj_schemas.rs`); the package files
    /// are written beside it.
    pub fn file_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.file_name = Some(name.into());
        self
    }

    /// Whether to run `rustfmt` on the output (default: true; skipped when unavailable).
    pub fn format(&mut self, enabled: bool) -> &mut Self {
        self.options.rustfmt = enabled;
        self
    }

    /// The generator options this configuration implies.
    pub fn options(&self) -> &GenerateOptions {
        &self.options
    }

    /// Generates the Rust source for an already loaded store, as one file.
    pub fn generate(&self, store: &Store) -> String {
        code_generator::generate(store, &self.options)
    }

    /// Generates the entry file and one file per package for an already loaded store; fails
    /// when two generated types would share a name.
    pub fn generate_files(&self, store: &Store) -> Result<Vec<GeneratedFile>, Error> {
        let diagnostics = code_generator::check_names(store, &self.options);
        if diagnostics.has_errors() {
            return Err(Error::Load(diagnostics.to_string()));
        }
        Ok(code_generator::generate_files(
            store,
            &self.options,
            self.resolved_file_name(),
        ))
    }

    /// Loads the stores, generates the code and writes it (only the files that changed).
    /// Prints `cargo:rerun-if-changed` for every store directory and file.
    /// Returns the path of the entry file.
    pub fn compile(&self) -> Result<PathBuf, Error> {
        let out_dir = self.resolve_out_dir()?;
        for dir in &self.stores {
            println!("cargo:rerun-if-changed={}", dir.display());
            let mut files = Vec::new();
            collect_files(dir, &mut files)?;
            files.sort();
            for f in files {
                println!("cargo:rerun-if-changed={}", f.display());
            }
        }
        let store = load_store(&self.stores).map_err(Error::Load)?;
        self.write_to(&out_dir, &store)
    }

    /// Generates the code for an already loaded and checked store and writes it to the
    /// configured output (only the files that changed); prints nothing. Returns the path of
    /// the entry file.
    pub fn write(&self, store: &Store) -> Result<PathBuf, Error> {
        let out_dir = self.resolve_out_dir()?;
        self.write_to(&out_dir, store)
    }

    /// The configured output file name, or [`DEFAULT_FILE_NAME`].
    fn resolved_file_name(&self) -> &str {
        self.file_name.as_deref().unwrap_or(DEFAULT_FILE_NAME)
    }

    /// The configured output directory, or `$OUT_DIR`.
    fn resolve_out_dir(&self) -> Result<PathBuf, Error> {
        match &self.out_dir {
            Some(d) => Ok(d.clone()),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(Error::NoOutDir),
        }
    }

    /// Generates `store` into `out_dir`: the entry file and the package files, each written
    /// only when it does not already hold that code.
    fn write_to(&self, out_dir: &Path, store: &Store) -> Result<PathBuf, Error> {
        let files = self.generate_files(store)?;
        std::fs::create_dir_all(out_dir).map_err(|source| Error::Io {
            path: out_dir.to_path_buf(),
            source,
        })?;
        for file in &files {
            let path = out_dir.join(&file.name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(file.code.as_str()) {
                std::fs::write(&path, &file.code).map_err(|source| Error::Io { path, source })?;
            }
        }
        Ok(out_dir.join(self.resolved_file_name()))
    }
}

/// The `(vendor, package)` folders of a store (`dir/vendor/package/`), sorted.
fn store_packages(dir: &Path) -> Vec<(String, String)> {
    let subdirs = |d: &Path| -> Vec<(String, PathBuf)> {
        let Ok(entries) = std::fs::read_dir(d) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
            .collect()
    };
    let mut out: Vec<(String, String)> = subdirs(dir)
        .into_iter()
        .flat_map(|(vendor, path)| {
            subdirs(&path)
                .into_iter()
                .map(move |(package, _)| (vendor.clone(), package))
        })
        .collect();
    out.sort();
    out
}

/// Every file under `dir`, recursively (a missing directory yields nothing: the loader reports it).
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads and checks the stores; the error is the rendered diagnostics.
fn load_store(dirs: &[PathBuf]) -> Result<Store, String> {
    crate::load(dirs).map_err(|d| d.to_string())
}

/// Outputs beyond Rust: JSON Schema files and the Markdown catalogue of the stores.
impl Config {
    /// Loads the configured stores and writes the JSON Schema of every schema version to
    /// `dir` (see [`crate::json_schema`]); `domain` starts every `id` and `$ref` URL, e.g.
    /// `http://schemas.gdbots.io`. Unchanged files are left untouched. Returns how many files
    /// were written.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pbjc-doc-cfg-json-{}", std::process::id()));
    /// # let store_dir = dir.join("schemas/acme/blog/command/publish");
    /// # std::fs::create_dir_all(&store_dir).unwrap();
    /// # std::fs::write(store_dir.join("1-0-0.xml"), r#"<?xml version="1.0"?>
    /// # <pbj-schema xmlns="http://gdbots.io/pbj/xsd"><schema id="pbj:acme:blog:command:publish:1-0-0"/></pbj-schema>"#).unwrap();
    /// # let (schemas, out) = (dir.join("schemas"), dir.join("json-schema"));
    /// let written = pbjc::Config::new()
    ///     .store(&schemas)
    ///     .json_schema(&out, "https://schemas.acme.test")?;
    /// assert_eq!(written, 2); // 1-0-0.json and latest.json
    /// assert!(out.join("acme/blog/command/publish/latest.json").is_file());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), pbjc::config::Error>(())
    /// ```
    pub fn json_schema(&self, dir: impl AsRef<Path>, domain: &str) -> Result<usize, Error> {
        let store = load_store(&self.stores).map_err(Error::Load)?;
        crate::output::write_files(dir.as_ref(), &crate::json_schema::generate(&store, domain))
    }
}

impl Config {
    /// Loads the configured stores and writes their Markdown catalogue to `dir` (see
    /// [`crate::docs`]). Unchanged files are left untouched. Returns how many files were
    /// written.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pbjc-doc-cfg-docs-{}", std::process::id()));
    /// # let store_dir = dir.join("schemas/acme/blog/command/publish");
    /// # std::fs::create_dir_all(&store_dir).unwrap();
    /// # std::fs::write(store_dir.join("1-0-0.xml"), r#"<?xml version="1.0"?>
    /// # <pbj-schema xmlns="http://gdbots.io/pbj/xsd"><schema id="pbj:acme:blog:command:publish:1-0-0"/></pbj-schema>"#).unwrap();
    /// # let (schemas, out) = (dir.join("schemas"), dir.join("catalogue"));
    /// let written = pbjc::Config::new().store(&schemas).docs(&out)?;
    /// assert_eq!(written, 3); // README.md, SUMMARY.md, acme/blog.md
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), pbjc::config::Error>(())
    /// ```
    pub fn docs(&self, dir: impl AsRef<Path>) -> Result<usize, Error> {
        let store = load_store(&self.stores).map_err(Error::Load)?;
        crate::output::write_files(dir.as_ref(), &crate::docs::generate(&store))
    }
}
