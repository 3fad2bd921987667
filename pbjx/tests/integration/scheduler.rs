//! `send_at`, `cancel_jobs` and the optional services (pbjx-features.md §1 "sendAt",
//! "getEventStore / getEventSearch", §7, §10 pbjx-php "PbjxSendAtTest").

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pbjx::pbj::Message;
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::services::Scheduler;
use pbjx::{Code, Error, Pbjx, Selector, SendAt, Stage};

#[derive(Default)]
struct Calls {
    send_at: Vec<(Arc<dyn Message>, SendAt, Option<String>)>,
    cancel: Vec<Vec<String>>,
}

/// A scheduler written as plain `async fn`s (the trait is `#[async_trait]`).
#[derive(Clone, Default)]
struct RecordingScheduler(Arc<Mutex<Calls>>);

#[pbjx::async_trait]
impl Scheduler for RecordingScheduler {
    fn name(&self) -> &str {
        "recording"
    }

    async fn create_storage(&self) -> pbjx::Result<()> {
        Ok(())
    }

    async fn describe_storage(&self) -> pbjx::Result<String> {
        Ok("in the test's memory".to_owned())
    }

    async fn send_at(
        &self,
        command: Arc<dyn Message>,
        at: SendAt,
        job_id: Option<String>,
    ) -> pbjx::Result<String> {
        let id = job_id
            .clone()
            .unwrap_or_else(|| format!("generated-{}", at.unix_seconds()));
        self.0.lock().unwrap().send_at.push((command, at, job_id));
        Ok(id)
    }

    async fn cancel_jobs(&self, job_ids: Vec<String>) -> pbjx::Result<()> {
        self.0.lock().unwrap().cancel.push(job_ids);
        Ok(())
    }
}

/// An exchange with a [`RecordingScheduler`].
fn scheduled() -> (RecordingScheduler, Pbjx) {
    let scheduler = RecordingScheduler::default();
    let pbjx = Pbjx::builder()
        .scheduler(scheduler.clone())
        .build()
        .unwrap();
    (scheduler, pbjx)
}

/// The (seconds, nanoseconds) of every `send_at` the scheduler got.
#[cfg(any(feature = "jiff", feature = "chrono"))]
fn sent_times(scheduler: &RecordingScheduler) -> Vec<(i64, u32)> {
    let calls = scheduler.0.lock().unwrap();
    calls
        .send_at
        .iter()
        .map(|(_, at, _)| (at.unix_seconds(), at.subsec_nanos()))
        .collect()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// §10 `PbjxSendAtTest::testWithValidInput`: `send_at(CheckHealthV1, +1 month, 'next-month')`
/// returns `next-month`; the scheduler got the same (frozen, lifecycle-run) command and the
/// timestamp. Without a job id the scheduler's id is returned.
#[tokio::test]
async fn send_at_with_valid_input() {
    let scheduler = RecordingScheduler::default();
    let pbjx = Pbjx::builder()
        .scheduler(scheduler.clone())
        .hook(
            Stage::Enrich,
            Selector::mixin_curie("gdbots:pbjx:mixin:command"),
            |event| {
                event
                    .message_mut()
                    .unwrap()
                    .data_mut()
                    .set("ctx_ua", "enriched")?;
                Ok(())
            },
        )
        .build()
        .unwrap();
    let command = CheckHealthV1::new().with_msg("later").unwrap();
    let id = command.command_id().unwrap().to_owned();
    let at = now() + 30 * 24 * 3600;
    let job = pbjx
        .send_at(
            command,
            SendAt::from_unix_seconds(at),
            Some("next-month".into()),
        )
        .await
        .unwrap();
    assert_eq!(job, "next-month");
    let job = pbjx
        .send_at(
            CheckHealthV1::new(),
            SendAt::from_unix_seconds(at + 1),
            None,
        )
        .await
        .unwrap();
    assert_eq!(job, format!("generated-{}", at + 1));

    let calls = scheduler.0.lock().unwrap();
    assert_eq!(calls.send_at.len(), 2);
    let (sent, sent_at, job_id) = &calls.send_at[0];
    assert_eq!(
        (sent_at.unix_seconds(), job_id.as_deref()),
        (at, Some("next-month"))
    );
    assert!(sent.is_frozen());
    let sent = sent.downcast_ref::<CheckHealthV1>().unwrap();
    assert_eq!(sent.command_id(), Some(id.as_str()));
    assert_eq!(sent.msg(), Some("later"));
    assert_eq!(sent.ctx_ua(), Some("enriched"));
}

/// §10 `PbjxSendAtTest::testWithTimestampInPast`: a timestamp now or in the past is refused
/// (checked before the message kind, like the original), and the scheduler is not called.
#[tokio::test]
async fn send_at_in_the_past() {
    let (scheduler, pbjx) = scheduled();
    for at in [now() - 1, now() - 3600, 0] {
        let err = pbjx
            .send_at(CheckHealthV1::new(), SendAt::from_unix_seconds(at), None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    }
    let err = pbjx
        .send_at(
            HealthCheckedV1::new(),
            SendAt::from_unix_seconds(now() - 1),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    // In the future, an event is the wrong kind of message.
    let err = pbjx
        .send_at(
            HealthCheckedV1::new(),
            SendAt::from_unix_seconds(now() + 60),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::WrongMessageKind {
                operation: "send_at",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(scheduler.0.lock().unwrap().send_at.is_empty());
}

/// §1 getEventStore / getEventSearch / Scheduler: unconfigured → NotConfigured (code 12)
/// naming the service; `send_at` and `cancel_jobs` need the scheduler.
#[tokio::test]
async fn unconfigured_services() {
    let pbjx = Pbjx::builder().build().unwrap();
    for (result, service) in [
        (pbjx.event_store().err(), "EventStore"),
        (pbjx.event_search().err(), "EventSearch"),
        (pbjx.scheduler().err(), "Scheduler"),
        (
            pbjx.send_at(
                CheckHealthV1::new(),
                SendAt::from_unix_seconds(now() + 60),
                None,
            )
            .await
            .err(),
            "Scheduler",
        ),
        (pbjx.cancel_jobs(vec!["a".into()]).await.err(), "Scheduler"),
    ] {
        let err = result.expect("an error");
        assert!(
            matches!(&err, Error::NotConfigured { service: s } if *s == service),
            "{err:?}"
        );
        assert_eq!(err.code(), Code::Unimplemented);
        assert!(err.to_string().contains(service), "{err}");
    }
}

/// §1 cancelJobs delegates straight to the scheduler (no lifecycle).
#[tokio::test]
async fn cancel_jobs_delegates() {
    let (scheduler, pbjx) = scheduled();
    pbjx.cancel_jobs(vec!["job-1".into(), "job-2".into()])
        .await
        .unwrap();
    assert_eq!(
        scheduler.0.lock().unwrap().cancel,
        [vec!["job-1".to_owned(), "job-2".to_owned()]]
    );
    assert!(pbjx.scheduler().is_ok());
}

/// `send_at` takes a time type: a `SystemTime` reaches the scheduler with its sub-second part;
/// `SystemTime::now()` itself is already in the past.
#[tokio::test]
async fn send_at_accepts_system_time() {
    let (scheduler, pbjx) = scheduled();
    let at = UNIX_EPOCH + Duration::from_secs(4_102_444_800) + Duration::from_millis(250);
    let job = pbjx.send_at(CheckHealthV1::new(), at, None).await.unwrap();
    assert_eq!(job, "generated-4102444800");
    let sent_at = scheduler.0.lock().unwrap().send_at[0].1;
    assert_eq!(sent_at.to_system_time(), Some(at));
    assert_eq!(sent_at.subsec_nanos(), 250_000_000);
    assert_eq!(sent_at.to_string(), "2100-01-01T00:00:00.250Z");

    let err = pbjx
        .send_at(CheckHealthV1::new(), SystemTime::now(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert_eq!(scheduler.0.lock().unwrap().send_at.len(), 1);
}

/// With the `jiff` feature, `jiff::Timestamp` and `jiff::ZonedDateTime` are send times.
#[cfg(feature = "jiff")]
#[tokio::test]
async fn send_at_accepts_jiff_times() {
    let (scheduler, pbjx) = scheduled();
    let at = jiff::Timestamp::new(4_102_444_800, 5).unwrap();
    pbjx.send_at(CheckHealthV1::new(), at, None).await.unwrap();
    let zoned = at.to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(2)));
    pbjx.send_at(CheckHealthV1::new(), &zoned, None)
        .await
        .unwrap();
    assert_eq!(sent_times(&scheduler), [(4_102_444_800, 5); 2]);
    // Before the epoch, jiff's negative fraction is normalized.
    let before = SendAt::from(jiff::Timestamp::new(-2, -500_000_000).unwrap());
    assert_eq!(
        (before.unix_seconds(), before.subsec_nanos()),
        (-3, 500_000_000)
    );
}

/// With the `chrono` feature, `chrono::DateTime<Tz>` is a send time.
#[cfg(feature = "chrono")]
#[tokio::test]
async fn send_at_accepts_chrono_times() {
    let (scheduler, pbjx) = scheduled();
    let at = chrono::DateTime::from_timestamp(4_102_444_800, 7).unwrap();
    let fixed = at.with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap());
    pbjx.send_at(CheckHealthV1::new(), at, None).await.unwrap();
    pbjx.send_at(CheckHealthV1::new(), fixed, None)
        .await
        .unwrap();
    assert_eq!(sent_times(&scheduler), [(4_102_444_800, 7); 2]);
}
