//! `pbjc`: the pbj schema compiler command line.

use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
pbjc - the pbj schema compiler

USAGE:
    pbjc <COMMAND> [OPTIONS]

COMMANDS:
    check    Read and validate schema stores; report every error with file:line
    help     Print this help

OPTIONS (check):
    --store <DIR>    A schema store to read. Repeat it to merge several stores,
                     e.g. a store and the stores it depends on.
    -q, --quiet      Do not print warnings
    -h, --help       Print this help

A store is a folder holding vendor folders: for example `schemas/` containing
`acme/`, which holds `acme/<package>/<category>/<message>/<version>.xml`
schema files and `acme/<package>/enums.xml` enum files.

EXAMPLE:
    pbjc check --store vendor/gdbots/schemas/schemas --store schemas

EXIT STATUS:
    0 when there is no error (warnings allowed), 1 on errors, 2 on bad usage.
";

/// Options of `pbjc check`.
#[derive(Debug, Default)]
struct CheckArgs {
    stores: Vec<PathBuf>,
    quiet: bool,
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}\n\nRun `pbjc --help` for usage.");
    ExitCode::from(2)
}

fn parse_check_args(args: &[String]) -> Result<Option<CheckArgs>, String> {
    let mut out = CheckArgs::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--store" | "-s" => {
                let dir = it.next().ok_or("`--store` needs a directory")?;
                out.stores.push(PathBuf::from(dir));
            }
            s if s.starts_with("--store=") => {
                out.stores.push(PathBuf::from(&s["--store=".len()..]))
            }
            "-q" | "--quiet" => out.quiet = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    if out.stores.is_empty() {
        return Err("`check` needs at least one `--store <DIR>`".into());
    }
    Ok(Some(out))
}

/// `pbjc check`: load, validate, print diagnostics to stderr.
fn run_check(args: &[String]) -> ExitCode {
    let opts = match parse_check_args(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => return usage_error(&e),
    };
    let started = std::time::Instant::now();
    let loaded = pbjc::load_all(&opts.stores);
    let diags = &loaded.diagnostics;
    for d in diags.iter() {
        if opts.quiet && !d.is_error() {
            continue;
        }
        eprintln!("{}", diags.render(d));
    }
    eprintln!(
        "pbjc check: {} files, {} schemas, {} enums: {} ({} ms)",
        loaded.files.len(),
        loaded.store.schemas.len(),
        loaded.store.enums.len(),
        diags.summary(),
        started.elapsed().as_millis()
    );
    if diags.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprint!("{HELP}");
        return ExitCode::from(2);
    };
    match cmd.as_str() {
        "check" => run_check(rest),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        other => usage_error(&format!("unknown command `{other}`")),
    }
}
