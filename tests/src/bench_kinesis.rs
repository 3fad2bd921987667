//! The Kinesis cases of `pbjx-bench` (included by `src/bin/pbjx-bench.rs`): envelope and
//! batch building without I/O, and sends against the AWS emulator (one call per message, the
//! original's behaviour, versus batched `PutRecords`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use pbj::Message;
use pbjx::Pbjx;
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::transport::StaticRouter;
use pbjx::transport::TransportEnvelope;
use pbjx::transport::batch::{BatchOptions, CallOutcome, OutboundRecord, RecordApi, plan_batches};
use pbjx::transport::kinesis::KinesisTransport;

use super::{Bench, BoxError, Measured, black_box, check};

/// Sends in flight at once in `kinesis_send_batched`.
const CONCURRENCY: usize = 2_000;

/// Why an emulator case cannot run, or its endpoint.
pub fn emulator() -> Result<String, BoxError> {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => Ok(url),
        _ => Err(
            "needs the AWS emulator: AWS_ENDPOINT_URL is not set (start it with \
                  `bash .ci/aws-emulator.sh start` and `eval \"$(bash .ci/aws-emulator.sh env)\"`)"
                .into(),
        ),
    }
}

/// Takes every record without I/O (the encode case's transport never sends).
struct Discard;

#[pbjx::async_trait]
impl RecordApi for Discard {
    fn service(&self) -> &str {
        "kinesis"
    }
    async fn put_records(&self, _channel: &str, records: &[OutboundRecord]) -> CallOutcome {
        Ok(vec![None; records.len()])
    }
}

/// A check-health command with a msg and a tenant (not frozen: `send` runs its lifecycle).
fn new_command(i: u64) -> Result<CheckHealthV1, BoxError> {
    Ok(CheckHealthV1::new()
        .with_msg(format!("bench {i}"))?
        .with_ctx_tenant_id("tenant-1")?)
}

fn command(i: u64) -> Result<Arc<dyn Message>, BoxError> {
    let mut command = new_command(i)?;
    command.freeze();
    Ok(Arc::new(command))
}

/// `kinesis_encode_batch`: envelope JSON + partition key per message, split into
/// `PutRecords` calls (≤ 500 records, ≤ 5 MiB).
pub fn encode_batch(b: &Bench) -> Result<Measured, BoxError> {
    let router = StaticRouter::new("commands", "events", "requests").with_shards(64);
    let kinesis = KinesisTransport::with_api(Arc::new(Discard), router, BatchOptions::default());
    let pool: Vec<Arc<dyn Message>> = (0..1_000).map(command).collect::<Result<_, _>>()?;
    // Verified once: the record is the envelope of the message, byte for byte.
    let (stream, record) = kinesis.encode_command(&*pool[0]);
    let expected = TransportEnvelope::new(pool[0].clone(), false).to_json();
    check(
        stream == "commands" && record.data == expected.as_bytes(),
        || {
            format!(
                "record {:?} is not the envelope {expected}",
                String::from_utf8_lossy(&record.data)
            )
        },
    )?;
    let mut records = Vec::with_capacity(500);
    let mut next = 0usize;
    let mut calls = 0usize;
    let measured = b.measure(|k| {
        for _ in 0..k {
            let (_, record) = kinesis.encode_command(&*pool[next % pool.len()]);
            next += 1;
            records.push(record);
            if records.len() == 500 {
                calls += black_box(plan_batches(
                    &records,
                    &pbjx::transport::batch::RecordLimits::KINESIS,
                ))
                .len();
                records.clear();
            }
        }
        k
    });
    check(calls > 0 || measured.ops < 500, || {
        "no batch was planned".to_owned()
    })?;
    Ok(measured)
}

async fn create_stream(client: &aws_sdk_kinesis::Client, name: &str) -> Result<(), BoxError> {
    client
        .create_stream()
        .stream_name(name)
        .shard_count(1)
        .send()
        .await?;
    for _ in 0..200 {
        let summary = client
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await?;
        if summary
            .stream_description_summary()
            .is_some_and(|s| s.stream_status().as_str() == "ACTIVE")
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("stream {name} did not become active").into())
}

/// Records in the (one-shard) stream.
async fn count_records(client: &aws_sdk_kinesis::Client, name: &str) -> Result<u64, BoxError> {
    let shards = client.list_shards().stream_name(name).send().await?;
    let mut count = 0;
    for shard in shards.shards() {
        let mut iterator = client
            .get_shard_iterator()
            .stream_name(name)
            .shard_id(shard.shard_id())
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await?
            .shard_iterator()
            .map(str::to_owned);
        while let Some(it) = iterator {
            let page = client
                .get_records()
                .shard_iterator(it)
                .limit(10_000)
                .send()
                .await?;
            if page.records().is_empty() {
                break;
            }
            count += page.records().len() as u64;
            iterator = page.next_shard_iterator().map(str::to_owned);
        }
    }
    Ok(count)
}

async fn client(endpoint: String) -> aws_sdk_kinesis::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .load()
        .await;
    aws_sdk_kinesis::Client::new(&config)
}

/// `kinesis_send_per_message` (`batched = false`: immediate mode, one `PutRecords` call per
/// `send`, one after the other, like the original's one `PutRecord` per message) and
/// `kinesis_send_batched` (2,000 concurrent sends sharing calls through the linger).
pub fn send(b: &Bench, batched: bool) -> Result<Measured, BoxError> {
    let endpoint = emulator()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = client(endpoint).await;
        let stream = format!(
            "pbjx-bench-{}-{}",
            std::process::id(),
            if batched { "batched" } else { "single" }
        );
        create_stream(&client, &stream).await?;
        let options = if batched {
            BatchOptions::default()
                .with_linger(Duration::from_millis(5))
                .with_max_in_flight(4)
        } else {
            BatchOptions::immediate()
        };
        let kinesis = KinesisTransport::new(
            client.clone(),
            StaticRouter::new(&stream, &stream, "unused").with_shards(64),
            options,
        );
        let pbjx = Pbjx::builder().transport(kinesis.clone()).build()?;
        let mut sent = 0u64;
        let mut round = |count: u64| {
            let pbjx = pbjx.clone();
            let first = sent;
            sent += count;
            async move { send_round(&pbjx, batched, first, count).await }
        };
        // Warm-up (also opens the connections).
        let warm = Instant::now();
        while warm.elapsed() < b.warmup {
            round(if batched { CONCURRENCY as u64 } else { 4 }).await?;
        }
        let t = Instant::now();
        let mut ops = 0u64;
        loop {
            let want = if batched { CONCURRENCY as u64 } else { 4 };
            let count = b.n.map_or(want, |n| want.min(n - ops));
            round(count).await?;
            ops += count;
            let done = match b.n {
                Some(n) => ops >= n,
                None => t.elapsed() >= b.duration,
            };
            if done {
                break;
            }
        }
        let per_sec = ops as f64 / t.elapsed().as_secs_f64();
        kinesis.shutdown().await;
        let stored = count_records(&client, &stream).await?;
        let _ = client.delete_stream().stream_name(&stream).send().await;
        check(stored == sent, || {
            format!("{sent} messages sent, {stored} records in the stream")
        })?;
        Ok(Measured {
            ops,
            per_sec,
            p50_us: None,
            cpu_seconds: None,
        })
    })
}

async fn send_round(pbjx: &Pbjx, batched: bool, first: u64, count: u64) -> Result<(), BoxError> {
    if !batched {
        for i in first..first + count {
            pbjx.send(new_command(i)?).await?;
        }
        return Ok(());
    }
    let mut tasks = tokio::task::JoinSet::new();
    for i in first..first + count {
        let pbjx = pbjx.clone();
        let command = new_command(i)?;
        tasks.spawn(async move { pbjx.send(command).await });
    }
    while let Some(result) = tasks.join_next().await {
        result??;
    }
    Ok(())
}
