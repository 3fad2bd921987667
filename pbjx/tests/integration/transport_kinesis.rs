//! The Kinesis transport against the AWS emulator (moto): batching, byte-identical
//! envelopes, partition keys, retries with injected faults, the oversized-record error and
//! shutdown. Needs `AWS_ENDPOINT_URL` (see `aws.rs`); every test uses its own stream.
#![cfg(feature = "kinesis")]

use crate::aws;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use pbjx::pbj::Message;
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::testkit::FaultyRecordApi;
use pbjx::transport::batch::BatchOptions;
use pbjx::transport::kinesis::KinesisTransport;
use pbjx::transport::{PartitionableRouter, StaticRouter, TransportEnvelope};
use pbjx::{Error, Pbjx, RetryPolicy};

fn quick_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(attempts)
        .with_base_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(20))
}

/// Sends `n` commands concurrently and returns them (frozen, as sent).
async fn send_concurrently(pbjx: &Pbjx, n: usize) -> Vec<Arc<dyn Message>> {
    let mut commands = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let mut command = CheckHealthV1::new().with_msg(format!("m{i}")).unwrap();
        command.freeze();
        let command: Arc<dyn Message> = Arc::new(command);
        commands.push(command.clone());
        let pbjx = pbjx.clone();
        tasks.spawn(async move { pbjx.send(command.clone_message()).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().expect("send");
    }
    commands
}

fn command_ids(records: impl IntoIterator<Item = Vec<u8>>, pbjx: &Pbjx) -> BTreeSet<String> {
    records
        .into_iter()
        .map(|data| {
            let envelope =
                TransportEnvelope::from_json(std::str::from_utf8(&data).unwrap(), pbjx.registry())
                    .expect("every record is an envelope");
            envelope
                .message()
                .unwrap()
                .generate_message_ref(None)
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_share_calls_and_arrive_byte_identical() {
    let client = aws::kinesis().await;
    let stream = aws::unique("pbjx-cmd");
    aws::create_stream(&client, &stream, 2).await;
    let api = Arc::new(FaultyRecordApi::new(client.clone(), 1));
    let router = StaticRouter::new(&stream, "unused", "unused").with_shards(16);
    let kinesis = KinesisTransport::with_api(
        api.clone(),
        router.clone(),
        BatchOptions::default().with_linger(Duration::from_millis(50)),
    );
    let pbjx = Pbjx::builder().transport(kinesis.clone()).build().unwrap();
    let sent = send_concurrently(&pbjx, 300).await;
    assert!(
        api.calls() < 30,
        "300 concurrent sends took {} calls",
        api.calls()
    );

    let shards = aws::read_stream(&client, &stream).await;
    assert_eq!(shards.len(), 2);
    let records: Vec<(String, Vec<u8>)> = shards.into_values().flatten().collect();
    assert_eq!(records.len(), 300);
    // Byte-identical envelopes with the router's partition keys.
    let mut expected: Vec<(String, Vec<u8>)> = sent
        .iter()
        .map(|m| {
            let envelope = TransportEnvelope::from_message_json(m.to_json(), false).to_json();
            (router.partition_for_command(&**m), envelope.into_bytes())
        })
        .collect();
    let mut got = records.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    kinesis.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immediate_mode_makes_one_call_per_message() {
    let client = aws::kinesis().await;
    let stream = aws::unique("pbjx-imm");
    aws::create_stream(&client, &stream, 1).await;
    let api = Arc::new(FaultyRecordApi::new(client.clone(), 2));
    let router = StaticRouter::new("unused", &stream, "unused");
    let kinesis = KinesisTransport::with_api(api.clone(), router, BatchOptions::immediate());
    let pbjx = Pbjx::builder().transport(kinesis).build().unwrap();
    for _ in 0..5 {
        pbjx.publish(HealthCheckedV1::new()).await.unwrap();
    }
    assert_eq!(api.calls(), 5);
    let records = aws::read_stream(&client, &stream).await;
    assert_eq!(records.into_values().flatten().count(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_are_retried_without_loss() {
    let client = aws::kinesis().await;
    let stream = aws::unique("pbjx-faults");
    aws::create_stream(&client, &stream, 2).await;
    let api = Arc::new(
        FaultyRecordApi::new(client.clone(), 3)
            .with_record_failures(0.3)
            .with_call_failures(0.2)
            .with_failing_first_calls(1),
    );
    let router = StaticRouter::new(&stream, "unused", "unused");
    let kinesis = KinesisTransport::with_api(
        api.clone(),
        router,
        BatchOptions::default()
            .with_linger(Duration::from_millis(20))
            .with_retry(quick_retry(40)),
    );
    let pbjx = Pbjx::builder().transport(kinesis.clone()).build().unwrap();
    let sent = send_concurrently(&pbjx, 400).await;
    assert!(
        api.refused_records() > 50,
        "faults injected: {}",
        api.refused_records()
    );
    assert!(api.failed_calls() > 0);

    let records = aws::read_stream(&client, &stream).await;
    let data: Vec<Vec<u8>> = records.into_values().flatten().map(|(_, d)| d).collect();
    // Zero loss and no duplicates: refused records were not stored by the emulator.
    assert_eq!(data.len(), 400);
    let expected: BTreeSet<String> = sent
        .iter()
        .map(|m| m.generate_message_ref(None).to_string())
        .collect();
    assert_eq!(command_ids(data, &pbjx), expected);
    kinesis.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_retry_limit_the_send_fails_naming_the_message() {
    let client = aws::kinesis().await;
    let stream = aws::unique("pbjx-limit");
    aws::create_stream(&client, &stream, 1).await;
    let api = Arc::new(FaultyRecordApi::new(client.clone(), 4).with_record_failures(1.0));
    let router = StaticRouter::new(&stream, "unused", "unused");
    let kinesis = KinesisTransport::with_api(
        api.clone(),
        router,
        BatchOptions::default().with_retry(quick_retry(3)),
    );
    let pbjx = Pbjx::builder().transport(kinesis).build().unwrap();
    let mut command = CheckHealthV1::new();
    command.freeze();
    let message_ref = command.generate_message_ref(None).to_string();
    let err = pbjx.send(command).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&message_ref), "{text}");
    assert!(text.contains("after 3 attempts"), "{text}");
    assert!(
        text.contains("ProvisionedThroughputExceededException"),
        "{text}"
    );
    assert_eq!(api.calls(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_to_a_missing_stream_fails_every_message_in_it() {
    let client = aws::kinesis().await;
    let router = StaticRouter::new(aws::unique("pbjx-missing"), "unused", "unused");
    let kinesis = KinesisTransport::new(
        client,
        router,
        BatchOptions::default().with_retry(quick_retry(2)),
    );
    let pbjx = Pbjx::builder().transport(kinesis).build().unwrap();
    let err = pbjx.send(CheckHealthV1::new()).await.unwrap_err();
    assert!(
        err.to_string().contains("ResourceNotFoundException"),
        "{err}"
    );
}

/// A command whose envelope is over 1 MiB: nested causators, each with 60 KB of text.
fn oversized_command() -> CheckHealthV1 {
    let text = "x".repeat(60_000);
    let mut inner: Option<CheckHealthV1> = None;
    for _ in 0..20 {
        let mut command = CheckHealthV1::new();
        command.data_mut().set("ctx_msg", text.clone()).unwrap();
        if let Some(causator) = inner.take() {
            command
                .data_mut()
                .set("ctx_causator", Box::new(causator) as Box<dyn Message>)
                .unwrap();
        }
        inner = Some(command);
    }
    inner.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_is_refused_before_any_call() {
    let client = aws::kinesis().await;
    let api = Arc::new(FaultyRecordApi::new(client, 5));
    let router = StaticRouter::new("never-called", "unused", "unused");
    let kinesis = KinesisTransport::with_api(api.clone(), router, BatchOptions::default());
    let pbjx = Pbjx::builder().transport(kinesis).build().unwrap();
    let command = oversized_command();
    let message_ref = command.generate_message_ref(None).to_string();
    let err = pbjx.send(command).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(err.to_string().contains(&message_ref), "{err}");
    assert!(
        err.to_string().contains("the limit is 1048576 bytes"),
        "{err}"
    );
    assert_eq!(api.calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_flushes_the_queue_and_refuses_later_sends() {
    let client = aws::kinesis().await;
    let stream = aws::unique("pbjx-shutdown");
    aws::create_stream(&client, &stream, 1).await;
    let router = StaticRouter::new(&stream, "unused", "unused");
    // A long linger: without the flush, the records would still wait.
    let kinesis = KinesisTransport::new(
        client.clone(),
        router,
        BatchOptions::default().with_linger(Duration::from_secs(30)),
    );
    let pbjx = Pbjx::builder().transport(kinesis.clone()).build().unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let pbjx = pbjx.clone();
        tasks.spawn(async move { pbjx.send(CheckHealthV1::new()).await });
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    kinesis.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(10));
    while let Some(result) = tasks.join_next().await {
        result
            .unwrap()
            .expect("queued sends are delivered by shutdown");
    }
    let records = aws::read_stream(&client, &stream).await;
    assert_eq!(records.into_values().flatten().count(), 20);
    assert!(pbjx.send(CheckHealthV1::new()).await.is_err());
}
