//! `Pbjx::describe`: the wiring of a built exchange (issue: a picture of the wiring).

use std::sync::Arc;

use pbjx::pbj::Message;
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::mixin::Command;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::{Pbjx, Selector, Stage};

async fn check_health(_command: Arc<CheckHealthV1>, _pbjx: Pbjx) -> pbjx::Result<()> {
    Ok(())
}

fn exchange() -> Pbjx {
    Pbjx::builder()
        .on_bind(Selector::mixin::<Command>(), |_event| Ok(()))
        .hook_with_priority(Stage::Validate, Selector::all(), 10, |_event| Ok(()))
        .on_validate(Selector::of::<CheckHealthV1>(), |_event| Ok(()))
        .command(check_health)
        .request(|request: Arc<EchoRequestV1>, _pbjx| async move {
            Ok(EchoResponseV1::new().with_msg(request.msg().unwrap_or_default())?)
        })
        .subscribe(|_event: Arc<HealthCheckedV1>, _pbjx| async { Ok(()) })
        .subscribe_to_with_priority("*", 7, |_event: Arc<dyn Message>, _pbjx| async { Ok(()) })
        .build()
        .expect("valid registrations")
}

#[test]
fn describe_lists_every_handler_subscriber_and_hook() {
    let pbjx = exchange();
    let wiring = pbjx.describe();
    assert_eq!(wiring.commands.len(), 1);
    assert_eq!(wiring.commands[0].curie, "gdbots:pbjx:command:check-health");
    assert!(
        wiring.commands[0].handler.starts_with(
            "integration::describe::check_health (pbjx/tests/integration/describe.rs:"
        ),
        "a function handler is named by its path and registration: {}",
        wiring.commands[0].handler
    );
    assert_eq!(wiring.requests[0].curie, "gdbots:pbjx:request:echo-request");
    let request = &wiring.requests[0].handler;
    assert!(request.starts_with(
        "integration::describe::exchange::{{closure}} (pbjx/tests/integration/describe.rs:"
    ));
    let hook_lines: Vec<&str> = wiring.hooks.iter().map(|h| h.hook.as_str()).collect();
    assert!(
        hook_lines.iter().all(|h| h.contains("describe.rs:")),
        "closures are told apart by where they were registered: {hook_lines:?}"
    );
    let subscribers: Vec<(&str, i32)> = wiring
        .subscribers
        .iter()
        .map(|s| (s.selector.as_str(), s.priority))
        .collect();
    assert_eq!(
        subscribers,
        [("*", 7), ("gdbots:pbjx:event:health-checked:v1", 0)]
    );
    let hooks: Vec<(&str, &str, i32)> = wiring
        .hooks
        .iter()
        .map(|h| (h.stage.as_str(), h.selector.as_str(), h.priority))
        .collect();
    assert_eq!(
        hooks,
        [
            ("bind", "gdbots:pbjx:mixin:command:v1", 0),
            ("validate", "gdbots:pbjx:command:check-health:v1", 0),
            ("validate", "gdbots_pbjx.message", 10),
        ]
    );
    assert_eq!(wiring.transport, "in_memory");
    assert!(wiring.services.is_empty());
}

#[test]
fn describe_renders_a_table_and_a_flowchart() {
    let pbjx = exchange();
    let table = pbjx.describe().to_table();
    // header + separator + 1 command + 1 request + 2 subscribers + 3 hooks + transport
    assert_eq!(table.lines().count(), 10, "{table}");
    assert_eq!(pbjx.describe().to_string(), table);
    let chart = pbjx.describe().to_mermaid();
    assert!(chart.starts_with("flowchart LR\n"), "{chart}");
    assert_eq!(
        chart.matches(" -->|").count(),
        7,
        "one edge per registration: {chart}"
    );
    assert!(chart.contains("|\"validate (10)\"|"), "{chart}");
}

#[test]
fn describe_names_the_configured_services() {
    let pbjx = Pbjx::builder()
        .event_store(pbjx::event_store::InMemoryEventStore::new())
        .build()
        .expect("valid registrations");
    assert_eq!(pbjx.describe().services, ["event_store"]);
}
