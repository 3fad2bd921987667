//! Debugger: JSON lines for transport sends and published events.

use std::io::Write;
use std::sync::{Arc, Mutex};

use pbjx::debugger::{DebugTransport, Debugger};
use pbjx::pbj::codec::json::{self, Json};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::transport::InMemoryTransport;
use pbjx::{Code, Error, Pbjx};

/// A `Vec<u8>` sink the test can read back.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().expect("lock").clone();
        String::from_utf8(bytes)
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// `(event, transport, schema curie of message)` of a line, checking its shape.
fn summary(line: &str) -> (String, Option<String>, String) {
    let Ok(Json::Object(entries)) = json::parse(line) else {
        panic!("not an object: {line}")
    };
    let keys: Vec<&str> = entries.iter().map(|(k, _)| &**k).collect();
    let text = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| match v {
                Json::String(s) => Some(s.to_string()),
                _ => None,
            })
    };
    let message = entries
        .iter()
        .find(|(k, _)| k == "message")
        .map(|(_, v)| v)
        .expect("message");
    let Json::Object(fields) = message else {
        panic!("message is not an object: {line}")
    };
    let schema = fields
        .iter()
        .find(|(k, _)| k == "_schema")
        .and_then(|(_, v)| {
            if let Json::String(s) = v {
                Some(s.to_string())
            } else {
                None
            }
        })
        .expect("_schema");
    assert_eq!(keys.first(), Some(&"event"), "{line}");
    assert_eq!(keys.last(), Some(&"message"), "{line}");
    (text("event").expect("event"), text("transport"), schema)
}

#[tokio::test]
async fn records_send_publish_and_request() {
    let buffer = Buffer::default();
    let debugger = Arc::new(Debugger::to_writer(buffer.clone()));
    let pbjx = Pbjx::builder()
        .transport(DebugTransport::new(InMemoryTransport, debugger.clone()))
        .subscribe_to("*", debugger.subscriber())
        .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async { Ok(()) })
        .request(|req: Arc<EchoRequestV1>, _pbjx| async move {
            EchoResponseV1::new()
                .with_msg(req.msg().unwrap_or_default())
                .map_err(Error::from)
        })
        .build()
        .expect("pbjx");
    assert_eq!(pbjx.transport_name(), "in_memory");

    pbjx.send(
        CheckHealthV1::new()
            .with_msg("a \"quoted\" msg")
            .expect("msg"),
    )
    .await
    .expect("send");
    pbjx.publish(HealthCheckedV1::new()).await.expect("publish");
    pbjx.request(EchoRequestV1::new().with_msg("hi").expect("msg"))
        .await
        .expect("request");

    let lines = buffer.lines();
    let got: Vec<_> = lines.iter().map(|l| summary(l)).collect();
    let t = Some("in_memory".to_owned());
    let expected = vec![
        (
            "transport.before_send".to_owned(),
            t.clone(),
            "pbj:gdbots:pbjx:command:check-health:1-0-0".to_owned(),
        ),
        (
            "transport.after_send".to_owned(),
            t.clone(),
            "pbj:gdbots:pbjx:command:check-health:1-0-0".to_owned(),
        ),
        (
            "transport.before_send".to_owned(),
            t.clone(),
            "pbj:gdbots:pbjx:event:health-checked:1-0-0".to_owned(),
        ),
        (
            "event.published".to_owned(),
            None,
            "pbj:gdbots:pbjx:event:health-checked:1-0-0".to_owned(),
        ),
        (
            "transport.after_send".to_owned(),
            t.clone(),
            "pbj:gdbots:pbjx:event:health-checked:1-0-0".to_owned(),
        ),
        (
            "transport.before_send".to_owned(),
            t.clone(),
            "pbj:gdbots:pbjx:request:echo-request:1-0-0".to_owned(),
        ),
        (
            "transport.after_send".to_owned(),
            t.clone(),
            "pbj:gdbots:pbjx:request:echo-response:1-0-0".to_owned(),
        ),
    ];
    assert_eq!(got, expected, "{lines:#?}");
    assert!(lines[0].starts_with(
        r#"{"event":"transport.before_send","transport":"in_memory","message":{"_schema":"#
    ));
    assert!(
        lines[0].contains(r#""msg":"a \"quoted\" msg""#),
        "{}",
        lines[0]
    );
}

#[tokio::test]
async fn records_transport_exceptions() {
    let buffer = Buffer::default();
    let debugger = Arc::new(Debugger::to_writer(buffer.clone()));
    let pbjx = Pbjx::builder()
        .transport(DebugTransport::new(InMemoryTransport, debugger))
        .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async {
            Err(Error::handler(
                Code::Aborted,
                "Nope",
                "failed \"on purpose\"",
            ))
        })
        .build()
        .expect("pbjx");
    pbjx.send(CheckHealthV1::new())
        .await
        .expect_err("handler fails");
    let lines = buffer.lines();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(summary(&lines[1]).0, "transport.exception");
    assert!(
        lines[1].starts_with(r#"{"event":"transport.exception","transport":"in_memory","error":"Nope (ABORTED): failed \"on purpose\"","message":{"#),
        "{}",
        lines[1]
    );
}

#[tokio::test]
async fn tracing_sink_does_not_fail() {
    let debugger = Arc::new(Debugger::to_tracing());
    let pbjx = Pbjx::builder()
        .transport(DebugTransport::new(InMemoryTransport, debugger.clone()))
        .subscribe_to("*", debugger.subscriber())
        .build()
        .expect("pbjx");
    pbjx.publish(HealthCheckedV1::new()).await.expect("publish");
}
