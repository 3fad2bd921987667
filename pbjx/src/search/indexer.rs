//! The pieces that connect event search to an exchange: the indexer subscriber (the original's
//! `EventIndexer`), the `search-events-request` handler, and [`PbjxBuilder::event_search_with_handlers`]
//! that registers both with the service in one call.
//!
//! The original skips events whose out-of-band replay flag is set. Messages here carry no
//! such flag, so a replay marks itself instead: events published inside [`replaying`] are
//! not indexed (the subscriber runs inside the publishing task with the in-memory and local
//! transports).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use pbj::{DateTime, Message};

use crate::builder::PbjxBuilder;
use crate::error::{Error, Result};
use crate::exchange::Pbjx;
use crate::schemas::gdbots::pbjx::request::{SearchEventsRequestV1, SearchEventsResponseV1};
use crate::search::{EventSearch, SearchContext, SearchRequest, elasticsearch_query, query};

tokio::task_local! {
    static REPLAYING: ();
}

/// Runs `future` as a replay: events it publishes are not indexed by [`index_event`].
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use pbjx::search::indexer::{is_replaying, replaying};
/// assert!(!is_replaying());
/// assert!(replaying(async { is_replaying() }).await);
/// # });
/// ```
pub async fn replaying<F: Future>(future: F) -> F::Output {
    REPLAYING.scope((), future).await
}

/// Whether the current task runs inside [`replaying`].
pub fn is_replaying() -> bool {
    REPLAYING.try_with(|_| ()).is_ok()
}

/// The indexer subscriber's work for one event: indexes it through the exchange's event
/// search with the event's tenant, unless it is being replayed or does not use the
/// `indexed` mixin.
pub async fn index_event(event: Arc<dyn Message>, pbjx: Pbjx) -> Result<()> {
    if is_replaying() || !event.schema().has_mixin(crate::mixins::INDEXED) {
        return Ok(());
    }
    let search = pbjx.event_search()?.clone();
    let ctx = SearchContext::for_message(&*event);
    search.index_events(&[event], &ctx).await
}

/// Answers a search request (any message using `gdbots:pbjx:mixin:search-events-request`)
/// into `response`: parses `q` (a query the backend cannot run is
/// [`Error::InvalidQuery`]), applies the window, sort and paging, searches every event type
/// for the request's tenant.
pub async fn search(
    search: &dyn EventSearch,
    request: &dyn Message,
    response: &mut dyn Message,
) -> Result<()> {
    let started = Instant::now();
    let parsed = SearchRequest::from_message(request)?;
    let query = query::parse(&parsed.q).map_err(|e| Error::InvalidQuery {
        query: parsed.q.clone(),
        kind: e.kind().to_owned(),
        message: e.to_string(),
    })?;
    let ctx = SearchContext::for_message(request);
    search
        .search_events(request, &query, &[], response, &ctx)
        .await?;
    tracing::debug!(took_ms = started.elapsed().as_millis() as u64, q = %parsed.q, "search-events");
    Ok(())
}

/// The handler of `gdbots:pbjx:request:search-events-request`.
pub async fn handle_search_events(
    request: Arc<SearchEventsRequestV1>,
    pbjx: Pbjx,
) -> Result<SearchEventsResponseV1> {
    let backend = pbjx.event_search()?.clone();
    let mut response = SearchEventsResponseV1::new();
    search(&*backend, &*request, &mut response).await?;
    Ok(response)
}

/// Checks that `query` can be run: the Elasticsearch body builds (the embedded backend reads
/// the same body), so a bad query fails before anything is searched.
pub fn check_query(q: &str, query: &query::ParsedQuery) -> Result<()> {
    let params = elasticsearch_query::SearchParams::default();
    elasticsearch_query::create(query, &params, DateTime::now())
        .map(|_| ())
        .map_err(|e| Error::InvalidQuery {
            query: q.to_owned(),
            kind: e.kind().to_owned(),
            message: e.to_string(),
        })
}

impl<S: Send + Sync + 'static> PbjxBuilder<S> {
    /// Sets the event search and registers, in one call, the indexer subscriber (events using
    /// `gdbots:pbjx:mixin:indexed`, see [`index_event`]) and the handler of
    /// `gdbots:pbjx:request:search-events-request`.
    ///
    /// ```
    /// # #[cfg(feature = "search-tantivy")] {
    /// use pbjx::Pbjx;
    /// use pbjx::pbj::Message;
    /// use pbjx::schemas::gdbots::pbjx::event::EventExecutionFailedV1;
    /// use pbjx::schemas::gdbots::pbjx::request::{SearchEventsRequestV1, SearchEventsResponseV1};
    /// use pbjx::search::tantivy::TantivyEventSearch;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let search = TantivyEventSearch::open_in_ram(pbjx::registry())?;
    /// let pbjx = Pbjx::builder().event_search_with_handlers(search).build()?;
    /// let mut failed = EventExecutionFailedV1::new(); // uses the `indexed` mixin
    /// failed.data_mut().set("error_message", "disk quota exceeded")?;
    /// pbjx.publish(failed).await?;
    ///
    /// let mut request = SearchEventsRequestV1::new();
    /// request.data_mut().set("q", "quota")?;
    /// let response = pbjx.request_as::<SearchEventsResponseV1>(request).await?;
    /// assert_eq!(response.data().get_list(response.schema().field_index("events").unwrap()).len(), 1);
    /// # Ok::<(), pbjx::Error>(())
    /// # }).unwrap();
    /// # }
    /// ```
    #[track_caller]
    pub fn event_search_with_handlers(self, search: impl EventSearch) -> Self {
        self.event_search(search)
            .subscribe_to(crate::mixins::INDEXED, index_event)
            .request::<SearchEventsRequestV1, SearchEventsResponseV1, _>(handle_search_events)
    }
}
