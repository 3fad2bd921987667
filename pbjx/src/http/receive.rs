//! The `/receive` route: newline-delimited transport envelopes, signed with a PbjxToken,
//! handled by [`crate::receive::receive_lines`].

use std::sync::Arc;

use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::Shared;
use super::envelope::{Failure, failure_response};
use super::token;
use crate::error::Code;

/// Handles one request on `/receive`.
pub(crate) async fn receive_route(
    State(shared): State<Arc<Shared>>,
    OriginalUri(original): OriginalUri,
    request: Request,
) -> Response {
    let span = tracing::info_span!(
        "pbjx.http",
        route = "receive",
        method = %request.method(),
        path = %original.path(),
        lines = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    async move {
        let response = match receive(&shared, &original, request).await {
            Ok(report) => {
                tracing::Span::current().record("lines", report.lines.total);
                let mut response = report.to_json().into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            Err(failure) => failure_response(failure, false),
        };
        tracing::Span::current().record("status", response.status().as_u16());
        response
    }
    .instrument(span)
    .await
}

async fn receive(
    shared: &Shared,
    original: &axum::http::Uri,
    request: Request,
) -> Result<crate::receive::ReceiveReport, Failure> {
    let config = &shared.config;
    if request.method() != Method::POST {
        return Err(Failure::new(
            Code::Unimplemented,
            405,
            "MethodNotAllowed",
            "You can only use HTTP [POST] on this service.",
        ));
    }
    if !config.receive() {
        return Err(Failure::new(
            Code::Unimplemented,
            403,
            "AccessDeniedHttpException",
            "The receive endpoint is not enabled.",
        ));
    }
    let denied = |message: String| {
        Failure::new(
            Code::PermissionDenied,
            403,
            "AccessDeniedHttpException",
            message,
        )
    };
    let headers = request.headers().clone();
    let Some(token) = token::token_header(&headers) else {
        return Err(denied(
            "The receive endpoint requires the \"x-pbjx-token\" header.".into(),
        ));
    };
    let bytes = super::read_body(request.into_body(), config.body_limit()).await?;
    let body = std::str::from_utf8(&bytes).map_err(|_| {
        Failure::new(
            Code::InvalidArgument,
            400,
            "BadRequest",
            "The body is not valid UTF-8.",
        )
    })?;
    let audience = token::audience(config.public_origin(), &headers, original);
    token::check(config.signer(), &headers, &audience, token, body)
        .map_err(|e| denied(e.to_string()))?;
    let work = crate::receive::receive_lines(&shared.pbjx, body);
    match config.timeout() {
        Some(limit) => tokio::time::timeout(limit, work).await.map_err(|_| {
            Failure::new(
                Code::DeadlineExceeded,
                504,
                "GatewayTimeout",
                format!(
                    "The lines were not handled within {} ms.",
                    limit.as_millis()
                ),
            )
        }),
        None => Ok(work.await),
    }
}
