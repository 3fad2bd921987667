//! Event search through the real `pbjx` binary on the embedded tantivy index: storage create /
//! describe, published events indexed at once, `events reindex` from a SQLite store (dry run,
//! confirmation, window, batches) and `search-events-request` finding what was indexed.

#![cfg(feature = "search-tantivy")]

use crate::common;

use std::sync::Arc;

use common::{BASE_SEC, Env, Run};
use pbjx::event_store::{EventStore, ExpectedState, SqliteEventStore, StreamId};
use pbjx::pbj::{Message, Microtime};
use pbjx::schemas::gdbots::pbjx::event::EventExecutionFailedV1;

const SEARCH: &str = "gdbots:pbjx:request:search-events-request";

fn search_env() -> Env {
    Env::new(
        "[event_store]\nbackend = \"sqlite\"\npath = \"events.db\"\n\
         [event_search]\nbackend = \"tantivy\"\npath = \"search\"\n",
    )
}

/// Runs a search-events-request for `q`; returns (total, the events' error_messages).
fn search(env: &Env, q: &str) -> (i64, Vec<String>) {
    let out = env.run(&[
        "request",
        SEARCH,
        &serde_json::json!({ "q": q, "count": 100 }).to_string(),
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    let response = &envelope["message"];
    let total = response["total"].as_i64().unwrap_or(0);
    let mut messages: Vec<String> = response["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .map(|e| e["error_message"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    messages.sort();
    (total, messages)
}

/// Appends `count` event-execution-failed events (indexed mixin) with `text` to `stream`,
/// one second apart from `BASE_SEC + offset`, plus one health-checked event (not indexed).
fn seed(env: &Env, stream: &str, text: &str, offset: u64, count: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteEventStore::open(env.path("events.db"), pbjx::registry()).unwrap();
        let mut events: Vec<Arc<dyn Message>> = (0..count)
            .map(|i| {
                let mut event = EventExecutionFailedV1::new()
                    .with_occurred_at(Microtime::new(BASE_SEC + offset + i, 0).unwrap())
                    .unwrap();
                event
                    .data_mut()
                    .set("error_message", format!("{text} {i}"))
                    .unwrap();
                event.freeze();
                Arc::new(event) as Arc<dyn Message>
            })
            .collect();
        events.push(common::event(offset + count, "not indexed"));
        store
            .put_events(
                &StreamId::parse(stream).unwrap(),
                events,
                ExpectedState::Any,
            )
            .await
            .unwrap();
    });
}

fn summary(out: &Run) -> serde_json::Value {
    assert!(out.code == 0 || out.code == 3, "{out:?}");
    out.json()
}

#[test]
fn storage_create_and_describe_the_event_search() {
    let env = search_env();
    let created = env.run(&["storage", "create", "--service", "event-search"]);
    assert_eq!(created.code, 0, "{created:?}");
    assert!(
        created
            .stdout
            .contains("event search [tantivy]: storage created"),
        "{created:?}"
    );
    let described = env.run(&["storage", "describe", "--service", "event-search"]);
    assert_eq!(described.code, 0, "{described:?}");
    assert!(
        described.stdout.starts_with("## event search [tantivy]"),
        "{described:?}"
    );
    // The default (every configured service) includes it, after the event store.
    let all = env.run(&["storage", "describe"]);
    assert_eq!(all.code, 0, "{all:?}");
    let store_at = all.stdout.find("## event store").expect("event store");
    let search_at = all.stdout.find("## event search").expect("event search");
    assert!(store_at < search_at, "{all:?}");

    let none = Env::sqlite().run(&["storage", "describe", "--service", "event-search"]);
    assert_eq!(none.code, 2, "{none:?}");
    assert!(none.stderr.contains("no event search"), "{none:?}");
}

#[test]
fn published_events_are_searchable_at_once() {
    let env = search_env();
    let out = env.run(&[
        "publish",
        "gdbots:pbjx:event:event-execution-failed",
        r#"{"error_message":"disk quota exceeded"}"#,
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        search(&env, "quota"),
        (1, vec!["disk quota exceeded".to_owned()])
    );
    assert_eq!(search(&env, "nothing-like-it").0, 0);
}

#[test]
fn reindex_puts_stored_events_into_the_search() {
    let env = search_env();
    seed(&env, "acme:jobs:1", "quota exceeded", 0, 5);
    seed(&env, "acme:jobs:2", "network unreachable", 100, 3);
    assert_eq!(search(&env, "quota").0, 0, "nothing is indexed yet");

    let unconfirmed = env.run(&["events", "reindex"]);
    assert_eq!(unconfirmed.code, 4, "{unconfirmed:?}");

    let dry = summary(&env.run(&["events", "reindex", "--dry-run", "--batch-delay", "0"]));
    assert_eq!(dry["read"], 10, "{dry}");
    assert_eq!(dry["indexed"], 8, "{dry}");
    assert_eq!(dry["skipped"], 2, "{dry}");
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(search(&env, "quota").0, 0, "a dry run writes nothing");

    // One stream, a window: events 1..=3 of acme:jobs:1 (since/until are exclusive).
    let since = (BASE_SEC * 1_000_000).to_string();
    let until = ((BASE_SEC + 4) * 1_000_000).to_string();
    let window = summary(&env.run(&[
        "events",
        "reindex",
        "acme:jobs:1",
        "--since",
        &since,
        "--until",
        &until,
        "--batch-delay",
        "0",
        "--yes",
    ]));
    assert_eq!(window["indexed"], 3, "{window}");
    assert_eq!(
        search(&env, "quota"),
        (
            3,
            vec![
                "quota exceeded 1".to_owned(),
                "quota exceeded 2".to_owned(),
                "quota exceeded 3".to_owned()
            ]
        )
    );

    let all = summary(&env.run(&[
        "events",
        "reindex",
        "--batch-size",
        "3",
        "--batch-delay",
        "0",
        "--yes",
    ]));
    assert_eq!(all["read"], 10, "{all}");
    assert_eq!(all["indexed"], 8, "{all}");
    assert_eq!(all["failed"], 0, "{all}");
    // Batches of 3 read events: the last one (a health-checked event) writes nothing.
    assert_eq!(all["batches"], 3, "{all}");
    assert_eq!(search(&env, "quota").0, 5, "replaced, not duplicated");
    assert_eq!(search(&env, "network").0, 3);
    assert_eq!(search(&env, "+network +quota").0, 0);
}
