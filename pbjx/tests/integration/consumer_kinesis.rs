//! The Kinesis consumer against the AWS emulator (moto): 1,000 messages through the Kinesis
//! transport to a 2-shard stream, a consumer killed mid-way and a successor resuming from the
//! checkpoints; poison records; resharding; leases shared by two consumers. Needs
//! `AWS_ENDPOINT_URL` (see `aws.rs`); every test uses its own stream.
#![cfg(feature = "kinesis")]

use crate::aws;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::primitives::Blob;
use pbjx::Pbjx;
use pbjx::consumer::kinesis::{KinesisConsumer, KinesisConsumerOptions};
use pbjx::consumer::{
    CancellationToken, CheckpointStore, Consumer, DeadLetter, MemoryCheckpointStore,
    SqliteCheckpointStore,
};
use pbjx::pbj::{Message, MessageType};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::EchoRequestV1;
use pbjx::transport::batch::BatchOptions;
use pbjx::transport::kinesis::KinesisTransport;
use pbjx::transport::{StaticRouter, TransportEnvelope};

type Seen = Arc<Mutex<Vec<String>>>;

/// An exchange whose check-health handler records every `msg` it gets, and whose
/// health-checked subscriber records `event:{msg}`.
fn receiver(seen: &Seen) -> Pbjx {
    let commands = seen.clone();
    let events = seen.clone();
    Pbjx::builder()
        .command(move |command: Arc<CheckHealthV1>, _pbjx| {
            let seen = commands.clone();
            async move {
                seen.lock()
                    .unwrap()
                    .push(command.msg().unwrap_or_default().to_owned());
                Ok(())
            }
        })
        .subscribe(move |event: Arc<HealthCheckedV1>, _pbjx| {
            let seen = events.clone();
            async move {
                seen.lock()
                    .unwrap()
                    .push(format!("event:{}", event.msg().unwrap_or_default()));
                Ok(())
            }
        })
        .build()
        .unwrap()
}

fn options() -> KinesisConsumerOptions {
    KinesisConsumerOptions::default()
        .with_batch_size(50)
        .with_lease_ttl(Duration::from_secs(1))
        .with_idle_wait(Duration::from_millis(20))
        .with_shard_refresh(Duration::from_millis(200))
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends `msgs` as check-health commands through the Kinesis transport, concurrently.
async fn send_all(stream: &str, msgs: &[String]) {
    let client = aws::kinesis().await;
    let kinesis = KinesisTransport::new(
        client,
        StaticRouter::new(stream, stream, "unused").with_shards(64),
        BatchOptions::default().with_linger(Duration::from_millis(20)),
    );
    let sender = Pbjx::builder().transport(kinesis.clone()).build().unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for msg in msgs {
        let sender = sender.clone();
        let command = CheckHealthV1::new().with_msg(msg.clone()).unwrap();
        tasks.spawn(async move { sender.send(command).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().expect("send");
    }
    kinesis.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_messages_survive_a_crash_and_a_restart_from_checkpoints() {
    let client = aws::kinesis().await;
    let stream = aws::unique("pbjx-consume");
    aws::create_stream(&client, &stream, 2).await;
    let msgs: Vec<String> = (0..1000).map(|i| format!("m{i:04}")).collect();
    send_all(&stream, &msgs).await;

    let dir = crate::temp::TempDir::new("consumer");
    std::fs::create_dir_all(&dir.0).unwrap();
    let store = SqliteCheckpointStore::open(dir.0.join("checkpoints.db")).unwrap();
    store.create_storage().await.unwrap();
    let store: Arc<dyn CheckpointStore> = Arc::new(store);
    let seen: Seen = Arc::default();

    // The first consumer is killed (its task aborted: no shutdown, no release) mid-way.
    let first = Arc::new(KinesisConsumer::new(
        client.clone(),
        &stream,
        receiver(&seen),
        store.clone(),
        options(),
    ));
    let running = {
        let first = first.clone();
        tokio::spawn(async move { first.run(CancellationToken::new()).await })
    };
    wait_for("400 messages", Duration::from_secs(60), || {
        seen.lock().unwrap().len() >= 400
    })
    .await;
    running.abort();
    let _ = running.await;
    let before_crash = seen.lock().unwrap().len();
    assert!(
        before_crash < 1000,
        "the crash came too late to test anything"
    );
    let checkpoints = first.report().checkpoints;
    assert!(checkpoints > 0);

    // A successor takes the expired leases and resumes from the checkpoints.
    let second = Arc::new(KinesisConsumer::new(
        client.clone(),
        &stream,
        receiver(&seen),
        store.clone(),
        options(),
    ));
    assert_ne!(first.owner(), second.owner());
    let cancel = CancellationToken::new();
    let running = {
        let second = second.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move { second.run(cancel).await })
    };
    let expected: BTreeSet<String> = msgs.iter().cloned().collect();
    wait_for("every message", Duration::from_secs(90), || {
        seen.lock().unwrap().iter().collect::<BTreeSet<_>>().len() == expected.len()
    })
    .await;
    cancel.cancel();
    let report = running.await.unwrap().unwrap();

    let seen = seen.lock().unwrap().clone();
    let distinct: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(distinct, expected, "every message at least once");
    // At-least-once, duplicates bounded by the checkpoint interval: at most one batch per shard.
    let duplicates = seen.len() - distinct.len();
    assert!(duplicates <= 2 * 50, "{duplicates} duplicates");
    assert_eq!(report.poison + report.failed, 0);
    // Both consumers' counters add up to what the handler saw (the killed one may have been
    // stopped between a handler and its counter).
    let counted = first.report().handled + report.handled;
    let total = u64::try_from(seen.len()).unwrap();
    assert!(
        counted == total || counted + 1 == total,
        "{counted} counted, {total} seen"
    );
    // Graceful shutdown released the leases and kept the checkpoints.
    let leases = store.leases(&stream).await.unwrap();
    assert_eq!(leases.len(), 2);
    for lease in leases {
        assert_eq!(lease.owner, None, "{lease:?}");
        assert!(lease.checkpoint.is_some(), "{lease:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_records_are_skipped_counted_and_dead_lettered() {
    let client = aws::kinesis().await;
    let stream = aws::unique("pbjx-poison");
    aws::create_stream(&client, &stream, 1).await;
    let good = |msg: &str| {
        let mut command = CheckHealthV1::new().with_msg(msg).unwrap();
        command.freeze();
        TransportEnvelope::new(Arc::new(command), false).to_json()
    };
    let mut event = HealthCheckedV1::new().with_msg("e1").unwrap();
    event.freeze();
    let mut request = EchoRequestV1::new();
    request.freeze();
    let records: Vec<(bool, String)> = vec![
        (true, good("g1")),
        (false, "not json at all".to_owned()),
        (false, r#"{"serializer":"php","is_replay":false,"message":"O:8:\"stdClass\":0:{}"}"#.to_owned()),
        (false, TransportEnvelope::from_message_json(r#"{"_schema":"pbj:acme:nowhere:command:nothing:1-0-0"}"#.into(), false).to_json()),
        // A check-health command whose tiny-int is out of range: invalid.
        (false, TransportEnvelope::from_message_json(r#"{"_schema":"pbj:gdbots:pbjx:command:check-health:1-0-0","msg":"x","ctx_retries":1000}"#.into(), false).to_json()),
        (false, TransportEnvelope::new(Arc::new(request), false).to_json()),
        (true, good("g2")),
        (true, TransportEnvelope::new(Arc::new(event), false).to_json()),
    ];
    let mut poison_sequences = Vec::new();
    for (is_good, data) in &records {
        let out = client
            .put_record()
            .stream_name(&stream)
            .partition_key("p")
            .data(Blob::new(data.clone().into_bytes()))
            .send()
            .await
            .unwrap();
        if !is_good {
            poison_sequences.push(out.sequence_number().to_owned());
        }
    }

    let seen: Seen = Arc::default();
    let (sink, mut letters) = tokio::sync::mpsc::unbounded_channel::<DeadLetter>();
    let consumer = Arc::new(
        KinesisConsumer::new(
            client,
            &stream,
            receiver(&seen),
            Arc::new(MemoryCheckpointStore::default()),
            options(),
        )
        .with_dead_letters(Arc::new(sink)),
    );
    let cancel = CancellationToken::new();
    let running = {
        let consumer = consumer.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move { consumer.run(cancel).await })
    };
    wait_for("every record", Duration::from_secs(30), || {
        let report = consumer.report();
        report.handled + report.poison == 8
    })
    .await;
    cancel.cancel();
    let report = running.await.unwrap().unwrap();
    assert_eq!((report.handled, report.poison, report.failed), (3, 5, 0));
    assert_eq!(*seen.lock().unwrap(), ["g1", "g2", "event:e1"]);
    let mut dead = Vec::new();
    while let Ok(letter) = letters.try_recv() {
        dead.push(letter);
    }
    let sequences: Vec<String> = dead.iter().map(|l| l.sequence.clone()).collect();
    assert_eq!(sequences, poison_sequences);
    assert!(dead.iter().all(|l| l.source.starts_with(&stream)));
    assert_eq!(dead[0].data, b"not json at all");
    assert!(
        dead[2]
            .error
            .to_string()
            .contains("pbj:acme:nowhere:command:nothing"),
        "{}",
        dead[2].error
    );
}

/// moto 5.2.5 closes the parent on `UpdateShardCount` (it gets an `EndingSequenceNumber` and
/// the children name it as parent) but keeps writing new records into the parent and keeps
/// handing out iterators of it, so records cannot be placed in the children here: the test
/// checks that the parent is read to its end and finished first, and only then are the
/// children's leases taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_reshard_the_parent_is_finished_before_its_children() {
    let client = aws::kinesis().await;
    let stream = aws::unique("pbjx-reshard");
    aws::create_stream(&client, &stream, 1).await;
    let before: Vec<String> = (0..120).map(|i| format!("a{i:03}")).collect();
    send_all(&stream, &before).await;
    client
        .update_shard_count()
        .stream_name(&stream)
        .target_shard_count(2)
        .scaling_type(aws_sdk_kinesis::types::ScalingType::UniformScaling)
        .send()
        .await
        .expect("UpdateShardCount");
    aws::wait_active(&client, &stream).await;

    let seen: Seen = Arc::default();
    let store = Arc::new(MemoryCheckpointStore::default());
    // Watch the leases while the consumer runs: no child lease before the parent finished.
    let consumer = Arc::new(KinesisConsumer::new(
        client,
        &stream,
        receiver(&seen),
        store.clone(),
        options(),
    ));
    let cancel = CancellationToken::new();
    let running = {
        let consumer = consumer.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move { consumer.run(cancel).await })
    };
    let mut children_taken = false;
    let start = Instant::now();
    while !children_taken {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "children never taken"
        );
        let leases = store.leases(&stream).await.unwrap();
        let parent = leases.iter().find(|l| l.shard == "shardId-000000000000");
        let children = leases
            .iter()
            .filter(|l| l.shard != "shardId-000000000000")
            .count();
        if children > 0 {
            let parent = parent.expect("the parent was read first");
            assert!(
                parent.finished,
                "a child was taken before the parent finished: {leases:?}"
            );
            assert_eq!(parent.checkpoint.as_deref(), Some("SHARD_END"));
            // The parent was read whole before.
            assert_eq!(seen.lock().unwrap().len(), 120);
            children_taken = children == 2;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cancel.cancel();
    running.await.unwrap().unwrap();
    // The parent's records, all of them, in the shard's order.
    let shards = aws::read_stream(&aws::kinesis().await, &stream).await;
    let registry = pbjx::registry();
    let in_shard: Vec<String> = shards["shardId-000000000000"]
        .iter()
        .map(|(_, data)| {
            let envelope =
                TransportEnvelope::from_json(std::str::from_utf8(data).unwrap(), &registry)
                    .unwrap();
            let command = CheckHealthV1::from_json(envelope.message_json()).unwrap();
            command.msg().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        in_shard.iter().collect::<BTreeSet<_>>(),
        before.iter().collect::<BTreeSet<_>>()
    );
    assert_eq!(
        *seen.lock().unwrap(),
        in_shard,
        "the parent's records in the shard's order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consumers_share_the_shards_through_leases() {
    let client = aws::kinesis().await;
    let stream = aws::unique("pbjx-share");
    aws::create_stream(&client, &stream, 2).await;
    let msgs: Vec<String> = (0..200).map(|i| format!("s{i:03}")).collect();
    send_all(&stream, &msgs).await;
    let store: Arc<dyn CheckpointStore> = Arc::new(MemoryCheckpointStore::default());
    let seen_a: Seen = Arc::default();
    let seen_b: Seen = Arc::default();
    let cancel = CancellationToken::new();
    let mut running = Vec::new();
    for seen in [&seen_a, &seen_b] {
        let consumer = Arc::new(KinesisConsumer::new(
            client.clone(),
            &stream,
            receiver(seen),
            store.clone(),
            options().with_max_shards(1),
        ));
        let cancel = cancel.clone();
        running.push(tokio::spawn(async move { consumer.run(cancel).await }));
    }
    wait_for("every message", Duration::from_secs(30), || {
        seen_a.lock().unwrap().len() + seen_b.lock().unwrap().len() >= 200
    })
    .await;
    cancel.cancel();
    for r in running {
        r.await.unwrap().unwrap();
    }
    let a = seen_a.lock().unwrap().clone();
    let b = seen_b.lock().unwrap().clone();
    assert!(
        !a.is_empty() && !b.is_empty(),
        "each consumer had a shard: {} / {}",
        a.len(),
        b.len()
    );
    let all: BTreeSet<String> = a.iter().chain(&b).cloned().collect();
    assert_eq!(all.len(), 200);
    assert_eq!(a.len() + b.len(), 200, "no shard read twice");
}
