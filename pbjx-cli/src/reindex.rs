//! `pbjx events reindex [STREAM]`: the event store's events into the configured event search
//! again, on [`pbjx::search::reindex::reindex`] (its batching, retry in smaller chunks and
//! cursor). This module adds what an operator needs around it: confirmation, a progress bar,
//! a pause after every batch, `--dry-run` and `--skip-errors`, layered as an [`EventSearch`]
//! decorator so that the retry logic stays the search module's.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pbj::{Message, SchemaCurie};
use pbjx::search::query::ParsedQuery;
use pbjx::search::reindex::{ReindexOptions, ReindexScope, reindex};
use pbjx::search::{EventSearch, SearchContext};

use crate::app::App;
use crate::cli::ReindexArgs;
use crate::config::Config;
use crate::events::{confirm, event_store, stream_id};
use crate::exit::{CliError, CliResult, Exit};
use crate::progress::Progress;

/// Runs `events reindex`: prints a JSON summary on stdout; exit 3 when events were skipped by
/// `--skip-errors`, 1 when the run stopped.
pub(crate) async fn run(app: &App, config: &Config, args: ReindexArgs, quiet: bool) -> CliResult {
    let scope = match args.stream.as_deref() {
        Some(stream) => ReindexScope::Stream(stream_id(stream)?),
        None => ReindexScope::All,
    };
    let (pbjx, store) = event_store(app, config).await?;
    let search = pbjx
        .event_search()
        .map_err(|_| CliError::usage("no event search is configured (event_search.backend)"))?
        .clone();
    if !(args.yes || args.dry_run) {
        confirm(&format!(
            "Reindex the events of [{}] into event search [{}]?",
            store.name(),
            search.name()
        ))?;
    }
    let progress = Progress::new(None, "reindex", quiet);
    let paced = Paced {
        inner: search,
        progress: progress.clone(),
        delay: Duration::from_millis(args.range.batch_delay),
        dry_run: args.dry_run,
        skip_errors: args.skip_errors,
        last_failed: Mutex::new(HashSet::new()),
        failed: AtomicU64::new(0),
    };
    let options = ReindexOptions::default()
        .with_batch_size(usize::try_from(args.range.batch_size).unwrap_or(1_000))
        .with_window(args.range.since, args.range.until);
    let result = reindex(&*store, &paced, &scope, &options, None).await;
    progress.finish();
    let report = result.map_err(|e| {
        CliError::failure(format!(
            "{} (indexed {}, skipped {}, failed {} before it stopped)",
            crate::exit::chain(&*e),
            e.report.indexed,
            e.report.skipped,
            paced.failed.load(Ordering::Relaxed)
        ))
    })?;
    let failed = paced.failed.load(Ordering::Relaxed);
    let summary = serde_json::json!({
        "read": report.cursor.read,
        "indexed": report.indexed.saturating_sub(failed),
        "skipped": report.skipped,
        "failed": failed,
        "batches": report.batches,
        "retried_batches": report.retried_batches,
        "dry_run": args.dry_run,
    });
    out!("{summary}");
    Ok(if failed > 0 { Exit::Partial } else { Exit::Ok })
}

/// The configured event search with the CLI's policies around `index_events`: counts on the
/// progress bar, a pause after each written batch, nothing written with `dry_run`, and with
/// `skip_errors` a retried chunk (part of a batch that failed before) that fails again is
/// reported and counted instead of stopping the run.
struct Paced {
    inner: Arc<dyn EventSearch>,
    progress: Progress,
    delay: Duration,
    dry_run: bool,
    skip_errors: bool,
    /// The events of the last batch that failed (identity of the shared `Arc`s: the search
    /// module retries with chunks of the same batch).
    last_failed: Mutex<HashSet<usize>>,
    failed: AtomicU64,
}

fn identity(event: &Arc<dyn Message>) -> usize {
    Arc::as_ptr(event).cast::<()>() as usize
}

#[async_trait::async_trait]
impl EventSearch for Paced {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn create_storage(&self, ctx: &SearchContext) -> pbjx::Result<()> {
        self.inner.create_storage(ctx).await
    }

    async fn describe_storage(&self, ctx: &SearchContext) -> pbjx::Result<String> {
        self.inner.describe_storage(ctx).await
    }

    async fn index_events(
        &self,
        events: &[Arc<dyn Message>],
        ctx: &SearchContext,
    ) -> pbjx::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        if self.dry_run {
            self.progress.inc(events.len() as u64);
            return Ok(());
        }
        match self.inner.index_events(events, ctx).await {
            Ok(()) => {
                self.progress.inc(events.len() as u64);
                if !self.delay.is_zero() {
                    tokio::time::sleep(self.delay).await;
                }
                Ok(())
            }
            Err(error) => {
                let ids: HashSet<usize> = events.iter().map(identity).collect();
                let mut last = self.last_failed.lock().unwrap_or_else(|p| p.into_inner());
                let retry = !last.is_empty() && ids.is_subset(&last);
                if self.skip_errors && retry {
                    drop(last);
                    let failed = self
                        .failed
                        .fetch_add(events.len() as u64, Ordering::Relaxed)
                        + events.len() as u64;
                    self.progress.warn(&format!(
                        "pbjx: skipped {} events (tenant {:?}) after the retry: {}",
                        events.len(),
                        ctx.tenant().unwrap_or(""),
                        crate::exit::chain(&error)
                    ));
                    self.progress.message(format!("{failed} failed"));
                    Ok(())
                } else {
                    if !retry {
                        *last = ids;
                    }
                    Err(error)
                }
            }
        }
    }

    async fn delete_events(&self, event_ids: &[String], ctx: &SearchContext) -> pbjx::Result<()> {
        self.inner.delete_events(event_ids, ctx).await
    }

    async fn search_events(
        &self,
        request: &dyn Message,
        query: &ParsedQuery,
        curies: &[SchemaCurie],
        response: &mut dyn Message,
        ctx: &SearchContext,
    ) -> pbjx::Result<()> {
        self.inner
            .search_events(request, query, curies, response, ctx)
            .await
    }
}

#[cfg(all(test, feature = "search-tantivy"))]
mod tests {
    use super::*;
    use pbjx::event_store::{EventStore, ExpectedState, InMemoryEventStore, StreamId};
    use pbjx::schemas::gdbots::pbjx::event::EventExecutionFailedV1;
    use pbjx::search::tantivy::TantivyEventSearch;
    use pbjx::testkit::FaultyEventSearch;

    /// The real tantivy index with an injected fault: any batch holding a `poison` event fails.
    fn poisoned(index: TantivyEventSearch) -> FaultyEventSearch<TantivyEventSearch> {
        FaultyEventSearch::new(index, |events| {
            events
                .iter()
                .any(|e| e.to_json().contains("poison"))
                .then(|| pbjx::Error::InvalidArgument {
                    message: "injected: poison".to_owned(),
                })
        })
    }

    fn paced(inner: Arc<dyn EventSearch>, dry_run: bool, skip_errors: bool) -> Paced {
        Paced {
            inner,
            progress: Progress::new(None, "test", true),
            delay: Duration::ZERO,
            dry_run,
            skip_errors,
            last_failed: Mutex::new(HashSet::new()),
            failed: AtomicU64::new(0),
        }
    }

    async fn store_with_poison() -> InMemoryEventStore {
        let store = InMemoryEventStore::new();
        let events: Vec<Arc<dyn Message>> = ["ok 1", "ok 2", "poison", "ok 3", "ok 4"]
            .iter()
            .map(|text| {
                let mut event = EventExecutionFailedV1::new();
                event.data_mut().set("error_message", *text).unwrap();
                event.freeze();
                Arc::new(event) as Arc<dyn Message>
            })
            .collect();
        store
            .put_events(
                &StreamId::parse("acme:jobs:1").unwrap(),
                events,
                ExpectedState::Any,
            )
            .await
            .unwrap();
        store
    }

    #[tokio::test]
    async fn skip_errors_skips_only_the_chunk_that_fails_again() {
        let store = store_with_poison().await;
        let tantivy = TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap();
        let search = paced(Arc::new(poisoned(tantivy.clone())), false, true);
        let options = ReindexOptions::default()
            .with_batch_size(5)
            .with_retry_pause(Duration::ZERO);
        let report = reindex(&store, &search, &ReindexScope::All, &options, None)
            .await
            .unwrap();
        assert_eq!(search.failed.load(Ordering::Relaxed), 1);
        assert_eq!(report.retried_batches, 1);
        assert_eq!(tantivy.num_docs(), 4, "the four good events are indexed");
    }

    #[tokio::test]
    async fn without_skip_errors_the_run_stops_and_dry_run_writes_nothing() {
        let store = store_with_poison().await;
        let tantivy = TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap();
        let options = ReindexOptions::default()
            .with_batch_size(5)
            .with_retry_pause(Duration::ZERO);
        let search = paced(Arc::new(poisoned(tantivy.clone())), false, false);
        let err = reindex(&store, &search, &ReindexScope::All, &options, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("poison"), "{err}");
        assert_eq!(search.failed.load(Ordering::Relaxed), 0);
        // The retry wrote the chunks (of one event) before the poison, then stopped.
        let before = tantivy.num_docs();
        assert_eq!(before, 2);
        assert_eq!(err.report.cursor.read, 0, "no batch was fully indexed");

        let dry = paced(Arc::new(poisoned(tantivy.clone())), true, false);
        let report = reindex(&store, &dry, &ReindexScope::All, &options, None)
            .await
            .unwrap();
        assert_eq!(report.indexed, 5);
        assert_eq!(tantivy.num_docs(), before, "a dry run writes nothing");
    }
}
