//! Helpers for tests of the DynamoDB backends against the local AWS emulator (moto on
//! 127.0.0.1; feature `dynamodb`): the SDK configuration pointing at it, and the head items
//! of the event table's previous layout (for the `migrate-heads` tests).
//!
//! They panic on failure, as test helpers do: a test calling them fails (it does not skip)
//! when the emulator is not running.
//!
//! ```no_run
//! # async fn demo() {
//! use pbjx::testkit::dynamodb;
//! let client = dynamodb::emulator_client().await;
//! let tables = client.list_tables().send().await.unwrap();
//! println!("{:?}", tables.table_names());
//! # }
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use pbj::Flavor;
use pbj::marshal::dynamodb::marshal;

use crate::event_store::dynamodb::{DynamoDbEventStore, to_sdk_item};
use crate::event_store::{StreamId, event_id};
use pbj::Message;

/// The emulator's URL from `AWS_ENDPOINT_URL`.
///
/// # Panics
///
/// When `AWS_ENDPOINT_URL` is not set, with a message saying how to start the emulator.
pub fn emulator_endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: these tests need the moto AWS emulator. Start it \
             with `bash .ci/aws-emulator.sh start` and export its settings with `eval \"$(bash \
             .ci/aws-emulator.sh env)\"` (scripts/test-all.sh does both)."
        ),
    }
}

/// The SDK configuration of the emulator: [`emulator_endpoint`], region `us-east-1`, static
/// test credentials. Every AWS client of a test (DynamoDB, its streams, SQS, Step Functions)
/// can be built from it.
pub async fn emulator_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(emulator_endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await
}

/// A DynamoDB client of the emulator ([`emulator_config`]).
pub async fn emulator_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&emulator_config().await)
}

/// Writes `events` (sequences 1..) of `stream` and the stream's head as the versions before
/// the heads table did: the head is an item of the event table at `occurred_at = 0`.
///
/// # Panics
///
/// When `events` is empty or a write fails.
pub async fn write_previous_layout(
    store: &DynamoDbEventStore,
    stream: &StreamId,
    events: &[Arc<dyn Message>],
) {
    let client = store.client();
    for (i, e) in events.iter().enumerate() {
        let mut item = to_sdk_item(marshal(e.data(), Flavor::Js));
        item.insert("__stream_id".into(), AttributeValue::S(stream.to_string()));
        item.insert("__seq".into(), AttributeValue::N((i + 1).to_string()));
        client
            .put_item()
            .table_name(store.table())
            .set_item(Some(item))
            .send()
            .await
            .expect("PutItem of an event");
    }
    let last = event_id(&**events.last().expect("at least one event"))
        .expect("an event id")
        .to_owned();
    let head = HashMap::from([
        (
            "__stream_id".to_owned(),
            AttributeValue::S(stream.to_string()),
        ),
        ("occurred_at".to_owned(), AttributeValue::N("0".into())),
        ("__head".to_owned(), AttributeValue::Bool(true)),
        (
            "__seq".to_owned(),
            AttributeValue::N(events.len().to_string()),
        ),
        (
            "last_etag".to_owned(),
            AttributeValue::S(pbj::etag::md5_hex(&last)),
        ),
        ("last_event_id".to_owned(), AttributeValue::S(last)),
    ]);
    client
        .put_item()
        .table_name(store.table())
        .set_item(Some(head))
        .send()
        .await
        .expect("PutItem of a head");
}

/// The number of items of the event table at `occurred_at = 0` (heads of the previous
/// layout), read consistently.
///
/// # Panics
///
/// When the scan fails.
pub async fn previous_heads(store: &DynamoDbEventStore) -> usize {
    let out = store
        .client()
        .scan()
        .table_name(store.table())
        .filter_expression("occurred_at = :zero")
        .expression_attribute_values(":zero", AttributeValue::N("0".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("Scan for heads");
    out.items().len()
}
