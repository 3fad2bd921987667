//! `pbjc`: the pbj schema compiler command line (`check`, `compile`, `docs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

const STORES: &str = "\
SCHEMA STORES:
  A store is a folder holding vendor folders: for example `schemas/` containing
  `acme/`, which holds `acme/<package>/<category>/<message>/<version>.xml`
  schema files and `acme/<package>/enums.xml` enum files. Pass the folder that
  CONTAINS the vendor folders (`schemas/`, not `schemas/acme/`) with --store.
  Repeat `--store` to merge stores, e.g. your store and the stores it depends on
  (acme's schemas use gdbots mixins, so both stores are given).";

const USING_RUST: &str = "\
USING THE RUST OUTPUT:
  Add the `pbj` crate to your [dependencies], then include the file in a module:

      pub mod schemas {
          include!(\"generated/pbj_schemas.rs\");
      }

      let mut registry = pbj::Registry::new();
      schemas::register(&mut registry);

  From a build script, use `pbjc::Config` instead of this command.";

const EXIT_STATUS: &str = "\
EXIT STATUS:
  0 success (warnings allowed), 1 schema errors or failed write, 2 bad usage.";

/// The pbj schema compiler: reads pbj XML schema stores, checks them, and generates Rust
/// code, JSON Schema files or a Markdown catalogue.
#[derive(Debug, Parser)]
#[command(
    name = "pbjc",
    version,
    arg_required_else_help = true,
    after_help = format!("{STORES}\n\n{USING_RUST}\n\n\
EXAMPLES:
  pbjc check --store schemas
  pbjc compile --store vendor/gdbots-schemas --store schemas --out src/generated
  pbjc compile --lang json-schema --domain https://schemas.acme.com --store schemas --out gh-pages/json-schema
  pbjc docs --store vendor/gdbots-schemas --store schemas --out docs/schemas

{EXIT_STATUS}")
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read and validate schema stores; report every error with file:line:col
    #[command(after_help = format!("\
Reads every schema and enum file of the stores, checks them (ids, paths, types,
defaults, mixins, version compatibility ...) and prints every diagnostic with
file:line:column to stderr. Nothing is written.

{STORES}

EXAMPLES:
  pbjc check --store schemas
  pbjc check --store vendor/gdbots-schemas --store schemas

{EXIT_STATUS}"))]
    Check(StoreArgs),
    /// Validate schema stores, then write Rust code or JSON Schema files
    #[command(after_help = format!("\
Does what `pbjc check` does; if there is no error, writes the output:
  --lang rust          an entry file <OUT>/<FILE> to `include!`, plus one file per
                       package beside it (<vendor>.<package>.rs): a struct per
                       message, a marker and a trait per mixin, an enum per pbj
                       enum, `register` / `registry()` functions (files already
                       up to date are left untouched).
  --lang json-schema   a draft-04 JSON Schema per schema version plus latest.json,
                       as <OUT>/<vendor>/<package>/<category>/<message>/<M-m-p>.json,
                       identical to the files the PHP pbjc publishes; ids and
                       $refs start with --domain.

{STORES}

{USING_RUST}

EXAMPLES:
  # acme's schemas use gdbots mixins: give both stores.
  pbjc compile --store vendor/gdbots-schemas --store schemas --out src/generated

  # gdbots types already come from the `gdbots_schemas` crate.
  pbjc compile --store vendor/gdbots-schemas --store schemas --out src/generated \\
      --extern-path gdbots=::gdbots_schemas::gdbots

  # The JSON Schema files gdbots publishes.
  pbjc compile --lang json-schema --domain http://schemas.gdbots.io \\
      --store vendor/gdbots-schemas --out gh-pages/json-schema

{EXIT_STATUS}"))]
    Compile(CompileArgs),
    /// Write a Markdown catalogue of the stores (mdBook- and GitHub-ready)
    #[command(after_help = format!("\
Does what `pbjc check` does; if there is no error, writes a Markdown catalogue to
<OUT>: README.md (the index) and SUMMARY.md (an mdBook table of contents), and
<vendor>/<package>.md per package with a Mermaid class diagram (mixins ->
messages), every message and mixin (schema id, mixins, fields with type, rule,
required, limits, default, enum values, description) and every enum. Links are
relative, so the folder reads on GitHub and builds with mdBook as it is.

{STORES}

EXAMPLES:
  pbjc docs --store vendor/gdbots-schemas --store schemas --out docs/schemas

{EXIT_STATUS}"))]
    Docs(DocsArgs),
}

/// Options every command takes.
#[derive(Debug, Args)]
struct StoreArgs {
    /// A schema store: a folder holding vendor folders (e.g. `schemas/` containing `acme/`);
    /// repeat it to merge stores
    #[arg(short, long = "store", value_name = "DIR", required = true)]
    stores: Vec<PathBuf>,
    /// Do not print warnings
    #[arg(short, long)]
    quiet: bool,
}

/// What `compile` generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Lang {
    /// Rust code for the `pbj` crate (an entry file plus one file per package)
    Rust,
    /// JSON Schema files, as the PHP pbjc publishes them
    JsonSchema,
}

#[derive(Debug, Args)]
struct CompileArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The output folder (created if missing)
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
    /// What to generate
    #[arg(short, long, value_enum, default_value_t = Lang::Rust)]
    lang: Lang,
    /// The output file name [rust; default: pbj_schemas.rs]
    #[arg(short, long, value_name = "NAME", value_parser = file_name)]
    file: Option<String>,
    /// Refer to the schemas and enums of NAMESPACE (`vendor` or `vendor:package`) through
    /// RUST_PATH instead of generating them, e.g. when another crate already holds them
    /// [rust; repeatable]
    #[arg(long, value_name = "NAMESPACE=RUST_PATH", value_parser = extern_path)]
    extern_path: Vec<(String, String)>,
    /// Do not run rustfmt on the output [rust]
    #[arg(long)]
    no_format: bool,
    /// The Rust path generated code reaches pbj through, e.g. `::pbjx::pbj` [rust; default ::pbj]
    #[arg(long, value_name = "RUST_PATH")]
    pbj_path: Option<String>,
    /// Also implement serde's Serialize/Deserialize (needs pbj's `serde` feature) [rust]
    #[arg(long)]
    serde: bool,
    /// Also implement schemars' JsonSchema (needs pbj's `schemars` feature) [rust]
    #[arg(long)]
    schemars: bool,
    /// The URL every `id` and `$ref` starts with, e.g. http://schemas.gdbots.io
    /// [json-schema; required there]
    #[arg(long, value_name = "URL", required_if_eq("lang", "json-schema"))]
    domain: Option<String>,
}

#[derive(Debug, Args)]
struct DocsArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The output folder (created if missing)
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
}

/// `--file`: a plain file name.
fn file_name(v: &str) -> Result<String, String> {
    if v.is_empty() || v.ends_with(['/', '\\']) {
        return Err(format!("needs a file name, got `{v}`"));
    }
    Ok(v.to_owned())
}

/// `--extern-path NAMESPACE=RUST_PATH`.
fn extern_path(v: &str) -> Result<(String, String), String> {
    v.split_once('=')
        .filter(|(ns, path)| !ns.is_empty() && !path.is_empty())
        .map(|(ns, path)| (ns.to_owned(), path.to_owned()))
        .ok_or_else(|| format!("needs NAMESPACE=RUST_PATH, got `{v}`"))
}

/// Loads and validates the stores, printing diagnostics (coloured on a terminal) and a
/// summary line to stderr. Returns the store, or `None` when there are errors.
fn load_and_report(command: &str, opts: &StoreArgs) -> Option<pbjc::model::Store> {
    let started = Instant::now();
    let loaded = pbjc::load_all(&opts.stores);
    let diags = &loaded.diagnostics;
    for d in diags.iter() {
        if opts.quiet && !d.is_error() {
            continue;
        }
        // anstream drops the colours when stderr is not a terminal (or NO_COLOR is set).
        anstream::eprintln!("{}\n", diags.render_with(d, true));
    }
    eprintln!(
        "pbjc {command}: {} files, {} schemas, {} enums: {} ({} ms)",
        loaded.files.len(),
        loaded.store.schemas.len(),
        loaded.store.enums.len(),
        diags.summary(),
        started.elapsed().as_millis()
    );
    (!diags.has_errors()).then_some(loaded.store)
}

/// Writes `files` under `out` and reports it; exit 1 on a failed write.
fn write_tree(command: &str, out: &Path, files: &[pbjc::output::OutputFile]) -> ExitCode {
    let started = Instant::now();
    match pbjc::output::write_files(out, files) {
        Ok(written) => {
            println!(
                "pbjc {command}: wrote {written} of {} files to {} ({} ms)",
                files.len(),
                out.display(),
                started.elapsed().as_millis()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn compile(args: &CompileArgs) -> ExitCode {
    if args.lang == Lang::JsonSchema {
        let rust_only = [
            ("--file", args.file.is_some()),
            ("--extern-path", !args.extern_path.is_empty()),
            ("--no-format", args.no_format),
            ("--pbj-path", args.pbj_path.is_some()),
            ("--serde", args.serde),
            ("--schemars", args.schemars),
        ];
        if let Some((flag, _)) = rust_only.iter().find(|(_, set)| *set) {
            Cli::command()
                .error(
                    ErrorKind::ArgumentConflict,
                    format!("`{flag}` only applies to `--lang rust`"),
                )
                .exit();
        }
    } else if args.domain.is_some() {
        Cli::command()
            .error(
                ErrorKind::ArgumentConflict,
                "`--domain` only applies to `--lang json-schema`",
            )
            .exit();
    }
    let Some(store) = load_and_report("compile", &args.store) else {
        return ExitCode::from(1);
    };
    if let (Lang::JsonSchema, Some(domain)) = (args.lang, &args.domain) {
        return write_tree(
            "compile",
            &args.out,
            &pbjc::json_schema::generate(&store, domain),
        );
    }
    let mut config = pbjc::Config::new();
    config
        .out_dir(&args.out)
        .format(!args.no_format)
        .serde(args.serde)
        .schemars(args.schemars);
    if let Some(path) = &args.pbj_path {
        config.pbj_path(path);
    }
    if let Some(file) = &args.file {
        config.file_name(file);
    }
    for (ns, path) in &args.extern_path {
        config.extern_path(ns, path);
    }
    let started = Instant::now();
    match config.write(&store) {
        Ok(path) => {
            let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
            println!(
                "pbjc compile: wrote {} ({bytes} bytes, {} ms)",
                path.display(),
                started.elapsed().as_millis()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check(args) => match load_and_report("check", &args) {
            Some(_) => ExitCode::SUCCESS,
            None => ExitCode::from(1),
        },
        Command::Compile(args) => compile(&args),
        Command::Docs(args) => match load_and_report("docs", &args.store) {
            Some(store) => write_tree("docs", &args.out, &pbjc::docs::generate(&store)),
            None => ExitCode::from(1),
        },
    }
}
