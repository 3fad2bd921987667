//! `pbjx-bench`: single-core throughput of message creation, the JSON codec, the exchange and
//! the event stores, shaped like the reference PHP benchmark.
//!
//! Prints one JSON line per case: `{"case":"...","n":N,"ops_per_sec":X}` (for the event store
//! cases an op is one event), plus `"ops_per_cpu_sec"` (ops per second of this process's CPU
//! time, all threads, in the same window: the figure a busy machine does not move) for the
//! cases timed by one measuring loop. `--help` lists the options and examples.
//!
//! Everything runs on one core: a current-thread tokio runtime, no parallelism. Each case is
//! verified outside the timed loop and the run fails otherwise: built and decoded messages
//! re-encode with the PHP writer to exactly the bytes of `../shared/interop/php/canonical.jsonl`
//! (apart from the generated ids and times), handlers and hooks ran exactly once per op, and
//! stores hold and return exactly what was appended.
//!
//! A case is a [`Case`] variant (its doc comment is its help text) and one function in
//! [`cases`] taking the [`Bench`] context.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  taskset -c 0 pbjx-bench                          every case: 300 ms warm-up, 2 s measured
  pbjx-bench --quick                               smoke run (CI): every case verified, ~0.2 s each
  pbjx-bench --n 100000 event_deserialize          exactly 100,000 measured ops of one case
  pbjx-bench --list                                case names";

/// `../shared/interop/php/canonical.jsonl` next to the repository.
const DEFAULT_CANONICAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/interop/php/canonical.jsonl"
);

#[derive(Parser)]
#[command(
    name = "pbjx-bench",
    version,
    about = "Single-core throughput of pbj/pbjx: message creation, the JSON codec, the exchange \
             and the event stores (one JSON line per case).",
    after_help = EXAMPLES
)]
struct Cli {
    /// Smoke run: 50 ms warm-up and 200 ms per case, event store pools of 20,000 events.
    #[arg(long)]
    quick: bool,
    /// Measured time per case [default: 2000; --quick: 200].
    #[arg(long, value_name = "MS")]
    duration_ms: Option<u64>,
    /// Warm-up time per case [default: 300; --quick: 50].
    #[arg(long, value_name = "MS")]
    warmup_ms: Option<u64>,
    /// Run exactly N measured ops per case (at least N for the slice cases) instead of a time.
    #[arg(long, value_name = "N")]
    n: Option<u64>,
    /// The canonical PHP messages (line 1: health-checked, line 6: acme user).
    #[arg(
        long,
        env = "PBJX_BENCH_CANONICAL",
        default_value = DEFAULT_CANONICAL,
        value_name = "PATH"
    )]
    canonical: PathBuf,
    /// Print the case names, one per line, and exit.
    #[arg(long)]
    list: bool,
    /// Instead of the cases, time the pieces of an exchange op (message `new()`, id generation,
    /// `Microtime::now`, validate + freeze, message refs, clones) for profiling.
    #[arg(long)]
    substeps: bool,
    /// Cases to run [default: all, in the order of --list].
    #[arg(value_enum, value_name = "CASE")]
    cases: Vec<Case>,
}

/// The benchmark cases, in run order.
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
enum Case {
    /// `HealthCheckedV1::new()` + 11 fields via typed setters, freeze, `to_json()`.
    EventCreateFreezeSerialize,
    /// acme `UserV1::new()` + the fields of canonical line 6, freeze, `to_json()`.
    NodeCreateFreezeSerialize,
    /// Decode canonical line 1 (health-checked).
    EventDeserialize,
    /// Decode canonical line 6 (acme user).
    NodeDeserialize,
    /// `send(CheckHealthV1)` to a handler, no hooks.
    PbjxSendCommand,
    /// `send(CheckHealthV1)` with a bind, a validate and an enrich hook.
    PbjxSendCommandHooks,
    /// `publish(HealthCheckedV1)` to one subscriber.
    PbjxPublishEvent,
    /// `request(EchoRequestV1)` -> `EchoResponseV1`.
    PbjxRequestEcho,
    /// In-memory store, `put_events` of 1000 events per call (ops = events).
    EventStorePutEvents,
    /// In-memory store, forward slices of 1000 events (ops = events returned).
    EventStoreGetStreamSlice,
    /// SQLite file, WAL, `synchronous=NORMAL`, batches of 10 events (ops = events).
    SqlitePutEvents,
    /// Same with `synchronous=FULL` (an fsync per commit; ops = events).
    SqlitePutEventsFull,
    /// 16 concurrent writers, 10 events per append, one stream each, `synchronous=FULL`: group
    /// commit shares each fsync (ops = events).
    SqlitePutEventsFullConcurrent,
    /// The disk under the SQLite cases: a 4 KiB write + `fdatasync`, in a loop (ops = flushes).
    /// No durable store commits faster than this: `sqlite_put_events_full_concurrent` can make
    /// at most 16 appends x 10 events durable per flush (the ceiling is printed on stderr).
    DiskFsync,
    /// SQLite file, forward slices of 1000 decoded events (ops = events returned).
    SqliteGetStreamSlice,
    /// Embedded (SQLite) scheduler: `send_at` of a command a day ahead (ops = jobs stored).
    SchedulerSchedule,
    /// Embedded (SQLite) scheduler: one worker sending due jobs through the exchange (ops =
    /// jobs sent and deleted).
    SchedulerDispatch,
    /// HTTP endpoint on loopback: 64 keep-alive connections POST `check-health` commands to
    /// `pbjx::http::serve` (100,000; 2,000 with `--quick`; ops = 202 answers; p50/p99 latency
    /// on stderr).
    HttpSendCommand,
    /// Embedded (tantivy) event search on disk: `index_events` of 1,000 events per call, each
    /// call durable (flushed to the translog) before it returns, default commit interval, one
    /// indexing thread (ops = events).
    SearchIndexEvents,
    /// As `search_index_events`, but the index commits after every call
    /// (`commit_every_docs(1_000)`): a tantivy segment and its fsyncs per 1,000 events, on top
    /// of the translog record (ops = events).
    SearchIndexEventsCommitEach,
    /// Embedded (tantivy) event search over 100,000 indexed events (20,000 with --quick),
    /// force-merged after the load: a mix of word, phrase, field and range queries,
    /// date-desc, 25 hits (ops = queries; also prints the median latency `p50_us`).
    SearchQuery,
    /// Kinesis transport without I/O: envelope JSON + partition key per command, split into
    /// `PutRecords` calls of <= 500 records / 5 MiB (ops = messages).
    KinesisEncodeBatch,
    /// Kinesis transport against the AWS emulator (AWS_ENDPOINT_URL), immediate mode: one
    /// call per message, sequentially, like the original (ops = messages stored).
    KinesisSendPerMessage,
    /// Kinesis transport against the AWS emulator (AWS_ENDPOINT_URL): 2,000 concurrent sends
    /// sharing batched `PutRecords` calls, 5 ms linger (ops = messages stored).
    KinesisSendBatched,
}

impl Case {
    fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }

    fn run(self, b: &Bench) -> Result<Measured, BoxError> {
        use pbjx::event_store::Synchronous::{Full, Normal};
        match self {
            Self::EventCreateFreezeSerialize => cases::event_create(b),
            Self::NodeCreateFreezeSerialize => cases::node_create(b),
            Self::EventDeserialize => cases::deserialize(b, 1, "gdbots:pbjx:event:health-checked"),
            Self::NodeDeserialize => cases::deserialize(b, 6, "acme:iam:node:user"),
            Self::PbjxSendCommand => cases::send_command(b, false),
            Self::PbjxSendCommandHooks => cases::send_command(b, true),
            Self::PbjxPublishEvent => cases::publish_event(b),
            Self::PbjxRequestEcho => cases::request_echo(b),
            Self::EventStorePutEvents => cases::memory_put(b),
            Self::EventStoreGetStreamSlice => cases::memory_slice(b),
            Self::SqlitePutEvents => cases::sqlite_put(b, Normal),
            Self::SqlitePutEventsFull => cases::sqlite_put(b, Full),
            Self::SqlitePutEventsFullConcurrent => cases::sqlite_put_full_concurrent(b),
            Self::DiskFsync => cases::disk_fsync(b),
            Self::SqliteGetStreamSlice => cases::sqlite_slice(b),
            Self::SchedulerSchedule => cases::scheduler_schedule(b),
            Self::SchedulerDispatch => cases::scheduler_dispatch(b),
            Self::HttpSendCommand => http::send_command(b),
            Self::SearchIndexEvents => cases::search::index_events(b, Default::default()),
            Self::SearchIndexEventsCommitEach => cases::search::index_events(
                b,
                pbjx::search::tantivy::TantivyOptions::default().with_commit_every_docs(1_000),
            ),
            Self::SearchQuery => cases::search::query(b),
            Self::KinesisEncodeBatch => kinesis::encode_batch(b),
            Self::KinesisSendPerMessage => kinesis::send(b, false),
            Self::KinesisSendBatched => kinesis::send(b, true),
        }
    }

    /// Whether the case needs the AWS emulator.
    fn needs_emulator(self) -> bool {
        matches!(self, Self::KinesisSendPerMessage | Self::KinesisSendBatched)
    }
}

type BoxError = Box<dyn std::error::Error>;

/// Measured ops and their rate.
#[derive(Default)]
struct Measured {
    ops: u64,
    per_sec: f64,
    /// The median latency of one op in microseconds, for cases that time each op.
    p50_us: Option<f64>,
    /// The process CPU time (all threads) of the timed window in seconds, for cases timed by
    /// [`Bench::measure`]: ops per CPU second do not move when another process takes a
    /// share of the core.
    cpu_seconds: Option<f64>,
}

/// The CPU time this process (all its threads) has used so far.
fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// What every case gets: timing options, the canonical lines and the runtime.
struct Bench {
    warmup: Duration,
    duration: Duration,
    n: Option<u64>,
    /// Events prepared for the event store cases.
    pool: usize,
    canonical: Vec<String>,
    rt: tokio::runtime::Runtime,
}

impl Bench {
    /// Runs `batch(k)` (asked for about k ops, returning how many it did) for the warm-up,
    /// then for the measured time (or until `n` ops are done).
    fn measure(&self, batch: impl FnMut(u64) -> u64) -> Measured {
        self.measure_settled(batch, || {})
    }

    /// Like [`Self::measure`], running `settle` between the warm-up and the clock (work the
    /// warm-up left pending, such as a commit, belongs to neither).
    fn measure_settled(
        &self,
        mut batch: impl FnMut(u64) -> u64,
        mut settle: impl FnMut(),
    ) -> Measured {
        // Warm-up, also calibrating a batch size of roughly 5 ms.
        let mut size = 16u64;
        let start = Instant::now();
        loop {
            let t = Instant::now();
            batch(size);
            if t.elapsed() < Duration::from_millis(5) {
                size = (size * 2).min(1 << 24);
            }
            if start.elapsed() >= self.warmup {
                break;
            }
        }
        settle();
        let (t, cpu) = (Instant::now(), process_cpu());
        let mut ops = 0;
        loop {
            let asked = self.n.map_or(size, |n| size.min(n - ops));
            ops += batch(asked);
            let done = match self.n {
                Some(n) => ops >= n,
                None => t.elapsed() >= self.duration,
            };
            if done {
                break;
            }
        }
        Measured {
            ops,
            per_sec: ops as f64 / t.elapsed().as_secs_f64(),
            p50_us: None,
            cpu_seconds: Some((process_cpu() - cpu).as_secs_f64()),
        }
    }

    /// Canonical line `number` (1-based).
    fn canonical_line(&self, number: usize) -> Result<&str, BoxError> {
        self.canonical
            .get(number - 1)
            .map(String::as_str)
            .ok_or_else(|| format!("canonical line {number} is missing").into())
    }
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), BoxError> {
    if ok { Ok(()) } else { Err(what().into()) }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.list {
        for case in Case::value_variants() {
            println!("{}", case.name());
        }
        return ExitCode::SUCCESS;
    }
    let canonical = match std::fs::read_to_string(&cli.canonical) {
        Ok(text) => text
            .split('\n')
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        Err(e) => {
            eprintln!("pbjx-bench: cannot read {}: {e}", cli.canonical.display());
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pbjx-bench: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (warmup, duration, pool) = if cli.quick {
        (50, 200, 20_000)
    } else {
        (300, 2000, 200_000)
    };
    let bench = Bench {
        warmup: Duration::from_millis(cli.warmup_ms.unwrap_or(warmup)),
        duration: Duration::from_millis(cli.duration_ms.unwrap_or(duration)),
        n: cli.n,
        pool,
        canonical,
        rt,
    };
    if cli.substeps {
        cases::substeps(&bench);
        return ExitCode::SUCCESS;
    }
    let all = cli.cases.is_empty();
    let selected = if all {
        Case::value_variants().to_vec()
    } else {
        cli.cases
    };
    let mut failed = false;
    for case in selected {
        // A smoke run of every case skips the emulator cases, saying so, when no emulator is
        // configured; named explicitly, or in a full run, they fail instead.
        if all
            && cli.quick
            && case.needs_emulator()
            && let Err(why) = kinesis::emulator()
        {
            eprintln!("pbjx-bench: {}: skipped in --quick: {why}", case.name());
            continue;
        }
        match case.run(&bench) {
            Ok(m) => {
                let mut line = format!(
                    "{{\"case\":\"{}\",\"n\":{},\"ops_per_sec\":{:.0}",
                    case.name(),
                    m.ops,
                    m.per_sec
                );
                if let Some(p50) = m.p50_us {
                    line.push_str(&format!(",\"p50_us\":{p50:.1}"));
                }
                if let Some(cpu) = m.cpu_seconds.filter(|&s| s > 0.0) {
                    line.push_str(&format!(",\"ops_per_cpu_sec\":{:.0}", m.ops as f64 / cpu));
                }
                println!("{line}}}");
            }
            Err(e) => {
                eprintln!("pbjx-bench: {}: {e}", case.name());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[path = "../bench_http.rs"]
mod http;
#[path = "../bench_kinesis.rs"]
mod kinesis;

/// One function per case (plus the `--substeps` timings).
mod cases {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use pbj::{Flavor, Message, MessageRef, Microtime, NodeRef};
    use pbjx::event_store::{
        EventStore, ExpectedState, InMemoryEventStore, SliceQuery, SqliteEventStore, SqliteOptions,
        StreamId, Synchronous,
    };
    use pbjx::scheduler::{Scheduler, SqliteScheduler, WorkerOptions};
    use pbjx::schemas::gdbots::contexts::{AppV1, CloudV1};
    use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
    use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
    use pbjx::schemas::gdbots::pbjx::mixin::Command;
    use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
    use pbjx::{Pbjx, Selector, SendAt, Stage};
    use pbjx_tests::schemas::acme::iam::node::UserV1;
    use pbjx_tests::schemas::gdbots::ncr::NodeStatus;

    use super::{Bench, BoxError, Duration, Instant, Measured, black_box, check};

    fn mref(curie: &str, id: &str, tag: Option<&str>) -> MessageRef {
        MessageRef::new(curie, id, tag).expect("valid message ref")
    }

    /// Canonical line 1 through the typed setters; `event_id` and `occurred_at` come from
    /// `new()`.
    fn build_event() -> Result<HealthCheckedV1, pbj::Error> {
        let app = AppV1::new()
            .with_id("b1946ac9-2e2b-4a3c-9f4b-1c2d3e4f5a6b")?
            .with_vendor("acme")?
            .with_name("bench-app")?
            .with_version("1.2.3")?
            .with_build("456")?
            .with_variant("web")?;
        let cloud = CloudV1::new()
            .with_provider("aws")?
            .with_region("us-west-2")?
            .with_zone("us-west-2a")?
            .with_instance_id("i-0123456789abcdef0")?
            .with_instance_type("m5.large")?;
        HealthCheckedV1::new()
            .with_ctx_tenant_id("tenant-1")?
            .with_ctx_causator_ref(mref(
                "gdbots:pbjx:command:check-health",
                "0e8f2d10-8a3b-11ee-8c99-0242ac120001",
                None,
            ))?
            .with_ctx_correlator_ref(mref(
                "acme:iam:request:get-user-request",
                "3f6c4a52-1d2e-4b7a-9c3d-5e6f7a8b9c0d",
                Some("corr"),
            ))?
            .with_ctx_user_ref(mref(
                "acme:iam:node:user",
                "7f0c9d1e-2b3a-4c5d-8e9f-a0b1c2d3e4f5",
                None,
            ))?
            .with_ctx_app(app)?
            .with_ctx_cloud(cloud)?
            .with_ctx_ip("203.0.113.10")?
            .with_ctx_ipv6("2001:db8::10")?
            .with_ctx_ua(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/119.0 Safari/537.36",
            )?
            .with_ctx_msg(
                "health check \u{2014} caf\u{e9} \u{1f600} <b>&amp;</b> \"quoted\" back\\slash",
            )?
            .with_msg("homer")
    }

    /// Canonical line 6 through the typed setters; `_id` and `created_at` come from `new()`.
    fn build_node() -> Result<UserV1, pbj::Error> {
        let mut user = UserV1::new()
            .with_status(NodeStatus::Published)?
            .with_etag("a1b2c3d4e5f60718293a4b5c6d7e8f90")?
            .with_creator_ref(mref(
                "acme:iam:node:user",
                "7f0c9d1e-2b3a-4c5d-8e9f-a0b1c2d3e4f5",
                None,
            ))?
            .with_updated_at(Microtime::new(1_700_000_100, 654_321).expect("valid microtime"))?
            .with_updater_ref(mref("acme:iam:node:app", "cli-scheduler", None))?
            .with_last_event_ref(mref(
                "acme:iam:event:user-patched",
                "0e8f2d10-8a3b-11ee-8c99-0242ac120002",
                None,
            ))?
            .with_title("Homer Simpson")?
            .with_first_name("Homer")?
            .with_last_name("Simpson")?
            .with_email("homer@simpsons.example.com")?
            .with_email_domain("simpsons.example.com")?
            .with_is_blocked(false)?
            .with_is_staff(true)?;
        user.put_in_phone("home", "+15551234567")?
            .put_in_phone("work", "+15557654321")?
            .put_in_networks("twitter", "homer")?
            .put_in_networks("github", "homer.j.simpson")?
            .add_to_roles(NodeRef::parse("acme:role:super-user").expect("valid node ref"))?
            .add_to_roles(NodeRef::parse("acme:role:editor").expect("valid node ref"))?
            .add_to_labels("nuclear")?
            .add_to_labels("springfield-resident")?
            .put_in_tags("fb_user_id", "123")?
            .put_in_tags("salesforce_customer_id", "456")?;
        Ok(user)
    }

    /// Checks that `message` written by the PHP writer is exactly canonical line `number`.
    fn check_php_bytes(b: &Bench, message: &dyn Message, number: usize) -> Result<(), BoxError> {
        let expected = b.canonical_line(number)?;
        let got = message.to_json_with(Flavor::Php);
        check(got == expected, || {
            format!("line {number} differs from the PHP bytes:\n got {got}\nwant {expected}")
        })
    }

    /// Checks one message from `build` against canonical line `number` (`fix` checks the fields
    /// `new()` generated and sets them to the line's values), then times build, freeze and
    /// `to_json()`.
    fn create<M: Message>(
        b: &Bench,
        number: usize,
        build: impl Fn() -> Result<M, pbj::Error>,
        fix: impl FnOnce(&mut M) -> Result<(), BoxError>,
    ) -> Result<Measured, BoxError> {
        let mut probe = build()?;
        fix(&mut probe)?;
        probe.freeze();
        check_php_bytes(b, &probe, number)?;
        Ok(b.measure(|k| {
            for _ in 0..k {
                let mut message = build().expect("valid message");
                message.freeze();
                black_box(message.to_json());
            }
            k
        }))
    }

    pub fn event_create(b: &Bench) -> Result<Measured, BoxError> {
        create(b, 1, build_event, |event| {
            check(event.event_id().is_some_and(|id| id.len() == 36), || {
                "event_id was not generated".into()
            })?;
            check(event.occurred_at().is_some(), || {
                "occurred_at was not generated".into()
            })?;
            event.set_event_id("0e8f2d10-8a3b-11ee-8c99-0242ac120002")?;
            event.set_occurred_at(Microtime::parse("1700000000123456")?)?;
            Ok(())
        })
    }

    pub fn node_create(b: &Bench) -> Result<Measured, BoxError> {
        create(b, 6, build_node, |node| {
            check(node.id().is_some_and(|id| id.len() == 36), || {
                "_id was not generated".into()
            })?;
            check(node.created_at().is_some(), || {
                "created_at was not generated".into()
            })?;
            node.set_id("7f0c9d1e-2b3a-4c5d-8e9f-a0b1c2d3e4f5")?;
            node.set_created_at(Microtime::parse("1700000000123456")?)?;
            Ok(())
        })
    }

    pub fn deserialize(b: &Bench, number: usize, curie: &str) -> Result<Measured, BoxError> {
        let line = b.canonical_line(number)?;
        let registry = pbjx_tests::registry();
        let decoded = pbj::codec::decode(line, registry)?;
        check(decoded.schema().curie == curie, || {
            format!("line {number} decoded as {}", decoded.schema().id)
        })?;
        check_php_bytes(b, decoded.as_ref(), number)?;
        Ok(b.measure(|k| {
            for _ in 0..k {
                black_box(pbj::codec::decode(black_box(line), registry).expect("valid line"));
            }
            k
        }))
    }

    /// Runs `k` exchange ops inside one `block_on` (so the runtime entry is not part of the op).
    fn exchange_batch<F, Fut>(rt: &tokio::runtime::Runtime, op: F) -> impl FnMut(u64) -> u64
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        move |k| {
            rt.block_on(async {
                for _ in 0..k {
                    op().await;
                }
            });
            k
        }
    }

    /// [`Bench::measure`], plus every op run (warm-up included), to check handler counts.
    fn measure_counted(b: &Bench, mut batch: impl FnMut(u64) -> u64) -> (Measured, u64) {
        let mut total = 0;
        let result = b.measure(|k| {
            let done = batch(k);
            total += done;
            done
        });
        (result, total)
    }

    pub fn send_command(b: &Bench, hooks: bool) -> Result<Measured, BoxError> {
        let handled = Arc::new(AtomicU64::new(0));
        let hook_runs = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
        let counter = handled.clone();
        let mut builder = Pbjx::builder().command(move |cmd: Arc<CheckHealthV1>, _pbjx| {
            let counter = counter.clone();
            async move {
                if cmd.msg() == Some("ping") {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            }
        });
        if hooks {
            for (i, (stage, selector)) in [
                (Stage::Bind, Selector::mixin::<Command>()),
                (Stage::Validate, Selector::of::<CheckHealthV1>()),
                (Stage::Enrich, Selector::all()),
            ]
            .into_iter()
            .enumerate()
            {
                let runs = hook_runs.clone();
                builder = builder.hook(stage, selector, move |event| {
                    if event.message().data().has("msg") {
                        runs[i].fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                });
            }
        }
        let pbjx = builder.build()?;
        let ops = |pbjx: Pbjx| {
            move || {
                let pbjx = pbjx.clone();
                async move {
                    let command = CheckHealthV1::new().with_msg("ping").expect("valid msg");
                    pbjx.send(command).await.expect("send");
                }
            }
        };
        // Verify once: the handler and each hook ran exactly once.
        b.rt.block_on(ops(pbjx.clone())());
        check(handled.load(Ordering::Relaxed) == 1, || {
            "the command handler did not run".into()
        })?;
        let hooks_per_op = u64::from(hooks);
        for runs in hook_runs.iter() {
            check(runs.load(Ordering::Relaxed) == hooks_per_op, || {
                "a hook did not run once".into()
            })?;
        }
        let before = handled.load(Ordering::Relaxed);
        let (result, total) = measure_counted(b, exchange_batch(&b.rt, ops(pbjx.clone())));
        check(handled.load(Ordering::Relaxed) - before == total, || {
            "handler count != ops".into()
        })?;
        for runs in hook_runs.iter() {
            check(
                runs.load(Ordering::Relaxed) == hooks_per_op * (total + 1),
                || "hook count != ops".into(),
            )?;
        }
        Ok(result)
    }

    pub fn publish_event(b: &Bench) -> Result<Measured, BoxError> {
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        let pbjx = Pbjx::builder()
            .subscribe(move |event: Arc<HealthCheckedV1>, _pbjx| {
                let counter = counter.clone();
                async move {
                    if event.msg() == Some("homer") {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                }
            })
            .build()?;
        let ops = |pbjx: Pbjx| {
            move || {
                let pbjx = pbjx.clone();
                async move {
                    let event = HealthCheckedV1::new().with_msg("homer").expect("valid msg");
                    pbjx.publish(event).await.expect("publish");
                }
            }
        };
        b.rt.block_on(ops(pbjx.clone())());
        check(received.load(Ordering::Relaxed) == 1, || {
            "the subscriber did not run".into()
        })?;
        let (result, total) = measure_counted(b, exchange_batch(&b.rt, ops(pbjx.clone())));
        check(received.load(Ordering::Relaxed) == total + 1, || {
            "subscriber count != ops".into()
        })?;
        Ok(result)
    }

    pub fn request_echo(b: &Bench) -> Result<Measured, BoxError> {
        let pbjx = Pbjx::builder()
            .request(|request: Arc<EchoRequestV1>, _pbjx| async move {
                Ok(EchoResponseV1::new().with_msg(request.msg().unwrap_or_default())?)
            })
            .build()?;
        let one = |pbjx: Pbjx| async move {
            let request = EchoRequestV1::new().with_msg("ping").expect("valid msg");
            pbjx.request(request).await.expect("request")
        };
        let response = b.rt.block_on(one(pbjx.clone()));
        let echo = response
            .downcast_ref::<EchoResponseV1>()
            .ok_or("the response is not an echo-response")?;
        check(echo.msg() == Some("ping"), || {
            "the response does not echo the request".into()
        })?;
        check(echo.ctx_request_ref().is_some(), || {
            "ctx_request_ref was not attached".into()
        })?;
        Ok(b.measure(exchange_batch(&b.rt, || {
            let pbjx = pbjx.clone();
            async move {
                black_box(one(pbjx).await);
            }
        })))
    }

    /// Events per `put_events` (in-memory) and per slice (both stores).
    const STORE_BATCH: usize = 1000;
    /// Events per `put_events` in the SQLite put cases.
    const SQLITE_PUT_BATCH: usize = 10;

    /// `b.pool` frozen health-checked events (strictly increasing `occurred_at`, fresh ids),
    /// created outside the timed loops.
    fn store_pool(b: &Bench) -> Result<Vec<Arc<dyn Message>>, BoxError> {
        let start = u64::try_from(Microtime::now().as_micros())?;
        (0..b.pool as u64)
            .map(|i| {
                let at = start + i;
                let micros = Microtime::new(at / 1_000_000, u32::try_from(at % 1_000_000)?)
                    .ok_or("bad microtime")?;
                let mut event = HealthCheckedV1::new()
                    .with_msg("homer")?
                    .with_occurred_at(micros)?;
                event.freeze();
                Ok(Arc::new(event) as Arc<dyn Message>)
            })
            .collect()
    }

    /// In-memory `put_events` of up to 1000 events per call into one stream (ops = events);
    /// when the pool is used up the store is cleared (inside the timed loop) and a new
    /// stream starts.
    pub fn memory_put(b: &Bench) -> Result<Measured, BoxError> {
        let pool = store_pool(b)?;
        let store = InMemoryEventStore::new();
        let stream = StreamId::parse("acme:bench:put")?;
        let batch = pool[..STORE_BATCH].to_vec();
        let appended =
            b.rt.block_on(store.put_events(&stream, batch, ExpectedState::NoStream))?;
        check(appended.last_sequence == STORE_BATCH as u64, || {
            "put_events sequences".into()
        })?;
        store.clear();
        let mut cursor = 0;
        let result = b.measure(|k| {
            let mut left = k as usize;
            while left > 0 {
                let n = left.min(STORE_BATCH);
                if cursor + n > pool.len() {
                    store.clear();
                    cursor = 0;
                }
                let batch = pool[cursor..cursor + n].to_vec();
                let expected = ExpectedState::Sequence(cursor as u64);
                b.rt.block_on(store.put_events(&stream, batch, expected))
                    .expect("put_events");
                cursor += n;
                left -= n;
            }
            k
        });
        check(store.len() == cursor, || "stored event count".into())?;
        Ok(result)
    }

    /// Appends the pool to one stream in batches of 1000.
    fn fill<S: EventStore>(
        b: &Bench,
        store: &S,
        stream: &StreamId,
        pool: &[Arc<dyn Message>],
    ) -> Result<(), BoxError> {
        for chunk in pool.chunks(STORE_BATCH) {
            b.rt.block_on(store.put_events(stream, chunk.to_vec(), ExpectedState::Any))?;
        }
        Ok(())
    }

    fn forward(since: Option<Microtime>) -> SliceQuery {
        SliceQuery {
            since,
            count: STORE_BATCH,
            forward: true,
            consistent: false,
        }
    }

    /// Forward slices of 1000 events walking the stream (`since` = the previous slice's last
    /// `occurred_at`, starting over at the end); ops = events returned. Verified first: one
    /// walk returns the whole pool in order, in full slices.
    fn slice_walk<S: EventStore>(
        b: &Bench,
        store: &S,
        stream: &StreamId,
        pool: &[Arc<dyn Message>],
    ) -> Result<Measured, BoxError> {
        let mut since = None;
        let mut seen = 0;
        loop {
            let slice =
                b.rt.block_on(store.get_stream_slice(stream, forward(since)))?;
            for (i, stored) in slice.events.iter().enumerate() {
                let want = pool.get(seen + i).ok_or("more events than appended")?;
                check(stored.event.to_json() == want.to_json(), || {
                    format!("event {} does not round-trip", seen + i)
                })?;
            }
            seen += slice.events.len();
            if !slice.has_more {
                break;
            }
            check(slice.events.len() == STORE_BATCH, || {
                format!("a slice before the end holds {} events", slice.events.len())
            })?;
            since = slice.last_occurred_at();
        }
        check(seen == pool.len(), || {
            format!("a walk returned {seen} of {} events", pool.len())
        })?;
        let mut since = None;
        Ok(b.measure(|k| {
            let mut returned = 0;
            while returned < k {
                let slice =
                    b.rt.block_on(store.get_stream_slice(stream, forward(since)))
                        .expect("get_stream_slice");
                let n = slice.events.len() as u64;
                since = if slice.has_more {
                    slice.last_occurred_at()
                } else {
                    None
                };
                drop(black_box(slice));
                if n == 0 {
                    break;
                }
                returned += n;
            }
            returned
        }))
    }

    /// In-memory `get_stream_slice` over a stream of the whole pool.
    pub fn memory_slice(b: &Bench) -> Result<Measured, BoxError> {
        let pool = store_pool(b)?;
        let store = InMemoryEventStore::new();
        let stream = StreamId::parse("acme:bench:slice")?;
        fill(b, &store, &stream, &pool)?;
        slice_walk(b, &store, &stream, &pool)
    }

    /// A fresh SQLite event store file in the temp dir, removed (with its WAL) on drop.
    struct SqliteBench {
        path: std::path::PathBuf,
        store: SqliteEventStore,
    }

    impl SqliteBench {
        fn open(name: &str, synchronous: Synchronous) -> Result<Self, BoxError> {
            let path =
                std::env::temp_dir().join(format!("pbjx-bench-{name}-{}.db", std::process::id()));
            remove_db(&path);
            let mut registry = pbj::Registry::new();
            pbjx::register(&mut registry);
            let options = SqliteOptions {
                synchronous,
                ..SqliteOptions::default()
            };
            let store = SqliteEventStore::open_with(&path, registry, options)?;
            Ok(Self { path, store })
        }
    }

    impl Drop for SqliteBench {
        fn drop(&mut self) {
            remove_db(&self.path);
        }
    }

    /// A fresh SQLite scheduler file in the temp dir (default options: `synchronous=FULL`),
    /// removed (with its WAL) on drop.
    struct SchedulerBench {
        path: std::path::PathBuf,
        scheduler: SqliteScheduler,
    }

    impl SchedulerBench {
        fn open(name: &str) -> Result<Self, BoxError> {
            let path = std::env::temp_dir().join(format!(
                "pbjx-bench-scheduler-{name}-{}.db",
                std::process::id()
            ));
            remove_db(&path);
            let scheduler = SqliteScheduler::open(&path, pbjx::registry())?;
            Ok(Self { path, scheduler })
        }
    }

    impl Drop for SchedulerBench {
        fn drop(&mut self) {
            remove_db(&self.path);
        }
    }

    /// A frozen check-health command, as `Pbjx::send_at` hands it to the scheduler.
    fn frozen_command() -> Result<Arc<dyn Message>, BoxError> {
        let mut command = CheckHealthV1::new()
            .with_msg("scheduled")?
            .with_ctx_tenant_id("tenant-1")?;
        command.freeze();
        Ok(Arc::new(command))
    }

    /// Schedules `count` jobs with ids `{prefix}-{n}` (n from `first`) at `at`, all at once
    /// (concurrent tasks, so the writer's group commit gathers them).
    async fn schedule_jobs(
        scheduler: &SqliteScheduler,
        command: &Arc<dyn Message>,
        at: SendAt,
        prefix: &str,
        first: u64,
        count: u64,
    ) {
        let mut tasks = tokio::task::JoinSet::new();
        for n in first..first + count {
            let (scheduler, command) = (scheduler.clone(), command.clone());
            let id = format!("{prefix}-{n}");
            tasks.spawn(async move { scheduler.send_at(command, at, Some(id)).await });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("send_at task").expect("send_at");
        }
    }

    /// `SqliteScheduler::send_at` of a frozen check-health command a day ahead (ops = jobs
    /// stored), from as many concurrent tasks as the batch has ops, on a database file with
    /// the default `synchronous=FULL`: the writer commits the jobs queued meanwhile together.
    /// Verified: every job is stored.
    pub fn scheduler_schedule(b: &Bench) -> Result<Measured, BoxError> {
        let bench = SchedulerBench::open("schedule")?;
        let command = frozen_command()?;
        let at = SendAt::from(std::time::SystemTime::now() + Duration::from_secs(86_400));
        let mut total = 0u64;
        let result = b.measure(|k| {
            b.rt.block_on(schedule_jobs(
                &bench.scheduler,
                &command,
                at,
                "job",
                total,
                k,
            ));
            total += k;
            k
        });
        let stored = b.rt.block_on(bench.scheduler.job_count())?;
        check(stored == total, || {
            format!("stored {stored} jobs, scheduled {total}")
        })?;
        Ok(result)
    }

    /// A worker sending due jobs through an exchange to a check-health handler (ops = jobs
    /// sent and deleted): `--n` jobs (default 50,000; 5,000 with `--quick`) are stored due,
    /// then one worker (batches of 256, `synchronous=FULL`) is started and timed until the
    /// handler has seen them all. Verified: every job was sent once and the table is empty.
    pub fn scheduler_dispatch(b: &Bench) -> Result<Measured, BoxError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        let jobs = b.n.unwrap_or(if b.pool < 100_000 { 5_000 } else { 50_000 });
        let bench = SchedulerBench::open("dispatch")?;
        let command = frozen_command()?;
        let sent = Arc::new(AtomicU64::new(0));
        let all_sent = Arc::new(tokio::sync::Notify::new());
        let (counter, done) = (sent.clone(), all_sent.clone());
        let pbjx = Pbjx::builder()
            .scheduler(bench.scheduler.clone())
            .command(move |cmd: Arc<CheckHealthV1>, _pbjx| {
                let (counter, done) = (counter.clone(), done.clone());
                async move {
                    if cmd.msg() == Some("scheduled")
                        && counter.fetch_add(1, Ordering::Relaxed) + 1 == jobs
                    {
                        done.notify_one();
                    }
                    Ok(())
                }
            })
            .build()?;
        let due = SendAt::from(std::time::SystemTime::now() - Duration::from_secs(1));
        rt.block_on(schedule_jobs(
            &bench.scheduler,
            &command,
            due,
            "due",
            0,
            jobs,
        ));
        let (per_sec, left) = rt.block_on(async {
            let t = Instant::now();
            let worker = bench
                .scheduler
                .spawn_worker(pbjx, WorkerOptions::default().with_batch_size(256));
            all_sent.notified().await;
            let per_sec = jobs as f64 / t.elapsed().as_secs_f64();
            worker.shutdown().await;
            (per_sec, bench.scheduler.job_count().await)
        });
        let (sent, left) = (sent.load(Ordering::Relaxed), left?);
        check(sent == jobs && left == 0, || {
            format!("sent {sent} of {jobs} jobs, {left} left in the table")
        })?;
        Ok(Measured {
            ops: jobs,
            per_sec,
            p50_us: None,
            cpu_seconds: None,
        })
    }

    fn remove_db(path: &std::path::Path) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }

    /// SQLite `put_events` of 10 events per call into one stream with
    /// `ExpectedState::Sequence` (ops = events), with the given sync level (`Normal`: no fsync
    /// per commit; `Full`: one per commit). When the pool is used up a new stream starts.
    pub fn sqlite_put(b: &Bench, synchronous: Synchronous) -> Result<Measured, BoxError> {
        let pool = store_pool(b)?;
        let bench = SqliteBench::open("put", synchronous)?;
        let store = &bench.store;
        let mut pass = 0u64;
        let mut stream = StreamId::parse("acme:bench:put-0")?;
        let batch = pool[..SQLITE_PUT_BATCH].to_vec();
        let appended =
            b.rt.block_on(store.put_events(&stream, batch, ExpectedState::NoStream))?;
        check(appended.last_sequence == SQLITE_PUT_BATCH as u64, || {
            "put_events sequences".into()
        })?;
        let mut cursor = SQLITE_PUT_BATCH;
        let mut total = cursor as u64;
        let result = b.measure(|k| {
            let mut left = k as usize;
            while left > 0 {
                let n = left.min(SQLITE_PUT_BATCH);
                if cursor + n > pool.len() {
                    pass += 1;
                    stream = StreamId::parse(&format!("acme:bench:put-{pass}")).expect("stream id");
                    cursor = 0;
                }
                let batch = pool[cursor..cursor + n].to_vec();
                let expected = ExpectedState::Sequence(cursor as u64);
                b.rt.block_on(store.put_events(&stream, batch, expected))
                    .expect("put_events");
                cursor += n;
                total += n as u64;
                left -= n;
            }
            k
        });
        let stored = b.rt.block_on(store.last_position())?;
        check(stored == total, || {
            format!("stored {stored} events, appended {total}")
        })?;
        Ok(result)
    }

    /// SQLite `put_events` from 16 concurrent writers (tasks), each appending 10 frozen events
    /// per call to its own stream with `ExpectedState::Sequence` (ops = events), with
    /// `synchronous=FULL`: the store's group commit lets concurrent appends share a transaction
    /// and its fsync. Writers run in rounds of 20 appends each; a writer that used up the pool
    /// starts a new stream. Verified afterwards: every appended event is stored, and appends
    /// shared commits (appends per commit printed on stderr).
    /// Writers of `sqlite_put_events_full_concurrent`.
    const CONCURRENT_WRITERS: usize = 16;

    pub fn disk_fsync(b: &Bench) -> Result<Measured, BoxError> {
        use std::os::unix::fs::FileExt;
        let path = std::env::temp_dir().join(format!("pbjx-bench-fsync-{}", std::process::id()));
        let file = std::fs::File::create(&path)?;
        let page = [7u8; 4096];
        let mut error = None;
        // Appends like a WAL: each flush writes the next page of a 1 MiB file.
        let mut page_no = 0u64;
        let m = b.measure(|k| {
            for done in 0..k {
                page_no = (page_no + 1) % 256;
                if let Err(e) = file
                    .write_all_at(&page, page_no * 4096)
                    .and_then(|()| file.sync_data())
                {
                    error = Some(e);
                    return done;
                }
            }
            k
        });
        drop(file);
        let _ = std::fs::remove_file(&path);
        if let Some(e) = error {
            return Err(e.into());
        }
        eprintln!(
            "disk_fsync: {:.0} flushes/s: sqlite_put_events_full_concurrent can reach at most \
             {:.0} events/s here ({CONCURRENT_WRITERS} appends x {SQLITE_PUT_BATCH} events per flush)",
            m.per_sec,
            m.per_sec * (CONCURRENT_WRITERS * SQLITE_PUT_BATCH) as f64
        );
        Ok(m)
    }

    pub fn sqlite_put_full_concurrent(b: &Bench) -> Result<Measured, BoxError> {
        const WRITERS: usize = CONCURRENT_WRITERS;
        const APPENDS_PER_ROUND: usize = 20;
        let pool: Arc<Vec<Arc<dyn Message>>> = Arc::new(store_pool(b)?);
        let bench = SqliteBench::open("put-concurrent", Synchronous::Full)?;
        // Per writer: its stream's generation and the stream's head (its cursor in the pool).
        let mut writers: Vec<(u64, usize)> = vec![(0, 0); WRITERS];
        let mut round = || -> u64 {
            b.rt.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for (w, &(generation, cursor)) in writers.iter().enumerate() {
                    let (store, pool) = (bench.store.clone(), pool.clone());
                    set.spawn(async move {
                        let (mut generation, mut cursor) = (generation, cursor);
                        for _ in 0..APPENDS_PER_ROUND {
                            if cursor + SQLITE_PUT_BATCH > pool.len() {
                                generation += 1;
                                cursor = 0;
                            }
                            let stream = format!("acme:bench:concurrent-{w}-{generation}");
                            let stream = StreamId::parse(&stream).expect("stream id");
                            let batch = pool[cursor..cursor + SQLITE_PUT_BATCH].to_vec();
                            let expected = ExpectedState::Sequence(cursor as u64);
                            store
                                .put_events(&stream, batch, expected)
                                .await
                                .expect("put_events");
                            cursor += SQLITE_PUT_BATCH;
                        }
                        (w, generation, cursor)
                    });
                }
                while let Some(done) = set.join_next().await {
                    let (w, generation, cursor) = done.expect("writer task");
                    writers[w] = (generation, cursor);
                }
            });
            (WRITERS * APPENDS_PER_ROUND * SQLITE_PUT_BATCH) as u64
        };
        let mut total = 0;
        let warmup = Instant::now();
        while warmup.elapsed() < b.warmup {
            total += round();
        }
        let t = Instant::now();
        let mut ops = 0;
        while b.n.map_or(t.elapsed() < b.duration, |n| ops < n) {
            ops += round();
        }
        let per_sec = ops as f64 / t.elapsed().as_secs_f64();
        total += ops;
        let stored = b.rt.block_on(bench.store.last_position())?;
        check(stored == total, || {
            format!("stored {stored} events, appended {total}")
        })?;
        let stats = bench.store.writer_stats();
        check(stats.commits < stats.appends, || {
            format!("no append shared a commit: {stats:?}")
        })?;
        eprintln!(
            "sqlite_put_events_full_concurrent: {} appends in {} commits ({:.1} per fsync)",
            stats.appends,
            stats.commits,
            stats.appends as f64 / stats.commits as f64
        );
        Ok(Measured {
            ops,
            per_sec,
            p50_us: None,
            cpu_seconds: None,
        })
    }

    /// SQLite `get_stream_slice` over a stream of the whole pool in a database file, events
    /// decoded into frozen messages.
    pub fn sqlite_slice(b: &Bench) -> Result<Measured, BoxError> {
        let pool = store_pool(b)?;
        let bench = SqliteBench::open("slice", Synchronous::Normal)?;
        let stream = StreamId::parse("acme:bench:slice")?;
        fill(b, &bench.store, &stream, &pool)?;
        slice_walk(b, &bench.store, &stream, &pool)
    }

    /// Times the pieces of an exchange op (prints the same JSON lines, case `substep:...`).
    pub fn substeps(b: &Bench) {
        use pbj::well_known::identifier::{generate_time_uuid, generate_uuid};
        fn report(name: &str, m: Measured) {
            println!(
                "{{\"case\":\"substep:{name}\",\"n\":{},\"ops_per_sec\":{:.0},\"ns_per_op\":{:.1}}}",
                m.ops,
                m.per_sec,
                1e9 / m.per_sec
            );
        }
        /// Times `f` once per op.
        fn each(b: &Bench, mut f: impl FnMut()) -> Measured {
            b.measure(|k| {
                (0..k).for_each(|_| f());
                k
            })
        }
        report(
            "generate_time_uuid",
            each(b, || drop(black_box(generate_time_uuid()))),
        );
        report(
            "generate_uuid_v4",
            each(b, || drop(black_box(generate_uuid()))),
        );
        report(
            "microtime_now",
            each(b, || {
                black_box(Microtime::now());
            }),
        );
        report(
            "check_health_new",
            each(b, || drop(black_box(CheckHealthV1::new()))),
        );
        report(
            "check_health_empty",
            each(b, || drop(black_box(CheckHealthV1::empty()))),
        );
        report(
            "health_checked_new",
            each(b, || drop(black_box(HealthCheckedV1::new()))),
        );
        report(
            "echo_request_new",
            each(b, || drop(black_box(EchoRequestV1::new()))),
        );
        let command = CheckHealthV1::new().with_msg("ping").expect("valid msg");
        report(
            "check_health_with_msg_validate",
            each(b, || drop(black_box(command.validate()))),
        );
        report(
            "check_health_clone_validate_freeze",
            each(b, || {
                let mut c = command.clone();
                black_box(c.validate()).expect("valid");
                c.freeze();
                drop(black_box(c));
            }),
        );
        report(
            "check_health_clone",
            each(b, || drop(black_box(command.clone()))),
        );
        report(
            "generate_message_ref",
            each(b, || drop(black_box(command.generate_message_ref(None)))),
        );
        report(
            "message_ref_new",
            each(b, || {
                drop(black_box(MessageRef::new(
                    black_box("gdbots:pbjx:command:check-health"),
                    "0e8f2d10-8a3b-11ee-8c99-0242ac120001",
                    None,
                )))
            }),
        );
        report(
            "clone_message_boxed",
            each(b, || drop(black_box(command.clone_message()))),
        );
    }

    /// The event search cases (tantivy, on disk).
    pub mod search {
        use std::sync::Arc;
        use std::time::Instant;

        use crate::process_cpu;

        use pbj::Message;
        use pbjx::schemas::gdbots::pbjx::request::{SearchEventsRequestV1, SearchEventsResponseV1};
        use pbjx::search::tantivy::{TantivyEventSearch, TantivyOptions};
        use pbjx::search::{EventSearch, SearchContext, query::parse};

        use super::super::{Bench, BoxError, Measured, check};

        const WORDS: [&str; 16] = [
            "disk", "quota", "network", "timeout", "kinesis", "stream", "throttle", "table",
            "lambda", "crash", "retry", "queue", "cache", "stale", "shard", "token",
        ];
        const NAMES: [&str; 4] = ["Timeout", "DiskFull", "Throttled", "Denied"];

        /// A temp folder for an index, removed on drop.
        struct Dir(std::path::PathBuf);

        impl Dir {
            fn new(name: &str) -> Self {
                let path = std::env::temp_dir()
                    .join(format!("pbjx-bench-search-{name}-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&path);
                Self(path)
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }

        /// `n` frozen `event-execution-failed` events with messages of 3 to 6 words.
        fn events(n: usize) -> Result<Vec<Arc<dyn Message>>, BoxError> {
            let mut seed: u64 = 42;
            let mut next = move || {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (seed >> 33) as usize
            };
            let start = 1_710_028_800u64;
            (0..n)
                .map(|i| {
                    let mut e = pbjx::schemas::gdbots::pbjx::event::EventExecutionFailedV1::new();
                    let words: Vec<&str> =
                        (0..3 + next() % 4).map(|_| WORDS[next() % 16]).collect();
                    let data = e.data_mut();
                    data.set("error_message", words.join(" "))?;
                    data.set("error_name", NAMES[next() % 4])?;
                    data.set("error_code", (i % 17) as i64)?;
                    let at = pbj::Microtime::new(start + i as u64 * 60, 0).ok_or("microtime")?;
                    data.set("occurred_at", pbj::Value::Microtime(at))?;
                    e.freeze();
                    Ok(Arc::new(e) as Arc<dyn Message>)
                })
                .collect()
        }

        /// Indexes every event in calls of 1,000.
        fn load(
            b: &Bench,
            search: &TantivyEventSearch,
            events: &[Arc<dyn Message>],
        ) -> Result<(), BoxError> {
            let ctx = SearchContext::default();
            for chunk in events.chunks(1_000) {
                b.rt.block_on(search.index_events(chunk, &ctx))?;
            }
            Ok(())
        }

        pub fn index_events(b: &Bench, options: TantivyOptions) -> Result<Measured, BoxError> {
            let dir = Dir::new("index");
            let search = TantivyEventSearch::open_with(&dir.0, pbjx::registry(), options)?;
            let pool = events(b.pool)?;
            let ctx = SearchContext::default();
            let mut at = 0usize;
            let mut indexed = 0usize;
            let mut error = None;
            let mut settled = Ok(());
            // The warm-up's pending commit is done before the clock starts; the one of what
            // the timed loop leaves pending counts (below).
            let settle = || settled = b.rt.block_on(search.refresh());
            let m = b.measure_settled(
                |k| {
                    let calls = k.div_ceil(1_000).max(1);
                    let mut done = 0;
                    for _ in 0..calls {
                        if at + 1_000 > pool.len() {
                            at = 0;
                        }
                        if let Err(e) =
                            b.rt.block_on(search.index_events(&pool[at..at + 1_000], &ctx))
                        {
                            error = Some(e);
                            return 0;
                        }
                        at += 1_000;
                        indexed += 1_000;
                        done += 1_000;
                    }
                    done
                },
                settle,
            );
            if let Some(e) = error {
                return Err(e.into());
            }
            settled?;
            // The commit of what is still pending counts as part of the run (a longer commit
            // interval must not look faster by leaving its work after the clock stops).
            let (committing, cpu) = (Instant::now(), process_cpu());
            b.rt.block_on(search.refresh())?;
            let seconds = m.ops as f64 / m.per_sec + committing.elapsed().as_secs_f64();
            let m = Measured {
                per_sec: m.ops as f64 / seconds,
                cpu_seconds: m
                    .cpu_seconds
                    .map(|s| s + (process_cpu() - cpu).as_secs_f64()),
                ..m
            };
            // Re-indexed events replace their documents: the index holds each event once.
            let unique = indexed.min(pool.len()) as u64;
            check(search.num_docs() == unique, || {
                format!("{} documents, {unique} events indexed", search.num_docs())
            })?;
            Ok(m)
        }

        pub fn query(b: &Bench) -> Result<Measured, BoxError> {
            let n = if b.pool < 100_000 { 20_000 } else { 100_000 };
            let dir = Dir::new("query");
            let search = TantivyEventSearch::open(&dir.0, pbjx::registry())?;
            load(b, &search, &events(n)?)?;
            // As after any bulk load: one segment instead of one per call.
            b.rt.block_on(search.force_merge())?;
            check(search.num_segments() == 1, || {
                format!("{} segments after force_merge", search.num_segments())
            })?;
            let queries = [
                "disk",
                "kinesis stream",
                "\"quota network\"",
                "error_name:timeout",
                "error_code:[3..5]",
                "+cache -stale",
                "+error_name:DiskFull +shard",
                "error_code:>10 retry",
            ];
            let mut requests = Vec::new();
            for q in queries {
                let mut request = SearchEventsRequestV1::new();
                request.data_mut().set("q", q)?;
                request.data_mut().set("sort", "date-desc")?;
                requests.push((request, parse(q).map_err(|e| e.to_string())?));
            }
            let ctx = SearchContext::default();
            // Verified once: every query finds events.
            for (request, parsed) in &requests {
                let mut response = SearchEventsResponseV1::new();
                b.rt.block_on(search.search_events(request, parsed, &[], &mut response, &ctx))?;
                let total = response
                    .data()
                    .get_single("total")
                    .and_then(pbj::Value::as_i64);
                check(total.is_some_and(|t| t > 0), || {
                    format!("query [{:?}] found nothing", request.data().get_single("q"))
                })?;
            }
            let mut latencies: Vec<f64> = Vec::new();
            let mut i = 0usize;
            let mut error = None;
            let mut m = b.measure(|k| {
                for _ in 0..k {
                    let (request, parsed) = &requests[i % requests.len()];
                    i += 1;
                    let mut response = SearchEventsResponseV1::new();
                    let t = Instant::now();
                    if let Err(e) = b.rt.block_on(search.search_events(
                        request,
                        parsed,
                        &[],
                        &mut response,
                        &ctx,
                    )) {
                        error = Some(e);
                        return 0;
                    }
                    latencies.push(t.elapsed().as_secs_f64() * 1e6);
                }
                k
            });
            if let Some(e) = error {
                return Err(e.into());
            }
            latencies.sort_by(f64::total_cmp);
            m.p50_us = latencies.get(latencies.len() / 2).copied();
            Ok(m)
        }
    }
}
