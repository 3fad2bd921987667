//! Robustness of the HTTP endpoint: arbitrary methods, paths, headers and bodies thrown at the
//! router (in process, `tower::ServiceExt::oneshot`) always get a well-formed answer: an
//! envelope whose `http_code` is the status, a 2xx or a 4xx (never a 5xx: every handler of the
//! exchange succeeds, so any failure is the client's), and never a panic. `/receive` answers
//! 200 with a per-line report once the token is right.
#![cfg(feature = "http")]

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use pbjx::http::HttpConfig;
use pbjx::pbj::{Message, MessageType};
use pbjx::schemas::gdbots::pbjx::EnvelopeV1;
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::token::PbjxToken;
use pbjx::transport::TransportEnvelope;
use pbjx::{Code, Pbjx};
use proptest::prelude::*;
use tower::ServiceExt;

const SECRET: &str = "robustness";

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
});

fn exchange() -> Pbjx {
    Pbjx::builder()
        .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async { Ok(()) })
        .request(|req: Arc<EchoRequestV1>, _pbjx| async move {
            Ok(EchoResponseV1::new().with_msg(req.msg().unwrap_or_default())?)
        })
        .build()
        .unwrap()
}

/// An open router (no tokens) and one that requires them, both with `/receive` enabled.
static ROUTERS: LazyLock<[Router; 2]> = LazyLock::new(|| {
    let base = HttpConfig::default()
        .with_key("k", SECRET)
        .with_receive(true)
        .with_get_requests(true);
    [
        pbjx::http::router(exchange(), base.clone().with_token_bypass("all")),
        pbjx::http::router(exchange(), base),
    ]
});

fn method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
    ])
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "gdbots",
            "pbjx",
            "command",
            "event",
            "request",
            "_",
            "check-health",
            "health-checked",
            "echo-request",
            "echo-response",
            "envelope",
            "receive",
            "acme",
            "",
            "request-failed-response",
            "event-execution-failed",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9._~%-]{0,12}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    let known = prop::sample::select(vec![
        "/gdbots/pbjx/command/check-health",
        "/gdbots/pbjx/event/health-checked",
        "/gdbots/pbjx/request/echo-request",
        "/gdbots/pbjx/request/echo-response",
        "/gdbots/pbjx/_/envelope",
        "/receive",
    ])
    .prop_map(str::to_owned);
    let random = (
        prop::collection::vec(segment(), 0..7),
        prop::option::of("[a-z=&%0-9]{0,16}"),
    )
        .prop_map(|(segments, query)| {
            let mut path = format!("/{}", segments.join("/"));
            if let Some(query) = query {
                path.push('?');
                path.push_str(&query);
            }
            path
        });
    prop_oneof![3 => known, 2 => random]
}

fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| if n.is_finite() {
            n.to_string()
        } else {
            "1e999".into()
        }),
        ".{0,20}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("\"2024-01-01T00:00:00.000Z\"".to_owned()),
        Just("\"gdbots:pbjx::envelope:x\"".to_owned()),
        Just("\"pbj:gdbots:pbjx:command:check-health:1-0-0\"".to_owned()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..4).prop_map(|v| {
                let members: Vec<String> = v
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap()))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// A real message's JSON with one member replaced or added.
fn mutated_message() -> impl Strategy<Value = String> {
    let messages = vec![
        CheckHealthV1::new().with_msg("m").unwrap().to_json(),
        HealthCheckedV1::new().to_json(),
        EchoRequestV1::new().with_msg("m").unwrap().to_json(),
        EchoResponseV1::new().to_json(),
    ];
    (
        prop::sample::select(messages),
        prop::sample::select(vec![
            "_schema",
            "msg",
            "command_id",
            "event_id",
            "request_id",
            "occurred_at",
            "ctx_correlator_ref",
            "ctx_app",
            "ctx_tenant_id",
            "ctx_retries",
            "unknown",
        ]),
        json_value(),
    )
        .prop_map(|(json, key, value)| {
            let mut object: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&json).unwrap();
            match serde_json::from_str(&value) {
                Ok(value) => {
                    object.insert(key.to_owned(), value);
                    serde_json::to_string(&object).unwrap()
                }
                // Not representable by serde_json (e.g. 1e999): splice the raw text in.
                Err(_) => format!(r#"{{"{key}":{value},{}"#, &json[1..]),
            }
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        ".{0,64}".prop_map(String::into_bytes),
        json_value().prop_map(String::into_bytes),
        mutated_message().prop_map(String::into_bytes),
        mutated_message().prop_map(|m| {
            // As newline-delimited envelopes for `/receive`, one of them broken.
            let line = TransportEnvelope::from_message_json(m, false).to_json();
            let mut lines = format!("{line}\n\n").into_bytes();
            lines.extend_from_slice(&line.as_bytes()[..line.len() / 2]);
            lines.extend_from_slice(format!("\n{line}").as_bytes());
            lines
        }),
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        Just("application/json".to_owned()),
        Just("application/json; charset=utf-8".to_owned()),
        Just("multipart/form-data; boundary=XyZ".to_owned()),
        Just("multipart/form-data".to_owned()),
        Just("text/plain".to_owned()),
        "[ -~]{0,30}",
    ])
}

#[derive(Debug, Clone)]
struct Case {
    router: usize,
    method: &'static str,
    path: String,
    content_type: Option<String>,
    token: Option<String>,
    sign: bool,
    authorization: Option<String>,
    nonce: Option<String>,
    dry_run: bool,
    body: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..2usize,
        method(),
        path(),
        content_type(),
        prop::option::of("[ -~]{0,40}"),
        any::<bool>(),
        prop::option::of("(Bearer )?[ -~]{0,20}"),
        prop::option::of("[ -~]{0,20}"),
        any::<bool>(),
        body(),
    )
        .prop_map(
            |(
                router,
                method,
                path,
                content_type,
                token,
                sign,
                authorization,
                nonce,
                dry_run,
                body,
            )| Case {
                router,
                method,
                path,
                content_type,
                token,
                sign,
                authorization,
                nonce,
                dry_run,
                body,
            },
        )
}

fn request(case: &Case) -> Option<Request<Body>> {
    let mut builder = Request::builder().method(case.method).uri(&case.path);
    builder = builder.header("host", "pbjx.test");
    if let Some(ct) = &case.content_type {
        builder = builder.header("content-type", ct);
    }
    let token = if case.sign {
        // A valid token for the body when it is text.
        std::str::from_utf8(&case.body).ok().and_then(|body| {
            let aud = format!("http://pbjx.test{}", case.path);
            PbjxToken::create(body, &aud, "k", SECRET)
                .ok()
                .map(|t| t.as_str().to_owned())
        })
    } else {
        case.token.clone()
    };
    if let Some(token) = token {
        builder = builder.header("x-pbjx-token", token);
    }
    if let Some(auth) = &case.authorization {
        builder = builder.header("authorization", auth);
    }
    if let Some(nonce) = &case.nonce {
        builder = builder.header("x-pbjx-nonce", nonce);
    }
    if case.dry_run {
        builder = builder.header("x-pbjx-dry-run", "1");
    }
    builder.body(Body::from(case.body.clone())).ok()
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let Some(request) = request(case) else {
        // Not a valid HTTP request (a path or header hyper would refuse): nothing to send.
        return Ok(());
    };
    let router = ROUTERS[case.router].clone();
    let (status, has_id, body) = RUNTIME.block_on(async move {
        let response = router.oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let has_id = response.headers().contains_key("x-pbjx-envelope-id");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, has_id, String::from_utf8(body.to_vec()).unwrap())
    });
    prop_assert!(status < 500, "{status}: {body}");
    if case.method == "HEAD" {
        // HEAD answers carry no body: the status and the envelope id header are all there is.
        prop_assert!(body.is_empty() && has_id && (400..500).contains(&status));
        return Ok(());
    }
    let json: serde_json::Value = serde_json::from_str(&body)
        .map_err(|e| TestCaseError::fail(format!("{e}: {status} [{body}]")))?;
    if json.get("lines").is_some() {
        // The receive report.
        prop_assert_eq!(status, 200);
        let lines = &json["lines"];
        let total = lines["total"].as_u64().unwrap();
        prop_assert_eq!(
            total,
            lines["ok"].as_u64().unwrap()
                + lines["failed"].as_u64().unwrap()
                + lines["ignored"].as_u64().unwrap()
        );
        prop_assert_eq!(json["results"].as_array().unwrap().len() as u64, total);
        return Ok(());
    }
    let envelope = EnvelopeV1::from_json(&body).unwrap();
    envelope.validate().unwrap();
    prop_assert_eq!(
        json["http_code"].as_u64(),
        Some(u64::from(status)),
        "{}",
        body
    );
    let code = json["code"].as_i64().unwrap();
    prop_assert!(Code::from_i64(code).is_some());
    prop_assert_eq!(json["ok"].as_bool(), Some(code == 0));
    if code == 0 {
        prop_assert!(status == 200 || status == 202, "{status}: {body}");
    } else {
        prop_assert!((400..500).contains(&status), "{status}: {body}");
        prop_assert!(json["error_name"].is_string(), "{}", body);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_answer_is_a_well_formed_2xx_or_4xx(case in case()) {
        check(&case)?;
    }
}

/// Valid messages do get through (the property above is not just "everything is refused").
#[test]
fn valid_messages_reach_the_handlers() {
    let case = Case {
        router: 0,
        method: "POST",
        path: "/gdbots/pbjx/request/echo-request".into(),
        content_type: Some("application/json".into()),
        token: None,
        sign: false,
        authorization: None,
        nonce: None,
        dry_run: false,
        body: EchoRequestV1::new()
            .with_msg("hi")
            .unwrap()
            .to_json()
            .into_bytes(),
    };
    let router = ROUTERS[0].clone();
    let (status, body) = RUNTIME.block_on(async move {
        let response = router.oneshot(request(&case).unwrap()).await.unwrap();
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    });
    assert_eq!(status, 200, "{body}");
    let envelope = EnvelopeV1::from_json(&body).unwrap();
    assert!(envelope.to_json().contains(r#""msg":"hi""#));
}
