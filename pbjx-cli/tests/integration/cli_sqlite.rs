//! The real `pbjx` binary on a temporary SQLite configuration: send / publish / request (in
//! process and against an HTTP endpoint on a real socket), batch with bad lines and the skip
//! flags, storage create / describe, export then replay into a second store, tail, exit codes.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{BASE_SEC, Env, pbjx, run, seed_sqlite};
use pbjx::token::PbjxTokenSigner;

const CHECK_HEALTH: &str = "gdbots:pbjx:command:check-health";

#[test]
fn send_prints_the_envelope_of_the_handled_command() {
    let env = Env::sqlite();
    let out = env.run(&["send", CHECK_HEALTH, r#"{"msg":"hi"}"#]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["_schema"], "pbj:gdbots:pbjx::envelope:1-1-0");
    assert_eq!(envelope["ok"], true);
    assert_eq!(envelope["code"], 0);
    assert_eq!(envelope["http_code"], 202);
    assert_eq!(envelope["message"]["msg"], "hi");
    assert_eq!(envelope["message_ref"]["curie"], CHECK_HEALTH);
    assert_eq!(
        envelope["message_ref"]["id"],
        envelope["message"]["command_id"]
    );
}

#[test]
fn request_prints_the_response_and_stdin_gives_the_json() {
    let env = Env::sqlite();
    let out = env.run_with(
        &[
            "request",
            "gdbots:pbjx:request:echo-request",
            "--tenant-id",
            "t1",
        ],
        Some(r#"{"msg":"ping"}"#),
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["http_code"], 200);
    let response = &envelope["message"];
    assert_eq!(
        response["_schema"],
        "pbj:gdbots:pbjx:request:echo-response:1-0-0"
    );
    assert_eq!(response["msg"], "ping");
    assert_eq!(response["ctx_request"]["ctx_tenant_id"], "t1");
    assert_eq!(envelope["message_ref"]["id"], response["response_id"]);
}

#[test]
fn publish_takes_events_only() {
    let env = Env::sqlite();
    let out = env.run(&[
        "publish",
        "gdbots:pbjx:event:health-checked",
        r#"{"msg":"up"}"#,
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["message"]["msg"], "up");

    let wrong = env.run(&["publish", CHECK_HEALTH, "{}"]);
    assert_eq!(wrong.code, 2, "{wrong:?}");
    assert!(wrong.stderr.contains("use `pbjx send`"), "{wrong:?}");
}

#[test]
fn a_command_without_handler_gives_a_failed_envelope_and_exit_1() {
    let env = Env::sqlite();
    let out = env.run(&[
        "send",
        "acme:blog:command:publish-article",
        r#"{"article_id":"0e8f2d10-8a3b-41ee-8c99-0242ac120002","title":"Hi"}"#,
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["code"], 12, "UNIMPLEMENTED");
    assert_eq!(envelope["http_code"], 501);
    assert_eq!(envelope["error_name"], "HandlerNotFound");
    assert!(out.stderr.contains("HandlerNotFound"), "{out:?}");
}

#[test]
fn bad_input_gives_usage_or_failure_codes_naming_the_problem() {
    let env = Env::sqlite();
    let unknown = env.run(&["send", "acme:nope:command:nothing", "{}"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("unknown curie [acme:nope:command:nothing]"),
        "{unknown:?}"
    );

    let invalid = env.run(&["send", CHECK_HEALTH, r#"{"msg":5}"#]);
    assert_eq!(invalid.code, 1);
    assert!(invalid.stderr.contains("field [msg]"), "{invalid:?}");
    assert!(invalid.stdout.is_empty(), "nothing was sent: {invalid:?}");

    let mismatch = env.run(&[
        "send",
        CHECK_HEALTH,
        r#"{"_schema":"pbj:gdbots:pbjx:event:health-checked:1-0-0"}"#,
    ]);
    assert_eq!(mismatch.code, 1);
    assert!(
        mismatch.stderr.contains("does not match the curie"),
        "{mismatch:?}"
    );

    let flag = env.run(&["send", CHECK_HEALTH, "--no-such-flag"]);
    assert_eq!(flag.code, 2, "{flag:?}");
    let time = env.run(&["events", "export", "--since", "yesterday"]);
    assert_eq!(time.code, 2, "{time:?}");
    assert!(
        time.stderr
            .contains("neither unix seconds nor a 16-digit microtime")
    );
}

#[test]
fn help_lists_examples_and_exit_codes() {
    let mut command = pbjx();
    command.arg("--help");
    let out = run(command, None);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("Examples:"), "{out:?}");
    assert!(
        out.stdout.contains("Exit codes: 0 ok, 1 failure, 2 usage"),
        "{out:?}"
    );
    let mut command = pbjx();
    command.args(["events", "replay", "--help"]);
    let out = run(command, None);
    assert!(out.stdout.contains("--to store"), "{out:?}");
}

#[test]
fn configuration_errors_name_the_file_and_env_overrides_the_file() {
    let env = Env::new("[event_store]\nbackend = \"cassandra\"\n");
    let out = env.run(&["storage", "describe"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("pbjx.toml"), "{out:?}");
    assert!(out.stderr.contains("cassandra"), "{out:?}");

    // The environment wins over the file.
    let env = Env::new("[event_store]\nbackend = \"memory\"\n");
    let out = env.run_with(
        &["storage", "describe"],
        None,
        &[
            ("PBJX_EVENT_STORE_BACKEND", "sqlite"),
            ("PBJX_EVENT_STORE_PATH", "from-env.db"),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("from-env.db"), "{out:?}");
    assert!(env.path("from-env.db").exists());

    // JSON configuration by extension.
    let json = env.path("pbjx.json");
    std::fs::write(
        &json,
        r#"{"event_store":{"backend":"sqlite","path":"json.db"}}"#,
    )
    .unwrap();
    let mut command = pbjx();
    command
        .current_dir(env.dir.path())
        .arg("--config")
        .arg(&json)
        .args(["storage", "describe"]);
    let out = run(command, None);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(env.path("json.db").exists());
}

/// One HTTP exchange seen by the test endpoint.
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP endpoint on a loopback socket that answers one request with `status` and `body`.
fn endpoint(status: &'static str, body: &'static str) -> (String, mpsc::Receiver<Seen>) {
    endpoint_n(1, move |_| (status, body))
}

/// An HTTP endpoint on a loopback socket answering `n` requests (one per connection), the
/// i-th with `answer(i)`.
fn endpoint_n(
    n: usize,
    answer: impl Fn(usize) -> (&'static str, &'static str) + Send + 'static,
) -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/pbjx", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for i in 0..n {
            let (status, body) = answer(i);
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (k, v) = line.split_once(':').unwrap();
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            let length: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().unwrap())
                .unwrap_or(0);
            let mut buf = vec![0; length];
            reader.read_exact(&mut buf).unwrap();
            let mut stream = stream;
            write!(
            stream,
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
            tx.send(Seen {
                request_line: request_line.trim_end().to_owned(),
                headers,
                body: String::from_utf8(buf).unwrap(),
            })
            .unwrap();
        }
    });
    (base, rx)
}

#[test]
fn batch_with_url_posts_each_message_and_counts_failed_envelopes() {
    let ok = r#"{"_schema":"pbj:gdbots:pbjx::envelope:1-1-0","envelope_id":"5b2b5ab7-5cbc-4a8d-8d7f-43b31b7a4a8c","ok":true,"code":0,"http_code":202}"#;
    let failed = r#"{"_schema":"pbj:gdbots:pbjx::envelope:1-1-0","envelope_id":"5b2b5ab7-5cbc-4a8d-8d7f-43b31b7a4a8c","ok":false,"code":12,"http_code":501,"error_name":"HandlerNotFound","error_message":"no handler"}"#;
    let (base, seen) = endpoint_n(3, move |i| {
        if i == 1 {
            ("501 Not Implemented", failed)
        } else {
            ("202 Accepted", ok)
        }
    });
    let env = Env::sqlite();
    std::fs::write(
        env.path("remote.ndjson"),
        "{\"_schema\":\"pbj:gdbots:pbjx:command:check-health:1-0-0\",\"msg\":\"1\"}\n\
         {\"_schema\":\"pbj:gdbots:pbjx:command:check-health:1-0-0\",\"msg\":\"2\"}\n\
         {\"_schema\":\"pbj:gdbots:pbjx:event:health-checked:1-0-0\",\"msg\":\"3\"}\n",
    )
    .unwrap();
    let out = env.run(&[
        "batch",
        "remote.ndjson",
        "--url",
        &base,
        "--skip-errors",
        "--batch-delay",
        "0",
    ]);
    assert_eq!(out.code, 3, "{out:?}");
    let lines = &out.json()["lines"];
    assert_eq!(
        (lines["ok"].as_u64(), lines["failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(
        out.stderr
            .contains("remote.ndjson:2: send failed: HTTP 501: HandlerNotFound: no handler"),
        "{out:?}"
    );
    let paths: Vec<String> = (0..3)
        .map(|_| {
            seen.recv_timeout(Duration::from_secs(10))
                .unwrap()
                .request_line
        })
        .collect();
    assert_eq!(
        paths,
        [
            "POST /pbjx/gdbots/pbjx/command/check-health HTTP/1.1",
            "POST /pbjx/gdbots/pbjx/command/check-health HTTP/1.1",
            "POST /pbjx/gdbots/pbjx/event/health-checked HTTP/1.1",
        ]
    );
}

#[test]
fn pbjx_toml_in_the_working_folder_is_read_without_config() {
    let env = Env::new("[event_store]\nbackend = \"sqlite\"\npath = \"default.db\"\n");
    let mut command = pbjx();
    command
        .current_dir(env.dir.path())
        .args(["storage", "describe"]);
    let out = run(command, None);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("default.db"), "{out:?}");
}

#[test]
fn relative_sqlite_paths_are_resolved_against_the_config_file() {
    let env = Env::sqlite();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut command = pbjx();
    command
        .current_dir(elsewhere.path())
        .arg("--config")
        .arg(env.config())
        .args(["storage", "create"]);
    let out = run(command, None);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(env.path("events.db").exists());
    assert!(!elsewhere.path().join("events.db").exists());
}

#[test]
fn send_to_a_remote_endpoint_posts_the_message_with_a_valid_token() {
    let reply = r#"{"_schema":"pbj:gdbots:pbjx::envelope:1-1-0","envelope_id":"5b2b5ab7-5cbc-4a8d-8d7f-43b31b7a4a8c","ok":true,"code":0,"http_code":202}"#;
    let (base, seen) = endpoint("202 Accepted", reply);
    let env = Env::sqlite();
    let out = env.run_with(
        &["send", "--url", &base, CHECK_HEALTH, r#"{"msg":"remote"}"#],
        None,
        &[("PBJX_TOKEN_KID", "k1"), ("PBJX_TOKEN_SECRET", "s3cret")],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout.trim(),
        reply,
        "the endpoint's envelope is printed as is"
    );
    let seen = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        seen.request_line,
        "POST /pbjx/gdbots/pbjx/command/check-health HTTP/1.1"
    );
    assert!(
        seen.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(
        body["_schema"],
        "pbj:gdbots:pbjx:command:check-health:1-0-0"
    );
    assert_eq!(body["msg"], "remote");
    let token = seen.header("x-pbjx-token").expect("a token");
    let aud = format!("{base}/gdbots/pbjx/command/check-health");
    let signer = PbjxTokenSigner::new([("k1", "s3cret")], None);
    signer
        .validate(&seen.body, &aud, token)
        .expect("the token signs this body for this URL");
    assert!(
        PbjxTokenSigner::new([("k1", "other")], None)
            .validate(&seen.body, &aud, token)
            .is_err()
    );
    assert!(
        !env.path("events.db").exists(),
        "remote mode opens no local backend"
    );
}

#[test]
fn a_failed_remote_envelope_gives_exit_1_and_the_configured_url_is_used() {
    let reply = r#"{"_schema":"pbj:gdbots:pbjx::envelope:1-1-0","envelope_id":"5b2b5ab7-5cbc-4a8d-8d7f-43b31b7a4a8c","ok":false,"code":3,"http_code":400,"error_name":"InvalidPbjxToken","error_message":"bad token"}"#;
    let (base, seen) = endpoint("400 Bad Request", reply);
    let env = Env::new(&format!("[remote]\nurl = \"{base}\"\n"));
    let out = env.run(&["send", "--remote", "--dry-run", CHECK_HEALTH, "{}"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("HTTP 400: InvalidPbjxToken: bad token"),
        "{out:?}"
    );
    let seen = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(seen.header("x-pbjx-dry-run").is_some());
    assert!(seen.header("x-pbjx-token").is_none(), "no secret, no token");
}

const BATCH: &str = r#"{"_schema":"pbj:gdbots:pbjx:command:check-health:1-0-0","msg":"one"}
not json

{"_schema":"pbj:gdbots:pbjx:request:echo-request:1-0-0","msg":"a request"}
{"_schema":"pbj:acme:blog:command:publish-article:1-0-0","article_id":"0e8f2d10-8a3b-41ee-8c99-0242ac120002","title":"no handler"}
{"_schema":"pbj:gdbots:pbjx:event:health-checked:1-0-0","msg":"two"}
{"_schema":"pbj:gdbots:pbjx:command:check-health:1-0-0","msg":7}
"#;

fn batch(env: &Env, flags: &[&str]) -> common::Run {
    std::fs::write(env.path("batch.ndjson"), BATCH).unwrap();
    let mut args = vec!["batch", "batch.ndjson", "--batch-delay", "0"];
    args.extend_from_slice(flags);
    env.run(&args)
}

#[test]
fn batch_stops_at_the_first_invalid_line_by_default() {
    let env = Env::sqlite();
    let out = batch(&env, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("batch.ndjson:2: invalid message"),
        "{out:?}"
    );
    let lines = &out.json()["lines"];
    assert_eq!(
        (
            lines["total"].as_u64(),
            lines["ok"].as_u64(),
            lines["invalid"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
}

#[test]
fn batch_skip_invalid_goes_on_to_the_first_failing_message() {
    let env = Env::sqlite();
    let out = batch(&env, &["--skip-invalid"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("batch.ndjson:5: send failed: HandlerNotFound"),
        "{out:?}"
    );
    let lines = &out.json()["lines"];
    assert_eq!(lines["total"], 5);
    assert_eq!(lines["ok"], 1);
    assert_eq!(lines["invalid"], 1);
    assert_eq!(lines["ignored"], 2, "the empty line and the request");
    assert_eq!(lines["failed"], 1);
}

#[test]
fn batch_with_both_skip_flags_finishes_with_exit_3() {
    let env = Env::sqlite();
    let out = batch(&env, &["--skip-invalid", "--skip-errors"]);
    assert_eq!(out.code, 3, "{out:?}");
    let lines = &out.json()["lines"];
    assert_eq!(lines["total"], 7);
    assert_eq!(lines["ok"], 2);
    assert_eq!(lines["invalid"], 2);
    assert_eq!(lines["failed"], 1);
    assert_eq!(lines["ignored"], 2);
    assert!(
        out.stderr.contains("batch.ndjson:7: invalid message"),
        "{out:?}"
    );
}

#[test]
fn batch_dry_run_executes_nothing_and_line_range_limits_the_lines() {
    let env = Env::sqlite();
    let out = batch(&env, &["--dry-run", "--skip-invalid"]);
    assert_eq!(out.code, 3, "{out:?}");
    let lines = &out.json()["lines"];
    assert_eq!(lines["ok"], 3, "the command without handler is not sent");
    assert_eq!(lines["failed"], 0);

    let out = batch(&env, &["--start-line", "4", "--end-line", "6"]);
    assert_eq!(out.code, 1, "line 5 fails: {out:?}");
    let out = batch(&env, &["--start-line", "6", "--end-line", "6"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["lines"]["total"], 1);
    assert_eq!(out.json()["lines"]["ok"], 1);
    let out = batch(&env, &["--start-line", "6", "--end-line", "5"]);
    assert_eq!(out.code, 2, "{out:?}");
}

#[test]
fn batch_pauses_between_batches() {
    let env = Env::sqlite();
    let lines: String = (0..3)
        .map(|i| {
            format!(
                "{{\"_schema\":\"pbj:gdbots:pbjx:command:check-health:1-0-0\",\"msg\":\"{i}\"}}\n"
            )
        })
        .collect();
    std::fs::write(env.path("three.ndjson"), lines).unwrap();
    let started = Instant::now();
    let out = env.run(&[
        "batch",
        "three.ndjson",
        "--batch-size",
        "1",
        "--batch-delay",
        "300",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "two pauses of 300 ms"
    );
    let out = env.run(&["batch", "three.ndjson", "--batch-size", "0"]);
    assert_eq!(out.code, 2, "batch size out of range: {out:?}");
}

#[test]
fn storage_create_and_describe_cover_event_store_and_scheduler() {
    let env = Env::new(
        "[event_store]\nbackend = \"sqlite\"\npath = \"events.db\"\n[scheduler]\nbackend = \"sqlite\"\npath = \"jobs.db\"\n",
    );
    let out = env.run(&["storage", "create"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("event store [sqlite]: storage created"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("scheduler [sqlite]: storage created"),
        "{out:?}"
    );
    assert!(env.path("events.db").exists() && env.path("jobs.db").exists());

    let out = env.run(&["storage", "describe"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("## event store [sqlite]"), "{out:?}");
    assert!(out.stdout.contains("events.db"), "{out:?}");
    assert!(out.stdout.contains("## scheduler [sqlite]"), "{out:?}");

    let out = env.run(&["storage", "describe", "--service", "scheduler"]);
    assert!(!out.stdout.contains("event store"), "{out:?}");

    let none = Env::new("[event_store]\nbackend = \"none\"\n");
    let out = none.run(&["storage", "create", "--service", "scheduler"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("no scheduler is configured"), "{out:?}");
}

fn sorted(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

#[test]
fn export_then_replay_into_a_second_store_gives_the_same_events() {
    let source = Env::sqlite();
    seed_sqlite(
        &source.path("events.db"),
        &["acme:article:1", "acme:article:2", "acme:user:9"],
        4,
    );
    let exported = source.run(&["events", "export", "--with-stream-id", "--batch-delay", "0"]);
    assert_eq!(exported.code, 0, "{exported:?}");
    assert_eq!(exported.lines().len(), 12);
    std::fs::write(source.path("all.ndjson"), &exported.stdout).unwrap();

    let copy = Env::sqlite();
    let input = source.path("all.ndjson");
    let input = input.to_str().unwrap();
    let declined = copy.run(&["events", "replay", "--input", input, "--to", "store"]);
    assert_eq!(declined.code, 4, "no terminal, no --yes: {declined:?}");

    let replayed = copy.run(&[
        "events",
        "replay",
        "--input",
        input,
        "--to",
        "store",
        "--yes",
        "--batch-size",
        "3",
        "--batch-delay",
        "0",
    ]);
    assert_eq!(replayed.code, 0, "{replayed:?}");
    assert_eq!(replayed.json()["events"]["ok"], 12);
    let again = copy.run(&["events", "export", "--with-stream-id", "--batch-delay", "0"]);
    assert_eq!(
        sorted(&again.stdout),
        sorted(&exported.stdout),
        "same streams, sequences, events"
    );

    // Replaying the same file again: every event is already in its stream.
    let twice = copy.run(&[
        "events",
        "replay",
        "--input",
        input,
        "--to",
        "store",
        "--yes",
        "--batch-delay",
        "0",
    ]);
    assert_eq!(twice.code, 1, "{twice:?}");
    assert!(
        twice.stderr.contains("none of them was written"),
        "{twice:?}"
    );
    let skipped = copy.run(&[
        "events",
        "replay",
        "--input",
        input,
        "--to",
        "store",
        "--yes",
        "--skip-errors",
        "--batch-delay",
        "0",
    ]);
    assert_eq!(skipped.code, 3, "{skipped:?}");
    assert_eq!(skipped.json()["events"]["failed"], 12);
    assert_eq!(skipped.json()["events"]["ok"], 0);
}

#[test]
fn export_filters_by_stream_and_time_and_replay_publishes() {
    let env = Env::sqlite();
    seed_sqlite(
        &env.path("events.db"),
        &["acme:article:1", "acme:article:2"],
        5,
    );
    // acme:article:1 has its events at BASE_SEC + 1, 3, 5, 7, 9
    let since = (BASE_SEC + 3).to_string();
    let until = format!("{}000000", BASE_SEC + 9);
    let out = env.run(&[
        "events",
        "export",
        "acme:article:1",
        "--since",
        &since,
        "--until",
        &until,
        "--batch-delay",
        "0",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let msgs: Vec<String> = out
        .lines()
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["msg"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        msgs,
        ["acme:article:1/2", "acme:article:1/3"],
        "exclusive bounds"
    );

    let out = env.run(&[
        "events",
        "replay",
        "acme:article:2",
        "--yes",
        "--batch-delay",
        "0",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["events"]["ok"], 5);
    assert_eq!(out.json()["to"], "publish");
    let out = env.run(&["events", "replay", "--dry-run", "--since", &since]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["events"]["total"], 7);

    let out = env.run(&["events", "replay", "--to", "store", "--yes"]);
    assert_eq!(out.code, 2, "store to itself is refused: {out:?}");
}

#[test]
fn replay_reports_bad_lines_with_file_and_line() {
    let env = Env::sqlite();
    let file = env.path("bad.ndjson");
    std::fs::write(
        &file,
        "{\"_schema\":\"pbj:gdbots:pbjx:event:health-checked:1-0-0\",\"msg\":\"ok\"}\n{\"_schema\":\"pbj:gdbots:pbjx:command:check-health:1-0-0\"}\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let out = env.run(&[
        "events",
        "replay",
        "--input",
        path,
        "--to",
        "store",
        "acme:x:1",
        "--yes",
        "--batch-delay",
        "0",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("bad.ndjson:2: [pbj:gdbots:pbjx:command:check-health:1-0-0] is not an event"),
        "{out:?}"
    );
    let out = env.run(&[
        "events",
        "replay",
        "--input",
        path,
        "--to",
        "store",
        "acme:x:1",
        "--yes",
        "--skip-errors",
        "--batch-delay",
        "0",
    ]);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(out.json()["events"]["ok"], 1);
    let exported = env.run(&["events", "export", "acme:x:1", "--batch-delay", "0"]);
    assert_eq!(
        exported.lines().len(),
        1,
        "the bare event went to the named stream"
    );
}

#[test]
fn tail_prints_new_events_of_a_stream() {
    let env = Env::sqlite();
    seed_sqlite(&env.path("events.db"), &["acme:article:1"], 3);
    let out = env.run(&[
        "events",
        "tail",
        "acme:article:1",
        "--since",
        "0",
        "--limit",
        "2",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines = out.lines();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("acme:article:1/0") && lines[1].contains("acme:article:1/1"));
}

#[test]
fn a_closed_stdout_is_an_error_not_a_panic() {
    let env = Env::sqlite();
    // stdout is a pipe whose read end is closed before the binary writes (`pbjx ... | head`).
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let output = common::pbjx()
        .current_dir(env.dir.path())
        .arg("--config")
        .arg(env.config())
        .args(["send", "gdbots:pbjx:command:check-health", "{}"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run pbjx");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write to stdout"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
