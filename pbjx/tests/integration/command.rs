//! `send` and the command bus (pbjx-features.md §1 "send", §1 "What happens when no handler
//! exists", §2 "Order of everything that fires", §3 "SimpleCommandBus", §10 pbjx-php
//! "SimpleCommandBusTest", §10 pbjx-js "Pbjx.send").

use std::sync::{Arc, Mutex};

use pbjx::pbj::Message;
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::EchoRequestV1;
use pbjx::{Code, Error, Pbjx, PbjxEvent, Selector, Stage};

type Log = Arc<Mutex<Vec<String>>>;

fn logger(
    log: &Log,
    label: &'static str,
) -> impl Fn(&mut PbjxEvent<'_>) -> pbjx::Result<()> + Send + Sync + 'static {
    let log = log.clone();
    move |event: &mut PbjxEvent<'_>| {
        let id = event
            .message()
            .data()
            .get_single("command_id")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned();
        let frozen = event.message().is_frozen();
        log.lock()
            .unwrap()
            .push(format!("{label}:{}:frozen={frozen}:{id}", event.stage()));
        Ok(())
    }
}

/// §10 pbjx-php `SimpleCommandBusTest::testSend` + pbjx-js "Pbjx.send": the registered handler
/// receives the same command (same id), frozen; before_handle / after_handle hooks see it;
/// the order is bind, validate, enrich, before_handle, handler, after_handle (§2).
#[tokio::test]
async fn send_delivers_the_command_to_its_handler() {
    let log: Log = Arc::default();
    let l = log.clone();
    let command = CheckHealthV1::new().with_msg("ping").unwrap();
    let id = command.command_id().unwrap().to_owned();
    let pbjx = Pbjx::builder()
        .hook(
            Stage::Bind,
            Selector::mixin_curie("gdbots:pbjx:mixin:command"),
            logger(&log, "hook"),
        )
        .hook(Stage::Validate, Selector::all(), logger(&log, "hook"))
        .hook(
            Stage::Enrich,
            Selector::curie("gdbots:pbjx:command:check-health"),
            logger(&log, "hook"),
        )
        .hook(
            Stage::BeforeHandle,
            Selector::mixin_curie("gdbots:pbjx:mixin:command"),
            logger(&log, "hook"),
        )
        .hook(
            Stage::AfterHandle,
            Selector::curie("gdbots:pbjx:command:check-health:v1"),
            logger(&log, "hook"),
        )
        .hook(Stage::BeforeHandle, Selector::all(), |event| {
            assert!(
                event.message_mut().is_none(),
                "the command is frozen once handed to the bus"
            );
            assert!(event.is_root());
            Ok(())
        })
        .command(move |cmd: Arc<CheckHealthV1>, _pbjx| {
            let l = l.clone();
            async move {
                assert_eq!(cmd.msg(), Some("ping"));
                l.lock().unwrap().push(format!(
                    "handler:frozen={}:{}",
                    cmd.is_frozen(),
                    cmd.command_id().unwrap()
                ));
                Ok(())
            }
        })
        .build()
        .unwrap();
    pbjx.send(command).await.unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            format!("hook:bind:frozen=false:{id}"),
            format!("hook:validate:frozen=false:{id}"),
            format!("hook:enrich:frozen=false:{id}"),
            format!("hook:before_handle:frozen=true:{id}"),
            format!("handler:frozen=true:{id}"),
            format!("hook:after_handle:frozen=true:{id}"),
        ]
    );
}

/// §3 SimpleCommandBus::receiveCommand + pbjx-js "Pbjx.send": a failing handler's error is
/// returned to the caller of `send` (in-memory transport) and after_handle does not run.
#[tokio::test]
async fn failing_handler_error_is_returned_without_after_handle() {
    let log: Log = Arc::default();
    let pbjx = Pbjx::builder()
        .hook(Stage::BeforeHandle, Selector::all(), logger(&log, "hook"))
        .hook(Stage::AfterHandle, Selector::all(), logger(&log, "hook"))
        .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async move {
            Err(Error::handler(
                Code::FailedPrecondition,
                "LogicException",
                "handler failed",
            ))
        })
        .build()
        .unwrap();
    let err = pbjx.send(CheckHealthV1::new()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Handler { name, .. } if name == "LogicException"),
        "{err:?}"
    );
    assert_eq!(err.code(), Code::FailedPrecondition);
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 1);
    assert!(log[0].starts_with("hook:before_handle"));
}

/// A panicking handler does not unwind into the caller: it becomes an `INTERNAL` error named
/// `Panic`, and after_handle does not run.
#[tokio::test]
async fn panicking_handler_becomes_an_error() {
    let log: Log = Arc::default();
    let pbjx = Pbjx::builder()
        .hook(Stage::AfterHandle, Selector::all(), logger(&log, "hook"))
        .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async move {
            if true {
                panic!("boom");
            }
            Ok(())
        })
        .build()
        .unwrap();
    let err = pbjx.send(CheckHealthV1::new()).await.unwrap_err();
    assert_eq!(err.code(), Code::Internal);
    assert_eq!(err.name(), "Panic");
    assert!(err.to_string().contains("boom"), "{err}");
    assert!(log.lock().unwrap().is_empty());
}

/// §1 "What happens when no handler exists" + §10 `testReceiveCommandWithNoHandler` /
/// pbjx-js: no handler → `HandlerNotFound` (code 12) naming the curie, before any
/// before_handle hook (the handler is located first).
#[tokio::test]
async fn missing_handler_is_handler_not_found() {
    let log: Log = Arc::default();
    let pbjx = Pbjx::builder()
        .hook(Stage::BeforeHandle, Selector::all(), logger(&log, "hook"))
        .build()
        .unwrap();
    let err = pbjx.send(CheckHealthV1::new()).await.unwrap_err();
    match &err {
        Error::HandlerNotFound { curie } => assert_eq!(curie, "gdbots:pbjx:command:check-health"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.code(), Code::Unimplemented);
    assert_eq!(err.code().value(), 12);
    assert!(log.lock().unwrap().is_empty());

    // receive_command (what transports call) behaves the same.
    let mut command = CheckHealthV1::new();
    command.freeze();
    let err = pbjx.receive_command(Arc::new(command)).await.unwrap_err();
    assert!(matches!(err, Error::HandlerNotFound { .. }));
}

/// §1 send/publish/request: the message must use the right mixin, else a LogicException
/// (code 13), before any hook runs.
#[tokio::test]
async fn wrong_message_kind() {
    let log: Log = Arc::default();
    let pbjx = Pbjx::builder()
        .hook(Stage::Bind, Selector::all(), logger(&log, "hook"))
        .build()
        .unwrap();

    let err = pbjx.send(HealthCheckedV1::new()).await.unwrap_err();
    match &err {
        Error::WrongMessageKind {
            operation,
            mixin,
            schema,
        } => {
            assert_eq!((*operation, *mixin), ("send", "gdbots:pbjx:mixin:command"));
            assert_eq!(schema, "pbj:gdbots:pbjx:event:health-checked:1-0-0");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.code(), Code::Internal);

    let err = pbjx.send(EchoRequestV1::new()).await.unwrap_err();
    assert!(matches!(
        err,
        Error::WrongMessageKind {
            operation: "send",
            ..
        }
    ));
    let err = pbjx.publish(CheckHealthV1::new()).await.unwrap_err();
    assert!(matches!(
        err,
        Error::WrongMessageKind {
            operation: "publish",
            mixin: "gdbots:pbjx:mixin:event",
            ..
        }
    ));
    let err = pbjx.request(CheckHealthV1::new()).await.unwrap_err();
    assert!(matches!(
        err,
        Error::WrongMessageKind {
            operation: "request",
            mixin: "gdbots:pbjx:mixin:request",
            ..
        }
    ));
    assert!(log.lock().unwrap().is_empty());
}

/// Handlers get the exchange and can send follow-up messages through it (and the context flows
/// with `copy_context`).
#[tokio::test]
async fn handler_can_publish_follow_up_events() {
    let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let g = got.clone();
    let pbjx = Pbjx::builder()
        .command(|cmd: Arc<CheckHealthV1>, pbjx: Pbjx| async move {
            let mut event = HealthCheckedV1::new().with_msg(cmd.msg().unwrap_or_default())?;
            pbjx.copy_context(&*cmd, &mut event)?;
            pbjx.publish(event).await
        })
        .subscribe(move |event: Arc<HealthCheckedV1>, _pbjx| {
            let g = g.clone();
            async move {
                g.lock().unwrap().push((
                    event.msg().unwrap_or("").to_owned(),
                    event
                        .ctx_causator_ref()
                        .map(|r| r.curie().to_owned())
                        .unwrap_or_default(),
                ));
                Ok(())
            }
        })
        .build()
        .unwrap();
    pbjx.send(CheckHealthV1::new().with_msg("hi").unwrap())
        .await
        .unwrap();
    assert_eq!(
        *got.lock().unwrap(),
        [(
            "hi".to_owned(),
            "gdbots:pbjx:command:check-health".to_owned()
        )]
    );
}

/// A frozen command skips the lifecycle (§1 triggerLifecycle) but is still delivered.
#[tokio::test]
async fn frozen_command_skips_the_lifecycle() {
    let log: Log = Arc::default();
    let handled = Arc::new(Mutex::new(0));
    let h = handled.clone();
    let pbjx = Pbjx::builder()
        .hook(Stage::Bind, Selector::all(), logger(&log, "hook"))
        .command(move |_cmd: Arc<CheckHealthV1>, _pbjx| {
            let h = h.clone();
            async move {
                *h.lock().unwrap() += 1;
                Ok(())
            }
        })
        .build()
        .unwrap();
    let mut command = CheckHealthV1::new();
    command.freeze();
    pbjx.send(command).await.unwrap();
    assert!(log.lock().unwrap().is_empty());
    assert_eq!(*handled.lock().unwrap(), 1);
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

/// The exchange futures are `Send` (handlers must be `Send` futures and may call the exchange;
/// apps spawn them on multi-threaded runtimes).
#[tokio::test]
async fn exchange_futures_are_send() {
    let pbjx = Pbjx::builder()
        .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async move { Ok(()) })
        .hook(Stage::Bind, Selector::all(), |_| Ok(()))
        .build()
        .unwrap();
    let mut command = CheckHealthV1::new();
    assert_send(pbjx.trigger_lifecycle(&mut command))
        .await
        .unwrap();
    assert_send(pbjx.trigger(&mut command, Stage::Bind, true))
        .await
        .unwrap();
    assert_send(pbjx.send(CheckHealthV1::new())).await.unwrap();
    assert_send(pbjx.publish(HealthCheckedV1::new()))
        .await
        .unwrap();
    assert!(
        assert_send(pbjx.request(EchoRequestV1::new()))
            .await
            .is_err()
    );
    let p = pbjx.clone();
    tokio::spawn(async move { p.send(CheckHealthV1::new()).await })
        .await
        .unwrap()
        .unwrap();
}
