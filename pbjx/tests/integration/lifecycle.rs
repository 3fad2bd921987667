//! Lifecycle hooks: `trigger`, `trigger_lifecycle`, recursion, priorities, validation
//! (pbjx-features.md §1 "trigger" / "triggerLifecycle", §2, §10 pbjx-js "Pbjx.trigger").

use std::sync::{Arc, Mutex};

use pbjx::pbj::Message;
use pbjx::schemas::gdbots::contexts::{AppV1, CloudV1};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::{EventExecutionFailedV1, HealthCheckedV1};
use pbjx::{Code, Error, Pbjx, PbjxBuilder, PbjxEvent, Selector, Stage};

/// (selector, stage, depth, curie of the message the hook saw)
type Seen = Arc<Mutex<Vec<(String, String, usize, String)>>>;

fn recorder(
    seen: &Seen,
) -> impl Fn(&mut PbjxEvent<'_>) -> pbjx::Result<()> + Send + Sync + 'static {
    let seen = seen.clone();
    move |event: &mut PbjxEvent<'_>| {
        seen.lock().unwrap().push((
            event.selector().to_owned(),
            event.stage().to_string(),
            event.depth(),
            event.message().schema().curie.to_owned(),
        ));
        Ok(())
    }
}

const EEF: &str = "gdbots:pbjx:event:event-execution-failed";
const HC: &str = "gdbots:pbjx:event:health-checked";
const APP: &str = "gdbots:contexts::app";
const CLOUD: &str = "gdbots:contexts::cloud";

/// Every selector name a message of these schemas could be dispatched under, registered in an
/// order unrelated to the dispatch order (so the test proves the order comes from the schema).
fn all_selectors() -> Vec<Selector> {
    vec![
        Selector::curie(EEF),
        Selector::curie(format!("{EEF}:v1")),
        Selector::curie(HC),
        Selector::curie(format!("{HC}:v1")),
        Selector::curie(CLOUD),
        Selector::curie(format!("{CLOUD}:v1")),
        Selector::curie(APP),
        Selector::curie(format!("{APP}:v1")),
        Selector::mixin_curie("gdbots:pbjx:mixin:indexed"),
        Selector::mixin_curie("gdbots:pbjx:mixin:indexed:v1"),
        Selector::mixin_curie("gdbots:pbjx:mixin:event"),
        Selector::mixin_curie("gdbots:pbjx:mixin:event:v1"),
        Selector::all(),
    ]
}

const CUSTOM: Stage = Stage::custom("custom");

fn recording_builder(seen: &Seen, stages: &[Stage]) -> PbjxBuilder {
    let mut builder = Pbjx::builder().declare_stage(CUSTOM);
    for stage in stages {
        for selector in all_selectors() {
            builder = builder.hook(stage.clone(), selector, recorder(seen));
        }
    }
    builder
}

fn names(curie: &str, mixins: &[&str]) -> Vec<String> {
    let mut out = vec!["gdbots_pbjx.message".to_owned()];
    for m in mixins {
        out.push(format!("{m}:v1"));
        out.push((*m).to_owned());
    }
    out.push(format!("{curie}:v1"));
    out.push(curie.to_owned());
    out
}

fn expected_for(
    suffix: &str,
    nested: &[(&str, &[&str], usize)],
) -> Vec<(String, String, usize, String)> {
    let mut out = Vec::new();
    for (curie, mixins, depth) in nested {
        for name in names(curie, mixins) {
            out.push((name, suffix.to_owned(), *depth, (*curie).to_owned()));
        }
    }
    out
}

fn failed_event_with_nested() -> EventExecutionFailedV1 {
    let inner = HealthCheckedV1::new()
        .with_msg("inner")
        .unwrap()
        .with_ctx_app(AppV1::new().with_name("inner-app").unwrap())
        .unwrap();
    EventExecutionFailedV1::new()
        .with_ctx_app(AppV1::new().with_name("app").unwrap())
        .unwrap()
        .with_ctx_cloud(CloudV1::new().with_provider("aws").unwrap())
        .unwrap()
        .with_event(inner)
        .unwrap()
}

/// §1 trigger steps 4-5 and triggerLifecycle: nested messages first (post-order, schema field
/// order: `ctx_app`, `ctx_cloud`, then `event` whose own `ctx_app` comes before it), then for each
/// message `gdbots_pbjx.message`, every mixin as the schema lists it (curie major, then curie),
/// the curie major and the curie; bind, validate, enrich in that order.
#[tokio::test]
async fn trigger_lifecycle_order_with_two_mixins_and_nested_messages() {
    let seen: Seen = Arc::default();
    let pbjx = recording_builder(&seen, &[Stage::Bind, Stage::Validate, Stage::Enrich])
        .build()
        .unwrap();
    let mut message = failed_event_with_nested();
    pbjx.trigger_lifecycle(&mut message).await.unwrap();

    let order: [(&str, &[&str], usize); 5] = [
        (APP, &[], 1),
        (CLOUD, &[], 1),
        (APP, &[], 2),
        (HC, &["gdbots:pbjx:mixin:event"], 1),
        (
            EEF,
            &["gdbots:pbjx:mixin:event", "gdbots:pbjx:mixin:indexed"],
            0,
        ),
    ];
    let mut expected = Vec::new();
    for stage in ["bind", "validate", "enrich"] {
        expected.extend(expected_for(stage, &order));
    }
    assert_eq!(*seen.lock().unwrap(), expected);
    // 3 + 3 + 3 + 5 + 7 names per stage.
    assert_eq!(expected.len(), 3 * 21);
}

/// §1 trigger step 5, the spec's example: `CheckHealthV1` + `bind` dispatches
/// `gdbots_pbjx.message.bind`, `gdbots:pbjx:mixin:command:v1.bind`,
/// `gdbots:pbjx:mixin:command.bind`, `gdbots:pbjx:command:check-health:v1.bind`,
/// `gdbots:pbjx:command:check-health.bind`, and no wildcard names (hooks on wildcards are
/// rejected at build: `wildcard_and_malformed_hook_selectors_are_rejected_at_build`).
#[tokio::test]
async fn trigger_names_for_check_health() {
    let seen: Seen = Arc::default();
    let curie = "gdbots:pbjx:command:check-health";
    let mut builder = Pbjx::builder();
    for selector in [
        Selector::curie(curie),
        Selector::curie(format!("{curie}:v1")),
        Selector::mixin_curie("gdbots:pbjx:mixin:command"),
        Selector::mixin_curie("gdbots:pbjx:mixin:command:v1"),
        Selector::all(),
    ] {
        builder = builder.hook(Stage::Bind, selector, recorder(&seen));
    }
    let pbjx = builder.build().unwrap();
    let mut command = CheckHealthV1::new();
    pbjx.trigger(&mut command, Stage::Bind, true).await.unwrap();
    let got: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(s, stage, _, _)| format!("{s}.{stage}"))
        .collect();
    assert_eq!(
        got,
        [
            "gdbots_pbjx.message.bind",
            "gdbots:pbjx:mixin:command:v1.bind",
            "gdbots:pbjx:mixin:command.bind",
            "gdbots:pbjx:command:check-health:v1.bind",
            "gdbots:pbjx:command:check-health.bind",
        ]
    );
}

/// §10 pbjx-js "Pbjx.trigger": `triggerLifecycle(CheckHealthV1)` with listeners on every
/// message, the curie and `gdbots:pbjx:mixin:command` for bind/validate/enrich → 9 calls.
#[tokio::test]
async fn pbjx_js_trigger_nine_calls() {
    let calls = Arc::new(Mutex::new(0usize));
    let mut builder = Pbjx::builder();
    for stage in [Stage::Bind, Stage::Validate, Stage::Enrich] {
        for selector in [
            Selector::all(),
            Selector::curie("gdbots:pbjx:command:check-health"),
            Selector::mixin_curie("gdbots:pbjx:mixin:command"),
        ] {
            let calls = calls.clone();
            builder = builder.hook(stage.clone(), selector, move |_| {
                *calls.lock().unwrap() += 1;
                Ok(())
            });
        }
    }
    let pbjx = builder.build().unwrap();
    pbjx.trigger_lifecycle(&mut CheckHealthV1::new())
        .await
        .unwrap();
    assert_eq!(*calls.lock().unwrap(), 9);
}

/// §1 trigger step 6 / Symfony dispatcher: within one event name, higher priority first, then
/// registration order; priorities never reorder names.
#[tokio::test]
async fn hook_priorities_apply_within_one_name() {
    let seen: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let push = |label: &'static str| {
        let seen = seen.clone();
        move |_: &mut PbjxEvent<'_>| {
            seen.lock().unwrap().push(label);
            Ok(())
        }
    };
    let pbjx = Pbjx::builder()
        .hook_with_priority(
            Stage::Bind,
            Selector::mixin_curie("gdbots:pbjx:mixin:command"),
            1000,
            push("mixin+1000"),
        )
        .hook(Stage::Bind, Selector::all(), push("all:a0"))
        .hook_with_priority(Stage::Bind, Selector::all(), 10, push("all:b10"))
        .hook(Stage::Bind, Selector::all(), push("all:c0"))
        .hook_with_priority(Stage::Bind, Selector::all(), -5, push("all:d-5"))
        .hook_with_priority(
            Stage::Bind,
            Selector::curie("gdbots:pbjx:command:check-health"),
            -1,
            push("curie-1"),
        )
        .hook_with_priority(
            Stage::Bind,
            Selector::curie("gdbots:pbjx:command:check-health"),
            1,
            push("curie+1"),
        )
        .build()
        .unwrap();
    pbjx.trigger(&mut CheckHealthV1::new(), ".bind.".parse().unwrap(), false)
        .await
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "all:b10",
            "all:a0",
            "all:c0",
            "all:d-5",
            "mixin+1000",
            "curie+1",
            "curie-1"
        ]
    );
}

/// §1 trigger step 4: nested messages that are frozen are skipped (and so is everything inside
/// them); the unfrozen ones still get their hooks.
#[tokio::test]
async fn frozen_nested_messages_are_skipped() {
    let seen: Seen = Arc::default();
    let pbjx = recording_builder(&seen, &[Stage::Bind]).build().unwrap();
    let mut inner = HealthCheckedV1::new()
        .with_ctx_app(AppV1::new().with_name("inner").unwrap())
        .unwrap();
    inner.freeze();
    let mut message = EventExecutionFailedV1::new()
        .with_ctx_cloud(CloudV1::new().with_provider("aws").unwrap())
        .unwrap()
        .with_event(inner)
        .unwrap();
    pbjx.trigger(&mut message, Stage::Bind, true).await.unwrap();
    let curies: Vec<(String, usize)> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, _, d, c)| (c.clone(), *d))
        .collect();
    assert!(
        curies.iter().all(|(c, _)| c != HC && c != APP),
        "{curies:?}"
    );
    assert_eq!(
        curies.iter().filter(|(c, d)| c == CLOUD && *d == 1).count(),
        3
    );
    assert_eq!(
        curies.iter().filter(|(c, d)| c == EEF && *d == 0).count(),
        7
    );
}

/// §1 trigger with `recursive = false`: only the message itself.
#[tokio::test]
async fn non_recursive_trigger_skips_nested_messages() {
    let seen: Seen = Arc::default();
    let pbjx = recording_builder(&seen, &[CUSTOM]).build().unwrap();
    let mut message = failed_event_with_nested();
    pbjx.trigger(&mut message, CUSTOM, false).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 7);
    assert!(
        seen.iter()
            .all(|(_, stage, depth, curie)| stage == "custom" && *depth == 0 && curie == EEF)
    );
}

fn nest(depth: usize) -> EventExecutionFailedV1 {
    // depth 1: EEF(event=HC); depth n: EEF(event=nest(n-1)).
    let mut message = EventExecutionFailedV1::new()
        .with_event(HealthCheckedV1::new())
        .unwrap();
    for _ in 1..depth {
        message = EventExecutionFailedV1::new().with_event(message).unwrap();
    }
    message
}

/// §1 trigger step 3 and the `SimplePbjx` constructor: depth above `maxRecursion` →
/// `TooMuchRecursion` (code 3); maxRecursion is clamped to [2, 10].
#[tokio::test]
async fn recursion_limit() {
    let build = |max: usize| {
        Pbjx::builder()
            .max_recursion(max)
            .hook(Stage::Bind, Selector::all(), |_| Ok(()))
            .build()
            .unwrap()
    };

    // Root at depth 0, innermost HealthChecked at depth 3.
    let err = build(2)
        .trigger(&mut nest(3), Stage::Bind, true)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::TooMuchRecursion { max: 2, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), Code::InvalidArgument);

    // The lifecycle and publish stop with the same error.
    let pbjx = build(2);
    assert!(matches!(
        pbjx.trigger_lifecycle(&mut nest(3)).await,
        Err(Error::TooMuchRecursion { .. })
    ));
    assert!(matches!(
        pbjx.publish(nest(3)).await,
        Err(Error::TooMuchRecursion { .. })
    ));

    // Depth 2 is fine with max 2, and max 1 is clamped up to 2.
    build(2)
        .trigger(&mut nest(2), Stage::Bind, true)
        .await
        .unwrap();
    build(1)
        .trigger(&mut nest(2), Stage::Bind, true)
        .await
        .unwrap();
    assert!(
        build(1)
            .trigger(&mut nest(3), Stage::Bind, true)
            .await
            .is_err()
    );
    // The default (10) allows depth 3, and 11 is clamped down to 10.
    Pbjx::builder()
        .hook(Stage::Bind, Selector::all(), |_| Ok(()))
        .build()
        .unwrap()
        .trigger(&mut nest(3), Stage::Bind, true)
        .await
        .unwrap();
    build(11)
        .trigger(&mut nest(10), Stage::Bind, true)
        .await
        .unwrap();
    assert!(matches!(
        build(11).trigger(&mut nest(11), Stage::Bind, true).await,
        Err(Error::TooMuchRecursion { max: 10, .. })
    ));
}

/// §1 trigger step 1, typed: a malformed or undeclared custom stage is an invalid argument
/// (the original's empty-suffix error); the dot-trimmed string form parses to the built-in.
#[tokio::test]
async fn trigger_rejects_malformed_and_undeclared_stages() {
    let pbjx = Pbjx::builder().declare_stage(CUSTOM).build().unwrap();
    for stage in [
        Stage::custom(""),
        Stage::custom("."),
        Stage::custom("Custom"),
        Stage::custom("bind"),
        Stage::custom("undeclared"),
    ] {
        let err = pbjx
            .trigger(&mut CheckHealthV1::new(), stage.clone(), true)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{stage:?}: {err:?}"
        );
        assert_eq!(err.code(), Code::InvalidArgument);
    }
    for name in ["", ".", "..", "..."] {
        assert!(name.parse::<Stage>().is_err(), "{name:?}");
    }
    pbjx.trigger(&mut CheckHealthV1::new(), CUSTOM, true)
        .await
        .unwrap();
    assert_eq!(".bind.".parse::<Stage>().unwrap(), Stage::Bind);
}

/// §1 triggerLifecycle: a frozen message is left alone.
#[tokio::test]
async fn trigger_lifecycle_skips_frozen_messages() {
    let seen: Seen = Arc::default();
    let pbjx = recording_builder(&seen, &[Stage::Bind, Stage::Validate, Stage::Enrich])
        .build()
        .unwrap();
    let mut message = failed_event_with_nested();
    message.freeze();
    pbjx.trigger_lifecycle(&mut message).await.unwrap();
    assert!(seen.lock().unwrap().is_empty());
}

/// §1 triggerLifecycle purpose: a validate hook error stops `send` with that error; enrich and
/// the handler never run.
#[tokio::test]
async fn validate_rejection_stops_send() {
    let handled = Arc::new(Mutex::new(0));
    let enriched = Arc::new(Mutex::new(0));
    let (h, e) = (handled.clone(), enriched.clone());
    let pbjx = Pbjx::builder()
        .hook(
            Stage::Validate,
            Selector::mixin_curie("gdbots:pbjx:mixin:command"),
            |event| {
                let msg = event
                    .message()
                    .data()
                    .get_single("msg")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned();
                if msg == "bad" {
                    return Err(Error::handler(
                        Code::PermissionDenied,
                        "NotAllowed",
                        "bad msg",
                    ));
                }
                Ok(())
            },
        )
        .hook(Stage::Enrich, Selector::all(), move |_| {
            *e.lock().unwrap() += 1;
            Ok(())
        })
        .command(move |_cmd: Arc<CheckHealthV1>, _pbjx| {
            let h = h.clone();
            async move {
                *h.lock().unwrap() += 1;
                Ok(())
            }
        })
        .build()
        .unwrap();
    let err = pbjx
        .send(CheckHealthV1::new().with_msg("bad").unwrap())
        .await
        .unwrap_err();
    match &err {
        Error::Handler {
            code,
            name,
            message,
            ..
        } => {
            assert_eq!(
                (*code, name.as_str(), message.as_str()),
                (Code::PermissionDenied, "NotAllowed", "bad msg")
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        (*handled.lock().unwrap(), *enriched.lock().unwrap()),
        (0, 0)
    );

    pbjx.send(CheckHealthV1::new().with_msg("good").unwrap())
        .await
        .unwrap();
    assert_eq!(
        (*handled.lock().unwrap(), *enriched.lock().unwrap()),
        (1, 1)
    );
}

/// §1 triggerLifecycle: bind writes (unfrozen message, mutable) are visible to the handler, which
/// gets the frozen message after enrich; hooks on nested messages may mutate them too.
#[tokio::test]
async fn bind_mutations_reach_the_frozen_message() {
    let got = Arc::new(Mutex::new(None::<(String, String, bool, String)>));
    let g = got.clone();
    let pbjx = Pbjx::builder()
        .hook(
            Stage::Bind,
            Selector::mixin_curie("gdbots:pbjx:mixin:command"),
            |event| {
                assert!(!event.message().is_frozen());
                event
                    .message_mut()
                    .expect("mutable during bind")
                    .data_mut()
                    .set("ctx_ip", "10.0.0.1")?;
                Ok(())
            },
        )
        .hook(Stage::Bind, Selector::curie(APP), |event| {
            assert_eq!(event.depth(), 1);
            assert!(!event.is_root());
            event
                .message_mut()
                .expect("nested is mutable")
                .data_mut()
                .set("name", "bound-app")?;
            Ok(())
        })
        .hook(
            Stage::Enrich,
            Selector::curie("gdbots:pbjx:command:check-health:v1"),
            |event| {
                assert!(event.is_root());
                let ip = event
                    .message()
                    .data()
                    .get_single("ctx_ip")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                event
                    .message_mut()
                    .unwrap()
                    .data_mut()
                    .set("msg", format!("enriched after {}", ip.unwrap_or_default()))?;
                Ok(())
            },
        )
        .command(move |cmd: Arc<CheckHealthV1>, _pbjx| {
            let g = g.clone();
            async move {
                let app = cmd
                    .ctx_app()
                    .and_then(|m| m.data().get_single("name"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                *g.lock().unwrap() = Some((
                    cmd.ctx_ip().unwrap_or("").to_owned(),
                    cmd.msg().unwrap_or("").to_owned(),
                    cmd.is_frozen() && cmd.ctx_app().is_some_and(|a| a.is_frozen()),
                    app.to_owned(),
                ));
                Ok(())
            }
        })
        .build()
        .unwrap();
    pbjx.send(
        CheckHealthV1::new()
            .with_ctx_app(AppV1::new().with_name("app").unwrap())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        got.lock().unwrap().clone(),
        Some((
            "10.0.0.1".to_owned(),
            "enriched after 10.0.0.1".to_owned(),
            true,
            "bound-app".to_owned()
        ))
    );
}

/// `send`, `publish` and `request` take an `Arc<dyn Message>` too. One nobody else holds runs
/// its lifecycle in place; one the caller still holds is copied first, so the caller's message
/// is neither bound nor frozen by the exchange; a frozen one is delivered as it is.
#[tokio::test]
async fn shared_messages_are_copied_before_the_lifecycle() {
    let handled = Arc::new(Mutex::new(Vec::<(String, bool)>::new()));
    let h = handled.clone();
    let pbjx = Pbjx::builder()
        .hook(Stage::Bind, Selector::curie(HC), |event| {
            if let Some(message) = event.message_mut() {
                message.data_mut().set("ctx_ip", "10.0.0.1")?;
            }
            Ok(())
        })
        .subscribe(move |event: Arc<HealthCheckedV1>, _pbjx| {
            let h = h.clone();
            async move {
                let ip = event.ctx_ip().unwrap_or("-").to_owned();
                h.lock().unwrap().push((ip, event.is_frozen()));
                Ok(())
            }
        })
        .build()
        .unwrap();

    let kept: Arc<dyn Message> = Arc::new(HealthCheckedV1::new().with_msg("kept").unwrap());
    pbjx.publish(kept.clone()).await.unwrap();
    assert!(!kept.is_frozen(), "the caller's copy was frozen");
    assert_eq!(
        kept.data().get_single("ctx_ip"),
        None,
        "the caller's copy was bound"
    );

    let given: Arc<dyn Message> = Arc::new(HealthCheckedV1::new().with_msg("given").unwrap());
    pbjx.publish(given).await.unwrap();

    let mut frozen = HealthCheckedV1::new().with_msg("frozen").unwrap();
    frozen.freeze();
    let frozen: Arc<dyn Message> = Arc::new(frozen);
    pbjx.publish(frozen.clone()).await.unwrap();
    assert_eq!(frozen.data().get_single("ctx_ip"), None);

    assert_eq!(
        handled.lock().unwrap().clone(),
        vec![
            ("10.0.0.1".to_owned(), true),
            ("10.0.0.1".to_owned(), true),
            ("-".to_owned(), true),
        ]
    );

    // A shared command is sealed on a copy, also when its delivery then fails.
    let command: Arc<dyn Message> = Arc::new(CheckHealthV1::new());
    let err = pbjx.send(command.clone()).await.unwrap_err();
    assert!(matches!(err, Error::HandlerNotFound { .. }), "{err:?}");
    assert!(!command.is_frozen());
}

/// Required fields missing → `Error::Invalid` (code 3) naming every field path, nested ones
/// included; no handler runs.
#[tokio::test]
async fn missing_required_fields_are_invalid() {
    let pbjx = Pbjx::builder()
        .subscribe_to("*", |_event, _pbjx| async move {
            panic!("an invalid event must not be delivered")
        })
        .build()
        .unwrap();
    let message = EventExecutionFailedV1::empty()
        .with_event(HealthCheckedV1::empty())
        .unwrap();
    let err = pbjx.publish(message).await.unwrap_err();
    let Error::Invalid { schema, violations } = &err else {
        panic!("unexpected {err:?}")
    };
    assert_eq!(schema, "pbj:gdbots:pbjx:event:event-execution-failed:1-0-1");
    let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    // `event_id` is the only required field of the event mixin (`occurred_at` is optional).
    assert_eq!(fields, ["event_id", "event.event_id"]);
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.to_string().contains("event.event_id"), "{err}");
}

/// A hook on a nested message failing stops the lifecycle before the parent's hooks.
#[tokio::test]
async fn nested_hook_error_stops_the_parent() {
    let parent_seen = Arc::new(Mutex::new(false));
    let p = parent_seen.clone();
    let pbjx = Pbjx::builder()
        .hook(Stage::Bind, Selector::curie(APP), |_| {
            Err(Error::handler(Code::InvalidArgument, "BadApp", "no"))
        })
        .hook(Stage::Bind, Selector::curie(EEF), move |_| {
            *p.lock().unwrap() = true;
            Ok(())
        })
        .build()
        .unwrap();
    let err = pbjx
        .trigger(&mut failed_event_with_nested(), Stage::Bind, true)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "BadApp");
    assert!(!*parent_seen.lock().unwrap());
}

/// What async hooks record: `label:selector`.
type AsyncSeen = Mutex<Vec<String>>;

/// Async closures are hooks: they run in the same order as sync hooks (priority within one
/// selector name, names in dispatch order), can hold the event across `.await` and mutate the
/// message, and reach shared data through the builder's state.
#[tokio::test]
async fn async_closure_hook_runs_in_priority_order() {
    let seen = Arc::new(AsyncSeen::default());
    let pbjx = Pbjx::builder()
        .with_shared_state(seen.clone())
        .async_hook(
            Stage::Bind,
            Selector::mixin_curie("gdbots:pbjx:mixin:command"),
            async |event| {
                tokio::task::yield_now().await;
                let label = format!("async0:{}", event.selector());
                event.state().lock().unwrap().push(label);
                Ok(())
            },
        )
        .hook(Stage::Bind, Selector::all(), |event| {
            event.state().lock().unwrap().push("sync0:all".into());
            Ok(())
        })
        .async_hook_with_priority(Stage::Bind, Selector::all(), 5, async |event| {
            tokio::task::yield_now().await;
            let message = event.message_mut().expect("mutable during bind");
            message.data_mut().set("msg", "from async hook")?;
            tokio::task::yield_now().await;
            event.state().lock().unwrap().push("async5:all".into());
            Ok(())
        })
        .async_hook_with_priority(Stage::Bind, Selector::all(), -5, record_async)
        .build()
        .unwrap();
    let mut command = CheckHealthV1::new();
    pbjx.trigger_lifecycle(&mut command).await.unwrap();
    assert_eq!(command.msg(), Some("from async hook"));
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "async5:all",
            "sync0:all",
            "fn-5:gdbots_pbjx.message",
            "async0:gdbots:pbjx:mixin:command",
        ]
    );
}

/// A named `async fn` works as a hook too.
async fn record_async(event: &mut PbjxEvent<'_, AsyncSeen>) -> pbjx::Result<()> {
    tokio::task::yield_now().await;
    let label = format!("fn-5:{}", event.selector());
    event.state().lock().unwrap().push(label);
    Ok(())
}

/// An async hook error stops the exchange like a sync one: later hooks and the handler do
/// not run.
#[tokio::test]
async fn async_hook_error_stops_send() {
    let seen = Arc::new(AsyncSeen::default());
    let pbjx = Pbjx::builder()
        .with_shared_state(seen.clone())
        .async_hook(Stage::Validate, Selector::all(), async |_event| {
            tokio::task::yield_now().await;
            Err(Error::handler(Code::PermissionDenied, "Denied", "no"))
        })
        .on_enrich(Selector::all(), |event| {
            event.state().lock().unwrap().push("enrich".into());
            Ok(())
        })
        .command(
            |_c: Arc<CheckHealthV1>, _p, seen: Arc<AsyncSeen>| async move {
                seen.lock().unwrap().push("handled".into());
                Ok(())
            },
        )
        .build()
        .unwrap();
    let err = pbjx.send(CheckHealthV1::new()).await.unwrap_err();
    assert_eq!(
        (err.code(), err.name()),
        (Code::PermissionDenied, "Denied".into())
    );
    assert!(seen.lock().unwrap().is_empty());
}

/// `on_bind` / `on_validate` / `on_enrich` are `hook(Stage::Bind | Validate | Enrich, ..)`.
#[tokio::test]
async fn stage_shortcuts_register_for_their_stage() {
    let seen: Seen = Arc::default();
    let pbjx = Pbjx::builder()
        .on_enrich(Selector::all(), recorder(&seen))
        .on_validate(Selector::all(), recorder(&seen))
        .on_bind(Selector::all(), recorder(&seen))
        .build()
        .unwrap();
    pbjx.trigger_lifecycle(&mut CheckHealthV1::new())
        .await
        .unwrap();
    let stages: Vec<String> = seen.lock().unwrap().iter().map(|e| e.1.clone()).collect();
    assert_eq!(stages, ["bind", "validate", "enrich"]);
}

fn registration_error<S: Send + Sync + 'static>(builder: PbjxBuilder<S>) -> String {
    match builder.build() {
        Err(Error::Registration { message }) => message,
        Err(other) => panic!("unexpected {other:?}"),
        Ok(_) => panic!("build should fail"),
    }
}

/// A hook for a custom stage nobody declared would never run: `build` rejects it, naming the
/// stage; declaring it makes the same registration valid.
#[test]
fn unknown_stage_suffix_is_rejected_at_build() {
    let message = registration_error(Pbjx::builder().hook(
        Stage::custom("valdiate"),
        Selector::all(),
        |_| Ok(()),
    ));
    assert!(
        message.contains("custom stage [valdiate] is not declared"),
        "{message}"
    );
    Pbjx::builder()
        .declare_stage(Stage::custom("valdiate"))
        .hook(Stage::custom("valdiate"), Selector::all(), |_| Ok(()))
        .build()
        .unwrap();
}

/// Malformed custom stages, a custom stage spelling a built-in one, and declaring a built-in
/// stage are registration errors; every problem is reported at once.
#[test]
fn invalid_custom_stages_are_rejected_at_build() {
    let message = registration_error(
        Pbjx::builder()
            .declare_stage(Stage::custom("Has Space"))
            .declare_stage(Stage::Bind)
            .hook(Stage::custom("validate"), Selector::all(), |_| Ok(()))
            .hook(Stage::custom(".bind."), Selector::all(), |_| Ok(()))
            .hook(Stage::custom(""), Selector::all(), |_| Ok(())),
    );
    for expected in [
        "custom stage [Has Space] is not valid",
        "Stage::Bind is built in and needs no declaration",
        "custom stage [validate] is the built-in Stage::Validate",
        "custom stage [.bind.] is not valid",
        "custom stage [] is not valid",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
}

/// Hooks only run on event names built from curies: a wildcard or malformed selector, or a
/// mixin selector on a message curie (and the reverse), can never match and is rejected.
#[test]
fn wildcard_and_malformed_hook_selectors_are_rejected_at_build() {
    let message = registration_error(
        Pbjx::builder()
            .on_bind(Selector::curie("*"), |_| Ok(()))
            .on_bind(Selector::curie("gdbots:pbjx:*"), |_| Ok(()))
            .on_bind(
                Selector::mixin_curie("gdbots:pbjx:command:check-health"),
                |_| Ok(()),
            )
            .on_bind(Selector::curie("gdbots:pbjx:mixin:command:v1"), |_| Ok(())),
    );
    for expected in [
        "hook selector [*] is not a curie or curie major",
        "hook selector [gdbots:pbjx:*] is not a curie or curie major",
        "hook selector [gdbots:pbjx:command:check-health] is not a mixin",
        "hook selector [gdbots:pbjx:mixin:command:v1] is a mixin",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
}

/// Stand-in for the marker pbjc generates for `gdbots:pbjx:mixin:command`.
struct CommandMixin;

impl pbjx::pbj::Mixin for CommandMixin {
    const CURIE: &'static str = "gdbots:pbjx:mixin:command";
    const CURIE_MAJOR: &'static str = "gdbots:pbjx:mixin:command:v1";
}

/// `Selector::mixin::<M>()` selects every message using the mixin (at the mixin's curie-major
/// position in the dispatch order) and nothing else; `Selector::of::<T>()` selects one message
/// type at its curie-major position.
#[tokio::test]
async fn typed_mixin_selector_matches_users() {
    let seen: Seen = Arc::default();
    let pbjx = Pbjx::builder()
        .on_bind(
            Selector::curie("gdbots:pbjx:command:check-health"),
            recorder(&seen),
        )
        .on_bind(Selector::of::<CheckHealthV1>(), recorder(&seen))
        .on_bind(
            Selector::mixin_curie("gdbots:pbjx:mixin:command"),
            recorder(&seen),
        )
        .on_bind(Selector::mixin::<CommandMixin>(), recorder(&seen))
        .on_bind(Selector::of::<HealthCheckedV1>(), recorder(&seen))
        .build()
        .unwrap();
    pbjx.trigger(&mut CheckHealthV1::new(), Stage::Bind, false)
        .await
        .unwrap();
    let names: Vec<String> = seen.lock().unwrap().iter().map(|e| e.0.clone()).collect();
    assert_eq!(
        names,
        [
            "gdbots:pbjx:mixin:command:v1",
            "gdbots:pbjx:mixin:command",
            "gdbots:pbjx:command:check-health:v1",
            "gdbots:pbjx:command:check-health",
        ]
    );
    // An event does not use the command mixin: only its own typed selector runs.
    seen.lock().unwrap().clear();
    pbjx.trigger(&mut HealthCheckedV1::new(), Stage::Bind, false)
        .await
        .unwrap();
    let names: Vec<String> = seen.lock().unwrap().iter().map(|e| e.0.clone()).collect();
    assert_eq!(names, ["gdbots:pbjx:event:health-checked:v1"]);
}
