//! `pbj-conformance`: decode, validate and re-encode (or etag) JSON lines from stdin.
//!
//! ```text
//! pbj-conformance roundtrip [--flavor js|php] [--lenient]
//! pbj-conformance etag [--flavor js|php] [--skip a,b]
//! pbj-conformance parse-query | es-query | token | verify-token
//! ```

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use pbj::Flavor;

mod conformance;

const USAGE: &str = "usage:
  pbj-conformance roundtrip [--flavor js|php] [--lenient]
      For each JSON message on stdin (one per line): decode it with the generated types
      (gdbots, acme and synthetic stores), validate it, re-encode it with the given writer
      (default js) and print the JSON, or {\"error\":{\"kind\":K,\"field\":F,\"message\":M}}.
      --lenient coerces values as the JS implementation does (\"42\" for 42, \"yes\" for true).
  pbj-conformance etag [--flavor js|php] [--skip a,b]
      For each JSON message on stdin, print its etag (md5 of the canonical JSON without the
      top-level fields listed in --skip), or the error object.";

enum Command {
    Roundtrip,
    Etag,
}

fn main() -> ExitCode {
    let (args, lenient) = lenient_flag(std::env::args().skip(1).collect());
    if let Some(handle) = args.first().and_then(|name| conformance::handler(name)) {
        return conformance::run(handle);
    }
    let command = match args.first().map(String::as_str) {
        Some("roundtrip") => Command::Roundtrip,
        Some("etag") => Command::Etag,
        Some("-h" | "--help") => {
            println!("{USAGE}\n{}", conformance::USAGE);
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut flavor = Flavor::Js;
    let mut skip: Vec<String> = Vec::new();
    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        let value = rest.next();
        match (arg.as_str(), value) {
            ("--flavor", Some(v)) => match v.parse() {
                Ok(f) => flavor = f,
                Err(e) => {
                    eprintln!("{e}\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            ("--skip", Some(v)) => {
                skip = v
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            _ => {
                eprintln!("unexpected argument [{arg}]\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let skip_refs: Vec<&str> = skip.iter().map(String::as_str).collect();
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.split(b'\n') {
        let Ok(line) = line else {
            eprintln!("cannot read stdin");
            return ExitCode::FAILURE;
        };
        let text = String::from_utf8_lossy(&line);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        if text.trim().is_empty() {
            continue;
        }
        let result = match command {
            Command::Roundtrip if lenient => {
                pbjx_tests::roundtrip_line_with(text, flavor, pbj::DecodeOptions::lenient())
            }
            Command::Roundtrip => pbjx_tests::roundtrip_line(text, flavor),
            Command::Etag => pbjx_tests::etag_line(text, flavor, &skip_refs),
        };
        if writeln!(out, "{result}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Removes `--lenient` (a flag without value, valid for `roundtrip`) from `args`.
fn lenient_flag(mut args: Vec<String>) -> (Vec<String>, bool) {
    let before = args.len();
    args.retain(|a| a != "--lenient");
    let lenient = args.len() != before;
    (args, lenient)
}
