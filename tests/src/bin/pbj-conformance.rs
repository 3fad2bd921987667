//! `pbj-conformance`: decode, validate and re-encode (or etag) JSON lines from stdin, with the
//! generated types of the gdbots, acme and synthetic stores.
//!
//! One subcommand per operation: a [`Command`] variant with its arguments and one function that
//! maps an input line to an output line (see [`roundtrip`]). `--help` shows examples.

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use pbj::Flavor;

mod conformance;

const EXAMPLES: &str = "\
Examples:
  pbj-conformance roundtrip < ../shared/interop/valid/acme__iam__node__user.json
  pbj-conformance roundtrip --flavor php < ../shared/interop/php/canonical.jsonl
  pbj-conformance etag --skip etag,updated_at < messages.jsonl
  pbj-conformance roundtrip --lenient < ../shared/interop/normalize.jsonl
  pbj-conformance parse-query < queries.jsonl
  pbj-conformance token < ../shared/interop/pbjx-token/tokens.jsonl

Each output line is the result for the input line at the same position, or
{\"error\":{\"kind\":K,\"field\":F,\"message\":M}} when the line is rejected.";

#[derive(Parser)]
#[command(
    name = "pbj-conformance",
    version,
    about = "Decode, validate and re-encode (or etag) pbj JSON lines from stdin, with the \
             generated types of the gdbots, acme and synthetic stores.",
    after_help = EXAMPLES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode and validate each JSON message on stdin (one per line) and print it re-encoded.
    Roundtrip(RoundtripArgs),
    /// Print the etag of each JSON message on stdin: the md5 of its canonical JSON.
    Etag(EtagArgs),
    /// Parse each JSON string on stdin with the gdbots query parser and print
    /// {"input":..,"parsed":[..]} (the original's ParsedQuery::toArray()).
    ParseQuery,
    /// Print the Elasticsearch body of the original QueryFactory for each
    /// {"q","sort","occurred_after","occurred_before","curies"[,"now"]} on stdin.
    EsQuery,
    /// Print the PbjxToken created for each {"content","aud","kid","secret","iat","exp","now"}.
    Token,
    /// Print `ok`, or the error object, for each {"token","kid","secret","content","aud","now"}.
    VerifyToken,
}

/// The writer to reproduce.
#[derive(Clone, Copy, ValueEnum)]
enum FlavorArg {
    /// The JS `JsonSerializer` (raw UTF-8, milliseconds).
    Js,
    /// The PHP `JsonSerializer` (`\/`, `\uXXXX`, microseconds).
    Php,
}

impl From<FlavorArg> for Flavor {
    fn from(f: FlavorArg) -> Self {
        match f {
            FlavorArg::Js => Flavor::Js,
            FlavorArg::Php => Flavor::Php,
        }
    }
}

#[derive(Args)]
struct FlavorArgs {
    /// The writer whose bytes to produce.
    #[arg(long, value_enum, default_value_t = FlavorArg::Js)]
    flavor: FlavorArg,
}

#[derive(Args)]
struct RoundtripArgs {
    #[command(flatten)]
    flavor: FlavorArgs,
    /// Coerce values as the JS implementation does ("42" for 42, "yes" for true, ...).
    #[arg(long)]
    lenient: bool,
}

#[derive(Args)]
struct EtagArgs {
    #[command(flatten)]
    flavor: FlavorArgs,
    /// Top-level fields left out of the hashed JSON (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "FIELD,...")]
    skip: Vec<String>,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Roundtrip(args) => roundtrip(&args),
        Command::Etag(args) => etag(&args),
        Command::ParseQuery => each_line(conformance::parse_query::line),
        Command::EsQuery => each_line(conformance::es_query::line),
        Command::Token => each_line(conformance::token::create_line),
        Command::VerifyToken => each_line(conformance::token::verify_line),
    }
}

fn roundtrip(args: &RoundtripArgs) -> ExitCode {
    let flavor = args.flavor.flavor.into();
    let options = if args.lenient {
        pbj::DecodeOptions::lenient()
    } else {
        pbj::DecodeOptions::strict()
    };
    each_line(|line| pbjx_tests::roundtrip_line_with(line, flavor, options))
}

fn etag(args: &EtagArgs) -> ExitCode {
    let flavor = args.flavor.flavor.into();
    let skip: Vec<&str> = args
        .skip
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    each_line(|line| pbjx_tests::etag_line(line, flavor, &skip))
}

/// Prints `f(line)` for every non-blank line of stdin (split on `\n` only; a trailing `\r` is
/// dropped).
fn each_line(mut f: impl FnMut(&str) -> String) -> ExitCode {
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.split(b'\n') {
        let Ok(line) = line else {
            eprintln!("pbj-conformance: cannot read stdin");
            return ExitCode::FAILURE;
        };
        let text = String::from_utf8_lossy(&line);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        if text.trim().is_empty() {
            continue;
        }
        if writeln!(out, "{}", f(text)).is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
