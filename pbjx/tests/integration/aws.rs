//! The AWS emulator's settings for the stream tests (moto server on 127.0.0.1). These tests
//! FAIL without `AWS_ENDPOINT_URL`: `bash .ci/aws-emulator.sh start && eval "$(bash
//! .ci/aws-emulator.sh env)"` (scripts/test-all.sh does both).
#![allow(dead_code)]

use std::collections::BTreeMap;

use aws_sdk_kinesis::types::ShardIteratorType;

pub fn endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: the Kinesis/Firehose tests need the moto AWS \
             emulator. Start it with `bash .ci/aws-emulator.sh start` and export its settings \
             with `eval \"$(bash .ci/aws-emulator.sh env)\"` (scripts/test-all.sh does both)."
        ),
    }
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_kinesis::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await
}

pub async fn kinesis() -> aws_sdk_kinesis::Client {
    aws_sdk_kinesis::Client::new(&sdk_config().await)
}

/// A unique name for a test's stream or table.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{:012x}", fastrand::u64(..) >> 16)
}

/// Creates a Kinesis stream with `shards` shards and waits until it is active.
pub async fn create_stream(client: &aws_sdk_kinesis::Client, name: &str, shards: i32) {
    client
        .create_stream()
        .stream_name(name)
        .shard_count(shards)
        .send()
        .await
        .expect("CreateStream");
    wait_active(client, name).await;
}

/// Waits until the stream is `ACTIVE`.
pub async fn wait_active(client: &aws_sdk_kinesis::Client, name: &str) {
    for _ in 0..100 {
        let description = client
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .expect("DescribeStreamSummary");
        let status = description
            .stream_description_summary()
            .map(|s| s.stream_status().as_str().to_owned());
        if status.as_deref() == Some("ACTIVE") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("stream {name} did not become active");
}

/// Every record of every shard of the stream: shard id -> record data, in shard order.
pub async fn read_stream(
    client: &aws_sdk_kinesis::Client,
    name: &str,
) -> BTreeMap<String, Vec<(String, Vec<u8>)>> {
    let shards = client
        .list_shards()
        .stream_name(name)
        .send()
        .await
        .expect("ListShards");
    let mut out = BTreeMap::new();
    for shard in shards.shards() {
        let mut iterator = client
            .get_shard_iterator()
            .stream_name(name)
            .shard_id(shard.shard_id())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("GetShardIterator")
            .shard_iterator()
            .map(str::to_owned);
        let mut records = Vec::new();
        while let Some(it) = iterator {
            let page = client
                .get_records()
                .shard_iterator(it)
                .limit(1000)
                .send()
                .await
                .expect("GetRecords");
            if page.records().is_empty() {
                break;
            }
            for record in page.records() {
                records.push((
                    record.partition_key().unwrap_or_default().to_owned(),
                    record.data().as_ref().to_vec(),
                ));
            }
            iterator = page.next_shard_iterator().map(str::to_owned);
        }
        out.insert(shard.shard_id().to_owned(), records);
    }
    out
}

/// A plain HTTP request to the emulator's S3 API (path-style, `Connection: close`), for the
/// few S3 calls the Firehose test needs: the emulator accepts any credentials and tells the
/// service from the `Authorization` header's scope, so no signing is needed and the tests do
/// not need the (large) S3 SDK. Returns the status and the body.
pub fn s3_request(method: &str, path: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let url = endpoint();
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut socket = std::net::TcpStream::connect(&host).expect("connect to the emulator");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    socket.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let mut body = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&body[..end]).unwrap().trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 2 + size + 2..];
    }
}

/// The keys of every object in `bucket` (one `ListObjectsV2` page is enough for a test).
pub fn s3_keys(bucket: &str) -> Vec<String> {
    let (status, body) = s3_request("GET", &format!("/{bucket}?list-type=2"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let xml = String::from_utf8(body).unwrap();
    assert!(
        xml.contains("<IsTruncated>false</IsTruncated>"),
        "more than one page"
    );
    xml.split("<Key>")
        .skip(1)
        .map(|part| part.split("</Key>").next().unwrap().to_owned())
        .collect()
}
