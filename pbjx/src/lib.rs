//! # pbjx: the Pbj exchange
//!
//! Send commands (one handler each), publish events (every subscriber) and make requests
//! (request -> response) with pbj messages, with the same semantics as the PHP and JS Pbjx:
//!
//! - the **lifecycle**: `bind`, `validate`, `enrich` hooks run on the message (and on unfrozen
//!   nested messages first), then the message is validated, frozen and shared (`Arc`);
//! - **typed handlers** registered on a [`PbjxBuilder`] and checked when it is built;
//! - **event fan-out** to subscribers of the event's mixins, curie major, curie,
//!   `vendor:package:*` and `*`, where a failing subscriber produces an `event-execution-failed`
//!   event instead of stopping the others;
//! - pluggable [`transport::Transport`]s (in-memory by default) and optional services (event
//!   store, event search, scheduler).
//!
//! The core schemas (`gdbots:pbjx` and `gdbots:contexts`) are compiled into [`schemas`]; apps
//! that compile their own stores reuse them with
//! `pbjc::Config::extern_path("gdbots:pbjx", "::pbjx::schemas::gdbots::pbjx")` (and the same for
//! `gdbots:contexts`).

#![warn(missing_docs)]

#[cfg(feature = "aws")]
pub mod aws;
mod builder;
pub mod context;
pub mod debugger;
mod error;
pub mod event_store;
mod exchange;
pub mod failure;
mod fasthash;
mod handler;
mod lifecycle;
pub mod mixins;
mod panic;
pub mod services;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod transport;

pub use builder::{DEFAULT_MAX_RECURSION, PbjxBuilder};
pub use error::{BoxError, Code, Error, Result};
pub use exchange::{Pbjx, WeakPbjx};
pub use handler::{CommandHandler, RequestHandler, Subscriber};
pub use lifecycle::{BoxFuture, Hook, PbjxEvent, Selector, suffix};
pub use pbj;

/// The core schemas: `gdbots:pbjx` (command, event, request, response and indexed mixins,
/// check-health, health-checked, echo-request/echo-response, event-execution-failed,
/// request-failed-response, envelope; enums code, http-code, search-events-sort) and
/// `gdbots:contexts` (app, cloud, user-agent).
#[allow(missing_docs)]
pub mod schemas {
    include!(concat!(env!("OUT_DIR"), "/pbjx_schemas.rs"));
}

/// Registers the core message types in `registry`.
pub fn register(registry: &mut pbj::Registry) {
    schemas::register(registry);
}
