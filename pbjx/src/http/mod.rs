//! The HTTP endpoint (cargo feature `http`): other services (the PHP and JS pbjx clients,
//! browsers, Lambdas) send commands, publish events and make requests over HTTP, and push
//! transport envelopes to `/receive`.
//!
//! [`router`] returns an axum [`Router`] to mount in the app's own router (nest it, e.g. under
//! `/pbjx`); [`serve`] runs it on a listener with graceful shutdown. Routes:
//!
//! - `/{vendor}/{package}/{category}/{message}` (an empty category written `_`): one message
//!   in, one `gdbots:pbjx::envelope` out. The steps, each failing with its own envelope:
//!
//!   | step | failure: `code` / HTTP / `error_name` |
//!   | --- | --- |
//!   | path segments: vendor `[a-z0-9-]+`, package `[a-z0-9.-]+`, category `[a-z0-9_-]*`, message `[a-z0-9-]+` | 5 / 404 / `NotFound` |
//!   | method `POST` (or `GET` with [`HttpConfig::with_get_requests`]) | 12 / 405 / `MethodNotAllowed` |
//!   | `Content-Type` starts with `application/json` or `multipart/form-data` (not checked for a `GET` with `callback`) | 3 / 406 / `NotAcceptable` |
//!   | body (at most [`HttpConfig::with_body_limit`]) | 3 / 413 / `PayloadTooLarge` |
//!   | JSON from the body, the form field `pbj`, or for `GET` the base64url query parameter `pbj` | 3 / 415 / `UnsupportedMediaType` |
//!   | curie from the path; type from `_schema` in the body, else from the curie; the two must agree | 3 / 422 / `UnprocessableEntity` |
//!   | decode the message; `ctx_correlator_ref` = the envelope (`gdbots:pbjx::envelope:{envelope_id}`) | 3 / 422 / `UnprocessableEntity` |
//!   | `x-pbjx-token` for the body and the request URL, unless the curie is bypassed ([`HttpConfig::with_token_bypass`]); `Authorization: Bearer X` adds kid `bearer` with secret `X`, `x-pbjx-nonce: X` kid `nonce` | 3 / 400 / `MissingPbjxToken`, `InvalidPbjxToken` |
//!   | the message is a command, an event or a request | 3 / 422 / `UnprocessableEntity` |
//!   | `x-pbjx-dry-run` present: nothing is handled | answers 0 / 202 with `message_ref` |
//!   | command: [`Pbjx::send`]; event: [`Pbjx::publish`] | ok: 0 / **202** with `message_ref` |
//!   | request: [`Pbjx::request`] | ok: 0 / **200** with `message_ref`, `message` (the response) and `etag` |
//!   | any failure of send, publish or request | the error's code and its HTTP status (a failed request: the code of its `request-failed-response`); schema errors 3 / 422 |
//!   | the whole request takes longer than [`HttpConfig::with_timeout`] | 4 / 504 / `GatewayTimeout` |
//!
//!   Error messages of failed sends, publishes, requests and token checks are replaced by
//!   `Your message could not be handled (Code:NAME).` unless [`HttpConfig::with_redaction`]
//!   is off (the HTTP 5xx ones are logged); the other steps' messages are never redacted.
//!   Every response is JSON with the envelope's `http_code` as status, an `ETag` header (when
//!   the envelope has an etag) and `x-pbjx-envelope-id`. The bind, validate and enrich hooks
//!   run on the envelope before it is written (their errors are logged).
//! - `/receive` (`POST`, enabled with [`HttpConfig::with_receive`]): newline-delimited
//!   [`crate::transport::TransportEnvelope`]s, signed by `x-pbjx-token`; always 200 with the
//!   per-line report of [`crate::receive`]. Refusals are envelopes: disabled 12 / 403, missing
//!   or invalid token 7 / 403.
//! - Anything else: 5 / 404 / `NotFound`.
//!
//! Every request runs in a `pbjx.http` tracing span (route, method, path, envelope id,
//! status).
//!
//! Differences from the original: a lone `_` category means "no category" but other `_` are
//! kept (the original strips every `_`); a `GET` with `callback` is answered as JSON, not
//! JSONP; HTTP 400 maps to `INVALID_ARGUMENT`.
//!
//! ```
//! use std::sync::Arc;
//! use pbjx::Pbjx;
//! use pbjx::http::HttpConfig;
//! use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
//!
//! let pbjx = Pbjx::builder()
//!     .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async { Ok(()) })
//!     .build()?;
//! let config = HttpConfig::default().with_key("2024", "a long random secret");
//! // Mount it in the app's router.
//! let app: axum::Router = axum::Router::new()
//!     .route("/health", axum::routing::get(|| async { "ok" }))
//!     .nest("/pbjx", pbjx::http::router(pbjx, config));
//! # drop(app);
//! # Ok::<(), pbjx::Error>(())
//! ```

mod config;
mod envelope;
mod extract;
mod message;
mod receive;
mod token;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::OriginalUri;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::any;
use http_body_util::BodyExt;

pub use config::{DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUT, HttpConfig};
pub use envelope::ENVELOPE_ID_HEADER;
pub use extract::{Pbj, PbjError, PbjRejection};
pub use token::{DRY_RUN_HEADER, NONCE_HEADER, TOKEN_HEADER};

use crate::Pbjx;
use crate::error::Code;
use envelope::{Failure, failure_response};

/// What every route shares.
pub(crate) struct Shared {
    pub(crate) pbjx: Pbjx,
    pub(crate) config: HttpConfig,
    pub(crate) bypass: Vec<token::Bypass>,
}

/// The endpoint's routes (see the module docs) as a router to mount in the app's own axum
/// router (with [`Router::nest`], e.g. under `/pbjx`, or [`Router::merge`] if the app's
/// router has no fallback: this one answers unknown paths with a 404 envelope).
pub fn router<S>(pbjx: Pbjx, config: HttpConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let bypass = config
        .token_bypass()
        .iter()
        .map(|p| token::Bypass::new(p))
        .collect();
    let shared = Arc::new(Shared {
        pbjx,
        config,
        bypass,
    });
    Router::new()
        .route("/receive", any(receive::receive_route))
        .route(
            "/{vendor}/{package}/{category}/{message}",
            any(message::message_route),
        )
        .fallback(not_found)
        .with_state(shared)
}

/// Serves [`router`] (mounted at [`HttpConfig::with_mount_path`], `/pbjx` by default) on
/// `listener` until `shutdown` completes, then stops accepting connections and waits for the
/// requests in flight to finish.
///
/// ```no_run
/// # async fn demo(pbjx: pbjx::Pbjx) -> std::io::Result<()> {
/// use pbjx::http::HttpConfig;
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let config = HttpConfig::default().with_token_bypass("all");
/// // Any future: e.g. `tokio::signal::ctrl_c()` (tokio's `signal` feature), or a channel.
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let server = tokio::spawn(pbjx::http::serve(listener, pbjx, config, async {
///     let _ = stopped.await;
/// }));
/// // ... later:
/// let _ = stop.send(());
/// server.await.expect("server task")?; // returns once the requests in flight are answered
/// # Ok(())
/// # }
/// ```
pub async fn serve<F>(
    listener: tokio::net::TcpListener,
    pbjx: Pbjx,
    config: HttpConfig,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let mount = config.mount_path().trim_end_matches('/').to_owned();
    let routes = router(pbjx, config);
    let app: Router = if mount.is_empty() {
        routes
    } else {
        Router::new().nest(&mount, routes).fallback(not_found)
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn not_found(OriginalUri(uri): OriginalUri) -> Response {
    failure_response(not_found_failure(&uri), false)
}

pub(crate) fn not_found_failure(uri: &Uri) -> Failure {
    Failure::new(
        Code::NotFound,
        404,
        "NotFound",
        format!("No route found for [{}].", uri.path()),
    )
}

/// Reads a whole body of at most `limit` bytes.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, Failure> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(Failure::new(
            Code::InvalidArgument,
            413,
            "PayloadTooLarge",
            format!("The body is larger than {limit} bytes."),
        )),
        Err(error) => Err(Failure::new(
            Code::InvalidArgument,
            400,
            "BadRequest",
            format!("The body could not be read: {error}"),
        )),
    }
}
