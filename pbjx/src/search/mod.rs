//! Event search: indexes events and answers `search-events-request`s with the gdbots query
//! language.
//!
//! The building blocks are pure (no I/O): the query language ([`query`]) and the
//! Elasticsearch bodies of the original `QueryFactory` ([`elasticsearch_query`]). On them sit
//! the [`EventSearch`] trait and its backends: [`tantivy`] (embedded, durable on disk; feature
//! `search-tantivy`) and [`elasticsearch`] (feature `search-elasticsearch`), the
//! [`indexer`] subscriber and request handler, and [`reindex`] from an event store.
//!
//! # Semantics every backend keeps (checked by `pbjx::testkit::search`, feature `testkit`)
//!
//! - **Documents.** An event is indexed as pbj's Elasticsearch document
//!   ([`document`]) plus `d__type` (its curie's message name) and `d__occurred_at_iso`;
//!   string and text fields are also searchable through `d__all`. Indexing an event id
//!   again replaces its document.
//! - **Queries.** The body of [`elasticsearch_query::create`] is the meaning of a query:
//!   optional words must match as the original's `minimum_should_match: "2<80%"` says
//!   (every one of up to two, 80 % of more), `+` required, `-` prohibited, phrases in order,
//!   `field:value` on that field, ranges, boosts. A backend that cannot run a part of it fails
//!   with [`crate::Error::InvalidQuery`]; it never silently drops a clause.
//! - **Window, types, sort, paging.** `occurred_after` / `occurred_before` are exclusive
//!   bounds; `curies` restricts the event types (empty: all); `date-desc` / `date-asc` order
//!   by `occurred_at`, relevance by score with the original's recency decay; `page` / `count`
//!   give `from = (page - 1) * count` clamped to 0..=10,000 ([`MAX_FROM`]) and
//!   `has_more = from + count < total && from < 10,000`.
//! - **Tenants.** [`SearchContext::tenant_id`] isolates: an event indexed for one tenant is
//!   never found, replaced or deleted through another tenant (or through no tenant).
//! - **All or nothing.** `index_events` checks every event first (an event without
//!   `event_id` / `occurred_at`, or not an event, fails the whole batch naming it) and then
//!   writes the batch as one unit (tantivy: one log record, then the writer); a backend that can only report per-item failures
//!   (Elasticsearch bulk) returns them all in the error, never drops one silently.
//!
//! The context of the original (`tenant_id`, `cluster`, `index_name`) is a
//! [`SearchContext`] argument of every call; [`SearchContext::for_message`] takes the tenant
//! from a message's `ctx_tenant_id`, as the original's context enrichment does with its
//! causator.

pub mod document;
pub mod elasticsearch_query;
pub mod indexer;
pub mod query;
pub mod reindex;
mod request;

#[cfg(feature = "search-elasticsearch")]
pub mod elasticsearch;
#[cfg(feature = "search-tantivy")]
pub mod tantivy;

pub use request::{MAX_FROM, SearchHits, SearchRequest, fill_response};

use std::sync::Arc;

use pbj::{Message, SchemaCurie};

use crate::error::Result;
use query::ParsedQuery;

/// The context of one call: which tenant's events, which cluster, which index.
///
/// ```
/// use pbjx::search::SearchContext;
///
/// let ctx = SearchContext::default().with_tenant_id("acme");
/// assert_eq!(ctx.tenant_id.as_deref(), Some("acme"));
/// assert_eq!(ctx.cluster, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SearchContext {
    /// The tenant whose events are indexed or searched (`None`: events without a tenant).
    pub tenant_id: Option<String>,
    /// The cluster to use (Elasticsearch; `None`: `default`).
    pub cluster: Option<String>,
    /// An index name that overrides the backend's choice (Elasticsearch `index_name`).
    pub index_name: Option<String>,
}

impl SearchContext {
    /// The context of work done for `message`: its `ctx_tenant_id` (if it has one) as tenant.
    ///
    /// ```
    /// use pbjx::pbj::Message;
    /// use pbjx::schemas::gdbots::pbjx::event::EventExecutionFailedV1;
    /// use pbjx::search::SearchContext;
    ///
    /// let mut event = EventExecutionFailedV1::new(); // uses the `indexed` mixin
    /// event.data_mut().set("ctx_tenant_id", "t1").unwrap();
    /// assert_eq!(SearchContext::for_message(&event).tenant_id.as_deref(), Some("t1"));
    /// ```
    pub fn for_message(message: &dyn Message) -> Self {
        let tenant_id = message
            .data()
            .get_single("ctx_tenant_id")
            .and_then(pbj::Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        Self {
            tenant_id,
            ..Self::default()
        }
    }

    /// Sets the tenant.
    pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Sets the cluster.
    pub fn with_cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }

    /// Sets the index name override.
    pub fn with_index_name(mut self, index_name: impl Into<String>) -> Self {
        self.index_name = Some(index_name.into());
        self
    }

    /// The tenant, with an empty one read as none.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant_id.as_deref().filter(|t| !t.is_empty())
    }
}

/// Indexes events and searches them; the [module docs](self) state the semantics every
/// backend keeps. Object safe (`Arc<dyn EventSearch>`); implementors write `async fn`s under
/// `#[async_trait::async_trait]`.
///
/// ```
/// # #[cfg(feature = "search-tantivy")] {
/// use std::sync::Arc;
/// use pbjx::pbj::Message;
/// use pbjx::schemas::gdbots::pbjx::event::EventExecutionFailedV1;
/// use pbjx::schemas::gdbots::pbjx::request::{SearchEventsRequestV1, SearchEventsResponseV1};
/// use pbjx::search::{EventSearch, SearchContext, query::parse};
/// use pbjx::search::tantivy::TantivyEventSearch;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let search = TantivyEventSearch::open_in_ram(pbjx::registry())?;
/// let ctx = SearchContext::default();
/// let mut event = EventExecutionFailedV1::new(); // uses the `indexed` mixin
/// event.data_mut().set("error_message", "all systems down")?;
/// search.index_events(&[Arc::new(event)], &ctx).await?;
///
/// let request = SearchEventsRequestV1::new();
/// let mut response = SearchEventsResponseV1::new();
/// search.search_events(&request, &parse("systems").unwrap(), &[], &mut response, &ctx).await?;
/// assert_eq!(response.data().get_single("total").and_then(|v| v.as_i64()), Some(1));
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// # }
/// ```
#[async_trait::async_trait]
pub trait EventSearch: Send + Sync + 'static {
    /// A short backend name for logs and errors, e.g. `tantivy`.
    fn name(&self) -> &str;

    /// Creates the storage (index, templates) if it does not exist; updates its mappings.
    async fn create_storage(&self, ctx: &SearchContext) -> Result<()>;

    /// Describes the storage (for operators).
    async fn describe_storage(&self, ctx: &SearchContext) -> Result<String>;

    /// Indexes events (replacing documents with the same `event_id`; of an event given twice,
    /// the last copy wins) for `ctx`'s tenant; all of them or none (see the module docs). An
    /// empty batch does nothing.
    async fn index_events(&self, events: &[Arc<dyn Message>], ctx: &SearchContext) -> Result<()>;

    /// Deletes the documents of these event ids (of `ctx`'s tenant); missing ids are no error.
    async fn delete_events(&self, event_ids: &[String], ctx: &SearchContext) -> Result<()>;

    /// Runs `query` with the window, sort and paging of `request` (a message using
    /// `gdbots:pbjx:mixin:search-events-request`) restricted to `curies` (empty: every type),
    /// and fills `response` (a `search-events-response`): `total`, `has_more`, `time_taken`,
    /// `max_score`, `events`.
    async fn search_events(
        &self,
        request: &dyn Message,
        query: &ParsedQuery,
        curies: &[SchemaCurie],
        response: &mut dyn Message,
        ctx: &SearchContext,
    ) -> Result<()>;
}
