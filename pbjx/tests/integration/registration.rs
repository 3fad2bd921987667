//! Registration checks at `build()` and status codes (pbjx-features.md §3
//! "RegisteringServiceLocator" / "Bundle wiring", §8 "StatusCodeUtil", §8 "Exceptions").

use std::sync::Arc;

use pbjx::pbj::{Message, MessageData, MessageType, Schema};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::{Code, Error, Pbjx, PbjxBuilder};

fn registration_error(builder: PbjxBuilder) -> String {
    match builder.build() {
        Err(Error::Registration { message }) => message,
        Err(other) => panic!("unexpected {other:?}"),
        Ok(_) => panic!("build should fail"),
    }
}

/// §3 RegisteringServiceLocator: one handler per curie — a second command handler for the same
/// curie is a registration error (reported at build, not silently replaced).
#[test]
fn two_handlers_for_one_curie() {
    let message = registration_error(
        Pbjx::builder()
            .command(|_c: Arc<CheckHealthV1>, _p| async move { Ok(()) })
            .command(|_c: Arc<CheckHealthV1>, _p| async move { Ok(()) }),
    );
    assert!(
        message.contains("[gdbots:pbjx:command:check-health] has two command handlers"),
        "{message}"
    );

    let message = registration_error(
        Pbjx::builder()
            .request(|_r: Arc<EchoRequestV1>, _p| async move { Ok(EchoResponseV1::new()) })
            .request(|_r: Arc<EchoRequestV1>, _p| async move { Ok(EchoResponseV1::new()) }),
    );
    assert!(
        message.contains("[gdbots:pbjx:request:echo-request] has two request handlers"),
        "{message}"
    );
}

/// §3 CommandHandler: a command handler must handle a command (mixin command).
#[test]
fn command_handler_for_an_event() {
    let message = registration_error(
        Pbjx::builder().command(|_c: Arc<HealthCheckedV1>, _p| async move { Ok(()) }),
    );
    assert!(
        message.contains("[gdbots:pbjx:event:health-checked] is not a command"),
        "{message}"
    );
}

/// §3 RequestHandler: a request handler must handle a request (mixin request).
#[test]
fn request_handler_for_a_command() {
    let message = registration_error(
        Pbjx::builder()
            .request(|_c: Arc<CheckHealthV1>, _p| async move { Ok(EchoResponseV1::new()) }),
    );
    assert!(
        message.contains("[gdbots:pbjx:command:check-health] is not a request"),
        "{message}"
    );
}

/// §3 RegisteringServiceLocator: command and request handlers share one curie → handler map,
/// so one curie cannot have both. (No core message is both a command and a request, so the
/// request side is reported as "not a request" as well.)
#[test]
fn curie_with_command_and_request_handler() {
    let message = registration_error(
        Pbjx::builder()
            .command(|_c: Arc<CheckHealthV1>, _p| async move { Ok(()) })
            .request(|_c: Arc<CheckHealthV1>, _p| async move { Ok(EchoResponseV1::new()) }),
    );
    assert!(
        message.contains("[gdbots:pbjx:command:check-health] is not a request"),
        "{message}"
    );
}

/// A message using both the command and the request mixin (no core schema does).
#[derive(Debug, Clone)]
struct Hybrid(MessageData);

static HYBRID: Schema = Schema {
    curie: "acme:test:command:hybrid",
    curie_major: "acme:test:command:hybrid:v1",
    mixins: &[
        "gdbots:pbjx:mixin:command:v1",
        "gdbots:pbjx:mixin:command",
        "gdbots:pbjx:mixin:request:v1",
        "gdbots:pbjx:mixin:request",
    ],
    ..*CheckHealthV1::SCHEMA
};

impl Message for Hybrid {
    fn data(&self) -> &MessageData {
        &self.0
    }
    fn data_mut(&mut self) -> &mut MessageData {
        &mut self.0
    }
    fn clone_message(&self) -> Box<dyn Message> {
        Box::new(self.clone())
    }
}

impl MessageType for Hybrid {
    const SCHEMA: &'static Schema = &HYBRID;
    fn from_data(data: MessageData) -> Self {
        Self(data)
    }
    fn into_data(self) -> MessageData {
        self.0
    }
    fn registry() -> Arc<pbjx::pbj::Registry> {
        pbjx::schemas::registry()
    }
}

/// §3 RegisteringServiceLocator: command and request handlers share one curie → handler map,
/// so one curie cannot have both a command and a request handler.
#[test]
fn curie_with_both_handlers_for_a_hybrid_message() {
    let message = registration_error(
        Pbjx::builder()
            .command(|_c: Arc<Hybrid>, _p| async move { Ok(()) })
            .request(|_c: Arc<Hybrid>, _p| async move { Ok(EchoResponseV1::new()) }),
    );
    assert_eq!(
        message,
        "[acme:test:command:hybrid] has both a command and a request handler"
    );
}

/// Every problem is reported at once, and the error maps to INTERNAL.
#[test]
fn every_problem_is_reported() {
    let err = Pbjx::builder()
        .command(|_c: Arc<HealthCheckedV1>, _p| async move { Ok(()) })
        .request(|_c: Arc<CheckHealthV1>, _p| async move { Ok(EchoResponseV1::new()) })
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("health-checked] is not a command")
            && text.contains("check-health] is not a request"),
        "{text}"
    );
    assert_eq!(err.code(), Code::Internal);
    assert_eq!(err.name(), "InvalidRegistration");
}

/// A valid set of registrations builds.
#[test]
fn valid_registrations_build() {
    let pbjx = Pbjx::builder()
        .command(|_c: Arc<CheckHealthV1>, _p| async move { Ok(()) })
        .request(|_r: Arc<EchoRequestV1>, _p| async move { Ok(EchoResponseV1::new()) })
        .subscribe(|_e: Arc<HealthCheckedV1>, _p| async move { Ok(()) })
        .build()
        .unwrap();
    assert_eq!(pbjx.transport_name(), "in_memory");
}

/// §8 StatusCodeUtil::vendorToHttp: every code.
#[test]
fn vendor_to_http() {
    let expected = [
        (Code::Ok, 200),
        (Code::Cancelled, 499),
        (Code::Unknown, 500),
        (Code::InvalidArgument, 400),
        (Code::DeadlineExceeded, 504),
        (Code::NotFound, 404),
        (Code::AlreadyExists, 409),
        (Code::PermissionDenied, 403),
        (Code::ResourceExhausted, 429),
        (Code::FailedPrecondition, 412),
        (Code::Aborted, 409),
        (Code::OutOfRange, 400),
        (Code::Unimplemented, 501),
        (Code::Internal, 500),
        (Code::Unavailable, 503),
        (Code::DataLoss, 500),
        (Code::Unauthenticated, 401),
    ];
    assert_eq!(expected.len(), Code::ALL.len());
    for (code, http) in expected {
        assert_eq!(code.to_http(), http, "{code}");
    }
}

/// §8 StatusCodeUtil::httpToVendor, with the JS `>= 400` rule (400 → INVALID_ARGUMENT, not the
/// PHP `OK` bug).
#[test]
fn http_to_vendor() {
    let expected = [
        (0, Code::Ok),
        (200, Code::Ok),
        (204, Code::Ok),
        (304, Code::Ok),
        (399, Code::Ok),
        (400, Code::InvalidArgument),
        (401, Code::Unauthenticated),
        (403, Code::PermissionDenied),
        (404, Code::NotFound),
        (405, Code::InvalidArgument),
        (409, Code::AlreadyExists),
        (412, Code::FailedPrecondition),
        (422, Code::InvalidArgument),
        (429, Code::ResourceExhausted),
        (499, Code::Cancelled),
        (500, Code::Internal),
        (501, Code::Unimplemented),
        (502, Code::Internal),
        (503, Code::Unavailable),
        (504, Code::DeadlineExceeded),
        (505, Code::Internal),
        (599, Code::Internal),
    ];
    for (http, code) in expected {
        assert_eq!(Code::from_http(http), code, "{http}");
    }
    // Round trip for the codes with a unique HTTP status.
    for code in [
        Code::Ok,
        Code::Cancelled,
        Code::InvalidArgument,
        Code::DeadlineExceeded,
        Code::NotFound,
        Code::AlreadyExists,
        Code::PermissionDenied,
        Code::ResourceExhausted,
        Code::FailedPrecondition,
        Code::Unimplemented,
        Code::Internal,
        Code::Unavailable,
        Code::Unauthenticated,
    ] {
        assert_eq!(Code::from_http(code.to_http()), code, "{code}");
    }
}

/// §8 Exceptions: default codes of the errors the exchange raises.
#[test]
fn error_codes() {
    assert_eq!(
        Error::HandlerNotFound {
            curie: "a:b:c:d".into()
        }
        .code()
        .value(),
        12
    );
    assert_eq!(
        Error::NotConfigured {
            service: "EventStore"
        }
        .code()
        .value(),
        12
    );
    assert_eq!(
        Error::TooMuchRecursion {
            max: 2,
            schema: "x".into()
        }
        .code()
        .value(),
        3
    );
    assert_eq!(
        Error::InvalidArgument {
            message: "x".into()
        }
        .code()
        .value(),
        3
    );
    assert_eq!(
        Error::WrongMessageKind {
            operation: "send",
            mixin: "gdbots:pbjx:mixin:command",
            schema: "x".into()
        }
        .code()
        .value(),
        13
    );
    assert_eq!(Code::from_i64(-1), None);
    assert_eq!(Code::Unauthenticated.name(), "UNAUTHENTICATED");
}

/// Without `PbjxBuilder::registry` the exchange shares the core registry (`pbjx::registry()`,
/// built once); a registry given to the builder is the one `Pbjx::registry` returns.
#[test]
fn registry_defaults_to_the_core_schemas() {
    let pbjx = Pbjx::builder().build().unwrap();
    assert!(Arc::ptr_eq(pbjx.registry(), &pbjx::registry()));
    for curie in [
        "gdbots:pbjx:command:check-health",
        "gdbots:pbjx:request:echo-request",
        "gdbots:contexts::app",
    ] {
        assert!(pbjx.registry().resolve_curie(curie).is_some(), "{curie}");
    }
    let mut own = pbjx::pbj::Registry::new();
    pbjx::register(&mut own);
    let own = Arc::new(own);
    let pbjx = Pbjx::builder().registry(own.clone()).build().unwrap();
    assert!(Arc::ptr_eq(pbjx.registry(), &own));
}
