//! Building `gdbots:pbjx::envelope` responses: what every route of the endpoint answers.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pbj::{Message, MessageRef};

use crate::error::{Code, Error};
use crate::schemas::gdbots::pbjx::EnvelopeV1;

/// Header carrying the envelope id of every response.
pub const ENVELOPE_ID_HEADER: &str = "x-pbjx-envelope-id";

/// A failed step: the envelope's `code`, HTTP status, `error_name` and `error_message`, and
/// whether the message may be redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) code: Code,
    pub(crate) http: u16,
    pub(crate) name: String,
    pub(crate) message: String,
    /// Whether the message is replaced when redaction is on.
    pub(crate) redactable: bool,
}

impl Failure {
    /// A failure of the checks before the message is handled (never redacted).
    pub(crate) fn new(
        code: Code,
        http: u16,
        name: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            http,
            name: name.into(),
            message: message.into(),
            redactable: false,
        }
    }

    /// Marks the message as redactable.
    pub(crate) fn redactable(mut self) -> Self {
        self.redactable = true;
        self
    }

    /// The original's `handleException`: a failed request's response gives code, name and
    /// message; schema errors are 422 and never redacted; other errors keep their code (`OK`
    /// becomes `INVALID_ARGUMENT`) with its HTTP status.
    pub(crate) fn from_error(error: &Error) -> Self {
        let (code, name, message) = crate::receive::describe(error);
        match error {
            Error::Pbj(_) | Error::Invalid { .. } => {
                Self::new(Code::InvalidArgument, 422, name, message)
            }
            _ => Self::new(code, code.to_http(), name, message).redactable(),
        }
    }
}

/// What an envelope reports.
#[derive(Debug)]
pub(crate) enum Reply {
    /// The message was accepted (202) or answered (200, with the response).
    Ok {
        http: u16,
        message_ref: MessageRef,
        message: Option<Box<dyn Message>>,
        etag: Option<String>,
    },
    /// A step failed.
    Failed(Failure),
}

/// A new envelope with a fresh `envelope_id`.
pub(crate) fn new_envelope() -> EnvelopeV1 {
    let mut envelope = EnvelopeV1::new();
    if envelope.data().get_single("envelope_id").is_none() {
        // Every value set below is valid for the core schema.
        let _ = envelope
            .data_mut()
            .set("envelope_id", pbj::well_known::identifier::generate_uuid());
    }
    envelope
}

/// The envelope id (empty if unset).
pub(crate) fn envelope_id(envelope: &EnvelopeV1) -> String {
    match envelope.data().get_single("envelope_id") {
        Some(pbj::Value::String(id)) => id.to_string(),
        _ => String::new(),
    }
}

/// Writes `reply` into `envelope` (`ok`, `code`, `http_code`, `error_*`, `message_ref`,
/// `message`, `etag`), redacting a redactable error message when `redact` is on.
pub(crate) fn fill(envelope: &mut EnvelopeV1, reply: Reply, redact: bool) {
    let data = envelope.data_mut();
    // Every value set below is valid for the core schema; the envelope must be answered even
    // if one were not, so failures only lose detail.
    match reply {
        Reply::Ok {
            http,
            message_ref,
            message,
            etag,
        } => {
            let _ = data.set("code", Code::Ok.value());
            let _ = data.set("http_code", i64::from(http));
            let _ = data.set("message_ref", message_ref);
            if let Some(message) = message {
                let _ = data.set("message", message);
            }
            if let Some(etag) = etag {
                let _ = data.set("etag", etag);
            }
        }
        Reply::Failed(failure) => {
            let _ = data.set("code", failure.code.value());
            if data.set("http_code", i64::from(failure.http)).is_err() {
                let _ = data.set("http_code", i64::from(failure.code.to_http()));
            }
            if data.set("error_name", failure.name.as_str()).is_err() {
                let _ = data.set("error_name", crate::failure::safe_error_name(&failure.name));
            }
            let message = if redact && failure.redactable {
                if failure.http >= 500 {
                    tracing::error!(
                        code = failure.code.name(),
                        http = failure.http,
                        error_name = %failure.name,
                        error = %failure.message,
                        "pbjx http: message failed"
                    );
                }
                redacted(failure.code)
            } else {
                failure.message
            };
            if !message.is_empty() {
                let _ = data.set("error_message", message);
            }
        }
    }
    let ok = data.get_single("code") == Some(&pbj::Value::Int(0));
    let _ = data.set("ok", ok);
}

/// The redacted error message.
pub(crate) fn redacted(code: Code) -> String {
    format!("Your message could not be handled (Code:{}).", code.name())
}

/// The HTTP response of an envelope: its JSON, status `http_code`, `Content-Type:
/// application/json`, `ETag` (when the envelope has one) and `x-pbjx-envelope-id`.
pub(crate) fn render(envelope: &EnvelopeV1) -> Response {
    let data = envelope.data();
    let status = match data.get_single("http_code") {
        Some(pbj::Value::Int(code)) => u16::try_from(*code)
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .unwrap_or(StatusCode::OK),
        _ => StatusCode::OK,
    };
    let mut response = (status, envelope.to_json()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(pbj::Value::String(etag)) = data.get_single("etag")
        && let Ok(value) = HeaderValue::from_str(etag)
    {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(&envelope_id(envelope)) {
        headers.insert(ENVELOPE_ID_HEADER, value);
    }
    response
}

/// A failure rendered as a fresh envelope (for paths where no exchange is at hand).
pub(crate) fn failure_response(failure: Failure, redact: bool) -> Response {
    let mut envelope = new_envelope();
    fill(&mut envelope, Reply::Failed(failure), redact);
    render(&envelope)
}
