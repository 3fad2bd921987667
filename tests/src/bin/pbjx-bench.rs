//! `pbjx-bench`: single-core throughput of message creation, the JSON codec and the exchange,
//! shaped like the reference PHP benchmark.
//!
//! Prints one JSON line per case: `{"case":"...","n":N,"ops_per_sec":X}`.
//!
//! ```text
//! pbjx-bench [--quick] [--duration-ms MS] [--warmup-ms MS] [--n N] [--canonical PATH]
//!            [--list] [CASE ...]
//! ```
//!
//! - `--quick`: 50 ms warm-up and 200 ms per case (CI smoke runs);
//! - `--duration-ms` / `--warmup-ms`: measured and warm-up time per case (default 2000 / 300);
//! - `--n N`: run exactly N measured ops instead of a fixed time;
//! - `CASE ...`: only these cases (default: all, in the order of `--list`);
//! - `--substeps`: instead of the cases, time the pieces of an exchange op (message `new()`,
//!   id generation, `Microtime::now`, validate + freeze, message refs, clones) for profiling.
//!
//! Everything runs on one core: a current-thread tokio runtime, no parallelism. Each case is
//! verified once outside the timed loop (the encoded message equals the canonical line
//! re-encoded in the JS flavour, apart from the generated fields; handlers and hooks ran exactly
//! once per op).

use std::hint::black_box;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pbj::{Message, MessageRef, Microtime, NodeRef};
use pbjx::event_store::{
    EventStore, ExpectedState, InMemoryEventStore, SliceQuery, SqliteEventStore, SqliteOptions,
    StreamId, Synchronous,
};
use pbjx::schemas::gdbots::contexts::{AppV1, CloudV1};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::{Pbjx, Selector, Stage};
use pbjx_tests::schemas::acme::iam::node::UserV1;
use pbjx_tests::schemas::gdbots::ncr::NodeStatus;

const CASES: [&str; 14] = [
    "event_create_freeze_serialize",
    "node_create_freeze_serialize",
    "event_deserialize",
    "node_deserialize",
    "pbjx_send_command",
    "pbjx_send_command_hooks",
    "pbjx_publish_event",
    "pbjx_request_echo",
    "event_store_put_events",
    "event_store_get_stream_slice",
    "sqlite_put_events",
    "sqlite_put_events_full",
    "sqlite_put_events_full_concurrent",
    "sqlite_get_stream_slice",
];

/// `../shared/interop/php/canonical.jsonl` next to the repository.
const DEFAULT_CANONICAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/interop/php/canonical.jsonl"
);

type BoxError = Box<dyn std::error::Error>;

struct Options {
    warmup: Duration,
    duration: Duration,
    n: Option<u64>,
    canonical: String,
    cases: Vec<String>,
    substeps: bool,
}

fn parse_args() -> Result<Option<Options>, BoxError> {
    let mut o = Options {
        warmup: Duration::from_millis(300),
        duration: Duration::from_millis(2000),
        n: None,
        canonical: std::env::var("PBJX_BENCH_CANONICAL")
            .unwrap_or_else(|_| DEFAULT_CANONICAL.to_owned()),
        cases: Vec::new(),
        substeps: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--quick" => {
                o.warmup = Duration::from_millis(50);
                o.duration = Duration::from_millis(200);
            }
            "--duration-ms" => o.duration = Duration::from_millis(value("--duration-ms")?.parse()?),
            "--warmup-ms" => o.warmup = Duration::from_millis(value("--warmup-ms")?.parse()?),
            "--n" => o.n = Some(value("--n")?.parse()?),
            "--substeps" => o.substeps = true,
            "--canonical" => o.canonical = value("--canonical")?,
            "--list" => {
                for case in CASES {
                    println!("{case}");
                }
                return Ok(None);
            }
            "-h" | "--help" => {
                println!(
                    "usage: pbjx-bench [--quick] [--duration-ms MS] [--warmup-ms MS] [--n N] [--canonical PATH] [--list] [--substeps] [CASE ...]"
                );
                return Ok(None);
            }
            name if CASES.contains(&name) => o.cases.push(name.to_owned()),
            other => return Err(format!("unknown argument or case [{other}] (see --list)").into()),
        }
    }
    if o.cases.is_empty() {
        o.cases = CASES.iter().map(|c| (*c).to_owned()).collect();
    }
    Ok(Some(o))
}

/// Runs `batch(k)` (k ops per call) for the warm-up, then for the measured time (or exactly
/// `n` ops); returns (ops, ops per second).
fn measure(o: &Options, mut batch: impl FnMut(u64)) -> (u64, f64) {
    // Warm-up, also calibrating a batch size of roughly 5 ms.
    let mut size = 16u64;
    let start = Instant::now();
    loop {
        let t = Instant::now();
        batch(size);
        let took = t.elapsed();
        if took < Duration::from_millis(5) {
            size = (size * 2).min(1 << 24);
        }
        if start.elapsed() >= o.warmup {
            break;
        }
    }
    if let Some(n) = o.n {
        let t = Instant::now();
        let mut done = 0;
        while done < n {
            let k = size.min(n - done);
            batch(k);
            done += k;
        }
        return (n, n as f64 / t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    let mut done = 0;
    loop {
        batch(size);
        done += size;
        if t.elapsed() >= o.duration {
            break;
        }
    }
    (done, done as f64 / t.elapsed().as_secs_f64())
}

fn canonical_line(lines: &[String], number: usize) -> Result<&str, BoxError> {
    lines
        .get(number - 1)
        .map(String::as_str)
        .ok_or_else(|| format!("canonical line {number} is missing").into())
}

fn mref(curie: &str, id: &str, tag: Option<&str>) -> MessageRef {
    MessageRef::new(curie, id, tag).expect("valid message ref")
}

/// Canonical line 1 through the typed setters; `event_id` and `occurred_at` come from `new()`.
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
        .with_ctx_causator_ref(mref("gdbots:pbjx:command:check-health", "0e8f2d10-8a3b-11ee-8c99-0242ac120001", None))?
        .with_ctx_correlator_ref(mref(
            "acme:iam:request:get-user-request",
            "3f6c4a52-1d2e-4b7a-9c3d-5e6f7a8b9c0d",
            Some("corr"),
        ))?
        .with_ctx_user_ref(mref("acme:iam:node:user", "7f0c9d1e-2b3a-4c5d-8e9f-a0b1c2d3e4f5", None))?
        .with_ctx_app(app)?
        .with_ctx_cloud(cloud)?
        .with_ctx_ip("203.0.113.10")?
        .with_ctx_ipv6("2001:db8::10")?
        .with_ctx_ua(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36",
        )?
        .with_ctx_msg("health check \u{2014} caf\u{e9} \u{1f600} <b>&amp;</b> \"quoted\" back\\slash")?
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

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), BoxError> {
    if ok { Ok(()) } else { Err(what().into()) }
}

/// The canonical line re-encoded in the JS flavour.
fn js_form(line: &str) -> Result<String, BoxError> {
    Ok(pbj::codec::decode(line, pbjx_tests::registry())?.to_json())
}

fn event_create(o: &Options, lines: &[String]) -> Result<(u64, f64), BoxError> {
    let expected = js_form(canonical_line(lines, 1)?)?;
    let mut probe = build_event()?;
    check(probe.event_id().is_some_and(|id| id.len() == 36), || {
        "event_id was not generated".into()
    })?;
    check(probe.occurred_at().is_some(), || {
        "occurred_at was not generated".into()
    })?;
    probe.set_event_id("0e8f2d10-8a3b-11ee-8c99-0242ac120002")?;
    probe.set_occurred_at(Microtime::parse("1700000000123456")?)?;
    probe.freeze();
    let got = probe.to_json();
    check(got == expected, || {
        format!("event JSON differs:\n got {got}\nwant {expected}")
    })?;
    Ok(measure(o, |k| {
        for _ in 0..k {
            let mut event = build_event().expect("valid event");
            event.freeze();
            black_box(event.to_json());
        }
    }))
}

fn node_create(o: &Options, lines: &[String]) -> Result<(u64, f64), BoxError> {
    let expected = js_form(canonical_line(lines, 6)?)?;
    let mut probe = build_node()?;
    check(probe.id().is_some_and(|id| id.len() == 36), || {
        "_id was not generated".into()
    })?;
    check(probe.created_at().is_some(), || {
        "created_at was not generated".into()
    })?;
    probe.set_id("7f0c9d1e-2b3a-4c5d-8e9f-a0b1c2d3e4f5")?;
    probe.set_created_at(Microtime::parse("1700000000123456")?)?;
    probe.freeze();
    let got = probe.to_json();
    check(got == expected, || {
        format!("node JSON differs:\n got {got}\nwant {expected}")
    })?;
    Ok(measure(o, |k| {
        for _ in 0..k {
            let mut node = build_node().expect("valid node");
            node.freeze();
            black_box(node.to_json());
        }
    }))
}

fn deserialize(
    o: &Options,
    lines: &[String],
    number: usize,
    curie: &str,
) -> Result<(u64, f64), BoxError> {
    let line = canonical_line(lines, number)?;
    let registry = pbjx_tests::registry();
    let decoded = pbj::codec::decode(line, registry)?;
    check(decoded.schema().curie == curie, || {
        format!("line {number} decoded as {}", decoded.schema().id)
    })?;
    check(decoded.to_json() == js_form(line)?, || {
        "decode is not stable".into()
    })?;
    Ok(measure(o, |k| {
        for _ in 0..k {
            black_box(pbj::codec::decode(black_box(line), registry).expect("valid line"));
        }
    }))
}

/// Runs `k` exchange ops inside one `block_on` (so the runtime entry is not part of the op).
fn exchange_batch<F, Fut>(rt: &tokio::runtime::Runtime, op: F) -> impl FnMut(u64)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    move |k| {
        rt.block_on(async {
            for _ in 0..k {
                op().await;
            }
        })
    }
}

fn send_command(
    o: &Options,
    rt: &tokio::runtime::Runtime,
    hooks: bool,
) -> Result<(u64, f64), BoxError> {
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
            (
                Stage::Bind,
                Selector::mixin_curie("gdbots:pbjx:mixin:command"),
            ),
            (
                Stage::Validate,
                Selector::curie("gdbots:pbjx:command:check-health"),
            ),
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
    rt.block_on(ops(pbjx.clone())());
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
    let mut total = 0;
    let result = measure(o, {
        let mut run = exchange_batch(rt, ops(pbjx.clone()));
        let total = &mut total;
        move |k| {
            *total += k;
            run(k)
        }
    });
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

fn publish_event(o: &Options, rt: &tokio::runtime::Runtime) -> Result<(u64, f64), BoxError> {
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
    rt.block_on(ops(pbjx.clone())());
    check(received.load(Ordering::Relaxed) == 1, || {
        "the subscriber did not run".into()
    })?;
    let mut total = 0;
    let result = measure(o, {
        let mut run = exchange_batch(rt, ops(pbjx.clone()));
        let total = &mut total;
        move |k| {
            *total += k;
            run(k)
        }
    });
    check(received.load(Ordering::Relaxed) == total + 1, || {
        "subscriber count != ops".into()
    })?;
    Ok(result)
}

fn request_echo(o: &Options, rt: &tokio::runtime::Runtime) -> Result<(u64, f64), BoxError> {
    let pbjx = Pbjx::builder()
        .request(|request: Arc<EchoRequestV1>, _pbjx| async move {
            Ok(EchoResponseV1::new().with_msg(request.msg().unwrap_or_default())?)
        })
        .build()?;
    let one = |pbjx: Pbjx| async move {
        let request = EchoRequestV1::new().with_msg("ping").expect("valid msg");
        pbjx.request(request).await.expect("request")
    };
    let response = rt.block_on(one(pbjx.clone()));
    let echo = response
        .downcast_ref::<EchoResponseV1>()
        .ok_or("the response is not an echo-response")?;
    check(echo.msg() == Some("ping"), || {
        "the response does not echo the request".into()
    })?;
    check(echo.ctx_request_ref().is_some(), || {
        "ctx_request_ref was not attached".into()
    })?;
    Ok(measure(
        o,
        exchange_batch(rt, || {
            let pbjx = pbjx.clone();
            async move {
                black_box(one(pbjx).await);
            }
        }),
    ))
}

/// Times the pieces of an exchange op (prints the same JSON lines, case `substep:...`).
fn substeps(o: &Options) {
    fn report(name: &str, (n, ops): (u64, f64)) {
        println!(
            "{{\"case\":\"substep:{name}\",\"n\":{n},\"ops_per_sec\":{ops:.0},\"ns_per_op\":{:.1}}}",
            1e9 / ops
        );
    }
    use pbj::well_known::identifier::{generate_time_uuid, generate_uuid};
    report(
        "generate_time_uuid",
        measure(o, |k| {
            (0..k).for_each(|_| drop(black_box(generate_time_uuid())))
        }),
    );
    report(
        "generate_uuid_v4",
        measure(o, |k| (0..k).for_each(|_| drop(black_box(generate_uuid())))),
    );
    report(
        "microtime_now",
        measure(o, |k| {
            (0..k).for_each(|_| {
                black_box(Microtime::now());
            })
        }),
    );
    report(
        "check_health_new",
        measure(o, |k| {
            (0..k).for_each(|_| drop(black_box(CheckHealthV1::new())))
        }),
    );
    report(
        "check_health_empty",
        measure(o, |k| {
            (0..k).for_each(|_| drop(black_box(CheckHealthV1::empty())))
        }),
    );
    report(
        "health_checked_new",
        measure(o, |k| {
            (0..k).for_each(|_| drop(black_box(HealthCheckedV1::new())))
        }),
    );
    report(
        "echo_request_new",
        measure(o, |k| {
            (0..k).for_each(|_| drop(black_box(EchoRequestV1::new())))
        }),
    );
    let command = CheckHealthV1::new().with_msg("ping").expect("valid msg");
    report(
        "check_health_with_msg_validate",
        measure(o, |k| {
            (0..k).for_each(|_| drop(black_box(command.validate())))
        }),
    );
    report(
        "check_health_clone_validate_freeze",
        measure(o, |k| {
            (0..k).for_each(|_| {
                let mut c = command.clone();
                black_box(c.validate()).expect("valid");
                c.freeze();
                drop(black_box(c));
            })
        }),
    );
    report(
        "check_health_clone",
        measure(o, |k| (0..k).for_each(|_| drop(black_box(command.clone())))),
    );
    report(
        "generate_message_ref",
        measure(o, |k| {
            (0..k).for_each(|_| drop(black_box(command.generate_message_ref(None))))
        }),
    );
    report(
        "message_ref_new",
        measure(o, |k| {
            (0..k).for_each(|_| {
                drop(black_box(MessageRef::new(
                    black_box("gdbots:pbjx:command:check-health"),
                    "0e8f2d10-8a3b-11ee-8c99-0242ac120001",
                    None,
                )))
            })
        }),
    );
    report(
        "clone_message_boxed",
        measure(o, |k| {
            (0..k).for_each(|_| drop(black_box(command.clone_message())))
        }),
    );
}

/// Events per `put_events` / per slice in the event store cases.
const STORE_BATCH: usize = 1000;
/// Frozen health-checked events prepared for the event store cases (strictly increasing
/// `occurred_at`, fresh ids).
const STORE_POOL: usize = 200_000;

fn store_pool() -> Result<Vec<Arc<dyn Message>>, BoxError> {
    let start = u64::try_from(Microtime::now().as_micros())?;
    (0..STORE_POOL as u64)
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

/// `InMemoryEventStore::put_events` of up to 1000 frozen events per call into one stream
/// (ops = events). The events are created once, outside the timed loop (the store's cost
/// only); when the pool of 200,000 is used up the store is cleared (inside the timed loop)
/// and a new stream starts.
fn event_store_put(o: &Options, rt: &tokio::runtime::Runtime) -> Result<(u64, f64), BoxError> {
    let pool = store_pool()?;
    let store = InMemoryEventStore::new();
    let stream = StreamId::parse("acme:bench:put")?;
    let appended = rt.block_on(store.put_events(
        &stream,
        pool[..STORE_BATCH].to_vec(),
        ExpectedState::NoStream,
    ))?;
    check(appended.last_sequence == STORE_BATCH as u64, || {
        "put_events sequences".into()
    })?;
    store.clear();
    let mut cursor = 0;
    let result = measure(o, |k| {
        let mut left = k as usize;
        while left > 0 {
            let n = left.min(STORE_BATCH);
            if cursor + n > pool.len() {
                store.clear();
                cursor = 0;
            }
            let batch = pool[cursor..cursor + n].to_vec();
            let expected = ExpectedState::Sequence(cursor as u64);
            rt.block_on(store.put_events(&stream, batch, expected))
                .expect("put_events");
            cursor += n;
            left -= n;
        }
    });
    check(store.len() == cursor, || "stored event count".into())?;
    Ok(result)
}

/// `InMemoryEventStore::get_stream_slice` of 1000 events (forward, walking the stream with
/// `since` = the previous slice's last `occurred_at`) over a stream of 200,000 events
/// (ops = events returned).
fn event_store_slice(o: &Options, rt: &tokio::runtime::Runtime) -> Result<(u64, f64), BoxError> {
    let pool = store_pool()?;
    let store = InMemoryEventStore::new();
    let stream = StreamId::parse("acme:bench:slice")?;
    for chunk in pool.chunks(STORE_BATCH) {
        rt.block_on(store.put_events(&stream, chunk.to_vec(), ExpectedState::Any))?;
    }
    let query = |since| SliceQuery {
        since,
        count: STORE_BATCH,
        forward: true,
        consistent: false,
    };
    let first = rt.block_on(store.get_stream_slice(&stream, query(None)))?;
    check(first.events.len() == STORE_BATCH && first.has_more, || {
        "first slice".into()
    })?;
    let mut since = None;
    let mut returned = 0u64;
    let result = measure(o, |k| {
        let mut left = k;
        while left > 0 {
            let slice = rt
                .block_on(store.get_stream_slice(&stream, query(since)))
                .expect("get_stream_slice");
            let n = slice.events.len() as u64;
            since = if slice.has_more {
                slice.last_occurred_at()
            } else {
                None
            };
            returned += n;
            left = left.saturating_sub(n.max(1));
            drop(black_box(slice));
        }
    });
    check(returned >= result.0, || {
        "slices returned fewer events".into()
    })?;
    Ok(result)
}

/// Events per `put_events` in the SQLite put cases.
const SQLITE_PUT_BATCH: usize = 10;

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

fn remove_db(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

/// `SqliteEventStore::put_events` of 10 frozen health-checked events per call into one stream
/// with `ExpectedState::Sequence` (ops = events), on a database file in the temp dir with the
/// given sync level (`Normal`: no fsync per commit; `Full`: one fsync per commit). Events
/// come from a pool built outside the timed loop; when it is used up a new stream starts.
fn sqlite_put(
    o: &Options,
    rt: &tokio::runtime::Runtime,
    synchronous: Synchronous,
) -> Result<(u64, f64), BoxError> {
    let pool = store_pool()?;
    let bench = SqliteBench::open("put", synchronous)?;
    let store = &bench.store;
    let mut pass = 0u64;
    let mut stream = StreamId::parse("acme:bench:put-0")?;
    let appended = rt.block_on(store.put_events(
        &stream,
        pool[..SQLITE_PUT_BATCH].to_vec(),
        ExpectedState::NoStream,
    ))?;
    check(appended.last_sequence == SQLITE_PUT_BATCH as u64, || {
        "put_events sequences".into()
    })?;
    let mut cursor = SQLITE_PUT_BATCH;
    let mut total = cursor as u64;
    let result = measure(o, |k| {
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
            rt.block_on(store.put_events(&stream, batch, expected))
                .expect("put_events");
            cursor += n;
            total += n as u64;
            left -= n;
        }
    });
    let stored = rt.block_on(store.last_position())?;
    check(stored == total, || {
        format!("stored {stored} events, appended {total}")
    })?;
    Ok(result)
}

/// `SqliteEventStore::put_events` from 16 concurrent writers (tasks), each appending 10 frozen
/// health-checked events per call to its own stream with `ExpectedState::Sequence` (ops =
/// events), on a database file with `synchronous=FULL`: the store's group commit lets
/// concurrent appends share a transaction and its fsync. The writers run in rounds of 20
/// appends each; events come from a pool built outside the timed loop (a writer that used it up
/// starts a new stream). Verified afterwards: every appended event is stored, and appends
/// shared commits.
fn sqlite_put_full_concurrent(
    o: &Options,
    rt: &tokio::runtime::Runtime,
) -> Result<(u64, f64), BoxError> {
    const WRITERS: usize = 16;
    const APPENDS_PER_ROUND: usize = 20;
    let pool: Arc<Vec<Arc<dyn Message>>> = Arc::new(store_pool()?);
    let bench = SqliteBench::open("put-concurrent", Synchronous::Full)?;
    // per writer: its stream's generation and the stream's head (= its cursor in the pool)
    let mut writers: Vec<(u64, usize)> = vec![(0, 0); WRITERS];
    let mut round = || -> u64 {
        rt.block_on(async {
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
    while warmup.elapsed() < o.warmup {
        total += round();
    }
    let t = Instant::now();
    let mut events = 0;
    while o.n.map_or(t.elapsed() < o.duration, |n| events < n) {
        events += round();
    }
    let rate = events as f64 / t.elapsed().as_secs_f64();
    total += events;
    let stored = rt.block_on(bench.store.last_position())?;
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
    Ok((events, rate))
}

/// `SqliteEventStore::get_stream_slice` of 1000 events (forward, walking the stream with
/// `since` = the previous slice's last `occurred_at`) over a stream of 200,000 events in a
/// database file (ops = events returned, decoded into frozen messages).
fn sqlite_slice(o: &Options, rt: &tokio::runtime::Runtime) -> Result<(u64, f64), BoxError> {
    let pool = store_pool()?;
    let bench = SqliteBench::open("slice", Synchronous::Normal)?;
    let store = &bench.store;
    let stream = StreamId::parse("acme:bench:slice")?;
    for chunk in pool.chunks(STORE_BATCH) {
        rt.block_on(store.put_events(&stream, chunk.to_vec(), ExpectedState::Any))?;
    }
    let query = |since| SliceQuery {
        since,
        count: STORE_BATCH,
        forward: true,
        consistent: false,
    };
    let first = rt.block_on(store.get_stream_slice(&stream, query(None)))?;
    check(first.events.len() == STORE_BATCH && first.has_more, || {
        "first slice".into()
    })?;
    check(first.events[0].event.to_json() == pool[0].to_json(), || {
        "the first event does not round-trip".into()
    })?;
    let mut since = None;
    let mut returned = 0u64;
    let result = measure(o, |k| {
        let mut left = k;
        while left > 0 {
            let slice = rt
                .block_on(store.get_stream_slice(&stream, query(since)))
                .expect("get_stream_slice");
            let n = slice.events.len() as u64;
            since = if slice.has_more {
                slice.last_occurred_at()
            } else {
                None
            };
            returned += n;
            left = left.saturating_sub(n.max(1));
            drop(black_box(slice));
        }
    });
    check(returned >= result.0, || {
        "slices returned fewer events".into()
    })?;
    Ok(result)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(Some(o)) => o,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pbjx-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let lines: Vec<String> = match std::fs::read_to_string(&options.canonical) {
        Ok(text) => text.lines().map(str::to_owned).collect(),
        Err(e) => {
            eprintln!("pbjx-bench: cannot read {}: {e}", options.canonical);
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    if options.substeps {
        substeps(&options);
        return ExitCode::SUCCESS;
    }
    let mut failed = false;
    for case in &options.cases {
        let result = match case.as_str() {
            "event_create_freeze_serialize" => event_create(&options, &lines),
            "node_create_freeze_serialize" => node_create(&options, &lines),
            "event_deserialize" => {
                deserialize(&options, &lines, 1, "gdbots:pbjx:event:health-checked")
            }
            "node_deserialize" => deserialize(&options, &lines, 6, "acme:iam:node:user"),
            "pbjx_send_command" => send_command(&options, &rt, false),
            "pbjx_send_command_hooks" => send_command(&options, &rt, true),
            "pbjx_publish_event" => publish_event(&options, &rt),
            "pbjx_request_echo" => request_echo(&options, &rt),
            "event_store_put_events" => event_store_put(&options, &rt),
            "event_store_get_stream_slice" => event_store_slice(&options, &rt),
            "sqlite_put_events" => sqlite_put(&options, &rt, Synchronous::Normal),
            "sqlite_put_events_full" => sqlite_put(&options, &rt, Synchronous::Full),
            "sqlite_put_events_full_concurrent" => sqlite_put_full_concurrent(&options, &rt),
            "sqlite_get_stream_slice" => sqlite_slice(&options, &rt),
            _ => unreachable!("cases are checked when parsed"),
        };
        match result {
            Ok((n, ops)) => println!("{{\"case\":\"{case}\",\"n\":{n},\"ops_per_sec\":{ops:.0}}}"),
            Err(e) => {
                eprintln!("pbjx-bench: {case}: {e}");
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
