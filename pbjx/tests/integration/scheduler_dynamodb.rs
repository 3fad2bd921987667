//! The DynamoDB + Step Functions scheduler against a real AWS emulator (moto server on
//! 127.0.0.1, with Step Functions execution switched on: `.ci/aws-emulator.sh` does it).
//!
//! These tests need `AWS_ENDPOINT_URL` pointing at the emulator and FAIL without it:
//! `bash .ci/aws-emulator.sh start && eval "$(bash .ci/aws-emulator.sh env)"`
//! (`scripts/test-all.sh` does both). Every test uses its own table, queue and state machine.
#![cfg(feature = "scheduler-dynamodb")]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sfn::types::ExecutionStatus;
use pbjx::pbj::Message;
use pbjx::scheduler::dynamodb::{DynamoDbScheduler, ExecutionInput, Resources, format_date};
use pbjx::scheduler::{STRIPPED_FIELDS, Scheduler, WorkerHandle, WorkerOptions};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::testkit::dynamodb::emulator_config;
use pbjx::testkit::scheduler::{self as conformance, Backend};
use pbjx::{Code, Error, Pbjx, SendAt};
use tokio::sync::mpsc;

/// A scheduler on fresh resources, created.
async fn scheduler() -> DynamoDbScheduler {
    let name = format!("pbjx-test-{}", uuid::Uuid::new_v4());
    let resources =
        Resources::named(name).with_role_arn("arn:aws:iam::123456789012:role/pbjx-scheduler");
    let scheduler = DynamoDbScheduler::new(&emulator_config().await, resources, pbjx::registry());
    scheduler.create_storage().await.expect("create_storage");
    scheduler
}

fn options() -> WorkerOptions {
    conformance::worker_options()
}

struct Dynamo(DynamoDbScheduler);

#[pbjx::async_trait]
impl Backend for Dynamo {
    fn scheduler(&self) -> Arc<dyn Scheduler> {
        Arc::new(self.0.clone())
    }

    async fn start_worker(&self, pbjx: Pbjx, options: WorkerOptions) -> WorkerHandle {
        self.0.spawn_worker(pbjx, options)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    conformance::run_all(&Dynamo(scheduler().await)).await;
}

/// An exchange whose check-health handler reports `(msg, time)` on a channel.
fn reporting(
    scheduler: &DynamoDbScheduler,
) -> (Pbjx, mpsc::UnboundedReceiver<(String, SystemTime)>) {
    let (sent, received) = mpsc::unbounded_channel();
    let pbjx = Pbjx::builder()
        .scheduler(scheduler.clone())
        .command(move |command: Arc<CheckHealthV1>, _pbjx| {
            let sent = sent.clone();
            async move {
                let msg = command.msg().unwrap_or_default().to_owned();
                let _ = sent.send((msg, SystemTime::now()));
                Ok(())
            }
        })
        .build()
        .unwrap();
    (pbjx, received)
}

async fn item(
    scheduler: &DynamoDbScheduler,
    job_id: &str,
) -> Option<std::collections::HashMap<String, AttributeValue>> {
    scheduler
        .dynamodb()
        .get_item()
        .table_name(scheduler.resources().table())
        .key("job_id", AttributeValue::S(job_id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

fn s<'a>(item: &'a std::collections::HashMap<String, AttributeValue>, name: &str) -> &'a str {
    item[name]
        .as_s()
        .or_else(|_| item[name].as_n())
        .unwrap()
        .as_str()
}

async fn status(scheduler: &DynamoDbScheduler, arn: &str) -> ExecutionStatus {
    scheduler
        .sfn()
        .describe_execution()
        .execution_arn(arn)
        .send()
        .await
        .unwrap()
        .status
}

/// A job 2 s ahead is sent once, not before its time; the item has the original's layout,
/// the execution the original's input; the item is gone afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_two_seconds_ahead_is_sent_once() {
    let scheduler = scheduler().await;
    let (pbjx, mut received) = reporting(&scheduler);
    let worker = scheduler.spawn_worker(pbjx.clone(), options());
    let command = CheckHealthV1::new()
        .with_msg("in two seconds")
        .and_then(|c| c.with_ctx_tenant_id("acme/tenant"))
        .and_then(|c| c.with_ctx_ua("scheduling agent"))
        .unwrap();
    let at = SendAt::from(SystemTime::now() + Duration::from_secs(2));
    let job = pbjx
        .send_at(command, at, Some("two-seconds".into()))
        .await
        .unwrap();

    let stored = item(&scheduler, &job).await.expect("the job item");
    let send_at: i64 = s(&stored, "send_at").parse().unwrap();
    assert_eq!(
        send_at,
        at.unix_seconds() + 1,
        "rounded up to whole seconds"
    );
    let ttl: i64 = s(&stored, "ttl").parse().unwrap();
    assert_eq!(ttl, send_at + 7 * 86_400);
    let payload = stored["payload"].as_m().unwrap();
    assert_eq!(payload["msg"].as_s().unwrap(), "in two seconds");
    for stripped in STRIPPED_FIELDS {
        assert!(!payload.contains_key(stripped), "{stripped} is stored");
    }
    let execution = scheduler
        .sfn()
        .describe_execution()
        .execution_arn(s(&stored, "execution_arn"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        execution.input.as_deref(),
        Some(
            format!(
                r#"{{"job_id":"two-seconds","tenant_id":"acme\/tenant","send_at":"{}"}}"#,
                format_date(send_at).unwrap()
            )
            .as_str()
        )
    );

    let (msg, when) = tokio::time::timeout(Duration::from_secs(60), received.recv())
        .await
        .expect("the job fires")
        .unwrap();
    assert_eq!(msg, "in two seconds");
    assert!(SendAt::from(when) >= at, "sent before its time");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(received.try_recv().is_err(), "sent twice");
    assert!(
        item(&scheduler, &job).await.is_none(),
        "the item is deleted"
    );
    assert_eq!(
        status(&scheduler, s(&stored, "execution_arn")).await,
        ExecutionStatus::Succeeded
    );
    worker.shutdown().await;
}

/// Replacing a job stops its execution; cancelling stops the replacement's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_and_cancelling_stop_the_old_execution() {
    let scheduler = scheduler().await;
    let (pbjx, _) = reporting(&scheduler);
    let later = SystemTime::now() + Duration::from_secs(3600);
    let arn = |msg: &'static str| {
        let (pbjx, scheduler) = (pbjx.clone(), scheduler.clone());
        async move {
            let command = CheckHealthV1::new().with_msg(msg).unwrap();
            pbjx.send_at(command, later, Some("replaced".into()))
                .await
                .unwrap();
            let stored = item(&scheduler, "replaced").await.unwrap();
            s(&stored, "execution_arn").to_owned()
        }
    };
    let first = arn("first").await;
    assert_eq!(status(&scheduler, &first).await, ExecutionStatus::Running);
    let second = arn("second").await;
    assert_ne!(first, second);
    assert_eq!(status(&scheduler, &first).await, ExecutionStatus::Aborted);
    assert_eq!(status(&scheduler, &second).await, ExecutionStatus::Running);
    pbjx.cancel_jobs(vec!["replaced".into(), "never-scheduled".into()])
        .await
        .unwrap();
    assert!(item(&scheduler, "replaced").await.is_none());
    assert_eq!(status(&scheduler, &second).await, ExecutionStatus::Aborted);
}

/// A job in a `resend_at` chain: the worker starts the next leg when a leg ends, records its
/// ARN on the item, and sends the command when the last leg ends. (Real chains span years; this
/// one is started by hand with legs a second or two long.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_at_chain_continues_through_the_worker() {
    let scheduler = scheduler().await;
    let (pbjx, mut received) = reporting(&scheduler);
    let now = SendAt::now().unix_seconds();
    let job = "chained";
    pbjx.send_at(
        CheckHealthV1::new()
            .with_msg("at the end of the chain")
            .unwrap(),
        SendAt::from_unix_seconds(now + 4),
        Some(job.into()),
    )
    .await
    .unwrap();
    // replace its execution by a two-leg chain: +2 s, then +4 s
    let stored = item(&scheduler, job).await.unwrap();
    let replaced = s(&stored, "execution_arn").to_owned();
    let sfn = scheduler.sfn();
    sfn.stop_execution()
        .execution_arn(&replaced)
        .send()
        .await
        .unwrap();
    let chain = ExecutionInput {
        job_id: job.to_owned(),
        tenant_id: None,
        resend_at: vec![format_date(now + 4).unwrap()],
        send_at: format_date(now + 2).unwrap(),
    };
    let first_leg = sfn
        .start_execution()
        .state_machine_arn(scheduler.state_machine_arn().await.unwrap())
        .name("chained-leg-1")
        .input(chain.to_json())
        .send()
        .await
        .unwrap()
        .execution_arn;
    scheduler
        .dynamodb()
        .update_item()
        .table_name(scheduler.resources().table())
        .key("job_id", AttributeValue::S(job.into()))
        .update_expression("SET execution_arn = :arn")
        .expression_attribute_values(":arn", AttributeValue::S(first_leg.clone()))
        .send()
        .await
        .unwrap();

    let worker = scheduler.spawn_worker(pbjx.clone(), options());
    let (msg, when) = tokio::time::timeout(Duration::from_secs(60), received.recv())
        .await
        .expect("the job fires at the end of the chain")
        .unwrap();
    assert_eq!(msg, "at the end of the chain");
    assert!(SendAt::from(when) >= SendAt::from_unix_seconds(now + 4));
    worker.shutdown().await;
    assert!(received.try_recv().is_err(), "sent twice");
    assert!(item(&scheduler, job).await.is_none());
    // the second leg: started by the worker with the last date as its send_at
    let executions = sfn
        .list_executions()
        .state_machine_arn(scheduler.state_machine_arn().await.unwrap())
        .send()
        .await
        .unwrap()
        .executions;
    let mut second_legs = Vec::new();
    // (the execution replaced above has the same input as the second leg)
    for e in executions.iter().filter(|e| e.execution_arn != replaced) {
        let described = sfn
            .describe_execution()
            .execution_arn(&e.execution_arn)
            .send()
            .await
            .unwrap();
        if described.input.as_deref() == chain.next_leg().map(|n| n.to_json()).as_deref() {
            second_legs.push(described.status);
        }
    }
    assert_eq!(second_legs, [ExecutionStatus::Succeeded]);
    assert_eq!(
        status(&scheduler, &first_leg).await,
        ExecutionStatus::Succeeded
    );
}

/// `create_storage` turns TTL on, is idempotent, and needs a role to create the state machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_storage_sets_ttl_and_needs_a_role() {
    let scheduler = scheduler().await;
    scheduler.create_storage().await.expect("again");
    let ttl = scheduler
        .dynamodb()
        .describe_time_to_live()
        .table_name(scheduler.resources().table())
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.attribute_name(), Some("ttl"));
    let text = scheduler.describe_storage().await.unwrap();
    assert!(
        text.contains(&scheduler.state_machine_arn().await.unwrap()),
        "{text}"
    );
    assert!(text.contains(scheduler.resources().table()), "{text}");

    let roleless = DynamoDbScheduler::new(
        &emulator_config().await,
        Resources::named(format!("pbjx-test-{}", uuid::Uuid::new_v4())),
        pbjx::registry(),
    );
    let err = roleless.create_storage().await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(err.to_string().contains("with_role_arn"), "{err}");
    // without a state machine, send_at fails before writing anything
    let mut command = CheckHealthV1::new();
    command.freeze();
    let later = SendAt::from(SystemTime::now() + Duration::from_secs(60));
    let err = roleless
        .send_at(Arc::new(command), later, Some("nowhere".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err}");
}
