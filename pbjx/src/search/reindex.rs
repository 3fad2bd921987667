//! Reindexing from an event store (the original's `pbjx:reindex-events`): pipes every event
//! (or one stream's) into an [`EventSearch`] in batches.
//!
//! - Only events using `gdbots:pbjx:mixin:indexed` are indexed (others are counted as skipped),
//!   each with its own tenant (`ctx_tenant_id`) unless [`ReindexOptions::context`] is set.
//! - A failed batch is retried in chunks of a tenth of its size (at least one event) with a
//!   pause between them, as the original does; a chunk that fails again stops the run.
//! - **Resumable**: the run returns a [`ReindexCursor`] (also inside a [`ReindexError`]) that a
//!   later run accepts to go on after the last batch that was fully indexed. For one stream
//!   the cursor is the last `occurred_at` (exact). For every stream it is the number of events
//!   already read from `pipe_all_events`, which is exact for stores that read in a stable order
//!   (in memory, SQLite); indexing is idempotent, so with any store a run can also simply start
//!   again.
//!
//! ```
//! # #[cfg(feature = "search-tantivy")] {
//! use std::sync::Arc;
//! use pbjx::event_store::{EventStore, ExpectedState, InMemoryEventStore, StreamId};
//! use pbjx::pbj::Message;
//! use pbjx::schemas::gdbots::pbjx::event::EventExecutionFailedV1;
//! use pbjx::search::reindex::{ReindexOptions, ReindexScope, reindex};
//! use pbjx::search::tantivy::TantivyEventSearch;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = InMemoryEventStore::new();
//! let mut event = EventExecutionFailedV1::new();
//! event.freeze();
//! store.put_events(&StreamId::parse("acme:jobs:1")?, vec![Arc::new(event)], ExpectedState::Any).await?;
//!
//! let search = TantivyEventSearch::open_in_ram(pbjx::registry())?;
//! let report = reindex(&store, &search, &ReindexScope::All, &ReindexOptions::default(), None)
//!     .await
//!     .map_err(|e| e.error)?;
//! assert_eq!((report.indexed, report.cursor.read), (1, 1));
//! # Ok::<(), pbjx::Error>(())
//! # }).unwrap();
//! # }
//! ```

use std::collections::BTreeMap;
use std::future::poll_fn;
use std::sync::Arc;
use std::time::Duration;

use pbj::{Message, Microtime};

use crate::error::Error;
use crate::event_store::{EventStore, StreamId};
use crate::search::{EventSearch, SearchContext};

/// What to reindex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReindexScope {
    /// Every event of every stream.
    All,
    /// The events of one stream.
    Stream(StreamId),
}

/// Options of [`reindex`].
#[derive(Debug, Clone)]
pub struct ReindexOptions {
    /// Events read per batch (the original's 100; 1 to 1,000); the events of a batch that use
    /// the `indexed` mixin are indexed in one call.
    pub batch_size: usize,
    /// Only events after this instant.
    pub since: Option<Microtime>,
    /// Only events before this instant.
    pub until: Option<Microtime>,
    /// The context of every batch (`None`: each event's own tenant).
    pub context: Option<SearchContext>,
    /// The pause before each retried chunk of a failed batch.
    pub retry_pause: Duration,
}

impl Default for ReindexOptions {
    fn default() -> Self {
        Self {
            batch_size: 100,
            since: None,
            until: None,
            context: None,
            retry_pause: Duration::from_millis(100),
        }
    }
}

impl ReindexOptions {
    /// Sets the batch size (clamped to 1..=1,000).
    pub fn with_batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.clamp(1, 1_000);
        self
    }

    /// Sets the time window.
    pub fn with_window(mut self, since: Option<Microtime>, until: Option<Microtime>) -> Self {
        self.since = since;
        self.until = until;
        self
    }

    /// Uses one context for every batch.
    pub fn with_context(mut self, context: SearchContext) -> Self {
        self.context = Some(context);
        self
    }

    /// Sets the pause before retried chunks.
    pub fn with_retry_pause(mut self, pause: Duration) -> Self {
        self.retry_pause = pause;
        self
    }
}

/// Where a run stopped: pass it to the next run to go on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReindexCursor {
    /// Events read and fully handled (indexed or skipped) so far.
    pub read: u64,
    /// The `occurred_at` of the last event handled (one-stream runs resume after it).
    pub last_occurred_at: Option<Microtime>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReindexReport {
    /// Events indexed.
    pub indexed: u64,
    /// Events skipped (not using the `indexed` mixin).
    pub skipped: u64,
    /// Batches written.
    pub batches: u64,
    /// Batches that failed once and were written in smaller chunks.
    pub retried_batches: u64,
    /// Where the run ended (resume from here).
    pub cursor: ReindexCursor,
}

/// A run that stopped: the error, and the report up to the last fully indexed batch.
#[derive(Debug, Clone)]
pub struct ReindexError {
    /// Why it stopped.
    pub error: Error,
    /// What was done; its cursor resumes the run.
    pub report: ReindexReport,
}

impl std::fmt::Display for ReindexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "reindexing stopped after {} events (resume from cursor {:?}): {}",
            self.report.cursor.read, self.report.cursor, self.error
        )
    }
}

impl std::error::Error for ReindexError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Pipes the events of `scope` from `store` into `search` (see the [module docs](self)),
/// starting after `resume` when given.
pub async fn reindex(
    store: &dyn EventStore,
    search: &dyn EventSearch,
    scope: &ReindexScope,
    options: &ReindexOptions,
    resume: Option<ReindexCursor>,
) -> Result<ReindexReport, Box<ReindexError>> {
    let resume = resume.unwrap_or_default();
    let mut report = ReindexReport {
        cursor: resume.clone(),
        ..ReindexReport::default()
    };
    let batch_size = options.batch_size.clamp(1, 1_000);
    let mut events = match scope {
        ReindexScope::All => store.pipe_all_events(options.since, options.until),
        ReindexScope::Stream(stream) => {
            let since = resume.last_occurred_at.or(options.since);
            store.pipe_events(stream, since, options.until)
        }
    };
    // Every-stream runs skip what was read before.
    let mut to_skip = match scope {
        ReindexScope::All => resume.read,
        ReindexScope::Stream(_) => 0,
    };
    let mut batch: Vec<Arc<dyn Message>> = Vec::with_capacity(batch_size);
    let mut batch_read = 0u64;
    let mut batch_skipped = 0u64;
    let mut last_at = None;
    loop {
        let item = poll_fn(|cx| events.as_mut().poll_next(cx)).await;
        let done = item.is_none();
        if let Some(item) = item {
            let stored = item.map_err(|error| {
                Box::new(ReindexError {
                    error,
                    report: report.clone(),
                })
            })?;
            if to_skip > 0 {
                to_skip -= 1;
                continue;
            }
            batch_read += 1;
            last_at = stored.occurred_at().or(last_at);
            if stored.event.schema().has_mixin(crate::mixins::INDEXED) {
                batch.push(stored.event);
            } else {
                batch_skipped += 1;
            }
        }
        if batch_read > 0 && (done || batch_read >= batch_size as u64) {
            let indexed = batch.len() as u64;
            if !batch.is_empty() {
                let retried = write_batch(search, &batch, options)
                    .await
                    .map_err(|error| {
                        Box::new(ReindexError {
                            error,
                            report: report.clone(),
                        })
                    })?;
                report.batches += 1;
                report.retried_batches += u64::from(retried);
            }
            report.indexed += indexed;
            report.skipped += batch_skipped;
            report.cursor.read += batch_read;
            report.cursor.last_occurred_at = last_at;
            batch.clear();
            batch_read = 0;
            batch_skipped = 0;
        }
        if done {
            return Ok(report);
        }
    }
}

/// Writes one batch (per tenant); on failure retries it in chunks of a tenth. Returns
/// whether it was retried.
async fn write_batch(
    search: &dyn EventSearch,
    batch: &[Arc<dyn Message>],
    options: &ReindexOptions,
) -> crate::Result<bool> {
    let groups = group_by_context(batch, options);
    let mut retried = false;
    for (ctx, events) in groups {
        if search.index_events(&events, &ctx).await.is_ok() {
            continue;
        }
        retried = true;
        let chunk = events.len().div_ceil(10).max(1);
        for part in events.chunks(chunk) {
            tokio::time::sleep(options.retry_pause).await;
            search.index_events(part, &ctx).await?;
        }
    }
    Ok(retried)
}

fn group_by_context(
    batch: &[Arc<dyn Message>],
    options: &ReindexOptions,
) -> Vec<(SearchContext, Vec<Arc<dyn Message>>)> {
    if let Some(ctx) = &options.context {
        return vec![(ctx.clone(), batch.to_vec())];
    }
    let mut groups: BTreeMap<Option<String>, Vec<Arc<dyn Message>>> = BTreeMap::new();
    for event in batch {
        let ctx = SearchContext::for_message(&**event);
        groups.entry(ctx.tenant_id).or_default().push(event.clone());
    }
    groups
        .into_iter()
        .map(|(tenant_id, events)| {
            (
                SearchContext {
                    tenant_id,
                    ..SearchContext::default()
                },
                events,
            )
        })
        .collect()
}
