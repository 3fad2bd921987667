//! `request` and the request bus (pbjx-features.md §1 "request", §1 "What happens when no
//! handler exists", §2 GetResponseEvent / ResponseCreatedEvent, §3 "SimpleRequestBus",
//! §10 pbjx-php "SimpleRequestBusTest", §10 pbjx-js "Pbjx.request").

use std::sync::{Arc, Mutex};

use pbjx::pbj::{Message, MessageRef};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::request::{
    EchoRequestV1, EchoResponseV1, RequestFailedResponseV1,
};
use pbjx::{Code, Error, Pbjx, PbjxBuilder, PbjxEvent, Selector, Stage};

type Log = Arc<Mutex<Vec<String>>>;

fn logger(log: &Log) -> impl Fn(&mut PbjxEvent<'_>) -> pbjx::Result<()> + Send + Sync + 'static {
    let log = log.clone();
    move |event: &mut PbjxEvent<'_>| {
        let response = event
            .response()
            .map(|r| r.schema().curie.to_owned())
            .unwrap_or_else(|| "-".into());
        log.lock().unwrap().push(format!(
            "{}.{}:{}:response={response}",
            event.selector(),
            event.stage(),
            event.message().schema().curie
        ));
        Ok(())
    }
}

fn echo_builder(handled: &Arc<Mutex<usize>>) -> PbjxBuilder {
    let handled = handled.clone();
    Pbjx::builder().request(move |request: Arc<EchoRequestV1>, _pbjx| {
        let handled = handled.clone();
        async move {
            *handled.lock().unwrap() += 1;
            assert!(request.is_frozen());
            EchoResponseV1::new()
                .with_msg(request.msg().unwrap_or_default())
                .map_err(Error::from)
        }
    })
}

fn request_with_context() -> (EchoRequestV1, MessageRef) {
    let correlator = MessageRef::parse("acme:blog:command:publish-article:abc").unwrap();
    let request = EchoRequestV1::new()
        .with_msg("hello")
        .unwrap()
        .with_ctx_tenant_id("tenant1")
        .unwrap()
        .with_ctx_correlator_ref(correlator.clone())
        .unwrap();
    (request, correlator)
}

/// §1 request steps 3-7 + pbjx-js "Pbjx.request" (passing): the handler answers, the response
/// gets `ctx_request_ref`, `ctx_request`, `ctx_correlator_ref` and `ctx_tenant_id` from the
/// request, is returned unfrozen; `after_handle` runs on the request then `created` on the
/// response, both seeing the response (§2 order).
#[tokio::test]
async fn request_returns_the_handler_response() {
    let handled = Arc::new(Mutex::new(0));
    let log: Log = Arc::default();
    let pbjx = echo_builder(&handled)
        .hook(
            Stage::BeforeHandle,
            Selector::mixin_curie("gdbots:pbjx:mixin:request"),
            logger(&log),
        )
        .hook(
            Stage::AfterHandle,
            Selector::curie("gdbots:pbjx:request:echo-request"),
            logger(&log),
        )
        .hook(
            Stage::Created,
            Selector::mixin_curie("gdbots:pbjx:mixin:response"),
            logger(&log),
        )
        .hook(
            Stage::Created,
            Selector::curie("gdbots:pbjx:request:echo-response"),
            logger(&log),
        )
        .hook(Stage::Created, Selector::all(), |event| {
            assert!(
                event.message_mut().is_none(),
                "created hooks see the response, not mutably"
            );
            Ok(())
        })
        .build()
        .unwrap();
    let (request, correlator) = request_with_context();
    let request_ref = request.generate_message_ref(None);
    let response = pbjx.request_as::<EchoResponseV1>(request).await.unwrap();
    assert_eq!(response.msg(), Some("hello"));
    assert_eq!(response.ctx_request_ref(), Some(&request_ref));
    let ctx_request = response.ctx_request().unwrap();
    assert_eq!(ctx_request.generate_message_ref(None), request_ref);
    assert_eq!(
        ctx_request
            .data()
            .get_single("msg")
            .and_then(|v| v.as_str()),
        Some("hello")
    );
    assert_eq!(response.ctx_correlator_ref(), Some(&correlator));
    assert_eq!(response.ctx_tenant_id(), Some("tenant1"));
    assert!(!response.is_frozen());
    assert_eq!(*handled.lock().unwrap(), 1);
    assert_eq!(
        *log.lock().unwrap(),
        [
            "gdbots:pbjx:mixin:request.before_handle:gdbots:pbjx:request:echo-request:response=-",
            "gdbots:pbjx:request:echo-request.after_handle:gdbots:pbjx:request:echo-request:response=gdbots:pbjx:request:echo-response",
            "gdbots:pbjx:mixin:response.created:gdbots:pbjx:request:echo-response:response=gdbots:pbjx:request:echo-response",
            "gdbots:pbjx:request:echo-response.created:gdbots:pbjx:request:echo-response:response=gdbots:pbjx:request:echo-response",
        ]
    );
}

/// Without hooks the sealed request moves into the response's `ctx_request` (nobody holds it
/// once the handler is done); a request the handler kept is copied instead. Either way
/// `ctx_request` is the frozen request, field for field, and the kept one is untouched.
#[tokio::test]
async fn ctx_request_is_the_sealed_request_moved_or_copied() {
    let kept: Arc<Mutex<Vec<Arc<EchoRequestV1>>>> = Arc::default();
    let keep = kept.clone();
    let pbjx = Pbjx::builder()
        .request(move |request: Arc<EchoRequestV1>, _pbjx| {
            let keep = keep.clone();
            async move {
                let response = EchoResponseV1::new().with_msg(request.msg().unwrap_or_default())?;
                if request.msg() == Some("keep") {
                    keep.lock().unwrap().push(request);
                }
                Ok(response)
            }
        })
        .build()
        .unwrap();
    for msg in ["move", "keep"] {
        let (request, _) = request_with_context();
        let request = request.with_msg(msg).unwrap();
        let json = request.to_json();
        let response = pbjx.request_as::<EchoResponseV1>(request).await.unwrap();
        assert_eq!(response.msg(), Some(msg));
        let ctx_request = response.ctx_request().expect("ctx_request");
        assert!(ctx_request.is_frozen(), "{msg}");
        assert_eq!(ctx_request.to_json(), json, "{msg}");
        assert_eq!(response.ctx_tenant_id(), Some("tenant1"), "{msg}");
        if msg == "keep" {
            let kept = kept.lock().unwrap();
            assert_eq!(kept.len(), 1);
            assert_eq!(kept[0].to_json(), json);
            assert!(!std::ptr::addr_eq(&*kept[0], ctx_request), "a copy");
        }
    }
}

/// §1 request: the response the handler set keeps its own context values (filled only when
/// absent), and `request` (untyped) returns the same response.
#[tokio::test]
async fn response_context_is_only_filled_when_absent() {
    let pbjx = Pbjx::builder()
        .request(|_request: Arc<EchoRequestV1>, _pbjx| async move {
            Ok(EchoResponseV1::new().with_ctx_tenant_id("handler-tenant")?)
        })
        .build()
        .unwrap();
    let (request, correlator) = request_with_context();
    let response = pbjx.request(request).await.unwrap();
    let response = response.downcast_ref::<EchoResponseV1>().unwrap();
    // The request bus copies the request's tenant (receiveRequest), like the original.
    assert_eq!(response.ctx_tenant_id(), Some("tenant1"));
    assert_eq!(response.ctx_correlator_ref(), Some(&correlator));

    // Without tenant on the request, the handler's value stays.
    let response = pbjx
        .request_as::<EchoResponseV1>(EchoRequestV1::new())
        .await
        .unwrap();
    assert_eq!(response.ctx_tenant_id(), Some("handler-tenant"));
    assert_eq!(response.ctx_correlator_ref(), None);
}

/// §1 request step 2 / §2 GetResponseEvent: a `before_handle` hook answering with
/// `set_response` short-circuits: the handler is not called, no later before_handle hook, no
/// `after_handle` / `created`; the response still gets the request context (setResponse).
#[tokio::test]
async fn before_handle_can_answer_from_a_cache() {
    let handled = Arc::new(Mutex::new(0));
    let log: Log = Arc::default();
    let pbjx = echo_builder(&handled)
        .hook(Stage::BeforeHandle, Selector::all(), |event| {
            assert!(!event.has_response());
            event.set_response(Box::new(EchoResponseV1::new().with_msg("cached")?))?;
            assert!(event.has_response());
            // A second answer is refused ("Response can only be set one time.").
            let again = event.set_response(Box::new(EchoResponseV1::new()));
            assert!(matches!(again, Err(Error::InvalidArgument { .. })));
            Ok(())
        })
        .hook(
            Stage::BeforeHandle,
            Selector::curie("gdbots:pbjx:request:echo-request"),
            logger(&log),
        )
        .hook(Stage::AfterHandle, Selector::all(), logger(&log))
        .hook(Stage::Created, Selector::all(), logger(&log))
        .build()
        .unwrap();
    let (request, correlator) = request_with_context();
    let request_ref = request.generate_message_ref(None);
    let response = pbjx.request_as::<EchoResponseV1>(request).await.unwrap();
    assert_eq!(response.msg(), Some("cached"));
    assert_eq!(*handled.lock().unwrap(), 0);
    assert!(log.lock().unwrap().is_empty(), "{:?}", log.lock().unwrap());
    assert_eq!(response.ctx_request_ref(), Some(&request_ref));
    assert_eq!(
        response.ctx_request().map(|r| r.generate_message_ref(None)),
        Some(request_ref)
    );
    assert_eq!(response.ctx_correlator_ref(), Some(&correlator));
    assert_eq!(response.ctx_tenant_id(), Some("tenant1"));
}

/// §2 GetResponseEvent: only a request's before_handle can answer.
#[tokio::test]
async fn set_response_outside_request_before_handle_is_refused() {
    let pbjx = Pbjx::builder()
        .hook(Stage::Bind, Selector::all(), |event| {
            event.set_response(Box::new(EchoResponseV1::new()))
        })
        .build()
        .unwrap();
    let err = pbjx.request(EchoRequestV1::new()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");

    let pbjx = Pbjx::builder()
        .command(|_c: Arc<CheckHealthV1>, _p| async move { Ok(()) })
        .hook(Stage::BeforeHandle, Selector::all(), |event| {
            event.set_response(Box::new(EchoResponseV1::new()))
        })
        .build()
        .unwrap();
    let err = pbjx.send(CheckHealthV1::new()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
}

fn failed_response(err: &Error) -> &RequestFailedResponseV1 {
    match err {
        Error::RequestHandlingFailed { response } => {
            response.downcast_ref::<RequestFailedResponseV1>().unwrap()
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// §3 SimpleRequestBus + pbjx-js "Pbjx.request" (failing) + pbjx-php `testRequestHandlingFailed`:
/// a failing handler → `RequestHandlingFailed` carrying a `request-failed-response` (error code,
/// name, message, `ctx_request` whose msg is the request's, correlator, tenant); the error's
/// code is the response's; after_handle / created do not run.
#[tokio::test]
async fn failing_handler_gives_request_handling_failed() {
    let log: Log = Arc::default();
    let pbjx = Pbjx::builder()
        .request(|_request: Arc<EchoRequestV1>, _pbjx| async move {
            Err::<EchoResponseV1, _>(Error::handler(
                Code::PermissionDenied,
                "AccessDenied",
                "not yours",
            ))
        })
        .hook(Stage::AfterHandle, Selector::all(), logger(&log))
        .hook(Stage::Created, Selector::all(), logger(&log))
        .build()
        .unwrap();
    let (request, correlator) = request_with_context();
    let request_ref = request.generate_message_ref(None);
    let err = pbjx.request(request).await.unwrap_err();
    let response = failed_response(&err);
    assert_eq!(response.error_code(), Some(Code::PermissionDenied.value()));
    assert_eq!(response.error_name(), Some("AccessDenied"));
    assert_eq!(response.error_message(), Some("not yours"));
    assert_eq!(response.ctx_request_ref(), Some(&request_ref));
    assert_eq!(
        response
            .ctx_request()
            .unwrap()
            .data()
            .get_single("msg")
            .and_then(|v| v.as_str()),
        Some("hello")
    );
    assert_eq!(response.ctx_correlator_ref(), Some(&correlator));
    assert_eq!(response.ctx_tenant_id(), Some("tenant1"));
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(err.name(), "RequestHandlingFailed");
    let text = err.to_string();
    assert!(
        text.contains(&request_ref.to_string()) && text.contains("AccessDenied::7::not yours"),
        "{text}"
    );
    assert!(log.lock().unwrap().is_empty());

    // request_as fails the same way.
    assert!(matches!(
        pbjx.request_as::<EchoResponseV1>(EchoRequestV1::new())
            .await,
        Err(Error::RequestHandlingFailed { .. })
    ));
}

/// §1 "What happens when no handler exists" (request) + pbjx-js: no handler →
/// `RequestHandlingFailed` (code 12) whose response has error_code 12, error_name
/// `HandlerNotFound` and the request (msg) in `ctx_request`.
#[tokio::test]
async fn missing_handler_gives_request_handling_failed() {
    let log: Log = Arc::default();
    let pbjx = Pbjx::builder()
        .hook(Stage::AfterHandle, Selector::all(), logger(&log))
        .build()
        .unwrap();
    let err = pbjx
        .request(EchoRequestV1::new().with_msg("where").unwrap())
        .await
        .unwrap_err();
    let response = failed_response(&err);
    assert_eq!(response.error_code(), Some(12));
    assert_eq!(response.error_name(), Some("HandlerNotFound"));
    assert!(
        response
            .error_message()
            .unwrap()
            .contains("gdbots:pbjx:request:echo-request")
    );
    assert_eq!(
        response
            .ctx_request()
            .unwrap()
            .data()
            .get_single("msg")
            .and_then(|v| v.as_str()),
        Some("where")
    );
    assert_eq!(err.code(), Code::Unimplemented);
    assert!(log.lock().unwrap().is_empty());
}

/// A panicking request handler becomes a failed response (INTERNAL, `Panic`).
#[tokio::test]
async fn panicking_handler_gives_request_handling_failed() {
    let pbjx = Pbjx::builder()
        .request(|_request: Arc<EchoRequestV1>, _pbjx| async move {
            if true {
                panic!("request boom");
            }
            Ok(EchoResponseV1::new())
        })
        .build()
        .unwrap();
    let err = pbjx.request(EchoRequestV1::new()).await.unwrap_err();
    let response = failed_response(&err);
    assert_eq!(response.error_code(), Some(Code::Internal.value()));
    assert_eq!(response.error_name(), Some("Panic"));
    assert_eq!(response.error_message(), Some("request boom"));
}

/// §1 request step 6: an error in after_handle / created is returned to the caller.
#[tokio::test]
async fn created_hook_error_is_returned() {
    let handled = Arc::new(Mutex::new(0));
    let pbjx = echo_builder(&handled)
        .hook(
            Stage::Created,
            Selector::curie("gdbots:pbjx:request:echo-response"),
            |_| Err(Error::handler(Code::DataLoss, "CacheWriteFailed", "nope")),
        )
        .build()
        .unwrap();
    let err = pbjx.request(EchoRequestV1::new()).await.unwrap_err();
    assert_eq!(err.name(), "CacheWriteFailed");
    assert_eq!(*handled.lock().unwrap(), 1);
}

/// `request_as` with the wrong response type is an invalid argument, not a panic.
#[tokio::test]
async fn request_as_wrong_type() {
    let handled = Arc::new(Mutex::new(0));
    let pbjx = echo_builder(&handled).build().unwrap();
    let err = pbjx
        .request_as::<RequestFailedResponseV1>(EchoRequestV1::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
}

/// §3 SimpleRequestBus::receiveRequest (what transports call): the response references its
/// request and carries its correlator and tenant.
#[tokio::test]
async fn receive_request_links_the_response() {
    let handled = Arc::new(Mutex::new(0));
    let pbjx = echo_builder(&handled).build().unwrap();
    let (mut request, correlator) = request_with_context();
    request.freeze();
    let request_ref = request.generate_message_ref(None);
    let response = pbjx.receive_request(Arc::new(request)).await;
    let response = response.downcast_ref::<EchoResponseV1>().unwrap();
    assert_eq!(response.msg(), Some("hello"));
    assert_eq!(response.ctx_request_ref(), Some(&request_ref));
    assert_eq!(response.ctx_correlator_ref(), Some(&correlator));
    assert_eq!(response.ctx_tenant_id(), Some("tenant1"));
}
