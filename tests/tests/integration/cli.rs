//! The `pbj-conformance` and `pbjx-bench` command lines: flags, errors with suggestions, and the
//! bench's own verification.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const CONFORMANCE: &str = env!("CARGO_BIN_EXE_pbj-conformance");
const BENCH: &str = env!("CARGO_BIN_EXE_pbjx-bench");

fn canonical() -> PathBuf {
    std::env::var_os("PBJ_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .join("interop/php/canonical.jsonl")
}

fn run(program: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .env("PBJX_BENCH_CANONICAL", canonical())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `{"case":C,"n":N,...}` lines of a bench run.
fn bench_lines(o: &Output) -> Vec<(String, u64)> {
    stdout(o)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            (
                v["case"].as_str().expect("case").to_owned(),
                v["n"].as_u64().expect("n"),
            )
        })
        .collect()
}

#[test]
fn both_tools_print_their_version_and_help_with_examples() {
    for (program, name) in [(CONFORMANCE, "pbj-conformance"), (BENCH, "pbjx-bench")] {
        let o = run(program, &["--version"], "");
        assert!(o.status.success());
        assert_eq!(
            stdout(&o),
            format!("{name} {}\n", env!("CARGO_PKG_VERSION"))
        );
        let o = run(program, &["--help"], "");
        assert!(o.status.success());
        assert!(stdout(&o).contains("Examples:"), "{}", stdout(&o));
    }
}

#[test]
fn conformance_suggests_the_subcommand_for_a_typo() {
    let o = run(CONFORMANCE, &["rountrip"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("a similar subcommand exists: 'roundtrip'"),
        "{}",
        stderr(&o)
    );
    let o = run(CONFORMANCE, &["roundtrip", "--flavor", "rust"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("[possible values: js, php]"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn conformance_round_trips_and_etags_lines_from_stdin() {
    let canonical = std::fs::read_to_string(canonical()).expect("canonical.jsonl");
    let first = canonical.split('\n').next().expect("a line");
    let input = format!("{first}\n\n{{\"_schema\":\"nope\"}}\r\n");
    let o = run(CONFORMANCE, &["roundtrip", "--flavor", "php"], &input);
    assert!(o.status.success());
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0], first);
    assert!(lines[1].starts_with("{\"error\":{\"kind\":"), "{out}");
    let all = pbjx_tests::etag_line(first, pbj::Flavor::Php, &[]);
    let skipped = pbjx_tests::etag_line(first, pbj::Flavor::Php, &["msg", "ctx_msg"]);
    assert_ne!(all, skipped);
    let o = run(CONFORMANCE, &["etag", "--flavor", "php"], first);
    assert_eq!(stdout(&o), format!("{all}\n"));
    let o = run(
        CONFORMANCE,
        &["etag", "--flavor", "php", "--skip", "msg,,ctx_msg"],
        first,
    );
    assert_eq!(stdout(&o), format!("{skipped}\n"));
}

#[test]
fn bench_lists_its_cases_and_suggests_one_for_a_typo() {
    let o = run(BENCH, &["--list"], "");
    assert!(o.status.success());
    let cases = stdout(&o);
    assert_eq!(cases.lines().count(), 24, "{cases}");
    for case in ["event_deserialize", "search_index_events_commit_each"] {
        assert!(cases.lines().any(|c| c == case), "{case} missing: {cases}");
    }
    let o = run(BENCH, &["event_deserializ"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("a similar value exists: 'event_deserialize'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bench_runs_exactly_n_ops() {
    let o = run(
        BENCH,
        &[
            "--n",
            "40",
            "--warmup-ms",
            "0",
            "event_deserialize",
            "node_create_freeze_serialize",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        bench_lines(&o),
        [
            ("event_deserialize".to_owned(), 40),
            ("node_create_freeze_serialize".to_owned(), 40)
        ]
    );
}

/// Slices hold 1000 events: the slice cases count every event returned, so at least N and a
/// whole number of slices.
#[test]
fn bench_slice_cases_count_events() {
    let o = run(
        BENCH,
        &[
            "--quick",
            "--n",
            "2500",
            "--warmup-ms",
            "0",
            "event_store_get_stream_slice",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = bench_lines(&o);
    assert_eq!(lines.len(), 1);
    let (_, n) = &lines[0];
    assert!(*n >= 2500 && n % 1000 == 0, "{n} events");
}

/// The built and decoded messages are compared with the canonical PHP bytes, not with what our
/// own decoder makes of them: the same message spelled differently is a failure.
#[test]
fn bench_verifies_against_the_php_bytes() {
    let text = std::fs::read_to_string(canonical()).expect("canonical.jsonl");
    // `\u00e9` and a raw `é` decode to the same message; only the first is PHP's spelling.
    assert!(text.contains("caf\\u00e9"));
    let respelled = text.replacen("caf\\u00e9", "caf\u{e9}", 1);
    let path =
        std::env::temp_dir().join(format!("pbjx-bench-canonical-{}.jsonl", std::process::id()));
    std::fs::write(&path, respelled).expect("write");
    let path_text = path.to_string_lossy().into_owned();
    for case in ["event_create_freeze_serialize", "event_deserialize"] {
        let o = run(BENCH, &["--canonical", &path_text, "--n", "1", case], "");
        assert!(!o.status.success(), "{case} passed with non-PHP bytes");
        assert!(
            stderr(&o).contains("differs from the PHP bytes"),
            "{}",
            stderr(&o)
        );
    }
    let _ = std::fs::remove_file(&path);
    let o = run(BENCH, &["--n", "1", "event_create_freeze_serialize"], "");
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The Kinesis send cases need the AWS emulator: named without it they fail saying so; the
/// no-I/O encode case runs anywhere.
#[test]
fn bench_kinesis_cases_name_the_missing_emulator() {
    let o = Command::new(BENCH)
        .args(["--n", "1", "--warmup-ms", "0", "kinesis_send_batched"])
        .env("PBJX_BENCH_CANONICAL", canonical())
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("run pbjx-bench");
    assert!(!o.status.success());
    assert!(
        stderr(&o)
            .contains("kinesis_send_batched: needs the AWS emulator: AWS_ENDPOINT_URL is not set"),
        "{}",
        stderr(&o)
    );
    let o = run(
        BENCH,
        &["--n", "600", "--warmup-ms", "0", "kinesis_encode_batch"],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(bench_lines(&o), [("kinesis_encode_batch".to_owned(), 600)]);
}
