//! [`FaultyEventSearch`]: fault injection for code that indexes into an [`EventSearch`]
//! (reindexing, its retries and `--skip-errors`), around a real backend.

use std::sync::Arc;

use pbj::{Message, SchemaCurie};

use crate::Error;
use crate::search::query::ParsedQuery;
use crate::search::{EventSearch, SearchContext};

/// Decides whether one `index_events` call fails: `Some(error)` fails it before it reaches
/// the wrapped search.
type Fault = dyn Fn(&[Arc<dyn Message>]) -> Option<Error> + Send + Sync;

/// Wraps an [`EventSearch`] (e.g. the real tantivy index) and fails the `index_events` calls
/// a test chooses, before they reach it; every other call goes to the wrapped search. Its
/// [`EventSearch::name`] is `faulty`.
///
/// ```
/// # #[cfg(feature = "search-tantivy")] {
/// use pbjx::search::{EventSearch, SearchContext};
/// use pbjx::search::tantivy::TantivyEventSearch;
/// use pbjx::testkit::FaultyEventSearch;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let index = TantivyEventSearch::open_in_ram(pbjx::registry())?;
/// let faulty = FaultyEventSearch::new(index, |events| {
///     (events.len() > 10).then(|| pbjx::Error::InvalidArgument { message: "too many".into() })
/// });
/// let many = vec![pbjx::testkit::search::dataset()[0].event.clone(); 11];
/// assert!(faulty.index_events(&many, &SearchContext::default()).await.is_err());
/// assert!(faulty.index_events(&many[..1], &SearchContext::default()).await.is_ok());
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// # }
/// ```
pub struct FaultyEventSearch<S> {
    inner: S,
    fault: Box<Fault>,
}

impl<S> std::fmt::Debug for FaultyEventSearch<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyEventSearch").finish_non_exhaustive()
    }
}

impl<S: EventSearch> FaultyEventSearch<S> {
    /// Wraps `inner`; `fault` is asked before every `index_events` call with its events and
    /// fails the call when it returns an error.
    pub fn new(
        inner: S,
        fault: impl Fn(&[Arc<dyn Message>]) -> Option<Error> + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner,
            fault: Box::new(fault),
        }
    }

    /// The wrapped search.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

#[async_trait::async_trait]
impl<S: EventSearch> EventSearch for FaultyEventSearch<S> {
    fn name(&self) -> &str {
        "faulty"
    }

    async fn create_storage(&self, ctx: &SearchContext) -> crate::Result<()> {
        self.inner.create_storage(ctx).await
    }

    async fn describe_storage(&self, ctx: &SearchContext) -> crate::Result<String> {
        self.inner.describe_storage(ctx).await
    }

    async fn index_events(
        &self,
        events: &[Arc<dyn Message>],
        ctx: &SearchContext,
    ) -> crate::Result<()> {
        if let Some(error) = (self.fault)(events) {
            return Err(error);
        }
        self.inner.index_events(events, ctx).await
    }

    async fn delete_events(&self, ids: &[String], ctx: &SearchContext) -> crate::Result<()> {
        self.inner.delete_events(ids, ctx).await
    }

    async fn search_events(
        &self,
        request: &dyn Message,
        query: &ParsedQuery,
        curies: &[SchemaCurie],
        response: &mut dyn Message,
        ctx: &SearchContext,
    ) -> crate::Result<()> {
        self.inner
            .search_events(request, query, curies, response, ctx)
            .await
    }
}
