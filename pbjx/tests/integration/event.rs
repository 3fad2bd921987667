//! `publish` and the event bus fan-out (pbjx-features.md §1 "publish", §3 "SimpleEventBus",
//! §10 pbjx-php "SimpleEventBusTest", §10 pbjx-js "Pbjx.publish").

use std::sync::{Arc, Mutex};

use pbjx::pbj::{Message, MessageRef};
use pbjx::schemas::gdbots::contexts::AppV1;
use pbjx::schemas::gdbots::pbjx::event::{EventExecutionFailedV1, HealthCheckedV1};
use pbjx::{Code, Error, Pbjx, PbjxBuilder, Selector, Stage};

type Log = Arc<Mutex<Vec<String>>>;

/// A `subscribe_to` subscriber that logs `label` and the message's curie + msg.
fn add(builder: PbjxBuilder, name: &str, log: &Log, label: &str) -> PbjxBuilder {
    let log = log.clone();
    let label = label.to_owned();
    builder.subscribe_to(name, move |event: Arc<dyn Message>, _pbjx| {
        let entry = format!("{label}<-{}", event.schema().curie);
        let log = log.clone();
        async move {
            log.lock().unwrap().push(entry);
            Ok(())
        }
    })
}

/// A subscriber that always fails with `message`.
fn add_failing(
    builder: PbjxBuilder,
    name: &str,
    log: &Log,
    label: &str,
    error: Error,
) -> PbjxBuilder {
    let log = log.clone();
    let label = label.to_owned();
    builder.subscribe_to(name, move |event: Arc<dyn Message>, _pbjx| {
        let entry = format!("{label}<-{}", event.schema().curie);
        let log = log.clone();
        let error = error.clone();
        async move {
            log.lock().unwrap().push(entry);
            Err(error)
        }
    })
}

fn count(log: &Log, prefix: &str) -> usize {
    log.lock()
        .unwrap()
        .iter()
        .filter(|e| e.starts_with(prefix))
        .count()
}

const HC: &str = "gdbots:pbjx:event:health-checked";

/// The log of a health-checked event received by the subscribers of `names`, in that order.
fn received_by(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("{n}<-{HC}")).collect()
}
const EEF: &str = "gdbots:pbjx:event:event-execution-failed";

/// §3 SimpleEventBus::receiveEvent + §10 pbjx-js "Pbjx.publish": subscribers on mixin curie
/// major, mixin curie, message curie major, curie, `gdbots:pbjx:*` and `*` → 6 calls in that
/// order (whatever the registration order); no other wildcard exists (`gdbots:*`,
/// `gdbots:pbjx:event:*`); each gets the same frozen event (pbjx-php `testPublish`).
#[tokio::test]
async fn publish_fans_out_in_order() {
    let log: Log = Arc::default();
    let mut builder = Pbjx::builder();
    for name in [
        "*",
        "gdbots:pbjx:*",
        HC,
        "gdbots:*",
        "gdbots:pbjx:event:*",
        "gdbots:pbjx:mixin:indexed",
        "gdbots:pbjx:command:check-health",
        "gdbots:pbjx:event:health-checked:v1",
        "gdbots:pbjx:mixin:event",
        "gdbots:pbjx:mixin:event:v1",
    ] {
        builder = add(builder, name, &log, name);
    }
    let ids: Arc<Mutex<Vec<String>>> = Arc::default();
    let i = ids.clone();
    builder = builder.subscribe_to("*", move |event: Arc<dyn Message>, _pbjx| {
        let i = i.clone();
        async move {
            assert!(event.is_frozen());
            i.lock().unwrap().push(
                event
                    .data()
                    .get_single("event_id")
                    .and_then(|v| v.as_str())
                    .unwrap()
                    .to_owned(),
            );
            Ok(())
        }
    });
    let pbjx = builder.build().unwrap();
    let event = HealthCheckedV1::new().with_msg("test").unwrap();
    let id = event.event_id().unwrap().to_owned();
    pbjx.publish(event).await.unwrap();
    let expected = received_by(&[
        "gdbots:pbjx:mixin:event:v1",
        "gdbots:pbjx:mixin:event",
        "gdbots:pbjx:event:health-checked:v1",
        HC,
        "gdbots:pbjx:*",
        "*",
    ]);
    assert_eq!(*log.lock().unwrap(), expected);
    assert_eq!(*ids.lock().unwrap(), [id]);
}

/// The fan-out order of a schema in the exchange's registry is resolved when the exchange is
/// built; that of any other schema on first use, then cached. Both give the same order, on
/// every publish.
#[tokio::test]
async fn fan_out_order_does_not_depend_on_the_registry() {
    let names = [
        "*",
        "gdbots:pbjx:*",
        HC,
        "gdbots:pbjx:mixin:event",
        "gdbots:pbjx:event:health-checked:v1",
    ];
    let expected = received_by(&[
        "gdbots:pbjx:mixin:event",
        "gdbots:pbjx:event:health-checked:v1",
        HC,
        "gdbots:pbjx:*",
        "*",
    ]);
    for registry in [pbjx::registry(), Arc::new(pbjx::pbj::Registry::new())] {
        let in_registry = registry.resolve_curie(HC).is_some();
        let log: Log = Arc::default();
        let mut builder = Pbjx::builder().registry(registry);
        for name in names {
            builder = add(builder, name, &log, name);
        }
        let pbjx = builder.build().unwrap();
        for round in 0..2 {
            log.lock().unwrap().clear();
            pbjx.publish(HealthCheckedV1::new()).await.unwrap();
            assert_eq!(
                *log.lock().unwrap(),
                expected,
                "in the registry: {in_registry}, publish {round}"
            );
        }
    }
}

/// §3 SimpleEventBus: listeners of one name run in priority order (then registration order);
/// typed subscribers (`subscribe::<T>`) listen on the curie major and get the generated type.
#[tokio::test]
async fn typed_subscribers_and_priorities() {
    let log: Log = Arc::default();
    let l = log.clone();
    let mut builder = Pbjx::builder().subscribe(move |event: Arc<HealthCheckedV1>, _pbjx| {
        let l = l.clone();
        async move {
            l.lock()
                .unwrap()
                .push(format!("typed:{}", event.msg().unwrap_or("")));
            Ok(())
        }
    });
    for (label, priority) in [("p0", 0), ("p10", 10), ("p-1", -1), ("p0b", 0)] {
        let l = log.clone();
        builder = builder.subscribe_to_with_priority(HC, priority, move |_event, _pbjx| {
            let l = l.clone();
            async move {
                l.lock().unwrap().push(label.to_owned());
                Ok(())
            }
        });
    }
    let pbjx = builder.build().unwrap();
    pbjx.publish(HealthCheckedV1::new().with_msg("x").unwrap())
        .await
        .unwrap();
    assert_eq!(*log.lock().unwrap(), ["typed:x", "p10", "p0", "p0b", "p-1"]);
}

/// §1 "What happens when no handler exists": zero subscribers is fine.
#[tokio::test]
async fn publish_without_subscribers_is_fine() {
    Pbjx::builder()
        .build()
        .unwrap()
        .publish(HealthCheckedV1::new())
        .await
        .unwrap();
}

/// §3 listener failure: a failing subscriber (and a panicking one) never stops the others;
/// each failure builds an `event-execution-failed` with `event` = original, `error_code`,
/// `error_name`, `error_message` and the original's context (copyContext), delivered in process
/// to its subscribers (pbjx-php `testEventExecutionFailed`). No lifecycle runs on it.
#[tokio::test]
async fn failing_subscribers_produce_event_execution_failed() {
    let log: Log = Arc::default();
    let failures: Arc<Mutex<Vec<EventExecutionFailedV1>>> = Arc::default();
    let f = failures.clone();
    let binds = Arc::new(Mutex::new(Vec::<String>::new()));
    let b = binds.clone();
    let mut builder = Pbjx::builder().hook(Stage::Bind, Selector::all(), move |event| {
        if event.is_root() {
            b.lock()
                .unwrap()
                .push(event.message().schema().curie.to_owned());
        }
        Ok(())
    });
    builder = add_failing(
        builder,
        "gdbots:pbjx:mixin:event",
        &log,
        "failer",
        Error::handler(Code::NotFound, "ArticleNotFound", "no article"),
    );
    builder = builder.subscribe_to(HC, |_event, _pbjx| async move {
        if true {
            panic!("subscriber panicked");
        }
        Ok(())
    });
    builder = add(builder, "*", &log, "star");
    builder = builder.subscribe(move |failed: Arc<EventExecutionFailedV1>, _pbjx| {
        let f = f.clone();
        async move {
            f.lock().unwrap().push((*failed).clone());
            Ok(())
        }
    });
    let pbjx = builder.build().unwrap();

    let user = MessageRef::parse("acme:iam:node:user:123").unwrap();
    let correlator = MessageRef::parse("acme:blog:command:publish-article:abc").unwrap();
    let event = HealthCheckedV1::new()
        .with_msg("test")
        .unwrap()
        .with_ctx_tenant_id("tenant1")
        .unwrap()
        .with_ctx_user_ref(user.clone())
        .unwrap()
        .with_ctx_correlator_ref(correlator.clone())
        .unwrap()
        .with_ctx_ip("10.0.0.1")
        .unwrap()
        .with_ctx_app(AppV1::new().with_name("app").unwrap())
        .unwrap();
    let event_ref = event.generate_message_ref(None);
    pbjx.publish(event).await.unwrap();

    // The star subscriber got the original and both failures; the failer failed once on the
    // original and once on each failure event (those stop at the failer's name, no loop).
    let log = log.lock().unwrap().clone();
    assert_eq!(
        log.iter().filter(|e| *e == &format!("star<-{HC}")).count(),
        1,
        "{log:?}"
    );
    assert_eq!(
        log.iter().filter(|e| *e == &format!("star<-{EEF}")).count(),
        2,
        "{log:?}"
    );
    assert_eq!(
        log.iter()
            .filter(|e| *e == &format!("failer<-{EEF}"))
            .count(),
        2,
        "{log:?}"
    );
    // The lifecycle ran on the published event only.
    assert_eq!(*binds.lock().unwrap(), [HC]);

    let failures = failures.lock().unwrap();
    assert_eq!(failures.len(), 2);
    let (first, second) = (&failures[0], &failures[1]);
    assert_eq!(first.error_code(), Some(Code::NotFound.value()));
    assert_eq!(first.error_name(), Some("ArticleNotFound"));
    assert_eq!(first.error_message(), Some("no article"));
    assert_eq!(second.error_code(), Some(Code::Internal.value()));
    assert_eq!(second.error_name(), Some("Panic"));
    assert_eq!(second.error_message(), Some("subscriber panicked"));
    for failed in [first, second] {
        assert!(failed.is_frozen());
        let original = failed.event().unwrap();
        assert_eq!(original.generate_message_ref(None), event_ref);
        assert_eq!(
            original.data().get_single("msg").and_then(|v| v.as_str()),
            Some("test")
        );
        assert_eq!(failed.ctx_causator_ref(), Some(&event_ref));
        assert_eq!(failed.ctx_tenant_id(), Some("tenant1"));
        assert_eq!(failed.ctx_user_ref(), Some(&user));
        assert_eq!(failed.ctx_correlator_ref(), Some(&correlator));
        assert_eq!(failed.ctx_ip(), Some("10.0.0.1"));
        assert_eq!(
            failed.ctx_app().unwrap().to_json(),
            AppV1::new().with_name("app").unwrap().to_json()
        );
    }
}

/// §10 pbjx-js "Pbjx.publish (simulated failing)": checker on the curie, failer on the curie
/// major and on the curie, checker on event-execution-failed → checker total 3, failer 2.
#[tokio::test]
async fn pbjx_js_two_failing_listeners() {
    let log: Log = Arc::default();
    let failing = || Error::handler(Code::Internal, "LogicException", "failing:test");
    let mut builder = add(Pbjx::builder(), HC, &log, "checker");
    builder = add_failing(
        builder,
        "gdbots:pbjx:event:health-checked:v1",
        &log,
        "failer",
        failing(),
    );
    builder = add_failing(builder, HC, &log, "failer", failing());
    builder = add(builder, EEF, &log, "checker");
    let pbjx = builder.build().unwrap();
    pbjx.publish(HealthCheckedV1::new().with_msg("test").unwrap())
        .await
        .unwrap();
    assert_eq!(count(&log, "checker"), 3);
    assert_eq!(count(&log, "failer"), 2);
    assert_eq!(
        *log.lock().unwrap(),
        [
            format!("failer<-{HC}"),
            format!("checker<-{EEF}"),
            format!("checker<-{HC}"),
            format!("failer<-{HC}"),
            format!("checker<-{EEF}"),
        ]
    );
}

/// §3 listener failure, §10 pbjx-php `testEventBusExceptionEvent`: a failing
/// event-execution-failed subscriber stops the remaining subscribers **of that name** only (no
/// new failure event, no infinite loop); other names still get it.
#[tokio::test]
async fn failing_failure_subscriber_stops_only_its_name() {
    let log: Log = Arc::default();
    let mut builder = add_failing(
        Pbjx::builder(),
        HC,
        &log,
        "original-failer",
        Error::handler(Code::Unknown, "E", "1"),
    );
    builder = add_failing(
        builder,
        EEF,
        &log,
        "eef-failer",
        Error::handler(Code::Unknown, "E", "2"),
    );
    builder = add(builder, EEF, &log, "eef-after-failer");
    builder = add(builder, "gdbots:pbjx:*", &log, "package");
    let pbjx = builder.build().unwrap();
    pbjx.publish(HealthCheckedV1::new()).await.unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            format!("original-failer<-{HC}"),
            format!("eef-failer<-{EEF}"),
            format!("package<-{EEF}"),
            format!("package<-{HC}")
        ]
    );
}

/// §3 listener failure: a subscriber on `*` that always fails sees the original and one
/// failure event, then stops (no infinite loop).
#[tokio::test]
async fn always_failing_wildcard_subscriber_does_not_loop() {
    let log: Log = Arc::default();
    let builder = add_failing(
        Pbjx::builder(),
        "*",
        &log,
        "star",
        Error::handler(Code::Unknown, "E", "always"),
    );
    let pbjx = builder.build().unwrap();
    pbjx.publish(HealthCheckedV1::new()).await.unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [format!("star<-{HC}"), format!("star<-{EEF}")]
    );
}

/// §3 listener failure: `error_code` = the error's code if > 0 else 2 (UNKNOWN);
/// `error_message` keeps the first 2048 characters.
#[tokio::test]
async fn failure_error_code_and_message_limits() {
    // (error_code, error_message length in characters)
    type Seen = Arc<Mutex<Vec<(Option<i64>, usize)>>>;
    let failures: Seen = Arc::default();
    let f = failures.clone();
    let long = "é".repeat(3000);
    let pbjx = Pbjx::builder()
        .subscribe_to(HC, |_e, _p| async move {
            Err(Error::handler(Code::Ok, "Weird", "code zero"))
        })
        .subscribe_to(HC, move |_e, _p| {
            let long = long.clone();
            async move { Err(Error::handler(Code::Aborted, "Long", long)) }
        })
        .subscribe(move |failed: Arc<EventExecutionFailedV1>, _pbjx| {
            let f = f.clone();
            async move {
                f.lock().unwrap().push((
                    failed.error_code(),
                    failed.error_message().unwrap_or("").chars().count(),
                ));
                Ok(())
            }
        })
        .build()
        .unwrap();
    pbjx.publish(HealthCheckedV1::new()).await.unwrap();
    let failures = failures.lock().unwrap();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0].0, Some(Code::Unknown.value()));
    assert_eq!(failures[1], (Some(Code::Aborted.value()), 2048));
}

/// §3 receiveEvent is what transports call: a frozen event is delivered without lifecycle.
#[tokio::test]
async fn receive_event_delivers_without_lifecycle() {
    let log: Log = Arc::default();
    let l = log.clone();
    let pbjx = add(
        Pbjx::builder().hook(Stage::Bind, Selector::all(), move |_| {
            l.lock().unwrap().push("bind".into());
            Ok(())
        }),
        "*",
        &log,
        "star",
    )
    .build()
    .unwrap();
    let mut event = HealthCheckedV1::new();
    event.freeze();
    pbjx.receive_event(Arc::new(event)).await.unwrap();
    assert_eq!(*log.lock().unwrap(), [format!("star<-{HC}")]);
}
