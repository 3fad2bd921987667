//! The SQLite scheduler: the conformance suite, timing and order with paused time, restarts,
//! racing workers, graceful shutdown, corrupt jobs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::temp::TempDb;
use pbjx::pbj::Message;
use pbjx::scheduler::{Clock, Scheduler, SqliteScheduler, WorkerHandle, WorkerOptions};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::ScheduledCommandFailedV1;
use pbjx::testkit::scheduler::{self as conformance, Backend};
use pbjx::{Pbjx, SendAt};
use tokio::sync::{Notify, mpsc};

/// The scheduler on `db`.
fn open(db: &TempDb) -> SqliteScheduler {
    SqliteScheduler::open(&db.0, pbjx::registry()).expect("open the scheduler")
}

struct Sqlite(SqliteScheduler);

#[pbjx::async_trait]
impl Backend for Sqlite {
    fn scheduler(&self) -> Arc<dyn Scheduler> {
        Arc::new(self.0.clone())
    }

    async fn start_worker(&self, pbjx: Pbjx, options: WorkerOptions) -> WorkerHandle {
        self.0.spawn_worker(pbjx, options)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_file() {
    let db = TempDb::new("scheduler-conformance");
    conformance::run_all(&Sqlite(open(&db))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_in_memory() {
    let scheduler = SqliteScheduler::open_in_memory(pbjx::registry()).unwrap();
    conformance::run_all(&Sqlite(scheduler)).await;
}

/// An exchange whose check-health handler reports every `msg` it gets on a channel.
fn reporting(scheduler: &SqliteScheduler) -> (Pbjx, mpsc::UnboundedReceiver<String>) {
    let (sent, received) = mpsc::unbounded_channel();
    let pbjx = Pbjx::builder()
        .scheduler(scheduler.clone())
        .command(move |command: Arc<CheckHealthV1>, _pbjx| {
            let sent = sent.clone();
            async move {
                let _ = sent.send(command.msg().unwrap_or_default().to_owned());
                Ok(())
            }
        })
        .build()
        .unwrap();
    (pbjx, received)
}

fn ping(msg: &str) -> CheckHealthV1 {
    CheckHealthV1::new().with_msg(msg).unwrap()
}

/// With tokio's clock paused, jobs fire in the order of their times, each at its time
/// (within a second), never before. The test holds no timer of its own while the
/// worker runs, so tokio's clock only advances to the worker's own wake-ups.
#[test]
fn paused_time_order_and_timing() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(paused_time_run());
        let _ = done.send(());
    });
    finished
        .recv_timeout(Duration::from_secs(120))
        .expect("the paused-time run finishes");
}

async fn paused_time_run() {
    let clock = Clock::tokio();
    let scheduler = SqliteScheduler::open_in_memory(pbjx::registry()).unwrap();
    let fired = Arc::new(Mutex::new(Vec::new()));
    let (sent, mut received) = mpsc::unbounded_channel();
    let record = fired.clone();
    let pbjx = Pbjx::builder()
        .scheduler(scheduler.clone())
        .command(move |command: Arc<CheckHealthV1>, _pbjx| {
            let (record, sent) = (record.clone(), sent.clone());
            async move {
                let msg = command.msg().unwrap_or_default().to_owned();
                record.lock().unwrap().push((msg, clock.now()));
                let _ = sent.send(());
                Ok(())
            }
        })
        .build()
        .unwrap();
    // The worker sleeps until the next due time it knows of (at most the poll interval; the
    // long one keeps tokio's clock from stepping through a day a second at a time).
    let poll = Duration::from_secs(3600);
    let options = WorkerOptions::default()
        .with_clock(clock)
        .with_poll_interval(poll);
    let worker = scheduler.spawn_worker(pbjx.clone(), options);
    let start = clock.now().to_system_time().unwrap();
    let mut due = HashMap::new();
    // scheduled out of order, hours apart and a second apart
    for (msg, after) in [
        ("third", 7200),
        ("first", 30),
        ("second", 31),
        ("fourth", 86_400),
    ] {
        let at = SendAt::from(start + Duration::from_secs(after));
        pbjx.send_at(ping(msg), at, Some(msg.to_owned()))
            .await
            .unwrap();
        due.insert(msg, at);
    }
    for _ in 0..4 {
        received.recv().await.expect("a job fires");
    }
    let fired = fired.lock().unwrap().clone();
    let order: Vec<&str> = fired.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(order, ["first", "second", "third", "fourth"]);
    for (msg, at) in &fired {
        let due = due[msg.as_str()];
        assert!(*at >= due, "[{msg}] fired at {at}, before {due}");
        let late = at
            .to_system_time()
            .unwrap()
            .duration_since(due.to_system_time().unwrap())
            .unwrap();
        assert!(
            late <= Duration::from_secs(1),
            "[{msg}] fired {late:?} late"
        );
    }
    assert_eq!(scheduler.job_count().await.unwrap(), 0);
    worker.shutdown().await;
}

/// Jobs that came due while no worker ran fire when one starts, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_due_jobs_fires_each_once() {
    let db = TempDb::new("scheduler-restart");
    let at = SystemTime::now() + Duration::from_millis(300);
    {
        let scheduler = open(&db);
        // straight to the scheduler (no "in the future" check: a slow disk may take longer
        // than the lead to store them all)
        for i in 0..50 {
            let mut command = ping(&format!("due-{i}"));
            command.freeze();
            scheduler
                .send_at(
                    Arc::new(command),
                    SendAt::from(at),
                    Some(format!("job-{i}")),
                )
                .await
                .unwrap();
        }
        assert_eq!(scheduler.job_count().await.unwrap(), 50);
    } // the process "stops": nothing runs while the jobs come due
    if let Ok(left) = at.duration_since(SystemTime::now()) {
        tokio::time::sleep(left + Duration::from_millis(100)).await;
    }
    let scheduler = open(&db);
    let (pbjx, mut received) = reporting(&scheduler);
    let worker = scheduler.spawn_worker(pbjx, WorkerOptions::default());
    let mut seen = HashMap::new();
    for _ in 0..50 {
        let msg = tokio::time::timeout(Duration::from_secs(30), received.recv())
            .await
            .expect("due jobs fire")
            .unwrap();
        *seen.entry(msg).or_insert(0) += 1;
    }
    // a second worker (another "process" on the file) finds nothing left
    let again = open(&db);
    let (pbjx2, mut received2) = reporting(&again);
    let second = again.spawn_worker(pbjx2, WorkerOptions::default());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(received.try_recv().is_err(), "a job fired twice");
    assert!(received2.try_recv().is_err(), "a sent job fired again");
    assert_eq!(seen.len(), 50);
    assert!(seen.values().all(|n| *n == 1));
    assert_eq!(scheduler.job_count().await.unwrap(), 0);
    worker.shutdown().await;
    second.shutdown().await;
}

/// Two workers, each with its own connection to the file (like two processes), race for
/// 1,000 due jobs: each job is sent exactly once, and both workers send some.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_race_on_a_thousand_due_jobs() {
    const JOBS: usize = 1000;
    let db = TempDb::new("scheduler-race");
    let (a, b) = (open(&db), open(&db));
    let counts: Arc<Mutex<HashMap<String, Vec<&'static str>>>> = Arc::default();
    let all_sent = Arc::new(Notify::new());
    let exchange = |scheduler: &SqliteScheduler, name: &'static str| {
        let (counts, all_sent) = (counts.clone(), all_sent.clone());
        Pbjx::builder()
            .scheduler(scheduler.clone())
            .command(move |command: Arc<CheckHealthV1>, _pbjx| {
                let (counts, all_sent) = (counts.clone(), all_sent.clone());
                async move {
                    // A send takes a moment, as a real one does: without it one worker can
                    // claim and send every batch while the other sleeps in SQLite's busy
                    // handler, and the race this test is about never happens.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    let mut counts = counts.lock().unwrap();
                    let msg = command.msg().unwrap_or_default().to_owned();
                    counts.entry(msg).or_default().push(name);
                    if counts.len() == JOBS {
                        all_sent.notify_one();
                    }
                    Ok(())
                }
            })
            .build()
            .unwrap()
    };
    let (pbjx_a, pbjx_b) = (exchange(&a, "a"), exchange(&b, "b"));
    let at = SystemTime::now() + Duration::from_millis(500);
    let mut scheduling = tokio::task::JoinSet::new();
    for i in 0..JOBS {
        let pbjx = pbjx_a.clone();
        scheduling.spawn(async move { pbjx.send_at(ping(&format!("race-{i}")), at, None).await });
    }
    while let Some(done) = scheduling.join_next().await {
        done.unwrap().unwrap();
    }
    let options = WorkerOptions::default()
        .with_batch_size(16)
        .with_poll_interval(Duration::from_millis(20));
    let wa = a.spawn_worker(pbjx_a, options.clone());
    let wb = b.spawn_worker(pbjx_b, options);
    tokio::time::timeout(Duration::from_secs(60), all_sent.notified())
        .await
        .expect("every job is sent");
    tokio::time::sleep(Duration::from_millis(500)).await;
    wa.shutdown().await;
    wb.shutdown().await;
    let counts = counts.lock().unwrap().clone();
    assert_eq!(counts.len(), JOBS);
    let twice: Vec<_> = counts.iter().filter(|(_, by)| by.len() != 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    let by_a = counts.values().filter(|by| by[0] == "a").count();
    assert!(
        by_a > 0 && by_a < JOBS,
        "only one worker sent jobs ({by_a} by a)"
    );
    assert_eq!(a.job_count().await.unwrap(), 0);
}

/// `shutdown` waits for the job being sent, deletes it, and hands back the claimed jobs not
/// started; the next worker sends those (and not the finished one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_the_job_in_flight() {
    let db = TempDb::new("scheduler-shutdown");
    let scheduler = open(&db);
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let sent: Arc<Mutex<Vec<String>>> = Arc::default();
    let pbjx = {
        let (entered, release, sent) = (entered.clone(), release.clone(), sent.clone());
        Pbjx::builder()
            .scheduler(scheduler.clone())
            .command(move |command: Arc<CheckHealthV1>, _pbjx| {
                let (entered, release, sent) = (entered.clone(), release.clone(), sent.clone());
                async move {
                    let msg = command.msg().unwrap_or_default().to_owned();
                    if msg == "slow" {
                        entered.notify_one();
                        release.notified().await;
                    }
                    sent.lock().unwrap().push(msg);
                    Ok(())
                }
            })
            .build()
            .unwrap()
    };
    let base = SystemTime::now() + Duration::from_secs(1);
    pbjx.send_at(ping("slow"), base, Some("slow".into()))
        .await
        .unwrap();
    pbjx.send_at(
        ping("next"),
        base + Duration::from_millis(1),
        Some("next".into()),
    )
    .await
    .unwrap();
    // both due before the worker starts: one claim holds them
    if let Ok(left) = base.duration_since(SystemTime::now()) {
        tokio::time::sleep(left + Duration::from_millis(100)).await;
    }
    let worker = scheduler.spawn_worker(pbjx.clone(), WorkerOptions::default());
    entered.notified().await;
    let stopping = tokio::spawn(worker.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !stopping.is_finished(),
        "shutdown waits for the job in flight"
    );
    release.notify_one();
    stopping.await.unwrap();
    assert_eq!(*sent.lock().unwrap(), ["slow"]);
    assert_eq!(
        scheduler.job_count().await.unwrap(),
        1,
        "only [next] is left"
    );
    // the lease of [next] was handed back: a new worker sends it at once
    let worker = scheduler.spawn_worker(pbjx, WorkerOptions::default());
    tokio::time::timeout(Duration::from_secs(10), async {
        while scheduler.job_count().await.unwrap() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("[next] is sent");
    worker.shutdown().await;
    assert_eq!(*sent.lock().unwrap(), ["slow", "next"]);
}

/// A stored command that no longer decodes is reported at once (no retries: reading it again
/// cannot help) and removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_job_is_reported_without_retries() {
    let db = TempDb::new("scheduler-corrupt");
    let scheduler = open(&db);
    let failures: Arc<Mutex<Vec<Arc<ScheduledCommandFailedV1>>>> = Arc::default();
    let reported = Arc::new(Notify::new());
    let pbjx = {
        let (failures, reported) = (failures.clone(), reported.clone());
        Pbjx::builder()
            .scheduler(scheduler.clone())
            .subscribe(move |failed: Arc<ScheduledCommandFailedV1>, _pbjx| {
                let (failures, reported) = (failures.clone(), reported.clone());
                async move {
                    failures.lock().unwrap().push(failed);
                    reported.notify_one();
                    Ok(())
                }
            })
            .build()
            .unwrap()
    };
    let at = SystemTime::now() + Duration::from_millis(300);
    pbjx.send_at(ping("doomed"), at, Some("doomed".into()))
        .await
        .unwrap();
    let raw = rusqlite::Connection::open(&db.0).unwrap();
    raw.execute(
        "UPDATE pbjx_jobs SET payload = '{\"_schema\":\"pbj:acme:gone:command:x:1-0-0\"}'",
        [],
    )
    .unwrap();
    let worker = scheduler.spawn_worker(pbjx, WorkerOptions::default());
    tokio::time::timeout(Duration::from_secs(10), reported.notified())
        .await
        .expect("the corrupt job is reported");
    worker.shutdown().await;
    let failures = failures.lock().unwrap().clone();
    assert_eq!(failures.len(), 1);
    let failure = &failures[0];
    assert_eq!(failure.job_id(), Some("doomed"));
    assert_eq!(failure.attempts(), Some(1));
    assert!(failure.command().is_none());
    assert!(
        failure
            .error_message()
            .unwrap_or_default()
            .contains("does not decode"),
        "{:?}",
        failure.error_message()
    );
    assert_eq!(scheduler.job_count().await.unwrap(), 0);
}

/// `describe_storage` names the file and counts the jobs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_storage_counts_jobs() {
    let db = TempDb::new("scheduler-describe");
    let scheduler = open(&db);
    let mut command = ping("later");
    command.freeze();
    let later = SendAt::from(SystemTime::now() + Duration::from_secs(3600));
    scheduler
        .send_at(Arc::new(command), later, None)
        .await
        .unwrap();
    let text = scheduler.describe_storage().await.unwrap();
    assert!(text.contains("jobs: 1 (0 claimed by a worker)"), "{text}");
    assert!(text.contains(&db.0.display().to_string()), "{text}");
}
