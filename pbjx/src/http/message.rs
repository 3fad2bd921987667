//! The message route `/{vendor}/{package}/{category}/{message}`: the original's
//! `PbjxController::handleAction`, step by step.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::multipart::Multipart;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, OriginalUri, Path, Request, State};
use axum::http::{Method, Uri, header};
use axum::response::Response;
use base64::Engine;
use pbj::codec::json::{self, Json};
use pbj::well_known::MessageRef;
use pbj::{Message, SchemaCurie};
use tracing::Instrument;

use super::Shared;
use super::envelope::{Failure, Reply, envelope_id, fill, new_envelope, render};
use super::token::{self, DRY_RUN_HEADER};
use crate::error::Code;
use crate::mixins;

/// Handles one request on the message route.
pub(crate) async fn message_route(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<(String, String, String, String)>, PathRejection>,
    OriginalUri(original): OriginalUri,
    request: Request,
) -> Response {
    let mut envelope = new_envelope();
    let id = envelope_id(&envelope);
    let span = tracing::info_span!(
        "pbjx.http",
        route = "message",
        method = %request.method(),
        path = %original.path(),
        envelope_id = %id,
        status = tracing::field::Empty,
    );
    async move {
        // The message's correlator: the envelope that answers it.
        let correlator = MessageRef::new(envelope.schema().curie, &id, None).ok();
        let work = handle(&shared, correlator, path.ok(), &original, request);
        let reply = match shared.config.timeout() {
            Some(limit) => match tokio::time::timeout(limit, work).await {
                Ok(reply) => reply,
                Err(_) => Reply::Failed(Failure::new(
                    Code::DeadlineExceeded,
                    504,
                    "GatewayTimeout",
                    format!(
                        "The message was not handled within {} ms.",
                        limit.as_millis()
                    ),
                )),
            },
            None => work.await,
        };
        fill(&mut envelope, reply, shared.config.redaction());
        if let Err(error) = shared.pbjx.trigger_lifecycle(&mut envelope).await {
            tracing::error!(error = %error, "pbjx http: the envelope's lifecycle failed");
        }
        let response = render(&envelope);
        tracing::Span::current().record("status", response.status().as_u16());
        response
    }
    .instrument(span)
    .await
}

type Params = Path<(String, String, String, String)>;

async fn handle(
    shared: &Shared,
    correlator: Option<MessageRef>,
    path: Option<Params>,
    original: &Uri,
    request: Request,
) -> Reply {
    match try_handle(shared, correlator, path, original, request).await {
        Ok(reply) => reply,
        Err(failure) => Reply::Failed(failure),
    }
}

async fn try_handle(
    shared: &Shared,
    correlator: Option<MessageRef>,
    path: Option<Params>,
    original: &Uri,
    request: Request,
) -> Result<Reply, Failure> {
    let Some(Path((vendor, package, category, message))) = path else {
        return Err(not_found(original));
    };
    if !route_matches(&vendor, &package, &category, &message) {
        return Err(not_found(original));
    }
    let config = &shared.config;
    let method = request.method().clone();
    let is_get = method == Method::GET;
    if !(method == Method::POST || (is_get && config.get_requests())) {
        let allowed = if config.get_requests() {
            "GET,POST"
        } else {
            "POST"
        };
        return Err(Failure::new(
            Code::Unimplemented,
            405,
            "MethodNotAllowed",
            format!("You can only use HTTP [{allowed}] on this service."),
        ));
    }

    let query: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let param = |name: &str| query.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let is_multipart = content_type.starts_with("multipart/form-data");
    let jsonp = is_get && param("callback").is_some();
    if !jsonp && !is_multipart && !content_type.starts_with("application/json") {
        return Err(Failure::new(
            Code::InvalidArgument,
            406,
            "NotAcceptable",
            format!(
                "This service supports [application/json] or [multipart/form-data], you provided [{content_type}]."
            ),
        ));
    }

    let headers = request.headers().clone();
    let json = if is_get {
        let encoded = param("pbj").map(String::as_str).unwrap_or("");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded.trim_end_matches('='))
            .map_err(|e| invalid_json(format!("the [pbj] parameter is not base64url ({e})")))?;
        String::from_utf8(bytes).map_err(|_| invalid_json("Malformed UTF-8 characters"))?
    } else {
        let (parts, body) = request.into_parts();
        let bytes = super::read_body(body, config.body_limit()).await?;
        if is_multipart {
            let request = Request::from_parts(parts, Body::from(bytes));
            form_field(request, "pbj").await?
        } else {
            String::from_utf8(bytes.into())
                .map_err(|_| invalid_json("Malformed UTF-8 characters"))?
        }
    };

    let parsed = json::parse(&json).map_err(|e| invalid_json(e.to_string()))?;
    let schema_in_body = match &parsed {
        Json::Object(entries) => match entries.iter().rev().find(|(k, _)| k == "_schema") {
            Some((_, Json::String(id))) => Some(id.to_string()),
            Some((_, other)) => {
                return Err(unprocessable(format!(
                    "[_schema] must be a string, got {}.",
                    other.type_name()
                )));
            }
            None => None,
        },
        // PHP's `json_decode(..) ?: []`: every falsy document is an empty message.
        Json::Null | Json::Bool(false) => None,
        Json::Number(n)
            if n.trim_start_matches('-')
                .chars()
                .all(|c| c == '0' || c == '.') =>
        {
            None
        }
        Json::String(s) if s.is_empty() || s == "0" => None,
        Json::Array(items) if items.is_empty() => None,
        other => {
            return Err(unprocessable(format!(
                "The message must be a JSON object, got {}.",
                other.type_name()
            )));
        }
    };
    let object_json: &str = if matches!(parsed, Json::Object(_)) {
        &json
    } else {
        "{}"
    };

    let category = if category == "_" {
        ""
    } else {
        category.as_str()
    };
    let curie = format!("{vendor}:{package}:{category}:{message}");
    SchemaCurie::parse(&curie).map_err(|e| unprocessable(e.to_string()))?;
    let registry = shared.pbjx.registry();
    let entry = match &schema_in_body {
        Some(id) => registry
            .resolve_id_str(id)
            .map_err(|e| unprocessable(e.to_string()))?,
        None => registry.resolve_curie(&curie).ok_or_else(|| {
            unprocessable(format!("No message is registered for curie [{curie}]."))
        })?,
    };
    if entry.schema.curie != curie {
        let resolved = schema_in_body.as_deref().unwrap_or(entry.schema.id);
        return Err(unprocessable(format!(
            "The resolved schema [{resolved}] doesn't match expected curie [{curie}]."
        )));
    }

    let with_schema;
    let source = if schema_in_body.is_some() {
        object_json
    } else {
        with_schema = insert_schema(object_json, entry.schema.id);
        &with_schema
    };
    let mut data = pbj::codec::decode_as(source, entry.schema, registry)
        .map_err(|e| unprocessable(e.to_string()))?;
    // Like the original's `fromArray`: unset fields get their defaults (ids, times, ...).
    data.populate_defaults();
    let mut message: Box<dyn Message> = (entry.constructor)(data);
    if let Some(correlator) = correlator
        && entry.schema.field_index("ctx_correlator_ref").is_some()
    {
        message
            .data_mut()
            .set("ctx_correlator_ref", correlator)
            .map_err(|e| unprocessable(e.to_string()))?;
    }

    if !shared.bypass.iter().any(|b| b.matches(&curie)) {
        let Some(token) = token::token_header(&headers) else {
            return Err(Failure::new(
                Code::InvalidArgument,
                400,
                "MissingPbjxToken",
                "Missing x-pbjx-token header.",
            )
            .redactable());
        };
        let audience = token::audience(config.public_origin(), &headers, original);
        token::check(config.signer(), &headers, &audience, token, &json).map_err(|e| {
            Failure::new(
                Code::InvalidArgument,
                400,
                "InvalidPbjxToken",
                e.to_string(),
            )
            .redactable()
        })?;
    }

    let schema = entry.schema;
    let kind = if schema.has_mixin(mixins::COMMAND) {
        Kind::Command
    } else if schema.has_mixin(mixins::EVENT) {
        Kind::Event
    } else if schema.has_mixin(mixins::REQUEST) {
        Kind::Request
    } else {
        return Err(unprocessable(format!(
            "This service does not allow you to submit [{}] messages.",
            schema.id
        )));
    };

    let message_ref = message.generate_message_ref(None);
    if headers.contains_key(DRY_RUN_HEADER) {
        return Ok(accepted(message_ref));
    }
    let pbjx = &shared.pbjx;
    match kind {
        Kind::Command => pbjx
            .send(message)
            .await
            .map(|()| accepted(message_ref))
            .map_err(|e| Failure::from_error(&e)),
        Kind::Event => pbjx
            .publish(message)
            .await
            .map(|()| accepted(message_ref))
            .map_err(|e| Failure::from_error(&e)),
        Kind::Request => {
            let response = pbjx
                .request(message)
                .await
                .map_err(|e| Failure::from_error(&e))?;
            let etag = match response.data().get_single("etag") {
                Some(pbj::Value::String(etag)) => Some(etag.to_string()),
                _ => None,
            };
            Ok(Reply::Ok {
                http: 200,
                message_ref: response.generate_message_ref(None),
                message: Some(response),
                etag,
            })
        }
    }
}

enum Kind {
    Command,
    Event,
    Request,
}

fn accepted(message_ref: MessageRef) -> Reply {
    Reply::Ok {
        http: 202,
        message_ref,
        message: None,
        etag: None,
    }
}

fn not_found(uri: &Uri) -> Failure {
    super::not_found_failure(uri)
}

fn invalid_json(reason: impl std::fmt::Display) -> Failure {
    Failure::new(
        Code::InvalidArgument,
        415,
        "UnsupportedMediaType",
        format!("Invalid json: {reason}"),
    )
}

fn unprocessable(message: impl Into<String>) -> Failure {
    Failure::new(Code::InvalidArgument, 422, "UnprocessableEntity", message)
}

/// The original's route requirements: vendor `[a-z0-9-]+`, package `[a-z0-9.-]+`, category
/// `[a-z0-9_-]*`, message `[a-z0-9-]+`.
fn route_matches(vendor: &str, package: &str, category: &str, message: &str) -> bool {
    let all = |s: &str, extra: &str| {
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || extra.as_bytes().contains(&b))
    };
    !vendor.is_empty()
        && all(vendor, "-")
        && !package.is_empty()
        && all(package, ".-")
        && all(category, "_-")
        && !message.is_empty()
        && all(message, "-")
}

/// `{"_schema":"<id>", ...rest}` from a JSON object's text.
pub(crate) fn insert_schema(object: &str, id: &str) -> String {
    let body = object.trim_start();
    let rest = body.strip_prefix('{').unwrap_or(body).trim_start();
    let mut out = String::with_capacity(object.len() + id.len() + 16);
    out.push_str(r#"{"_schema":"#);
    crate::transport::envelope::push_json_string(&mut out, id);
    if !rest.starts_with('}') {
        out.push(',');
    }
    out.push_str(rest);
    out
}

/// The text of form field `name` of a `multipart/form-data` body.
async fn form_field(request: Request, name: &str) -> Result<String, Failure> {
    let bad = |e: &dyn std::fmt::Display| {
        Failure::new(
            Code::InvalidArgument,
            400,
            "BadRequest",
            format!("The multipart body is invalid: {e}"),
        )
    };
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| bad(&e.body_text()))?;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(&e.body_text()))?
    {
        if field.name() == Some(name) {
            return field.text().await.map_err(|e| bad(&e.body_text()));
        }
    }
    Err(invalid_json(format!("the form has no [{name}] field")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_inserted_first() {
        assert_eq!(
            insert_schema("{}", "pbj:a:b:c:d:1-0-0"),
            r#"{"_schema":"pbj:a:b:c:d:1-0-0"}"#
        );
        assert_eq!(
            insert_schema(" { \"msg\":\"x\"}", "pbj:a:b:c:d:1-0-0"),
            r#"{"_schema":"pbj:a:b:c:d:1-0-0","msg":"x"}"#
        );
        assert_eq!(insert_schema("{ }", "i"), r#"{"_schema":"i"}"#);
    }

    #[test]
    fn route_requirements() {
        assert!(route_matches("gdbots", "pbjx", "", "check-health"));
        assert!(route_matches("acme", "blog.v2", "command", "x-1"));
        assert!(route_matches("a", "b", "_", "c"));
        assert!(!route_matches("Acme", "blog", "command", "x"));
        assert!(!route_matches("acme", "blog", "com mand", "x"));
        assert!(!route_matches("acme", "blog", "command", "x.y"));
        assert!(!route_matches("", "blog", "command", "x"));
    }
}
