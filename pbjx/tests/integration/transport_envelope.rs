//! TransportEnvelope: the pbjx-js golden value, round trips and the strict reader.

use std::sync::Arc;

use pbjx::pbj::{Message, Registry};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::transport::{SERIALIZER_JSON, TransportEnvelope};

const USER: &str = r#"{"_schema":"pbj:acme:iam:node:user:1-0-0","_id":"9c632008-124f-454a-aeef-fd424612abc3","status":"draft","created_at":"1508977465084000","is_blocked":false,"is_staff":false}"#;
const GOLDEN: &str = r#"{"serializer":"json","is_replay":false,"message":"{\"_schema\":\"pbj:acme:iam:node:user:1-0-0\",\"_id\":\"9c632008-124f-454a-aeef-fd424612abc3\",\"status\":\"draft\",\"created_at\":\"1508977465084000\",\"is_blocked\":false,\"is_staff\":false}"}"#;

fn registry() -> Arc<Registry> {
    pbjx::registry()
}

#[test]
fn golden_value() {
    let envelope = TransportEnvelope::from_message_json(USER.to_owned(), false);
    assert_eq!(envelope.to_json(), GOLDEN);
    assert_eq!(envelope.to_string(), GOLDEN);
    assert_eq!(envelope.serializer(), "json");
    assert_eq!(envelope.serializer(), SERIALIZER_JSON);
    assert!(!envelope.is_replay());
    assert!(envelope.message().is_none());
    assert_eq!(envelope.message_json(), USER);
    let replay = TransportEnvelope::from_message_json(USER.to_owned(), true);
    assert!(
        replay
            .to_json()
            .starts_with(r#"{"serializer":"json","is_replay":true,"message":"{\"_schema\""#)
    );
}

#[test]
fn golden_value_needs_the_acme_schema_to_decode() {
    // The acme user is not a core schema: reading the golden envelope must fail, not guess.
    let err = TransportEnvelope::from_json(GOLDEN, &registry()).unwrap_err();
    assert!(err.to_string().contains("acme:iam:node:user"), "{err}");
}

#[test]
fn round_trip_core_messages() {
    let registry = registry();
    for is_replay in [false, true] {
        let command = CheckHealthV1::new()
            .with_msg("line\n\"quoted\" é 💩 \\ /")
            .expect("msg");
        let command: Arc<dyn Message> = Arc::new(command);
        let envelope = TransportEnvelope::new(command.clone(), is_replay);
        let json = envelope.to_json();
        let back = TransportEnvelope::from_json(&json, &registry).expect("round trip");
        assert_eq!(back.is_replay(), is_replay);
        assert_eq!(back.serializer(), "json");
        let message = back.message().expect("decoded");
        assert_eq!(message.to_json(), command.to_json());
        assert_eq!(back.message_json(), command.to_json());
        assert_eq!(back.to_json(), json);
        let typed = back.into_message().expect("message");
        let any: Arc<dyn std::any::Any + Send + Sync> = typed;
        let typed = any.downcast::<CheckHealthV1>().expect("a CheckHealthV1");
        assert_eq!(typed.msg(), Some("line\n\"quoted\" é 💩 \\ /"));
    }
    let event: Arc<dyn Message> = Arc::new(HealthCheckedV1::new().with_msg("ok").expect("msg"));
    let json = TransportEnvelope::new(event.clone(), false).to_json();
    let back = TransportEnvelope::from_json(&json, &registry).expect("event");
    assert_eq!(back.message().map(|m| m.to_json()), Some(event.to_json()));
}

#[test]
fn is_replay_parsing() {
    let registry = registry();
    let message = CheckHealthV1::new().to_json();
    let mut quoted = String::new();
    for c in message.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    for (is_replay, expected) in [("true", true), ("false", false), ("null", false)] {
        let json =
            format!(r#"{{"serializer":"json","is_replay":{is_replay},"message":"{quoted}"}}"#);
        let envelope = TransportEnvelope::from_json(&json, &registry).expect(&json);
        assert_eq!(envelope.is_replay(), expected);
    }
    // Missing is_replay: false; keys in any order, unknown keys ignored.
    let json = format!(r#"{{"message":"{quoted}","extra":[1],"serializer":"json"}}"#);
    let envelope = TransportEnvelope::from_json(&json, &registry).expect("defaults");
    assert!(!envelope.is_replay());
}

#[test]
fn strict_reader() {
    let registry = registry();
    let message = CheckHealthV1::new().to_json().replace('"', "\\\"");
    let invalid = [
        String::new(),
        "not json".to_owned(),
        "[]".to_owned(),
        r#""a string""#.to_owned(),
        // No serializer: the PHP original fell back to unserialize().
        format!(r#"{{"is_replay":false,"message":"{message}"}}"#),
        format!(r#"{{"serializer":"php","is_replay":false,"message":"{message}"}}"#),
        format!(r#"{{"serializer":null,"is_replay":false,"message":"{message}"}}"#),
        format!(r#"{{"serializer":"json","is_replay":"true","message":"{message}"}}"#),
        format!(r#"{{"serializer":"json","is_replay":1,"message":"{message}"}}"#),
        r#"{"serializer":"json","is_replay":false}"#.to_owned(),
        r#"{"serializer":"json","is_replay":false,"message":{"_schema":"pbj:gdbots:pbjx:command:check-health:1-0-0"}}"#
            .to_owned(),
        r#"{"serializer":"json","is_replay":false,"message":"not json"}"#.to_owned(),
        r#"{"serializer":"json","is_replay":false,"message":"{}"}"#.to_owned(),
        format!(r#"{{"serializer":"json","is_replay":false,"message":"{message}"}} trailing"#),
    ];
    for input in &invalid {
        let err = TransportEnvelope::from_json(input, &registry).expect_err(input);
        assert_eq!(err.code(), pbjx::Code::InvalidArgument, "{input}: {err}");
    }
    let err = TransportEnvelope::from_json(&invalid[4], &registry).unwrap_err();
    assert!(err.to_string().contains("serializer is missing"), "{err}");
}

/// Envelopes decode with the exchange's registry: the core schemas by default, exactly what
/// `PbjxBuilder::registry` was given otherwise.
#[test]
fn exchange_registry_decodes_envelopes() {
    let command: Arc<dyn Message> = Arc::new(CheckHealthV1::new().with_msg("ping").unwrap());
    let json = TransportEnvelope::new(command, false).to_json();

    let pbjx = pbjx::Pbjx::builder().build().unwrap();
    let envelope = TransportEnvelope::from_json(&json, pbjx.registry()).unwrap();
    assert_eq!(
        envelope.message().map(|m| m.schema().curie),
        Some("gdbots:pbjx:command:check-health")
    );

    let empty = Arc::new(Registry::new());
    let pbjx = pbjx::Pbjx::builder()
        .registry(empty.clone())
        .build()
        .unwrap();
    assert!(Arc::ptr_eq(pbjx.registry(), &empty));
    let err = TransportEnvelope::from_json(&json, pbjx.registry()).unwrap_err();
    assert!(err.to_string().contains("check-health"), "{err}");
}
