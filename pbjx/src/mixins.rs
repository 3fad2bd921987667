//! Curies of the core mixins that decide what kind of message something is.

/// Commands (`send`).
pub const COMMAND: &str = "gdbots:pbjx:mixin:command";
/// Events (`publish`).
pub const EVENT: &str = "gdbots:pbjx:mixin:event";
/// Requests (`request`).
pub const REQUEST: &str = "gdbots:pbjx:mixin:request";
/// Responses.
pub const RESPONSE: &str = "gdbots:pbjx:mixin:response";
/// Events to index in event search.
pub const INDEXED: &str = "gdbots:pbjx:mixin:indexed";
/// Requests answered by event search (`q`, `page`, `count`, `sort`, date window).
pub const SEARCH_EVENTS_REQUEST: &str = "gdbots:pbjx:mixin:search-events-request";
/// Responses of event search (`total`, `has_more`, `time_taken`, `max_score`, `events`).
pub const SEARCH_EVENTS_RESPONSE: &str = "gdbots:pbjx:mixin:search-events-response";
