//! The real `pbjx` binary on the DynamoDB backends of the local AWS emulator (moto, started by
//! scripts/test-all.sh; `AWS_ENDPOINT_URL` etc. in the environment): storage create / describe
//! and `events migrate-heads` (issue 17). Fails (does not skip) without the emulator.

#![cfg(feature = "dynamodb")]

use crate::common;

use common::{Env, event};
use pbjx::event_store::dynamodb::DynamoDbEventStore;
use pbjx::event_store::{EventStore, StreamId};
use pbjx::testkit::dynamodb::{emulator_endpoint, previous_heads, write_previous_layout};

fn table() -> String {
    format!("pbjx-cli-test-{}", uuid_like())
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}-{}", std::process::id())
}

fn dynamodb_env(table: &str) -> Env {
    Env::new(&format!(
        "[event_store]\nbackend = \"dynamodb\"\ntable = \"{table}\"\n"
    ))
}

#[test]
fn storage_create_and_describe_the_dynamodb_event_store() {
    emulator_endpoint();
    let table = table();
    let env = dynamodb_env(&table);
    let out = env.run(&["storage", "describe"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(&format!("{table} does not exist")),
        "not created yet: {out:?}"
    );

    let out = env.run(&["storage", "create"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("event store [dynamodb]: storage created"),
        "{out:?}"
    );
    let again = env.run(&["storage", "create"]);
    assert_eq!(again.code, 0, "creating again is harmless: {again:?}");

    let out = env.run(&["storage", "describe"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("## event store [dynamodb]"), "{out:?}");
    assert!(out.stdout.contains(&table), "{out:?}");
    assert!(out.stdout.contains(&format!("{table}-heads")), "{out:?}");
    assert!(!out.stdout.contains("does not exist"), "{out:?}");
}

#[cfg(feature = "scheduler-dynamodb")]
#[test]
fn storage_create_and_describe_the_dynamodb_scheduler() {
    emulator_endpoint();
    let name = table();
    let env = Env::new(&format!(
        "[event_store]\nbackend = \"none\"\n[scheduler]\nbackend = \"dynamodb\"\ntable = \"{name}\"\nrole_arn = \"arn:aws:iam::123456789012:role/pbjx-scheduler\"\n"
    ));
    let out = env.run(&["storage", "create"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("scheduler [dynamodb]: storage created"),
        "{out:?}"
    );
    let out = env.run(&["storage", "describe"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("## scheduler [dynamodb]"), "{out:?}");
    assert!(out.stdout.contains(&name), "{out:?}");
}

#[test]
fn migrate_heads_moves_every_head_and_resumes_from_its_checkpoint() {
    emulator_endpoint();
    let table = table();
    let env = dynamodb_env(&table);
    assert_eq!(env.run(&["storage", "create"]).code, 0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = runtime.block_on(async {
        let store = DynamoDbEventStore::from_env(table.clone(), pbjx::registry()).await;
        for (s, stream) in ["acme:prev:a", "acme:prev:b", "acme:prev:c"]
            .iter()
            .enumerate()
        {
            let base = s as u64 * 10;
            let events: Vec<_> = [base + 1, base + 2]
                .iter()
                .enumerate()
                .map(|(i, offset)| event(*offset, &format!("{stream}/{i}")))
                .collect();
            let stream = StreamId::parse(stream).unwrap();
            write_previous_layout(&store, &stream, &events).await;
        }
        assert_eq!(previous_heads(&store).await, 3);
        store
    });

    // An interrupted run: a checkpoint after the first item of the scan order.
    let first = runtime.block_on(async {
        store
            .client()
            .scan()
            .table_name(store.table())
            .limit(1)
            .send()
            .await
            .unwrap()
            .items()[0]
            .clone()
    });
    let checkpoint = env.path("heads.checkpoint");
    std::fs::write(
        &checkpoint,
        serde_json::json!({
            "stream_id": first["__stream_id"].as_s().unwrap(),
            "occurred_at": first["occurred_at"].as_n().unwrap(),
        })
        .to_string(),
    )
    .unwrap();
    let checkpoint_arg = checkpoint.to_str().unwrap();
    let out = env.run(&[
        "events",
        "migrate-heads",
        "--page-size",
        "2",
        "--checkpoint",
        checkpoint_arg,
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let resumed = out.json();
    assert!(
        !checkpoint.exists(),
        "the checkpoint is removed when the scan is complete"
    );
    let first_is_head = first["occurred_at"].as_n().unwrap() == "0";
    let expected = if first_is_head { 2 } else { 3 };
    assert_eq!(
        resumed["moved"], expected,
        "the resumed scan starts after the checkpoint: {out:?}"
    );
    assert!(
        resumed["pages"].as_u64().unwrap() >= 3,
        "9 items in pages of 2: {out:?}"
    );

    // A full run moves what is left; a third moves nothing.
    let out = env.run(&["events", "migrate-heads", "--page-size", "2"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["moved"], 3 - expected);
    let out = env.run(&["events", "migrate-heads"]);
    assert_eq!(out.json()["moved"], 0, "{out:?}");

    runtime.block_on(async {
        assert_eq!(
            previous_heads(&store).await,
            0,
            "no head left in the event table"
        );
        for stream in ["acme:prev:a", "acme:prev:b", "acme:prev:c"] {
            let head = store
                .stream_head(&StreamId::parse(stream).unwrap())
                .await
                .unwrap();
            assert_eq!(head.sequence, 2, "{stream}");
        }
        let _ = store.describe_storage().await.unwrap();
    });
    let exported = env.run(&["events", "export", "--batch-delay", "0"]);
    assert_eq!(exported.code, 0, "{exported:?}");
    assert_eq!(
        exported.lines().len(),
        6,
        "every event, no head: {exported:?}"
    );
}

#[test]
fn migrate_heads_needs_the_dynamodb_event_store() {
    let env = Env::sqlite();
    let out = env.run(&["events", "migrate-heads"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("dynamodb"), "{out:?}");
}
