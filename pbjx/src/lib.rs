//! # pbjx: the Pbj exchange
//!
//! Send commands (one handler each), publish events (every subscriber) and make requests
//! (request -> response) with pbj messages, with the same semantics as the PHP and JS Pbjx:
//!
//! - the **lifecycle**: [`Stage::Bind`], [`Stage::Validate`], [`Stage::Enrich`] hooks run on the
//!   message (and on unfrozen nested messages first), then the message is validated, frozen
//!   and shared (`Arc`); hooks are sync or async closures on a typed [`Selector`];
//! - **typed handlers** registered on a [`PbjxBuilder`] and checked when it is built, with
//!   application state injected like axum's `with_state`;
//! - **event fan-out** to subscribers of the event's mixins, curie major, curie,
//!   `vendor:package:*` and `*`, where a failing subscriber produces an `event-execution-failed`
//!   event instead of stopping the others;
//! - pluggable [`transport::Transport`]s (in-memory by default) and optional services (event
//!   store, event search, scheduler).
//!
//! The core schemas (`gdbots:pbjx` and `gdbots:contexts`) are compiled into [`schemas`]; apps
//! that compile their own stores reuse them without copying the XML: pbjx hands its store
//! folder to their build scripts as `DEP_PBJX_SCHEMAS`, and
//! `pbjc::Config::extern_store(dir, "::pbjx::schemas")` loads it and makes its packages extern.
//!
//! Errors of application code convert with [`ResultExt::with_code`] (any error type, including
//! `anyhow::Error`) and keep their source chain.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "aws")]
pub mod aws;
mod builder;
pub mod consumer;
pub mod context;
pub mod debugger;
pub mod describe;
mod error;
pub mod event_store;
mod exchange;
pub mod failure;
mod handler;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
mod lifecycle;
pub mod mixins;
mod panic;
pub mod receive;
mod retry;
pub mod scheduler;
pub mod search;
pub mod services;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "testkit")]
pub mod testkit;
mod time;
pub mod token;
pub mod transport;

pub use async_trait::async_trait;
pub use builder::{DEFAULT_MAX_RECURSION, PbjxBuilder};
pub use error::{BoxError, Code, Error, Result, ResultExt};
pub use exchange::{Pbjx, WeakPbjx};
pub use handler::{CommandHandler, RequestHandler, Subscriber};
pub use lifecycle::{AsyncHookFn, BoxFuture, PbjxEvent, Selector, Stage};
pub use pbj;
pub use retry::RetryPolicy;
pub use time::SendAt;

/// The core schemas: `gdbots:pbjx` (command, event, request, response and indexed mixins,
/// check-health, health-checked, echo-request/echo-response, event-execution-failed,
/// request-failed-response, envelope; enums code, http-code, search-events-sort) and
/// `gdbots:contexts` (app, cloud, user-agent).
pub mod schemas {
    include!(concat!(env!("OUT_DIR"), "/pbjx_schemas.rs"));
}

/// Registers the core message types in `registry`.
pub fn register(registry: &mut pbj::Registry) {
    schemas::register(registry);
}

/// A shared registry of the core message types (built once): the default of
/// [`PbjxBuilder::registry`].
///
/// ```
/// let registry = pbjx::registry();
/// assert!(registry.resolve_curie("gdbots:pbjx:command:check-health").is_some());
/// assert!(std::sync::Arc::ptr_eq(&registry, &pbjx::registry()));
/// ```
pub fn registry() -> std::sync::Arc<pbj::Registry> {
    static CORE: std::sync::LazyLock<std::sync::Arc<pbj::Registry>> =
        std::sync::LazyLock::new(|| {
            let mut registry = pbj::Registry::new();
            schemas::register(&mut registry);
            std::sync::Arc::new(registry)
        });
    CORE.clone()
}
