//! The DynamoDB event store against a real AWS emulator (moto server on 127.0.0.1).
//!
//! These tests need `AWS_ENDPOINT_URL` pointing at the emulator and FAIL without it:
//! `bash .ci/aws-emulator.sh start && eval "$(bash .ci/aws-emulator.sh env)"`
//! (`scripts/test-all.sh` does both). Every test uses its own table (`pbjx-test-{uuid}`).
#![cfg(feature = "dynamodb")]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue as SdkValue;
use pbjx::event_store::dynamodb::{
    DynamoDbEventStore, EventFilter, MAX_EVENTS_PER_APPEND, ShardAttribute, from_sdk_item,
    shard_attributes, to_sdk_item,
};
use pbjx::event_store::{
    BoxStream, EventStore, ExpectedState, SliceQuery, StoredEvent, StreamId, event_id,
};
use pbjx::pbj::marshal::dynamodb::{marshal, unmarshal};
use pbjx::pbj::{Flavor, Message, Microtime};
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::testkit::dynamodb::{
    emulator_client, emulator_config, emulator_endpoint, previous_heads, write_previous_layout,
};
use pbjx::testkit::event_store as conformance;
use pbjx::{Code, Error, Result};

const BASE_SEC: u64 = 1_700_000_000;

fn registry() -> pbjx::pbj::Registry {
    let mut registry = pbjx::pbj::Registry::new();
    pbjx::register(&mut registry);
    registry
}

fn table_name() -> String {
    format!("pbjx-test-{}", uuid::Uuid::new_v4())
}

/// A store on a fresh table.
async fn store() -> DynamoDbEventStore {
    let store = DynamoDbEventStore::new(emulator_client().await, table_name(), registry());
    store.create_storage().await.expect("create_storage");
    store
}

fn at(offset_micros: u64) -> Microtime {
    let total = BASE_SEC * 1_000_000 + offset_micros;
    Microtime::new(total / 1_000_000, (total % 1_000_000) as u32).unwrap()
}

fn event(offset_micros: u64, msg: &str) -> Arc<dyn Message> {
    let mut e = HealthCheckedV1::new()
        .with_occurred_at(at(offset_micros))
        .unwrap()
        .with_msg(msg)
        .unwrap();
    e.freeze();
    Arc::new(e)
}

fn stream(s: &str) -> StreamId {
    StreamId::parse(s).unwrap()
}

fn msg(e: &StoredEvent) -> String {
    e.event
        .data()
        .get_single("msg")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_owned()
}

fn id_of(e: &Arc<dyn Message>) -> String {
    event_id(&**e).unwrap().to_owned()
}

async fn collect(mut s: BoxStream<'_, Result<StoredEvent>>) -> Vec<Result<StoredEvent>> {
    let mut out = Vec::new();
    while let Some(item) = std::future::poll_fn(|cx| s.as_mut().poll_next(cx)).await {
        out.push(item);
    }
    out
}

async fn all(store: &DynamoDbEventStore, s: &StreamId) -> Vec<StoredEvent> {
    store
        .get_stream_slice(
            s,
            SliceQuery {
                count: 1000,
                consistent: true,
                ..SliceQuery::default()
            },
        )
        .await
        .unwrap()
        .events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_describe_storage() {
    let store = store().await;
    // idempotent
    store.create_storage().await.unwrap();
    let text = store.describe_storage().await.unwrap();
    assert_eq!(store.heads_table(), format!("{}-heads", store.table()));
    assert!(
        text.contains(&format!("events table: {}\n", store.table())),
        "{text}"
    );
    assert!(
        text.contains(&format!("heads table: {}\n", store.heads_table())),
        "{text}"
    );
    assert_eq!(text.matches("status: ACTIVE").count(), 2, "{text}");
    assert!(text.contains("__stream_id (HASH)"), "{text}");
    assert!(text.contains("occurred_at (RANGE)"), "{text}");
    assert!(
        text.contains("event_id_index on event_id (KEYS_ONLY"),
        "{text}"
    );
    assert!(text.contains("PAY_PER_REQUEST"), "{text}");
    assert!(text.contains("NEW_IMAGE"), "{text}");
    assert_eq!(store.name(), "dynamodb");

    let missing = DynamoDbEventStore::new(emulator_client().await, table_name(), registry());
    let text = missing.describe_storage().await.unwrap();
    assert_eq!(text.matches("does not exist").count(), 2, "{text}");

    // the heads table's name is overridable
    let heads = format!("{}-custom-heads", table_name());
    let custom = DynamoDbEventStore::new(emulator_client().await, table_name(), registry())
        .with_heads_table(heads.clone());
    custom.create_storage().await.unwrap();
    let exists = |table: String| async move {
        emulator_client()
            .await
            .describe_table()
            .table_name(table)
            .send()
            .await
            .is_ok()
    };
    assert!(exists(heads).await);
    assert!(!exists(format!("{}-heads", custom.table())).await);
    let s = stream("acme:custom");
    custom
        .put_events(&s, vec![event(1, "a")], ExpectedState::NoStream)
        .await
        .unwrap();
    assert_eq!(custom.stream_head(&s).await.unwrap().sequence, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_env_constructor_reaches_the_emulator() {
    emulator_endpoint();
    if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
        panic!("AWS_ACCESS_KEY_ID is not set: eval \"$(bash .ci/aws-emulator.sh env)\"");
    }
    let store = DynamoDbEventStore::from_env(table_name(), registry()).await;
    store.create_storage().await.unwrap();
    let s = stream("acme:env");
    store
        .put_events(&s, vec![event(1, "a")], ExpectedState::NoStream)
        .await
        .unwrap();
    assert_eq!(all(&store, &s).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_and_read_slices() {
    let store = store().await;
    let s = stream("acme:article:1");
    let events: Vec<_> = (1..=5).map(|i| event(i * 10, &format!("e{i}"))).collect();
    let appended = store
        .put_events(&s, events.clone(), ExpectedState::NoStream)
        .await
        .unwrap();
    assert_eq!((appended.first_sequence, appended.last_sequence), (1, 5));

    let slice = store
        .get_stream_slice(
            &s,
            SliceQuery {
                count: 3,
                consistent: true,
                ..SliceQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(slice.forward && slice.consistent && slice.has_more);
    assert_eq!(slice.stream_id, s);
    let seqs: Vec<_> = slice.events.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(
        slice.events.iter().map(msg).collect::<Vec<_>>(),
        ["e1", "e2", "e3"]
    );
    assert_eq!(slice.last_occurred_at(), Some(at(30)));
    assert!(slice.events.iter().all(|e| e.event.is_frozen()));
    assert!(slice.events.iter().all(|e| e.stream_id == s));

    // exclusive since, the rest: exactly 2 left -> has_more false
    let rest = store
        .get_stream_slice(
            &s,
            SliceQuery {
                since: slice.last_occurred_at(),
                count: 2,
                consistent: true,
                ..SliceQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rest.events.iter().map(msg).collect::<Vec<_>>(),
        ["e4", "e5"]
    );
    assert!(!rest.has_more);

    // backward from the end and from a bound
    let back = store
        .get_stream_slice(
            &s,
            SliceQuery {
                count: 2,
                forward: false,
                consistent: true,
                ..SliceQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        back.events.iter().map(msg).collect::<Vec<_>>(),
        ["e5", "e4"]
    );
    assert!(back.has_more && !back.forward);
    let back = store
        .get_stream_slice(
            &s,
            SliceQuery {
                since: Some(at(30)),
                count: 10,
                forward: false,
                consistent: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        back.events.iter().map(msg).collect::<Vec<_>>(),
        ["e2", "e1"]
    );
    assert!(!back.has_more);
    assert_eq!(back.last_occurred_at(), Some(at(10)));

    // the stored event is the event
    let first = &all(&store, &s).await[0];
    assert_eq!(first.event.to_json(), events[0].to_json());

    // unknown stream: empty slice
    let empty = store
        .get_stream_slice(&stream("acme:article:none"), SliceQuery::default())
        .await
        .unwrap();
    assert!(empty.events.is_empty() && !empty.has_more);

    // the head
    let head = store.stream_head(&s).await.unwrap();
    assert_eq!(head.sequence, 5);
    assert_eq!(
        head.last_event_id.as_deref(),
        Some(id_of(&events[4]).as_str())
    );

    // empty append: nothing written
    let appended = store
        .put_events(&s, vec![], ExpectedState::Sequence(5))
        .await
        .unwrap();
    assert_eq!(appended.last_sequence, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimistic_expectations() {
    let store = store().await;
    let s = stream("acme:order:7");
    let e1 = event(1, "one");
    let e2 = event(2, "two");

    // Etag and Sequence(n > 0) on an empty stream fail; Sequence(0) and NoStream hold
    for expected in [
        ExpectedState::Etag("nope".into()),
        ExpectedState::Sequence(1),
    ] {
        let err = store
            .put_events(&s, vec![e1.clone()], expected)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::OptimisticCheckFailed { .. }), "{err}");
        assert_eq!(err.code(), Code::FailedPrecondition);
    }
    let a = store
        .put_events(&s, vec![e1.clone()], ExpectedState::Sequence(0))
        .await
        .unwrap();
    assert_eq!((a.first_sequence, a.last_sequence), (1, 1));

    // NoStream on a non-empty stream, stale sequence, wrong etag: rejected, nothing written
    for expected in [
        ExpectedState::NoStream,
        ExpectedState::Sequence(0),
        ExpectedState::Sequence(2),
        ExpectedState::Etag("nope".into()),
    ] {
        let err = store
            .put_events(&s, vec![e2.clone()], expected.clone())
            .await
            .unwrap_err();
        match &err {
            Error::OptimisticCheckFailed {
                stream,
                expected: exp,
                actual,
            } => {
                assert_eq!(stream, "acme:order:7");
                assert_eq!(exp, &expected.to_string());
                assert!(actual.contains("sequence 1"), "{actual}");
            }
            other => panic!("{other}"),
        }
    }
    assert_eq!(all(&store, &s).await.len(), 1);

    // Etag: the last event id, or its md5
    let id1 = id_of(&e1);
    let a = store
        .put_events(&s, vec![e2.clone()], ExpectedState::Etag(id1))
        .await
        .unwrap();
    assert_eq!(a.last_sequence, 2);
    let md5 = pbj::etag::md5_hex(id_of(&e2));
    let a = store
        .put_events(
            &s,
            vec![event(3, "three"), event(4, "four")],
            ExpectedState::Etag(md5),
        )
        .await
        .unwrap();
    assert_eq!((a.first_sequence, a.last_sequence), (3, 4));
    let a = store
        .put_events(&s, vec![event(5, "five")], ExpectedState::Sequence(4))
        .await
        .unwrap();
    assert_eq!(a.last_sequence, 5);
    let a = store
        .put_events(&s, vec![event(6, "six")], ExpectedState::Any)
        .await
        .unwrap();
    assert_eq!(a.last_sequence, 6);
    let seqs: Vec<_> = all(&store, &s).await.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_occurred_at_is_rejected_not_overwritten() {
    let store = store().await;
    let s = stream("acme:dup");
    store
        .put_events(&s, vec![event(100, "original")], ExpectedState::Any)
        .await
        .unwrap();

    // same microsecond, in a batch with a fresh event: the whole append is rejected
    let err = store
        .put_events(
            &s,
            vec![event(50, "fresh"), event(100, "impostor")],
            ExpectedState::Any,
        )
        .await
        .unwrap_err();
    match &err {
        Error::AlreadyExists { stream, what } => {
            assert_eq!(stream, "acme:dup");
            assert!(what.contains(&at(100).to_string()), "{what}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(err.code(), Code::AlreadyExists);
    // also with an exact expectation
    let err = store
        .put_events(&s, vec![event(100, "impostor")], ExpectedState::Sequence(1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");

    // two events with one occurred_at in one append
    let err = store
        .put_events(
            &s,
            vec![event(200, "a"), event(200, "b")],
            ExpectedState::Any,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");

    let events = all(&store, &s).await;
    assert_eq!(events.iter().map(msg).collect::<Vec<_>>(), ["original"]);
    assert_eq!(store.stream_head(&s).await.unwrap().sequence, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_any_appends_get_gapless_sequences() {
    let store = store().await;
    let s = stream("acme:busy");
    let mut tasks = Vec::new();
    for writer in 0..6u64 {
        let store = store.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for i in 0..3u64 {
                let e = event(1 + writer * 100 + i, &format!("w{writer}-{i}"));
                let a = store
                    .put_events(&s, vec![e], ExpectedState::Any)
                    .await
                    .unwrap();
                assert_eq!(a.first_sequence, a.last_sequence);
                got.push(a.first_sequence);
            }
            got
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.extend(t.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=18).collect::<Vec<u64>>());
    let mut stored: Vec<_> = all(&store, &s).await.iter().map(|e| e.sequence).collect();
    stored.sort_unstable();
    assert_eq!(stored, (1..=18).collect::<Vec<u64>>());
    assert_eq!(store.stream_head(&s).await.unwrap().sequence, 18);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_with_one_expectation_exactly_one_wins() {
    let store = store().await;
    let s = stream("acme:race");
    let mut tasks = Vec::new();
    for writer in 0..5u64 {
        let store = store.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let events = vec![event(writer * 10 + 1, "x"), event(writer * 10 + 2, "y")];
            store.put_events(&s, events, ExpectedState::NoStream).await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(a) => {
                wins += 1;
                assert_eq!((a.first_sequence, a.last_sequence), (1, 2));
            }
            Err(Error::OptimisticCheckFailed { .. }) => {}
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(all(&store, &s).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_limits() {
    let store = store().await;
    let s = stream("acme:big");
    let too_many: Vec<_> = (0..=MAX_EVENTS_PER_APPEND as u64)
        .map(|i| event(i + 1, "x"))
        .collect();
    let err = store
        .put_events(&s, too_many, ExpectedState::Any)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    assert!(err.to_string().contains("98"), "{err}");
    assert!(all(&store, &s).await.is_empty());

    let most: Vec<_> = (0..MAX_EVENTS_PER_APPEND as u64)
        .map(|i| event(i + 1, "x"))
        .collect();
    let a = store
        .put_events(&s, most, ExpectedState::NoStream)
        .await
        .unwrap();
    assert_eq!((a.first_sequence, a.last_sequence), (1, 98));

    // occurred_at 0 is the head's slot
    let mut zero = HealthCheckedV1::new()
        .with_occurred_at(Microtime::new(0, 0).unwrap())
        .unwrap();
    zero.freeze();
    let err = store
        .put_events(
            &stream("acme:zero"),
            vec![Arc::new(zero)],
            ExpectedState::Any,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");

    // not an event
    let mut cmd = pbjx::schemas::gdbots::pbjx::command::CheckHealthV1::new();
    cmd.freeze();
    let err = store
        .put_events(&s, vec![Arc::new(cmd)], ExpectedState::Any)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WrongMessageKind { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_delete_events_across_streams() {
    let store = store().await;
    let a = stream("acme:a");
    let b = stream("acme:b");
    let e1 = event(1, "one");
    let e2 = event(2, "two");
    let e3 = event(3, "three");
    store
        .put_events(&a, vec![e1.clone(), e2.clone()], ExpectedState::Any)
        .await
        .unwrap();
    // e1 is also in stream b
    store
        .put_events(&b, vec![e1.clone(), e3.clone()], ExpectedState::Any)
        .await
        .unwrap();

    let got = store.get_event(&id_of(&e2)).await.unwrap();
    assert_eq!(
        (msg(&got), got.sequence, got.stream_id.clone()),
        ("two".into(), 2, a.clone())
    );
    let err = store.get_event("no-such-id").await.unwrap_err();
    assert!(matches!(err, Error::EventNotFound { .. }), "{err}");
    assert_eq!(err.code(), Code::NotFound);

    let ids = vec![id_of(&e3), "missing".to_owned(), id_of(&e1), id_of(&e2)];
    let got = store.get_events(&ids).await.unwrap();
    assert_eq!(
        got.iter().map(msg).collect::<Vec<_>>(),
        ["three", "one", "two"]
    );
    assert!(store.get_events(&[]).await.unwrap().is_empty());

    // delete removes every copy; deleting again is fine
    store.delete_event(&id_of(&e1)).await.unwrap();
    store.delete_event(&id_of(&e1)).await.unwrap();
    assert!(matches!(
        store.get_event(&id_of(&e1)).await,
        Err(Error::EventNotFound { .. })
    ));
    assert_eq!(
        all(&store, &a).await.iter().map(msg).collect::<Vec<_>>(),
        ["two"]
    );
    assert_eq!(
        all(&store, &b).await.iter().map(msg).collect::<Vec<_>>(),
        ["three"]
    );
    // the heads keep their sequences: the next append continues, never reuses
    let next = store
        .put_events(&a, vec![event(4, "four")], ExpectedState::Sequence(2))
        .await
        .unwrap();
    assert_eq!(next.first_sequence, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipes() {
    let store = store().await.with_scan(4, 2);
    let streams = [stream("acme:p:1"), stream("acme:p:2"), stream("acme:p:3")];
    for (n, s) in streams.iter().enumerate() {
        let events: Vec<_> = (1..=4u64)
            .map(|i| event(i * 10 + n as u64, &format!("{n}-{i}")))
            .collect();
        store
            .put_events(s, events, ExpectedState::NoStream)
            .await
            .unwrap();
    }

    // pipe_events: exclusive since and until
    let piped = collect(store.pipe_events(&streams[0], Some(at(10)), Some(at(40)))).await;
    let piped: Vec<_> = piped.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(piped.iter().map(msg).collect::<Vec<_>>(), ["0-2", "0-3"]);
    let piped = collect(store.pipe_events(&streams[1], None, None)).await;
    assert_eq!(piped.len(), 4);
    assert!(
        collect(store.pipe_events(&stream("acme:p:none"), None, None))
            .await
            .is_empty()
    );

    // pipe_all_events: every event exactly once, no heads, ordered within each stream
    let everything: Vec<_> = collect(store.pipe_all_events(None, None))
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(everything.len(), 12);
    let mut per_stream: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for e in &everything {
        per_stream
            .entry(e.stream_id.to_string())
            .or_default()
            .push(e.sequence);
    }
    assert_eq!(per_stream.len(), 3);
    for seqs in per_stream.values() {
        assert_eq!(seqs, &[1, 2, 3, 4]);
    }
    let ranged = collect(store.pipe_all_events(Some(at(20)), Some(at(40)))).await;
    let mut msgs: Vec<_> = ranged.into_iter().map(|r| msg(&r.unwrap())).collect();
    msgs.sort();
    assert_eq!(msgs, ["0-3", "1-2", "1-3", "2-2", "2-3"]);

    // dropping a pipe early stops it
    let mut s = store.pipe_all_events(None, None);
    let first = std::future::poll_fn(|cx| s.as_mut().poll_next(cx)).await;
    assert!(first.unwrap().is_ok());
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_items_are_errors_and_pipes_go_on() {
    let store = store().await;
    let s = stream("acme:c");
    store
        .put_events(
            &s,
            vec![event(1, "good"), event(3, "good too")],
            ExpectedState::Any,
        )
        .await
        .unwrap();
    // a record nobody can read, and a record written by the original (no __seq)
    let raw = |occurred: u64, schema: &str| {
        HashMap::from([
            ("__stream_id".to_owned(), SdkValue::S("acme:c".into())),
            (
                "occurred_at".to_owned(),
                SdkValue::N(at(occurred).to_string()),
            ),
            ("_schema".to_owned(), SdkValue::S(schema.into())),
            (
                "event_id".to_owned(),
                SdkValue::S(format!("raw-{occurred}")),
            ),
        ])
    };
    let legacy_event = event(4, "legacy");
    let mut legacy = to_sdk_item(marshal(legacy_event.data(), Flavor::Php));
    legacy.insert("__stream_id".to_owned(), SdkValue::S("acme:c".into()));
    for item in [raw(2, "pbj:acme:nope:event:unknown:1-0-0"), legacy] {
        store
            .client()
            .put_item()
            .table_name(store.table())
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }

    let piped = collect(store.pipe_all_events(None, None)).await;
    assert_eq!(piped.len(), 4);
    let errors: Vec<_> = piped.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(errors.len(), 1);
    match errors[0] {
        Error::Corrupt {
            backend, location, ..
        } => {
            assert_eq!(backend, "dynamodb");
            assert!(location.contains("acme:c"), "{location}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(errors[0].code(), Code::DataLoss);
    let piped = collect(store.pipe_events(&s, None, None)).await;
    assert_eq!(piped.iter().filter(|r| r.is_err()).count(), 1);
    assert_eq!(piped.len(), 4);

    let legacy = store.get_event(&id_of(&legacy_event)).await.unwrap();
    assert_eq!((legacy.sequence, msg(&legacy)), (0, "legacy".to_owned()));
    let err = store.get_event("raw-2").await.unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    let err = store
        .get_stream_slice(&s, SliceQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_item_hook() {
    let table = table_name();
    let writer = DynamoDbEventStore::new(emulator_client().await, table.clone(), registry())
        .with_item_hook(|item, stream, _event| item.extend(shard_attributes(stream.as_str())));
    writer.create_storage().await.unwrap();
    let streams: Vec<_> = (0..6).map(|i| stream(&format!("acme:shard:{i}"))).collect();
    for s in &streams {
        let events: Vec<_> = (1..=3).map(|i| event(i, "x")).collect();
        writer
            .put_events(s, events, ExpectedState::NoStream)
            .await
            .unwrap();
    }
    let shard_of = |s: &StreamId| pbjx::transport::determine_shard(s.as_str(), 16);
    let wanted = shard_of(&streams[0]);
    let reader = DynamoDbEventStore::new(emulator_client().await, table.clone(), registry())
        .with_filter(EventFilter {
            shard: Some((ShardAttribute::S16, wanted)),
            ..EventFilter::default()
        });
    let expected = streams.iter().filter(|s| shard_of(s) == wanted).count() * 3;
    let piped = collect(reader.pipe_all_events(None, None)).await;
    assert_eq!(piped.len(), expected);
    assert!(
        piped
            .iter()
            .all(|r| shard_of(&r.as_ref().unwrap().stream_id) == wanted)
    );

    // a filter keeps count and has_more right (the original dropped Limit)
    let slice = reader
        .get_stream_slice(
            &streams[0],
            SliceQuery {
                count: 2,
                consistent: true,
                ..SliceQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(slice.events.len(), 2);
    assert!(slice.has_more);

    // curie filter
    let by_curie = DynamoDbEventStore::new(emulator_client().await, table.clone(), registry())
        .with_filter(EventFilter {
            curie: Some("gdbots:pbjx:event:health-checked*".into()),
            ..EventFilter::default()
        });
    assert_eq!(
        collect(by_curie.pipe_all_events(None, None)).await.len(),
        18
    );
    let other_curie = by_curie.clone().with_filter(EventFilter {
        curie: Some("acme:blog:event:article-published".into()),
        ..EventFilter::default()
    });
    assert!(
        collect(other_curie.pipe_all_events(None, None))
            .await
            .is_empty()
    );
    let slice = other_curie
        .get_stream_slice(&streams[0], SliceQuery::default())
        .await
        .unwrap();
    assert!(slice.events.is_empty() && !slice.has_more);

    // reindexing: only events using the indexed mixin (health-checked does not)
    let reindexing = by_curie.with_filter(EventFilter {
        reindexing: true,
        ..EventFilter::default()
    });
    assert!(
        collect(reindexing.pipe_events(&streams[1], None, None))
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_errors_are_storage_errors() {
    // no table
    let store = DynamoDbEventStore::new(emulator_client().await, table_name(), registry());
    let err = store
        .put_events(&stream("acme:x"), vec![event(1, "x")], ExpectedState::Any)
        .await
        .unwrap_err();
    match &err {
        Error::Storage {
            backend,
            code,
            message,
            source,
        } => {
            assert_eq!(backend, "dynamodb");
            assert_eq!(*code, Code::FailedPrecondition);
            assert!(message.contains("ResourceNotFoundException"), "{message}");
            assert!(message.contains(store.table()), "{message}");
            assert!(source.is_some(), "the SDK error is kept as the source");
        }
        other => panic!("{other}"),
    }
    let piped = collect(store.pipe_all_events(None, None)).await;
    assert!(!piped.is_empty());
    assert!(
        piped
            .iter()
            .all(|r| matches!(r, Err(Error::Storage { .. })))
    );

    // nobody listening: Unavailable
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:9")
        .region(aws_config::Region::new("us-east-1"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await;
    let down = DynamoDbEventStore::new(Client::new(&config), "t", registry());
    let err = down.get_event("x").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Storage {
                code: Code::Unavailable,
                ..
            }
        ),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// The event table holds only what the original reads (issue 17)

/// Whether pbj's DynamoDB unmarshaler (what the original runs on every item) reads the item
/// as an event.
fn is_event(item: &HashMap<String, SdkValue>) -> bool {
    from_sdk_item(item)
        .ok()
        .and_then(|item| unmarshal(&item, &registry()).ok())
        .is_some_and(|m| m.schema().has_mixin("gdbots:pbjx:mixin:event"))
}

/// A DynamoDB Streams attribute value as pbj's.
fn from_stream_value(
    value: &aws_sdk_dynamodbstreams::types::AttributeValue,
) -> pbjx::pbj::marshal::dynamodb::AttributeValue {
    use aws_sdk_dynamodbstreams::types::AttributeValue as V;
    use pbjx::pbj::marshal::dynamodb::AttributeValue as P;
    match value {
        V::S(s) => P::S(s.clone()),
        V::N(n) => P::N(n.clone()),
        V::B(b) => P::B(b.as_ref().to_vec()),
        V::Bool(b) => P::Bool(*b),
        V::M(m) => P::M(
            m.iter()
                .map(|(k, v)| (k.clone(), from_stream_value(v)))
                .collect(),
        ),
        V::L(l) => P::L(l.iter().map(from_stream_value).collect()),
        V::Ss(s) => P::Ss(s.clone()),
        V::Ns(n) => P::Ns(n.clone()),
        V::Bs(b) => P::Bs(b.iter().map(|b| b.as_ref().to_vec()).collect()),
        _ => P::Null,
    }
}

/// Every record of the table's DynamoDB stream (all shards, from the trim horizon).
async fn stream_records(table: &str) -> Vec<aws_sdk_dynamodbstreams::types::Record> {
    use aws_sdk_dynamodbstreams::types::ShardIteratorType;
    let described = emulator_client()
        .await
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap();
    let arn = described
        .table()
        .and_then(|t| t.latest_stream_arn())
        .unwrap()
        .to_owned();
    let streams = aws_sdk_dynamodbstreams::Client::new(&emulator_config().await);
    let description = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap();
    let mut records = Vec::new();
    for shard in description.stream_description().unwrap().shards() {
        let mut iterator = streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(shard.shard_id().unwrap())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator;
        while let Some(it) = iterator {
            let out = streams
                .get_records()
                .shard_iterator(it)
                .send()
                .await
                .unwrap();
            if out.records().is_empty() {
                break;
            }
            records.extend(out.records().iter().cloned());
            iterator = out.next_shard_iterator;
        }
    }
    records
}

/// After appends (all expectations, two streams), a reader of the original sees only events:
/// its backward slice (`occurred_at < now` with `Limit`), a full `Scan`, and the table's
/// DynamoDB stream, which carries exactly one record per event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn original_readers_see_only_events() {
    let store = store().await;
    let streams = [stream("acme:original:1"), stream("acme:original:2")];
    let mut appended = 0;
    for (n, s) in streams.iter().enumerate() {
        let base = n as u64 * 100;
        let first = vec![event(base + 1, "a"), event(base + 2, "b")];
        let etag = id_of(&first[1]);
        store
            .put_events(s, first, ExpectedState::NoStream)
            .await
            .unwrap();
        store
            .put_events(s, vec![event(base + 3, "c")], ExpectedState::Sequence(2))
            .await
            .unwrap();
        store
            .put_events(s, vec![event(base + 4, "d")], ExpectedState::Any)
            .await
            .unwrap();
        // stale etag: fails, writes nothing
        let stale = store
            .put_events(s, vec![event(base + 5, "x")], ExpectedState::Etag(etag))
            .await;
        assert!(matches!(stale, Err(Error::OptimisticCheckFailed { .. })));
        appended += 4;
    }
    let client = store.client();
    let now = Microtime::now().to_string();
    for s in &streams {
        // the original's getStreamSlice(stream, null, 25, forward = false)
        let out = client
            .query()
            .table_name(store.table())
            .key_condition_expression("#h = :v_id AND #r < :v_date")
            .expression_attribute_names("#h", "__stream_id")
            .expression_attribute_names("#r", "occurred_at")
            .expression_attribute_values(":v_id", SdkValue::S(s.to_string()))
            .expression_attribute_values(":v_date", SdkValue::N(now.clone()))
            .scan_index_forward(false)
            .limit(25)
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        assert_eq!(out.items().len(), 4, "{s}: only the events come back");
        assert!(out.items().iter().all(is_event), "{s}");
    }
    // the original's pipeAllEvents scan
    let scanned = client
        .scan()
        .table_name(store.table())
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(scanned.items().len(), appended);
    assert!(scanned.items().iter().all(is_event));
    // the table's stream: one INSERT per event, each image an event
    let records = stream_records(store.table()).await;
    assert_eq!(records.len(), appended, "as many stream records as events");
    for record in &records {
        assert_eq!(record.event_name().map(|e| e.as_str()), Some("INSERT"));
        let image = record.dynamodb().and_then(|d| d.new_image()).unwrap();
        let item = image
            .iter()
            .map(|(k, v)| (k.clone(), from_stream_value(v)))
            .collect::<Vec<_>>();
        let event = unmarshal(&item, &registry()).unwrap();
        assert!(event.schema().has_mixin("gdbots:pbjx:mixin:event"));
    }
}

/// Heads of the previous layout are skipped by reads, and every operation meeting one moves
/// it first: a `NoStream` append (then fails), an etag append, a delete of the etag's event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_move_a_head_of_the_previous_layout() {
    let store = store().await;
    let [a, b, c] = [
        stream("acme:prev:a"),
        stream("acme:prev:b"),
        stream("acme:prev:c"),
    ];
    let mut olds = Vec::new();
    for (n, s) in [&a, &b, &c].into_iter().enumerate() {
        let events = vec![
            event(n as u64 * 10 + 1, "one"),
            event(n as u64 * 10 + 2, "two"),
        ];
        write_previous_layout(&store, s, &events).await;
        olds.push(events);
    }
    assert_eq!(previous_heads(&store).await, 3);
    // reads skip them
    assert_eq!(all(&store, &a).await.len(), 2);
    let piped = collect(store.pipe_all_events(None, None)).await;
    assert_eq!(piped.len(), 6);
    assert!(piped.iter().all(Result::is_ok));
    assert_eq!(store.stream_head(&a).await.unwrap().sequence, 2);

    let err = store
        .put_events(&a, vec![event(5, "x")], ExpectedState::NoStream)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::OptimisticCheckFailed { ref actual, .. } if actual.contains("sequence 2")),
        "{err}"
    );
    let appended = store
        .put_events(
            &b,
            vec![event(15, "three")],
            ExpectedState::Etag(id_of(&olds[1][1])),
        )
        .await
        .unwrap();
    assert_eq!(appended.first_sequence, 3);
    store.delete_event(&id_of(&olds[2][1])).await.unwrap();
    assert_eq!(previous_heads(&store).await, 0, "every head was moved");
    let head = store.stream_head(&c).await.unwrap();
    assert_eq!(
        (head.sequence, head.last_event_id),
        (2, Some(id_of(&olds[2][0])))
    );
    let appended = store
        .put_events(&a, vec![event(5, "x")], ExpectedState::Sequence(2))
        .await
        .unwrap();
    assert_eq!(appended.first_sequence, 3);
}

/// `migrate_heads_page` moves the previous layout's heads in pages while appends to the same
/// streams run: no head is left in the event table, no append is lost, every stream is
/// gapless, and running it again moves nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migration_races_with_appends_and_loses_nothing() {
    let store = store().await;
    let streams: Vec<StreamId> = (0..6)
        .map(|i| stream(&format!("acme:migrate:{i}")))
        .collect();
    for (i, s) in streams.iter().enumerate() {
        let base = i as u64 * 1000;
        write_previous_layout(
            &store,
            s,
            &[event(base + 1, "old1"), event(base + 2, "old2")],
        )
        .await;
    }
    assert_eq!(previous_heads(&store).await, 6);

    let migration = {
        let store = store.clone();
        tokio::spawn(async move {
            let (mut pages, mut moved) = (0, 0);
            let mut checkpoint = None;
            loop {
                let page = store
                    .migrate_heads_page(checkpoint.as_ref(), 3)
                    .await
                    .unwrap();
                pages += 1;
                moved += page.moved;
                checkpoint = page.resume_at;
                if checkpoint.is_none() {
                    return (pages, moved);
                }
            }
        })
    };
    let appends: Vec<_> = streams
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (store, s) = (store.clone(), s.clone());
            tokio::spawn(async move {
                let base = i as u64 * 1000 + 100;
                let mut ids = Vec::new();
                for (j, expected) in [
                    ExpectedState::Sequence(2),
                    ExpectedState::Any,
                    ExpectedState::Any,
                ]
                .into_iter()
                .enumerate()
                {
                    let e = event(base + j as u64, "new");
                    ids.push(id_of(&e));
                    let a = store.put_events(&s, vec![e], expected).await.unwrap();
                    assert_eq!(a.first_sequence, 3 + j as u64);
                }
                ids
            })
        })
        .collect();
    let mut new_ids = Vec::new();
    for task in appends {
        new_ids.push(task.await.unwrap());
    }
    let (pages, moved) = migration.await.unwrap();
    assert!(pages > 1, "the scan was resumed from checkpoints");
    assert!(moved <= 6);
    assert_eq!(
        previous_heads(&store).await,
        0,
        "no head left in the event table"
    );
    for (s, ids) in streams.iter().zip(new_ids) {
        let events = all(&store, s).await;
        assert_eq!(
            events.iter().map(|e| e.sequence).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5],
            "{s}"
        );
        let stored: Vec<String> = events
            .iter()
            .map(|e| event_id(&*e.event).unwrap().to_owned())
            .collect();
        assert_eq!(stored[2..], ids[..], "{s}: every racing append is stored");
        let head = store.stream_head(s).await.unwrap();
        assert_eq!(
            (head.sequence, head.last_event_id.as_deref()),
            (5, Some(ids[2].as_str()))
        );
    }
    let again = store.migrate_heads().await.unwrap();
    assert_eq!((again.moved, again.already_moved), (0, 0));
}

// The shared conformance suite: every check of `conformance::run_all`, one test and one fresh
// table each (moto copies a whole table on every transaction, so small tables keep it fast).
macro_rules! conformance_tests {
    ($($test:ident => |$store:ident| $body:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $test() {
            #[allow(unused_variables)]
            let $store = store().await;
            $body;
        }
    )*};
}

conformance_tests! {
    conformance_storage => |s| conformance::check_storage(&s).await;
    conformance_stream_ids => |s| conformance::check_stream_ids();
    conformance_append_and_slice => |s| conformance::check_append_and_slice(&s).await;
    conformance_unknown_stream => |s| conformance::check_unknown_stream(&s).await;
    conformance_has_more => |s| conformance::check_has_more(&s).await;
    conformance_sequences => |s| conformance::check_sequences(&s).await;
    conformance_empty_batch => |s| conformance::check_empty_batch(&s).await;
    conformance_expected_state => |s| conformance::check_expected_state(&s).await;
    conformance_duplicate_occurred_at => |s| conformance::check_duplicate_occurred_at(&s).await;
    conformance_bad_events => |s| conformance::check_bad_events(&s).await;
    // 150-event setup append
    conformance_get_events => |s| conformance::check_get_events(&s).await;
    conformance_delete_event => |s| conformance::check_delete_event(&s).await;
    conformance_etag_after_delete => |s| conformance::check_etag_after_delete(&s).await;
    conformance_repeated_append => |s| conformance::check_repeated_append(&s).await;
    conformance_sequence_overflow => |s| conformance::check_sequence_overflow(&s).await;
    conformance_out_of_order_occurred_at =>
        |s| conformance::check_out_of_order_occurred_at(&s).await;
    // 250-event setup append
    conformance_pipe_events => |s| conformance::check_pipe_events(&s).await;
    conformance_pipe_all_events => |s| conformance::check_pipe_all_events(&s).await;
    conformance_php_get_stream_slice => |s| conformance::check_php_get_stream_slice(&s).await;
    conformance_php_get_event => |s| conformance::check_php_get_event(&s).await;
    conformance_php_put_events => |s| conformance::check_php_put_events(&s).await;
    // 100-event setup append
    conformance_php_pipe_events => |s| conformance::check_php_pipe_events(&s).await;
    // 10 x 100-event setup appends
    conformance_php_pipe_all_events =>
        |s| conformance::check_php_pipe_all_events(&s).await;
    conformance_concurrent_writers =>
        |s| conformance::check_concurrent_writers(Arc::new(s), 20, 10).await;
}

/// The conformance check for corrupt records: the stored `_schema` is overwritten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_corrupt_records() {
    let store = store().await;
    let client = store.client().clone();
    let table = store.table().to_owned();
    conformance::check_corrupt_records(&store, move |stream, event_id| {
        Box::pin(async move {
            let hits = client
                .query()
                .table_name(&table)
                .index_name("event_id_index")
                .key_condition_expression("event_id = :id")
                .expression_attribute_values(":id", SdkValue::S(event_id))
                .send()
                .await
                .unwrap();
            let hit = &hits.items()[0];
            assert_eq!(hit["__stream_id"], SdkValue::S(stream.to_string()));
            client
                .update_item()
                .table_name(&table)
                .key("__stream_id", hit["__stream_id"].clone())
                .key("occurred_at", hit["occurred_at"].clone())
                .update_expression("SET #s = :bad")
                .expression_attribute_names("#s", "_schema")
                .expression_attribute_values(":bad", SdkValue::S("not a schema id".into()))
                .send()
                .await
                .unwrap();
        })
    })
    .await;
}
