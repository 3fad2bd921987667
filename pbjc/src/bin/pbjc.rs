//! `pbjc`: the pbj schema compiler command line (`check` and `compile`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const HELP: &str = "\
pbjc - the pbj schema compiler

Reads pbj XML schema stores, checks them, and generates Rust code that uses the
`pbj` crate.

USAGE:
    pbjc <COMMAND> [OPTIONS]
    pbjc <COMMAND> --help     Details and examples of one command

COMMANDS:
    check      Read and validate schema stores; report every error with file:line
    compile    Validate schema stores, then write one Rust file for them
    help       Print this help (`pbjc help <COMMAND>` for a command)

SCHEMA STORES:
    A store is a folder holding vendor folders: for example `schemas/` containing
    `acme/`, which holds `acme/<package>/<category>/<message>/<version>.xml`
    schema files and `acme/<package>/enums.xml` enum files. Pass the folder that
    CONTAINS the vendor folders (`schemas/`, not `schemas/acme/`).
    Repeat `--store` to merge stores, e.g. your store and the stores it depends on
    (acme's schemas use gdbots mixins, so both stores are given).

USING THE OUTPUT OF `compile`:
    Add the `pbj` crate to your [dependencies], then include the file in a module:

        pub mod schemas {
            include!(\"generated/pbj_schemas.rs\");
        }

        let mut registry = pbj::Registry::new();
        schemas::register(&mut registry);

    From a build script, use `pbjc::Config` instead of this command.

EXAMPLES:
    pbjc check --store schemas
    pbjc compile --store vendor/gdbots-schemas --store schemas --out src/generated

EXIT STATUS:
    0 success (warnings allowed), 1 schema errors or failed write, 2 bad usage.
";

const CHECK_HELP: &str = "\
pbjc check - read and validate schema stores

USAGE:
    pbjc check --store <DIR> [--store <DIR> ...] [-q]

Reads every schema and enum file of the stores, checks them (ids, paths, types,
defaults, mixins, version compatibility ...) and prints every diagnostic with
file:line:column to stderr. Nothing is written.

OPTIONS:
    -s, --store <DIR>    A schema store: a folder holding vendor folders, e.g.
                         `schemas/` containing `acme/`. Repeat it to merge
                         several stores (a store and the stores it depends on).
    -q, --quiet          Do not print warnings
    -h, --help           Print this help

EXAMPLES:
    pbjc check --store schemas
    pbjc check --store vendor/gdbots-schemas --store schemas

EXIT STATUS:
    0 when there is no error (warnings allowed), 1 on errors, 2 on bad usage.
";

const COMPILE_HELP: &str = "\
pbjc compile - validate schema stores and generate Rust code

USAGE:
    pbjc compile --store <DIR> [--store <DIR> ...] --out <DIR> [OPTIONS]

Does what `pbjc check` does; if there is no error, generates one Rust file
holding a module per vendor and package, a struct per message, a trait per
mixin, an enum per pbj enum and a `pub fn register(&mut pbj::Registry)`, and
writes it to <OUT>/<FILE>. The file is left untouched when it is up to date.

OPTIONS:
    -s, --store <DIR>      A schema store: a folder holding vendor folders, e.g.
                           `schemas/` containing `acme/`. Repeat it to merge
                           stores (a store and the stores it depends on).
    -o, --out <DIR>        The output folder (created if missing)
    -f, --file <NAME>      The output file name [default: pbj_schemas.rs]
    --extern-path <NAMESPACE>=<RUST_PATH>
                           Do not generate the schemas and enums of NAMESPACE
                           (`vendor` or `vendor:package`); refer to them through
                           RUST_PATH instead, e.g. when another crate already
                           holds them. Repeatable.
    --no-format            Do not run rustfmt on the output
    -q, --quiet            Do not print warnings
    -h, --help             Print this help

USING THE OUTPUT:
    Add the `pbj` crate to your [dependencies], then include the file in a module:

        pub mod schemas {
            include!(\"generated/pbj_schemas.rs\");
        }

        let mut registry = pbj::Registry::new();
        schemas::register(&mut registry);

EXAMPLES:
    # acme's schemas use gdbots mixins: give both stores.
    pbjc compile --store vendor/gdbots-schemas --store schemas --out src/generated

    # gdbots types already come from the `gdbots_schemas` crate.
    pbjc compile --store vendor/gdbots-schemas --store schemas --out src/generated \\
        --extern-path gdbots=::gdbots_schemas::gdbots

EXIT STATUS:
    0 written (warnings allowed), 1 schema errors or failed write, 2 bad usage.
";

/// Options shared by `pbjc check` and `pbjc compile`.
#[derive(Debug, Default)]
struct Args {
    stores: Vec<PathBuf>,
    quiet: bool,
    out: Option<PathBuf>,
    file: Option<String>,
    extern_paths: Vec<(String, String)>,
    no_format: bool,
}

/// Which subcommand the arguments are parsed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Check,
    Compile,
}

impl Command {
    fn name(self) -> &'static str {
        match self {
            Self::Check => "check",
            Self::Compile => "compile",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Self::Check => CHECK_HELP,
            Self::Compile => COMPILE_HELP,
        }
    }
}

fn usage_error(cmd: Option<Command>, msg: &str) -> ExitCode {
    let help = match cmd {
        Some(c) => format!("pbjc {} --help", c.name()),
        None => "pbjc --help".to_owned(),
    };
    eprintln!("error: {msg}\n\nRun `{help}` for usage.");
    ExitCode::from(2)
}

/// Splits `--name=value` / `--name value` / `-n value`; `None` if `arg` is not this option.
fn option_value<'a>(
    arg: &'a str,
    names: &[&str],
    rest: &mut impl Iterator<Item = &'a String>,
) -> Option<Result<&'a str, String>> {
    for name in names {
        if arg == *name {
            return Some(
                rest.next()
                    .map(String::as_str)
                    .ok_or_else(|| format!("`{name}` needs a value")),
            );
        }
        if let Some(v) = arg
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix('='))
            .filter(|_| name.starts_with("--"))
        {
            return Some(Ok(v));
        }
    }
    None
}

/// Parses the arguments of `cmd`; `Ok(None)` means help was asked for.
fn parse_args(cmd: Command, args: &[String]) -> Result<Option<Args>, String> {
    let mut out = Args::default();
    let mut it = args.iter();
    let compile = cmd == Command::Compile;
    while let Some(a) = it.next() {
        let a = a.as_str();
        if let Some(v) = option_value(a, &["--store", "-s"], &mut it) {
            out.stores.push(PathBuf::from(v?));
            continue;
        }
        if compile {
            if let Some(v) = option_value(a, &["--out", "-o"], &mut it) {
                if out.out.replace(PathBuf::from(v?)).is_some() {
                    return Err("`--out` is given twice".into());
                }
                continue;
            }
            if let Some(v) = option_value(a, &["--file", "-f"], &mut it) {
                let v = v?;
                if v.is_empty() || v.ends_with('/') || v.ends_with('\\') {
                    return Err(format!("`--file` needs a file name, got `{v}`"));
                }
                if out.file.replace(v.to_owned()).is_some() {
                    return Err("`--file` is given twice".into());
                }
                continue;
            }
            if let Some(v) = option_value(a, &["--extern-path"], &mut it) {
                let v = v?;
                let (ns, path) = v
                    .split_once('=')
                    .filter(|(ns, path)| !ns.is_empty() && !path.is_empty())
                    .ok_or_else(|| {
                        format!("`--extern-path` needs NAMESPACE=RUST_PATH, got `{v}`")
                    })?;
                out.extern_paths.push((ns.to_owned(), path.to_owned()));
                continue;
            }
            if a == "--no-format" {
                out.no_format = true;
                continue;
            }
        }
        match a {
            "-q" | "--quiet" => out.quiet = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    if out.stores.is_empty() {
        return Err(format!(
            "`{}` needs at least one `--store <DIR>`",
            cmd.name()
        ));
    }
    if compile && out.out.is_none() {
        return Err("`compile` needs `--out <DIR>`".into());
    }
    Ok(Some(out))
}

/// Loads and validates the stores, printing diagnostics and a summary line to stderr.
/// Returns the loaded stores, or `None` when there are errors.
fn load_and_report(cmd: Command, opts: &Args) -> Option<pbjc::Loaded> {
    let started = Instant::now();
    let loaded = pbjc::load_all(&opts.stores);
    let diags = &loaded.diagnostics;
    for d in diags.iter() {
        if opts.quiet && !d.is_error() {
            continue;
        }
        eprintln!("{}", diags.render(d));
    }
    eprintln!(
        "pbjc {}: {} files, {} schemas, {} enums: {} ({} ms)",
        cmd.name(),
        loaded.files.len(),
        loaded.store.schemas.len(),
        loaded.store.enums.len(),
        diags.summary(),
        started.elapsed().as_millis()
    );
    (!diags.has_errors()).then_some(loaded)
}

/// Runs `check` or `compile` with the raw arguments after the command name.
fn run(cmd: Command, args: &[String]) -> ExitCode {
    let opts = match parse_args(cmd, args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{}", cmd.help());
            return ExitCode::SUCCESS;
        }
        Err(e) => return usage_error(Some(cmd), &e),
    };
    let Some(loaded) = load_and_report(cmd, &opts) else {
        return ExitCode::from(1);
    };
    if cmd == Command::Check {
        return ExitCode::SUCCESS;
    }
    let mut config = pbjc::Config::new();
    if let Some(out) = &opts.out {
        config.out_dir(out);
    }
    if let Some(file) = &opts.file {
        config.file_name(file);
    }
    for (ns, path) in &opts.extern_paths {
        config.extern_path(ns, path);
    }
    config.format(!opts.no_format);
    let started = Instant::now();
    match config.write(&loaded.store) {
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprint!("{HELP}");
        return ExitCode::from(2);
    };
    match cmd.as_str() {
        "check" => run(Command::Check, rest),
        "compile" => run(Command::Compile, rest),
        "help" | "-h" | "--help" => match rest.first().map(String::as_str) {
            None => {
                print!("{HELP}");
                ExitCode::SUCCESS
            }
            Some("check") => {
                print!("{CHECK_HELP}");
                ExitCode::SUCCESS
            }
            Some("compile") => {
                print!("{COMPILE_HELP}");
                ExitCode::SUCCESS
            }
            Some(other) => usage_error(None, &format!("unknown command `{other}`")),
        },
        other => usage_error(None, &format!("unknown command `{other}`")),
    }
}
