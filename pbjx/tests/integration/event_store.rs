//! The event store through the exchange: `Pbjx::put_events` runs the lifecycle, and
//! [`TwoPhaseCommitEventStore`] publishes after appending (pbjx-features.md §5).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pbjx::event_store::{
    EventStore, ExpectedState, InMemoryEventStore, SliceQuery, StreamId, TwoPhaseCommitEventStore,
};
use pbjx::pbj::Message;
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::testkit::event_store as conformance;
use pbjx::{Error, Pbjx, PbjxEvent, Selector, Stage};

fn stream(s: &str) -> StreamId {
    StreamId::parse(s).expect("valid stream id")
}

/// `Pbjx::put_events` runs bind/validate/enrich on the unfrozen events, freezes them and
/// appends them; the store reads them back.
#[tokio::test]
async fn pbjx_put_events_runs_the_lifecycle() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut builder = Pbjx::builder().event_store(InMemoryEventStore::new());
    for stage in [Stage::Bind, Stage::Validate, Stage::Enrich] {
        let seen = seen.clone();
        builder = builder.hook(
            stage,
            Selector::mixin_curie("gdbots:pbjx:mixin:event"),
            move |event: &mut PbjxEvent<'_>| {
                seen.lock().unwrap().push(event.stage().to_string());
                if event.stage() == &Stage::Enrich {
                    let message = event.message_mut().expect("unfrozen during the lifecycle");
                    message.data_mut().set("msg", "enriched")?;
                }
                Ok(())
            },
        );
    }
    let pbjx = builder.build().unwrap();
    let id = stream("acme:health:1");
    let appended = pbjx
        .put_events(
            &id,
            vec![
                Box::new(HealthCheckedV1::new()),
                Box::new(HealthCheckedV1::new()),
            ],
            ExpectedState::NoStream,
        )
        .await
        .unwrap();
    assert_eq!((appended.first_sequence, appended.last_sequence), (1, 2));
    assert_eq!(
        *seen.lock().unwrap(),
        ["bind", "validate", "enrich", "bind", "validate", "enrich"]
    );
    let slice = pbjx
        .event_store()
        .unwrap()
        .get_stream_slice(&id, SliceQuery::default())
        .await
        .unwrap();
    assert_eq!(slice.events.len(), 2);
    for stored in &slice.events {
        assert!(stored.event.is_frozen());
        let event = stored.event.downcast_ref::<HealthCheckedV1>().unwrap();
        assert_eq!(event.msg(), Some("enriched"));
    }

    // the optimistic check still applies through the exchange
    let err = pbjx
        .put_events(
            &id,
            vec![Box::new(HealthCheckedV1::new())],
            ExpectedState::NoStream,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::OptimisticCheckFailed { .. }),
        "{err:?}"
    );
    // a command is not an event
    let err = pbjx
        .put_events(
            &id,
            vec![Box::new(CheckHealthV1::new())],
            ExpectedState::Any,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WrongMessageKind { .. }), "{err:?}");
}

/// Without an event store, `put_events` is `NotConfigured`.
#[tokio::test]
async fn pbjx_without_event_store() {
    let pbjx = Pbjx::builder().build().unwrap();
    let err = pbjx
        .put_events(
            &stream("acme:health"),
            vec![Box::new(HealthCheckedV1::new())],
            ExpectedState::Any,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotConfigured { .. }), "{err:?}");
}

fn counting_pbjx(
    store: TwoPhaseCommitEventStore<InMemoryEventStore>,
) -> (Pbjx, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let pbjx = Pbjx::builder()
        .event_store(store)
        .subscribe(move |e: Arc<HealthCheckedV1>, _p| {
            let s = s.clone();
            async move {
                s.lock()
                    .unwrap()
                    .push(e.msg().unwrap_or_default().to_owned());
                Ok(())
            }
        })
        .build()
        .unwrap();
    (pbjx, seen)
}

/// The two-phase decorator publishes each appended event in order, and nothing when the
/// append fails.
#[tokio::test]
async fn two_phase_commit_publishes_after_append() {
    let (pbjx, seen) = counting_pbjx(TwoPhaseCommitEventStore::new(InMemoryEventStore::new()));
    let id = stream("acme:two-phase");
    let events: Vec<Box<dyn Message>> = (0..3)
        .map(|i| Box::new(HealthCheckedV1::new().with_msg(format!("e{i}")).unwrap()) as _)
        .collect();
    pbjx.put_events(&id, events, ExpectedState::NoStream)
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), ["e0", "e1", "e2"]);

    // failed append: nothing published
    let err = pbjx
        .put_events(
            &id,
            vec![Box::new(HealthCheckedV1::new().with_msg("lost").unwrap())],
            ExpectedState::Sequence(1),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OptimisticCheckFailed { .. }));
    assert_eq!(seen.lock().unwrap().len(), 3);
    let stored = pbjx
        .event_store()
        .unwrap()
        .get_stream_slice(&id, SliceQuery::default())
        .await
        .unwrap();
    assert_eq!(stored.events.len(), 3);
}

/// Disabled (imports, replays): appends without publishing.
#[tokio::test]
async fn two_phase_commit_disabled() {
    let store = TwoPhaseCommitEventStore::new(InMemoryEventStore::new());
    store.set_disabled(true);
    let (pbjx, seen) = counting_pbjx(store);
    pbjx.put_events(
        &stream("acme:two-phase"),
        vec![Box::new(HealthCheckedV1::new())],
        ExpectedState::Any,
    )
    .await
    .unwrap();
    assert!(seen.lock().unwrap().is_empty());
}

/// A publishing failure after a successful append is reported as `NotPublished` carrying the
/// sequence numbers; the append stays.
#[tokio::test]
async fn two_phase_commit_reports_publish_failures() {
    let store = TwoPhaseCommitEventStore::new(InMemoryEventStore::new());
    let pbjx = Pbjx::builder().build().unwrap();
    store.attach_to(&pbjx);
    drop(pbjx); // the exchange is gone: publishing fails
    let id = stream("acme:two-phase");
    let mut event = HealthCheckedV1::new();
    event.freeze();
    let event_id = event.event_id().unwrap().to_owned();
    let err = store
        .put_events(&id, vec![Arc::new(event)], ExpectedState::Any)
        .await
        .unwrap_err();
    match err {
        Error::NotPublished {
            appended, failures, ..
        } => {
            assert_eq!((appended.first_sequence, appended.last_sequence), (1, 1));
            assert_eq!(failures.len(), 1);
            assert_eq!(failures[0].0, event_id);
        }
        other => panic!("expected NotPublished, got {other:?}"),
    }
    assert_eq!(store.inner().len(), 1, "the append is not undone");
}

/// The decorator passes the shared conformance suite (publishing to an exchange with one
/// counting subscriber: every appended event is published exactly once).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_phase_commit_conformance() {
    let published = Arc::new(AtomicUsize::new(0));
    let p = published.clone();
    let pbjx = Pbjx::builder()
        .event_store(TwoPhaseCommitEventStore::new(InMemoryEventStore::new()))
        .subscribe(move |_e: Arc<HealthCheckedV1>, _p| {
            let p = p.clone();
            async move {
                p.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .build()
        .unwrap();
    let store: Arc<dyn EventStore> = pbjx.event_store().unwrap().clone();
    conformance::run_all(store.clone()).await;
    let mut stored = 0;
    let mut all = store.pipe_all_events(None, None);
    while let Some(item) = std::future::poll_fn(|cx| all.as_mut().poll_next(cx)).await {
        if item.unwrap().event.schema().id.contains("health-checked") {
            stored += 1;
        }
    }
    // deleted events were published too: at least every stored health-checked event
    assert!(published.load(Ordering::SeqCst) >= stored && stored > 0);
}
