//! The HTTP endpoint (`pbjx::http`) through a real socket: a server on 127.0.0.1:0 run by
//! `pbjx::http::serve`, a hyper client. One test per row of the behaviour table
//! (pbjx-features.md §4 "HTTP endpoint", "Receive endpoint"; §8 PbjxToken): status, envelope
//! `code`, `error_name`, headers.
#![cfg(feature = "http")]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use pbjx::http::{HttpConfig, Pbj, PbjError};
use pbjx::pbj::{Message, MessageType};
use pbjx::schemas::gdbots::pbjx::EnvelopeV1;
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::token::PbjxToken;
use pbjx::transport::TransportEnvelope;
use pbjx::{Code, Error, Pbjx, Selector};
use serde_json::Value;
use tokio::sync::oneshot;

const SECRET: &str = "the shared secret";
const CHECK_HEALTH: &str = "/pbjx/gdbots/pbjx/command/check-health";
const HEALTH_CHECKED: &str = "/pbjx/gdbots/pbjx/event/health-checked";
const ECHO: &str = "/pbjx/gdbots/pbjx/request/echo-request";

type Log = Arc<Mutex<Vec<String>>>;

/// Check-health commands (`fail` fails with FAILED_PRECONDITION, `slow` sleeps 300 ms),
/// health-checked events and echo requests (`fail` fails with NOT_FOUND), each logged.
fn exchange(log: &Log) -> Pbjx {
    let (commands, events, requests) = (log.clone(), log.clone(), log.clone());
    Pbjx::builder()
        .command(move |cmd: Arc<CheckHealthV1>, _pbjx| {
            let log = commands.clone();
            async move {
                let msg = cmd.msg().unwrap_or_default().to_owned();
                let correlator = cmd
                    .ctx_correlator_ref()
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                log.lock()
                    .unwrap()
                    .push(format!("command:{msg}:{correlator}"));
                match msg.as_str() {
                    "fail" => Err(Error::handler(
                        Code::FailedPrecondition,
                        "NotReady",
                        "the database password is hunter2",
                    )),
                    "slow" => {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        Ok(())
                    }
                    _ => Ok(()),
                }
            }
        })
        .subscribe(move |event: Arc<HealthCheckedV1>, _pbjx| {
            let log = events.clone();
            async move {
                let msg = event.msg().unwrap_or_default().to_owned();
                log.lock().unwrap().push(format!("event:{msg}"));
                Ok(())
            }
        })
        .request(move |request: Arc<EchoRequestV1>, _pbjx| {
            let log = requests.clone();
            async move {
                let msg = request.msg().unwrap_or_default().to_owned();
                log.lock().unwrap().push(format!("request:{msg}"));
                if msg == "fail" {
                    return Err(Error::handler(Code::NotFound, "NoEcho", "nothing to echo"));
                }
                Ok(EchoResponseV1::new().with_msg(msg)?)
            }
        })
        .build()
        .unwrap()
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    log: Log,
}

impl Server {
    async fn start(config: HttpConfig) -> Self {
        let log = Log::default();
        Self::start_with(exchange(&log), config, log).await
    }

    async fn start_with(pbjx: Pbjx, config: HttpConfig, log: Log) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(pbjx::http::serve(listener, pbjx, config, async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            task,
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    async fn post(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        call("POST", &self.url(path), &all, body.to_owned()).await
    }

    /// A token for `body` sent to `path` with kid `kid` and `secret`, issued now.
    fn token(&self, path: &str, body: &str, kid: &str, secret: &str) -> String {
        PbjxToken::create(body, &self.url(path), kid, secret)
            .unwrap()
            .as_str()
            .to_owned()
    }

    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("serve ends after the shutdown signal")
            .unwrap()
            .unwrap();
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: hyper::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a well-formed envelope with this status, `code` and `error_name` (`None`: ok).
    fn assert_envelope(&self, status: u16, code: Code, error_name: Option<&str>) -> Value {
        let json = self.json();
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            json["_schema"], "pbj:gdbots:pbjx::envelope:1-1-0",
            "{}",
            self.body
        );
        assert_eq!(json["code"], code.value(), "{}", self.body);
        assert_eq!(json["http_code"], status, "{}", self.body);
        assert_eq!(json["ok"], code == Code::Ok, "{}", self.body);
        assert_eq!(json["error_name"].as_str(), error_name, "{}", self.body);
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert_eq!(
            self.header("x-pbjx-envelope-id"),
            json["envelope_id"].as_str(),
            "x-pbjx-envelope-id is the envelope's id"
        );
        // The body is a real envelope for the pbj decoder too.
        EnvelopeV1::from_json(&self.body).unwrap();
        json
    }
}

async fn call(method: &str, url: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Reply {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut request = hyper::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Full::new(body.into())).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

fn open() -> HttpConfig {
    HttpConfig::default().with_token_bypass("all")
}

fn check_health(msg: &str) -> CheckHealthV1 {
    CheckHealthV1::new().with_msg(msg).unwrap()
}

/// Commands: 202, `message_ref` = the command, `ctx_correlator_ref` = the envelope.
#[tokio::test]
async fn command_is_accepted_with_202_and_correlated_to_the_envelope() {
    let server = Server::start(open()).await;
    let command = check_health("ping");
    let reply = server.post(CHECK_HEALTH, &[], &command.to_json()).await;
    let json = reply.assert_envelope(202, Code::Ok, None);
    assert_eq!(
        json["message_ref"],
        serde_json::json!({"curie":"gdbots:pbjx:command:check-health","id":command.command_id().unwrap().to_string()})
    );
    assert!(reply.header("etag").is_none());
    let envelope_id = reply.header("x-pbjx-envelope-id").unwrap();
    assert_eq!(
        server.log(),
        [format!("command:ping:gdbots:pbjx::envelope:{envelope_id}")]
    );
    server.shutdown().await;
}

/// Events: 202 and every subscriber ran; requests: 200 with the response.
#[tokio::test]
async fn events_are_accepted_and_requests_answered_with_the_response() {
    let server = Server::start(open()).await;
    let event = HealthCheckedV1::new().with_msg("up").unwrap();
    let reply = server.post(HEALTH_CHECKED, &[], &event.to_json()).await;
    reply.assert_envelope(202, Code::Ok, None);

    let request = EchoRequestV1::new().with_msg("hello").unwrap();
    let reply = server.post(ECHO, &[], &request.to_json()).await;
    let json = reply.assert_envelope(200, Code::Ok, None);
    assert_eq!(
        json["message"]["_schema"],
        "pbj:gdbots:pbjx:request:echo-response:1-0-0"
    );
    assert_eq!(json["message"]["msg"], "hello");
    assert_eq!(
        json["message_ref"]["curie"],
        "gdbots:pbjx:request:echo-response"
    );
    assert_eq!(json["message_ref"]["id"], json["message"]["response_id"]);
    assert_eq!(server.log(), ["event:up", "request:hello"]);
    server.shutdown().await;
}

/// The type comes from the curie when the body has no `_schema`.
#[tokio::test]
async fn body_without_schema_takes_the_routes_curie() {
    let server = Server::start(open()).await;
    let reply = server.post(CHECK_HEALTH, &[], r#"{"msg":"bare"}"#).await;
    let json = reply.assert_envelope(202, Code::Ok, None);
    // Unset fields get their defaults, as the original's `fromArray`: a generated command_id.
    let id = json["message_ref"]["id"].as_str().unwrap();
    assert!(pbjx::pbj::well_known::identifier::is_valid_uuid(id), "{id}");
    let reply = server.post(CHECK_HEALTH, &[], "").await;
    let json = reply.assert_envelope(415, Code::InvalidArgument, Some("UnsupportedMediaType"));
    assert!(
        json["error_message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid json: ")
    );
    let reply = server.post(CHECK_HEALTH, &[], "null").await;
    reply.assert_envelope(202, Code::Ok, None);
    assert_eq!(server.log().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn methods_other_than_post_get_405_unless_get_is_allowed() {
    let server = Server::start(open()).await;
    let url = server.url(CHECK_HEALTH);
    for method in ["GET", "PUT", "DELETE", "PATCH"] {
        let reply = call(method, &url, &[("content-type", "application/json")], "{}").await;
        let json = reply.assert_envelope(405, Code::Unimplemented, Some("MethodNotAllowed"));
        assert_eq!(
            json["error_message"],
            "You can only use HTTP [POST] on this service."
        );
    }
    server.shutdown().await;

    let server = Server::start(open().with_get_requests(true)).await;
    use base64::Engine as _;
    let pbj =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(check_health("via get").to_json());
    let reply = call(
        "GET",
        &format!("{}?pbj={pbj}", server.url(CHECK_HEALTH)),
        &[("content-type", "application/json")],
        "",
    )
    .await;
    reply.assert_envelope(202, Code::Ok, None);
    // JSONP-style GET (`callback`): the content type is not enforced.
    let pbj = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"msg":"cb"}"#);
    let reply = call(
        "GET",
        &format!("{}?callback=x&pbj={pbj}", server.url(CHECK_HEALTH)),
        &[],
        "",
    )
    .await;
    reply.assert_envelope(202, Code::Ok, None);
    let reply = call(
        "PUT",
        &server.url(CHECK_HEALTH),
        &[("content-type", "application/json")],
        "{}",
    )
    .await;
    let json = reply.assert_envelope(405, Code::Unimplemented, Some("MethodNotAllowed"));
    assert_eq!(
        json["error_message"],
        "You can only use HTTP [GET,POST] on this service."
    );
    assert!(server.log()[0].starts_with("command:via get:"));
    server.shutdown().await;
}

#[tokio::test]
async fn content_types_other_than_json_or_multipart_get_406() {
    let server = Server::start(open()).await;
    let url = server.url(CHECK_HEALTH);
    for headers in [vec![("content-type", "text/plain")], vec![]] {
        let reply = call("POST", &url, &headers, check_health("x").to_json()).await;
        reply.assert_envelope(406, Code::InvalidArgument, Some("NotAcceptable"));
    }
    let reply = call(
        "POST",
        &url,
        &[("content-type", "application/json; charset=utf-8")],
        r#"{"msg":"utf8"}"#,
    )
    .await;
    reply.assert_envelope(202, Code::Ok, None);

    let form = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nignored\r\n--XyZ\r\nContent-Disposition: form-data; name=\"pbj\"\r\n\r\n{}\r\n--XyZ--\r\n",
        check_health("from a form").to_json()
    );
    let reply = call(
        "POST",
        &url,
        &[("content-type", "multipart/form-data; boundary=XyZ")],
        form,
    )
    .await;
    reply.assert_envelope(202, Code::Ok, None);
    let form = "--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--XyZ--\r\n";
    let reply = call(
        "POST",
        &url,
        &[("content-type", "multipart/form-data; boundary=XyZ")],
        form,
    )
    .await;
    reply.assert_envelope(415, Code::InvalidArgument, Some("UnsupportedMediaType"));
    assert_eq!(server.log().len(), 2);
    assert!(server.log()[1].starts_with("command:from a form:"));
    server.shutdown().await;
}

#[tokio::test]
async fn invalid_json_gets_415() {
    let server = Server::start(open()).await;
    for body in ["{", "{\"msg\":}", "[1,", "\u{1}"] {
        let reply = server.post(CHECK_HEALTH, &[], body).await;
        let json = reply.assert_envelope(415, Code::InvalidArgument, Some("UnsupportedMediaType"));
        assert!(
            json["error_message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid json: ")
        );
    }
    let reply = call(
        "POST",
        &server.url(CHECK_HEALTH),
        &[("content-type", "application/json")],
        vec![0xff, 0xfe],
    )
    .await;
    reply.assert_envelope(415, Code::InvalidArgument, Some("UnsupportedMediaType"));
    assert!(server.log().is_empty());
    server.shutdown().await;
}

/// Curie checks: `_schema` must agree with the route; unknown curies; non-pbjx messages.
#[tokio::test]
async fn curie_mismatches_unknown_curies_and_other_message_kinds_get_422() {
    let server = Server::start(open()).await;
    let reply = server.post(ECHO, &[], &check_health("x").to_json()).await;
    let json = reply.assert_envelope(422, Code::InvalidArgument, Some("UnprocessableEntity"));
    assert_eq!(
        json["error_message"],
        "The resolved schema [pbj:gdbots:pbjx:command:check-health:1-0-0] doesn't match expected curie [gdbots:pbjx:request:echo-request]."
    );
    let reply = server.post("/pbjx/acme/blog/command/nope", &[], "{}").await;
    reply.assert_envelope(422, Code::InvalidArgument, Some("UnprocessableEntity"));
    // The envelope (empty category, written `_`) is not a command, event or request.
    let reply = server.post("/pbjx/gdbots/pbjx/_/envelope", &[], "{}").await;
    let json = reply.assert_envelope(422, Code::InvalidArgument, Some("UnprocessableEntity"));
    assert_eq!(
        json["error_message"],
        "This service does not allow you to submit [pbj:gdbots:pbjx::envelope:1-1-0] messages."
    );
    // A value of the wrong type: a schema error, never redacted.
    let reply = server.post(CHECK_HEALTH, &[], r#"{"msg":42}"#).await;
    let json = reply.assert_envelope(422, Code::InvalidArgument, Some("UnprocessableEntity"));
    assert!(
        json["error_message"].as_str().unwrap().contains("msg"),
        "{json}"
    );
    let reply = server.post(CHECK_HEALTH, &[], r#"[1,2]"#).await;
    reply.assert_envelope(422, Code::InvalidArgument, Some("UnprocessableEntity"));
    assert!(server.log().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_bad_segments_get_a_404_envelope() {
    let server = Server::start(open()).await;
    for path in [
        "/pbjx/Gdbots/pbjx/command/check-health",
        "/pbjx/gdbots/pbjx/command/check_health",
        "/pbjx/gdbots/pbjx/command",
        "/pbjx",
        "/elsewhere",
        "/pbjx/a/b/c/d/e",
    ] {
        let reply = server.post(path, &[], "{}").await;
        reply.assert_envelope(404, Code::NotFound, Some("NotFound"));
    }
    server.shutdown().await;
}

/// Tokens: missing, valid (configured kid, `Authorization: Bearer`, `x-pbjx-nonce`), and
/// refused (wrong secret, another body, another URL, unknown kid, expired).
#[tokio::test]
async fn tokens_are_required_and_checked_against_body_and_url() {
    let config = HttpConfig::default()
        .with_key("old", "previous secret")
        .with_key("2024", SECRET)
        .with_token_bypass("/^gdbots:pbjx:event:/");
    let server = Server::start(config).await;
    let body = check_health("signed").to_json();

    let reply = server.post(CHECK_HEALTH, &[], &body).await;
    let json = reply.assert_envelope(400, Code::InvalidArgument, Some("MissingPbjxToken"));
    assert_eq!(
        json["error_message"],
        "Your message could not be handled (Code:INVALID_ARGUMENT)."
    );

    for (kid, secret, extra) in [
        ("2024", SECRET, None),
        ("old", "previous secret", None),
        (
            "bearer",
            "users access token",
            Some(("authorization", "Bearer users access token")),
        ),
        ("nonce", "n-123", Some(("x-pbjx-nonce", "n-123"))),
    ] {
        let token = server.token(CHECK_HEALTH, &body, kid, secret);
        let mut headers = vec![("x-pbjx-token", token.as_str())];
        headers.extend(extra);
        let reply = server.post(CHECK_HEALTH, &headers, &body).await;
        reply.assert_envelope(202, Code::Ok, None);
    }

    let refused = [
        server.token(CHECK_HEALTH, &body, "2024", "wrong secret"),
        server.token(
            CHECK_HEALTH,
            &check_health("other").to_json(),
            "2024",
            SECRET,
        ),
        server.token(ECHO, &body, "2024", SECRET),
        server.token(CHECK_HEALTH, &body, "bearer", "no bearer header"),
        server.token(CHECK_HEALTH, &body, "unknown", SECRET),
        PbjxToken::create_at(
            &body,
            &server.url(CHECK_HEALTH),
            "2024",
            SECRET,
            Default::default(),
            1_500_000_000,
        )
        .unwrap()
        .as_str()
        .to_owned(),
        "not.a.token".to_owned(),
    ];
    for token in &refused {
        let reply = server
            .post(CHECK_HEALTH, &[("x-pbjx-token", token)], &body)
            .await;
        reply.assert_envelope(400, Code::InvalidArgument, Some("InvalidPbjxToken"));
    }
    // The bypass regex lets events through without a token.
    let reply = server
        .post(HEALTH_CHECKED, &[], &HealthCheckedV1::new().to_json())
        .await;
    reply.assert_envelope(202, Code::Ok, None);
    assert_eq!(server.log().len(), 5, "{:?}", server.log());
    server.shutdown().await;

    // Unredacted, the token error says why.
    let server = Server::start(
        HttpConfig::default()
            .with_key("2024", SECRET)
            .with_redaction(false),
    )
    .await;
    let token = server.token(CHECK_HEALTH, &body, "2024", "wrong secret");
    let reply = server
        .post(CHECK_HEALTH, &[("x-pbjx-token", &token)], &body)
        .await;
    let json = reply.assert_envelope(400, Code::InvalidArgument, Some("InvalidPbjxToken"));
    assert_eq!(json["error_message"], "PbjxTokens do not match.");
    server.shutdown().await;
}

#[tokio::test]
async fn dry_run_answers_202_without_handling() {
    let server = Server::start(open()).await;
    let command = check_health("dry");
    let reply = server
        .post(CHECK_HEALTH, &[("x-pbjx-dry-run", "1")], &command.to_json())
        .await;
    let json = reply.assert_envelope(202, Code::Ok, None);
    assert_eq!(
        json["message_ref"]["id"],
        command.command_id().unwrap().to_string()
    );
    let reply = server
        .post(ECHO, &[("x-pbjx-dry-run", "")], r#"{"msg":"dry"}"#)
        .await;
    reply.assert_envelope(202, Code::Ok, None);
    assert!(server.log().is_empty());
    server.shutdown().await;
}

/// Handler failures: the error's code and HTTP status, the message redacted unless
/// redaction is off; a failed request gives its response's code; no handler is 501.
#[tokio::test]
async fn handler_failures_map_code_and_status_and_are_redacted() {
    let server = Server::start(open()).await;
    let reply = server
        .post(CHECK_HEALTH, &[], &check_health("fail").to_json())
        .await;
    let json = reply.assert_envelope(412, Code::FailedPrecondition, Some("NotReady"));
    assert_eq!(
        json["error_message"],
        "Your message could not be handled (Code:FAILED_PRECONDITION)."
    );
    assert!(!reply.body.contains("hunter2"));
    let reply = server.post(ECHO, &[], r#"{"msg":"fail"}"#).await;
    let json = reply.assert_envelope(404, Code::NotFound, Some("NoEcho"));
    assert_eq!(
        json["error_message"],
        "Your message could not be handled (Code:NOT_FOUND)."
    );
    server.shutdown().await;

    let server = Server::start(open().with_redaction(false)).await;
    let reply = server
        .post(CHECK_HEALTH, &[], &check_health("fail").to_json())
        .await;
    let json = reply.assert_envelope(412, Code::FailedPrecondition, Some("NotReady"));
    assert_eq!(json["error_message"], "the database password is hunter2");
    let reply = server.post(ECHO, &[], r#"{"msg":"fail"}"#).await;
    let json = reply.assert_envelope(404, Code::NotFound, Some("NoEcho"));
    assert_eq!(json["error_message"], "nothing to echo");
    server.shutdown().await;

    let log = Log::default();
    let server = Server::start_with(Pbjx::builder().build().unwrap(), open(), log).await;
    let reply = server.post(CHECK_HEALTH, &[], "{}").await;
    reply.assert_envelope(501, Code::Unimplemented, Some("HandlerNotFound"));
    server.shutdown().await;
}

#[tokio::test]
async fn body_limit_gives_413_and_timeout_504() {
    let server = Server::start(
        open()
            .with_body_limit(256)
            .with_timeout(Duration::from_millis(100)),
    )
    .await;
    let big = format!(r#"{{"msg":"{}"}}"#, "x".repeat(300));
    let reply = server.post(CHECK_HEALTH, &[], &big).await;
    reply.assert_envelope(413, Code::InvalidArgument, Some("PayloadTooLarge"));
    let reply = server.post(CHECK_HEALTH, &[], r#"{"msg":"slow"}"#).await;
    reply.assert_envelope(504, Code::DeadlineExceeded, Some("GatewayTimeout"));
    let reply = server.post(CHECK_HEALTH, &[], r#"{"msg":"quick"}"#).await;
    reply.assert_envelope(202, Code::Ok, None);
    server.shutdown().await;
}

/// The envelope goes through bind/validate/enrich before it is written: a hook's `etag`
/// becomes the `ETag` header.
#[tokio::test]
async fn envelope_hooks_run_and_etag_becomes_a_header() {
    let log = Log::default();
    let pbjx = Pbjx::builder()
        .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async { Ok(()) })
        .on_enrich(Selector::of::<EnvelopeV1>(), |event| {
            if let Some(envelope) = event.message_mut() {
                envelope.data_mut().set("etag", "v1.abc")?;
            }
            Ok(())
        })
        .build()
        .unwrap();
    let server = Server::start_with(pbjx, open(), log).await;
    let reply = server.post(CHECK_HEALTH, &[], "{}").await;
    let json = reply.assert_envelope(202, Code::Ok, None);
    assert_eq!(json["etag"], "v1.abc");
    assert_eq!(reply.header("etag"), Some("v1.abc"));
    server.shutdown().await;
}

fn envelope_line(message: impl Message) -> String {
    TransportEnvelope::new(Arc::new(message), false).to_json()
}

/// The receive endpoint: disabled 403 (12), missing/invalid token 403 (7), else the per-line
/// report (PbjxReceiveControllerTest::testInvalidReceive).
#[tokio::test]
async fn receive_reports_every_line() {
    let commands: Vec<CheckHealthV1> = (0..3).map(|i| check_health(&format!("r{i}"))).collect();
    let body = format!(
        "{}\ninvalid json\n{}\n\n{}\n",
        envelope_line(commands[0].clone()),
        envelope_line(commands[1].clone()),
        envelope_line(commands[2].clone())
    );

    let server = Server::start(HttpConfig::default().with_key("k", SECRET)).await;
    let token = server.token("/pbjx/receive", &body, "k", SECRET);
    let reply = server
        .post("/pbjx/receive", &[("x-pbjx-token", &token)], &body)
        .await;
    reply.assert_envelope(403, Code::Unimplemented, Some("AccessDeniedHttpException"));
    server.shutdown().await;

    let server = Server::start(
        HttpConfig::default()
            .with_key("k", SECRET)
            .with_receive(true),
    )
    .await;
    let reply = server.post("/pbjx/receive", &[], &body).await;
    reply.assert_envelope(
        403,
        Code::PermissionDenied,
        Some("AccessDeniedHttpException"),
    );
    let bad = server.token("/pbjx/receive", "other body", "k", SECRET);
    let reply = server
        .post("/pbjx/receive", &[("x-pbjx-token", &bad)], &body)
        .await;
    let json = reply.assert_envelope(
        403,
        Code::PermissionDenied,
        Some("AccessDeniedHttpException"),
    );
    assert_eq!(json["error_message"], "PbjxTokens do not match.");
    let reply = call("GET", &server.url("/pbjx/receive"), &[], "").await;
    reply.assert_envelope(405, Code::Unimplemented, Some("MethodNotAllowed"));
    assert!(server.log().is_empty());

    let token = server.token("/pbjx/receive", &body, "k", SECRET);
    let reply = server
        .post("/pbjx/receive", &[("x-pbjx-token", &token)], &body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let json = reply.json();
    assert_eq!(
        json["lines"],
        serde_json::json!({"total":5,"ok":3,"failed":1,"ignored":1})
    );
    let results = json["results"].as_array().unwrap();
    let ok_refs: Vec<&str> = results
        .iter()
        .filter(|r| r["ok"] == true)
        .map(|r| r["message_ref"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = commands
        .iter()
        .map(|c| c.generate_message_ref(None).to_string())
        .collect();
    assert_eq!(ok_refs, expected);
    for result in results.iter().filter(|r| r["ok"] == false) {
        assert_eq!(result["code"], 3);
    }
    assert_eq!(results[3]["error_message"], "empty line");
    assert_eq!(
        server.log().iter().map(|l| &l[..10]).collect::<Vec<_>>(),
        ["command:r0", "command:r1", "command:r2"]
    );
    server.shutdown().await;
}

/// Shutdown stops accepting but lets the request in flight finish.
#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let server = Server::start(open()).await;
    let url = server.url(CHECK_HEALTH);
    let in_flight = tokio::spawn(async move {
        call(
            "POST",
            &url,
            &[("content-type", "application/json")],
            r#"{"msg":"slow"}"#,
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let addr = server.addr;
    let log = server.log.clone();
    server.shutdown().await;
    let reply = in_flight.await.unwrap();
    reply.assert_envelope(202, Code::Ok, None);
    assert_eq!(log.lock().unwrap().len(), 1);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}

/// `Pbj<T>` in an app's own route, next to the endpoint.
#[tokio::test]
async fn pbj_extractor_and_response_in_an_apps_route() {
    async fn echo(
        axum::extract::State(pbjx): axum::extract::State<Pbjx>,
        Pbj(request): Pbj<EchoRequestV1>,
    ) -> Result<Pbj<EchoResponseV1>, PbjError> {
        Ok(Pbj(pbjx.request_as::<EchoResponseV1>(request).await?))
    }
    let log = Log::default();
    let pbjx = exchange(&log);
    let app: axum::Router = axum::Router::new()
        .route("/echo", axum::routing::post(echo))
        .with_state(pbjx.clone())
        .nest("/pbjx", pbjx::http::router(pbjx, open()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let url = format!("http://{addr}/echo");
    let json_ct = [("content-type", "application/json")];

    let reply = call("POST", &url, &json_ct, r#"{"msg":"typed"}"#).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let response = EchoResponseV1::from_json(&reply.body).unwrap();
    assert_eq!(response.msg(), Some("typed"));

    let reply = call("POST", &url, &json_ct, r#"{"msg":7}"#).await;
    reply.assert_envelope(422, Code::InvalidArgument, Some("UnprocessableEntity"));
    let reply = call("POST", &url, &json_ct, check_health("x").to_json()).await;
    reply.assert_envelope(422, Code::InvalidArgument, Some("UnprocessableEntity"));
    let reply = call("POST", &url, &json_ct, "{").await;
    reply.assert_envelope(415, Code::InvalidArgument, Some("UnsupportedMediaType"));
    let reply = call("POST", &url, &[], "{}").await;
    reply.assert_envelope(406, Code::InvalidArgument, Some("NotAcceptable"));
    let reply = call("POST", &url, &json_ct, r#"{"msg":"fail"}"#).await;
    let json = reply.assert_envelope(404, Code::NotFound, Some("NoEcho"));
    assert_eq!(
        json["error_message"],
        "Your message could not be handled (Code:NOT_FOUND)."
    );
    // The nested endpoint answers next to it.
    let reply = call(
        "POST",
        &format!("http://{addr}{CHECK_HEALTH}"),
        &json_ct,
        "{}",
    )
    .await;
    reply.assert_envelope(202, Code::Ok, None);
}
