//! `copy_context` (pbjx-features.md §1 "copyContext", §10 pbjx-js "Pbjx.copyContext").

use pbjx::pbj::{Message, MessageRef};
use pbjx::schemas::gdbots::contexts::{AppV1, CloudV1};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::{Pbjx, context};

fn pbjx() -> Pbjx {
    Pbjx::builder().build().unwrap()
}

fn full_command() -> CheckHealthV1 {
    let user = MessageRef::parse("acme:iam:node:user:123").unwrap();
    let correlator = MessageRef::parse("acme:blog:command:publish-article:abc").unwrap();
    CheckHealthV1::new()
        .with_ctx_app(
            AppV1::new()
                .with_vendor("gdbots")
                .unwrap()
                .with_name("pbjx")
                .unwrap(),
        )
        .unwrap()
        .with_ctx_cloud(
            CloudV1::new()
                .with_provider("aws")
                .unwrap()
                .with_region("us-west-2")
                .unwrap(),
        )
        .unwrap()
        .with_ctx_correlator_ref(correlator)
        .unwrap()
        .with_ctx_user_ref(user)
        .unwrap()
        .with_ctx_ip("10.0.0.1")
        .unwrap()
        .with_ctx_ipv6("2001:db8::1")
        .unwrap()
        .with_ctx_ua("test-runner")
        .unwrap()
        .with_ctx_tenant_id("tenant1")
        .unwrap()
        .with_ctx_msg("a note")
        .unwrap()
}

/// Address of the `ctx_app` / `ctx_cloud` value, to prove copies are new instances.
fn address<M: ?Sized>(message: Option<&M>) -> usize {
    message
        .map(|m| m as *const M as *const u8 as usize)
        .unwrap_or(0)
}

/// §10 pbjx-js "Pbjx.copyContext" (EchoRequest → EchoRequest): causator ref = from's ref;
/// ctx_app / ctx_cloud equal when serialized but different instances; correlator, user ref,
/// ip, ua copied (the request mixin has no ctx_msg).
#[test]
fn pbjx_js_copy_context() {
    let user = MessageRef::parse("acme:iam:node:user:123").unwrap();
    let from = EchoRequestV1::new()
        .with_ctx_app(
            AppV1::new()
                .with_vendor("gdbots")
                .unwrap()
                .with_name("pbjx")
                .unwrap(),
        )
        .unwrap()
        .with_ctx_cloud(
            CloudV1::new()
                .with_provider("aws")
                .unwrap()
                .with_region("us-west-2")
                .unwrap(),
        )
        .unwrap()
        .with_ctx_correlator_ref(user.clone())
        .unwrap()
        .with_ctx_user_ref(user.clone())
        .unwrap()
        .with_ctx_ip("10.0.0.1")
        .unwrap()
        .with_ctx_ua("test-runner")
        .unwrap();
    let mut to = EchoRequestV1::new();
    pbjx().copy_context(&from, &mut to).unwrap();
    assert_eq!(
        to.ctx_causator_ref(),
        Some(&from.generate_message_ref(None))
    );
    assert_eq!(
        to.ctx_app().unwrap().to_json(),
        from.ctx_app().unwrap().to_json()
    );
    assert_ne!(address(to.ctx_app()), address(from.ctx_app()));
    assert_eq!(
        to.ctx_cloud().unwrap().to_json(),
        from.ctx_cloud().unwrap().to_json()
    );
    assert_ne!(address(to.ctx_cloud()), address(from.ctx_cloud()));
    assert_eq!(to.ctx_correlator_ref(), Some(&user));
    assert_eq!(to.ctx_user_ref(), Some(&user));
    assert_eq!(to.ctx_ip(), Some("10.0.0.1"));
    assert_eq!(to.ctx_ua(), Some("test-runner"));
}

/// §1 copyContext: every copied field (tenant, correlator, user ref, ip, ipv6, ua, msg) from a
/// frozen command to an event; the ctx_app / ctx_cloud copies are unfrozen even though `from`
/// is frozen.
#[test]
fn copy_context_from_frozen_command_to_event() {
    let mut from = full_command();
    from.freeze();
    let mut to = HealthCheckedV1::new();
    context::copy_context(&from, &mut to).unwrap();
    assert_eq!(
        to.ctx_causator_ref(),
        Some(&from.generate_message_ref(None))
    );
    assert_eq!(
        to.ctx_causator_ref().unwrap().curie(),
        "gdbots:pbjx:command:check-health"
    );
    assert_eq!(to.ctx_tenant_id(), Some("tenant1"));
    assert_eq!(to.ctx_correlator_ref(), from.ctx_correlator_ref());
    assert_eq!(to.ctx_user_ref(), from.ctx_user_ref());
    assert_eq!(to.ctx_ip(), Some("10.0.0.1"));
    assert_eq!(to.ctx_ipv6(), Some("2001:db8::1"));
    assert_eq!(to.ctx_ua(), Some("test-runner"));
    assert_eq!(to.ctx_msg(), Some("a note"));
    let app = to.ctx_app().unwrap();
    let cloud = to.ctx_cloud().unwrap();
    assert!(!app.is_frozen() && !cloud.is_frozen());
    assert_eq!(app.to_json(), from.ctx_app().unwrap().to_json());
    assert_eq!(cloud.to_json(), from.ctx_cloud().unwrap().to_json());
    // The copies are independent of the original.
    assert_ne!(address(to.ctx_app()), address(from.ctx_app()));
}

/// §1 copyContext: only fields `to` does not already have are set.
#[test]
fn existing_values_are_kept() {
    let from = full_command();
    let own_causator = MessageRef::parse("acme:blog:event:article-published:1").unwrap();
    let mut to = HealthCheckedV1::new()
        .with_ctx_tenant_id("mine")
        .unwrap()
        .with_ctx_causator_ref(own_causator.clone())
        .unwrap()
        .with_ctx_app(AppV1::new().with_name("own-app").unwrap())
        .unwrap()
        .with_ctx_ip("192.168.0.1")
        .unwrap();
    context::copy_context(&from, &mut to).unwrap();
    assert_eq!(to.ctx_tenant_id(), Some("mine"));
    assert_eq!(to.ctx_causator_ref(), Some(&own_causator));
    assert_eq!(
        to.ctx_app()
            .unwrap()
            .data()
            .get_single("name")
            .and_then(|v| v.as_str()),
        Some("own-app")
    );
    assert_eq!(to.ctx_ip(), Some("192.168.0.1"));
    // Absent ones are still copied.
    assert_eq!(to.ctx_ua(), Some("test-runner"));
    assert!(to.ctx_cloud().is_some());
}

/// §1 copyContext: a frozen `to` is left untouched (no error).
#[test]
fn frozen_target_is_untouched() {
    let from = full_command();
    let mut to = HealthCheckedV1::new();
    to.freeze();
    let before = to.to_json();
    pbjx().copy_context(&from, &mut to).unwrap();
    assert_eq!(to.to_json(), before);
    assert!(to.ctx_causator_ref().is_none());
}

/// §1 copyContext: only fields the `to` schema has — a response has no ctx_ip / ctx_app /
/// ctx_causator_ref, only tenant and correlator are copied.
#[test]
fn only_fields_of_the_target_schema() {
    let from = full_command();
    let mut to = EchoResponseV1::new();
    context::copy_context(&from, &mut to).unwrap();
    assert_eq!(to.ctx_tenant_id(), Some("tenant1"));
    assert_eq!(to.ctx_correlator_ref(), from.ctx_correlator_ref());
    assert!(!to.data().has("ctx_request_ref"));
}

/// §1 copyContext: nothing to copy from an empty source but the causator ref.
#[test]
fn empty_source_sets_only_the_causator() {
    let from = HealthCheckedV1::new();
    let mut to = CheckHealthV1::new();
    context::copy_context(&from, &mut to).unwrap();
    assert_eq!(
        to.ctx_causator_ref(),
        Some(&from.generate_message_ref(None))
    );
    for field in [
        "ctx_tenant_id",
        "ctx_app",
        "ctx_cloud",
        "ctx_ip",
        "ctx_ua",
        "ctx_msg",
        "ctx_user_ref",
    ] {
        assert!(!to.data().has(field), "{field}");
    }
}
