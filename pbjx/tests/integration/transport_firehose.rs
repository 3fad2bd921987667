//! The Firehose transport against the AWS emulator (moto): records delivered to an S3
//! bucket of the emulator are read back; every line is the envelope of a sent message,
//! byte-identical, also with injected faults. Needs `AWS_ENDPOINT_URL` (see `aws.rs`).
#![cfg(all(feature = "firehose", feature = "kinesis"))]

use crate::aws;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_firehose::types::{
    BufferingHints, CompressionFormat, DeliveryStreamType, ExtendedS3DestinationConfiguration,
};
use pbjx::pbj::Message;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::testkit::FaultyRecordApi;
use pbjx::transport::batch::BatchOptions;
use pbjx::transport::firehose::FirehoseTransport;
use pbjx::transport::{StaticRouter, TransportEnvelope};
use pbjx::{Error, Pbjx, RetryPolicy};

async fn firehose() -> aws_sdk_firehose::Client {
    aws_sdk_firehose::Client::new(&aws::sdk_config().await)
}

/// A bucket and a delivery stream writing into it.
async fn delivery_stream(client: &aws_sdk_firehose::Client) -> (String, String) {
    let bucket = aws::unique("pbjx-bucket");
    let (status, body) = aws::s3_request("PUT", &format!("/{bucket}"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let name = aws::unique("pbjx-firehose");
    // moto's DescribeDeliveryStream needs the buffering hints and compression format given.
    let destination = ExtendedS3DestinationConfiguration::builder()
        .bucket_arn(format!("arn:aws:s3:::{bucket}"))
        .role_arn("arn:aws:iam::123456789012:role/firehose")
        .prefix("events/")
        .buffering_hints(
            BufferingHints::builder()
                .size_in_mbs(1)
                .interval_in_seconds(60)
                .build(),
        )
        .compression_format(CompressionFormat::Uncompressed)
        .build()
        .unwrap();
    client
        .create_delivery_stream()
        .delivery_stream_name(&name)
        .delivery_stream_type(DeliveryStreamType::DirectPut)
        .extended_s3_destination_configuration(destination)
        .send()
        .await
        .expect("CreateDeliveryStream");
    (bucket, name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_line_in_the_bucket_is_a_sent_envelope_despite_faults() {
    let client = firehose().await;
    let (bucket, stream) = delivery_stream(&client).await;
    let api = Arc::new(
        FaultyRecordApi::new(client.clone(), 11)
            .with_record_failures(0.25)
            .with_call_failures(0.1),
    );
    let transport = FirehoseTransport::with_api(
        api.clone(),
        StaticRouter::new("unused", &stream, "unused"),
        BatchOptions::default()
            .with_linger(Duration::from_millis(20))
            .with_retry(
                RetryPolicy::default()
                    .with_max_attempts(40)
                    .with_base_delay(Duration::from_millis(1))
                    .with_max_delay(Duration::from_millis(20)),
            ),
    );
    let pbjx = Pbjx::builder()
        .transport(transport.clone())
        .build()
        .unwrap();
    let mut sent = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..300 {
        let mut event = HealthCheckedV1::new()
            .with_msg(format!("é/{i}\n\"quoted\""))
            .unwrap();
        event.freeze();
        let event: Arc<dyn Message> = Arc::new(event);
        sent.push(event.clone());
        let pbjx = pbjx.clone();
        tasks.spawn(async move { pbjx.publish_frozen(event).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().expect("publish");
    }
    transport.shutdown().await;
    assert!(api.refused_records() > 0, "faults were injected");
    assert!(api.calls() < 150, "{} calls for 300 records", api.calls());

    let mut lines = Vec::new();
    for key in aws::s3_keys(&bucket) {
        assert!(key.starts_with("events/"), "{key}");
        let (status, body) = aws::s3_request("GET", &format!("/{bucket}/{key}"));
        assert_eq!(status, 200);
        let body = String::from_utf8(body).unwrap();
        assert!(body.ends_with('\n'), "every record ends with a newline");
        lines.extend(body.lines().map(str::to_owned));
    }
    assert_eq!(lines.len(), 300, "no loss, no duplicates");
    let expected: BTreeSet<String> = sent
        .iter()
        .map(|m| TransportEnvelope::new(m.clone(), false).to_json())
        .collect();
    let got: BTreeSet<String> = lines.iter().cloned().collect();
    assert_eq!(got, expected, "byte-identical envelopes");
    let registry = pbjx::registry();
    for line in &lines {
        let envelope = TransportEnvelope::from_json(line, &registry).expect("decodes");
        assert_eq!(
            envelope.message().unwrap().schema().curie,
            "gdbots:pbjx:event:health-checked"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_delivery_stream_fails_the_send() {
    let transport = FirehoseTransport::new(
        firehose().await,
        StaticRouter::new("unused", aws::unique("pbjx-missing"), "unused"),
        BatchOptions::immediate().with_retry(RetryPolicy::default().with_max_attempts(2)),
    );
    let pbjx = Pbjx::builder().transport(transport).build().unwrap();
    let err = pbjx.publish(HealthCheckedV1::new()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("PutRecordBatch"), "{err}");
}
