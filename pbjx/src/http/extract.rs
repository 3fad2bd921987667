//! [`Pbj<T>`]: a typed pbj message as an axum extractor and response, for the app's own
//! routes; failures answer as envelopes like the endpoint's.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pbj::MessageType;

use super::envelope::{Failure, failure_response};
use crate::error::{Code, Error};

/// A typed pbj message: as an extractor it decodes the JSON body (either flavour; `_schema`
/// optional, else it must name `T`'s curie major), fills unset fields with their defaults
/// (ids, times) and validates it; as a response it writes
/// the message JSON with status 200 and `Content-Type: application/json`.
///
/// A bad request is answered with an envelope: 406 `NotAcceptable` for another content type,
/// 413 `PayloadTooLarge` over axum's body limit (`DefaultBodyLimit`), 415
/// `UnsupportedMediaType` for a body that is not UTF-8 or not JSON, 422
/// `UnprocessableEntity` for a message that does not decode or validate.
///
/// ```
/// use std::sync::Arc;
/// use axum::{Router, routing::post};
/// use pbjx::Pbjx;
/// use pbjx::http::{Pbj, PbjError};
/// use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
///
/// // Typed message in, typed message out; a failed request answers as an envelope.
/// async fn echo(
///     axum::extract::State(pbjx): axum::extract::State<Pbjx>,
///     Pbj(request): Pbj<EchoRequestV1>,
/// ) -> Result<Pbj<EchoResponseV1>, PbjError> {
///     Ok(Pbj(pbjx.request_as::<EchoResponseV1>(request).await?))
/// }
///
/// let pbjx = Pbjx::builder()
///     .request(|req: Arc<EchoRequestV1>, _pbjx| async move {
///         Ok(EchoResponseV1::new().with_msg(req.msg().unwrap_or_default())?)
///     })
///     .build()?;
/// let app: Router = Router::new().route("/echo", post(echo)).with_state(pbjx);
/// # drop(app);
/// # Ok::<(), pbjx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Pbj<T>(pub T);

/// Why [`Pbj<T>`] refused a request; answers as an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbjRejection(Failure);

impl PbjRejection {
    /// The HTTP status it answers with.
    pub fn status(&self) -> u16 {
        self.0.http
    }

    /// The envelope's `code`.
    pub fn code(&self) -> Code {
        self.0.code
    }

    /// The envelope's `error_message`.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl std::fmt::Display for PbjRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.0.name, self.0.http, self.0.message)
    }
}

impl std::error::Error for PbjRejection {}

impl IntoResponse for PbjRejection {
    fn into_response(self) -> Response {
        failure_response(self.0, false)
    }
}

impl<T, S> FromRequest<S> for Pbj<T>
where
    T: MessageType,
    S: Send + Sync,
{
    type Rejection = PbjRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        if !content_type.starts_with("application/json") {
            return Err(PbjRejection(Failure::new(
                Code::InvalidArgument,
                406,
                "NotAcceptable",
                format!("This route supports [application/json], you provided [{content_type}]."),
            )));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                let status = rejection.status();
                PbjRejection(Failure::new(
                    Code::from_http(status.as_u16()),
                    status.as_u16(),
                    if status == StatusCode::PAYLOAD_TOO_LARGE {
                        "PayloadTooLarge"
                    } else {
                        "BadRequest"
                    },
                    rejection.body_text(),
                ))
            })?;
        let json = std::str::from_utf8(&bytes).map_err(|_| {
            PbjRejection(Failure::new(
                Code::InvalidArgument,
                415,
                "UnsupportedMediaType",
                "Invalid json: Malformed UTF-8 characters",
            ))
        })?;
        let unprocessable = |message: String| {
            PbjRejection(Failure::new(
                Code::InvalidArgument,
                422,
                "UnprocessableEntity",
                message,
            ))
        };
        let parsed = pbj::codec::json::parse(json).map_err(|e| {
            PbjRejection(Failure::new(
                Code::InvalidArgument,
                415,
                "UnsupportedMediaType",
                format!("Invalid json: {e}"),
            ))
        })?;
        let pbj::codec::json::Json::Object(entries) = &parsed else {
            return Err(unprocessable(format!(
                "The message must be a JSON object, got {}.",
                parsed.type_name()
            )));
        };
        let has_schema = entries.iter().any(|(k, _)| k == "_schema");
        let with_schema;
        let source = if has_schema {
            json
        } else {
            with_schema = super::message::insert_schema(json, T::SCHEMA.id);
            &with_schema
        };
        let mut data = pbj::codec::decode_as(source, T::SCHEMA, &T::registry())
            .map_err(|e| unprocessable(e.to_string()))?;
        // Unset fields get their defaults (ids, times, ...), as the original's `fromArray`.
        data.populate_defaults();
        let message = T::from_data(data);
        message.validate().map_err(|violations| {
            unprocessable(
                Error::Invalid {
                    schema: T::SCHEMA.id.to_owned(),
                    violations,
                }
                .to_string(),
            )
        })?;
        Ok(Pbj(message))
    }
}

impl<T: pbj::Message> IntoResponse for Pbj<T> {
    fn into_response(self) -> Response {
        let mut response = self.0.to_json().into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// A [`crate::Error`] answered as an envelope (for the app's own routes, with `?`): the
/// error's code and HTTP status, a failed request's own code, schema errors as 422. The
/// message is redacted as the endpoint does by default (`Your message could not be handled
/// (Code:NAME).`), except for schema errors.
#[derive(Debug, Clone)]
pub struct PbjError(pub Error);

impl From<Error> for PbjError {
    fn from(error: Error) -> Self {
        Self(error)
    }
}

impl IntoResponse for PbjError {
    fn into_response(self) -> Response {
        failure_response(Failure::from_error(&self.0), true)
    }
}
