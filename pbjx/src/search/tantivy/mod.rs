//! [`TantivyEventSearch`]: the embedded event search (feature `search-tantivy`), durable on
//! disk, no server.
//!
//! - **Documents** are the Elasticsearch documents of the events
//!   ([`crate::search::document`]), spread over the fields of the mapping built by pbj's
//!   mapping builder ([`crate::search::document::event_search_mapping`]): text paths analysed
//!   like ES's `english` analyzer (and copied to `d__all` where the mapping says so), keyword
//!   paths normalized like `pbj_keyword`, numbers and dates as numbers.
//! - **Queries** are the Elasticsearch body of [`crate::search::elasticsearch_query::create`],
//!   run with tantivy parts (see `query.rs`), so both backends agree on which events match;
//!   scores differ (tantivy's BM25 is not Lucene's), relevance applies the same recency decay.
//! - **Writes** are durable when [`EventSearch::index_events`] / `delete_events` returns:
//!   each call is one record appended to a write-ahead log (`translog.rs`) and flushed, then
//!   added to the index writer (all of the batch or nothing). The index commits every
//!   [`TantivyOptions::commit_every_docs`] documents, before a search when writes are
//!   pending (so a search sees every write that returned), on
//!   [`TantivyEventSearch::force_merge`] and on drop; the log is emptied after each commit
//!   and replayed when an index is opened after a crash. An index in memory has no log and
//!   commits every call. Segments are merged in the background by tantivy's log merge policy.
//! - **Tenants** share one index; every document carries its tenant and every query, replace
//!   and delete is restricted to the caller's.
//!
//! ```
//! use std::sync::Arc;
//! use pbjx::pbj::Message;
//! use pbjx::schemas::gdbots::pbjx::event::EventExecutionFailedV1;
//! use pbjx::schemas::gdbots::pbjx::request::{SearchEventsRequestV1, SearchEventsResponseV1};
//! use pbjx::search::{EventSearch, SearchContext, query::parse};
//! use pbjx::search::tantivy::TantivyEventSearch;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let dir = std::env::temp_dir().join(format!("pbjx-doc-search-{}", std::process::id()));
//! let search = TantivyEventSearch::open(&dir, pbjx::registry())?;
//! let mut event = EventExecutionFailedV1::new(); // uses the `indexed` mixin
//! event.data_mut().set("error_message", "the kinesis stream is throttled")?;
//! search.index_events(&[Arc::new(event)], &SearchContext::default()).await?;
//! drop(search);
//!
//! // Durable: a new instance on the same folder finds it.
//! let search = TantivyEventSearch::open(&dir, pbjx::registry())?;
//! let mut response = SearchEventsResponseV1::new();
//! let query = parse("\"kinesis stream\"").unwrap();
//! search
//!     .search_events(&SearchEventsRequestV1::new(), &query, &[], &mut response, &SearchContext::default())
//!     .await?;
//! assert_eq!(response.data().get_single("total").and_then(|v| v.as_i64()), Some(1));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), pbjx::Error>(())
//! # }).unwrap();
//! ```

mod fields;
mod query;
mod translog;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use pbj::{DateTime, Message, Registry, SchemaCurie};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value as _};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};

use crate::error::{Code, Error, Result};
use crate::search::document::Kinds;
use crate::search::document::{EventDocument, event_documents, event_search_mapping};
use crate::search::elasticsearch_query::SearchSort;
use crate::search::query::ParsedQuery;
use crate::search::{EventSearch, SearchContext, SearchHits, SearchRequest, fill_response};
use fields::{DocumentBuilder, Fields};
use translog::{Op, Translog};

const BACKEND: &str = "tantivy";

/// Options of [`TantivyEventSearch`].
#[derive(Debug, Clone)]
pub struct TantivyOptions {
    /// Memory of the index writer (bytes; at least 15 MB per thread).
    pub writer_heap_bytes: usize,
    /// Indexing threads.
    pub writer_threads: usize,
    /// Documents indexed or deleted between two commits of an index on disk (each write is
    /// durable in the log before that). Fewer commits make fewer, larger segments and less
    /// merging; more make the log, and the replay after a crash, shorter. Default 50,000.
    pub commit_every_docs: usize,
}

impl Default for TantivyOptions {
    fn default() -> Self {
        Self {
            writer_heap_bytes: 64_000_000,
            writer_threads: 1,
            commit_every_docs: 50_000,
        }
    }
}

impl TantivyOptions {
    /// Sets the writer heap.
    pub fn with_writer_heap_bytes(mut self, bytes: usize) -> Self {
        self.writer_heap_bytes = bytes;
        self
    }

    /// Sets the number of indexing threads.
    pub fn with_writer_threads(mut self, threads: usize) -> Self {
        self.writer_threads = threads.max(1);
        self
    }

    /// Sets how many documents are indexed or deleted between two commits (at least 1).
    ///
    /// ```
    /// let options = pbjx::search::tantivy::TantivyOptions::default().with_commit_every_docs(5_000);
    /// assert_eq!(options.commit_every_docs, 5_000);
    /// ```
    pub fn with_commit_every_docs(mut self, docs: usize) -> Self {
        self.commit_every_docs = docs.max(1);
        self
    }
}

/// The embedded event search (see the [module docs](self)). Cheap to clone (shared).
#[derive(Clone)]
pub struct TantivyEventSearch {
    inner: Arc<Inner>,
}

struct Inner {
    reader: IndexReader,
    writing: Mutex<Writing>,
    /// Whether the writer holds writes not yet committed (read without the lock by searches).
    pending: AtomicBool,
    options: TantivyOptions,
    fields: Fields,
    kinds: Kinds,
    /// The analyzer of text fields, for queries (cloned per query; its word lists are shared).
    english: tantivy::tokenizer::TextAnalyzer,
    registry: Arc<Registry>,
    location: String,
    path: Option<PathBuf>,
}

/// The writer and its log, changed together under one lock.
struct Writing {
    /// `None` only while [`TantivyEventSearch::force_merge`] swaps the writer.
    writer: Option<IndexWriter>,
    /// `None` in memory.
    log: Option<Translog>,
    /// Documents indexed or deleted since the last commit.
    uncommitted: usize,
}

impl std::fmt::Debug for TantivyEventSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TantivyEventSearch")
            .field("location", &self.inner.location)
            .finish_non_exhaustive()
    }
}

fn failed(
    location: &str,
    message: impl Into<String>,
    source: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::search(BACKEND, location, Code::Internal, message).with_source(source)
}

impl TantivyEventSearch {
    /// Opens (creating if needed) the index in the folder `path`. `registry` decodes the
    /// stored events and gives the mapping (every schema using `gdbots:pbjx:mixin:indexed`);
    /// it must hold every event type that will be indexed.
    pub fn open(path: impl AsRef<Path>, registry: impl Into<Arc<Registry>>) -> Result<Self> {
        Self::open_with(path, registry, TantivyOptions::default())
    }

    /// Like [`Self::open`] with explicit options.
    pub fn open_with(
        path: impl AsRef<Path>,
        registry: impl Into<Arc<Registry>>,
        options: TantivyOptions,
    ) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let location = path.display().to_string();
        std::fs::create_dir_all(&path)
            .map_err(|e| failed(&location, "cannot create the index folder", e))?;
        let dir = tantivy::directory::MmapDirectory::open(&path)
            .map_err(|e| failed(&location, "cannot open the index folder", e))?;
        let index = Index::open_or_create(dir, fields::schema()).map_err(|e| {
            failed(
                &location,
                "cannot open the index: it has another schema (written by another version? \
                 delete the folder and rebuild it with `pbjx events reindex`)",
                e,
            )
        })?;
        Self::from_index(index, location, Some(path), registry.into(), options)
    }

    /// An index in memory (tests, tools): nothing survives the instance.
    pub fn open_in_ram(registry: impl Into<Arc<Registry>>) -> Result<Self> {
        let index = Index::create_in_ram(fields::schema());
        Self::from_index(
            index,
            "in-ram".into(),
            None,
            registry.into(),
            TantivyOptions::default(),
        )
    }

    fn from_index(
        index: Index,
        location: String,
        path: Option<PathBuf>,
        registry: Arc<Registry>,
        options: TantivyOptions,
    ) -> Result<Self> {
        fields::register_tokenizers(index.tokenizers());
        let fields = Fields::of(&index.schema())
            .map_err(|e| failed(&location, "the index has another schema", e))?;
        let writer = open_writer(&index, &options, &location)?;
        let (log, logged) = match &path {
            Some(path) => {
                let (log, ops) = Translog::open(path).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::InvalidData {
                        Error::Corrupt {
                            backend: BACKEND.to_owned(),
                            location: location.clone(),
                            message: format!(
                                "{e}: the writes it holds cannot be replayed (restore the file, \
                                 or move it away and rebuild with `pbjx events reindex`)"
                            ),
                        }
                    } else {
                        failed(&location, "cannot open the translog", e)
                    }
                })?;
                (Some(log), ops)
            }
            None => (None, Vec::new()),
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| failed(&location, "cannot open the index reader", e))?;
        let kinds = Kinds::from_mapping(&event_search_mapping(&registry));
        let inner = Inner {
            reader,
            writing: Mutex::new(Writing {
                writer: Some(writer),
                log,
                uncommitted: 0,
            }),
            pending: AtomicBool::new(false),
            options,
            fields,
            kinds,
            english: fields::english(),
            registry,
            location,
            path,
        };
        if !logged.is_empty() {
            // Writes acknowledged before a crash: into the index, then committed.
            let mut writing = inner.writing()?;
            inner.replay(&mut writing, &logged)?;
            inner.commit(&mut writing)?;
        }
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The folder of the index (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// Commits the writes not yet committed, so that [`Self::num_docs`] and
    /// [`Self::num_segments`] count them (searches do this themselves).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
    /// # use pbjx::search::{EventSearch, SearchContext, tantivy::TantivyEventSearch};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let dir = std::env::temp_dir().join(format!("pbjx-doc-refresh-{}", std::process::id()));
    /// let search = TantivyEventSearch::open(&dir, pbjx::registry())?;
    /// let events = [Arc::new(HealthCheckedV1::new()) as _];
    /// search.index_events(&events, &SearchContext::default()).await?; // durable, in the log
    /// assert_eq!(search.num_docs(), 0);
    /// search.refresh().await?;
    /// assert_eq!(search.num_docs(), 1);
    /// # drop(search);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), pbjx::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn refresh(&self) -> Result<()> {
        let inner = self.inner.clone();
        blocking(move || inner.refresh()).await
    }

    /// The number of committed documents of every tenant (see [`Self::refresh`]).
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// The number of committed segments searches run over.
    pub fn num_segments(&self) -> usize {
        self.inner.reader.searcher().segment_readers().len()
    }

    /// Commits, waits for the background merges, then merges every segment into one (like
    /// Elasticsearch's force-merge); returns how many segments there were. Worth it after a
    /// bulk load such as a reindex: searches visit every segment. Writes wait while it runs.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
    /// # use pbjx::search::{EventSearch, SearchContext, tantivy::TantivyEventSearch};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let search = TantivyEventSearch::open_in_ram(pbjx::registry())?;
    /// for _ in 0..3 {
    ///     let events = [Arc::new(HealthCheckedV1::new()) as _];
    ///     search.index_events(&events, &SearchContext::default()).await?;
    /// }
    /// search.force_merge().await?;
    /// assert_eq!(search.num_segments(), 1);
    /// assert_eq!(search.num_docs(), 3);
    /// # Ok::<(), pbjx::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn force_merge(&self) -> Result<usize> {
        let inner = self.inner.clone();
        blocking(move || inner.force_merge()).await
    }
}

/// Segments smaller than this many documents count as this size when the merge policy groups
/// segments of similar size (tantivy's default is 10,000). Every `index_events` call commits a
/// segment, typically of a few hundred to a thousand events; with the default floor, all of
/// them and their first merges (up to 10,000 documents) fall into one level and are merged
/// again and again. With a floor of one call's worth, eight segments of one size merge into
/// one of the next, and each document is merged about once per level.
const MERGE_FLOOR_DOCS: u32 = 1_000;

fn open_writer(index: &Index, options: &TantivyOptions, location: &str) -> Result<IndexWriter> {
    let writer: IndexWriter = index
        .writer_with_num_threads(options.writer_threads.max(1), options.writer_heap_bytes)
        .map_err(|e| {
            failed(
                location,
                "cannot open the index writer (in use by another process?)",
                e,
            )
        })?;
    let mut policy = tantivy::merge_policy::LogMergePolicy::default();
    policy.set_min_layer_size(MERGE_FLOOR_DOCS);
    writer.set_merge_policy(Box::new(policy));
    Ok(writer)
}

/// Gives `writer` one batch (nothing happens before a commit).
fn add(
    writer: &mut IndexWriter,
    deletes: Vec<Term>,
    docs: Vec<TantivyDocument>,
) -> tantivy::Result<()> {
    for term in deletes {
        writer.delete_term(term);
    }
    for doc in docs {
        writer.add_document(doc)?;
    }
    Ok(())
}

impl Drop for Inner {
    /// Commits pending writes, sparing the next opening a replay of the log (best effort:
    /// they stay in the log if this fails).
    fn drop(&mut self) {
        if let Ok(mut writing) = self.writing()
            && writing.uncommitted > 0
            && writing.log.is_some()
        {
            let _ = self.commit(&mut writing);
        }
    }
}

/// Runs index work on tokio's blocking pool (inline without a runtime).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.spawn_blocking(f).await.map_err(|e| {
            Error::search(
                BACKEND,
                "",
                Code::Internal,
                format!("blocking task failed: {e}"),
            )
            .with_source(e)
        })?,
        Err(_) => f(),
    }
}

fn tenant_of(ctx: &SearchContext) -> String {
    ctx.tenant().unwrap_or_default().to_owned()
}

impl Inner {
    fn writing(&self) -> Result<MutexGuard<'_, Writing>> {
        self.writing.lock().map_err(|_| {
            Error::search(
                BACKEND,
                &self.location,
                Code::Internal,
                "the index writer is poisoned",
            )
        })
    }

    fn closed(&self) -> Error {
        Error::search(
            BACKEND,
            &self.location,
            Code::Unavailable,
            "the index writer was lost by a failed force-merge or recovery; reopen the index \
             (it replays the writes of its log)",
        )
    }

    /// Writes one batch: logged (durable), then given to the writer; committed when enough
    /// documents are pending (on disk) or at once (in memory). All of it or nothing.
    fn write(&self, op: &Op, deletes: Vec<Term>, docs: Vec<TantivyDocument>) -> Result<()> {
        let mut guard = self.writing()?;
        let writing = &mut *guard;
        let Some(writer) = writing.writer.as_mut() else {
            return Err(self.closed());
        };
        let logged = match writing.log.as_mut() {
            Some(log) => Some(
                log.append(op)
                    .map_err(|e| failed(&self.location, "the batch was not written", e))?,
            ),
            None => None,
        };
        let count = deletes.len() + docs.len();
        if let Err(e) = add(writer, deletes, docs) {
            // The writer lost every uncommitted write: this batch leaves the log, the others
            // are given to the writer again.
            if let (Some(log), Some(size)) = (writing.log.as_mut(), logged) {
                let _ = log.remove_last(size);
            }
            let _ = self.recover(writing);
            return Err(failed(&self.location, "the batch was not written", e));
        }
        writing.uncommitted += count;
        self.pending.store(true, Ordering::Release);
        let every = match writing.log {
            Some(_) => self.options.commit_every_docs,
            None => 1,
        };
        if writing.uncommitted < every {
            return Ok(());
        }
        match (self.commit(writing), &writing.log) {
            (Ok(()), _) => Ok(()),
            (Err(e), None) => Err(e),
            // The batch is durable in the log; the next commit or opening takes it.
            (Err(e), Some(_)) => {
                tracing::warn!(error = %e, "an event search commit failed; the translog keeps the writes");
                Ok(())
            }
        }
    }

    /// Commits the pending writes, empties the log and reloads the reader.
    fn commit(&self, writing: &mut Writing) -> Result<()> {
        let writer = writing.writer.as_mut().ok_or_else(|| self.closed())?;
        if let Err(e) = writer.commit() {
            let _ = self.recover(writing);
            return Err(failed(&self.location, "the commit failed", e));
        }
        writing.uncommitted = 0;
        self.pending.store(false, Ordering::Release);
        if let Some(log) = writing.log.as_mut()
            && let Err(e) = log.clear()
        {
            // Its writes are in the index now: replaying them again is harmless.
            tracing::warn!(error = %e, path = %log.path().display(), "the event search translog was not emptied");
        }
        self.reload()
    }

    /// Rolls the writer back to the last commit and gives it the logged writes again. If that
    /// fails the writer is dropped: a later commit must never empty a log whose writes the
    /// writer lacks, so writes fail (reopening replays the log) instead.
    fn recover(&self, writing: &mut Writing) -> Result<()> {
        let recovered = (|| {
            let writer = writing.writer.as_mut().ok_or_else(|| self.closed())?;
            writer
                .rollback()
                .map_err(|e| failed(&self.location, "cannot roll the index writer back", e))?;
            writing.uncommitted = 0;
            let ops = match writing.log.as_mut() {
                Some(log) => log
                    .read_all()
                    .map_err(|e| failed(&self.location, "cannot read the translog", e))?,
                None => Vec::new(),
            };
            self.replay(writing, &ops)
        })();
        if recovered.is_err() {
            writing.writer = None;
        }
        recovered
    }

    /// Gives the writer the writes of `ops` (from the log), without committing.
    fn replay(&self, writing: &mut Writing, ops: &[Op]) -> Result<()> {
        for op in ops {
            let (tenant, deletes, docs) = match op {
                Op::Index {
                    tenant,
                    events: events_json,
                } => {
                    let events = events_json
                        .iter()
                        .map(|json| self.decode(json).map(Arc::from))
                        .collect::<Result<Vec<Arc<dyn Message>>>>()?;
                    let (deletes, docs) =
                        self.documents(tenant, &event_documents(&events)?, events_json)?;
                    (tenant, deletes, docs)
                }
                Op::Delete { tenant, event_ids } => {
                    (tenant, self.key_terms(tenant, event_ids.iter()), Vec::new())
                }
            };
            let count = deletes.len() + docs.len();
            let writer = writing.writer.as_mut().ok_or_else(|| self.closed())?;
            add(writer, deletes, docs).map_err(|e| {
                failed(
                    &self.location,
                    format!("cannot replay the translog (tenant [{tenant}])"),
                    e,
                )
            })?;
            writing.uncommitted += count;
            self.pending.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// Commits if writes are pending.
    fn refresh(&self) -> Result<()> {
        if !self.pending.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut writing = self.writing()?;
        if writing.uncommitted == 0 {
            return Ok(());
        }
        self.commit(&mut writing)
    }

    fn key_terms<'a>(&self, tenant: &str, ids: impl Iterator<Item = &'a String>) -> Vec<Term> {
        ids.map(|id| Term::from_field_bytes(self.fields.key, &fields::key(tenant, id)))
            .collect()
    }

    fn reload(&self) -> Result<()> {
        self.reader
            .reload()
            .map_err(|e| failed(&self.location, "cannot reload the index reader", e))
    }

    /// See [`TantivyEventSearch::force_merge`].
    fn force_merge(&self) -> Result<usize> {
        let mut guard = self.writing()?;
        if guard.uncommitted > 0 {
            self.commit(&mut guard)?;
        }
        let writer = guard.writer.take().ok_or_else(|| self.closed())?;
        let index = writer.index().clone();
        writer
            .wait_merging_threads()
            .map_err(|e| failed(&self.location, "a background merge failed", e))?;
        let mut writer = open_writer(&index, &self.options, &self.location)?;
        let segments = index
            .searchable_segment_ids()
            .map_err(|e| failed(&self.location, "cannot list the segments", e))?;
        let merged = if segments.len() > 1 {
            writer.merge(&segments).wait().map(|_| segments.len())
        } else {
            Ok(segments.len())
        };
        guard.writer = Some(writer);
        drop(guard);
        let merged = merged.map_err(|e| failed(&self.location, "the merge failed", e))?;
        self.reload()?;
        Ok(merged)
    }

    /// The replacing deletes and the documents of `events` (with their pbj JSON); fails
    /// before anything is written when one of them cannot be indexed. Of an event given more
    /// than once, the last copy wins (as in a bulk request): a batch's deletes go to the
    /// writer before its documents, so each key gets one document.
    fn documents(
        &self,
        tenant: &str,
        events: &[EventDocument],
        json: &[String],
    ) -> Result<(Vec<Term>, Vec<TantivyDocument>)> {
        let mut seen = std::collections::HashSet::with_capacity(events.len());
        let mut last: Vec<usize> = (0..events.len())
            .rev()
            .filter(|&i| seen.insert(events[i].event_id.as_str()))
            .collect();
        last.reverse();
        let deletes = self.key_terms(tenant, last.iter().map(|&i| &events[i].event_id));
        let docs = last
            .iter()
            .map(|&i| {
                DocumentBuilder::new(&self.kinds, &self.fields).build(tenant, &events[i], &json[i])
            })
            .collect::<Result<_>>()?;
        Ok((deletes, docs))
    }

    /// The event of a hit's stored pbj JSON.
    fn decode(&self, json: &str) -> Result<Box<dyn Message>> {
        pbj::codec::decode(json, &self.registry).map_err(|e| Error::Corrupt {
            backend: BACKEND.to_owned(),
            location: format!("index [{}]", self.location),
            message: format!("a stored event cannot be decoded: {e}"),
        })
    }

    fn search(
        &self,
        request: &SearchRequest,
        body: &serde_json::Value,
        tenant: &str,
    ) -> Result<SearchHits> {
        let (query, decay) = query::Translator::new(
            &self.fields,
            &self.kinds,
            self.english.clone(),
            &request.q,
            tenant,
        )
        .body(body)?;
        let searcher = self.reader.searcher();
        let fail = |e| failed(&self.location, format!("search [{}] failed", request.q), e);
        let tenant = Term::from_field_text(self.fields.tenant, tenant);
        // Every document, deleted ones included, is the tenant's (one tenant per index, the
        // usual case): the filter would match everything, so it is left out.
        let all_docs: u64 = searcher
            .segment_readers()
            .iter()
            .map(|s| u64::from(s.max_doc()))
            .sum();
        let query: Box<dyn Query> = if searcher.doc_freq(&tenant).map_err(fail)? == all_docs {
            query
        } else {
            let filter = ConstScoreQuery::new(
                Box::new(TermQuery::new(tenant, IndexRecordOption::Basic)),
                0.0,
            );
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, query),
                (Occur::Must, Box::new(filter)),
            ]))
        };
        let from = usize::try_from(request.from()).unwrap_or(usize::MAX);
        let size = usize::try_from(request.count).unwrap_or(0);
        if size == 0 {
            let total = searcher.search(&query, &Count).map_err(fail)?;
            return Ok(SearchHits {
                total: total as u64,
                ..SearchHits::default()
            });
        }
        // The count and the page come from one pass over the matches (a tuple collector).
        let top = TopDocs::with_limit(size).and_offset(from);
        let (total, addresses, max_score): (usize, Vec<DocAddress>, _) = match request.sort {
            SearchSort::DateDesc | SearchSort::DateAsc => {
                let order = if request.sort == SearchSort::DateDesc {
                    Order::Desc
                } else {
                    Order::Asc
                };
                let collector = top.order_by_fast_field::<i64>(fields::OCCURRED_AT, order);
                let (total, page) = searcher.search(&query, &(Count, collector)).map_err(fail)?;
                (total, page.into_iter().map(|(_, a)| a).collect(), None)
            }
            SearchSort::Relevance => {
                let decay = decay.unwrap_or(query::Decay {
                    origin: 0,
                    scale: 1.0,
                    offset: f64::INFINITY,
                    decay: 0.5,
                });
                let collector = top.tweak_score(move |segment: &tantivy::SegmentReader| {
                    let column = segment
                        .fast_fields()
                        .i64(fields::OCCURRED_AT)
                        .ok()
                        .map(|c| c.first_or_default_col(0));
                    move |doc: tantivy::DocId, score: tantivy::Score| {
                        let factor = column
                            .as_ref()
                            .map_or(1.0, |c| decay.factor(c.get_val(doc)));
                        f64::from(score) * factor
                    }
                });
                let (total, scored) = searcher.search(&query, &(Count, collector)).map_err(fail)?;
                let max_score = scored.first().map(|(s, _)| *s);
                (
                    total,
                    scored.into_iter().map(|(_, a)| a).collect(),
                    max_score,
                )
            }
        };
        let mut hits = SearchHits {
            total: total as u64,
            max_score,
            ..SearchHits::default()
        };
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(address).map_err(fail)?;
            let json = doc
                .get_first(self.fields.json)
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            hits.events.push(self.decode(json)?);
        }
        Ok(hits)
    }
}

#[async_trait::async_trait]
impl EventSearch for TantivyEventSearch {
    fn name(&self) -> &str {
        BACKEND
    }

    async fn create_storage(&self, _ctx: &SearchContext) -> Result<()> {
        // The index is created when opened.
        Ok(())
    }

    async fn describe_storage(&self, ctx: &SearchContext) -> Result<String> {
        self.refresh().await?;
        let searcher = self.inner.reader.searcher();
        let tenant = tenant_of(ctx);
        let count = searcher
            .search(
                &TermQuery::new(
                    Term::from_field_text(self.inner.fields.tenant, &tenant),
                    IndexRecordOption::Basic,
                ),
                &Count,
            )
            .map_err(|e| failed(&self.inner.location, "cannot count documents", e))?;
        Ok(format!(
            "tantivy event search at [{}]: {} documents in {} segments, {} of them for tenant [{}]",
            self.inner.location,
            searcher.num_docs(),
            searcher.segment_readers().len(),
            count,
            tenant
        ))
    }

    async fn index_events(&self, events: &[Arc<dyn Message>], ctx: &SearchContext) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let events = events.to_vec();
        let inner = self.inner.clone();
        let tenant = tenant_of(ctx);
        // All of a batch's work on one thread: its documents are built and freed there.
        blocking(move || {
            let documents = event_documents(&events)?;
            let json: Vec<String> = events.iter().map(|e| e.to_json()).collect();
            let (deletes, docs) = inner.documents(&tenant, &documents, &json)?;
            let op = Op::Index {
                tenant,
                events: json,
            };
            inner.write(&op, deletes, docs)
        })
        .await
    }

    async fn delete_events(&self, event_ids: &[String], ctx: &SearchContext) -> Result<()> {
        if event_ids.is_empty() {
            return Ok(());
        }
        let tenant = tenant_of(ctx);
        let deletes = self.inner.key_terms(&tenant, event_ids.iter());
        let op = Op::Delete {
            tenant,
            event_ids: event_ids.to_vec(),
        };
        let inner = self.inner.clone();
        blocking(move || inner.write(&op, deletes, Vec::new())).await
    }

    async fn search_events(
        &self,
        request: &dyn Message,
        query: &ParsedQuery,
        curies: &[SchemaCurie],
        response: &mut dyn Message,
        ctx: &SearchContext,
    ) -> Result<()> {
        let started = Instant::now();
        let search = SearchRequest::from_message(request)?;
        let body = search.query_body(query, curies, DateTime::now())?;
        let inner = self.inner.clone();
        let tenant = tenant_of(ctx);
        let request_copy = search.clone();
        let hits = blocking(move || {
            inner.refresh()?;
            inner.search(&request_copy, &body, &tenant)
        })
        .await?;
        fill_response(response, &search, hits, started.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_merges_segments_with_a_floor_of_one_call() {
        let search = TantivyEventSearch::open_in_ram(crate::registry()).unwrap();
        let writing = search.inner.writing().unwrap();
        let policy = format!("{:?}", writing.writer.as_ref().unwrap().get_merge_policy());
        assert!(
            policy.contains(&format!("min_layer_size: {MERGE_FLOOR_DOCS}")),
            "{policy}"
        );
    }

    #[test]
    fn a_failed_recovery_drops_the_writer_and_never_empties_the_log() {
        let dir = std::env::temp_dir().join(format!("pbjx-search-recover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let search = TantivyEventSearch::open(&dir, crate::registry()).unwrap();
        let ctx = SearchContext::default();
        let batch = || {
            let event = crate::schemas::gdbots::pbjx::event::EventExecutionFailedV1::new();
            [Arc::new(event) as Arc<dyn Message>]
        };
        for _ in 0..2 {
            rt.block_on(search.index_events(&batch(), &ctx)).unwrap();
        }
        // The first record is damaged (the second follows it): the log cannot be replayed.
        let path = dir.join(translog::FILE_NAME);
        let bytes = translog::damage_first_record(&path);

        let mut writing = search.inner.writing().unwrap();
        assert!(search.inner.recover(&mut writing).is_err());
        assert!(writing.writer.is_none(), "the writer is dropped");
        drop(writing);
        let err = rt
            .block_on(search.index_events(&batch(), &ctx))
            .unwrap_err();
        assert!(err.to_string().contains("reopen the index"), "{err}");
        drop(search); // no commit can empty the log
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        let err = TantivyEventSearch::open(&dir, crate::registry()).unwrap_err();
        std::fs::remove_dir_all(&dir).ok();
        assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains("pbjx-translog"), "{err}");
    }

    #[test]
    fn an_index_of_another_layout_fails_to_open_saying_how_to_rebuild_it() {
        let dir = std::env::temp_dir().join(format!("pbjx-search-layout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // The layout of earlier builds had an indexed `_id` field.
        let mut builder = tantivy::schema::Schema::builder();
        builder.add_text_field("_id", tantivy::schema::STRING | tantivy::schema::STORED);
        let older = tantivy::directory::MmapDirectory::open(&dir).unwrap();
        drop(Index::create(older, builder.build(), Default::default()).unwrap());

        let err = TantivyEventSearch::open(&dir, crate::registry()).unwrap_err();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(err.name(), "EventSearchOperationFailed");
        assert!(err.to_string().contains("pbjx events reindex"), "{err}");
    }
}
