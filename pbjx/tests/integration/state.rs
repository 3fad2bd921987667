//! State injection (`PbjxBuilder::with_state`): handlers, request handlers, subscribers and
//! hooks receive the builder's state without capturing it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pbjx::pbj::Message;
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::{Pbjx, Selector, Stage};

/// The application state of these tests: a log of what ran.
#[derive(Default)]
struct App {
    log: Mutex<Vec<String>>,
}

impl App {
    fn push(&self, entry: impl Into<String>) {
        self.log.lock().unwrap().push(entry.into());
    }
    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

/// A command handler taking `Arc<S>` gets the builder's state (the same `Arc` every time);
/// two-argument handlers still work on a builder with state.
#[tokio::test]
async fn handler_receives_state() {
    let app = Arc::new(App::default());
    let pbjx = Pbjx::builder()
        .with_shared_state(app.clone())
        .command(
            |cmd: Arc<CheckHealthV1>, pbjx: Pbjx, app: Arc<App>| async move {
                app.push(format!("command:{}", cmd.msg().unwrap_or_default()));
                pbjx.publish(HealthCheckedV1::new().with_msg("done")?).await
            },
        )
        .subscribe(|event: Arc<HealthCheckedV1>, _pbjx| async move {
            assert_eq!(event.msg(), Some("done"));
            Ok(())
        })
        .build()
        .unwrap();
    pbjx.send(CheckHealthV1::new().with_msg("one").unwrap())
        .await
        .unwrap();
    pbjx.send(CheckHealthV1::new().with_msg("two").unwrap())
        .await
        .unwrap();
    assert_eq!(app.log(), ["command:one", "command:two"]);
}

/// Request handlers, typed subscribers, `subscribe_to` subscribers and sync hooks receive
/// the state too.
#[tokio::test]
async fn every_registration_kind_receives_state() {
    let app = Arc::new(App::default());
    let pbjx = Pbjx::builder()
        .with_shared_state(app.clone())
        .on_validate(Selector::of::<EchoRequestV1>(), |event| {
            event.state().push("hook");
            Ok(())
        })
        .request(|req: Arc<EchoRequestV1>, _pbjx, app: Arc<App>| async move {
            app.push("request");
            Ok(EchoResponseV1::new().with_msg(req.msg().unwrap_or_default())?)
        })
        .subscribe(
            |_event: Arc<HealthCheckedV1>, _pbjx, app: Arc<App>| async move {
                app.push("typed subscriber");
                Ok(())
            },
        )
        .subscribe_to(
            "*",
            |event: Arc<dyn Message>, _pbjx, app: Arc<App>| async move {
                app.push(format!("* subscriber:{}", event.schema().curie));
                Ok(())
            },
        )
        .build()
        .unwrap();
    let response = pbjx
        .request_as::<EchoResponseV1>(EchoRequestV1::new().with_msg("hi").unwrap())
        .await
        .unwrap();
    assert_eq!(response.msg(), Some("hi"));
    pbjx.publish(HealthCheckedV1::new()).await.unwrap();
    assert_eq!(
        app.log(),
        [
            "hook",
            "request",
            "typed subscriber",
            "* subscriber:gdbots:pbjx:event:health-checked"
        ]
    );
}

/// `with_state` applies to what is registered after it: earlier registrations keep their
/// state, so one exchange can serve components with different states.
#[tokio::test]
async fn later_state_does_not_replace_earlier() {
    let counter = Arc::new(AtomicUsize::new(0));
    let app = Arc::new(App::default());
    let pbjx = Pbjx::builder()
        .with_shared_state(counter.clone())
        .hook(Stage::Bind, Selector::all(), |event| {
            event.state().fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .with_shared_state(app.clone())
        .command(
            |_cmd: Arc<CheckHealthV1>, _pbjx, app: Arc<App>| async move {
                app.push("handled");
                Ok(())
            },
        )
        .build()
        .unwrap();
    pbjx.send(CheckHealthV1::new()).await.unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 1);
    assert_eq!(app.log(), ["handled"]);
}

/// A builder without `with_state` has the unit state; `with_state` takes ownership of a value.
#[tokio::test]
async fn owned_state_is_shared_by_all_handlers() {
    let pbjx = Pbjx::builder()
        .with_state(AtomicUsize::new(40))
        .on_bind(Selector::all(), |event| {
            event.state().fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .request(
            |_r: Arc<EchoRequestV1>, _pbjx, n: Arc<AtomicUsize>| async move {
                let n = n.fetch_add(1, Ordering::SeqCst) + 1;
                Ok(EchoResponseV1::new().with_msg(n.to_string())?)
            },
        )
        .build()
        .unwrap();
    let response = pbjx
        .request_as::<EchoResponseV1>(EchoRequestV1::new())
        .await
        .unwrap();
    // bind on the request (+1), then the handler (+1).
    assert_eq!(response.msg(), Some("42"));
}
