//! LocalTransport: background workers, backpressure, draining shutdown, failure isolation.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::transport::{LocalReport, LocalTransport, Transport};
use pbjx::{Code, Error, Pbjx};

const N: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drains_ten_thousand_commands_and_events() {
    let commands = Arc::new(AtomicUsize::new(0));
    let events = Arc::new(AtomicUsize::new(0));
    // A small queue: most sends wait for room (backpressure), none is dropped.
    let local = LocalTransport::new(64, 4);
    let (c, e) = (commands.clone(), events.clone());
    let pbjx = Pbjx::builder()
        .transport(local.clone())
        .command(move |_cmd: Arc<CheckHealthV1>, _pbjx| {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .subscribe(move |_event: Arc<HealthCheckedV1>, _pbjx| {
            let e = e.clone();
            async move {
                tokio::task::yield_now().await;
                e.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .build()
        .expect("pbjx");
    assert_eq!(pbjx.transport_name(), "local");

    // Two concurrent producers (joined in this task: `Pbjx::send` futures are not `Send`
    // yet, see the report).
    let publish = async {
        for i in 0..N {
            pbjx.publish(HealthCheckedV1::new().with_msg(i.to_string())?)
                .await?;
        }
        Ok::<(), Error>(())
    };
    let send = async {
        for i in 0..N {
            pbjx.send(CheckHealthV1::new().with_msg(i.to_string())?)
                .await?;
        }
        Ok::<(), Error>(())
    };
    let (published, sent) = tokio::join!(publish, send);
    published.expect("published");
    sent.expect("sent");

    let report = local.shutdown().await;
    assert_eq!(commands.load(Ordering::SeqCst), N);
    assert_eq!(events.load(Ordering::SeqCst), N);
    assert_eq!(
        report,
        LocalReport {
            processed: 2 * N as u64,
            failed: 0
        }
    );
    assert!(local.is_shut_down());

    let err = pbjx.send(CheckHealthV1::new()).await.expect_err("closed");
    assert!(
        matches!(err, Error::Transport { ref transport, .. } if transport == "local"),
        "{err}"
    );
    assert_eq!(err.code(), Code::Unavailable);
    assert!(pbjx.publish(HealthCheckedV1::new()).await.is_err());
    // Shutting down again just reports.
    assert_eq!(local.shutdown().await, report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_slow_handlers_and_blocked_senders() {
    let done = Arc::new(AtomicUsize::new(0));
    let local = LocalTransport::new(1, 1);
    let d = done.clone();
    let pbjx = Pbjx::builder()
        .transport(local.clone())
        .command(move |_cmd: Arc<CheckHealthV1>, _pbjx| {
            let d = d.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                d.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .build()
        .expect("pbjx");
    // Five senders racing for a queue of one: some wait for room while shutdown starts.
    // (`spawn_local`: `Pbjx::send` futures are not `Send` yet, see the report.)
    let tasks = tokio::task::LocalSet::new();
    let (report, results) = tasks
        .run_until(async {
            let mut senders = Vec::new();
            for _ in 0..5 {
                let pbjx = pbjx.clone();
                senders.push(tokio::task::spawn_local(async move {
                    pbjx.send(CheckHealthV1::new()).await
                }));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
            let report = local.shutdown().await;
            let mut results = Vec::new();
            for sender in senders {
                results.push(sender.await.expect("join"));
            }
            (report, results)
        })
        .await;
    let mut accepted = 0;
    for result in results {
        match result {
            Ok(()) => accepted += 1,
            Err(e) => assert!(matches!(e, Error::Transport { .. }), "{e}"),
        }
    }
    assert!(accepted >= 1);
    // Everything accepted was handled before shutdown returned.
    assert_eq!(report.processed as usize, accepted);
    assert_eq!(done.load(Ordering::SeqCst), accepted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_counted_and_panics_do_not_kill_workers() {
    let ok = Arc::new(AtomicUsize::new(0));
    // One worker: if a panic killed it, nothing after the panic would be handled.
    let local = LocalTransport::new(16, 1);
    let o = ok.clone();
    let pbjx = Pbjx::builder()
        .transport(local.clone())
        .command(move |cmd: Arc<CheckHealthV1>, _pbjx| {
            let o = o.clone();
            async move {
                match cmd.msg() {
                    Some("panic") => panic!("boom"),
                    Some("fail") => Err(Error::handler(Code::Aborted, "Nope", "failed on purpose")),
                    _ => {
                        o.fetch_add(1, Ordering::SeqCst);
                        Ok(())
                    }
                }
            }
        })
        .build()
        .expect("pbjx");
    for msg in ["panic", "ok", "fail", "ok", "panic", "ok"] {
        pbjx.send(CheckHealthV1::new().with_msg(msg).expect("msg"))
            .await
            .expect("queued");
    }
    // No handler for events: not a failure (no subscriber), counted as processed.
    pbjx.publish(HealthCheckedV1::new()).await.expect("queued");
    let report = local.shutdown().await;
    assert_eq!(ok.load(Ordering::SeqCst), 3);
    assert_eq!(
        report,
        LocalReport {
            processed: 4,
            failed: 3
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_handled_inline() {
    let local = LocalTransport::new(4, 1);
    let pbjx = Pbjx::builder()
        .transport(local.clone())
        .request(|req: Arc<EchoRequestV1>, _pbjx| async move {
            EchoResponseV1::new()
                .with_msg(req.msg().unwrap_or_default())
                .map_err(Error::from)
        })
        .build()
        .expect("pbjx");
    let response: EchoResponseV1 = pbjx
        .request_as(EchoRequestV1::new().with_msg("hi").expect("msg"))
        .await
        .expect("response");
    assert_eq!(response.msg(), Some("hi"));
    assert_eq!(local.shutdown().await, LocalReport::default());
    // Requests still work after shutdown: they never touch the queue.
    let response: EchoResponseV1 = pbjx
        .request_as(EchoRequestV1::new().with_msg("again").expect("msg"))
        .await
        .expect("response");
    assert_eq!(response.msg(), Some("again"));
}

#[tokio::test]
async fn current_thread_runtime_and_drop_without_shutdown() {
    let count = Arc::new(AtomicUsize::new(0));
    let local = LocalTransport::default();
    let c = count.clone();
    let pbjx = Pbjx::builder()
        .transport(local.clone())
        .command(move |_cmd: Arc<CheckHealthV1>, _pbjx| {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .build()
        .expect("pbjx");
    for _ in 0..100 {
        pbjx.send(CheckHealthV1::new()).await.expect("queued");
    }
    // Without shutdown, the workers still handle everything once they get to run.
    while local.report().processed < 100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(count.load(Ordering::SeqCst), 100);
    drop(pbjx);
    assert_eq!(local.shutdown().await.processed, 100);
}

#[test]
fn sending_without_a_runtime_fails() {
    let local = LocalTransport::new(4, 1);
    let pbjx = Pbjx::builder()
        .transport(local.clone())
        .build()
        .expect("pbjx");
    // Polled without any tokio runtime: the workers cannot be spawned.
    let message: Arc<dyn pbjx::pbj::Message> = Arc::new({
        let mut m = CheckHealthV1::new();
        pbjx::pbj::Message::freeze(&mut m);
        m
    });
    let fut = local.send_command(&pbjx, message);
    let err = futures_lite_block_on(fut).unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    // The tokio error is kept as the source, not flattened into the message.
    let source = std::error::Error::source(&err).expect("the runtime error");
    assert!(source.is::<tokio::runtime::TryCurrentError>(), "{source}");
}

/// Polls a future to completion on this thread without any tokio runtime.
fn futures_lite_block_on<F: std::future::Future>(fut: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}
