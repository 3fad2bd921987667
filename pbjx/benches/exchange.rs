//! Criterion benches of the exchange on a current-thread runtime (for development; the
//! numbers to publish come from `pbjx-bench` in the tests package).
//!
//! `cargo bench -p pbjx --bench exchange [-- FILTER]`

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::{Pbjx, Selector, Stage};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
}

fn command_pbjx(hooks: bool, handled: Arc<AtomicU64>) -> Pbjx {
    let mut builder = Pbjx::builder().command(move |cmd: Arc<CheckHealthV1>, _pbjx| {
        let handled = handled.clone();
        async move {
            if cmd.msg().is_some() {
                handled.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        }
    });
    if hooks {
        for (stage, selector) in [
            (
                Stage::Bind,
                Selector::mixin_curie("gdbots:pbjx:mixin:command"),
            ),
            (
                Stage::Validate,
                Selector::curie("gdbots:pbjx:command:check-health"),
            ),
            (Stage::Enrich, Selector::all()),
        ] {
            builder = builder.hook(stage, selector, |event| {
                black_box(event.message().data().has("msg"));
                Ok(())
            });
        }
    }
    builder.build().expect("valid registrations")
}

fn send(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("send");
    for (name, hooks) in [("command", false), ("command_hooks", true)] {
        let handled = Arc::new(AtomicU64::new(0));
        let pbjx = command_pbjx(hooks, handled.clone());
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let pbjx = pbjx.clone();
                async move {
                    let command = CheckHealthV1::new().with_msg("ping").expect("valid msg");
                    pbjx.send(command).await.expect("send");
                }
            })
        });
        assert!(handled.load(Ordering::Relaxed) > 0, "the handler ran");
    }
    // The exchange alone: a pre-built, frozen command (no lifecycle, no message construction).
    let handled = Arc::new(AtomicU64::new(0));
    let pbjx = command_pbjx(false, handled);
    let mut frozen = CheckHealthV1::new().with_msg("ping").expect("valid msg");
    pbj::Message::freeze(&mut frozen);
    group.bench_function("frozen_command_clone", |b| {
        b.to_async(&rt).iter(|| {
            let pbjx = pbjx.clone();
            let command = frozen.clone();
            async move { pbjx.send(command).await.expect("send") }
        })
    });
    group.bench_function("create_command_only", |b| {
        b.iter(|| black_box(CheckHealthV1::new().with_msg("ping").expect("valid msg")))
    });
    group.finish();
}

fn publish(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("publish");
    for subscribers in [1usize, 3] {
        let received = Arc::new(AtomicU64::new(0));
        let mut builder = Pbjx::builder();
        for _ in 0..subscribers {
            let received = received.clone();
            builder = builder.subscribe(move |event: Arc<HealthCheckedV1>, _pbjx| {
                let received = received.clone();
                async move {
                    if event.msg().is_some() {
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                }
            });
        }
        let pbjx = builder.build().expect("valid registrations");
        group.bench_function(format!("event_{subscribers}_subscribers"), |b| {
            b.to_async(&rt).iter(|| {
                let pbjx = pbjx.clone();
                async move {
                    let event = HealthCheckedV1::new().with_msg("homer").expect("valid msg");
                    pbjx.publish(event).await.expect("publish");
                }
            })
        });
        assert!(received.load(Ordering::Relaxed) > 0, "the subscribers ran");
    }
    group.finish();
}

fn request(c: &mut Criterion) {
    let rt = runtime();
    let pbjx = Pbjx::builder()
        .request(|request: Arc<EchoRequestV1>, _pbjx| async move {
            Ok(EchoResponseV1::new().with_msg(request.msg().unwrap_or_default())?)
        })
        .build()
        .expect("valid registrations");
    let mut group = c.benchmark_group("request");
    group.bench_function("echo", |b| {
        b.to_async(&rt).iter(|| {
            let pbjx = pbjx.clone();
            async move {
                let request = EchoRequestV1::new().with_msg("ping").expect("valid msg");
                black_box(pbjx.request(request).await.expect("request"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, send, publish, request);
criterion_main!(benches);
